//! A county's own rules file and calendar: checked whole, refused with the entry and field at
//! fault, kept as versions in force from a day, and used by the server from its next start.

use crate::common::*;
use chrono::{Datelike, Utc};
use zhucun_server::policy::{self, Policy, PolicyError};
use zhucun_server::store::Store;
use zhucun_shared::catalogue::BUNDLED_RULES;
use zhucun_shared::period::local_date;

#[tokio::test]
async fn a_county_rules_file_is_checked_whole_and_used_at_the_next_start() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        // In force from the first of this month: today's version.
        let (now, today) = (Utc::now(), local_date(Utc::now()));
        let from = today.with_day(1).unwrap();

        // A malformed file is refused, naming the entry and the field, and changes nothing.
        let bad = BUNDLED_RULES.replacen("min_visits = 6", "min_visits = \"six\"", 1);
        let err = policy::set(&store, Policy::Rules, &bad, from, now)
            .await
            .unwrap_err();
        assert!(matches!(err, PolicyError::Invalid(_)));
        let msg = err.to_string();
        assert!(msg.contains("R-212") && msg.contains("min_visits"), "{msg}");
        assert_eq!(
            policy::current(&store, Policy::Rules, today).await.unwrap(),
            BUNDLED_RULES
        );

        // A county that asks its team leaders for 8 visits a month.
        let county = BUNDLED_RULES
            .replacen("min_visits = 6", "min_visits = 8", 1)
            .replacen(
                "version = \"default-2026.1\"",
                "version = \"county-2026.1\"",
                1,
            );
        policy::set(&store, Policy::Rules, &county, from, now)
            .await
            .unwrap();
        store.close().await;

        let store = db.open().await;
        let state = zhucun_server::AppState::new(
            zhucun_server::Config::for_tests(db.dir.path().to_path_buf()),
            store.clone(),
        )
        .await
        .unwrap();
        assert_eq!(state.catalogue.version, "county-2026.1");
        assert!(state.rules_toml.contains("min_visits = 8"));

        // A calendar with the next year's notice added by the county office.
        let cal = format!(
            "{}\n[[year]]\nyear = 2027\nsource = \"县协调小组办公室录入\"\nrest = [\"2027-01-01\"]\nwork = []\n",
            zhucun_shared::calendar::BUNDLED_CALENDAR
        );
        policy::set(&store, Policy::Calendar, &cal, from, now)
            .await
            .unwrap();
        let bad_cal = "[[year]]\nyear = 2027\nsource = \"x\"\nrest = [\"2026-12-31\"]\nwork = []\n";
        let err = policy::set(&store, Policy::Calendar, bad_cal, from, now)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("2027"), "{err}");
        assert_eq!(
            policy::current(&store, Policy::Calendar, today)
                .await
                .unwrap(),
            cal
        );
        store.close().await;
        db.cleanup().await;
    }
}
