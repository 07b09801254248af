//! Policies: one trait, [`Policy`], whatever runs the rule. `rhai` runs scripts, `wasm` runs
//! plugins, `native` runs rules compiled in; all emit the same [`Output`].
//!
//! A policy is a function from (the period's facts, its params, the results of earlier policies)
//! to money lines and scores. The evaluator rounds, checks and orders what it emits.

pub mod native;
pub mod rhai;
pub mod wasm;

use crate::error::{Location, Result};
use crate::facts::{Facts, Who};
use crate::halt::Halt;
use crate::money::Rounding;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A compiled policy, ready to run against any period.
pub trait Policy: Send + Sync {
    /// The policy id in the plan.
    fn id(&self) -> &str;
    /// Where the policy's code is (for messages).
    fn location(&self) -> Location;
    /// Runs the policy; `pool` is where per-participant work may run in parallel.
    fn run(&self, env: &Env, pool: &rayon::ThreadPool) -> Result<Output>;
    /// The params it declares (a script's `fn params()`), in its order; none when it declares
    /// none.
    fn declared(&self) -> &[crate::plan::params::Declared] {
        &[]
    }
}

/// What a policy sees: the facts, the plan's rounding, and what earlier policies produced.
#[derive(Clone)]
pub struct Env {
    /// The period and its aggregates.
    pub facts: Arc<Facts>,
    /// The plan's rounding mode.
    pub rounding: Rounding,
    /// Lines and scores of the policies that ran before, in plan order.
    pub earlier: Arc<Vec<Output>>,
    /// When to give up (the wall-clock backstop).
    pub halt: Halt,
}

impl Env {
    /// Rounds to the currency's minor unit with the plan's mode.
    pub fn round(&self, x: Decimal) -> Decimal {
        self.rounding.round(x, self.facts.currency.places())
    }

    /// The output of the earlier policy with this id.
    pub fn earlier(&self, policy: &str) -> Option<&Output> {
        self.earlier.iter().find(|o| o.policy == policy)
    }
}

/// Everything one policy emitted.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The policy's id.
    pub policy: String,
    /// Money lines, in emission order.
    pub lines: Vec<Line>,
    /// Scores, in emission order.
    pub scores: Vec<ScoreLine>,
    /// Index of each participant's score in `scores`.
    pub score_of: HashMap<Who, usize>,
    /// Each participant's total of `lines`, built at the first [`Output::paid`]: only once an
    /// output is an earlier one, read-only behind [`Env::earlier`], is it asked.
    paid_to: OnceLock<HashMap<Who, Decimal>>,
}

impl Output {
    /// An empty output of the policy `policy`.
    pub fn new(policy: &str) -> Self {
        Self { policy: policy.into(), ..Self::default() }
    }

    /// The sum of this output's lines for `who` (zero without one). A per-participant script
    /// asks for each participant: a pass over the lines per question made a period n².
    pub fn paid(&self, who: Who) -> Decimal {
        let totals = self.paid_to.get_or_init(|| {
            let mut totals = HashMap::new();
            for line in &self.lines {
                *totals.entry(line.who).or_default() += line.amount;
            }
            totals
        });
        totals.get(&who).copied().unwrap_or_default()
    }

    /// Appends another part's output (from a later chunk of participants).
    pub fn extend(&mut self, other: Output) {
        let base = self.scores.len();
        self.lines.extend(other.lines);
        self.score_of.extend(other.score_of.into_iter().map(|(w, i)| (w, i + base)));
        self.scores.extend(other.scores);
    }
}

/// A money line as emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Who is paid.
    pub who: Who,
    /// What for.
    pub component: String,
    /// The amount (rounded by the evaluator).
    pub amount: Decimal,
    /// Why.
    pub explain: Vec<String>,
}

/// A score as emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreLine {
    /// Who is scored.
    pub who: Who,
    /// The score (rounded by the evaluator to two places).
    pub score: Decimal,
    /// The grade.
    pub grade: String,
    /// Why.
    pub explain: Vec<String>,
}

/// A thread pool of `threads` workers (0: one per core), each with a stack of
/// [`POLICY_STACK`] bytes: policies run on them.
pub fn thread_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(POLICY_STACK)
        .build()
        .expect("a thread pool can be built")
}

/// Runs `work` on a thread of its own with a stack of [`POLICY_STACK`] bytes: for script code
/// that runs outside the pool (a policy's `fn params()`, when its plan compiles).
pub fn on_policy_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().stack_size(POLICY_STACK).spawn_scoped(scope, work);
        match thread.expect("a thread can be started").join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The stack of a thread that runs policies. It is reserved address space, not memory: a page
/// is only taken when it is touched. It holds the deepest script the limits allow (call depth,
/// and the nesting of arrays and maps, which the interpreter measures, copies and drops
/// recursively) with room to spare; `tests/it/hostile.rs` checks each at its limit.
pub const POLICY_STACK: usize = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paid_sums_each_participants_lines() {
        let line = |who, component: &str, amount: &str| Line {
            who,
            component: component.into(),
            amount: amount.parse().unwrap(),
            explain: Vec::new(),
        };
        let output = Output {
            lines: vec![line(0, "a", "10.50"), line(1, "a", "3.00"), line(0, "b", "-0.25")],
            ..Output::default()
        };
        assert_eq!(output.paid(0), "10.25".parse::<Decimal>().unwrap());
        assert_eq!(output.paid(1), Decimal::from(3));
        assert_eq!(output.paid(2), Decimal::ZERO);
    }
}
