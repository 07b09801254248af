//! A record's references: the teams and participants they name, the period's dates, and the
//! cycles of managers.

use super::{At, Problems};
use chrono::NaiveDate;
use payplan_sdk::period::Participant;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What a record's references must resolve to: the teams and participants whose ids read, the
/// period's dates, and its currency's places.
pub(in crate::input) struct Refs<'a> {
    pub(in crate::input) teams: HashSet<&'a str>,
    pub(in crate::input) participants: HashSet<&'a str>,
    pub(in crate::input) start: Option<NaiveDate>,
    pub(in crate::input) end: Option<NaiveDate>,
    pub(in crate::input) places: Option<u32>,
}

/// A participant's references to check against [`Refs`].
pub(in crate::input) struct Links<'a> {
    pub(in crate::input) id: Option<&'a str>,
    pub(in crate::input) team: Option<&'a str>,
    pub(in crate::input) mentor: Option<&'a str>,
    pub(in crate::input) manager: Option<&'a str>,
    pub(in crate::input) active_from: Option<NaiveDate>,
    pub(in crate::input) active_to: Option<NaiveDate>,
}

impl<'a> From<&'a Participant> for Links<'a> {
    fn from(r: &'a Participant) -> Self {
        Links {
            id: Some(&r.id),
            team: r.team.as_deref(),
            mentor: r.mentor.as_deref(),
            manager: r.manager.as_deref(),
            active_from: r.active_from,
            active_to: r.active_to,
        }
    }
}

impl Refs<'_> {
    /// A participant's team, mentor and manager resolve; its active days are inside the period.
    /// (A manager cycle is found over all participants: [`manager_cycles`].)
    pub(in crate::input) fn links(&self, p: &mut Problems, at: At, links: &Links) {
        if let Some(team) = links.team
            && !self.teams.contains(team)
        {
            p.push(at.field("team"), format!("unknown team {team:?}"));
        }
        if let Some(mentor) = links.mentor {
            if !self.participants.contains(mentor) {
                p.push(at.field("mentor"), format!("unknown participant {mentor:?}"));
            } else if links.id == Some(mentor) {
                p.push(at.field("mentor"), "a participant cannot mentor itself");
            }
        }
        if let Some(manager) = links.manager
            && !self.participants.contains(manager)
        {
            p.push(at.field("manager"), format!("unknown participant {manager:?}"));
        }
        for (name, day) in [("active_from", links.active_from), ("active_to", links.active_to)] {
            if let Some(day) = day {
                self.inside(p, at, name, day);
            }
        }
        if let (Some(from), Some(to)) = (links.active_from.or(self.start), links.active_to.or(self.end))
            && from > to
        {
            p.push(at.field("active_to"), format!("{to} is before active_from {from}"));
        }
    }

    pub(in crate::input) fn participant(&self, p: &mut Problems, at: At, who: &str) {
        if !self.participants.contains(who) {
            p.push(at.field("participant"), format!("unknown participant {who:?}"));
        }
    }

    pub(in crate::input) fn inside(&self, p: &mut Problems, at: At, name: &str, day: NaiveDate) {
        if let (Some(s), Some(e)) = (self.start, self.end)
            && (day < s || day > e)
        {
            p.push(at.field(name), format!("{day} is outside the period {s} to {e}"));
        }
    }
}

/// Reports each cycle of managers once, at the path of its first member in the document, named
/// from there round to it again (`participants[3].manager: p004 → p007 → p004`). `managers` are
/// the (id, manager) of each participant in document order (`None` where they did not read).
pub(in crate::input) fn manager_cycles(p: &mut Problems, managers: &[(Option<&str>, Option<&str>)]) {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity_and_hasher(managers.len(), Default::default());
    for (i, (id, _)) in managers.iter().enumerate() {
        if let Some(id) = id {
            index.entry(id).or_insert(i);
        }
    }
    // 0: not seen; 1: on the walk in hand; 2: done.
    let mut state = vec![0u8; managers.len()];
    let mut cycles = Vec::new();
    for start in 0..managers.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| state[i] == 0) {
            state[i] = 1;
            walk.push(i);
            at = managers[i].1.and_then(|m| index.get(m).copied());
        }
        if let Some(i) = at.filter(|&i| state[i] == 1) {
            let cycle = &walk[walk.iter().position(|&w| w == i).expect("on the walk")..];
            let first = cycle.iter().position(|w| w == cycle.iter().min().expect("not empty")).expect("found");
            let order: Vec<usize> = cycle[first..].iter().chain(&cycle[..first]).copied().collect();
            cycles.push(order);
        }
        for i in walk {
            state[i] = 2;
        }
    }
    cycles.sort_by_key(|c| c[0]);
    for cycle in cycles {
        let name = |i: usize| managers[i].0.unwrap_or_default();
        let names: Vec<&str> = cycle.iter().chain(&cycle[..1]).map(|&i| name(i)).collect();
        p.push(At::item("participants", cycle[0]).field("manager"), names.join(" → "));
    }
}
