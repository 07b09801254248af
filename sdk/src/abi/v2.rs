//! ABI version 2: the facts in a compact binary encoding that the guest reads in place, without
//! a parse, through the [`View`] trait; the reply in a binary encoding too.
//!
//! A plugin of version 2 exports what a version 1 plugin does (with `payplan_abi_version` 2), and
//! `payplan_reads() -> i32`: the [`reads`] bits of the sections it needs beyond the participants,
//! teams and groups (the deals; the scores of earlier policies). A section it does not ask for is
//! sent empty. It is written with [`export_rule!`](crate::export_rule) over a rule generic over
//! [`View`], the same function the host can run natively.
//!
//! # Input
//! Little-endian throughout, in three parts: the call's head, the params and the earlier scores,
//! then the facts, which are the same for every plugin of an evaluation (the host encodes them
//! once, with or without the deals).
//! - Head, [`HEAD`] `u32`s: the magic `PPv2`, [`reads`], the currency's places, the rounding (0
//!   `half_up`, 1 `half_even`), the participants the call emits for (`from`, `to`: all of them,
//!   unless the plugin asked to be [`split`](reads::SPLIT)), the params' length, the earlier
//!   scores' length.
//! - The params (JSON text).
//! - Earlier scores: a count, then per policy that scored anyone its id (a `u32` length and the
//!   bytes) and, for every participant, flags (1 scored), the score and the grade (28 bytes); the
//!   grades' text follows, at offsets from the start of this part.
//! - Facts: the counts (participants, teams, groups, deals), then each section's offset from the
//!   start of the facts and the end: strings (UTF-8), participants, metrics, indexes, teams,
//!   groups, credits, deals, attributes. A string is `(offset, len)` into the strings, `len`
//!   `u32::MAX` for none; a decimal its 16 bytes (`Decimal::serialize`); a date, days from the
//!   common era (`i32`); a list, `(start, len)` into its section. Records are fixed-size:
//!   - participant (88 bytes): id, sales, target, mentor (`u32::MAX` none), hired on, prior
//!     deals (`u64`), flags (1 target, 2 hired on), credits, first credit (`u32::MAX` none),
//!     reports (into the indexes), metrics;
//!   - metric (24): name, value; team (52): id, target, flags (1 target), sales, members;
//!     group (48): id, sales, target, members; credit (20): deal, credit; deal (36): id, closed
//!     on, segment, kind, attributes; attribute (16): name, value as text.
//!
//! # Reply
//! `u32` 0 then the lines (`u32` count; each who `u32`, component, amount, explanations) and the
//! scores (`u32` count; each who, score, grade, explanations); or `u32` 1 then the message. Text is
//! a `u32` length and its bytes; explanations a `u32` count and that many texts.

use crate::rounding::Rounding;
use crate::view::{Out, Paid, Params, Scored, View, Who};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// This version's number (`payplan_abi_version`).
pub const VERSION: u32 = 2;

/// The export that says which sections a plugin reads: `() -> i32`.
pub const READS: &str = "payplan_reads";

/// What a plugin asks for (`payplan_reads`): the sections it reads beyond the participants, teams
/// and groups, and how it may be run.
pub mod reads {
    /// The deals and each participant's credits.
    pub const DEALS: u32 = 1;
    /// The scores of the policies before it.
    pub const EARLIER: u32 = 2;
    /// Its output is the concatenation of its output for each range of participants (it emits
    /// only from [`View::each`](crate::view::View::each)): the host may run it in several
    /// instances at once, each for a range, and join their replies in order.
    pub const SPLIT: u32 = 4;
}

const MAGIC: u32 = u32::from_le_bytes(*b"PPv2");
/// How many distinct texts of deals the encoding writes once and shares.
const SHARED: usize = 32;
const NONE: u32 = u32::MAX;
/// The head's length in `u32`s.
const HEAD: usize = 8;
/// The facts' counts, then the sections' offsets and the end.
const FACTS_HEAD: usize = 4 + SECTIONS + 1;
const SECTIONS: usize = 9;
const PARTICIPANT: usize = 88;
const METRIC: usize = 24;
const TEAM: usize = 52;
const GROUP: usize = 48;
const CREDIT: usize = 20;
const DEAL: usize = 36;
const ATTRIBUTE: usize = 16;
const SCORE: usize = 28;

/// The facts' sections, in the order of their offsets.
#[derive(Clone, Copy)]
enum S {
    Strings,
    Participants,
    Metrics,
    Indexes,
    Teams,
    Groups,
    Credits,
    Deals,
    Attributes,
}

/// The buffer being written: one growing byte list per section, and the strings.
struct Writer {
    sections: [Vec<u8>; SECTIONS],
}

impl Writer {
    fn u32(&mut self, s: S, x: u32) {
        self.sections[s as usize].extend_from_slice(&x.to_le_bytes());
    }
    /// An offset, a length or a count: below 4 GiB once [`encode_facts`] has checked that every
    /// section is.
    fn usize(&mut self, s: S, x: usize) {
        self.u32(s, x as u32);
    }
    fn dec(&mut self, s: S, x: Decimal) {
        self.sections[s as usize].extend_from_slice(&x.serialize());
    }
    fn str(&mut self, s: S, text: Option<&str>) {
        match text {
            Some(text) => {
                let at = self.sections[S::Strings as usize].len();
                self.sections[S::Strings as usize].extend_from_slice(text.as_bytes());
                self.usize(s, at);
                self.usize(s, text.len());
            }
            None => {
                self.u32(s, 0);
                self.u32(s, NONE);
            }
        }
    }
    /// A text, its bytes shared with the same text written before when it is one of the first
    /// [`SHARED`] texts `seen` (a few segments and kinds repeat over millions of deals).
    fn str_once(&mut self, s: S, text: Option<&str>, seen: &mut Vec<(Box<str>, u32)>) {
        let Some(text) = text else { return self.str(s, None) };
        let at = match seen.iter().find(|(t, _)| **t == *text) {
            Some(&(_, at)) => at,
            None => {
                let strings = &mut self.sections[S::Strings as usize];
                let at = strings.len() as u32;
                strings.extend_from_slice(text.as_bytes());
                if seen.len() < SHARED {
                    seen.push((text.into(), at));
                }
                at
            }
        };
        self.u32(s, at);
        self.usize(s, text.len());
    }
    /// A list's `(start, len)` in `s`, counted in items of `list`, whose items `f` writes.
    fn list<T>(&mut self, s: S, list: S, size: usize, items: impl Iterator<Item = T>, mut f: impl FnMut(&mut Self, T)) {
        let start = self.sections[list as usize].len() / size;
        for item in items {
            f(self, item);
        }
        let len = self.sections[list as usize].len() / size - start;
        self.usize(s, start);
        self.usize(s, len);
    }
    fn index(&mut self, s: S, who: impl Iterator<Item = Who>) {
        self.list(s, S::Indexes, 4, who, |w, x| w.usize(S::Indexes, x));
    }
}

/// The facts part of the input: `view`'s facts, with the deals or without, in pieces to be
/// written one after the other (the sections are not copied into one buffer). An error when they
/// take 4 GiB or more, which no 32-bit guest can hold.
pub fn encode_facts<V: View>(view: &V, deals: bool) -> Result<Vec<Vec<u8>>, String> {
    let mut w = Writer { sections: Default::default() };
    let n = view.participants();
    let deals = if deals { view.deals() } else { 0 };
    let credits: usize = if deals > 0 { (0..n).map(|p| view.credits(p).count()).sum() } else { 0 };
    let texts: usize =
        (0..n).map(|p| view.id(p).len()).sum::<usize>() + (0..deals).map(|d| view.deal_id(d).len()).sum::<usize>();
    let sizes = [
        (S::Strings, texts),
        (S::Participants, n * PARTICIPANT),
        (S::Credits, credits * CREDIT),
        (S::Deals, deals * DEAL),
    ];
    for (s, len) in sizes {
        w.sections[s as usize].reserve_exact(len);
    }
    for p in 0..n {
        w.str(S::Participants, Some(view.id(p)));
        w.dec(S::Participants, view.sales(p));
        w.dec(S::Participants, view.target(p).unwrap_or_default());
        w.u32(S::Participants, view.mentor(p).map_or(NONE, |m| m as u32));
        w.u32(S::Participants, view.hired_on(p).map_or(0, |d| d.num_days_from_ce() as u32));
        w.sections[S::Participants as usize].extend_from_slice(&view.prior_deals(p).to_le_bytes());
        w.u32(S::Participants, u32::from(view.target(p).is_some()) | (u32::from(view.hired_on(p).is_some()) << 1));
        if deals > 0 {
            w.list(S::Participants, S::Credits, CREDIT, view.credits(p), |w, (deal, credit)| {
                w.usize(S::Credits, deal);
                w.dec(S::Credits, credit);
            });
            w.u32(S::Participants, view.first_credit(p).map_or(NONE, |i| i as u32));
        } else {
            w.sections[S::Participants as usize].extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
            w.u32(S::Participants, NONE);
        }
        w.index(S::Participants, view.reports(p));
        w.list(S::Participants, S::Metrics, METRIC, view.metrics(p), |w, (name, value)| {
            w.str(S::Metrics, Some(name));
            w.dec(S::Metrics, value);
        });
    }
    for t in 0..view.teams() {
        w.str(S::Teams, Some(view.team_id(t)));
        w.dec(S::Teams, view.team_target(t).unwrap_or_default());
        w.u32(S::Teams, u32::from(view.team_target(t).is_some()));
        w.dec(S::Teams, view.team_sales(t));
        w.index(S::Teams, view.team_members(t));
    }
    for g in 0..view.groups() {
        w.str(S::Groups, Some(view.group_id(g)));
        w.dec(S::Groups, view.group_sales(g));
        w.dec(S::Groups, view.group_target(g));
        w.index(S::Groups, view.group_members(g));
    }
    // Segments, kinds and attributes repeat: the first texts seen are written once.
    let mut seen = Vec::new();
    for d in 0..deals {
        w.str(S::Deals, Some(view.deal_id(d)));
        w.u32(S::Deals, view.closed_on(d).num_days_from_ce() as u32);
        w.str_once(S::Deals, view.segment(d), &mut seen);
        w.str_once(S::Deals, view.kind(d), &mut seen);
        w.list(S::Deals, S::Attributes, ATTRIBUTE, view.attributes(d), |w, (name, value)| {
            w.str_once(S::Attributes, Some(name), &mut seen);
            w.str_once(S::Attributes, Some(&value), &mut seen);
        });
    }
    let size = FACTS_HEAD * 4 + w.sections.iter().map(Vec::len).sum::<usize>();
    if u32::try_from(size).is_err() {
        return Err(format!("the period's facts take {size} bytes, more than a WASM plugin's 4 GiB"));
    }
    let counts = [n, view.teams(), view.groups(), deals];
    let mut head = Vec::with_capacity(FACTS_HEAD * 4);
    for x in counts {
        head.extend_from_slice(&(x as u32).to_le_bytes());
    }
    let mut at = FACTS_HEAD * 4;
    for section in &w.sections {
        head.extend_from_slice(&(at as u32).to_le_bytes());
        at += section.len();
    }
    head.extend_from_slice(&(at as u32).to_le_bytes());
    Ok(std::iter::once(head).chain(w.sections).collect())
}

/// The head of one call's input, which the facts part ([`encode_facts`]) follows: the plan's
/// currency places and rounding (`view`'s), the sections `reads` asks for, the participants
/// `from..to` it emits for, the params as JSON, and the scores of the `earlier` policies (when it
/// asks for them).
pub fn encode_head<V: View>(
    view: &V,
    reads: u32,
    emit: std::ops::Range<usize>,
    params: &[u8],
    earlier: &[&str],
) -> Vec<u8> {
    let scores = if reads & reads::EARLIER != 0 { encode_earlier(view, earlier) } else { Vec::new() };
    let rounding = match view.rounding() {
        Rounding::HalfUp => 0,
        Rounding::HalfEven => 1,
    };
    let mut out = Vec::with_capacity(HEAD * 4 + params.len() + scores.len());
    for x in [
        MAGIC,
        reads,
        view.places(),
        rounding,
        emit.start as u32,
        emit.end as u32,
        params.len() as u32,
        scores.len() as u32,
    ] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(params);
    out.extend_from_slice(&scores);
    out
}

/// The scores of the `earlier` policies that scored anyone, their grades' text at the end.
fn encode_earlier<V: View>(view: &V, earlier: &[&str]) -> Vec<u8> {
    let n = view.participants();
    let scored: Vec<&str> = earlier.iter().copied().filter(|p| (0..n).any(|w| view.score(p, w).is_some())).collect();
    let blocks: usize = scored.iter().map(|p| 4 + p.len() + n * SCORE).sum();
    let (mut out, mut texts) = (Vec::with_capacity(4 + blocks), Vec::new());
    out.extend_from_slice(&(scored.len() as u32).to_le_bytes());
    for policy in scored {
        out.extend_from_slice(&(policy.len() as u32).to_le_bytes());
        out.extend_from_slice(policy.as_bytes());
        for w in 0..n {
            let (flags, score, grade) = view.score(policy, w).map_or((0u32, Decimal::ZERO, ""), |(s, g)| (1, s, g));
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&score.serialize());
            out.extend_from_slice(&((4 + blocks + texts.len()) as u32).to_le_bytes());
            out.extend_from_slice(&(grade.len() as u32).to_le_bytes());
            texts.extend_from_slice(grade.as_bytes());
        }
    }
    out.extend_from_slice(&texts);
    out
}

/// The input of one call as the guest reads it: a [`View`] over the host's bytes.
pub struct Input<'a> {
    buf: &'a [u8],
    strings: &'a str,
    /// Where each section of the facts starts, and the end.
    at: [usize; SECTIONS + 1],
    places: u32,
    rounding: Rounding,
    /// Participants, teams, groups, deals.
    counts: [usize; 4],
    /// The participants [`View::each`] runs for.
    emit: std::ops::Range<usize>,
    /// The earlier scores.
    earlier: &'a [u8],
    /// The policy's params.
    pub params: Params,
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("four bytes"))
}

impl<'a> Input<'a> {
    /// Reads the head, the params and the facts' strings of an input the host wrote.
    pub fn read(buf: &'a [u8]) -> Result<Self, String> {
        if buf.len() < HEAD * 4 || u32_at(buf, 0) != MAGIC {
            return Err("the input is not ABI version 2".into());
        }
        let word = |i: usize| u32_at(buf, i * 4) as usize;
        let params = HEAD * 4..HEAD * 4 + word(6);
        let earlier = params.end..params.end + word(7);
        let facts = earlier.end;
        if buf.len() < facts + FACTS_HEAD * 4 {
            return Err("the input ends before its facts".into());
        }
        let fact = |i: usize| u32_at(buf, facts + i * 4) as usize;
        let mut at = [0; SECTIONS + 1];
        for (i, a) in at.iter_mut().enumerate() {
            *a = facts + fact(4 + i);
        }
        if at.windows(2).any(|w| w[0] > w[1]) || at[SECTIONS] != buf.len() {
            return Err("the input's sections are out of order".into());
        }
        let strings = &buf[at[S::Strings as usize]..at[S::Strings as usize + 1]];
        let strings = std::str::from_utf8(strings).map_err(|e| format!("the input's text: {e}"))?;
        let params = serde_json::from_slice(&buf[params]).map_err(|e| format!("the params: {e}"))?;
        Ok(Self {
            buf,
            strings,
            at,
            places: word(2) as u32,
            rounding: if word(3) == 1 { Rounding::HalfEven } else { Rounding::HalfUp },
            counts: [fact(0), fact(1), fact(2), fact(3)],
            emit: word(4)..word(5),
            earlier: &buf[earlier],
            params: Params(params),
        })
    }

    fn rec(&self, s: S, size: usize, i: usize) -> usize {
        self.at[s as usize] + i * size
    }
    fn u32(&self, at: usize) -> u32 {
        u32_at(self.buf, at)
    }
    fn dec(&self, at: usize) -> Decimal {
        Decimal::deserialize(self.buf[at..at + 16].try_into().expect("sixteen bytes"))
    }
    fn str(&self, at: usize) -> Option<&'a str> {
        let (start, len) = (self.u32(at) as usize, self.u32(at + 4));
        (len != NONE).then(|| &self.strings[start..start + len as usize])
    }
    fn date(&self, at: usize) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.u32(at) as i32).expect("a date the host wrote")
    }
    fn range(&self, at: usize) -> std::ops::Range<usize> {
        let start = self.u32(at) as usize;
        start..start + self.u32(at + 4) as usize
    }
    fn indexes(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        self.range(at).map(|i| self.u32(self.rec(S::Indexes, 4, i)) as usize)
    }
    fn participant(&self, who: Who) -> usize {
        self.rec(S::Participants, PARTICIPANT, who)
    }
}

impl View for Input<'_> {
    fn places(&self) -> u32 {
        self.places
    }
    fn rounding(&self) -> Rounding {
        self.rounding
    }
    fn participants(&self) -> usize {
        self.counts[0]
    }
    fn id(&self, who: Who) -> &str {
        self.str(self.participant(who)).unwrap_or_default()
    }
    fn sales(&self, who: Who) -> Decimal {
        self.dec(self.participant(who) + 8)
    }
    fn target(&self, who: Who) -> Option<Decimal> {
        let at = self.participant(who);
        (self.u32(at + 56) & 1 != 0).then(|| self.dec(at + 24))
    }
    fn mentor(&self, who: Who) -> Option<Who> {
        let m = self.u32(self.participant(who) + 40);
        (m != NONE).then_some(m as usize)
    }
    fn hired_on(&self, who: Who) -> Option<NaiveDate> {
        let at = self.participant(who);
        (self.u32(at + 56) & 2 != 0).then(|| self.date(at + 44))
    }
    fn prior_deals(&self, who: Who) -> u64 {
        let at = self.participant(who) + 48;
        u64::from_le_bytes(self.buf[at..at + 8].try_into().expect("eight bytes"))
    }
    fn metrics(&self, who: Who) -> impl Iterator<Item = (&str, Decimal)> + '_ {
        self.range(self.participant(who) + 80).map(|i| {
            let at = self.rec(S::Metrics, METRIC, i);
            (self.str(at).unwrap_or_default(), self.dec(at + 8))
        })
    }
    fn reports(&self, who: Who) -> impl Iterator<Item = Who> + '_ {
        self.indexes(self.participant(who) + 72)
    }
    fn credits(&self, who: Who) -> impl Iterator<Item = (usize, Decimal)> + '_ {
        self.range(self.participant(who) + 60).map(|i| {
            let at = self.rec(S::Credits, CREDIT, i);
            (self.u32(at) as usize, self.dec(at + 4))
        })
    }
    fn first_credit(&self, who: Who) -> Option<usize> {
        let i = self.u32(self.participant(who) + 68);
        (i != NONE).then_some(i as usize)
    }
    fn deals(&self) -> usize {
        self.counts[3]
    }
    fn deal_id(&self, deal: usize) -> &str {
        self.str(self.rec(S::Deals, DEAL, deal)).unwrap_or_default()
    }
    fn closed_on(&self, deal: usize) -> NaiveDate {
        self.date(self.rec(S::Deals, DEAL, deal) + 8)
    }
    fn segment(&self, deal: usize) -> Option<&str> {
        self.str(self.rec(S::Deals, DEAL, deal) + 12)
    }
    fn kind(&self, deal: usize) -> Option<&str> {
        self.str(self.rec(S::Deals, DEAL, deal) + 20)
    }
    fn attributes(&self, deal: usize) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_ {
        self.range(self.rec(S::Deals, DEAL, deal) + 28).map(|i| {
            let at = self.rec(S::Attributes, ATTRIBUTE, i);
            (self.str(at).unwrap_or_default(), Cow::Borrowed(self.str(at + 8).unwrap_or_default()))
        })
    }
    fn teams(&self) -> usize {
        self.counts[1]
    }
    fn team_id(&self, team: usize) -> &str {
        self.str(self.rec(S::Teams, TEAM, team)).unwrap_or_default()
    }
    fn team_target(&self, team: usize) -> Option<Decimal> {
        let at = self.rec(S::Teams, TEAM, team);
        (self.u32(at + 24) & 1 != 0).then(|| self.dec(at + 8))
    }
    fn team_sales(&self, team: usize) -> Decimal {
        self.dec(self.rec(S::Teams, TEAM, team) + 28)
    }
    fn team_members(&self, team: usize) -> impl Iterator<Item = Who> + '_ {
        self.indexes(self.rec(S::Teams, TEAM, team) + 44)
    }
    fn groups(&self) -> usize {
        self.counts[2]
    }
    fn group_id(&self, group: usize) -> &str {
        self.str(self.rec(S::Groups, GROUP, group)).unwrap_or_default()
    }
    fn group_sales(&self, group: usize) -> Decimal {
        self.dec(self.rec(S::Groups, GROUP, group) + 8)
    }
    fn group_target(&self, group: usize) -> Decimal {
        self.dec(self.rec(S::Groups, GROUP, group) + 24)
    }
    fn group_members(&self, group: usize) -> impl Iterator<Item = Who> + '_ {
        self.indexes(self.rec(S::Groups, GROUP, group) + 40)
    }
    fn score(&self, policy: &str, who: Who) -> Option<(Decimal, &str)> {
        let e = self.earlier;
        let mut at = 4;
        // Empty when the plugin did not ask for the earlier scores.
        for _ in 0..e.get(..4).map_or(0, |_| u32_at(e, 0)) {
            let len = u32_at(e, at) as usize;
            let name = &e[at + 4..at + 4 + len];
            at += 4 + len;
            if name == policy.as_bytes() {
                let at = at + who * SCORE;
                if u32_at(e, at) & 1 == 0 {
                    return None;
                }
                let score = Decimal::deserialize(e[at + 4..at + 20].try_into().expect("sixteen bytes"));
                let (start, len) = (u32_at(e, at + 20) as usize, u32_at(e, at + 24) as usize);
                return Some((score, std::str::from_utf8(&e[start..start + len]).unwrap_or_default()));
            }
            at += self.participants() * SCORE;
        }
        None
    }
    fn each<T: Send>(&self, f: impl Fn(Who) -> T + Sync + Send) -> Vec<T> {
        self.emit.clone().map(f).collect()
    }
}

/// The reply of a rule: its lines and scores, or why it failed.
pub fn encode_reply(reply: &Result<Out, String>) -> Vec<u8> {
    let mut out = Vec::new();
    let u32 = |out: &mut Vec<u8>, x: usize| out.extend_from_slice(&(x as u32).to_le_bytes());
    let text = |out: &mut Vec<u8>, s: &str| {
        u32(out, s.len());
        out.extend_from_slice(s.as_bytes());
    };
    let explain = |out: &mut Vec<u8>, lines: &[String]| {
        u32(out, lines.len());
        lines.iter().for_each(|l| text(out, l));
    };
    match reply {
        Ok(o) => {
            u32(&mut out, 0);
            u32(&mut out, o.lines.len());
            for l in &o.lines {
                u32(&mut out, l.who);
                text(&mut out, &l.component);
                out.extend_from_slice(&l.amount.serialize());
                explain(&mut out, &l.explain);
            }
            u32(&mut out, o.scores.len());
            for s in &o.scores {
                u32(&mut out, s.who);
                out.extend_from_slice(&s.score.serialize());
                text(&mut out, &s.grade);
                explain(&mut out, &s.explain);
            }
        }
        Err(why) => {
            u32(&mut out, 1);
            text(&mut out, why);
        }
    }
    out
}

/// A reply as the host reads it: `Ok` of the rule's answer, `Err` when the bytes are not a reply.
/// Every participant it names is below `participants`.
pub fn decode_reply(bytes: &[u8], participants: usize) -> Result<Result<Out, String>, String> {
    let mut r = Reader { bytes, at: 0 };
    if r.u32()? == 1 {
        return Ok(Err(r.text()?));
    }
    let mut out = Out::default();
    for _ in 0..r.u32()? {
        let who = r.who(participants)?;
        let component = r.text()?;
        let amount = r.dec()?;
        out.lines.push(Paid { who, component, amount, explain: r.explain()? });
    }
    for _ in 0..r.u32()? {
        let who = r.who(participants)?;
        let score = r.dec()?;
        let grade = r.text()?;
        out.scores.push(Scored { who, score, grade, explain: r.explain()? });
    }
    if r.at != bytes.len() {
        return Err(format!("the reply has {} bytes after its end", bytes.len() - r.at));
    }
    Ok(Ok(out))
}

/// A cursor over a reply that reports where it ran out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let bytes = self.at.checked_add(n).and_then(|end| self.bytes.get(self.at..end));
        let bytes = bytes.ok_or_else(|| format!("the reply ends at byte {} in the middle of an item", self.at))?;
        self.at += n;
        Ok(bytes)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("four bytes")))
    }
    fn who(&mut self, participants: usize) -> Result<Who, String> {
        let who = self.u32()? as usize;
        if who >= participants {
            return Err(format!("the reply names participant {who} of {participants}"));
        }
        Ok(who)
    }
    fn dec(&mut self) -> Result<Decimal, String> {
        let bytes: [u8; 16] = self.take(16)?.try_into().expect("sixteen bytes");
        // The flags word holds the sign and a scale of at most 28; anything else is not a decimal.
        let flags = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
        if flags & 0x7F00_FFFF != 0 || (flags >> 16) & 0xFF > 28 {
            return Err(format!("the reply has a malformed decimal at byte {}", self.at - 16));
        }
        Ok(Decimal::deserialize(bytes))
    }
    fn text(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let at = self.at;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("the reply's text at byte {at} is not UTF-8"))
    }
    fn explain(&mut self) -> Result<Vec<String>, String> {
        let n = self.u32()? as usize;
        // Each text takes at least its 4-byte length: a count beyond that is a lie, not a reason
        // to reserve memory.
        if n > (self.bytes.len() - self.at) / 4 {
            return Err(format!("the reply's explanation count {n} at byte {} exceeds its size", self.at - 4));
        }
        (0..n).map(|_| self.text()).collect()
    }
}
