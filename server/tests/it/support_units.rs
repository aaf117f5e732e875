//! A village's 帮扶单位 set by the office on its console page, on each backend: stored, audited
//! and named in the 五个一 登记表; bad input refused naming the field, another county's village
//! and anyone but the office refused, and nothing written.

use crate::common::browser::*;
use crate::common::*;
use crate::ledger_households::rows;
use reqwest::StatusCode;
use zhucun_server::store::{Org, Store};
use zhucun_shared::ids::{TownshipId, VillageId};
use zhucun_shared::org::{Township, Village};

/// The 五个一 table's rows as the office downloads it (CSV).
async fn five_ones(app: &TestApp, token: &str) -> Vec<Vec<String>> {
    let query = format!("five-ones?township={}&format=csv", app.fx.township);
    rows(app, token, &query).await
}

/// The 帮扶单位 cell of `village`'s row.
fn units_cell(rows: &[Vec<String>], village: &str) -> String {
    let col = rows[2].iter().position(|h| h == "帮扶单位").unwrap();
    rows.iter()
        .find(|r| r.get(1).is_some_and(|c| c == village))
        .unwrap()[col]
        .clone()
}

async fn audited(app: &TestApp) -> usize {
    app.state
        .store
        .audit_entries(0, 1000, None)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.entry.kind == "support_units_set")
        .count()
}

#[tokio::test]
async fn the_office_sets_a_villages_support_units_and_the_five_ones_table_names_them() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let token = app.login(fx.admin).await;
        assert_eq!(
            units_cell(&five_ones(app, &token).await, "青峰村"),
            "未登记"
        );

        let mut b = Browser::new(app);
        b.sign_in(fx.admin).await;
        let csrf = b.csrf().await;
        let (s, page) = b
            .get(&format!("/console/admin/townships/{}", fx.township))
            .await;
        assert_eq!(s, StatusCode::OK);
        let action = format!("/console/admin/villages/{}/support-units", fx.v1);
        assert!(page.contains(&action), "the township page has the form");
        let (s, _) = b
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    ("support_units", "通江县农业农村局\r\n\r\n  县人民医院  \n"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            units_cell(&five_ones(app, &token).await, "青峰村"),
            "通江县农业农村局、县人民医院"
        );
        assert_eq!(
            units_cell(&five_ones(app, &token).await, "石门村"),
            "未登记"
        );
        let (_, page) = b
            .get(&format!("/console/admin/townships/{}", fx.township))
            .await;
        assert!(
            page.contains("通江县农业农村局\n县人民医院"),
            "the form shows them"
        );
        let entries = app.state.store.audit_entries(0, 1000, None).await.unwrap();
        let entry = entries
            .iter()
            .find(|e| e.entry.kind == "support_units_set")
            .expect("audited");
        assert_eq!(entry.entry.subject, "青峰村");
        assert!(
            entry.entry.detail.contains("县人民医院"),
            "{}",
            entry.entry.detail
        );

        // Bad input: refused naming the field, nothing written.
        for bad in [
            "县人民医院\n县人民医院".to_string(),
            "长".repeat(61),
            (0..11).map(|i| format!("单位{i}\n")).collect::<String>(),
            "县医院\u{7}".to_string(),
        ] {
            let (s, body) = b
                .post(&action, &[("csrf", &csrf), ("support_units", &bad)])
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(body.contains("帮扶单位"), "{body}");
        }
        // A form without the session's token, a village of another county, an unknown one.
        let other = Township {
            id: TownshipId::new(),
            name: "白石乡".into(),
            county: "南江县".into(),
        };
        let foreign = Village {
            id: VillageId::new(),
            township_id: other.id,
            name: "红岩村".into(),
            code: None,
            boundary: square(32.5, 106.8, 0.01),
            poor: true,
            exiting_this_year: false,
        };
        app.state
            .store
            .put_org(&Org {
                townships: vec![other.clone()],
                villages: vec![foreign.clone()],
                ..Org::default()
            })
            .await
            .unwrap();
        let (s, _) = b
            .post(&action, &[("csrf", "forged"), ("support_units", "某单位")])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for village in [foreign.id, VillageId::new()] {
            let (s, _) = b
                .post(
                    &format!("/console/admin/villages/{village}/support-units"),
                    &[("csrf", &csrf), ("support_units", "某单位")],
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{village}");
        }
        // Anyone but the office: refused.
        for who in [fx.supervisor, fx.leader1] {
            let mut b = Browser::new(app);
            b.sign_in(who).await;
            let csrf = b.csrf().await;
            let (s, _) = b
                .post(&action, &[("csrf", &csrf), ("support_units", "某单位")])
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        assert_eq!(audited(app).await, 1, "nothing but the one change written");
        assert_eq!(
            zhucun_server::office::support_units(&app.state.store, other.id)
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            units_cell(&five_ones(app, &token).await, "青峰村"),
            "通江县农业农村局、县人民医院"
        );
    })
    .await;
}
