//! `payplan check`: load a plan and compile every policy, reporting every problem with its file,
//! line and column, and the line itself with a caret under the place.

use crate::error::{Error, Position};
use crate::eval::CompiledPlan;
use crate::plan::{self, Plan};
use std::path::Path;

/// What checking a plan found: the plan (when it loaded) and every problem, each ready to print.
pub struct Report {
    /// The plan, when its TOML and files could be read.
    pub plan: Option<Plan>,
    /// Problems, each with its excerpt.
    pub problems: Vec<String>,
}

/// Loads the plan and compiles each policy on its own, so that one broken script does not hide
/// the next.
pub fn check(file: &Path) -> Report {
    let plan = match plan::load(file) {
        Ok(plan) => plan,
        Err(e) => return Report { plan: None, problems: vec![describe(&e, std::fs::read_to_string(file).ok())] },
    };
    let problems = compile_each(&plan).into_iter().map(|(e, text)| describe(&e, text)).collect();
    Report { plan: Some(plan), problems }
}

/// Compiles each policy of a loaded plan on its own; every error, with the script's text.
pub fn compile_each(plan: &Plan) -> Vec<(Error, Option<String>)> {
    let mut problems = Vec::new();
    for spec in &plan.policies {
        let single = Plan { policies: vec![spec.clone()], ..plan.clone() };
        if let Err(e) = CompiledPlan::new(single) {
            // A plan error (a param) points into the plan; the others into the script.
            let text = match (&e, &spec.source) {
                (Error::Plan { .. }, _) => Some(plan.text.clone()),
                (_, plan::Source::Script { text, .. }) => Some(text.clone()),
                (_, plan::Source::Plugin { .. }) => None,
            };
            problems.push((e, text));
        }
    }
    problems
}

/// The error, and under it the line it points at with a caret, when it points at one.
pub fn describe(err: &Error, text: Option<String>) -> String {
    let message = err.to_string();
    match (err.position(), text) {
        (Some(Position { line, column }), Some(text)) => match text.lines().nth(line.saturating_sub(1)) {
            Some(source) => {
                let gutter = line.to_string().len();
                let caret = " ".repeat(column.saturating_sub(1));
                format!("{message}\n{line} | {source}\n{:gutter$} | {caret}^", "")
            }
            None => message,
        },
        _ => message,
    }
}
