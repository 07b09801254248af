//! What a script sees: the native types and functions registered in the engine.
//!
//! A script receives a `Context` (`ctx`) and, for per-participant policies, a `Participant`.
//! Facts are read through getters computed natively; `pay` and `score` emit; `round`, `allocate`,
//! `money` and `pct` are the shared helpers. `host/src/runtime/rhai/API.md` documents them.

mod json;
mod lists;
mod params;
mod why;

use crate::facts::Who;
use crate::runtime::{Env, Line, Output, ScoreLine};
use chrono::NaiveDate;
pub use json::{Text, from_json};
pub use params::Params;
use payplan_sdk::allocate::allocate;
use rhai::{Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, Map, Position};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

fn fail<T>(message: impl Into<String>) -> Fallible<T> {
    Err(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE).into())
}

/// The `ctx` argument: the policy's view of the evaluation and its output buffer.
#[derive(Clone)]
pub struct Ctx {
    shared: Arc<Shared>,
    out: Arc<Mutex<Output>>,
}

/// What every call of one policy shares.
pub struct Shared {
    /// Facts, rounding, earlier outputs. Each parallel chunk has its own `Arc`, so that the
    /// handles' reference counts are not one cache line bounced between the cores.
    pub env: Arc<Env>,
    /// The policy's params.
    pub params: Params,
}

impl Ctx {
    /// A context with an empty output buffer.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared, out: Arc::default() }
    }

    /// What was emitted through this context (and its clones).
    pub fn take(&self) -> Output {
        std::mem::take(&mut *self.out.lock().expect("no script call panics while holding the buffer"))
    }

    fn env(&self) -> &Env {
        &self.shared.env
    }

    fn who(&self, value: &Dynamic) -> Fallible<Who> {
        if let Some(p) = value.read_lock::<ParticipantRef>() {
            return Ok(p.who);
        }
        let id = value
            .clone()
            .into_immutable_string()
            .or_else(|t| fail(format!("expected a participant or an id, found {t}")))?;
        self.env().facts.who(&id).map_or_else(|| fail(format!("unknown participant {id:?}")), Ok)
    }

    fn participant(&self, who: Who) -> ParticipantRef {
        ParticipantRef { env: self.shared.env.clone(), who }
    }

    fn pay(&mut self, who: Dynamic, component: ImmutableString, amount: Dynamic, explain: Dynamic) -> Fallible<()> {
        let line = Line {
            who: self.who(&who)?,
            component: component.to_string(),
            amount: number(&amount, "amount")?,
            explain: texts(explain)?,
        };
        self.out.lock().expect("buffer lock").lines.push(line);
        Ok(())
    }

    fn score(&mut self, who: Dynamic, score: Dynamic, grade: ImmutableString, explain: Dynamic) -> Fallible<()> {
        let who = self.who(&who)?;
        let line =
            ScoreLine { who, score: number(&score, "score")?, grade: grade.to_string(), explain: texts(explain)? };
        let mut out = self.out.lock().expect("buffer lock");
        if out.score_of.contains_key(&who) {
            return fail(format!("participant {:?} was scored twice", self.env().facts.participants[who].id));
        }
        let index = out.scores.len();
        out.scores.push(line);
        out.score_of.insert(who, index);
        Ok(())
    }

    fn allocate(&mut self, pool: Dynamic, recipients: Array, weights: Option<Array>) -> Fallible<Array> {
        let pool = number(&pool, "pool")?;
        let ids: Vec<ImmutableString> = recipients.iter().map(recipient_id).collect::<Fallible<_>>()?;
        let ids: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        let weights: Vec<Decimal> = match weights {
            Some(w) => w.iter().map(|w| number(w, "weight")).collect::<Fallible<_>>()?,
            None => vec![Decimal::ONE; ids.len()],
        };
        let shares = allocate(pool, self.env().facts.currency.places(), &ids, &weights).or_else(fail)?;
        Ok(shares.into_iter().map(Dynamic::from_decimal).collect())
    }

    fn earlier(&self, policy: &str) -> Fallible<&Output> {
        self.env().earlier(policy).map_or_else(|| fail(format!("no earlier policy {policy:?} in the plan")), Ok)
    }
}

/// A participant handle: an index into the shared facts.
#[derive(Clone)]
pub struct ParticipantRef {
    env: Arc<Env>,
    who: Who,
}

impl ParticipantRef {
    /// The handle of participant `who`.
    pub fn new(env: Arc<Env>, who: Who) -> Self {
        Self { env, who }
    }

    fn data(&self) -> &payplan_sdk::period::Participant {
        &self.env.facts.participants[self.who]
    }
    fn person(&self) -> &crate::facts::Person {
        &self.env.facts.people[self.who]
    }
}

/// A deal handle, as one participant sees it: with that participant's credit.
#[derive(Clone)]
pub struct DealRef {
    env: Arc<Env>,
    credit: crate::facts::Credit,
}

impl DealRef {
    fn data(&self) -> &payplan_sdk::period::Deal {
        &self.env.facts.deals[self.credit.deal]
    }
}

/// A team handle.
#[derive(Clone)]
pub struct TeamRef {
    env: Arc<Env>,
    index: usize,
}

impl TeamRef {
    /// The handle of the team at `index` (teams sorted by id).
    pub fn new(env: Arc<Env>, index: usize) -> Self {
        Self { env, index }
    }
}

/// A group handle.
#[derive(Clone)]
pub struct GroupRef {
    env: Arc<Env>,
    index: usize,
}

/// A calendar date; `a - b` is the number of days between them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(NaiveDate);

fn number(value: &Dynamic, what: &str) -> Fallible<Decimal> {
    if let Ok(d) = value.as_decimal() {
        return Ok(d);
    }
    if let Ok(i) = value.as_int() {
        return Ok(Decimal::from(i));
    }
    fail(format!("{what} must be a number, found {}", value.type_name()))
}

fn texts(value: Dynamic) -> Fallible<Vec<String>> {
    if value.is_array() {
        let items = value.into_array().expect("checked: an array");
        return Ok(items.into_iter().map(|v| v.to_string()).collect());
    }
    if value.is_unit() {
        return Ok(Vec::new());
    }
    Ok(vec![value.to_string()])
}

fn recipient_id(value: &Dynamic) -> Fallible<ImmutableString> {
    if let Some(p) = value.read_lock::<ParticipantRef>() {
        return Ok(p.data().id.as_str().into());
    }
    if let Some(t) = value.read_lock::<TeamRef>() {
        return Ok(t.env.facts.teams[t.index].id.as_str().into());
    }
    if let Some(g) = value.read_lock::<GroupRef>() {
        return Ok(g.env.facts.groups[g.index].id.as_str().into());
    }
    value
        .clone()
        .into_immutable_string()
        .or_else(|t| fail(format!("a recipient must be a participant, team, group or id, found {t}")))
}

fn text(value: &Option<String>) -> Dynamic {
    value.as_deref().map_or(Dynamic::UNIT, |s| Dynamic::from(ImmutableString::from(s)))
}

/// `rows.match_deals(p)`: every deal crediting `p` matched as [`match_deal`] does, in one call:
/// `#{credited, hit, unmatched, deals}`, the credit each row took, whether a deal went to it, the
/// credit no row matched, and the number of deals.
fn match_deals(rows: &Array, p: &ParticipantRef) -> Fallible<Map> {
    let rows = rate_rows(rows)?;
    let mut credited = vec![Decimal::ZERO; rows.len()];
    let mut hit = vec![false; rows.len()];
    let mut unmatched = Decimal::ZERO;
    let deals = &p.person().deals;
    for credit in deals {
        match best_row(&rows, &p.env.facts.deals[credit.deal])? {
            Some(i) => {
                credited[i] += credit.credit;
                hit[i] = true;
            }
            None => unmatched += credit.credit,
        }
    }
    let mut out = Map::new();
    out.insert("credited".into(), credited.into_iter().map(Dynamic::from_decimal).collect::<Array>().into());
    out.insert("hit".into(), hit.into_iter().map(Dynamic::from_bool).collect::<Array>().into());
    out.insert("unmatched".into(), Dynamic::from_decimal(unmatched));
    out.insert("deals".into(), Dynamic::from_int(INT::try_from(deals.len()).unwrap_or(INT::MAX)));
    Ok(out)
}

/// `rows.match_deal(deal)`: the index of the row that matches the deal with the most keys, or -1
/// (crediting.md, "Rate tables"). A row is a map with a `rate` and any of `segment`, `kind` and
/// `attribute`/`value` (one key), each equal to the deal's field as text; two best rows with
/// different rates are an error naming the deal.
fn match_deal(rows: &Array, deal: &payplan_sdk::period::Deal) -> Fallible<INT> {
    let best = best_row(&rate_rows(rows)?, deal)?;
    Ok(best.map_or(-1, |i| INT::try_from(i).unwrap_or(INT::MAX)))
}

/// A rate table's row as [`best_row`] reads it: the keys it gives, as text, and its rate.
struct RateRow {
    segment: Option<ImmutableString>,
    kind: Option<ImmutableString>,
    attribute: Option<(ImmutableString, Option<ImmutableString>)>,
    rate: Decimal,
}

/// The rows of a rate table, each read once (a row's key that is not text is written out).
fn rate_rows(rows: &Array) -> Fallible<Vec<RateRow>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let Some(row) = row.read_lock::<Map>() else { return fail(format!("row {} is not a map", i + 1)) };
            let given = |key: &str| {
                let v = row.get(key).filter(|v| !v.is_unit())?;
                Some(v.clone().into_immutable_string().unwrap_or_else(|_| v.to_string().into()))
            };
            Ok(RateRow {
                segment: given("segment"),
                kind: given("kind"),
                attribute: given("attribute").map(|name| (name, given("value"))),
                rate: number(row.get("rate").unwrap_or(&Dynamic::UNIT), "a row's rate")?,
            })
        })
        .collect()
}

/// The row that matches `deal` with the most keys, if any (see [`match_deal`]).
fn best_row(rows: &[RateRow], deal: &payplan_sdk::period::Deal) -> Fallible<Option<usize>> {
    let mut best: Option<(usize, usize, Decimal)> = None;
    for (i, row) in rows.iter().enumerate() {
        let mut keys = 0;
        let mut matches = true;
        for (want, have) in [(&row.segment, &deal.segment), (&row.kind, &deal.kind)] {
            if let Some(want) = want {
                keys += 1;
                matches &= have.as_deref() == Some(want.as_str());
            }
        }
        if let Some((name, want)) = &row.attribute {
            keys += 1;
            // The deal's attribute as text: a string without a copy, anything else written out.
            let have = deal
                .attributes
                .get(name.as_str())
                .map(|v| v.as_str().map_or_else(|| std::borrow::Cow::Owned(v.to_string()), std::borrow::Cow::Borrowed));
            matches &= have.is_some_and(|have| want.as_ref().is_some_and(|want| have == want.as_str()));
        }
        if !matches {
            continue;
        }
        match best {
            Some((_, most, _)) if keys < most => {}
            Some((j, most, other)) if keys == most => {
                if other != row.rate {
                    return fail(format!(
                        "deal {}: rows {} and {} both match it with {keys} key(s) and different rates ({other}, {})",
                        deal.id,
                        j + 1,
                        i + 1,
                        row.rate
                    ));
                }
            }
            _ => best = Some((i, keys, row.rate)),
        }
    }
    Ok(best.map(|(i, ..)| i))
}

/// `row.row_label(sep)`: a rate table's row named by its keys, `segment A{sep}kind new{sep}channel
/// partner` (`""` for a row without keys), each value written as interpolation writes it: how
/// `rate_table.rhai` names a row in its explanations and in `check`. Called on the row in place
/// (`rates[i].row_label(", ")`), it copies nothing.
fn row_label(ctx: &rhai::NativeCallContext, row: &mut Map, sep: &str) -> String {
    let mut label = String::new();
    let given = |key: &str| row.get(key).filter(|v| !v.is_unit()).cloned();
    for (key, name) in [("segment", Some("segment")), ("kind", Some("kind")), ("attribute", None)] {
        let Some(mut value) = given(key) else { continue };
        if !label.is_empty() {
            label.push_str(sep);
        }
        match name {
            Some(name) => label.push_str(name),
            None => why::write_value(ctx, &mut label, &mut value),
        }
        label.push(' ');
        let mut shown = if name.is_some() { value } else { given("value").unwrap_or(Dynamic::UNIT) };
        why::write_value(ctx, &mut label, &mut shown);
    }
    label
}

/// Splits or overlay as a list of `#{participant, share}`.
fn shares(list: &[payplan_sdk::period::Share]) -> Array {
    list.iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("participant".into(), Dynamic::from(ImmutableString::from(s.participant.as_str())));
            m.insert("share".into(), Dynamic::from_decimal(s.share));
            Dynamic::from_map(m)
        })
        .collect()
}

fn attributes(map: &payplan_sdk::period::Attributes) -> Map {
    map.iter()
        .map(|(k, v)| (k.as_str().into(), from_json(v, Text::Kept).unwrap_or_else(|_| Dynamic::from(v.to_string()))))
        .collect()
}

/// Registers every type and function scripts may use.
pub fn register(engine: &mut Engine) {
    lists::register_charged(engine);
    lists::register_lists(engine);
    register_context(engine);
    register_participant(engine);
    register_deal(engine);
    register_team_and_group(engine);
    register_day(engine);
    engine.register_fn("pct", crate::money::pct);
    why::register(engine);
    params::register(engine);
}

fn register_context(engine: &mut Engine) {
    engine
        .register_type_with_name::<Ctx>("Context")
        .register_get("params", |c: &mut Ctx| c.shared.params.clone())
        .register_get("participants", |c: &mut Ctx| -> Array {
            (0..c.env().facts.participants.len()).map(|w| Dynamic::from(c.participant(w))).collect()
        })
        .register_get("teams", |c: &mut Ctx| -> Array {
            (0..c.env().facts.teams.len())
                .map(|index| Dynamic::from(TeamRef { env: c.shared.env.clone(), index }))
                .collect()
        })
        .register_get("groups", |c: &mut Ctx| -> Array {
            (0..c.env().facts.groups.len())
                .map(|index| Dynamic::from(GroupRef { env: c.shared.env.clone(), index }))
                .collect()
        })
        .register_get("period_id", |c: &mut Ctx| c.env().facts.info.id.clone())
        .register_get("currency", |c: &mut Ctx| c.env().facts.currency.code().to_string())
        .register_get("start", |c: &mut Ctx| Day(c.env().facts.info.start))
        .register_get("end", |c: &mut Ctx| Day(c.env().facts.info.end))
        .register_get("period_days", |c: &mut Ctx| c.env().facts.period_days())
        .register_fn("participant", |c: &mut Ctx, id: Dynamic| -> Fallible<ParticipantRef> {
            c.who(&id).map(|w| c.participant(w))
        })
        .register_fn("team", |c: &mut Ctx, id: &str| -> Fallible<TeamRef> {
            let index = c.env().facts.team(id).map_or_else(|| fail(format!("unknown team {id:?}")), Ok)?;
            Ok(TeamRef { env: c.shared.env.clone(), index })
        })
        .register_fn("round", |c: &mut Ctx, x: Dynamic| -> Fallible<Decimal> { Ok(c.env().round(number(&x, "x")?)) })
        .register_fn("round", |c: &mut Ctx, x: Dynamic, places: INT| -> Fallible<Decimal> {
            let places =
                u32::try_from(places).ok().filter(|p| *p <= 28).map_or_else(|| fail("places must be 0 to 28"), Ok)?;
            Ok(c.env().rounding.round(number(&x, "x")?, places))
        })
        .register_fn("money", |c: &mut Ctx, x: Dynamic| -> Fallible<String> {
            Ok(c.env().round(number(&x, "x")?).to_string())
        })
        .register_fn("allocate", |c: &mut Ctx, pool: Dynamic, recipients: Array| c.allocate(pool, recipients, None))
        .register_fn("allocate", |c: &mut Ctx, pool: Dynamic, recipients: Array, weights: Array| {
            c.allocate(pool, recipients, Some(weights))
        })
        .register_fn("pay", Ctx::pay)
        .register_fn("pay", |c: &mut Ctx, who: Dynamic, component: ImmutableString, amount: Dynamic| {
            c.pay(who, component, amount, Dynamic::UNIT)
        })
        .register_fn("score", Ctx::score)
        .register_fn("score_of", |c: &mut Ctx, who: Dynamic, policy: &str| -> Fallible<Dynamic> {
            let who = c.who(&who)?;
            let out = c.earlier(policy)?;
            Ok(out.score_of.get(&who).map_or(Dynamic::UNIT, |&i| {
                let s = &out.scores[i];
                let mut m = Map::new();
                m.insert("score".into(), Dynamic::from_decimal(s.score));
                m.insert("grade".into(), Dynamic::from(ImmutableString::from(s.grade.as_str())));
                Dynamic::from_map(m)
            }))
        })
        .register_fn("paid", |c: &mut Ctx, who: Dynamic, policy: &str| -> Fallible<Decimal> {
            let who = c.who(&who)?;
            Ok(c.earlier(policy)?.paid(who))
        });
}

fn register_participant(engine: &mut Engine) {
    engine
        .register_type_with_name::<ParticipantRef>("Participant")
        .register_get("id", |p: &mut ParticipantRef| p.data().id.clone())
        .register_get("name", |p: &mut ParticipantRef| text(&p.data().name))
        .register_get("team", |p: &mut ParticipantRef| text(&p.data().team))
        .register_get("group", |p: &mut ParticipantRef| text(&p.data().group))
        .register_get("mentor", |p: &mut ParticipantRef| text(&p.data().mentor))
        .register_get("hired_on", |p: &mut ParticipantRef| {
            p.data().hired_on.map_or(Dynamic::UNIT, |d| Dynamic::from(Day(d)))
        })
        .register_get("prior_deals", |p: &mut ParticipantRef| INT::try_from(p.data().prior_deals()).unwrap_or(INT::MAX))
        .register_get("has_target", |p: &mut ParticipantRef| p.env.facts.target(p.who).is_some())
        .register_get("target", |p: &mut ParticipantRef| p.env.facts.target(p.who).unwrap_or_default())
        .register_get("target_written", |p: &mut ParticipantRef| {
            p.data().target.map_or(Dynamic::UNIT, Dynamic::from_decimal)
        })
        .register_get("active_days", |p: &mut ParticipantRef| p.person().active_days)
        .register_get("sales", |p: &mut ParticipantRef| p.person().sales)
        .register_get("deals", |p: &mut ParticipantRef| -> Array {
            p.person().deals.iter().map(|&credit| Dynamic::from(DealRef { env: p.env.clone(), credit })).collect()
        })
        .register_get("first_deal", |p: &mut ParticipantRef| {
            let first = p.person().first_deal.map(|i| p.person().deals[i]);
            first.map_or(Dynamic::UNIT, |credit| Dynamic::from(DealRef { env: p.env.clone(), credit }))
        })
        .register_get("mentees", |p: &mut ParticipantRef| -> Array {
            p.person().mentees.iter().map(|&who| Dynamic::from(ParticipantRef { env: p.env.clone(), who })).collect()
        })
        .register_get("manager", |p: &mut ParticipantRef| text(&p.data().manager))
        .register_get("reports", |p: &mut ParticipantRef| -> Array {
            p.person().reports.iter().map(|&who| Dynamic::from(ParticipantRef { env: p.env.clone(), who })).collect()
        })
        .register_get("depth", |p: &mut ParticipantRef| INT::try_from(p.person().depth).unwrap_or(INT::MAX))
        .register_fn("org_sales", |p: &mut ParticipantRef, levels: INT| -> Fallible<Decimal> {
            let levels = usize::try_from(levels).or_else(|_| fail("levels must be >= 0"))?;
            p.env.facts.org_sales(p.who, levels).or_else(fail)
        })
        .register_fn("org_levels", |p: &mut ParticipantRef, levels: INT| -> Fallible<Array> {
            let levels = usize::try_from(levels).or_else(|_| fail("levels must be >= 0"))?;
            let sums = p.env.facts.org_levels(p.who, levels).or_else(fail)?;
            Ok(sums.into_iter().map(Dynamic::from_decimal).collect())
        })
        .register_get("metrics", |p: &mut ParticipantRef| -> Map {
            let metrics = p.data().metrics.iter().flatten();
            metrics.map(|(k, v)| (k.as_str().into(), Dynamic::from_decimal(v.0))).collect()
        })
        .register_get("attributes", |p: &mut ParticipantRef| attributes(&p.data().attributes))
        .register_fn("metric", |p: &mut ParticipantRef, name: &str| {
            let value = p.data().metrics.as_ref().and_then(|m| m.get(name));
            value.map_or(Dynamic::UNIT, |v| Dynamic::from_decimal(v.0))
        })
        .register_fn("reaches", |p: &mut ParticipantRef, ratio: Dynamic| -> Fallible<bool> {
            Ok(p.env.facts.reaches(p.who, number(&ratio, "ratio")?))
        })
        .register_fn("to_string", |p: &mut ParticipantRef| p.data().id.clone())
        .register_fn("to_debug", |p: &mut ParticipantRef| format!("Participant({})", p.data().id));
}

fn register_deal(engine: &mut Engine) {
    engine.register_fn("match_deal", |rows: &mut Array, deal: DealRef| match_deal(rows, deal.data()));
    engine.register_fn("match_deals", |rows: &mut Array, p: ParticipantRef| match_deals(rows, &p));
    engine.register_fn("row_label", |ctx: rhai::NativeCallContext, row: &mut Map, sep: &str| row_label(&ctx, row, sep));
    engine
        .register_type_with_name::<DealRef>("Deal")
        .register_get("id", |d: &mut DealRef| d.data().id.clone())
        .register_get("participant", |d: &mut DealRef| text(&d.data().participant))
        .register_get("amount", |d: &mut DealRef| d.data().amount)
        .register_get("credit", |d: &mut DealRef| d.credit.credit)
        .register_get("splits", |d: &mut DealRef| shares(&d.data().splits))
        .register_get("overlay", |d: &mut DealRef| shares(&d.data().overlay))
        .register_get("closed_on", |d: &mut DealRef| Day(d.data().closed_on))
        .register_get("customer", |d: &mut DealRef| text(&d.data().customer))
        .register_get("segment", |d: &mut DealRef| text(&d.data().segment))
        .register_get("kind", |d: &mut DealRef| text(&d.data().kind))
        .register_get("attributes", |d: &mut DealRef| attributes(&d.data().attributes))
        .register_fn("to_string", |d: &mut DealRef| d.data().id.clone())
        .register_fn("to_debug", |d: &mut DealRef| format!("Deal({})", d.data().id));
}

fn register_team_and_group(engine: &mut Engine) {
    let members = |env: &Arc<Env>, who: &[Who]| -> Array {
        who.iter().map(|&who| Dynamic::from(ParticipantRef { env: env.clone(), who })).collect()
    };
    engine
        .register_type_with_name::<TeamRef>("Team")
        .register_get("id", |t: &mut TeamRef| t.env.facts.teams[t.index].id.clone())
        .register_get("name", |t: &mut TeamRef| text(&t.env.facts.teams[t.index].name))
        .register_get("has_target", |t: &mut TeamRef| {
            t.env.facts.teams[t.index].target.is_some_and(|x| x > Decimal::ZERO)
        })
        .register_get("target", |t: &mut TeamRef| t.env.facts.teams[t.index].target.unwrap_or_default())
        .register_get("sales", |t: &mut TeamRef| t.env.facts.team_facts[t.index].sales)
        .register_get("members", move |t: &mut TeamRef| members(&t.env, &t.env.facts.team_facts[t.index].members))
        .register_fn("to_string", |t: &mut TeamRef| t.env.facts.teams[t.index].id.clone())
        .register_type_with_name::<GroupRef>("Group")
        .register_get("id", |g: &mut GroupRef| g.env.facts.groups[g.index].id.clone())
        .register_get("sales", |g: &mut GroupRef| g.env.facts.groups[g.index].sales)
        .register_get("target", |g: &mut GroupRef| g.env.facts.groups[g.index].target)
        .register_get("members", move |g: &mut GroupRef| members(&g.env, &g.env.facts.groups[g.index].members))
        .register_fn("to_string", |g: &mut GroupRef| g.env.facts.groups[g.index].id.clone());
}

fn register_day(engine: &mut Engine) {
    engine
        .register_type_with_name::<Day>("Date")
        .register_fn("-", |a: Day, b: Day| -> INT { (a.0 - b.0).num_days() })
        .register_fn("<", |a: Day, b: Day| a < b)
        .register_fn("<=", |a: Day, b: Day| a <= b)
        .register_fn(">", |a: Day, b: Day| a > b)
        .register_fn(">=", |a: Day, b: Day| a >= b)
        .register_fn("==", |a: Day, b: Day| a == b)
        .register_fn("!=", |a: Day, b: Day| a != b)
        .register_fn("to_string", |d: &mut Day| d.0.to_string())
        .register_fn("to_debug", |d: &mut Day| d.0.to_string());
}
