//! Test harness: a database per test on each backend (SQLite always; PostgreSQL when
//! `ZHUCUN_TEST_PG_URL` is set, in a schema of its own that is dropped afterwards), the real
//! server on a port-0 listener, and a small township with people in every role.
#![allow(dead_code)]

pub mod browser;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::{polygon, MultiPolygon};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use tokio::net::TcpListener;
use zhucun_server::auth::hash_password;
use zhucun_server::store::{Org, Store, UserRow};
use zhucun_server::{open_store, AnyStore, AppState, Config};
use zhucun_shared::ids::*;
use zhucun_shared::org::*;
use zhucun_shared::record::{DeviceRecord, Fix, FixProvider, RecordBody};
use zhucun_shared::role::Role;

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// The backends to run on. In CI a missing PostgreSQL fails the test rather than skipping it.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    match std::env::var("ZHUCUN_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => out.push(Backend::Postgres(url)),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
            panic!("CI is set but ZHUCUN_TEST_PG_URL is not: the PostgreSQL tests must run in CI")
        }
        _ => {}
    }
    out
}

/// A fresh database.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: &Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("test.sqlite").display()
                ),
                dir,
                pg: None,
            },
            Backend::Postgres(base) => {
                let schema = format!("zt_{}", uuid::Uuid::now_v7().simple());
                let pool = sqlx::PgPool::connect(base)
                    .await
                    .expect("connect to ZHUCUN_TEST_PG_URL");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    dir,
                    pg: Some((base.clone(), schema)),
                }
            }
        }
    }

    pub async fn open(&self) -> AnyStore {
        open_store(&self.url).await.unwrap()
    }

    pub async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg {
            let pool = sqlx::PgPool::connect(base).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

pub const PASSWORD: &str = "驻村-test-密码";

/// A township with two villages, and a person in each role that matters for access.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub township: TownshipId,
    pub other_township: TownshipId,
    pub v1: VillageId,
    pub v2: VillageId,
    pub households: Vec<HouseholdId>,
    /// Resident member in v1.
    pub cadre1: PersonId,
    /// Resident member in v2.
    pub cadre2: PersonId,
    /// Team leader in v1.
    pub leader1: PersonId,
    /// Liaison leader of the cluster {v1}.
    pub liaison: PersonId,
    pub supervisor: PersonId,
    pub admin: PersonId,
    /// A cadre of another township.
    pub outsider: PersonId,
}

pub fn square(lat: f64, lon: f64, half: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: lon - half, y: lat - half),
        (x: lon + half, y: lat - half),
        (x: lon + half, y: lat + half),
        (x: lon - half, y: lat + half),
        (x: lon - half, y: lat - half),
    ]])
}

pub const V1: (f64, f64) = (31.95, 107.25);
pub const V2: (f64, f64) = (31.99, 107.30);

pub fn fixture_org() -> (Org, Fixture) {
    let t = TownshipId::new();
    let t2 = TownshipId::new();
    let (v1, v2) = (VillageId::new(), VillageId::new());
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut org = Org {
        townships: vec![
            Township {
                id: t,
                name: "青峰乡".into(),
                county: "通江县".into(),
            },
            Township {
                id: t2,
                name: "石门镇".into(),
                county: "通江县".into(),
            },
        ],
        villages: vec![
            Village {
                id: v1,
                township_id: t,
                name: "青峰村".into(),
                code: Some("511921001".into()),
                boundary: square(V1.0, V1.1, 0.01),
                poor: true,
                exiting_this_year: false,
            },
            Village {
                id: v2,
                township_id: t,
                name: "石门村".into(),
                code: None,
                boundary: square(V2.0, V2.1, 0.01),
                poor: true,
                exiting_this_year: true,
            },
        ],
        ..Org::default()
    };
    let mut households = Vec::new();
    for (i, cat) in HouseholdCategory::ALL.iter().enumerate() {
        let id = HouseholdId::new();
        households.push(id);
        org.households.push(Household {
            id,
            village_id: v1,
            head_name: format!("户主{i}"),
            location: LatLon::new(V1.0 + 0.001 * i as f64, V1.1),
            categories: vec![*cat],
            members: 3,
            group: None,
        });
    }
    let mut person = |name: &str, township: TownshipId, roles: &[(Role, Option<VillageId>)]| {
        let id = PersonId::new();
        org.people.push(Person {
            id,
            name: name.into(),
            township_id: township,
            unit_id: None,
        });
        for (role, village) in roles {
            org.assignments.push(Assignment {
                id: AssignmentId::new(),
                person_id: id,
                role: *role,
                village_id: *village,
                township_id: township,
                starts_on: start,
                ends_on: None,
            });
        }
        id
    };
    let cadre1 = person(
        "张一",
        t,
        &[
            (Role::ResidentMember, Some(v1)),
            (Role::PairingCadre, Some(v1)),
        ],
    );
    let cadre2 = person("李二", t, &[(Role::ResidentMember, Some(v2))]);
    let leader1 = person("王队长", t, &[(Role::TeamLeader, Some(v1))]);
    let liaison = person("赵书记", t, &[(Role::LiaisonLeader, Some(v1))]);
    let supervisor = person("钱督查", t, &[(Role::Supervisor, None)]);
    let admin = person("孙管理", t, &[(Role::Admin, None)]);
    let outsider = person("周外", t2, &[(Role::ResidentMember, None)]);
    org.pairings.push(Pairing {
        id: PairingId::new(),
        person_id: cadre1,
        household_id: households[0],
        starts_on: start,
        ends_on: None,
    });
    let fx = Fixture {
        township: t,
        other_township: t2,
        v1,
        v2,
        households,
        cadre1,
        cadre2,
        leader1,
        liaison,
        supervisor,
        admin,
        outsider,
    };
    (org, fx)
}

/// Usernames of the fixture's people.
pub fn username(fx: &Fixture, p: PersonId) -> &'static str {
    match p {
        p if p == fx.cadre1 => "cadre1",
        p if p == fx.cadre2 => "cadre2",
        p if p == fx.leader1 => "leader1",
        p if p == fx.liaison => "liaison",
        p if p == fx.supervisor => "supervisor",
        p if p == fx.admin => "admin",
        p if p == fx.outsider => "outsider",
        _ => panic!("not in the fixture"),
    }
}

pub async fn seed(store: &AnyStore) -> Fixture {
    let (org, fx) = fixture_org();
    store.put_org(&org).await.unwrap();
    let hash = hash_password(PASSWORD, 1024, 1).unwrap();
    for p in [
        fx.cadre1,
        fx.cadre2,
        fx.leader1,
        fx.liaison,
        fx.supervisor,
        fx.admin,
        fx.outsider,
    ] {
        store
            .create_user(&UserRow {
                person_id: p,
                username: username(&fx, p).into(),
                password_hash: hash.clone(),
                disabled: false,
                created_at: Utc::now(),
            })
            .await
            .unwrap();
    }
    fx
}

/// Runs `test` against the real server over a fresh database on each backend, stopping the
/// server after each run.
pub async fn on_each_backend(test: impl AsyncFn(&TestApp)) {
    on_each_backend_with(|_| {}, test).await
}

/// As [`on_each_backend`], with the configuration changed by `tweak`.
pub async fn on_each_backend_with(tweak: impl Fn(&mut Config), test: impl AsyncFn(&TestApp)) {
    for backend in backends() {
        let app = TestApp::start_with(&backend, &tweak).await;
        test(&app).await;
        app.stop().await;
    }
}

/// As [`on_each_backend_with`], with the server's "now" read from a clock the test holds,
/// starting at `at` (tests move it with `advance`).
pub async fn on_each_backend_at(
    at: DateTime<Utc>,
    tweak: impl Fn(&mut Config),
    test: impl AsyncFn(&TestApp, &Arc<zhucun_server::clock::FixedClock>),
) {
    for backend in backends() {
        let clock = Arc::new(zhucun_server::clock::FixedClock::at(at));
        let app = TestApp::start_at(&backend, &tweak, clock.clone()).await;
        test(&app, &clock).await;
        app.stop().await;
    }
}

/// The real server, on a port-0 listener, over a fresh database seeded with the fixture.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub fx: Fixture,
    /// The database it runs on, for a test's messages.
    pub backend: Backend,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    db: Option<TestDb>,
}

impl TestApp {
    pub async fn start(backend: &Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: &Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_at(backend, tweak, Arc::new(zhucun_server::clock::SystemClock)).await
    }

    /// With the server's "now" read from `clock` (a [`zhucun_server::clock::FixedClock`] lets
    /// a test move it).
    pub async fn start_at(
        backend: &Backend,
        tweak: impl FnOnce(&mut Config),
        clock: Arc<dyn zhucun_server::clock::Clock>,
    ) -> Self {
        let db = TestDb::new(backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let mut config = Config::for_tests(db.dir.path().to_path_buf());
        tweak(&mut config);
        let objects = zhucun_server::photos::FsObjectStore::new(config.data_dir.join("photos"));
        let state = AppState::with_clock(config, store, Arc::new(objects), clock)
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handle = tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            state,
            http: reqwest::Client::new(),
            fx,
            backend: backend.clone(),
            shutdown: Some(tx),
            handle: Some(handle),
            db: Some(db),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    pub async fn login(&self, who: PersonId) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username(&self.fx, who), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn enroll(&self, token: &str) -> DeviceId {
        let r = self
            .http
            .post(self.url("/api/v1/devices"))
            .bearer_auth(token)
            .json(&serde_json::json!({"label": "华为 Mate 20"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["device_id"].as_str().unwrap().parse().unwrap()
    }

    /// A device of `person` enrolled at `at`, straight in the store: a phone that was
    /// enrolled before the records a test sends (a record dated before its device's enrolment
    /// is flagged).
    pub async fn enroll_at(&self, person: PersonId, at: DateTime<Utc>) -> DeviceId {
        let id = DeviceId::new();
        self.state
            .store
            .enroll_device(&Device {
                id,
                person_id: person,
                label: "华为 Mate 20".into(),
                enrolled_at: at,
            })
            .await
            .unwrap();
        id
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(token, path, serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn post_raw(&self, token: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// One chunk of a resumable upload to `path` (`/api/v1/photos/{sha}` or `/api/v1/files/{sha}`).
    pub async fn put_chunk(
        &self,
        token: &str,
        path: &str,
        offset: usize,
        total: usize,
        chunk: &[u8],
    ) -> (StatusCode, Value) {
        let r = self
            .http
            .put(self.url(&format!("{path}?offset={offset}&total={total}")))
            .bearer_auth(token)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap())
    }

    pub async fn push(
        &self,
        token: &str,
        device: DeviceId,
        records: &[DeviceRecord],
    ) -> (StatusCode, Value) {
        let body = serde_json::json!({
            "protocol": 1,
            "device_id": device,
            "sent_at": Utc::now(),
            "records": records,
        });
        self.post_json(token, "/api/v1/sync/push", &body).await
    }

    /// [`TestApp::push`] from a phone whose clock reads `sent_at`: the server's own "now" when
    /// a test has set it, so that the phone's clock is not taken for wrong.
    pub async fn push_at(
        &self,
        token: &str,
        device: DeviceId,
        records: &[DeviceRecord],
        sent_at: DateTime<Utc>,
    ) -> (StatusCode, Value) {
        let body = serde_json::json!({
            "protocol": 1,
            "device_id": device,
            "sent_at": sent_at,
            "records": records,
        });
        self.post_json(token, "/api/v1/sync/push", &body).await
    }
}

/// `hour` hours into the China day `y`-`m`-`d`.
pub fn at(y: i32, m: u32, d: u32, hour: i64) -> DateTime<Utc> {
    zhucun_shared::period::day_start(NaiveDate::from_ymd_opt(y, m, d).unwrap())
        + Duration::hours(hour)
}

pub fn fix_at(lat: f64, lon: f64, time: DateTime<Utc>) -> Fix {
    Fix {
        lat,
        lon,
        accuracy_m: 12.0,
        time,
        monotonic_ms: None,
        provider: FixProvider::Gps,
        mock: false,
    }
}

/// Record `seq` of a device: a fix in v1, `seq` minutes after `start`.
pub fn fix_record(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    start: DateTime<Utc>,
) -> DeviceRecord {
    let t = start + Duration::minutes(seq as i64);
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: t,
        body: RecordBody::Fix {
            fix: fix_at(V1.0, V1.1 + 0.0001 * seq as f64, t),
        },
        received: None,
    }
}

pub fn fix_records(
    device: DeviceId,
    person: PersonId,
    seqs: impl IntoIterator<Item = u64>,
    start: DateTime<Utc>,
) -> Vec<DeviceRecord> {
    seqs.into_iter()
        .map(|s| fix_record(device, person, s, start))
        .collect()
}

pub fn watermark(v: &Value, device: DeviceId) -> u64 {
    v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == serde_json::json!(device))
        .map(|d| d["contiguous_seq"].as_u64().unwrap())
        .unwrap()
}

pub type Shared<T> = Arc<T>;

/// A posting for [`TestApp::add_person`]: role, village, first and last day.
pub type Posting = (Role, Option<VillageId>, NaiveDate, Option<NaiveDate>);

impl TestApp {
    /// Adds a person of the fixture's township with a login `name` (password [`PASSWORD`]).
    pub async fn add_person(&self, name: &str, postings: &[Posting]) -> PersonId {
        let id = PersonId::new();
        let org = Org {
            people: vec![Person {
                id,
                name: name.into(),
                township_id: self.fx.township,
                unit_id: None,
            }],
            assignments: postings
                .iter()
                .map(|(role, village, starts_on, ends_on)| Assignment {
                    id: AssignmentId::new(),
                    person_id: id,
                    role: *role,
                    village_id: *village,
                    township_id: self.fx.township,
                    starts_on: *starts_on,
                    ends_on: *ends_on,
                })
                .collect(),
            ..Org::default()
        };
        self.state.store.put_org(&org).await.unwrap();
        self.state
            .store
            .create_user(&UserRow {
                person_id: id,
                username: name.into(),
                password_hash: hash_password(PASSWORD, 1024, 1).unwrap(),
                disabled: false,
                created_at: Utc::now(),
            })
            .await
            .unwrap();
        id
    }

    pub async fn login_name(&self, name: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }
}
