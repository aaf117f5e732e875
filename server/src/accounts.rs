//! What makes a username and a password acceptable. Usernames are compared by their key —
//! NFKC, case folded — so that `Weak1` and `weak1`, or full-width `ａｄｍｉｎ` and `admin`, are one
//! account; invisible characters (a zero-width space after `admin`) are refused outright.
//! Passwords must be long enough, not built on the username, and not among the passwords
//! attackers try first (zxcvbn's estimate, which knows the 30,000 most common ones and their
//! keyboard, date and l33t variants).

use unicode_normalization::UnicodeNormalization;

pub const MAX_USERNAME_CHARS: usize = 64;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The key an account is stored and found under: NFKC, lower case, trimmed. Total: any text
/// has a key; [`check_username`] says whether the text may name an account at all.
pub fn username_key(username: &str) -> String {
    username.trim().nfkc().collect::<String>().to_lowercase()
}

/// Punctuation a username may hold besides letters and digits (of any script).
const USERNAME_PUNCTUATION: &[char] = &['.', '_', '-', '@'];

/// The key of a username a new account may take, or what is wrong with it (in Chinese).
pub fn check_username(username: &str) -> Result<String, String> {
    let key = username_key(username);
    let n = key.chars().count();
    if n == 0 || n > MAX_USERNAME_CHARS {
        return Err(format!("用户名须为 1 至 {MAX_USERNAME_CHARS} 个字符"));
    }
    if let Some(c) = key
        .chars()
        .find(|c| !c.is_alphanumeric() && !USERNAME_PUNCTUATION.contains(c))
    {
        return Err(format!(
            "用户名只能含文字、数字和 . _ - @，不能含“{}”(U+{:04X})",
            c.escape_default(),
            u32::from(c)
        ));
    }
    Ok(key)
}

/// Whether `password` may be set for `username`; the reason, in Chinese, when not.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("密码不得超过 {MAX_PASSWORD_CHARS} 个字符"));
    }
    if password.chars().any(char::is_control) {
        return Err("密码不得含控制字符".into());
    }
    let key = username_key(username);
    if !key.is_empty() && username_key(password).contains(&key) {
        return Err("密码不得包含用户名".into());
    }
    let estimate = zxcvbn::zxcvbn(password, &[&key, "zhucun", "驻村", "qingfeng"]);
    if u8::from(estimate.score()) < 3 {
        return Err(
            "密码太常见或太容易猜到，请换一个更长、更不规则的密码（如几个不相关的词加数字）".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_that_look_alike_share_a_key() {
        assert_eq!(username_key("Weak1"), username_key("weak1"));
        assert_eq!(username_key("ＡＤＭＩＮ"), "admin");
        assert_eq!(username_key(" admin "), "admin");
        assert_eq!(check_username("张三.li_2").unwrap(), "张三.li_2");
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for bad in [
            "admin\u{200B}",
            "ad\u{200D}min",
            "\u{FEFF}admin",
            "a b",
            "a\tb",
            "a/b",
            "",
        ] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        let long = "a".repeat(MAX_USERNAME_CHARS + 1);
        assert!(check_username(&long).is_err());
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        for (user, pw) in [
            ("li", ""),
            ("li", "short1"),
            ("wangwu", "wangwu2026!x"),
            ("li", "password123"),
            ("li", "qwertyuiop1"),
            ("li", "1234567890"),
        ] {
            let e = check_password(user, pw).unwrap_err();
            assert!(!e.is_empty(), "{pw}");
        }
        assert!(check_password("li", "马蹄湾-橘子-47-晴").is_ok());
        assert!(check_password("li", "correct horse battery").is_ok());
    }
}
