//! The application: the state every request handler shares, built from the configuration and
//! the store, and the listeners that serve the router ([`crate::api::router`]).

use crate::clock::{Clock, SystemClock};
use crate::store::{AnyStore, Store};
use crate::{
    api, auth, config::Config, connections, evaluation_memory, metrics, photos, policy, store,
};
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use tokio::net::TcpListener;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    /// "Now" for request handling.
    pub clock: Arc<dyn Clock>,
    /// Every version of the rules and the calendar: a month is evaluated with those in force
    /// on its first day ([`AppState::policy_for`]). Loaded again when one is set while the
    /// server runs ([`AppState::refresh_policy`]).
    versions: std::sync::RwLock<Arc<policy::Versions>>,
    /// Wakes the worker that re-evaluates queued verdicts.
    pub verdict_work: tokio::sync::Notify,
    /// This server's name on the verdict queue's claims (unique to each start).
    pub worker_id: String,
    /// Held while this server drains the queue: its worker and any other caller of
    /// [`crate::verdicts::drain`] take turns (the claims keep servers apart), so that a drain
    /// that finds nothing to claim finds the queue caught up.
    pub draining: tokio::sync::Mutex<()>,
    /// Held while a final month is re-opened for a person, so that a read and the worker do
    /// not both re-evaluate the same late records; across servers the kept verdict is replaced
    /// only if unchanged since read, and only the server that replaced it writes the audit
    /// entry.
    pub reopening: tokio::sync::Mutex<()>,
    pub config: Config,
    pub store: AnyStore,
    pub objects: Arc<dyn photos::ObjectStore>,
    pub uploads: photos::Uploads,
    /// The rules and calendar in force on the day the server started. What the phone pulls
    /// and the console shows follows the versions instead ([`AppState::policy_this_month`]).
    pub catalogue: Catalogue,
    pub rules_toml: String,
    pub calendar: WorkCalendar,
    pub calendar_toml: String,
    pub throttle: auth::LoginThrottle,
    /// A hash at the configured cost, checked when the username is unknown.
    pub decoy_hash: String,
    /// Bounds the password checks (argon2, CPU- and memory-heavy) running at once.
    pub password_checks: tokio::sync::Semaphore,
    pub metrics: metrics::Metrics,
    /// Bounds the CPU-heavy work (evaluations) running at once.
    pub evaluations: tokio::sync::Semaphore,
    /// Bounds the photo checks (decoding, CPU- and memory-heavy) running at once.
    pub decodes: tokio::sync::Semaphore,
    /// Records and day facts before the raw days and pictures' facts, kept parsed between
    /// evaluations.
    pub record_history: evaluation_memory::RecordHistory,
    pub facts_history: evaluation_memory::FactsHistory,
    pub file_facts: evaluation_memory::FileFacts,
}

/// At most this many records (a few hundred bytes each) kept parsed between evaluations: a
/// year of the visits, reports and notes of a few dozen teams.
const RECORD_HISTORY_BUDGET: usize = 400_000;
/// At most this many person-days' facts (about a kilobyte each) kept parsed between
/// evaluations: a year of a few hundred people's.
const FACTS_HISTORY_BUDGET: usize = 120_000;
/// At most this many pictures' facts kept between evaluations.
const FILE_FACTS_BUDGET: usize = 200_000;

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] policy::LoadError),
}

impl AppState {
    /// The rules and calendar `month` is evaluated with: those in force on its first day.
    pub fn policy_for(
        &self,
        month: zhucun_shared::period::Period,
    ) -> (Arc<Catalogue>, Arc<WorkCalendar>) {
        let v = self.versions();
        (
            v.rules.on(month.first_day()).1,
            v.calendars.on(month.first_day()).1,
        )
    }

    /// The ids of the versions of rules and calendar `month` is evaluated with.
    pub fn policy_ids_for(&self, month: zhucun_shared::period::Period) -> (i64, i64) {
        let v = self.versions();
        (
            v.rules.on(month.first_day()).0,
            v.calendars.on(month.first_day()).0,
        )
    }

    /// The rules and calendar of the current month (in force on its first day), with the
    /// versions loaded now: what the phone pulls and the console shows.
    pub fn policy_this_month(&self) -> (Arc<Catalogue>, Arc<WorkCalendar>) {
        self.policy_for(self.this_month())
    }

    /// The files of [`AppState::policy_this_month`], as kept (TOML).
    pub fn policy_texts_this_month(&self) -> (String, String) {
        let first = self.this_month().first_day();
        let v = self.versions();
        (
            v.rules_history.in_force(first).text.clone(),
            v.calendar_history.in_force(first).text.clone(),
        )
    }

    fn this_month(&self) -> zhucun_shared::period::Period {
        use chrono::Datelike;
        let today = zhucun_shared::period::local_date(self.clock.now());
        zhucun_shared::period::Period::month(today.year(), today.month())
    }

    /// The versions loaded.
    pub fn versions(&self) -> Arc<policy::Versions> {
        self.versions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The build, rules and calendar versions, as part of a kept verdict's basis.
    pub fn policy_basis(&self) -> String {
        format!("{}|{}", env!("ZHUCUN_BUILD"), self.versions().digest)
    }

    /// Loads the rules and calendar versions again if one was set since they were loaded (by
    /// `rules set` or `calendar set`, from another process or server): one small query when
    /// none was. A stored version that no longer parses leaves those loaded in use, and is
    /// the error.
    pub async fn refresh_policy(&self) -> Result<(), policy::LoadError> {
        let stamp = self.store.last_policy_version().await?;
        if stamp == self.versions().stamp {
            return Ok(());
        }
        let loaded = Arc::new(policy::Versions::load(&self.store).await?);
        let mut held = self.versions.write().unwrap_or_else(|e| e.into_inner());
        if loaded.stamp > held.stamp {
            tracing::info!(version = loaded.stamp, "rules or calendar version loaded");
            *held = loaded;
        }
        Ok(())
    }

    pub fn connection_limits(&self) -> connections::Limits {
        connections::Limits {
            max_connections: self.config.max_connections,
            header_read_timeout: std::time::Duration::from_secs(
                self.config.header_read_timeout_secs.max(1),
            ),
        }
    }

    /// Photos go to `photos/` under the data directory.
    pub async fn new(config: Config, store: AnyStore) -> Result<Self, StartError> {
        let objects = photos::FsObjectStore::new(config.data_dir.join("photos"));
        Self::with_objects(config, store, Arc::new(objects)).await
    }

    /// With another object store (an S3-compatible one, say).
    pub async fn with_objects(
        config: Config,
        store: AnyStore,
        objects: Arc<dyn photos::ObjectStore>,
    ) -> Result<Self, StartError> {
        Self::with_clock(config, store, objects, Arc::new(SystemClock)).await
    }

    /// With another clock (tests set "now" and move it).
    pub async fn with_clock(
        config: Config,
        store: AnyStore,
        objects: Arc<dyn photos::ObjectStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let uploads_dir = config.data_dir.join("uploads");
        std::fs::create_dir_all(&uploads_dir).map_err(|source| StartError::DataDir {
            path: uploads_dir.clone(),
            source,
        })?;
        let today = zhucun_shared::period::local_date(clock.now());
        let versions = policy::Versions::load(&store).await?;
        let rules_toml = versions.rules_history.in_force(today).text.clone();
        let catalogue = (*versions.rules.on(today).1).clone();
        let calendar_toml = versions.calendar_history.in_force(today).text.clone();
        let calendar = (*versions.calendars.on(today).1).clone();
        let throttle = auth::LoginThrottle::new(auth::Backoff {
            free: config.login_max_failures.max(1),
            max_wait_s: config.login_max_backoff_secs.max(1),
            window_s: config.login_window_secs.max(1),
        });
        for name in store.fill_username_keys().await? {
            tracing::warn!(
                username = %name,
                "another account has the same username up to case and width: this one cannot \
                 sign in until renamed"
            );
        }
        // Unknown usernames are checked against this, at the cost of real hashes, so that
        // they take as long to refuse as known ones.
        let (memory, iterations) = (config.argon2_memory_kib, config.argon2_iterations);
        let decoy_hash = tokio::task::spawn_blocking(move || {
            auth::hash_password("decoy", memory, iterations).unwrap_or_default()
        })
        .await
        .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let password_checks = tokio::sync::Semaphore::new(2 * cores);
        let evaluations = tokio::sync::Semaphore::new(config.max_concurrent_evaluations.max(1));
        let decodes = tokio::sync::Semaphore::new(cores);
        let uploads = photos::Uploads::with_expiry(
            uploads_dir,
            std::time::Duration::from_secs(config.upload_expiry_secs),
        );
        uploads.sweep_abandoned();
        Ok(Self(Arc::new(AppInner {
            clock,
            versions: std::sync::RwLock::new(Arc::new(versions)),
            verdict_work: tokio::sync::Notify::new(),
            worker_id: uuid::Uuid::now_v7().to_string(),
            draining: tokio::sync::Mutex::new(()),
            reopening: tokio::sync::Mutex::new(()),
            uploads,
            config,
            store,
            objects,
            catalogue,
            rules_toml,
            calendar,
            calendar_toml,
            throttle,
            decoy_hash,
            password_checks,
            metrics: metrics::Metrics::new(),
            evaluations,
            decodes,
            record_history: evaluation_memory::RecordHistory::new(RECORD_HISTORY_BUDGET),
            facts_history: evaluation_memory::FactsHistory::new(FACTS_HISTORY_BUDGET),
            file_facts: evaluation_memory::FileFacts::new(FILE_FACTS_BUDGET),
        })))
    }
}

/// Serves the API on `listener` until `shutdown` resolves, then lets in-flight requests (and
/// their commits) finish and closes the database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = api::router(state.clone());
    // Kept verdicts are brought up to date in the background while the server runs.
    let worker = tokio::spawn(crate::verdicts::run_worker(state.clone()));
    let served = connections::serve(
        listener,
        app,
        state.connection_limits(),
        state.metrics.connections_shed.clone(),
        shutdown,
    )
    .await;
    worker.abort();
    let _ = worker.await;
    state.store.close().await;
    served
}

/// Serves `/metrics` alone, without a token, on `listener` (the configured `metrics_bind`, a
/// private address for Prometheus), until `shutdown` resolves.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.connection_limits();
    let shed = state.metrics.connections_shed.clone();
    connections::serve(listener, api::metrics_router(state), limits, shed, shutdown).await
}
