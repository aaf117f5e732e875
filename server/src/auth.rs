//! Accounts: argon2id password hashes, bearer tokens (only their SHA-256 is stored), the caller
//! of a request, and the throttle on failed logins.

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{SessionRow, Store, ThrottleRow};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{NaiveDate, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use zhucun_shared::org::Access;
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

/// Whether `hash` is not an argon2id hash at the configured cost (an older or cheaper one,
/// such as the demo's): it is made again at the next successful login, so that checking any
/// account's password costs the same, and a wrong password takes as long to refuse for a
/// known name as for an unknown one.
pub fn needs_rehash(hash: &str, memory_kib: u32, iterations: u32) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm != argon2::ARGON2ID_IDENT
        || params.m_cost() != memory_kib
        || params.t_cost() != iterations
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

/// Most (username, address) keys the throttle keeps; beyond, the oldest are forgotten. The
/// table is bounded however many names an attacker sprays, and a full table refuses no one.
pub const MAX_THROTTLE_KEYS: u64 = 200_000;

/// How failed logins slow further tries of the same username from the same client address:
/// the first `free` failures cost nothing, then each further try waits 2 s, 4 s, 8 s … up to
/// `max_wait_s`; a success, or `window_s` without a failure, forgets them. Keyed by username
/// *and* address, so a guesser slows only themselves: the account's owner elsewhere, and the
/// other people behind a township's one NAT address, sign in as usual.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub free: u32,
    pub max_wait_s: u64,
    pub window_s: u64,
}

impl Backoff {
    /// One attempt at `now` (seconds) against the key's kept failures: Err(seconds to wait)
    /// while the key must wait; otherwise the row to keep, with this attempt counted as a
    /// failure until it succeeds (so parallel guesses cannot slip past the count).
    pub fn attempt(&self, held: Option<ThrottleRow>, now: i64) -> Result<ThrottleRow, u64> {
        let window = i64::try_from(self.window_s).unwrap_or(i64::MAX);
        let failures = match held {
            Some(h) if h.next_at > now => return Err((h.next_at - now) as u64),
            Some(h) if now.saturating_sub(h.last_at) < window => h.failures,
            _ => 0,
        }
        .saturating_add(1);
        let wait = match failures.checked_sub(self.free) {
            None => 0,
            Some(over) => (2u64 << over.min(40)).min(self.max_wait_s),
        };
        Ok(ThrottleRow {
            failures,
            last_at: now,
            next_at: now.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX)),
        })
    }
}

/// The throttle on failed logins, kept in the database so that every server instance on it
/// shares it.
pub struct LoginThrottle {
    backoff: Backoff,
    attempts: std::sync::atomic::AtomicU64,
}

/// Prune the table once per this many attempts.
const PRUNE_EVERY: u64 = 1_000;

impl LoginThrottle {
    pub fn new(backoff: Backoff) -> Self {
        Self {
            backoff,
            attempts: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn key(username: &str, ip: Option<IpAddr>) -> String {
        let ip = ip.map_or_else(|| "-".to_string(), |ip| ip.to_string());
        format!("{}|{ip}", crate::accounts::username_key(username))
    }

    /// Reserves one attempt for `username` from `ip`, counted as failed until
    /// [`Self::succeeded`]; Ok(Err(seconds to wait)) while it must wait.
    pub async fn reserve(
        &self,
        store: &impl Store,
        username: &str,
        ip: Option<IpAddr>,
        now: i64,
    ) -> Result<Result<(), u64>, crate::store::StoreError> {
        let n = self
            .attempts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % PRUNE_EVERY == 0 {
            let window = i64::try_from(self.backoff.window_s).unwrap_or(i64::MAX);
            store
                .throttle_prune(now.saturating_sub(window), MAX_THROTTLE_KEYS)
                .await?;
        }
        let backoff = self.backoff;
        let step = store
            .throttle_step(&Self::key(username, ip), move |held| {
                backoff.attempt(held, now)
            })
            .await?;
        Ok(step.map(|_| ()))
    }

    /// A reserved attempt succeeded: the key's failures are forgotten.
    pub async fn succeeded(
        &self,
        store: &impl Store,
        username: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), crate::store::StoreError> {
        store.throttle_clear(&Self::key(username, ip)).await
    }
}

/// The client's address: the peer's, or behind a trusted reverse proxy, the one the proxy
/// names in the configured header (`X-Forwarded-For`: the nearest address that is not itself
/// a trusted proxy; `X-Real-IP`: its one address).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn of(parts: &Parts, config: &crate::Config) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let (Some(peer), Some(header)) = (peer, config.client_ip_header.as_deref()) else {
            return ClientIp(peer);
        };
        if !config.trusted_proxies.contains(&peer) {
            return ClientIp(Some(peer));
        }
        let named = parts
            .headers
            .get_all(header)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let client = named
            .iter()
            .rev()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .find(|a| !config.trusted_proxies.contains(a));
        ClientIp(Some(client.unwrap_or(peer)))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(parts, &state.config))
    }
}

/// The authenticated person making a request, with their assignments and session.
#[derive(Clone, Debug)]
pub struct Caller {
    pub person: Person,
    pub assignments: Vec<Assignment>,
    pub session: SessionRow,
}

/// A session's use is written down at most this often (and its lifetime renewed then).
const RENEW_EVERY_S: i64 = 5 * 60;

impl Caller {
    /// Roles held on `day`.
    pub fn roles_on(&self, day: NaiveDate) -> Vec<Role> {
        zhucun_shared::org::roles_of(self.assignments.iter().filter(|a| a.overlaps(day, day)))
    }
}

impl Caller {
    /// What the caller may see on `day`, from the shared jurisdiction model (an admin's
    /// county resolved from the server's townships).
    pub async fn access(&self, state: &AppState, day: NaiveDate) -> Result<Access, ApiError> {
        Ok(access_of(&state.store, &self.person, &self.assignments, day).await?)
    }
}

/// What `person`, holding `assignments`, may see on `day`: the county office its county's
/// townships, everyone else what their assignments cover.
pub async fn access_of(
    store: &impl Store,
    person: &Person,
    assignments: &[Assignment],
    day: NaiveDate,
) -> Result<Access, crate::store::StoreError> {
    let townships = if assignments.iter().any(|a| a.role == Role::Admin) {
        store.townships().await?
    } else {
        Vec::new()
    };
    Ok(Access::of(person.id, assignments, day, &townships))
}

/// When a session used at `now` expires: `ttl_hours` later (sliding), but never more than
/// `max_hours` after it was opened.
pub fn session_expiry(
    created_at: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
    ttl_hours: i64,
    max_hours: i64,
) -> chrono::DateTime<Utc> {
    (now + chrono::Duration::hours(ttl_hours)).min(created_at + chrono::Duration::hours(max_hours))
}

/// The bearer token of a request, if it carries a plausible one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthenticated)?;
        Caller::of_token(state, token).await
    }
}

impl Caller {
    /// The person whose live session `token` opens (a bearer token, or the console's cookie):
    /// their session renewed when due, with their assignments.
    pub async fn of_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
        let now = state.clock.now();
        let mut session = state
            .store
            .session(&token_hash(token), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if (now - session.last_seen_at).num_seconds() >= RENEW_EVERY_S {
            let expires_at = session_expiry(
                session.created_at,
                now,
                state.config.token_ttl_hours,
                state.config.token_max_hours,
            );
            state
                .store
                .renew_session(&session.id, now, expires_at)
                .await?;
            (session.last_seen_at, session.expires_at) = (now, expires_at);
        }
        let person = state
            .store
            .person(session.person_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let assignments = state.store.assignments_of(person.id).await?;
        Ok(Caller {
            person,
            assignments,
            session,
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
        assert!(!needs_rehash(&h, 1024, 1));
        assert!(needs_rehash(&h, 19 * 1024, 2));
        assert!(needs_rehash("not a hash", 1024, 1));
    }

    #[test]
    fn failures_past_the_free_ones_wait_longer_each_time() {
        let b = Backoff {
            free: 3,
            max_wait_s: 60,
            window_s: 900,
        };
        let mut row = None;
        let mut waits = Vec::new();
        let mut now = 1_000;
        for _ in 0..9 {
            let r = b.attempt(row, now).unwrap();
            waits.push(r.next_at - now);
            now = r.next_at;
            row = Some(r);
        }
        assert_eq!(waits, [0, 0, 2, 4, 8, 16, 32, 60, 60]);
        // Too early: refused, with the seconds left.
        let r = row.unwrap();
        assert_eq!(b.attempt(row, r.next_at - 10), Err(10));
        // A quiet window forgets them.
        let later = b.attempt(row, r.next_at + 900).unwrap();
        assert_eq!(later.failures, 1);
    }

    #[test]
    fn the_throttle_key_is_the_username_key_and_the_address() {
        let ip: IpAddr = [10, 0, 0, 7].into();
        assert_eq!(
            LoginThrottle::key("ＷＥＡＫ1", Some(ip)),
            LoginThrottle::key("weak1", Some(ip))
        );
        assert_ne!(
            LoginThrottle::key("weak1", Some(ip)),
            LoginThrottle::key("weak1", Some([10, 0, 0, 8].into()))
        );
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
