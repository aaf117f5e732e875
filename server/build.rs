//! Names the build: the commit it was built from (or the package version outside a git
//! checkout). A kept verdict records the build that computed it, so that a new evaluator makes
//! the old verdicts stale instead of serving them.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let build = match commit {
        Some(c) => c,
        None => format!(
            "v{}",
            std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
        ),
    };
    println!("cargo:rustc-env=ZHUCUN_BUILD={build}");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
}
