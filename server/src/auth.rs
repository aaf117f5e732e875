//! Accounts: argon2id password hashes, bearer tokens (only their SHA-256 is stored), the caller
//! of a request, and the throttle on failed logins.

use crate::error::ApiError;
use crate::store::Store;
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{NaiveDate, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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

/// Most usernames (and, apart, client addresses) the throttle keeps track of: memory stays
/// bounded however many names an attacker sprays.
pub const MAX_THROTTLE_KEYS: usize = 100_000;

/// Refuses logins for a username, and for a client address, after too many failures within a
/// window, whatever the password: guessing is slowed to `max` tries per username (and
/// `max_per_ip` per address) per window. Each attempt is reserved, and counted as failed,
/// before its password is checked, so parallel requests cannot slip past the count; a
/// success gives its reservation back. Kept in memory, per server process.
pub struct LoginThrottle {
    max: u32,
    max_per_ip: u32,
    window: Duration,
    attempts: Mutex<Attempts>,
}

#[derive(Default)]
struct Attempts {
    by_user: HashMap<String, Vec<Instant>>,
    by_ip: HashMap<IpAddr, Vec<Instant>>,
}

/// Seconds to wait while `times` (pruned to the window) has reached `max`.
fn locked(times: &mut Vec<Instant>, max: u32, window: Duration, now: Instant) -> Option<u64> {
    times.retain(|t| now.duration_since(*t) < window);
    if times.len() as u32 >= max {
        let oldest = times.iter().min().copied().unwrap_or(now);
        return Some(
            window
                .saturating_sub(now.duration_since(oldest))
                .as_secs()
                .max(1),
        );
    }
    None
}

/// Makes room for `key` in `map`: forgets keys with no attempt left in the window; false when
/// the map is still full of live keys.
fn room_for<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Vec<Instant>>,
    key: &K,
    window: Duration,
    now: Instant,
) -> bool {
    if map.contains_key(key) || map.len() < MAX_THROTTLE_KEYS {
        return true;
    }
    map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < window));
    map.len() < MAX_THROTTLE_KEYS
}

impl LoginThrottle {
    pub fn new(max: u32, max_per_ip: u32, window: Duration) -> Self {
        Self {
            max: max.max(1),
            max_per_ip: max_per_ip.max(1),
            window,
            attempts: Mutex::new(Attempts::default()),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Reserves one attempt for `username` from `ip`, counted as failed until [`Self::succeeded`];
    /// Err(seconds to wait) while the username or the address is locked.
    pub fn reserve(&self, username: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let key = Self::key(username);
        let mut a = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let user_wait = a
            .by_user
            .get_mut(&key)
            .and_then(|t| locked(t, self.max, self.window, now));
        let ip_wait = ip
            .and_then(|ip| a.by_ip.get_mut(&ip))
            .and_then(|t| locked(t, self.max_per_ip, self.window, now));
        if let Some(wait) = user_wait.max(ip_wait) {
            return Err(wait);
        }
        // With every slot taken by live keys, refuse rather than forget someone's failures.
        if !room_for(&mut a.by_user, &key, self.window, now)
            || ip.is_some_and(|ip| !room_for(&mut a.by_ip, &ip, self.window, now))
        {
            return Err(self.window.as_secs().max(1));
        }
        a.by_user.entry(key).or_default().push(now);
        if let Some(ip) = ip {
            a.by_ip.entry(ip).or_default().push(now);
        }
        Ok(())
    }

    /// A reserved attempt succeeded: the username's failures are forgotten, and the address
    /// gets its reservation back.
    pub fn succeeded(&self, username: &str, ip: Option<IpAddr>) {
        let mut a = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        a.by_user.remove(&Self::key(username));
        if let Some(times) = ip.and_then(|ip| a.by_ip.get_mut(&ip)) {
            times.pop();
        }
    }
}

/// The client's address, when the server was started with it (see [`crate::serve`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
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
    fn throttle_locks_after_max_attempts_and_clears_on_success() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(600));
        for _ in 0..3 {
            assert!(t.reserve("Zhang", None).is_ok());
        }
        let wait = t.reserve("ZHANG", None).unwrap_err();
        assert!(wait > 0 && wait <= 600);
        assert!(t.reserve("li", None).is_ok());
        t.succeeded("zhang", None);
        assert!(t.reserve("zhang", None).is_ok());
    }

    #[test]
    fn throttle_locks_an_address_across_usernames() {
        let ip: IpAddr = [10, 0, 0, 7].into();
        let t = LoginThrottle::new(3, 4, Duration::from_secs(600));
        for name in ["a", "b", "c", "d"] {
            assert!(t.reserve(name, Some(ip)).is_ok());
        }
        assert!(t.reserve("e", Some(ip)).is_err());
        assert!(t.reserve("e", Some([10, 0, 0, 8].into())).is_ok());
        // Successes give the address its reservations back.
        t.succeeded("d", Some(ip));
        assert!(t.reserve("e", Some(ip)).is_ok());
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
