//! Param declarations: a policy may say which params it takes (`fn params()` in a script), each
//! with a kind, whether it is required or its default, and a doc line. A plan's params are checked
//! against them when the policy compiles: unknown, missing and mistyped params are errors, and
//! defaults are filled in.

use serde_json::{Map, Value as Json};

/// The kinds a param can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An exact decimal: a number, or text that reads as one (`"1.20"`).
    Number,
    /// Text.
    String,
    /// `true` or `false`.
    Bool,
    /// A list.
    List,
    /// A table (map).
    Table,
    /// Anything.
    Any,
}

impl ParamKind {
    /// A kind by its name in a declaration.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "number" => Self::Number,
            "string" => Self::String,
            "bool" => Self::Bool,
            "list" => Self::List,
            "table" => Self::Table,
            "any" => Self::Any,
            _ => return None,
        })
    }

    /// The kind as declarations and messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::String => "string",
            Self::Bool => "bool",
            Self::List => "list",
            Self::Table => "table",
            Self::Any => "any",
        }
    }

    fn admits(self, value: &Json) -> bool {
        if let (Self::Number, Json::String(text)) = (self, value) {
            return payplan_sdk::exact::parse_decimal(text).is_some();
        }
        matches!(
            (self, value),
            (Self::Any, _)
                | (Self::Number, Json::Number(_))
                | (Self::String, Json::String(_))
                | (Self::Bool, Json::Bool(_))
                | (Self::List, Json::Array(_))
                | (Self::Table, Json::Object(_))
        )
    }
}

/// One declared param.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The key in `[policy.params]`.
    pub name: String,
    /// What it must be.
    pub kind: ParamKind,
    /// Whether the plan must give it (a param with a default never is).
    pub required: bool,
    /// One line saying what it does.
    pub doc: String,
}

/// A problem with a plan's params: the key it is about (`None`: the params as a whole) and why.
pub type Mismatch = (Option<String>, String);

/// Checks the plan's params against the declarations; every problem, in declaration order and
/// then in the plan's order for unknown keys.
pub fn check(declared: &[Declared], given: &Map<String, Json>) -> Vec<Mismatch> {
    let mut problems = Vec::new();
    for d in declared {
        match given.get(&d.name) {
            None if d.required => {
                problems.push((None, format!("missing param `{}` ({}): {}", d.name, d.kind.name(), d.doc)))
            }
            Some(value) if !d.kind.admits(value) => {
                problems
                    .push((Some(d.name.clone()), format!("param `{}` must be a {}: {}", d.name, d.kind.name(), d.doc)));
            }
            _ => {}
        }
    }
    for key in given.keys() {
        if !declared.iter().any(|d| &d.name == key) {
            let names: Vec<&str> = declared.iter().map(|d| d.name.as_str()).collect();
            problems.push((Some(key.clone()), format!("unknown param `{key}` (declared: {})", names.join(", "))));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Vec<Declared> {
        let d = |name: &str, kind, required| Declared { name: name.into(), kind, required, doc: format!("the {name}") };
        vec![d("tiers", ParamKind::List, true), d("method", ParamKind::String, false)]
    }

    #[test]
    fn unknown_missing_and_mistyped_params_are_each_named() {
        let given: Map<String, Json> = serde_json::from_str(r#"{"method": 3, "tierz": []}"#).unwrap();
        let problems = check(&declared(), &given);
        assert_eq!(
            problems,
            [
                (None, "missing param `tiers` (list): the tiers".to_string()),
                (Some("method".into()), "param `method` must be a string: the method".into()),
                (Some("tierz".into()), "unknown param `tierz` (declared: tiers, method)".into()),
            ]
        );
        let good: Map<String, Json> = serde_json::from_str(r#"{"tiers": []}"#).unwrap();
        assert!(check(&declared(), &good).is_empty());
    }
}
