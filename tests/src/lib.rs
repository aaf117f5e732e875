//! What the end-to-end tests share: the real server on a port-0 listener over a fresh SQLite
//! file, holding the phone app's demo village, and a phone store beside it.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use zhucun_mobile_core::capture::{Capture, Command};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::store::Reference;
use zhucun_mobile_core::sync::{Api, SharedStore, SyncConfig, SyncEngine};
use zhucun_mobile_core::Store;
use zhucun_server::auth::hash_password;
use zhucun_server::store::{Org, Store as _, UserRow};
use zhucun_server::{open_store, AppState, Config};
use zhucun_shared::ids::{AssignmentId, PersonId};
use zhucun_shared::org::{Assignment, LatLon, Person};
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::record::{Fix, FixProvider};
use zhucun_shared::role::Role;
use zhucun_shared::sync::{LoginRequest, LoginResponse};
use zhucun_shared::verdict::{PersonReport, Status, Verdict};

/// The password of every account of the test server.
pub const PASSWORD: &str = "驻村-e2e-密码";
/// The township's supervisor, who signs in as `jiancha`.
pub const SUPERVISOR: PersonId = PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0099);

/// A running server; dropping it shuts the server down and removes its files.
pub struct DemoServer {
    /// `http://127.0.0.1:port`
    pub base: String,
    /// The database URL, for reading what the server stored.
    pub url: String,
    pub dir: tempfile::TempDir,
    state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl DemoServer {
    /// The demo village with its cadre (`yang`), a teammate without an account and the
    /// township's supervisor (`jiancha`). Call from a tokio runtime.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("server.sqlite").display()
        );
        let store = open_store(&url).await.expect("server database");
        let pull = demo::pull(Utc::now());
        let mut assignments = pull.org.assignments.clone();
        assignments.push(Assignment {
            id: AssignmentId::from_u128(0x99),
            person_id: SUPERVISOR,
            role: Role::Supervisor,
            village_id: None,
            township_id: demo::TOWNSHIP,
            starts_on: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date"),
            ends_on: None,
        });
        let person = |id, name: &str| Person {
            id,
            name: name.into(),
            township_id: demo::TOWNSHIP,
            unit_id: None,
        };
        store
            .put_org(&Org {
                townships: pull.org.townships,
                people: vec![
                    pull.me.clone().expect("the demo cadre"),
                    person(demo::TEAMMATE, "吴海燕"),
                    person(SUPERVISOR, "陈志强"),
                ],
                villages: pull.org.villages,
                households: pull.org.households,
                assignments,
                pairings: pull.org.pairings,
            })
            .await
            .expect("organisation stored");
        for (person_id, username) in [(demo::ME, "yang"), (SUPERVISOR, "jiancha")] {
            store
                .create_user(&UserRow {
                    person_id,
                    username: username.into(),
                    password_hash: hash_password(PASSWORD, 1024, 1).expect("hash"),
                    disabled: false,
                    created_at: Utc::now(),
                })
                .await
                .expect("account stored");
        }
        let state = AppState::new(Config::for_tests(dir.path().to_path_buf()), store)
            .await
            .expect("server state");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        DemoServer {
            base,
            url,
            dir,
            state,
            shutdown: Some(tx),
        }
    }

    /// How many `GET` requests the server has answered on `route` (a path template of
    /// `shared::sync::paths`), whatever their status, as its `/metrics` counts them.
    pub fn gets(&self, route: &str) -> u64 {
        let labels = [r#"method="GET""#.to_string(), format!(r#"route="{route}""#)];
        self.state
            .metrics
            .encode()
            .lines()
            .filter(|l| l.starts_with("zhucun_http_request_duration_seconds_count{"))
            .filter(|l| labels.iter().all(|label| l.contains(label.as_str())))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

impl DemoServer {
    /// Signs `username` in over HTTP; the bearer token.
    pub async fn token_of(&self, username: &str) -> String {
        let r: LoginResponse = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&LoginRequest {
                username: username.into(),
                password: PASSWORD.into(),
            })
            .send()
            .await
            .expect("login answered")
            .json()
            .await
            .expect("a login response");
        r.token
    }
}

impl DemoServer {
    /// `person`'s report for the month of `now` (China time), read over HTTP by `username`.
    pub async fn report(
        &self,
        username: &str,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> PersonReport {
        let month = Period::containing(PeriodKind::Month, local_date(now)).expect("a month");
        self.month_report(username, person, month).await
    }

    /// `person`'s report for `month`, as `username` reads it from the server.
    pub async fn month_report(
        &self,
        username: &str,
        person: PersonId,
        month: Period,
    ) -> PersonReport {
        let resp = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/people/{person}/report?month={month}",
                self.base
            ))
            .bearer_auth(self.token_of(username).await)
            .send()
            .await
            .expect("the report answered");
        assert_eq!(resp.status(), 200, "the report of {person} for {username}");
        resp.json().await.expect("a report")
    }
}

/// (period, status, counted, required) of each part of a verdict: what the phone's estimate
/// and the server's verdict must agree on.
pub fn part_numbers(v: &Verdict) -> Vec<(String, Status, u32, u32)> {
    v.parts
        .iter()
        .map(|p| (p.period.clone(), p.status, p.counted, p.required))
        .collect()
}

impl DemoServer {
    /// Gives the demo's resident member (吴海燕, [`demo::TEAMMATE`]) an account; its username.
    pub async fn teammate_account(&self) -> &'static str {
        let db = open_store(&self.url).await.unwrap();
        db.create_user(&UserRow {
            person_id: demo::TEAMMATE,
            username: "wu".into(),
            password_hash: hash_password(PASSWORD, 1024, 1).unwrap(),
            disabled: false,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
        "wu"
    }

    /// A phone in `dir` signed in as `username` with `config`, after its first sync (the
    /// reference data is on it).
    pub async fn signed_in_phone(
        &self,
        dir: &tempfile::TempDir,
        username: &str,
        config: SyncConfig,
    ) -> (SharedStore, SyncEngine) {
        let store = phone(dir);
        let mut sync = SyncEngine::new(Api::new(&self.base).expect("server URL"), config);
        sync.sign_in(&store, username, PASSWORD, "测试手机")
            .await
            .expect("signed in");
        sync.sync_once(&store, Utc::now())
            .await
            .expect("first sync");
        (store, sync)
    }
}

/// On duty in the demo village from `at`: duty started, a fix at the centre, checked in.
pub fn arrive_in_village(s: &mut Store, reference: &Reference, c: &mut Capture, at: DateTime<Utc>) {
    c.exec(
        s,
        reference,
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        at,
    )
    .expect("duty started");
    c.on_fix(s, reference, fix(demo::village_centre(), at), at)
        .expect("fix taken");
    c.exec(
        s,
        reference,
        Command::VillageCheckIn {
            village_id: demo::VILLAGE,
        },
        at,
    )
    .expect("checked in");
}

/// A phone's store in `dir`.
pub fn phone(dir: &tempfile::TempDir) -> SharedStore {
    Arc::new(Mutex::new(
        Store::open(dir.path().join("phone.sqlite")).expect("phone store"),
    ))
}

/// A good GPS fix (8 m) at `p`.
pub fn fix(p: LatLon, t: DateTime<Utc>) -> Fix {
    Fix {
        lat: p.lat,
        lon: p.lon,
        accuracy_m: 8.0,
        time: t,
        monotonic_ms: None,
        provider: FixProvider::Gps,
        mock: false,
    }
}
