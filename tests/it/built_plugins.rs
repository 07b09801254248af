//! The WASM plugins of `plugins/`, built from source for `wasm32-unknown-unknown` the first time
//! a test or the benchmark asks for one (no `.wasm` is checked in, so every module traces to its
//! source). The `payplan` binary never needs them, so its build does not wait for them. Shared by
//! the tests and the engine benchmark (`#[path]`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TARGET: &str = "wasm32-unknown-unknown";

/// The folder of the built plugins (`<name>.wasm`); `PAYPLAN_PLUGINS` names it when a parent
/// process built them already.
pub(crate) fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| match std::env::var_os("PAYPLAN_PLUGINS") {
        Some(folder) => PathBuf::from(folder),
        None => build(),
    })
}

fn build() -> PathBuf {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugins");
    ensure_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--release", "--locked", "--quiet", "--target", TARGET, "--manifest-path"])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings (host rustflags, its target dir, a wrapper) are not the guests'.
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        build.env_remove(var);
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the WASM plugins in {} failed", plugins.display());
    target_dir.join(TARGET).join("release")
}

/// Installs the wasm32 target when this toolchain lacks it (rust-toolchain.toml lists it too).
fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
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
