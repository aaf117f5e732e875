//! The county office's pages of the console over real HTTP: imports through the browser with a
//! preview (bad rows named by row and column, nothing imported; GCJ-02 positions stored in
//! WGS-84), households moved with their history, postings that change what verdicts cover,
//! and the refusals: other roles, forms without the session's token, another county's data.

use crate::common::browser::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_server::store::{Org, Store};
use zhucun_shared::coords::Datum;
use zhucun_shared::geometry::distance_m;
use zhucun_shared::ids::*;
use zhucun_shared::org::{Household, HouseholdCategory, LatLon, Township, Village};
use zhucun_shared::period::local_date;

async fn household(app: &TestApp, id: HouseholdId) -> Household {
    app.state.store.household(id).await.unwrap().unwrap()
}

async fn households(app: &TestApp) -> Vec<Household> {
    app.state
        .store
        .township_org(app.fx.township)
        .await
        .unwrap()
        .households
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    app.state
        .store
        .audit_entries(0, 1000, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry.kind)
        .collect()
}

/// Uploads a file for a preview of importing it into `township` (none: a new township named
/// `new_township`); answers the preview page.
async fn preview(
    b: &mut Browser<'_>,
    kind: &str,
    township: Option<TownshipId>,
    new_township: &str,
    datum: &str,
    name: &str,
    file: &[u8],
) -> String {
    let csrf = b.csrf().await;
    let township = township.map(|t| t.to_string()).unwrap_or_default();
    let (s, preview) = b
        .upload(
            "/console/admin/import",
            &[
                ("csrf", &csrf),
                ("kind", kind),
                ("township", &township),
                ("new_township", new_township),
                ("datum", datum),
            ],
            name,
            file,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert!(preview.contains("尚未写入"), "{preview}");
    preview
}

/// Confirms a preview: sends its form back.
async fn confirm(b: &mut Browser<'_>, preview: &str) -> Answer {
    let fields: Vec<(&str, String)> = [
        "csrf",
        "kind",
        "township",
        "new_township",
        "datum",
        "file_name",
        "content",
        "plan",
    ]
    .into_iter()
    .map(|k| (k, field(preview, k)))
    .collect();
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post("/console/admin/import/confirm", &form).await
}

/// Imports into the fixture's township through the preview and its confirmation; answers the
/// confirmation's page.
async fn import(b: &mut Browser<'_>, kind: &str, datum: &str, name: &str, file: &[u8]) -> String {
    let township = Some(b.app.fx.township);
    let page = preview(b, kind, township, "", datum, name, file).await;
    let (s, done) = confirm(b, &page).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    done
}

#[tokio::test]
async fn a_new_township_is_set_up_from_a_bd09_villages_file() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let (lat, lon, h) = (32.1, 107.4, 0.008);
        let ring = [
            [lon - h, lat - h],
            [lon + h, lat - h],
            [lon + h, lat + h],
            [lon - h, lat + h],
            [lon - h, lat - h],
        ];
        let villages = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"村名": "新场村", "贫困村": "是"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}},
        ]});
        let page = preview(
            &mut b,
            "villages",
            None,
            "新场镇",
            "bd09",
            "村界.geojson",
            villages.to_string().as_bytes(),
        )
        .await;
        assert!(
            page.contains("新场镇（新乡镇）") && page.contains("新建"),
            "{page}"
        );
        assert!(app
            .state
            .store
            .townships()
            .await
            .unwrap()
            .iter()
            .all(|t| t.name != "新场镇"));
        let (s, done) = confirm(&mut b, &page).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        let t = app
            .state
            .store
            .townships()
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "新场镇")
            .expect("the township is created");
        assert_eq!(t.county, "通江县", "in the office's own county");
        let org = app.state.store.township_org(t.id).await.unwrap();
        assert_eq!(org.villages.len(), 1);
        assert!(org.villages[0].poor);
        let corner = org.villages[0].boundary.0[0].exterior().0[0];
        let expected = Datum::Bd09.to_wgs84(LatLon::new(lat - h, lon - h));
        assert!(distance_m(LatLon::new(corner.y, corner.x), expected) < 1.0);
        // The new township is the office's to manage from here on.
        let (s, _) = b.get(&format!("/console/admin/townships/{}", t.id)).await;
        assert_eq!(s, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_confirmation_imports_only_what_its_preview_showed() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let known = household(app, app.fx.households[0]).await;
        let csv = format!(
            "村名,户主,纬度,经度,类别,人口\n青峰村,{},31.9505,107.2505,贫困户,3\n青峰村,新户,31.951,107.251,贫困户,2\n",
            known.head_name
        );
        let page = preview(
            &mut b,
            "households",
            Some(app.fx.township),
            "",
            "wgs84",
            "农户.csv",
            csv.as_bytes(),
        )
        .await;
        assert!(page.contains("新建 1，修改 1"), "{page}");
        // Between preview and confirmation the known household is renamed: the file would now
        // create two households instead of what was shown.
        let mut renamed = known.clone();
        renamed.head_name = "已改名".into();
        app.state
            .store
            .put_org(&Org {
                households: vec![renamed],
                ..Org::default()
            })
            .await
            .unwrap();
        let before = households(app).await;
        let (s, answer) = confirm(&mut b, &page).await;
        assert_eq!(s, StatusCode::CONFLICT, "{answer}");
        assert!(answer.contains("未导入任何内容"));
        assert_eq!(households(app).await, before);
    })
    .await;
}

#[tokio::test]
async fn a_households_file_with_bad_rows_names_each_and_imports_nothing() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let before = households(app).await;
        let org_versions = app.state.store.org_versions().await.unwrap();
        let csv = "村名,户主,纬度,经度,类别,人口\n\
                   青峰村,新户甲,31.951,107.251,贫困户,3\n\
                   青峰村,新户乙,北纬三十一,107.252,贫困户,2\n\
                   白云村,新户丙,31.953,107.253,党员家庭,4\n\
                   青峰村,户主0,31.954,107.254,贫困户,5\n";
        let csrf = b.csrf().await;
        let township = app.fx.township.to_string();
        let (s, page) = b
            .upload(
                "/console/admin/import",
                &[
                    ("csrf", &csrf),
                    ("kind", "households"),
                    ("township", &township),
                    ("datum", "wgs84"),
                ],
                "农户.csv",
                csv.as_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("第 3 行，“纬度”列"), "{page}");
        assert!(page.contains("第 4 行，“村名”列"), "{page}");
        assert!(
            page.contains("2 处错误") && page.contains("未导入任何内容"),
            "{page}"
        );
        // No confirmation is offered, and nothing changed: neither the good rows nor the
        // organisation's version.
        assert!(!page.contains("确认导入"));
        assert_eq!(households(app).await, before);
        assert_eq!(app.state.store.org_versions().await.unwrap(), org_versions);
        assert!(!audit_kinds(app).await.iter().any(|k| k == "import"));
    })
    .await;
}

#[tokio::test]
async fn a_gcj02_households_file_is_stored_in_wgs84_and_moves_keep_history() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let known = household(app, app.fx.households[0]).await;
        // As copied from AMap: GCJ-02, hundreds of metres off the GPS position.
        let (new_gcj, known_gcj) = (
            LatLon::new(31.9532, 107.2561),
            LatLon::new(31.9540, 107.2570),
        );
        let csv = format!(
            "村名,户主,纬度,经度,类别,人口\n\
             青峰村,高德户,{},{},贫困户,3\n\
             青峰村,{},{},{},贫困户,5\n",
            new_gcj.lat, new_gcj.lon, known.head_name, known_gcj.lat, known_gcj.lon
        );
        let done = import(&mut b, "households", "gcj02", "高德.csv", csv.as_bytes()).await;
        assert!(done.contains("2 行全部写入"), "{done}");

        let all = households(app).await;
        let added = all.iter().find(|h| h.head_name == "高德户").unwrap();
        let expected = Datum::Gcj02.to_wgs84(new_gcj);
        assert!(distance_m(added.location, expected) < 1.0, "{added:?}");
        // Not stored as given: the given point is hundreds of metres away.
        assert!(distance_m(added.location, new_gcj) > 100.0);
        let moved = household(app, known.id).await;
        assert!(distance_m(moved.location, Datum::Gcj02.to_wgs84(known_gcj)) < 1.0);
        assert_eq!(moved.members, 5);
        // The household's earlier position is kept, and shown on its page.
        let history = zhucun_server::office::position_history(&app.state.store, known.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert!(distance_m(history[0].location, known.location) < 0.01);
        assert_eq!(history[0].how, "import");
        let (s, page) = b
            .get(&format!("/console/admin/households/{}", known.id))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&format!(
                "{:.6}, {:.6}",
                known.location.lat, known.location.lon
            )),
            "{page}"
        );
        assert!(audit_kinds(app).await.iter().any(|k| k == "import"));
    })
    .await;
}

#[tokio::test]
async fn a_moved_household_keeps_its_old_position_in_its_history() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let id = app.fx.households[1];
        let old = household(app, id).await;
        let page_path = format!("/console/admin/households/{id}");
        let (s, page) = b.get(&page_path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("没有移动过"));
        let csrf = field(&page, "csrf");
        let (s, _) = b
            .post(
                &format!("{page_path}/move"),
                &[
                    ("csrf", &csrf),
                    ("lat", "31.9600"),
                    ("lon", "107.2600"),
                    ("datum", "bd09"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let now = household(app, id).await;
        let expected = Datum::Bd09.to_wgs84(LatLon::new(31.96, 107.26));
        assert!(distance_m(now.location, expected) < 1.0, "{now:?}");
        let (_, page) = b.get(&page_path).await;
        assert!(
            page.contains(&format!("{:.6}, {:.6}", old.location.lat, old.location.lon)),
            "the old position on the page: {page}"
        );
        assert!(page.contains("页面修改"));

        // An edit of the name and members is no move: the history keeps one position.
        let (s, _) = b
            .post(
                &page_path,
                &[
                    ("csrf", &csrf),
                    ("head_name", "改名户"),
                    ("categories", "poor"),
                    ("categories", "party_member"),
                    ("members", "6"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let edited = household(app, id).await;
        assert_eq!(edited.head_name, "改名户");
        assert_eq!(edited.members, 6);
        assert_eq!(
            edited.categories,
            vec![HouseholdCategory::Poor, HouseholdCategory::PartyMember]
        );
        assert_eq!(edited.location, now.location);
        let history = zhucun_server::office::position_history(&app.state.store, id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].location, old.location);
        assert_eq!(history[0].replaced_by, Some(app.fx.admin));
        let kinds = audit_kinds(app).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "household_changed").count(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn team_leaders_cadres_and_supervisors_are_refused_on_admin_pages_and_writes() {
    on_each_backend(async |app: &TestApp| {
        let h = app.fx.households[0];
        let before = household(app, h).await;
        for who in [app.fx.leader1, app.fx.cadre1, app.fx.supervisor] {
            let mut b = Browser::new(app);
            b.sign_in(who).await;
            let csrf = b.csrf().await;
            for path in [
                "/console/admin".to_string(),
                "/console/admin/rules".to_string(),
                "/console/admin/import".to_string(),
                format!("/console/admin/townships/{}", app.fx.township),
                format!("/console/admin/people/{}", app.fx.cadre2),
                format!("/console/admin/households/{h}"),
            ] {
                let (s, _) = b.get(&path).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
            }
            let (s, _) = b
                .post(
                    &format!("/console/admin/households/{h}/move"),
                    &[
                        ("csrf", &csrf),
                        ("lat", "31.0"),
                        ("lon", "107.0"),
                        ("datum", "wgs84"),
                    ],
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
            let (s, _) = b
                .post(
                    &format!("/console/admin/people/{}/postings", app.fx.cadre2),
                    &[
                        ("csrf", &csrf),
                        ("role", "team_leader"),
                        ("village", &app.fx.v2.to_string()),
                        ("starts_on", "2025-01-01"),
                    ],
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
            let township = app.fx.township.to_string();
            let (s, _) = b
                .upload(
                    "/console/admin/import",
                    &[
                        ("csrf", &csrf),
                        ("kind", "households"),
                        ("township", &township),
                        ("datum", "wgs84"),
                    ],
                    "农户.csv",
                    "村名,户主,纬度,经度,类别\n青峰村,某户,31.95,107.25,贫困户\n".as_bytes(),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        assert_eq!(household(app, h).await, before);
        let roles = app.state.store.assignments_of(app.fx.cadre2).await.unwrap();
        assert_eq!(roles.len(), 1, "no posting added");
    })
    .await;
}

#[tokio::test]
async fn a_write_without_the_sessions_token_is_refused() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let h = app.fx.households[0];
        let before = household(app, h).await;
        for csrf in ["", "forged"] {
            let (s, page) = b
                .post(
                    &format!("/console/admin/households/{h}/move"),
                    &[
                        ("csrf", csrf),
                        ("lat", "31.0"),
                        ("lon", "107.0"),
                        ("datum", "wgs84"),
                    ],
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
            assert!(page.contains("表单已过期"));
        }
        let (s, _) = b
            .post(
                &format!("/console/admin/people/{}/account", app.fx.cadre1),
                &[("csrf", "forged"), ("enabled", "false")],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let township = app.fx.township.to_string();
        let (s, _) = b
            .upload(
                "/console/admin/import",
                &[
                    ("kind", "households"),
                    ("township", &township),
                    ("datum", "wgs84"),
                ],
                "农户.csv",
                "村名,户主,纬度,经度,类别\n青峰村,某户,31.95,107.25,贫困户\n".as_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(household(app, h).await, before);
        let cadre = app.state.store.user_by_username("cadre1").await.unwrap();
        assert!(!cadre.unwrap().disabled);
    })
    .await;
}

#[tokio::test]
async fn the_office_cannot_reach_another_countys_households_or_people() {
    on_each_backend(async |app: &TestApp| {
        // A township of another county on the same server.
        let (t, v, h, p) = (
            TownshipId::new(),
            VillageId::new(),
            HouseholdId::new(),
            PersonId::new(),
        );
        let there = LatLon::new(32.35, 106.85);
        app.state
            .store
            .put_org(&Org {
                townships: vec![Township {
                    id: t,
                    name: "长赤镇".into(),
                    county: "南江县".into(),
                }],
                villages: vec![Village {
                    id: v,
                    township_id: t,
                    name: "红光村".into(),
                    code: None,
                    boundary: square(there.lat, there.lon, 0.01),
                    poor: true,
                    exiting_this_year: false,
                }],
                households: vec![Household {
                    id: h,
                    village_id: v,
                    head_name: "外县户".into(),
                    location: there,
                    categories: vec![HouseholdCategory::Poor],
                    members: 2,
                    group: None,
                }],
                people: vec![zhucun_shared::org::Person {
                    id: p,
                    name: "外县人".into(),
                    township_id: t,
                    unit_id: None,
                }],
                ..Org::default()
            })
            .await
            .unwrap();
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let csrf = b.csrf().await;
        // The other township of its own county is in reach.
        let (s, _) = b
            .get(&format!(
                "/console/admin/townships/{}",
                app.fx.other_township
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, page) = b.get("/console/admin").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("石门镇") && !page.contains("长赤镇"),
            "{page}"
        );
        // Another county's: answered as unknown, on reads and writes.
        let unknown = format!("/console/admin/households/{}", HouseholdId::new());
        let (s_unknown, _) = b.get(&unknown).await;
        assert_eq!(s_unknown, StatusCode::NOT_FOUND);
        for path in [
            format!("/console/admin/households/{h}"),
            format!("/console/admin/townships/{t}"),
            format!("/console/admin/people/{p}"),
        ] {
            let (s, _) = b.get(&path).await;
            assert_eq!(s, s_unknown, "{path}");
        }
        let (s, _) = b
            .post(
                &format!("/console/admin/households/{h}/move"),
                &[
                    ("csrf", &csrf),
                    ("lat", "32.0"),
                    ("lon", "106.0"),
                    ("datum", "wgs84"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = b
            .post(
                &format!("/console/admin/households/{h}"),
                &[("csrf", &csrf), ("head_name", "改"), ("members", "3")],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let stored = household(app, h).await;
        assert_eq!(stored.location, there);
        assert_eq!(stored.head_name, "外县户");
        let (s, _) = b
            .upload(
                "/console/admin/import",
                &[
                    ("csrf", &csrf),
                    ("kind", "households"),
                    ("township", &t.to_string()),
                    ("datum", "wgs84"),
                ],
                "农户.csv",
                "村名,户主,纬度,经度,类别\n红光村,某户,32.35,106.85,贫困户\n".as_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}

/// Whether `rule` applies to the person of `report` (a verdict other than 不适用).
fn covers(report: &Value, rule: &str) -> bool {
    report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["rule_id"] == rule && v["status"] != "not_applicable")
}

#[tokio::test]
async fn a_new_posting_changes_what_the_persons_verdicts_cover() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.admin).await;
        let month = local_date(app.state.clock.now())
            .format("%Y-%m")
            .to_string();
        let report_path = format!("/api/v1/people/{}/report?month={month}", app.fx.cadre2);
        let (s, before) = app.get(&token, &report_path).await;
        assert_eq!(s, StatusCode::OK, "{before}");
        // R-212 is the team leaders' and assisting cadres' monthly visits.
        assert!(!covers(&before, "R-212"), "{before}");

        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let person_page = format!("/console/admin/people/{}", app.fx.cadre2);
        let (s, page) = b.get(&person_page).await;
        assert_eq!(s, StatusCode::OK);
        let csrf = field(&page, "csrf");
        // A village role without its village is refused, naming the field.
        let (s, page) = b
            .post(
                &format!("{person_page}/postings"),
                &[
                    ("csrf", &csrf),
                    ("role", "assisting_cadre"),
                    ("village", ""),
                    ("starts_on", "2025-01-01"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("“村”"), "{page}");
        let (s, _) = b
            .post(
                &format!("{person_page}/postings"),
                &[
                    ("csrf", &csrf),
                    ("role", "assisting_cadre"),
                    ("village", &app.fx.v2.to_string()),
                    ("starts_on", "2025-01-01"),
                    ("ends_on", ""),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, after) = app.get(&token, &report_path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(covers(&after, "R-212"), "{after}");
        let (_, page) = b.get(&person_page).await;
        assert!(page.contains("协助驻村乡干部"), "{page}");

        // Ended before the month began, it covers nothing of the month again.
        let posting = app
            .state
            .store
            .assignments_of(app.fx.cadre2)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.role == zhucun_shared::role::Role::AssistingCadre)
            .unwrap();
        let (s, _) = b
            .post(
                &format!("{person_page}/postings/{}/end", posting.id),
                &[("csrf", &csrf), ("ends_on", "2025-06-30")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, ended) = app.get(&token, &report_path).await;
        assert!(!covers(&ended, "R-212"), "{ended}");
        let kinds = audit_kinds(app).await;
        assert!(kinds.iter().any(|k| k == "posting_added"));
        assert!(kinds.iter().any(|k| k == "posting_ended"));
    })
    .await;
}

#[tokio::test]
async fn the_office_creates_a_person_with_an_account_and_manages_it() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let csrf = b.csrf().await;
        let path = format!("/console/admin/townships/{}/people", app.fx.township);
        let v1 = app.fx.v1.to_string();
        let person = |username: &'static str, password: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("name", "吴新".to_string()),
                ("username", username.to_string()),
                ("password", password.to_string()),
                ("role", "resident_member".to_string()),
                ("village", v1.clone()),
                ("starts_on", "2025-03-01".to_string()),
            ]
        };
        let form = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
        // A short password: refused, naming the field; no one created.
        let weak = form(&person("wuxin", "short"));
        let weak: Vec<(&str, &str)> = weak.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, page) = b.post(&path, &weak).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("“初始密码”"), "{page}");
        assert!(app
            .state
            .store
            .user_by_username("wuxin")
            .await
            .unwrap()
            .is_none());
        let good = form(&person("wuxin", "river-chalk-lantern-26"));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, page) = b.post(&path, &good).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
        let user = app
            .state
            .store
            .user_by_username("wuxin")
            .await
            .unwrap()
            .unwrap();
        let postings = app
            .state
            .store
            .assignments_of(user.person_id)
            .await
            .unwrap();
        assert_eq!(postings.len(), 1);
        assert_eq!(postings[0].village_id, Some(app.fx.v1));
        assert_eq!(postings[0].starts_on.to_string(), "2025-03-01");
        // The same username again (any case): refused.
        let again = form(&person("WUXIN", "river-chalk-lantern-26"));
        let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _) = b.post(&path, &again).await;
        assert_eq!(s, StatusCode::CONFLICT);

        // The new account signs in; disabled, it no longer does; enabled again, it does.
        let login = |password: &'static str| {
            let http = app.http.clone();
            let url = app.url("/api/v1/auth/login");
            async move {
                http.post(url)
                    .json(&serde_json::json!({"username": "wuxin", "password": password}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(login("river-chalk-lantern-26").await, StatusCode::OK);
        let person_path = format!("/console/admin/people/{}", user.person_id);
        let (s, _) = b
            .post(
                &format!("{person_path}/account"),
                &[("csrf", &csrf), ("enabled", "false")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            login("river-chalk-lantern-26").await,
            StatusCode::UNAUTHORIZED
        );
        let (_, page) = b.get(&person_path).await;
        assert!(page.contains("已停用"));
        let (s, _) = b
            .post(
                &format!("{person_path}/account"),
                &[("csrf", &csrf), ("enabled", "true")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _) = b
            .post(
                &format!("{person_path}/password"),
                &[("csrf", &csrf), ("password", "another-secret-77")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(login("another-secret-77").await, StatusCode::OK);
        let kinds = audit_kinds(app).await;
        for k in [
            "user_added",
            "user_disabled",
            "user_enabled",
            "password_reset",
        ] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_office_revokes_a_device_and_pairs_a_household() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre2).await;
        let device = app.enroll(&token).await;
        let mut b = Browser::new(app);
        b.sign_in(app.fx.admin).await;
        let person_path = format!("/console/admin/people/{}", app.fx.cadre2);
        let (_, page) = b.get(&person_path).await;
        assert!(page.contains("使用中"), "{page}");
        let csrf = field(&page, "csrf");
        let (s, _) = b
            .post(
                &format!("{person_path}/devices/{device}/revoke"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let row = app.state.store.device(device).await.unwrap().unwrap();
        assert!(row.revoked_at.is_some());

        let h = app.fx.households[2].to_string();
        let (s, _) = b
            .post(
                &format!("{person_path}/pairings"),
                &[
                    ("csrf", &csrf),
                    ("household", &h),
                    ("starts_on", "2025-02-01"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let org = app.state.store.township_org(app.fx.township).await.unwrap();
        let pairing = org
            .pairings
            .iter()
            .find(|p| p.person_id == app.fx.cadre2)
            .unwrap()
            .clone();
        assert_eq!(pairing.household_id.to_string(), h);
        let (s, _) = b
            .post(
                &format!("{person_path}/pairings/{}/end", pairing.id),
                &[("csrf", &csrf), ("ends_on", "2025-01-01")],
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an end before the start"
        );
        let (s, _) = b
            .post(
                &format!("{person_path}/pairings/{}/end", pairing.id),
                &[("csrf", &csrf), ("ends_on", "2025-12-31")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let org = app.state.store.township_org(app.fx.township).await.unwrap();
        let ended = org.pairings.iter().find(|p| p.id == pairing.id).unwrap();
        assert_eq!(
            ended.ends_on.map(|d| d.to_string()).as_deref(),
            Some("2025-12-31")
        );
        let kinds = audit_kinds(app).await;
        for k in ["device_revoked", "pairing_added", "pairing_ended"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
    })
    .await;
}
