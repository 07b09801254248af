//! Evaluation: run a plan's policies in order over a period's facts, then round, check, order,
//! total and hash what they emitted (formats.md, "Result").

mod accumulate;
mod caps;
mod clawback;
mod draws;
mod json;

use crate::error::{Error, InputProblem, Result};
use crate::facts::Facts;
use crate::halt::Halt;
use crate::input::Input;
use crate::money::fixed;
use crate::plan::{Accumulate, Plan, Source};
use crate::runtime::rhai::{RhaiPolicy, engine};
use crate::runtime::wasm::WasmPolicy;
use crate::runtime::{Env, Output, Policy};
use crate::series::{self, History};
use payplan_sdk::result::{EvalResult, Money, Payout, PlanRef, Score, Totals};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The engine's name and version, as written into every result.
pub const ENGINE: &str = concat!("payplan ", env!("CARGO_PKG_VERSION"));

/// Places of a score (policies.md: scores are rounded to 2 places, not the currency's unit).
const SCORE_PLACES: u32 = 2;

/// A plan with every policy compiled: evaluate it against any number of periods.
pub struct CompiledPlan {
    /// The plan as loaded.
    pub plan: Plan,
    policies: Vec<Box<dyn Policy>>,
}

impl CompiledPlan {
    /// Compiles every policy of the plan; the first that fails is the error.
    pub fn new(plan: Plan) -> Result<Self> {
        let engine = Arc::new(engine(&plan.limits));
        let mut policies: Vec<Box<dyn Policy>> = Vec::with_capacity(plan.policies.len());
        for spec in &plan.policies {
            let policy = match &spec.source {
                Source::Script { file, text } => Box::new(
                    RhaiPolicy::compile(&spec.id, file.clone(), text, &spec.params, engine.clone(), plan.limits)
                        .map_err(|e| match e {
                            Error::Params { problems, .. } => spec.params_error(&plan.file, &problems),
                            other => other,
                        })?,
                ) as Box<dyn Policy>,
                Source::Plugin { file, bytes } => {
                    Box::new(WasmPolicy::load(&spec.id, file.clone(), bytes, &spec.params, plan.limits)?)
                }
            };
            policies.push(policy);
        }
        Ok(Self { plan, policies })
    }

    /// The compiled policies, in plan order.
    pub fn policies(&self) -> &[Box<dyn Policy>] {
        &self.policies
    }

    /// A plan whose policies are given already built (the benchmark's native rules).
    pub fn with_policies(plan: Plan, policies: Vec<Box<dyn Policy>>) -> Self {
        Self { plan, policies }
    }

    /// Evaluates the plan against a validated period. `pool` (from [`thread_pool`]) runs the
    /// policies; the result is the same for any number of threads.
    pub fn evaluate(&self, input: Input, pool: &rayon::ThreadPool) -> Result<EvalResult> {
        self.evaluate_until(input, pool, &Halt::never())
    }

    /// [`evaluate`](Self::evaluate), stopped with a wall-clock error once `halt` is due.
    pub fn evaluate_until(&self, input: Input, pool: &rayon::ThreadPool, halt: &Halt) -> Result<EvalResult> {
        self.evaluate_timed(input, pool, halt).map(|(result, _)| result)
    }

    /// Whether evaluating `period` reads its series' history: it has a series, and the plan
    /// accumulates (series.md: otherwise the history is not read and the basis is empty).
    pub fn needs_history(&self, period: &payplan_sdk::period::Period) -> bool {
        let plan = &self.plan;
        period.period.series.is_some()
            && (plan.series_cap.is_some()
                || plan.recovery_rate.is_some()
                || !plan.clawback.is_empty()
                || period.participants.iter().any(|p| p.draw.is_some())
                || plan.policies.iter().any(|p| p.accumulate.is_some()))
    }

    /// The history `input` is paid against, once the plan is known to pay in its currency: the
    /// one given when the period [needs it](Self::needs_history), none otherwise.
    fn history_for<'h>(&self, input: &Input, history: Option<&'h History>) -> Result<Option<&'h History>> {
        let plan = &self.plan;
        if input.currency != plan.currency {
            return Err(Error::plan(
                plan.file.clone(),
                None,
                format!(
                    "the plan pays in {} but the period {} is in {}",
                    plan.currency.code(),
                    input.period.period.id,
                    input.currency.code()
                ),
            ));
        }
        match (self.needs_history(&input.period), history) {
            (false, _) => Ok(None),
            (true, Some(history)) => Ok(Some(history)),
            (true, None) => {
                let message = "the period is in a series and the plan uses series features (accumulate, a series \
                               cap, clawbacks or draws): its history must be read from the store that holds the \
                               series' closed periods";
                let problem = InputProblem { path: "period.series".into(), position: None, message: message.into() };
                Err(Error::Input { file: "period".into(), problems: vec![problem] })
            }
        }
    }

    /// [`evaluate_until`](Self::evaluate_until), also saying how long each step took (for the
    /// benchmark; the clock is read between steps, never inside one).
    pub fn evaluate_timed(&self, input: Input, pool: &rayon::ThreadPool, halt: &Halt) -> Result<(EvalResult, Timings)> {
        self.evaluate_series(input, None, pool, halt)
    }

    /// [`evaluate_timed`](Self::evaluate_timed) against the period's history (read from a store
    /// with [`series::read`]), which a period that [needs it](Self::needs_history) must be given.
    pub fn evaluate_series(
        &self,
        input: Input,
        history: Option<&History>,
        pool: &rayon::ThreadPool,
        halt: &Halt,
    ) -> Result<(EvalResult, Timings)> {
        let mut timings = Timings::default();
        let mut clock = Instant::now();
        let mut lap = || {
            let now = Instant::now();
            std::mem::replace(&mut clock, now).elapsed()
        };
        let plan = &self.plan;
        let history = self.history_for(&input, history)?;
        let empty = History::default();
        // Under [clawback], the policies that do not accumulate see the period without its
        // reversing deals (the clawback lines stand for them).
        let own = (!plan.clawback.is_empty() && input.period.deals.iter().any(|d| d.reverses.is_some()))
            .then(|| Input { period: clawback::without_reversals(&input.period), currency: input.currency });
        let facts = Arc::new(Facts::new(input, plan.rounding, pool)?);
        let own = match own {
            Some(input) => Arc::new(Facts::derived(input, plan.rounding)?),
            None => facts.clone(),
        };
        timings.facts = lap();
        let mut earlier: Arc<Vec<Output>> = Arc::default();
        let mut windows: Vec<(Accumulate, Vec<&series::Past>, Arc<Facts>)> = Vec::new();
        let mut absent = Vec::new();
        for (p, (policy, spec)) in self.policies.iter().zip(&plan.policies).enumerate() {
            let env =
                Env { facts: facts.clone(), rounding: plan.rounding, earlier: earlier.clone(), halt: halt.clone() };
            let mut output = match spec.accumulate {
                // On a worker of the pool, whose stack is sized for the limits (see `thread_pool`).
                None => {
                    let env = Env { facts: own.clone(), ..env.clone() };
                    settle(&env, policy.as_ref(), pool.install(|| policy.run(&env, pool))?)?
                }
                Some(kind) => {
                    let i = match windows.iter().position(|w| w.0 == kind) {
                        Some(i) => i,
                        None => {
                            let (past, view) =
                                series::window_view(history.unwrap_or(&empty), &facts, kind, plan.rounding)?;
                            windows.push((kind, past, Arc::new(Facts::derived(view, plan.rounding)?)));
                            windows.len() - 1
                        }
                    };
                    let (_, past, view) = &windows[i];
                    let paid = accumulate::run(policy.as_ref(), view, past, &env, pool)?;
                    absent.extend(paid.absent.into_iter().map(|(id, line)| (id, p, line)));
                    paid.output
                }
            };
            if let Some(cap) = spec.cap {
                caps::each_line(&env, cap, output.lines.iter_mut());
                caps::each_line(&env, cap, absent.iter_mut().filter(|a| a.1 == p).map(|a| &mut a.2));
            }
            drop(env);
            Arc::make_mut(&mut earlier).push(output);
            timings.policies.push((policy.id().to_string(), lap()));
        }
        // Every policy has run and let go of its environment: the outputs are ours to move.
        let mut outputs = Arc::try_unwrap(earlier).unwrap_or_else(|shared| (*shared).clone());
        // The absent join the period's payees now, after the policies (which do not see them), so
        // the plan's caps and draws count their lines as anyone's.
        let mut payees = Payees { facts: &facts, absent: Vec::new(), index: HashMap::new() };
        for (id, p, mut line) in absent {
            line.who = payees.add(id);
            outputs[p].lines.push(line);
        }
        let balances = plan_lines(plan, &payees, history.unwrap_or(&empty), &mut outputs)?;
        let basis = history.map(History::basis).unwrap_or_default();
        let found = Found { basis, balances };
        let result = pool.install(|| assemble(plan, &payees, &self.policies, outputs, found))?;
        timings.assemble = lap();
        Ok((result, timings))
    }
}

/// How long the steps of one evaluation took.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Computing the facts.
    pub facts: Duration,
    /// Each policy, in plan order (run and settle).
    pub policies: Vec<(String, Duration)>,
    /// Ordering, totals and `result_hash`.
    pub assemble: Duration,
}

/// Rounds each line to the minor unit and each score to two places (once, after the policy's
/// exact arithmetic), and refuses two lines for the same participant and component.
fn settle(env: &Env, policy: &dyn Policy, mut output: Output) -> Result<Output> {
    let mut seen = HashSet::with_capacity(output.lines.len());
    for line in &mut output.lines {
        if !seen.insert((line.who, line.component.as_str())) {
            return Err(Error::Policy {
                policy: policy.id().into(),
                location: policy.location(),
                message: format!(
                    "emitted two lines for participant {:?}, component {:?}",
                    env.facts.participants[line.who].id, line.component
                ),
            });
        }
        line.amount = env.round(line.amount);
    }
    for score in &mut output.scores {
        score.score = env.rounding.round(score.score, SCORE_PLACES);
    }
    Ok(output)
}

/// The plan's own lines after its policies' (series.md, "Order inside a period"): the caps, the
/// clawbacks, then the draws, each output only when it has lines; the draw balances after them.
fn plan_lines(
    plan: &Plan,
    payees: &Payees,
    history: &History,
    outputs: &mut Vec<Output>,
) -> Result<std::collections::BTreeMap<String, Money>> {
    // Each only when it has lines: an empty output would name a policy with nothing to say.
    let keep = |outputs: &mut Vec<Output>, own: Output| {
        if !own.lines.is_empty() {
            outputs.push(own);
        }
    };
    if plan.period_cap.is_some() || plan.series_cap.is_some() {
        let capped = caps::plan_caps(plan, payees, history, outputs);
        keep(outputs, capped);
    }
    if !plan.clawback.is_empty() {
        keep(outputs, clawback::lines(plan, payees.facts, history)?);
    }
    let drawn = draws::draws(plan, payees, history, outputs);
    keep(outputs, drawn.output);
    Ok(drawn.balances)
}

/// Everyone a period's lines pay: its participants, by their index in its facts, then the
/// people of an accumulating policy's window who are not in it, by the indices after those.
struct Payees<'a> {
    facts: &'a Facts,
    /// The absent, in the order of their first line.
    absent: Vec<String>,
    /// Each absent person's index, for the lines after their first (a year's window may pay
    /// many leavers, each on several lines).
    index: HashMap<String, usize>,
}

impl Payees<'_> {
    /// The index of an absent person, given on their first line.
    fn add(&mut self, id: String) -> usize {
        let next = self.facts.participants.len() + self.absent.len();
        *self.index.entry(id).or_insert_with_key(|id| {
            self.absent.push(id.clone());
            next
        })
    }

    fn len(&self) -> usize {
        self.facts.participants.len() + self.absent.len()
    }

    fn id(&self, who: usize) -> &str {
        match self.facts.participants.get(who) {
            Some(p) => &p.id,
            None => &self.absent[who - self.facts.participants.len()],
        }
    }

    /// The period's record of a payee; none for the absent.
    fn participant(&self, who: usize) -> Option<&payplan_sdk::period::Participant> {
        self.facts.participants.get(who)
    }
}

/// Each payee's total of the settled `outputs` so far. Lines are rounded amounts; a sum
/// saturates here, and assembling names a total that overflows.
fn totals(payees: &Payees, outputs: &[Output]) -> Vec<Decimal> {
    let mut totals = vec![Decimal::ZERO; payees.len()];
    for line in outputs.iter().flat_map(|o| &o.lines) {
        totals[line.who] = totals[line.who].saturating_add(line.amount);
    }
    totals
}

/// What the series gave the result besides its lines: the history's runs and draw balances.
struct Found {
    basis: Vec<payplan_sdk::result::Basis>,
    balances: std::collections::BTreeMap<String, Money>,
}

/// Orders, totals and hashes the settled outputs into the result, every payee in id order. A
/// total that overflows a decimal is the error of the policy whose line made it overflow.
fn assemble(
    plan: &Plan,
    payees: &Payees,
    compiled: &[Box<dyn Policy>],
    outputs: Vec<Output>,
    found: Found,
) -> Result<EvalResult> {
    let facts = payees.facts;
    let places = facts.currency.places();
    // The period's participants are in id order already; the absent take their places among them.
    let mut order: Vec<usize> = (0..payees.len()).collect();
    if !payees.absent.is_empty() {
        order.sort_unstable_by(|a, b| payees.id(*a).cmp(payees.id(*b)));
    }
    let mut rank = vec![0; order.len()];
    for (place, who) in order.iter().enumerate() {
        rank[*who] = place;
    }

    let mut policies = Vec::with_capacity(outputs.len());
    let mut lines = Vec::new();
    let mut scores = Vec::new();
    for (p, out) in outputs.into_iter().enumerate() {
        policies.push(out.policy);
        lines.extend(out.lines.into_iter().filter(|l| !l.amount.is_zero()).map(|l| (rank[l.who], p, l)));
        scores.extend(out.scores.into_iter().map(|s| (s.who, p, s)));
    }
    // Payees by their place in id order, policies in plan order.
    lines.sort_by(|a, b| (a.0, a.1, &a.2.component).cmp(&(b.0, b.1, &b.2.component)));
    let id = |place: usize| payees.id(order[place]).to_owned();
    let mut per_person = vec![Decimal::ZERO; order.len()];
    let mut total = Decimal::ZERO;
    let mut payouts = Vec::with_capacity(lines.len());
    for (who, p, line) in lines {
        let sums = per_person[who].checked_add(line.amount).zip(total.checked_add(line.amount));
        let Some((person, all)) = sums else {
            // A plan cap's line (after the plan's policies) is the plan's own.
            let location = compiled
                .get(p)
                .map_or_else(|| crate::error::Location { file: plan.file.clone(), position: None }, |c| c.location());
            return Err(Error::Policy {
                policy: policies[p].clone(),
                location,
                message: format!("its line {:?} of {} overflows the totals", line.component, id(who)),
            });
        };
        (per_person[who], total) = (person, all);
        payouts.push(Payout {
            amount: line.amount,
            component: line.component,
            explain: line.explain,
            participant: id(who),
            policy: policies[p].clone(),
        });
    }

    scores.sort_by_key(|s| (s.0, s.1));
    let scores = scores
        .into_iter()
        .map(|(who, p, s)| Score {
            explain: s.explain,
            grade: s.grade,
            participant: facts.participants[who].id.clone(),
            policy: policies[p].clone(),
            score: s.score,
        })
        .collect();

    let totals = Totals {
        amount: fixed(total, places),
        participants: per_person
            .into_iter()
            .enumerate()
            .map(|(who, sum)| (id(who), Money(fixed(sum, places))))
            .collect(),
    };
    let mut result = EvalResult {
        balances: found.balances,
        basis: found.basis,
        engine: ENGINE.into(),
        input_hash: facts.input_hash.clone(),
        payouts,
        period: facts.info.id.clone(),
        plan: PlanRef { hash: plan.hash.clone(), id: plan.id.clone(), version: plan.version.clone() },
        result_hash: String::new(),
        scores,
        totals,
    };
    result.result_hash = result_hash(&result);
    Ok(result)
}

/// `sha256:<hex>` of the canonical JSON of the hashed fields of a result.
pub fn result_hash(result: &EvalResult) -> String {
    crate::hash::sha256_streamed(|w| json::write(w, result, json::Form::Canonical))
}

/// The result as payplan writes it: pretty JSON with a final newline. Long lists are serialised
/// in parallel, in the current rayon pool.
pub fn to_json(result: &EvalResult) -> String {
    let mut out = Vec::new();
    json::write(&mut out, result, json::Form::Pretty).expect("a result always serialises");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
