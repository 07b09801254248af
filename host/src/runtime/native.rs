//! Rules written in Rust against [`View`] (`payplan_sdk::view`), run natively: [`FactsView`]
//! shows them the engine's facts in place, and a [`NativePolicy`] runs one as a policy of the
//! plan. `plugins/standard` holds the standard policies so; the same code built as a plugin of ABI
//! version 2 reads the same facts from their binary encoding ([`FactsView`] writes it).

use super::{Env, Line, Output, Policy, ScoreLine};
use crate::error::{Error, Location, Result};
use crate::eval::CompiledPlan;
use crate::facts::{Facts, Who};
use crate::plan::Plan;
use chrono::NaiveDate;
use payplan_sdk::view::{self, Out, Params, Rule, View};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The facts of an evaluation as a [`View`] (it holds the [`Env`]'s shared parts).
pub struct FactsView {
    env: Env,
}

impl FactsView {
    /// The view of `env`'s facts and earlier outputs.
    pub fn new(env: &Env) -> Self {
        Self { env: env.clone() }
    }
}

impl View for FactsView {
    fn places(&self) -> u32 {
        self.env.facts.currency.places()
    }
    fn rounding(&self) -> payplan_sdk::rounding::Rounding {
        self.env.rounding
    }
    fn participants(&self) -> usize {
        self.env.facts.participants.len()
    }
    fn id(&self, who: Who) -> &str {
        &self.env.facts.participants[who].id
    }
    fn sales(&self, who: Who) -> Decimal {
        self.env.facts.people[who].sales
    }
    fn target(&self, who: Who) -> Option<Decimal> {
        self.env.facts.target(who)
    }
    fn mentor(&self, who: Who) -> Option<Who> {
        self.env.facts.participants[who].mentor.as_deref().and_then(|m| self.env.facts.who(m))
    }
    fn hired_on(&self, who: Who) -> Option<NaiveDate> {
        self.env.facts.participants[who].hired_on
    }
    fn prior_deals(&self, who: Who) -> u64 {
        self.env.facts.participants[who].prior_deals()
    }
    fn metrics(&self, who: Who) -> impl Iterator<Item = (&str, Decimal)> + '_ {
        self.env.facts.participants[who].metrics.iter().flatten().map(|(name, m)| (name.as_str(), m.0))
    }
    fn reports(&self, who: Who) -> impl Iterator<Item = Who> + '_ {
        self.env.facts.people[who].reports.iter().copied()
    }
    fn credits(&self, who: Who) -> impl Iterator<Item = (usize, Decimal)> + '_ {
        self.env.facts.people[who].deals.iter().map(|c| (c.deal, c.credit))
    }
    fn first_credit(&self, who: Who) -> Option<usize> {
        self.env.facts.people[who].first_deal
    }
    fn deals(&self) -> usize {
        self.env.facts.deals.len()
    }
    fn deal_id(&self, deal: usize) -> &str {
        &self.env.facts.deals[deal].id
    }
    fn closed_on(&self, deal: usize) -> NaiveDate {
        self.env.facts.deals[deal].closed_on
    }
    fn segment(&self, deal: usize) -> Option<&str> {
        self.env.facts.deals[deal].segment.as_deref()
    }
    fn kind(&self, deal: usize) -> Option<&str> {
        self.env.facts.deals[deal].kind.as_deref()
    }
    fn attributes(&self, deal: usize) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_ {
        self.env.facts.deals[deal].attributes.iter().map(|(name, value)| (name.as_str(), view::text(value)))
    }
    fn attribute(&self, deal: usize, name: &str) -> Option<Cow<'_, str>> {
        self.env.facts.deals[deal].attributes.get(name).map(view::text)
    }
    fn teams(&self) -> usize {
        self.env.facts.teams.len()
    }
    fn team_id(&self, team: usize) -> &str {
        &self.env.facts.teams[team].id
    }
    fn team_target(&self, team: usize) -> Option<Decimal> {
        self.env.facts.teams[team].target.filter(|t| *t > Decimal::ZERO)
    }
    fn team_sales(&self, team: usize) -> Decimal {
        self.env.facts.team_facts[team].sales
    }
    fn team_members(&self, team: usize) -> impl Iterator<Item = Who> + '_ {
        self.env.facts.team_facts[team].members.iter().copied()
    }
    fn groups(&self) -> usize {
        self.env.facts.groups.len()
    }
    fn group_id(&self, group: usize) -> &str {
        &self.env.facts.groups[group].id
    }
    fn group_sales(&self, group: usize) -> Decimal {
        self.env.facts.groups[group].sales
    }
    fn group_target(&self, group: usize) -> Decimal {
        self.env.facts.groups[group].target
    }
    fn group_members(&self, group: usize) -> impl Iterator<Item = Who> + '_ {
        self.env.facts.groups[group].members.iter().copied()
    }
    fn score(&self, policy: &str, who: Who) -> Option<(Decimal, &str)> {
        let out = self.env.earlier(policy)?;
        out.score_of.get(&who).map(|&i| (out.scores[i].score, out.scores[i].grade.as_str()))
    }
    fn each<T: Send>(&self, f: impl Fn(Who) -> T + Sync + Send) -> Vec<T> {
        (0..self.participants()).into_par_iter().with_min_len(256).map(f).collect()
    }
}

/// A rule over [`FactsView`] as a policy of the plan.
pub struct NativePolicy {
    id: String,
    /// What the location of its errors names (the rule's name).
    name: String,
    params: Params,
    rule: Rule<FactsView>,
}

impl NativePolicy {
    /// Policy `id` running `rule` (named `name` in its errors) with `params`.
    pub fn new(
        id: &str,
        name: &str,
        params: &serde_json::Map<String, serde_json::Value>,
        rule: Rule<FactsView>,
    ) -> Self {
        Self { id: id.into(), name: name.into(), params: Params(params.clone()), rule }
    }
}

impl Policy for NativePolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn location(&self) -> Location {
        Location { file: format!("native:{}", self.name).into(), position: None }
    }
    fn run(&self, env: &Env, pool: &rayon::ThreadPool) -> Result<Output> {
        let out = pool.install(|| (self.rule)(&FactsView::new(env), &self.params));
        let fail = |message| Error::Policy { policy: self.id.clone(), location: self.location(), message };
        output(&self.id, out.map_err(fail)?, &env.facts).map_err(fail)
    }
}

/// `plan` with each policy run natively by the rule `rules` gives for its script's name
/// (`policies/<name>.rhai`: `tiered_commission`); an error names a script without one.
pub fn plan(plan: Plan, rules: impl Fn(&str) -> Option<Rule<FactsView>>) -> std::result::Result<CompiledPlan, String> {
    let mut policies: Vec<Box<dyn Policy>> = Vec::new();
    for spec in &plan.policies {
        let name = spec.source.file().file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let rule = rules(name).ok_or_else(|| format!("policy {}: no native rule for {name}", spec.id))?;
        policies.push(Box::new(NativePolicy::new(&spec.id, name, &spec.params, rule)));
    }
    Ok(CompiledPlan::with_policies(plan, policies))
}

/// A rule's [`Out`] as the policy's [`Output`] (its participants are numbers of the period's):
/// an error when it scores someone twice.
pub(super) fn output(policy: &str, out: Out, facts: &Facts) -> std::result::Result<Output, String> {
    let mut output = Output::new(policy);
    output.lines = out
        .lines
        .into_iter()
        .map(|l| Line { who: l.who, component: l.component, amount: l.amount, explain: l.explain })
        .collect();
    for s in out.scores {
        if output.score_of.insert(s.who, output.scores.len()).is_some() {
            return Err(format!("scored participant {:?} twice", facts.participants[s.who].id));
        }
        output.scores.push(ScoreLine { who: s.who, score: s.score, grade: s.grade, explain: s.explain });
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::halt::Halt;
    use payplan_sdk::abi::v2::{self, reads};
    use std::sync::Arc;

    /// The example period's facts, with the scores of one earlier policy.
    fn env() -> Env {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/period-2026-03.json")).unwrap();
        let input = crate::input::parse_period(&bytes).unwrap();
        let pool = crate::runtime::thread_pool(1);
        let facts = Arc::new(Facts::new(input, Default::default(), &pool).unwrap());
        let mut scored = Output::new("card");
        for who in (0..facts.participants.len()).step_by(2) {
            scored.score_of.insert(who, scored.scores.len());
            let score = Decimal::new(who as i64 * 1234, 2);
            scored.scores.push(ScoreLine { who, score, grade: format!("G{who}"), explain: Vec::new() });
        }
        Env {
            facts,
            rounding: Default::default(),
            earlier: Arc::new(vec![Output::new("none"), scored]),
            halt: Halt::never(),
        }
    }

    /// Everything a [`View`] tells, as text, for comparing two views.
    fn told(v: &impl View) -> Vec<String> {
        let mut out = vec![format!(
            "{} {:?} {} {} {} {}",
            v.places(),
            v.rounding(),
            v.participants(),
            v.teams(),
            v.groups(),
            v.deals()
        )];
        for p in 0..v.participants() {
            out.push(format!(
                "{} {} {:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                v.id(p),
                v.sales(p),
                v.target(p),
                v.mentor(p),
                v.hired_on(p),
                v.prior_deals(p),
                v.metrics(p).collect::<Vec<_>>(),
                v.reports(p).collect::<Vec<_>>(),
                v.credits(p).collect::<Vec<_>>(),
                v.first_credit(p),
                v.score("card", p),
                v.score("none", p),
                v.org_levels(p, 3),
            ));
        }
        for d in 0..v.deals() {
            let attributes: Vec<_> = v.attributes(d).collect();
            out.push(format!("{} {} {:?} {:?} {attributes:?}", v.deal_id(d), v.closed_on(d), v.segment(d), v.kind(d)));
        }
        for t in 0..v.teams() {
            let members: Vec<_> = v.team_members(t).collect();
            out.push(format!("{} {:?} {} {members:?}", v.team_id(t), v.team_target(t), v.team_sales(t)));
        }
        for g in 0..v.groups() {
            let members: Vec<_> = v.group_members(g).collect();
            out.push(format!("{} {} {} {members:?}", v.group_id(g), v.group_sales(g), v.group_target(g)));
        }
        out
    }

    /// A whole call's input, as the WASM runtime writes it.
    fn input_bytes(view: &FactsView, params: &[u8], reads: u32, earlier: &[&str]) -> Vec<u8> {
        let mut bytes = v2::encode_head(view, reads, 0..view.participants(), params, earlier);
        bytes.extend(v2::encode_facts(view, reads & reads::DEALS != 0).unwrap().concat());
        bytes
    }

    #[test]
    fn the_binary_encoding_reads_back_as_the_facts() {
        let env = env();
        let view = FactsView::new(&env);
        let bytes = input_bytes(&view, br#"{"rate": 0.03}"#, reads::DEALS | reads::EARLIER, &["none", "card"]);
        let input = v2::Input::read(&bytes).unwrap();
        assert_eq!(told(&input), told(&view));
        assert_eq!(input.params.decimal("rate"), Ok(Decimal::new(3, 2)));
        assert!(view.deals() > 0 && view.groups() > 0 && view.teams() > 0, "the example has every kind of fact");
    }

    #[test]
    fn sections_not_asked_for_are_empty() {
        let env = env();
        let view = FactsView::new(&env);
        let all = input_bytes(&view, b"{}", reads::DEALS | reads::EARLIER, &["card"]);
        let bytes = input_bytes(&view, b"{}", 0, &["card"]);
        assert!(bytes.len() < all.len(), "{} bytes of {}", bytes.len(), all.len());
        let input = v2::Input::read(&bytes).unwrap();
        assert_eq!(input.deals(), 0);
        assert_eq!(input.credits(0).count(), 0);
        assert_eq!(input.score("card", 0), None);
        assert_eq!(input.sales(3), view.sales(3));
    }

    #[test]
    fn a_split_call_emits_for_its_range_only() {
        let env = env();
        let view = FactsView::new(&env);
        let mut bytes = v2::encode_head(&view, reads::SPLIT, 2..5, b"{}", &[]);
        bytes.extend(v2::encode_facts(&view, false).unwrap().concat());
        let input = v2::Input::read(&bytes).unwrap();
        assert_eq!(input.each(|who| who), [2, 3, 4]);
        assert_eq!(input.participants(), view.participants(), "it sees everyone");
    }

    #[test]
    fn a_reply_reads_back_and_a_broken_one_is_refused() {
        let mut out = Out::default();
        out.pay(2, "pk", Decimal::new(-12345, 3), vec!["why".into(), "因为".into()]);
        out.scores.push(payplan_sdk::view::Scored {
            who: 0,
            score: Decimal::new(9950, 2),
            grade: "A".into(),
            explain: vec![],
        });
        let bytes = v2::encode_reply(&Ok(out.clone()));
        assert_eq!(v2::decode_reply(&bytes, 3), Ok(Ok(out)));
        assert!(v2::decode_reply(&bytes, 2).unwrap_err().contains("names participant 2 of 2"));
        for cut in [0, 3, 9, bytes.len() - 1] {
            assert!(v2::decode_reply(&bytes[..cut], 3).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(v2::decode_reply(&longer, 3).unwrap_err().contains("1 bytes after its end"));
        let failed = v2::encode_reply(&Err("params.x is required".into()));
        assert_eq!(v2::decode_reply(&failed, 3), Ok(Err("params.x is required".into())));
    }
}
