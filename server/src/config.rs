//! Configuration: defaults, overridden by a TOML file, overridden by `ZHUCUN_*` environment
//! variables (`ZHUCUN_BIND`, `ZHUCUN_DATABASE_URL`, … one per field, upper-cased).

use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite database, photos and upload parts live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; absent: `zhucun.sqlite` in the data directory.
    pub database_url: Option<String>,
    /// How long a login token lives unused; each use renews it (sliding), up to
    /// `token_max_hours` after the login. Long, because phones work offline for days.
    pub token_ttl_hours: i64,
    /// Longest a login token lives however often it is used; then the person signs in again.
    pub token_max_hours: i64,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest photo file, and largest upload chunk.
    pub max_photo_bytes: u64,
    pub max_chunk_bytes: usize,
    /// Largest width or height a photo may decode to; larger ones are refused (decompression bombs).
    pub max_image_side: u32,
    /// Most memory a photo may take to decode.
    pub max_decode_bytes: u64,
    /// Most pixels (width × height, read from the file's header before decoding) a photo may
    /// have; larger ones are refused without being decoded.
    pub max_image_pixels: u64,
    /// Per person: most bytes of unfinished uploads held at once, and most unfinished uploads.
    /// An upload past either is refused (409 `upload_quota`) until one finishes or expires.
    /// The bytes allowed are never fewer than `max_photo_bytes`: one whole file always fits.
    pub max_parked_upload_bytes: u64,
    pub max_parked_uploads: u32,
    /// An unfinished upload not added to for this long is deleted.
    pub upload_expiry_secs: u64,
    /// Failed logins allowed for one username from one client address before each further
    /// try must wait (2 s, then 4 s, 8 s … up to `login_max_backoff_secs`). Other addresses,
    /// and other people behind the same address, are not slowed.
    pub login_max_failures: u32,
    pub login_max_backoff_secs: u64,
    /// Failures are forgotten after this long without one.
    pub login_window_secs: u64,
    /// Behind a reverse proxy: the header that carries the client's address (`X-Forwarded-For`
    /// or `X-Real-IP`), believed only from the addresses in `trusted_proxies`.
    pub client_ip_header: Option<String>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `/metrics` answers only with `Authorization: Bearer <metrics_token>`; without a token
    /// it is not served on `bind` at all. `metrics_bind` serves it, without a token, on an
    /// address of its own (a private interface for Prometheus).
    pub metrics_token: Option<String>,
    pub metrics_bind: Option<SocketAddr>,
    /// Most connections open at once; more are answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// A request's headers must arrive within this long, and an idle kept-alive connection is
    /// closed after it.
    pub header_read_timeout_secs: u64,
    /// A request body that sends nothing for this long is abandoned (408).
    pub body_read_timeout_secs: u64,
    /// argon2id cost. The defaults follow OWASP's minimum; tests lower them.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// At most this many evaluations (CPU-heavy) run at once.
    pub max_concurrent_evaluations: usize,
    /// A record received more than this many days after its capture carries a late-receipt
    /// mark (上传延迟) on the report and in the spot-check queue. Syncing days late is normal
    /// in a village without signal; the mark only shows the delay.
    pub late_receipt_days: u32,
    /// A month's verdicts are provisional through this day of the next month (its grace date:
    /// the 5th, when the township reports to the county), then final (月结); a record arriving
    /// later re-opens the month. 1 to 28.
    pub month_grace_day: u32,
    /// Whether this server's worker brings the provisional verdicts of everyone posted to each
    /// new day (and to new rules, calendars and postings) before the pages read them
    /// (`verdicts::warm`). Off on a server sharing its database with another that does: the
    /// reads still evaluate what is stale, only later.
    pub warm_verdicts: bool,
    /// The console's base map: `none` (boundaries, households and tracks on a plain
    /// background; works with no internet), `osm`, `tianditu` (needs `tianditu_key`), `amap`
    /// or `tencent` (GCJ-02 tiles: positions are converted for display only).
    pub console_base_map: BaseMapKind,
    pub tianditu_key: Option<String>,
    /// The console's cookies are sent over HTTPS only (set when served behind TLS).
    pub console_secure_cookie: bool,
}

/// The console's base map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseMapKind {
    #[default]
    None,
    Osm,
    Tianditu,
    Amap,
    Tencent,
}

impl std::str::FromStr for BaseMapKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "none" => Ok(Self::None),
            "osm" => Ok(Self::Osm),
            "tianditu" => Ok(Self::Tianditu),
            "amap" => Ok(Self::Amap),
            "tencent" => Ok(Self::Tencent),
            other => Err(format!(
                "expected none, osm, tianditu, amap or tencent, not {other}"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("zhucun-data"),
            database_url: None,
            token_ttl_hours: 24 * 14,
            token_max_hours: 24 * 90,
            max_body_bytes: 8 * 1024 * 1024,
            max_photo_bytes: zhucun_shared::attachment::MAX_ATTACHMENT_BYTES,
            max_chunk_bytes: 4 * 1024 * 1024,
            max_image_side: 10_000,
            max_decode_bytes: 256 * 1024 * 1024,
            max_image_pixels: 40_000_000,
            max_parked_upload_bytes: 2 * zhucun_shared::attachment::MAX_ATTACHMENT_BYTES,
            max_parked_uploads: 8,
            upload_expiry_secs: 6 * 3600,
            login_max_failures: 5,
            login_max_backoff_secs: 15 * 60,
            login_window_secs: 15 * 60,
            client_ip_header: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            metrics_bind: None,
            max_connections: 512,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            log_format: LogFormat::Pretty,
            max_concurrent_evaluations: 2,
            late_receipt_days: 3,
            month_grace_day: zhucun_shared::month_close::DEFAULT_GRACE_DAY,
            warm_verdicts: true,
            console_base_map: BaseMapKind::None,
            tianditu_key: None,
            console_secure_cookie: false,
        }
    }
}

/// The database URL and the metrics token are the secrets here.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::store::redact_url),
            )
            .field("token_ttl_hours", &self.token_ttl_hours)
            .field("token_max_hours", &self.token_max_hours)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_photo_bytes", &self.max_photo_bytes)
            .field("max_chunk_bytes", &self.max_chunk_bytes)
            .field("max_image_side", &self.max_image_side)
            .field("max_decode_bytes", &self.max_decode_bytes)
            .field("max_image_pixels", &self.max_image_pixels)
            .field("max_parked_upload_bytes", &self.max_parked_upload_bytes)
            .field("max_parked_uploads", &self.max_parked_uploads)
            .field("upload_expiry_secs", &self.upload_expiry_secs)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_max_backoff_secs", &self.login_max_backoff_secs)
            .field("login_window_secs", &self.login_window_secs)
            .field("client_ip_header", &self.client_ip_header)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("metrics_bind", &self.metrics_bind)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("argon2_iterations", &self.argon2_iterations)
            .field("log_format", &self.log_format)
            .field(
                "max_concurrent_evaluations",
                &self.max_concurrent_evaluations,
            )
            .field("late_receipt_days", &self.late_receipt_days)
            .field("month_grace_day", &self.month_grace_day)
            .field("warm_verdicts", &self.warm_verdicts)
            .field("console_base_map", &self.console_base_map)
            .field("tianditu_key", &self.tianditu_key.as_ref().map(|_| "***"))
            .field("console_secure_cookie", &self.console_secure_cookie)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("setting {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl Config {
    /// Defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.check()?;
        Ok(config)
    }

    /// Checks values that parse but make no sense, naming the setting.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(1..=28).contains(&self.month_grace_day) {
            return Err(ConfigError::Invalid {
                field: "month_grace_day",
                message: format!(
                    "a day of the month from 1 to 28 (every month has it), not {}",
                    self.month_grace_day
                ),
            });
        }
        Ok(())
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })
    }

    /// Applies `ZHUCUN_<FIELD>` variables looked up through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(var: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                var: var.to_string(),
                message: e.to_string(),
            })
        }
        macro_rules! env {
            ($field:ident, $var:literal) => {
                if let Some(v) = get($var) {
                    self.$field = parse($var, &v)?;
                }
            };
        }
        env!(bind, "ZHUCUN_BIND");
        if let Some(v) = get("ZHUCUN_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("ZHUCUN_DATABASE_URL") {
            self.database_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        env!(token_ttl_hours, "ZHUCUN_TOKEN_TTL_HOURS");
        env!(token_max_hours, "ZHUCUN_TOKEN_MAX_HOURS");
        env!(max_body_bytes, "ZHUCUN_MAX_BODY_BYTES");
        env!(max_photo_bytes, "ZHUCUN_MAX_PHOTO_BYTES");
        env!(max_chunk_bytes, "ZHUCUN_MAX_CHUNK_BYTES");
        env!(max_image_side, "ZHUCUN_MAX_IMAGE_SIDE");
        env!(max_decode_bytes, "ZHUCUN_MAX_DECODE_BYTES");
        env!(max_image_pixels, "ZHUCUN_MAX_IMAGE_PIXELS");
        env!(max_parked_upload_bytes, "ZHUCUN_MAX_PARKED_UPLOAD_BYTES");
        env!(max_parked_uploads, "ZHUCUN_MAX_PARKED_UPLOADS");
        env!(upload_expiry_secs, "ZHUCUN_UPLOAD_EXPIRY_SECS");
        env!(login_max_failures, "ZHUCUN_LOGIN_MAX_FAILURES");
        env!(login_max_backoff_secs, "ZHUCUN_LOGIN_MAX_BACKOFF_SECS");
        env!(login_window_secs, "ZHUCUN_LOGIN_WINDOW_SECS");
        if let Some(v) = get("ZHUCUN_CLIENT_IP_HEADER") {
            self.client_ip_header = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("ZHUCUN_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .filter(|a| !a.trim().is_empty())
                .map(|a| parse("ZHUCUN_TRUSTED_PROXIES", a))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("ZHUCUN_METRICS_TOKEN") {
            self.metrics_token = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("ZHUCUN_METRICS_BIND") {
            self.metrics_bind = Some(parse("ZHUCUN_METRICS_BIND", &v)?);
        }
        env!(max_connections, "ZHUCUN_MAX_CONNECTIONS");
        env!(header_read_timeout_secs, "ZHUCUN_HEADER_READ_TIMEOUT_SECS");
        env!(body_read_timeout_secs, "ZHUCUN_BODY_READ_TIMEOUT_SECS");
        env!(argon2_memory_kib, "ZHUCUN_ARGON2_MEMORY_KIB");
        env!(console_base_map, "ZHUCUN_CONSOLE_BASE_MAP");
        env!(console_secure_cookie, "ZHUCUN_CONSOLE_SECURE_COOKIE");
        if let Some(v) = get("ZHUCUN_TIANDITU_KEY") {
            self.tianditu_key = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
        env!(argon2_iterations, "ZHUCUN_ARGON2_ITERATIONS");
        env!(
            max_concurrent_evaluations,
            "ZHUCUN_MAX_CONCURRENT_EVALUATIONS"
        );
        env!(late_receipt_days, "ZHUCUN_LATE_RECEIPT_DAYS");
        env!(month_grace_day, "ZHUCUN_MONTH_GRACE_DAY");
        env!(warm_verdicts, "ZHUCUN_WARM_VERDICTS");
        if let Some(v) = get("ZHUCUN_LOG_FORMAT") {
            self.log_format = match v.trim() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::Env {
                        var: "ZHUCUN_LOG_FORMAT".into(),
                        message: format!("`{other}` is neither pretty nor json"),
                    })
                }
            };
        }
        Ok(())
    }

    /// The database to open: the configured URL, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("zhucun.sqlite").display()
            ),
        }
    }

    /// Cheap password hashing, for tests and benchmarks only.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zhucun.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nlogin_max_failures = 3\n").unwrap();
        let mut c = Config::from_file(&path).unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.login_max_failures, 3);
        assert_eq!(c.token_ttl_hours, Config::default().token_ttl_hours);
        let env: HashMap<&str, &str> = [
            ("ZHUCUN_BIND", "127.0.0.1:9100"),
            ("ZHUCUN_DATABASE_URL", "postgres://u:pw@h/db"),
        ]
        .into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.bind.port(), 9100);
        assert_eq!(c.login_max_failures, 3);
        assert_eq!(c.database_url(), "postgres://u:pw@h/db");
        let shown = format!("{c:?}");
        assert!(!shown.contains("pw@"), "{shown}");
    }

    #[test]
    fn bad_values_name_their_source() {
        let mut c = Config::default();
        let err = c
            .apply_env(|k| (k == "ZHUCUN_LOGIN_MAX_FAILURES").then(|| "many".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("ZHUCUN_LOGIN_MAX_FAILURES"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "bnd = \"x\"").unwrap();
        assert!(Config::from_file(&path)
            .unwrap_err()
            .to_string()
            .contains("bnd"));
    }

    #[test]
    fn the_grace_day_comes_from_the_environment_and_is_a_day_every_month_has() {
        let mut c = Config::default();
        assert_eq!(c.month_grace_day, 5);
        c.apply_env(|k| (k == "ZHUCUN_MONTH_GRACE_DAY").then(|| "10".to_string()))
            .unwrap();
        assert_eq!(c.month_grace_day, 10);
        c.check().unwrap();
        for bad in [0, 29, 31] {
            c.month_grace_day = bad;
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains("month_grace_day"), "{err}");
        }
    }
}
