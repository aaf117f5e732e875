//! Ledgers generated from the demo county, downloaded over HTTP and read back — XLSX with
//! calamine, CSV as text — against the records they were made of and the verdicts they are
//! held against; and the jurisdiction and parameter checks of the download.

use crate::common::{on_each_backend, Backend, TestApp, TestDb};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::Arc;
use zhucun_server::demo::{demo_app, DEMO_PASSWORD};
use zhucun_server::evaluation::person_report;
use zhucun_server::store::{Org, Store};
use zhucun_server::AppState;
use zhucun_shared::ids::{PersonId, TownshipId, VillageId};
use zhucun_shared::org::{Township, Village};
use zhucun_shared::period::{local_date, local_time, Period};
use zhucun_shared::record::RecordBody;
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{EvidenceKind, PersonReport, RejectReason};

struct Demo {
    base: String,
    http: reqwest::Client,
    state: AppState,
    org: Org,
    month: Period,
    now: chrono::DateTime<Utc>,
}

impl Demo {
    async fn token(&self, username: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {username}");
        let v: serde_json::Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    async fn person(&self, username: &str) -> PersonId {
        self.state
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap()
            .person_id
    }

    /// The answer's status, Content-Disposition and body.
    async fn download(&self, token: &str, query: &str) -> (StatusCode, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}/api/v1/ledgers/{query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let disposition = r
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, disposition, r.bytes().await.unwrap().to_vec())
    }

    async fn xlsx(&self, token: &str, query: &str) -> Sheet {
        let (status, disposition, bytes) = self.download(token, query).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{query}: {}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''%E"),
            "{query}: {disposition}"
        );
        Sheet::read(bytes)
    }

    async fn csv(&self, token: &str, query: &str) -> Vec<Vec<String>> {
        let (status, _, bytes) = self.download(token, query).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "{query}: no byte-order mark"
        );
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    async fn report(&self, person: PersonId) -> PersonReport {
        person_report(
            &self.state,
            Arc::new(self.org.clone()),
            person,
            self.month,
            self.now,
        )
        .await
        .unwrap()
    }

    fn village(&self, name: &str) -> &Village {
        self.org.villages.iter().find(|v| v.name == name).unwrap()
    }

    /// The villages `person` holds `role` in during the month.
    fn villages_of(&self, person: PersonId, role: Role) -> Vec<VillageId> {
        let (a, b) = (self.month.first_day(), self.month.last_day());
        self.org
            .postings(person, a, b)
            .filter(|p| p.role == role)
            .filter_map(|p| p.village_id)
            .collect()
    }
}

/// One sheet read back, by absolute (row, column).
struct Sheet {
    cells: calamine::Range<Data>,
    names: Vec<(String, String)>,
    merged: Vec<calamine::Dimensions>,
    sheet_xml: String,
}

impl Sheet {
    fn read(bytes: Vec<u8>) -> Sheet {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        let mut sheet_xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet_xml)
            .unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let name = book.sheet_names()[0].clone();
        let cells = book.worksheet_range(&name).unwrap();
        let merged = book.merge_cells_by_sheet_name(&name).unwrap();
        Sheet {
            cells,
            names: book.defined_names().to_vec(),
            merged,
            sheet_xml,
        }
    }

    fn text(&self, row: u32, col: u32) -> String {
        match self.cells.get_value((row, col)) {
            None | Some(Data::Empty) => String::new(),
            Some(Data::String(s)) => s.clone(),
            Some(Data::Float(f)) => zhucun_server::ledgers::document::number_text(*f),
            Some(Data::Int(i)) => i.to_string(),
            Some(other) => other.to_string(),
        }
    }

    fn number(&self, row: u32, col: u32) -> Option<f64> {
        match self.cells.get_value((row, col)) {
            Some(Data::Float(f)) => Some(*f),
            Some(Data::Int(i)) => Some(*i as f64),
            _ => None,
        }
    }

    fn row(&self, row: u32) -> Vec<String> {
        let width = self.cells.end().map_or(0, |(_, c)| c + 1);
        (0..width).map(|c| self.text(row, c)).collect()
    }

    /// The rows from `first` whose first cell is a number (the body), up to the totals.
    fn body(&self, first: u32) -> Vec<u32> {
        (first..)
            .take_while(|r| self.number(*r, 0).is_some())
            .collect()
    }

    /// The print setup an office needs: A4, header rows repeated, the title merged.
    fn assert_printable(&self, header_rows: &str, landscape: bool) {
        assert!(self.sheet_xml.contains("paperSize=\"9\""), "not A4");
        assert_eq!(
            self.sheet_xml.contains("orientation=\"landscape\""),
            landscape
        );
        assert!(
            self.names
                .iter()
                .any(|(n, v)| n == "_xlnm.Print_Titles" && v.ends_with(header_rows)),
            "header rows not repeated: {:?}",
            self.names
        );
        assert!(
            self.merged
                .iter()
                .any(|d| d.start == (0, 0) && d.end.0 == 0 && d.end.1 > 3),
            "title not merged: {:?}",
            self.merged
        );
    }
}

async fn start_demo(db: &TestDb) -> (Demo, tokio::sync::oneshot::Sender<()>) {
    let store = db.open().await;
    let now = Utc::now();
    let (state, demo) = demo_app(store.clone(), db.dir.path(), now).await.unwrap();
    let org = store.township_org(demo.township.id).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
        let _ = rx.await;
    }));
    let last = local_date(now).with_day(1).unwrap() - Duration::days(1);
    (
        Demo {
            base,
            http: reqwest::Client::new(),
            state,
            org,
            month: Period::month(last.year(), last.month()),
            now,
        },
        tx,
    )
}

/// On SQLite: building the demo county on PostgreSQL takes ten minutes in a debug build. The
/// store calls the ledgers make are the same on both backends and run on PostgreSQL in
/// [`ledgers_are_served_within_jurisdiction_on_each_backend`].
#[tokio::test]
async fn the_demo_townships_ledgers_show_its_records_and_verdicts() {
    {
        let db = TestDb::new(&Backend::Sqlite).await;
        let (demo, stop) = start_demo(&db).await;
        let office = demo.token("jiancha").await;
        attendance_days_are_the_verdicts_days(&demo, &office).await;
        liaison_ledger_rows_are_the_counted_stays(&demo, &office).await;
        work_log_rows_are_the_records(&demo, &office).await;
        pairing_ledger_counts_what_r242_counts(&demo, &office).await;
        five_ones_lists_the_postings(&demo, &office).await;
        compliance_cells_are_the_verdicts(&demo, &office).await;
        refusals(&demo, &office).await;
        let _ = stop.send(());
        demo.state.store.close().await;
        db.cleanup().await;
    }
}

/// 考勤表: each day of a first secretary's row against R-233a's evidence (a counted day's
/// hours), its rejections (a short day's hours) and the calendar; the month's in-village
/// working days equal to what R-233a counted, for every member held to it.
async fn attendance_days_are_the_verdicts_days(demo: &Demo, token: &str) {
    let secretary = demo.person("shuji1").await;
    let village = demo.villages_of(secretary, Role::FirstSecretary)[0];
    let sheet = demo
        .xlsx(
            token,
            &format!(
                "attendance?village={village}&month={}&format=xlsx",
                demo.month
            ),
        )
        .await;
    sheet.assert_printable("$3:$4", true);
    assert!(
        sheet.text(0, 0).ends_with("驻村工作队考勤表"),
        "{}",
        sheet.text(0, 0)
    );
    assert!(sheet.text(1, 0).contains(&demo.month.label_zh()));
    let days = demo.month.last_day().day();
    assert_eq!(
        sheet.row(2)[..4],
        ["序号", "姓名", "职务", "1"].map(String::from)
    );
    assert_eq!(sheet.text(2, 3 + days), "在村工作日（天）");
    assert_eq!(sheet.text(3, 3), weekday_zh(demo.month.first_day()));
    let body = sheet.body(4);
    assert!(!body.is_empty());
    let mut checked_members = 0;
    for r in &body {
        let name = sheet.text(*r, 1);
        let person = demo.org.people.iter().find(|p| p.name == name).unwrap().id;
        let report = demo.report(person).await;
        let Some(v) = report.verdict("R-233a") else {
            continue;
        };
        checked_members += 1;
        let part = &v.parts[0];
        assert_eq!(
            sheet.number(*r, 3 + days),
            Some(part.counted as f64),
            "{name}: in-village working days"
        );
        assert_eq!(sheet.number(*r, 5 + days), Some(part.required as f64));
        if person != secretary {
            continue;
        }
        // The secretary's row, day by day.
        let mut counted: HashMap<NaiveDate, f64> = HashMap::new();
        for e in part
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::InVillageDay)
        {
            counted.insert(local_date(e.start), hours_in(&e.detail));
        }
        let short: HashMap<NaiveDate, f64> = part
            .rejected
            .iter()
            .filter(|j| j.reason == RejectReason::StayTooShort)
            .map(|j| (j.detail[..10].parse().unwrap(), hours_in(&j.detail)))
            .collect();
        for (i, d) in demo
            .month
            .first_day()
            .iter_days()
            .take(days as usize)
            .enumerate()
        {
            let col = 3 + i as u32;
            let working = demo.state.calendar.is_working_day(d).unwrap();
            if let Some(h) = counted.get(&d).or(short.get(&d)) {
                let cell = sheet.number(*r, col).unwrap_or_else(|| {
                    panic!(
                        "{d}: {h} hours in the verdict, {:?} in the sheet",
                        sheet.text(*r, col)
                    )
                });
                assert!((cell - h).abs() < 0.11, "{d}: {cell} against {h}");
            } else if working {
                assert_eq!(sheet.text(*r, col), "缺", "{d}");
            } else if sheet.number(*r, col).is_none() {
                assert!(["休", "节"].contains(&sheet.text(*r, col).as_str()), "{d}");
            }
        }
        assert!(
            !counted.is_empty(),
            "the secretary was never in the village"
        );
    }
    assert!(checked_members >= 1);

    // The CSV is the same table behind a byte-order mark.
    let rows = demo
        .csv(
            token,
            &format!(
                "attendance?village={village}&month={}&format=csv",
                demo.month
            ),
        )
        .await;
    assert_eq!(rows[0][0], sheet.text(0, 0));
    assert_eq!(rows[2][..3], ["序号", "姓名", "职务"].map(String::from));
    assert_eq!(rows[4], sheet.row(4)[..rows[4].len()].to_vec());
}

fn weekday_zh(d: NaiveDate) -> String {
    ["一", "二", "三", "四", "五", "六", "日"][d.weekday().num_days_from_monday() as usize].into()
}

/// The hours in a verdict's detail: `… 在村8.5小时` or `… 停留8.5小时 …`.
fn hours_in(detail: &str) -> f64 {
    let at = detail.find("小时").unwrap();
    let digits: String = detail[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap()
}

/// 领导挂联工作月台账: over the liaison leader's villages, the rows marked counted are exactly
/// R-211's evidence — date, arrival, departure, hours and poor households cell by cell.
async fn liaison_ledger_rows_are_the_counted_stays(demo: &Demo, token: &str) {
    let leader = demo.person("lianpian1").await;
    let name = demo.org.person(leader).unwrap().name.clone();
    let report = demo.report(leader).await;
    let part = &report.verdict("R-211").unwrap().parts[0];
    let mut counted_rows = 0;
    let villages = demo.villages_of(leader, Role::LiaisonLeader);
    assert!(!villages.is_empty());
    for village in villages {
        let village_name = demo.org.village(village).unwrap().name.clone();
        let rows = demo
            .csv(
                token,
                &format!(
                    "liaison-ledger?village={village}&month={}&format=csv",
                    demo.month
                ),
            )
            .await;
        assert_eq!(rows[0][0], format!("{village_name}领导挂联工作月台账"));
        assert_eq!(rows[2][0], "序号");
        assert_eq!(rows[2][11], "是否计入");
        for row in rows
            .iter()
            .filter(|r| r.len() == 12 && r[1] == name && r[0] != "小计")
        {
            if row[11] != "计入" {
                continue;
            }
            counted_rows += 1;
            let detail = format!(
                "{village_name} {} {}–{} 停留{:.1}小时 走访贫困户{}户",
                row[3],
                row[4],
                row[5],
                row[6].parse::<f64>().unwrap(),
                row[8]
            );
            assert!(
                part.evidence.iter().any(|e| e.detail == detail),
                "{detail} is not among R-211's evidence: {:?}",
                part.evidence.iter().map(|e| &e.detail).collect::<Vec<_>>()
            );
        }
        let subtotal = rows
            .iter()
            .find(|r| r[0] == "小计" && r[1] == name)
            .unwrap();
        assert!(
            subtotal[10].contains(&format!(
                "全月合格到村{}次，要求≥{}次",
                part.counted, part.required
            )),
            "{subtotal:?}"
        );
        assert_eq!(
            subtotal[11],
            report.verdict("R-211").unwrap().status.label_zh()
        );
    }
    assert_eq!(counted_rows, part.counted, "rows marked 计入 against R-211");
}

/// 工作日志: a visit's row is its check-in, check-out, photos and notes as recorded; the month's
/// visits in the totals are the check-ins recorded.
async fn work_log_rows_are_the_records(demo: &Demo, token: &str) {
    let cadre = demo.person("duiyuan1").await;
    let sheet = demo
        .xlsx(
            token,
            &format!("work-log?person={cadre}&month={}", demo.month),
        )
        .await;
    sheet.assert_printable("$3:$3", false);
    assert_eq!(
        sheet.row(2),
        [
            "日期",
            "时间",
            "类别",
            "地点",
            "内容",
            "时长（小时）",
            "照片（张）",
            "核验"
        ]
        .map(String::from)
    );
    let records = demo
        .state
        .store
        .records_of(
            cadre,
            zhucun_shared::period::day_start(demo.month.first_day()),
            zhucun_shared::period::day_end(demo.month.last_day()),
        )
        .await
        .unwrap();
    let gone = zhucun_shared::visits::withdrawn(records.iter());
    let check_ins: Vec<_> = records
        .iter()
        .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }) && !gone.contains(&r.id))
        .collect();
    assert!(!check_ins.is_empty());
    // The body runs from row 3 to the totals.
    let last = (3..).find(|r| sheet.text(*r, 0) == "合计").unwrap();
    let visit_rows: Vec<u32> = (3..last)
        .filter(|r| sheet.text(*r, 2) == "入户走访")
        .collect();
    assert_eq!(visit_rows.len(), check_ins.len());
    let totals = sheet.text(last, 4);
    assert!(
        totals.contains(&format!("入户走访{}户次", check_ins.len())),
        "{totals}"
    );
    // The first visit with a note, cell by cell.
    let with_note = check_ins
        .iter()
        .find(|c| {
            records.iter().any(
                |r| matches!(&r.body, RecordBody::Note { attached_to, .. } if attached_to == &c.id),
            )
        })
        .expect("a visit with a note");
    let RecordBody::HouseholdCheckIn { household_id, .. } = &with_note.body else {
        unreachable!()
    };
    let start = local_time(with_note.captured_at)
        .format("%H:%M")
        .to_string();
    let day = local_date(with_note.captured_at)
        .format("%m-%d")
        .to_string();
    let row = visit_rows
        .iter()
        .copied()
        .find(|r| sheet.text(*r, 0) == day && sheet.text(*r, 1).starts_with(&start))
        .expect("the visit's row");
    let household = demo.org.household(*household_id).unwrap();
    assert!(sheet
        .text(row, 3)
        .ends_with(&format!("{}户", household.head_name)));
    let check_out = records.iter().find_map(|r| match &r.body {
        RecordBody::HouseholdCheckOut { check_in, .. } if check_in == &with_note.id => {
            Some(r.captured_at)
        }
        _ => None,
    });
    if let Some(out) = check_out {
        assert_eq!(
            sheet.text(row, 1),
            format!("{start}–{}", local_time(out).format("%H:%M"))
        );
    }
    let photos = records
        .iter()
        .filter(|r| matches!(&r.body, RecordBody::Photo { attached_to, .. } if attached_to == &with_note.id))
        .count();
    assert_eq!(sheet.number(row, 6), Some(photos as f64));
    let replaced: std::collections::BTreeSet<_> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Note { replaces, .. } => *replaces,
            _ => None,
        })
        .collect();
    for r in records
        .iter()
        .filter(|r| !replaced.contains(&r.id) && !gone.contains(&r.id))
    {
        if let RecordBody::Note {
            attached_to, text, ..
        } = &r.body
        {
            if attached_to == &with_note.id && !text.trim().is_empty() {
                assert!(
                    sheet.text(row, 4).contains(text.as_str()),
                    "note {text:?} not kept"
                );
            }
        }
    }
}

/// 结对帮扶台账: the visits marked counted are R-242's, and the totals say so.
async fn pairing_ledger_counts_what_r242_counts(demo: &Demo, token: &str) {
    let cadre = demo.person("bangfu1").await;
    let report = demo.report(cadre).await;
    let verdict = report
        .verdict("R-242")
        .expect("a pairing cadre is held to R-242");
    let part = &verdict.parts[0];
    let sheet = demo
        .xlsx(
            token,
            &format!("pairing-ledger?person={cadre}&month={}", demo.month),
        )
        .await;
    sheet.assert_printable("$3:$3", true);
    assert_eq!(sheet.text(2, 1), "户主");
    assert_eq!(sheet.text(2, 11), "是否计入");
    let body = sheet.body(3);
    let counted = body
        .iter()
        .filter(|r| sheet.text(**r, 11) == "计入")
        .count();
    assert_eq!(counted as u32, part.counted);
    let paired = demo
        .org
        .paired(cadre, demo.month.first_day(), demo.month.last_day());
    let households: std::collections::BTreeSet<String> =
        body.iter().map(|r| sheet.text(*r, 0)).collect();
    assert_eq!(
        households.len(),
        paired.len(),
        "one numbered household per pairing"
    );
    let totals = body.last().unwrap() + 1;
    assert_eq!(sheet.text(totals, 0), "合计");
    assert_eq!(
        sheet.text(totals, 10),
        format!("R-242 计入{}次，要求≥{}次", part.counted, part.required)
    );
}

/// 五个一登记表: a row per village, with the first secretaries posted there.
async fn five_ones_lists_the_postings(demo: &Demo, token: &str) {
    let date = demo.month.last_day();
    let sheet = demo.xlsx(token, &format!("five-ones?date={date}")).await;
    assert!(sheet.text(0, 0).contains("五个一"));
    assert_eq!(sheet.text(2, 3), "驻村第一书记");
    let body = sheet.body(3);
    assert_eq!(body.len(), demo.org.villages.len());
    for r in body {
        let v = demo.village(&sheet.text(r, 1));
        for a in demo.org.assignments.iter().filter(|a| {
            a.village_id == Some(v.id) && a.role == Role::FirstSecretary && a.overlaps(date, date)
        }) {
            let name = &demo.org.person(a.person_id).unwrap().name;
            assert!(
                sheet.text(r, 3).contains(name.as_str()),
                "{}: {name}",
                v.name
            );
        }
        let households = demo.org.households_of(v.id).count();
        assert_eq!(sheet.number(r, 12), Some(households as f64));
    }
}

/// 考核汇总表: a team leader's R-212 cell is their verdict.
async fn compliance_cells_are_the_verdicts(demo: &Demo, token: &str) {
    let leader = demo.person("duizhang1").await;
    let name = demo.org.person(leader).unwrap().name.clone();
    let report = demo.report(leader).await;
    let v = report.verdict("R-212").unwrap();
    let sheet = demo
        .xlsx(token, &format!("compliance?period={}", demo.month))
        .await;
    let col = (0..40).find(|c| sheet.text(2, *c) == "R-212").unwrap();
    let row = sheet
        .body(4)
        .into_iter()
        .find(|r| sheet.text(*r, 1) == name)
        .unwrap();
    assert_eq!(
        sheet.text(row, col),
        format!(
            "{}（{}/{}）",
            v.status.label_zh(),
            v.parts[0].counted,
            v.parts[0].required
        )
    );
}

async fn refusals(demo: &Demo, office: &str) {
    let month = demo.month;
    // A village and a township of another county's office.
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
        boundary: demo.org.villages[0].boundary.clone(),
        poor: true,
        exiting_this_year: false,
    };
    demo.state
        .store
        .put_org(&Org {
            townships: vec![other.clone()],
            villages: vec![foreign.clone()],
            ..Org::default()
        })
        .await
        .unwrap();
    let status = |q: String| async move { demo.download(office, &q).await.0 };
    assert_eq!(
        status(format!("attendance?village={}&month={month}", foreign.id)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(format!("five-ones?township={}", other.id)).await,
        StatusCode::FORBIDDEN
    );
    // A team leader sees their own team, not another village's.
    let leader = demo.person("duizhang1").await;
    let own = demo.villages_of(leader, Role::TeamLeader)[0];
    let elsewhere = demo.org.villages.iter().find(|v| v.id != own).unwrap().id;
    let t = demo.token("duizhang1").await;
    assert_eq!(
        demo.download(&t, &format!("attendance?village={own}&month={month}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        demo.download(&t, &format!("attendance?village={elsewhere}&month={month}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        demo.download(&t, &format!("compliance?period={month}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Unknown things are 404, bad parameters 422 naming the field.
    assert_eq!(
        status(format!(
            "attendance?village={}&month={month}",
            VillageId::new()
        ))
        .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(format!("work-log?person={}&month={month}", PersonId::new())).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status("minutes?month=2026-11".into()).await,
        StatusCode::NOT_FOUND
    );
    let village = demo.org.villages[0].id;
    for (query, field) in [
        (
            format!("attendance?village={village}&month=2026-13"),
            "month",
        ),
        (format!("attendance?village={village}&format=pdf"), "format"),
        ("attendance?month=2026-11".to_string(), "village"),
        ("work-log?person=someone".to_string(), "person"),
        ("five-ones?date=2026-02-30".to_string(), "date"),
        ("compliance?period=2026-W47".to_string(), "period"),
    ] {
        let (s, _, body) = demo.download(office, &query).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["field"], field, "{query}: {v}");
    }
}

/// The fixture's township on each backend: a team's 考勤表 for its leader and the township's
/// supervisor, with the R-233a verdict in its row; refusals outside jurisdiction, 404 for what
/// does not exist and 422 naming the parameter.
#[tokio::test]
async fn ledgers_are_served_within_jurisdiction_on_each_backend() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let month = Period::month(2026, 10);
        let get = |token: String, query: String| async move {
            let r = app
                .http
                .get(app.url(&format!("/api/v1/ledgers/{query}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.bytes().await.unwrap().to_vec())
        };
        let supervisor = app.login(fx.supervisor).await;
        let leader = app.login(fx.leader1).await;
        let outsider = app.login(fx.outsider).await;
        let cadre = app.login(fx.cadre1).await;

        let (s, body) = get(
            supervisor.clone(),
            format!("attendance?village={}&month={month}&format=csv", fx.v1),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(body[3..].to_vec()).unwrap();
        let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[2][..3], ["序号", "姓名", "职务"].map(String::from));
        let (_, report) = app
            .get(
                &cadre,
                &format!("/api/v1/people/{}/report?month={month}", fx.cadre1),
            )
            .await;
        let counted = report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule_id"] == "R-233a")
            .map(|v| v["parts"][0]["counted"].as_u64().unwrap())
            .expect("a resident member is held to R-233a");
        let cadre_row = rows
            .iter()
            .find(|r| r.get(2).is_some_and(|c| c.contains("驻村工作队员")))
            .expect("the resident member's row");
        assert_eq!(cadre_row[3 + 31], counted.to_string());

        // The team leader has their own team's, not another village's; a cadre their own log.
        let ok = |q: &str| format!("{q}&month={month}");
        assert_eq!(
            get(leader.clone(), ok(&format!("attendance?village={}", fx.v1)))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            get(leader.clone(), ok(&format!("attendance?village={}", fx.v2)))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(cadre.clone(), ok(&format!("work-log?person={}", fx.cadre1)))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            get(cadre.clone(), ok(&format!("work-log?person={}", fx.cadre2)))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // Another township's office sees nothing of this one, and this one nothing of it.
        assert_eq!(
            get(
                outsider.clone(),
                ok(&format!("attendance?village={}", fx.v1))
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(
                supervisor.clone(),
                format!("five-ones?township={}", fx.other_township)
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            get(supervisor.clone(), format!("compliance?period={month}"))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            get(
                supervisor.clone(),
                ok(&format!("attendance?village={}", VillageId::new()))
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(supervisor.clone(), "ledger-of-everything".into())
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (s, body) = get(
            supervisor.clone(),
            format!("attendance?village={}&month=2026-00", fx.v1),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["field"], "month");
    })
    .await;
}

/// The submission chain of a village's monthly ledger, on each backend: the village's team
/// leader confirms, the township's supervisor forwards, the county office receives — each
/// once, in order, by the office that holds the step, each timestamped with its deadline and
/// written to the audit log.
#[tokio::test]
async fn a_villages_monthly_ledger_goes_up_the_chain_in_order() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let today = local_date(Utc::now());
        let last = today.with_day(1).unwrap() - Duration::days(1);
        let month = Period::month(last.year(), last.month());
        let path = "/api/v1/ledger-submissions";
        let step = |name: &str, remarks: &str| {
            serde_json::json!({"village": fx.v1, "month": month.to_string(), "step": name, "remarks": remarks})
        };
        let leader = app.login(fx.leader1).await;
        let cadre = app.login(fx.cadre1).await;
        let supervisor = app.login(fx.supervisor).await;
        let admin = app.login(fx.admin).await;
        let outsider = app.login(fx.outsider).await;

        let (s, _) = app.post_json(&cadre, path, &step("confirmed", "")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a resident member does not confirm");
        let (s, v) = app.post_json(&supervisor, path, &step("forwarded", "")).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_order")));

        let (s, v) = app.post_json(&leader, path, &step("generated", "")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .post_json(&leader, path, &step("confirmed", "本月台账已核对，另附照片说明。"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["steps"][1]["step"], "confirmed");
        assert_eq!(v["steps"][1]["remarks"], "本月台账已核对，另附照片说明。");
        assert_eq!(v["steps"][1]["due"], month.last_day().to_string());
        assert_eq!(v["steps"][1]["on_time"], false, "confirmed after the month ended");
        let (s, v) = app.post_json(&leader, path, &step("confirmed", "")).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("already_taken")));

        let (s, _) = app.post_json(&outsider, path, &step("forwarded", "")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.post_json(&leader, path, &step("forwarded", "")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a team leader is not the township office");
        let (s, v) = app.post_json(&supervisor, path, &step("forwarded", "")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let fifth = month.next_month_first_day() + Duration::days(4);
        assert_eq!(v["steps"][2]["on_time"], today <= fifth);
        let (s, _) = app.post_json(&supervisor, path, &step("received", "")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a supervisor is not the county office");
        let (s, v) = app.post_json(&admin, path, &step("received", "")).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let query = format!("{path}?village={}&month={month}", fx.v1);
        let (s, v) = app.get(&leader, &query).await;
        assert_eq!(s, StatusCode::OK);
        let steps: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["generated", "confirmed", "forwarded", "received"]);
        let cadre2 = app.login(fx.cadre2).await;
        assert_eq!(app.get(&cadre2, &query).await.0, StatusCode::FORBIDDEN);

        let entries = app.state.store.audit_entries(0, 10_000, None).await.unwrap();
        let logged: Vec<_> = entries
            .iter()
            .filter(|e| e.entry.kind == "ledger_step")
            .collect();
        assert_eq!(logged.len(), 4);
        assert_eq!(logged[0].entry.subject, format!("{}/{month}", fx.v1));

        for (body, field) in [
            (step("approved", ""), "step"),
            (
                serde_json::json!({"village": fx.v1, "month": "2100-01", "step": "confirmed"}),
                "month",
            ),
            (step("confirmed", &"长".repeat(501)), "remarks"),
        ] {
            let (s, v) = app.post_json(&leader, path, &body).await;
            assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
        }
        let (s, _) = app
            .post_json(
                &leader,
                path,
                &serde_json::json!({"village": VillageId::new(), "month": month.to_string(), "step": "confirmed"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}
