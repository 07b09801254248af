//! The README's "Write a policy" example runs as written.

use crate::support::{evaluate_at, repo, rows};

/// The fenced blocks of `lang` in the README's section `heading`, in order.
pub(crate) fn readme_blocks(heading: &str, lang: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let heading = format!("{heading}\n");
    let section = &readme[readme.find(&heading).expect("the README has the section") + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let fence = format!("```{lang}\n");
    section.split(&fence).skip(1).map(|block| block[..block.find("```").unwrap()].to_string()).collect()
}

fn readme_block(heading: &str, lang: &str) -> String {
    readme_blocks(heading, lang).remove(0)
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
    // p005 shares d003 by a split, p012 has an overlay credit on d011: both deals credit them.
    assert_eq!(who, ["p001", "p002", "p003", "p005", "p006", "p007", "p008", "p012", "p013", "p014"]);
    assert!(rows(&result).iter().all(|r| r.ends_with("big_deal big_deal 500.00")));
}

#[test]
fn the_readme_plugin_walkthrough_is_the_plugin_in_the_repository_and_runs() {
    let heading = "## Write a policy as a WASM plugin";
    let tomls = readme_blocks(heading, "toml");
    let crate_dir = repo().join("plugins/spot_bonus");
    assert_eq!(tomls[0], std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap());
    assert_eq!(readme_block(heading, "rust"), std::fs::read_to_string(crate_dir.join("src/lib.rs")).unwrap());
    let built = crate::plugins::plugin("spot_bonus");
    let policy =
        tomls[1].replace("../plugins/target/wasm32-unknown-unknown/release/spot_bonus.wasm", &built.to_string_lossy());
    let plan = format!("id = \"readme\"\nversion = \"1\"\ncurrency = \"CNY\"\n{policy}");
    let period = std::fs::read_to_string(repo().join("examples/period-2026-03.json")).unwrap();
    let result = evaluate_at(&repo().join("examples/spot.toml"), &plan, &period, 1).unwrap();
    // Everyone at 100% of target or more: p001 exactly, p013 at 120%, p014 of a prorated target.
    let who: Vec<String> = rows(&result).iter().map(|r| r.split(' ').next().unwrap().to_string()).collect();
    assert_eq!(who, ["p001", "p003", "p006", "p007", "p012", "p013", "p014"]);
    assert!(rows(&result).iter().all(|r| r.ends_with("spot spot 500.00")));
}

#[test]
fn the_readme_policy_test_example_passes() {
    let dir = tempfile::tempdir().unwrap();
    let case = readme_block("## Designing a plan", "toml");
    let script = repo().join("policies/tiered_commission.rhai");
    let file = dir.path().join("readme.test.toml");
    std::fs::write(&file, format!("script = {:?}\n{case}", script.to_string_lossy())).unwrap();
    let out = crate::support::payplan(&["test", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("1 passed, 0 failed\n"));
}
