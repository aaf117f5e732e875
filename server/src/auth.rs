//! Accounts: argon2id password hashes, bearer tokens (only their SHA-256 is stored), the caller
//! of a request, and the throttle on failed logins.

use crate::error::ApiError;
use crate::store::Store;
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{NaiveDate, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::role::Role;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Hashes a password with argon2id at the configured cost. CPU-heavy: call off the async threads.
pub fn hash_password(
    password: &str,
    memory_kib: u32,
    iterations: u32,
) -> Result<String, PasswordError> {
    let params = Params::new(memory_kib, iterations, 1, None)
        .map_err(|e| PasswordError::Params(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a PHC hash string (its own parameters are used). CPU-heavy.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh bearer token and the hash under which it is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Refuses logins for a username after too many failures within a window, whatever the
/// password: guessing is slowed to `max` tries per window. Kept in memory, per server process.
pub struct LoginThrottle {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max: max.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Err(seconds to wait) while the username is locked.
    pub fn check(&self, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(&Self::key(username)) else {
            return Ok(());
        };
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() as u32 >= self.max {
            let oldest = times.iter().min().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Bound the memory an attacker spraying usernames can take.
        if map.len() > 100_000 {
            let now = Instant::now();
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        map.entry(Self::key(username))
            .or_default()
            .push(Instant::now());
    }

    pub fn clear(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Self::key(username));
    }
}

/// The authenticated person making a request, with their assignments.
#[derive(Clone, Debug)]
pub struct Caller {
    pub person: Person,
    pub assignments: Vec<Assignment>,
}

impl Caller {
    /// Roles held on `day`.
    pub fn roles_on(&self, day: NaiveDate) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .assignments
            .iter()
            .filter(|a| a.overlaps(day, day))
            .map(|a| a.role)
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or(ApiError::Unauthenticated)?;
        let person_id = state
            .store
            .session_person(&token_hash(token), Utc::now())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let person = state
            .store
            .person(person_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let assignments = state.store.assignments_of(person_id).await?;
        Ok(Caller {
            person,
            assignments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("青峰村2026", 1024, 1).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("青峰村2026", &h));
        assert!(!verify_password("青峰村2027", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn throttle_locks_after_max_failures_and_clears_on_success() {
        let t = LoginThrottle::new(3, Duration::from_secs(600));
        for _ in 0..3 {
            assert!(t.check("Zhang").is_ok());
            t.record_failure("zhang");
        }
        let wait = t.check("ZHANG").unwrap_err();
        assert!(wait > 0 && wait <= 600);
        assert!(t.check("li").is_ok());
        t.clear("zhang");
        assert!(t.check("zhang").is_ok());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), ha);
        assert_ne!(a, ha);
    }
}
