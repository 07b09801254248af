//! The README's "Write a policy" example runs as written.

use crate::support::{evaluate_at, repo, rows};

/// The first fenced block of `lang` after `heading` in the README.
pub fn readme_block(heading: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme.find(heading).expect("the README has the section")..];
    let fence = format!("```{lang}\n");
    let start = section.find(&fence).expect("the section has the block") + fence.len();
    section[start..start + section[start..].find("```").unwrap()].to_string()
}

#[test]
fn the_readme_policy_example_pays_big_new_deals() {
    let dir = tempfile::tempdir().unwrap();
    let script = readme_block("## Write a policy", "rhai");
    std::fs::write(dir.path().join("big_deal.rhai"), script).unwrap();
    let policy = readme_block("## Write a policy", "toml").replace("../policies/big_deal.rhai", "big_deal.rhai");
    let plan = format!("id = \"readme\"\nversion = \"1\"\ncurrency = \"CNY\"\n{policy}");
    let period = std::fs::read_to_string(repo().join("examples/period-2026-03.json")).unwrap();
    let result = evaluate_at(&dir.path().join("plan.toml"), &plan, &period, 1).unwrap();
    let who: Vec<String> = rows(&result).iter().map(|r| r.split(' ').next().unwrap().to_string()).collect();
    assert_eq!(who, ["p001", "p002", "p003", "p006", "p007", "p008", "p013"]);
    assert!(rows(&result).iter().all(|r| r.ends_with("big_deal big_deal 500.00")));
}
