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
        ["p006", "Zhao", "Lei", "commission", "commission", "34500.00"]
    );
    let total = lines[at..].iter().find(|l| l.trim_start().starts_with("total")).unwrap();
    assert_eq!(total.split_whitespace().collect::<Vec<_>>(), ["total", "52642.50"]);
    assert!(text.contains("total 356500.00 over 35 lines"), "{text}");
}
