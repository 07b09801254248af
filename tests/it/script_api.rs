//! The script API reference (`host/src/runtime/rhai/API.md`) is hand-kept; this holds it to the
//! functions and properties the engine registers, both ways, so it cannot drift; and `why`, which
//! promises to write values as interpolation does, to that promise.

use crate::support::repo;
use payplan::plan::limits::Limits;
use std::collections::BTreeSet;

/// Each registered (receiver type, member) pair: `("Context", "pay")`, `("", "pct")`.
fn registered() -> BTreeSet<(String, String)> {
    let engine = payplan::runtime::rhai::engine(&Limits::default());
    let mut members = BTreeSet::new();
    for signature in engine.gen_fn_signatures(false) {
        let (name, rest) = signature.split_once('(').unwrap();
        let receiver = rest.strip_prefix("_: &mut ").map_or("", |r| r.split([',', ')']).next().unwrap());
        let name = name.strip_prefix("get$").unwrap_or(name);
        if ["to_string", "to_debug"].contains(&name)
            || name.starts_with("index$")
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            continue; // printing, indexing (`params["x"]`), and the date operators (documented as a group)
        }
        members.insert((receiver.to_owned(), name.to_owned()));
    }
    members
}

/// The part of API.md that documents a receiver.
fn section<'a>(doc: &'a str, receiver: &str) -> &'a str {
    let start = match receiver {
        "Context" => "## `ctx` (Context)",
        "Participant" => "## `p` (Participant)",
        "Deal" => "- Deal:",
        "Team" => "- Team:",
        "Group" => "- Group:",
        "Params" => "- Params",
        "" => "## Deals, teams, groups, dates",
        "array" | "map" | "Map" => "## Lists",
        other => panic!("API.md has no section for {other}"),
    };
    let from = doc.find(start).unwrap_or_else(|| panic!("API.md lacks {start:?}"));
    let rest = &doc[from + start.len()..];
    // A `##` section runs to the next one; a list item, to the next item or paragraph.
    let end = if start.starts_with("##") {
        rest.find("\n## ")
    } else {
        [rest.find("\n- "), rest.find("\n\n")].into_iter().flatten().min()
    };
    let end = end.unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn every_registered_function_and_property_is_documented_and_nothing_else() {
    let doc = std::fs::read_to_string(repo().join("host/src/runtime/rhai/API.md")).unwrap();
    let members = registered();
    assert!(members.len() > 50, "{members:?}");
    for (receiver, name) in &members {
        let text = section(&doc, receiver);
        let mentioned = if receiver == "Context" {
            text.contains(&format!("`ctx.{name}`")) || text.contains(&format!("`ctx.{name}("))
        } else {
            text.contains(&format!("`{name}`"))
                || text.contains(&format!("`{name}("))
                || text.contains(&format!("`p.{name}("))
        };
        assert!(mentioned, "{receiver}.{name} is registered but API.md does not document it");
    }
    // The other way: every `ctx.name` in the reference exists.
    let documented: BTreeSet<&str> = doc
        .split("`ctx.")
        .skip(1)
        .map(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap())
        .collect();
    for name in documented {
        assert!(
            members.contains(&("Context".to_owned(), name.to_owned())),
            "API.md documents ctx.{name}, which the engine does not register"
        );
    }
}

/// `why("{}", x)` writes every kind of value as `${x}` does: the native writer of decimals,
/// numbers and flags, and `to_string` for the rest, cannot drift from interpolation unseen.
#[test]
fn why_writes_each_kind_of_value_as_interpolation_does() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
fn participant(ctx, p) {
    let values = [1.50, -0.25, 0, 42, -7, true, false, 'c', "text", "", (), [1, 2.5, "x"], #{a: 1, b: [()]},
                  p, ctx.params, ctx.money(1234.5), pct(0.125), p.sales, p.target];
    for x in values {
        if why("{}", x) != `${x}` {
            throw `why wrote "${why("{}", x)}" where interpolation wrote "${x}"`;
        }
    }
    ctx.pay(p, "ok", 1, [why("{} has {} of {}", p, p.sales, ctx.params.rate)]);
}
"#;
    std::fs::write(dir.path().join("kinds.rhai"), script).unwrap();
    let plan = "id = \"t\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"kinds\"\nscript = \"kinds.rhai\"\n\
                [policy.params]\nrate = 0.030\n";
    let result = crate::support::evaluate_at(&dir.path().join("plan.toml"), plan, crate::hostile::PERIOD, 1).unwrap();
    let explained: Vec<&str> = result.payouts.iter().map(|p| p.explain[0].as_str()).collect();
    assert_eq!(explained, ["a has 150 of 0.030", "b has 0 of 0.030"]);
}
