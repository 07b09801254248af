//! Builds the WASM plugins in `../plugins` from source for `wasm32-unknown-unknown`, so tests and
//! the benchmark use modules anyone can trace to their source (no `.wasm` is checked in). Their
//! folder is passed to the crate as `PAYPLAN_PLUGINS`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let plugins = manifest.join("../plugins");
    let sdk = manifest.join("../sdk");
    for path in [plugins.join("Cargo.toml"), plugins.join("Cargo.lock"), sdk.join("Cargo.toml"), sdk.join("src")] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for entry in std::fs::read_dir(&plugins).expect("plugins/ exists") {
        let crate_dir = entry.expect("a readable entry").path();
        if crate_dir.join("Cargo.toml").exists() {
            println!("cargo:rerun-if-changed={}", crate_dir.join("Cargo.toml").display());
            println!("cargo:rerun-if-changed={}", crate_dir.join("src").display());
        }
    }

    ensure_target();
    let target_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--release", "--locked", "--target", TARGET, "--manifest-path"])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings (clippy's wrapper, host rustflags, its target dir) are not the
    // guests'.
    for var in
        ["RUSTC_WORKSPACE_WRAPPER", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET"]
    {
        build.env_remove(var);
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the WASM plugins in {} failed", plugins.display());
    println!("cargo:rustc-env=PAYPLAN_PLUGINS={}", target_dir.join(TARGET).join("release").display());
}

/// Installs the wasm32 target when this toolchain lacks it (rust-toolchain.toml lists it too).
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(&rustc).args(["--print", "target-libdir", "--target", TARGET]).output();
    let installed =
        libdir.is_ok_and(|o| o.status.success() && Path::new(String::from_utf8_lossy(&o.stdout).trim()).exists());
    if !installed {
        let status = Command::new("rustup").args(["target", "add", TARGET]).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "the {TARGET} target is missing and `rustup target add {TARGET}` failed"
        );
    }
}
