//! The demo county: everything the plan speaks of is there, and the verdicts vary.

use chrono::{Datelike, Duration, Utc};
use std::collections::BTreeSet;
use zhucun_server::demo::{sqlite_demo_app, DEMO_PASSWORD};
use zhucun_server::evaluation::person_report;
use zhucun_server::store::Store;
use zhucun_shared::org::HouseholdCategory;
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::Status;

#[tokio::test]
async fn the_demo_county_has_every_role_and_category_and_varied_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let (store, state, demo) = sqlite_demo_app(dir.path(), now).await.unwrap();

    let org = store.township_org(demo.township.id).await.unwrap();
    assert_eq!(org.villages.len(), 5);
    for v in &org.villages {
        let n = org
            .households
            .iter()
            .filter(|h| h.village_id == v.id)
            .count();
        assert!((30..=60).contains(&n), "{}: {n} households", v.name);
    }
    for c in HouseholdCategory::ALL {
        assert!(
            org.households.iter().any(|h| h.has(c)),
            "no {c:?} household"
        );
    }
    let roles: BTreeSet<Role> = org.assignments.iter().map(|a| a.role).collect();
    assert_eq!(roles.len(), 9, "{roles:?}");
    let login_roles: BTreeSet<Role> = demo.logins.iter().map(|l| l.role).collect();
    for r in [
        Role::PairingCadre,
        Role::TeamLeader,
        Role::LiaisonLeader,
        Role::Supervisor,
        Role::Admin,
    ] {
        assert!(login_roles.contains(&r), "no login for {r:?}");
    }
    assert!(demo.records > 100_000, "{} records", demo.records);
    assert!(demo.photos > 500, "{} photos", demo.photos);
    assert!(!org.pairings.is_empty());
    let summary = demo.summary("127.0.0.1:8080".parse().unwrap());
    assert!(
        summary.contains(DEMO_PASSWORD) && summary.contains("admin") && summary.contains("jiancha")
    );

    // Last month's verdicts on the team leaders' village visits differ from village to village.
    let today = local_date(now);
    let last = today.with_day(1).unwrap() - Duration::days(1);
    let month = Period::month(last.year(), last.month());
    let mut statuses = BTreeSet::new();
    for l in demo
        .logins
        .iter()
        .filter(|l| l.username.starts_with("duizhang"))
    {
        let user = store.user_by_username(&l.username).await.unwrap().unwrap();
        let report = person_report(&state, org.clone().into(), user.person_id, month, now)
            .await
            .unwrap();
        let v = report
            .verdict("R-212")
            .expect("team leaders are held to R-212");
        if l.username == "duizhang1" {
            assert_eq!(v.status, Status::Met, "{v:?}");
        }
        statuses.insert(v.status);
    }
    assert!(
        statuses.contains(&Status::Met) && statuses.contains(&Status::Short),
        "{statuses:?}"
    );
    store.close().await;
}
