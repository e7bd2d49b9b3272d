//! Builds the WebAssembly guests before the host.
//!
//! The first-party connectors are carried inside the `weir` binary, and the
//! test guests are needed by the host's tests, so every guest crate in the
//! workspace is built here for `wasm32-wasip2`, in release mode, by a nested
//! `cargo build`. That nested build uses its own target directory
//! (`<target>/guests`): a nested cargo on the outer build's directory would
//! wait forever for the lock the outer build holds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, wasm file stem, env var naming its path)
const GUESTS: &[(&str, &str, &str)] = &[
    ("weir-datagen", "weir_datagen", "WEIR_DATAGEN_WASM"),
    ("weir-postgres", "weir_postgres", "WEIR_POSTGRES_WASM"),
    ("weir-mongodb", "weir_mongodb", "WEIR_MONGODB_WASM"),
    ("weir-mysql", "weir_mysql", "WEIR_MYSQL_WASM"),
    ("weir-test-misbehave", "weir_test_misbehave", "WEIR_TEST_MISBEHAVE_WASM"),
    ("weir-test-pgproof", "weir_test_pgproof", "WEIR_TEST_PGPROOF_WASM"),
    ("minimal-connector", "minimal_connector", "WEIR_EXAMPLE_MINIMAL_WASM"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host/ lives in the workspace root").to_path_buf();
    for dir in ["plugins", "tests/guests", "examples/minimal-connector", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("Cargo.lock").display());

    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = guest_target_dir(&out_dir);
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--profile", "guest", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for (package, _, _) in GUESTS {
        cmd.args(["-p", package]);
    }
    // Flags meant for the host build must not leak into the guest build.
    for var in
        ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_BUILD_TARGET", "CARGO_TARGET_DIR", "RUSTC_WORKSPACE_WRAPPER"]
    {
        cmd.env_remove(var);
    }
    // Every host the worker runs on has SIMD, and wasmtime enables it by
    // default: the guests' string scans and copies use it.
    cmd.env("CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS", "-Ctarget-feature=+simd128");
    let status = cmd.status().expect("running cargo to build the wasm guests");
    if !status.success() {
        panic!(
            "building the wasm32-wasip2 guests failed (see the output above); \
             if the target is missing, run `rustup target add wasm32-wasip2`"
        );
    }
    let wasm_dir = target_dir.join("wasm32-wasip2").join("guest");
    for (_, stem, var) in GUESTS {
        let path = wasm_dir.join(format!("{stem}.wasm"));
        assert!(path.exists(), "guest build did not produce {}", path.display());
        println!("cargo:rustc-env={var}={}", path.display());
    }
}

/// `<target>/guests`, found from OUT_DIR (`<target>/<profile>/build/<pkg>/out`).
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let target = out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("target"));
    target.join("guests")
}
