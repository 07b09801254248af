//! The bundled example organisation: its result is checked in (reviewed by hand) and must not
//! move by a byte.

use crate::support::{payplan, repo, stdout};

const ARGS: [&str; 5] = ["eval", "--plan", "examples/plan.toml", "--period", "examples/period-2026-03.json"];

#[test]
fn example_result_matches_the_reviewed_file() {
    let out = payplan(&ARGS);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected = std::fs::read_to_string(repo().join("examples/expected.json")).unwrap();
    assert_eq!(stdout(&out), expected);
}

#[test]
fn example_result_is_the_same_on_one_thread_and_on_two() {
    let one = payplan(&[&ARGS[..], &["--threads", "1"]].concat());
    let two = payplan(&[&ARGS[..], &["--threads", "2"]].concat());
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn example_table_shows_each_participants_lines_and_total() {
    let out = payplan(&[&ARGS[..], &["--format", "table"]].concat());
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let at = lines.iter().position(|l| l.starts_with("p006")).expect("p006 has lines");
    assert_eq!(
        lines[at].split_whitespace().collect::<Vec<_>>(),
        ["p006", "Zhao", "Lei", "commission", "commission", "34666.50"]
    );
    let total = lines[at..].iter().find(|l| l.trim_start().starts_with("total")).unwrap();
    assert_eq!(total.split_whitespace().collect::<Vec<_>>(), ["total", "61796.52"]);
    assert!(text.contains("total 450778.00 over 53 lines"), "{text}");
}

/// The plan's text with every number in its params written as text (`0.03` → `"0.03"`).
fn numbers_as_text(plan: &str) -> (String, usize) {
    let (mut out, mut quoted, mut in_params) = (String::new(), 0, false);
    for line in plan.lines() {
        if line.starts_with('[') {
            in_params = line == "[policy.params]";
        }
        let (mut rest, mut in_string, mut after) = (line, false, ' ');
        while let Some(c) = rest.chars().next() {
            let starts_number = c.is_ascii_digit() && "=[{, ".contains(after) && !in_string && in_params;
            if starts_number {
                let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(rest.len());
                out.push_str(&format!("\"{}\"", &rest[..end]));
                quoted += 1;
                rest = &rest[end..];
                after = '"';
                continue;
            }
            in_string ^= c == '"';
            if !c.is_whitespace() || "=[{,".contains(after) {
                after = if c.is_whitespace() { after } else { c };
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out.push('\n');
    }
    (out, quoted)
}

#[test]
fn numbers_in_params_may_be_written_as_text() {
    // formats.md: in TOML a decimal may be a string or a bare number. Every standard policy is
    // in the example plan; with each of its numbers as text it pays exactly the same.
    let plan = std::fs::read_to_string(repo().join("examples/plan.toml")).unwrap();
    let (text, quoted) = numbers_as_text(&plan);
    assert!(quoted >= 30, "{quoted} numbers quoted:\n{text}");
    assert!(text.contains("threshold = \"1.20\"") && text.contains("{ at = \"0.80\", rate = \"0.03\" }"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, text.replace("../policies/", &format!("{}/", repo().join("policies").display()))).unwrap();
    let quoted = payplan(&["eval", "--plan", file.to_str().unwrap(), "--period", "examples/period-2026-03.json"]);
    assert!(quoted.status.success(), "{}", String::from_utf8_lossy(&quoted.stderr));
    let bare = payplan(&ARGS);
    let lines = |out: &std::process::Output| {
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (result["payouts"].clone(), result["scores"].clone(), result["totals"].clone())
    };
    assert_eq!(lines(&quoted), lines(&bare));
}

/// The example quarter (`examples/series/`): the three months recorded and closed in turn give
/// the reviewed results byte for byte, March replays, and the gate of a one-rate change names
/// exactly the participants who reached that tier.
#[test]
fn the_example_quarter_pays_the_reviewed_months_and_gates_a_rate_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    for (run, month) in ["2026-01", "2026-02", "2026-03"].iter().enumerate() {
        let period = format!("examples/series/{month}.json");
        let out = payplan(&[
            "--store",
            &store,
            "eval",
            "--plan",
            "examples/series/plan.toml",
            "--period",
            &period,
            "--record",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let expected = std::fs::read_to_string(repo().join(format!("examples/series/expected-{month}.json"))).unwrap();
        assert_eq!(stdout(&out), expected, "{month}");
        let run = (run + 1).to_string();
        assert!(payplan(&["--store", &store, "period", "close", month, "--run", &run]).status.success());
    }
    assert!(stdout(&payplan(&["--store", &store, "replay", "3"])).starts_with("MATCH"));

    // The breakthrough tier (120%) at 9% instead of 8%: a02 reached it in January, a01 and a04
    // in March (to date); a03 never did.
    let plan = std::fs::read_to_string(repo().join("examples/series/plan.toml")).unwrap();
    let policies = format!("{}/", repo().join("policies").display());
    let plan =
        plan.replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.09 }").replace("../../policies/", &policies);
    let plan = crate::support::write(dir.path(), "new.toml", &plan);
    let out = payplan(&["--store", &store, "gate", "--plan", &plan, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let gate: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut who: Vec<&str> = gate["periods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["lines"].as_array().unwrap())
        .map(|l| l["participant"].as_str().unwrap())
        .collect();
    who.dedup();
    who.sort();
    who.dedup();
    assert_eq!(who, ["a01", "a02", "a04"], "{gate}");
}
