//! The plan reader: any text is a plan or an error naming a line and column inside the text, and
//! reading the same text twice gives the same plan hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

/// The one policy file the fuzzed plans can name (any other path is "not found").
const SCRIPT: &[u8] = b"fn participant(ctx, p) { ctx.pay(p, \"base\", p.sales * ctx.param(\"rate\"), \"\"); }";

fn read(path: &Path) -> Result<Vec<u8>, String> {
    if path.ends_with("a.rhai") { Ok(SCRIPT.to_vec()) } else { Err("not found".into()) }
}

fuzz_target!(|text: &str| {
    let file = PathBuf::from("plans/plan.toml");
    match payplan::plan::parse(&file, text, read) {
        Ok(plan) => {
            let again = payplan::plan::parse(&file, text, read).expect("a plan read once reads again");
            assert_eq!(plan.hash, again.hash);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
