//! The review console over real HTTP: signing in with a cookie (HttpOnly, SameSite=Strict),
//! CSRF tokens on every form, the content security policy, jurisdiction on every page and on
//! the map's data, and the cookie kept apart from the bearer API.

use crate::common::browser::*;
use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_server::store::Store;
use zhucun_shared::ids::PersonId;
use zhucun_shared::period::local_date;

fn month_first(d: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    d.with_day(1).unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_pages_need_it() {
    on_each_backend(async |app: &TestApp| {
        let mut b = Browser::new(app);
        // No session: to the sign-in page, and back afterwards.
        let (s, h, _) = b.get_full("/console/?month=2026-11").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            h[LOCATION],
            "/console/login?next=%2Fconsole%2F%3Fmonth%3D2026-11"
        );
        let (s, h, page) = b.get_full("/console/login").await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("登录"));
        let csp = h[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        let csrf = field(&page, "csrf");
        let origin = app.base.clone();

        // A form without the sign-in page's token: refused, nothing signed in.
        let (s, _, _) = b
            .post_from(
                "/console/login",
                &[
                    ("username", "leader1"),
                    ("password", PASSWORD),
                    ("csrf", "forged"),
                ],
                Some(&origin),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A form from another site: refused before anything is checked.
        let (s, _, _) = b
            .post_from(
                "/console/login",
                &[
                    ("username", "leader1"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                ],
                Some("http://evil.example"),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A wrong password: the same words whether or not the account exists.
        let (_, _, page) = b.get_full("/console/login").await;
        let csrf = field(&page, "csrf");
        let (s, _, page) = b
            .post_from(
                "/console/login",
                &[
                    ("username", "leader1"),
                    ("password", "wrong"),
                    ("csrf", &csrf),
                ],
                Some(&origin),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(page.contains("用户名或密码错误"));

        let (_, _, page) = b.get_full("/console/login").await;
        let csrf = field(&page, "csrf");
        let r = b
            .http
            .post(app.url("/console/login"))
            .header("cookie", b.cookie_header())
            .header("origin", &origin)
            .form(&[
                ("username", "leader1"),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", "//evil.example/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // Never sent to another site after signing in.
        assert_eq!(r.headers()[LOCATION], "/console/");
        let session_cookie = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .find(|c| c.starts_with("zhucun_console="))
            .expect("session cookie");
        assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
        assert!(
            session_cookie.contains("SameSite=Strict"),
            "{session_cookie}"
        );
        b.keep_cookies(&r);

        let (s, h, page) = b.get_full("/console/").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["cache-control"], "no-store, private");
        assert!(page.contains("总览"));

        // The cookie is the console's alone: the bearer API does not take it.
        let r = b
            .http
            .get(app.url("/api/v1/people"))
            .header("cookie", b.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        // Signing out needs the page's token, and ends the session on the server.
        let (s, _, _) = b
            .post_from("/console/logout", &[("csrf", "forged")], Some(&origin))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let csrf = field(&page, "csrf");
        let stolen = b.cookie_header();
        let (s, _, _) = b
            .post_from("/console/logout", &[("csrf", &csrf)], Some(&origin))
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let r = b
            .http
            .get(app.url("/console/"))
            .header("cookie", stolen)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "the old cookie opens nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn pages_show_only_what_the_viewer_may_see() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        // The v1 cadre's morning in the village.
        let token = app.login(fx.cadre1).await;
        let device = app.enroll(&token).await;
        // An hour of fixes within one China day: three hours ago, or in the first hours of a
        // day, the evening before.
        let mut start = Utc::now() - Duration::hours(3);
        if local_date(start) != local_date(start + Duration::minutes(60)) {
            start = zhucun_shared::period::day_start(local_date(Utc::now())) - Duration::hours(3);
        }
        let records = fix_records(device, fx.cadre1, 1..=60, start);
        let (s, _) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK);
        let day = local_date(start);
        let month = day.format("%Y-%m").to_string();

        let mut leader = Browser::new(app);
        leader.sign_in(fx.leader1).await;
        let (s, _, page) = leader.get_full(&format!("/console/?month={month}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&format!("/console/people/{}", fx.cadre1)),
            "their team member"
        );
        assert!(
            !page.contains(&format!("/console/people/{}", fx.cadre2)),
            "another team's"
        );
        assert!(!page.contains(&format!("/console/people/{}", fx.outsider)));

        let (s, _, page) = leader
            .get_full(&format!(
                "/console/people/{}?month={month}&day={day}",
                fx.cadre1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("各项考核") && page.contains("data-src"));
        // A range of days: one map over the range.
        let (s, _, page) = leader
            .get_full(&format!(
                "/console/people/{}?month={month}&day={}&to={}",
                fx.cadre1,
                month_first(day),
                day
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&format!("map?from={}&amp;to={day}", month_first(day))),
            "the map spans the range"
        );
        let (s, _, json) = leader
            .get_full(&format!(
                "/console/people/{}/map?from={day}&to={day}",
                fx.cadre1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        let map: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(map["raw_fixes"], 60);
        let drawn = map["drawn_vertices"].as_u64().unwrap();
        assert!(
            (2..60).contains(&drawn),
            "a straight walk is drawn with few vertices: {drawn}"
        );
        assert_eq!(map["base"]["kind"], "none");
        assert!(!map["villages"].as_array().unwrap().is_empty());

        // Another team, another township, no such person; a span too long.
        for (who, want) in [
            (fx.cadre2.to_string(), StatusCode::FORBIDDEN),
            (fx.outsider.to_string(), StatusCode::FORBIDDEN),
            (PersonId::new().to_string(), StatusCode::NOT_FOUND),
        ] {
            let (s, _, _) = leader
                .get_full(&format!("/console/people/{who}?month={month}"))
                .await;
            assert_eq!(s, want, "page of {who}");
            let (s, _, _) = leader
                .get_full(&format!("/console/people/{who}/map?from={day}&to={day}"))
                .await;
            assert_eq!(s, want, "map of {who}");
        }
        let (s, _, body) = leader
            .get_full(&format!(
                "/console/people/{}/map?from={day}&to={}",
                fx.cadre1,
                day + Duration::days(40)
            ))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("\"field\":\"to\""), "{body}");

        // A cadre of another township sees none of it.
        let mut outsider = Browser::new(app);
        outsider.sign_in(fx.outsider).await;
        let (s, _, _) = outsider
            .get_full(&format!("/console/people/{}?month={month}", fx.cadre1))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _, page) = outsider.get_full(&format!("/console/?month={month}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!page.contains(&format!("/console/people/{}", fx.cadre1)));

        // The supervisor sees the township, both teams.
        let mut supervisor = Browser::new(app);
        supervisor.sign_in(fx.supervisor).await;
        let (_, _, page) = supervisor
            .get_full(&format!("/console/?month={month}&group=cluster"))
            .await;
        assert!(page.contains(&format!("/console/people/{}", fx.cadre1)));
        assert!(page.contains(&format!("/console/people/{}", fx.cadre2)));
        // A filter by a status shows only people with a verdict of that status.
        let (_, _, filtered) = supervisor
            .get_full(&format!("/console/?month={month}&status=late"))
            .await;
        assert!(filtered.matches("data-person=").count() <= page.matches("data-person=").count());
    })
    .await;
}

#[tokio::test]
async fn console_files_are_served_and_unknown_ones_are_not() {
    on_each_backend(async |app: &TestApp| {
        let http = reqwest::Client::new();
        let r = http
            .get(app.url("/console/assets/leaflet/leaflet.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert!(r.text().await.unwrap().contains("Leaflet"));
        let r = http
            .get(app.url("/console/assets/../Cargo.toml"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn ledgers_print_and_download_within_the_viewers_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let month = local_date(Utc::now()).format("%Y-%m").to_string();
        let mut leader = Browser::new(app);
        leader.sign_in(fx.leader1).await;
        let (s, _, page) = leader
            .get_full(&format!("/console/ledgers?month={month}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        // Their own village's attendance and their team member's log; not the other team's,
        // and not the township's tables, which only those who see it whole may open.
        assert!(
            page.contains(&format!("attendance?village={}", fx.v1)),
            "{page}"
        );
        assert!(page.contains(&format!("work-log?person={}", fx.cadre1)));
        assert!(!page.contains(&format!("village={}", fx.v2)));
        assert!(!page.contains(&format!("work-log?person={}", fx.cadre2)));
        assert!(!page.contains("data-document=\"compliance\""));

        // The print view: the document's title, its header rows in a repeating thead.
        let (s, _, page) = leader
            .get_full(&format!(
                "/console/ledgers/attendance?village={}&month={month}",
                fx.v1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("考勤表") && page.contains("<thead>"),
            "{page}"
        );
        // The same document as a file.
        let (s, h, _) = leader
            .get_full(&format!(
                "/console/ledgers/attendance?village={}&month={month}&format=xlsx",
                fx.v1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(h["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        // Another team's, the township's, an unknown kind.
        for (path, want) in [
            (
                format!("attendance?village={}&month={month}", fx.v2),
                StatusCode::FORBIDDEN,
            ),
            (
                format!("work-log?person={}&month={month}", fx.cadre2),
                StatusCode::FORBIDDEN,
            ),
            (
                format!("compliance?township={}&period={month}", fx.township),
                StatusCode::FORBIDDEN,
            ),
            (
                format!("work-log?person={}&month={month}&format=csv", fx.outsider),
                StatusCode::FORBIDDEN,
            ),
            ("no-such-thing".to_string(), StatusCode::NOT_FOUND),
            (
                format!("attendance?village=x&month={month}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let (s, _, _) = leader.get_full(&format!("/console/ledgers/{path}")).await;
            assert_eq!(s, want, "{path}");
        }
        // The supervisor sees the township's tables.
        let mut supervisor = Browser::new(app);
        supervisor.sign_in(fx.supervisor).await;
        let (_, _, page) = supervisor
            .get_full(&format!("/console/ledgers?month={month}"))
            .await;
        assert!(page.contains("data-document=\"compliance\""));
        let (s, _, page) = supervisor
            .get_full(&format!(
                "/console/ledgers/compliance?township={}&period={month}",
                fx.township
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("考核汇总表"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn the_village_confirms_its_monthly_ledger_and_the_office_sends_it_on() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let month = local_date(Utc::now()).format("%Y-%m").to_string();
        let ledger = format!(
            "/console/ledgers/liaison-ledger?village={}&month={month}",
            fx.v1
        );
        let mut leader = Browser::new(app);
        leader.sign_in(fx.leader1).await;
        let (s, _, page) = leader.get_full(&ledger).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "the village's team leader reads its ledger"
        );
        assert!(
            page.contains("尚未确认") && page.contains(">生成</button>"),
            "{page}"
        );
        let csrf = field(&page, "csrf");
        let origin = app.base.clone();
        let form = |step: &'static str, csrf: String| {
            vec![
                ("csrf", csrf),
                ("village", fx.v1.to_string()),
                ("month", month.clone()),
                ("step", step.to_string()),
                ("remarks", "已核对本月走访与停留".to_string()),
            ]
        };
        let post = async |b: &mut Browser<'_>, f: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post_from("/console/ledgers/steps", &pairs, Some(&origin))
                .await
                .0
        };
        // Without the page's token: refused, nothing taken.
        assert_eq!(
            post(&mut leader, form("confirmed", "forged".into())).await,
            StatusCode::FORBIDDEN
        );
        // The township's step is not the team leader's.
        assert_eq!(
            post(&mut leader, form("forwarded", csrf.clone())).await,
            StatusCode::FORBIDDEN
        );
        // Generated first (its version kept), then confirmed from the form the page shows.
        assert_eq!(
            post(&mut leader, form("generated", csrf.clone())).await,
            StatusCode::SEE_OTHER
        );
        let (_, _, page) = leader.get_full(&ledger).await;
        assert!(
            page.contains("data-step=\"generated\"") && page.contains(">村确认</button>"),
            "{page}"
        );
        let sha = field(&page, "content_sha256");
        assert_eq!(sha.len(), 64, "{page}");
        let mut confirm = form("confirmed", csrf.clone());
        confirm.push(("content_sha256", sha));
        assert_eq!(post(&mut leader, confirm).await, StatusCode::SEE_OTHER);
        let (_, _, page) = leader.get_full(&ledger).await;
        assert!(
            page.contains("data-step=\"confirmed\"") && page.contains("已核对本月走访与停留"),
            "{page}"
        );
        assert_eq!(
            post(&mut leader, form("forwarded", csrf.clone())).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post(&mut leader, form("confirmed", csrf)).await,
            StatusCode::CONFLICT,
            "taken once"
        );

        // The county office sends it on.
        let mut office = Browser::new(app);
        office.sign_in(fx.admin).await;
        let (s, _, page) = office.get_full(&ledger).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(">乡报送</button>"), "{page}");
        let csrf = field(&page, "csrf");
        assert_eq!(
            post(&mut office, form("forwarded", csrf)).await,
            StatusCode::SEE_OTHER
        );
        let (_, _, page) = office.get_full(&ledger).await;
        assert!(
            page.contains("data-step=\"forwarded\"") && page.contains("按期"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn findings_from_the_console_are_refused_outside_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        // A record of the v2 cadre: outside the v1 team leader's reach.
        let token = app.login(fx.cadre2).await;
        let device = app.enroll(&token).await;
        let records = fix_records(device, fx.cadre2, 1..=3, Utc::now() - Duration::hours(1));
        let (s, _) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK);
        let target = records[0].id.to_string();
        let finding = |csrf: String| {
            vec![
                ("csrf".to_string(), csrf),
                ("record_id".to_string(), target.clone()),
                ("outcome".to_string(), "not_confirmed".to_string()),
                ("comment".to_string(), "未核实".to_string()),
            ]
        };
        let send = async |b: &mut Browser<'_>, f: Vec<(String, String)>| {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post("/console/spot-checks/findings", &pairs).await.0
        };
        // Another team's leader: answered as an unknown record; a cadre is no checker.
        let mut leader = Browser::new(app);
        leader.sign_in(fx.leader1).await;
        let csrf = leader.csrf().await;
        assert_eq!(
            send(&mut leader, finding(csrf)).await,
            StatusCode::NOT_FOUND
        );
        let mut cadre = Browser::new(app);
        cadre.sign_in(fx.cadre1).await;
        let csrf = cadre.csrf().await;
        assert_eq!(send(&mut cadre, finding(csrf)).await, StatusCode::FORBIDDEN);
        let (s, _) = cadre.get("/console/spot-checks").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Nothing was written: the supervisor's queue item, and the record, stand as they were.
        let notes = app
            .state
            .store
            .records_of(
                fx.leader1,
                Utc::now() - Duration::days(1),
                Utc::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        // A file nobody may have, by hash: 404 from the console as from the API.
        let (s, _) = leader
            .get(&format!("/console/photos/{}", "ab".repeat(32)))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}
