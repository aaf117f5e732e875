//! The operator's commands, run as the real binary: accounts are refused with a Chinese
//! message and a non-zero exit when their username or password would be unsafe.

use std::process::{Command, Output};

/// The real binary, on SQLite in `dir`, with cheap password hashes.
pub(crate) fn zhucun(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhucun-server"))
        .args(args)
        .env("ZHUCUN_DATA_DIR", dir)
        .env_remove("ZHUCUN_DATABASE_URL")
        .env_remove("ZHUCUN_NEW_PASSWORD")
        .env("ZHUCUN_ARGON2_MEMORY_KIB", "1024")
        .env("ZHUCUN_ARGON2_ITERATIONS", "1")
        .output()
        .unwrap()
}

fn add(dir: &std::path::Path, username: &str, password: &str) -> Output {
    zhucun(
        dir,
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            "李明",
            "--township",
            "青峰乡",
            "--role",
            "resident_member",
            "--password",
            password,
        ],
    )
}

#[test]
fn unsafe_usernames_and_passwords_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for (username, password, says) in [
        ("li", "", "密码至少"),
        ("li", "password123", "太常见"),
        ("liming", "liming-2026-x", "不得包含用户名"),
        ("admin\u{200B}", "马蹄湾-橘子-47-晴", "U+200B"),
        ("a b", "马蹄湾-橘子-47-晴", "用户名只能"),
    ] {
        let out = add(dir.path(), username, password);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{username:?}/{password:?} was accepted"
        );
        assert!(err.contains(says), "{username:?}/{password:?}: {err}");
    }
    // A good pair gets as far as the township, which does not exist yet.
    let out = add(dir.path(), "li", "马蹄湾-橘子-47-晴");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("乡镇“青峰乡”不存在"), "{err}");
}
