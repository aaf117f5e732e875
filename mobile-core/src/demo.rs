//! Demo data: one village with its boundary and households, a cadre who leads its team, a
//! walk through the village for the simulated location, and the verdicts a server would send.
//! Used by tests, the desktop demo (`ZHUCUN_DEMO=1`) and the screenshots.

use crate::platform::location::{RoutePoint, SimulatedRoute};
use crate::store::TrackPoint;
use crate::team::TeamMember;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::{LineString, MultiPolygon, Polygon};
use zhucun_shared::calendar::BUNDLED_CALENDAR;
use zhucun_shared::catalogue::BUNDLED_RULES;
use zhucun_shared::geometry::{offset, VillageShape};
use zhucun_shared::ids::*;
use zhucun_shared::org::{
    Assignment, Directory, Household, HouseholdCategory, LatLon, Pairing, Person, Township, Village,
};
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::role::Role;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::verdict::{Part, PersonReport, Status, Verdict};

pub const ME: PersonId = PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
pub const TEAMMATE: PersonId = PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
pub const TOWNSHIP: TownshipId = TownshipId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0010);
pub const VILLAGE: VillageId = VillageId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0020);

/// The middle of the demo village.
pub fn village_centre() -> LatLon {
    LatLon::new(26.5702, 106.7115)
}

/// An irregular boundary about 1.6 km × 1.2 km around the centre.
pub fn boundary() -> MultiPolygon<f64> {
    let c = village_centre();
    let corners = [
        (-600.0, -800.0),
        (-650.0, 200.0),
        (-200.0, 850.0),
        (550.0, 700.0),
        (620.0, -100.0),
        (300.0, -750.0),
    ];
    let ring: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(n, e)| {
            let p = offset(c, e, n);
            (p.lon, p.lat)
        })
        .collect();
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

const HEADS: [(&str, f64, f64, &[HouseholdCategory]); 12] = [
    ("杨德明", 120.0, 80.0, &[HouseholdCategory::Poor]),
    (
        "吴秀英",
        180.0,
        -150.0,
        &[HouseholdCategory::Poor, HouseholdCategory::CriticallyIll],
    ),
    ("龙正发", -90.0, 260.0, &[HouseholdCategory::Poor]),
    ("石国华", -250.0, -120.0, &[HouseholdCategory::PartyMember]),
    (
        "潘金妹",
        320.0,
        310.0,
        &[
            HouseholdCategory::Poor,
            HouseholdCategory::EmptyNestOrLeftBehind,
        ],
    ),
    ("杨光荣", 60.0, -380.0, &[HouseholdCategory::Poor]),
    ("吴老四", -330.0, 420.0, &[HouseholdCategory::Hardship]),
    ("罗世英", 400.0, -300.0, &[HouseholdCategory::Poor]),
    ("张有才", -420.0, -450.0, &[HouseholdCategory::Poor]),
    (
        "王翠兰",
        250.0,
        520.0,
        &[HouseholdCategory::EmptyNestOrLeftBehind],
    ),
    ("李明富", -150.0, 600.0, &[HouseholdCategory::Poor]),
    (
        "陈家宝",
        480.0,
        60.0,
        &[HouseholdCategory::Poor, HouseholdCategory::PartyMember],
    ),
];

/// The demo village's 村民小组.
const GROUPS: [&str; 3] = ["一组", "二组", "三组"];

pub fn households() -> Vec<Household> {
    HEADS
        .iter()
        .enumerate()
        .map(|(i, (name, n, e, cats))| Household {
            id: HouseholdId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_1000 + i as u128),
            village_id: VILLAGE,
            head_name: (*name).to_string(),
            location: offset(village_centre(), *e, *n),
            categories: cats.to_vec(),
            members: 2 + (i as u32 % 4),
            group: Some(GROUPS[i % GROUPS.len()].to_string()),
        })
        .collect()
}

/// A village at real scale: the demo's households and `extra` more, spread over twelve
/// 村民小组 inside the boundary, every fifth of a must-visit category (`ZHUCUN_DEMO=village`,
/// the household list's benchmark and tests). Deterministic.
pub fn village_households(extra: usize) -> Vec<Household> {
    const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗";
    const GIVEN: &str = "德明秀英国华建平文玉兰志强金芳永福海燕春生桂香";
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let groups = [
        "一组",
        "二组",
        "三组",
        "四组",
        "五组",
        "六组",
        "七组",
        "八组",
        "九组",
        "十组",
        "十一组",
        "十二组",
    ];
    let mut out = households();
    for i in 0..extra {
        let g = i % groups.len();
        // Each group a hamlet of its own, around a point on a ring inside the boundary.
        let angle = g as f64 / groups.len() as f64 * std::f64::consts::TAU;
        let (east, north) = (
            350.0 * angle.cos() + (i * 37 % 120) as f64 - 60.0,
            350.0 * angle.sin() + (i * 53 % 120) as f64 - 60.0,
        );
        let name: String = [
            surnames[i % surnames.len()],
            given[(i / surnames.len()) % given.len()],
            given[(i * 7 + 3) % given.len()],
        ]
        .iter()
        .collect();
        let categories = match i % 10 {
            0 => vec![HouseholdCategory::PartyMember],
            5 => vec![HouseholdCategory::Poor, HouseholdCategory::Hardship],
            3 | 7 => vec![HouseholdCategory::Poor],
            _ => Vec::new(),
        };
        out.push(Household {
            id: HouseholdId::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 + i as u128),
            village_id: VILLAGE,
            head_name: name,
            location: offset(village_centre(), east, north),
            categories,
            members: 1 + (i as u32 % 6),
            group: Some(groups[g].to_string()),
        });
    }
    out
}

fn since() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date")
}

fn assignment(n: u128, person: PersonId, role: Role) -> Assignment {
    Assignment {
        id: AssignmentId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_2000 + n),
        person_id: person,
        role,
        village_id: Some(VILLAGE),
        township_id: TOWNSHIP,
        starts_on: since(),
        ends_on: None,
    }
}

/// What the server would answer a first pull, with verdicts as of `now`.
pub fn pull(now: DateTime<Utc>) -> PullResponse {
    let pairings = households()
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, h)| Pairing {
            id: PairingId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_3000 + i as u128),
            person_id: ME,
            household_id: h.id,
            starts_on: since(),
            ends_on: None,
        })
        .collect();
    PullResponse {
        cursor: "demo-1".into(),
        changed: true,
        me: Some(Person {
            id: ME,
            name: "杨志刚".into(),
            township_id: TOWNSHIP,
            unit_id: None,
        }),
        org: Directory {
            townships: vec![Township {
                id: TOWNSHIP,
                name: "龙场镇".into(),
                county: "修文县".into(),
            }],
            assignments: vec![
                assignment(1, ME, Role::TeamLeader),
                assignment(2, TEAMMATE, Role::ResidentMember),
            ],
            villages: vec![Village {
                id: VILLAGE,
                township_id: TOWNSHIP,
                name: "青山村".into(),
                code: Some("520123100201".into()),
                boundary: boundary(),
                poor: true,
                exiting_this_year: false,
            }],
            households: households(),
            pairings,
            people: Vec::new(),
        },
        rules_toml: BUNDLED_RULES.into(),
        calendar_toml: BUNDLED_CALENDAR.into(),
        verdicts: vec![server_report(now)],
        devices: Vec::new(),
        findings: Vec::new(),
        ledger_steps: Vec::new(),
        team_events: Vec::new(),
    }
}

fn part(label: &str, period: Period, status: Status, counted: u32, required: u32) -> Part {
    Part {
        label_zh: label.into(),
        period: period.to_string(),
        village_id: Some(VILLAGE),
        status,
        counted,
        required,
        due: None,
        evidence: Vec::new(),
        rejected: Vec::new(),
    }
}

/// The server's report on me for the month of `now`, as of the last sync.
pub fn server_report(now: DateTime<Utc>) -> PersonReport {
    let month = Period::containing(PeriodKind::Month, local_date(now)).expect("a month");
    let verdict = |id: &str, seed: &str, title: &str, parts: Vec<Part>| Verdict {
        rule_id: id.into(),
        seed_ref: seed.into(),
        title_zh: title.into(),
        status: Status::combine(parts.iter().map(|p| p.status)),
        provisional: false,
        parts,
    };
    PersonReport {
        person_id: ME,
        period: month,
        evaluated_at: now - Duration::hours(3),
        catalogue_version: "demo".into(),
        verdicts: vec![
            verdict(
                "R-212",
                "二(一)2",
                "工作队长、协助乡干部每月进村",
                vec![part("合格进村", month, Status::NotYetDue, 3, 6)],
            ),
            verdict(
                "R-242",
                "二(四)2",
                "帮扶责任人走访结对户",
                vec![part("走访结对户", month, Status::Met, 5, 4)],
            ),
            verdict(
                "R-31a",
                "三(一)",
                "每周工作录入",
                vec![part("每周录入", month, Status::Short, 2, 3)],
            ),
        ],
        flags: Vec::new(),
        standing: Default::default(),
    }
}

/// A walk through the village past the first households, dwelling at each, with a stretch
/// of lost signal.
pub fn route() -> SimulatedRoute {
    route_through(village_centre(), &households())
}

/// The same walk for any village: in from outside its centre, then past its first six
/// households. Used when the phone is signed in to a real server, so that the simulated
/// cadre walks their own village.
pub fn route_through(centre: LatLon, homes: &[Household]) -> SimulatedRoute {
    let mut points = vec![RoutePoint {
        position: offset(centre, -900.0, -700.0),
        dwell_fixes: 0,
    }];
    points.push(RoutePoint {
        position: offset(centre, -300.0, -300.0),
        dwell_fixes: 0,
    });
    for h in homes.iter().take(6) {
        points.push(RoutePoint {
            position: h.location,
            dwell_fixes: 12,
        });
    }
    SimulatedRoute {
        points,
        step_m: 30.0,
        accuracy_m: 12.0,
        lost: vec![55..70],
    }
}

/// The simulated walk for whoever the phone belongs to: through their first village posted
/// today, as last pulled; the demo village when there is none.
pub fn route_for(reference: &crate::store::Reference, now: DateTime<Utc>) -> SimulatedRoute {
    use geo::{BoundingRect, Centroid};
    let today = zhucun_shared::period::local_date(now);
    let me = reference.me.as_ref().map(|p| p.id);
    let village = me
        .map(|me| reference.org.villages_of(me, today, today))
        .unwrap_or_default()
        .into_iter()
        .find_map(|v| reference.org.village(v));
    let Some(village) = village else {
        return route();
    };
    let centre = village
        .boundary
        .centroid()
        .or_else(|| village.boundary.bounding_rect().map(|r| r.center().into()))
        .map(|p| LatLon::new(p.y(), p.x()))
        .unwrap_or_else(village_centre);
    let homes: Vec<Household> = reference.org.households_of(village.id).cloned().collect();
    route_through(centre, &homes)
}

/// The team as a server would show it to the team leader: a member's trajectory for today.
pub fn team(now: DateTime<Utc>) -> Vec<TeamMember> {
    let start = now - Duration::hours(3);
    // A fix a minute, none while the signal is lost: the gap breaks the line as on a phone.
    let fixes: Vec<(DateTime<Utc>, LatLon)> = route()
        .positions()
        .into_iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (start + Duration::minutes(i as i64), p)))
        .collect();
    let segments = zhucun_shared::trajectory::segments(fixes.iter().map(|(t, _)| *t));
    let track: Vec<TrackPoint> = fixes
        .iter()
        .zip(segments)
        .map(|((time, p), segment)| TrackPoint {
            time: *time,
            lat: p.lat,
            lon: p.lon,
            accuracy_m: 12.0,
            segment,
        })
        .collect();
    vec![
        TeamMember {
            person_id: ME,
            name: "杨志刚".into(),
            role: Role::TeamLeader,
            status: Status::NotYetDue,
            summary: "合格进村 3/6".into(),
            last_seen: Some(now - Duration::minutes(4)),
            track: Vec::new(),
            gaps: Vec::new(),
            stays: Vec::new(),
            visits: Vec::new(),
        },
        TeamMember {
            person_id: TEAMMATE,
            name: "吴海燕".into(),
            role: Role::ResidentMember,
            status: Status::Short,
            summary: "在村工作日 9/14".into(),
            last_seen: track.last().map(|p| p.time),
            gaps: teammate_gaps(&track),
            stays: teammate_stays(&track),
            visits: teammate_visits(&track),
            track,
        },
    ]
}

/// The teammate's silences of more than ten minutes, as their phone writes them (熄屏).
fn teammate_gaps(track: &[TrackPoint]) -> Vec<crate::store::LocationGap> {
    track
        .windows(2)
        .filter(|w| w[1].time - w[0].time > Duration::minutes(10))
        .map(|w| crate::store::LocationGap {
            cause: zhucun_shared::record::GapCause::ScreenOff,
            from: w[0].time,
            to: Some(w[1].time),
        })
        .collect()
}

/// The teammate's stay in the demo village: from the first fix to the last.
fn teammate_stays(track: &[TrackPoint]) -> Vec<zhucun_shared::sync::TeamStay> {
    match (track.first(), track.last()) {
        (Some(a), Some(b)) => vec![zhucun_shared::sync::TeamStay {
            village_id: VILLAGE,
            start: a.time,
            end: b.time,
        }],
        _ => Vec::new(),
    }
}

/// The teammate's visits where the route passes the first three households: the first
/// counted, the second too short, the third not judged yet.
fn teammate_visits(track: &[TrackPoint]) -> Vec<crate::team::MemberVisit> {
    use crate::progress::ServerAnswer;
    use zhucun_shared::verdict::RejectReason;
    let answers = [
        Some(ServerAnswer::Counted),
        Some(ServerAnswer::NotCounted {
            reason: RejectReason::VisitTooShort,
            detail: "走访 3 分钟，不足 5 分钟".into(),
        }),
        None,
    ];
    households()
        .iter()
        .zip(answers)
        .enumerate()
        .filter_map(|(i, (h, answer))| {
            let at = track.iter().min_by(|a, b| {
                let d = |p: &TrackPoint| {
                    zhucun_shared::geometry::distance_m(LatLon::new(p.lat, p.lon), h.location)
                };
                d(a).total_cmp(&d(b))
            })?;
            Some(crate::team::MemberVisit {
                check_in: RecordId::from_u128(
                    0x0190_0000_0000_7000_8000_0000_0000_5000 + i as u128,
                ),
                household_id: h.id,
                start: at.time,
                end: Some(at.time + Duration::minutes(if i == 1 { 3 } else { 12 })),
                withdrawn: false,
                answer,
            })
        })
        .collect()
}

/// Fills a fresh store with the demo: this phone enrolled for the demo cadre, the demo
/// village pulled, and a morning captured — on duty since three hours ago, checked into the
/// village, three households visited with photos and notes, a training and a weekly entry.
/// With `ZHUCUN_DEMO=supervisor` the demo cadre also holds the township's supervision post, and
/// [`spot_checks`] fills the queue.
pub fn make_supervisor(store: &mut crate::Store, now: DateTime<Utc>) -> crate::store::Result<()> {
    let mut p = pull(now);
    p.org.assignments.push(Assignment {
        id: AssignmentId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0a99),
        person_id: ME,
        role: Role::Supervisor,
        village_id: None,
        township_id: TOWNSHIP,
        starts_on: NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date"),
        ends_on: None,
    });
    store.save_pull(&p)
}

/// A spot-check queue as the server would send it for the demo township: two flags on the
/// teammate's records, a routine sample, and one item already checked.
pub fn spot_checks(now: DateTime<Utc>) -> zhucun_shared::spot_check::SpotCheckQueue {
    use zhucun_shared::spot_check::{
        Finding, FindingOutcome, SpotCheckItem, SpotCheckQueue, SpotCheckReason,
    };
    use zhucun_shared::verdict::{EvidenceKind, FlagKind};
    let today = local_date(now);
    let id = |n: u128| RecordId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_5000 + n);
    let item = |reason, n, detail: &str, finding: Option<Finding>| SpotCheckItem {
        person_id: TEAMMATE,
        person_name: "吴海燕".into(),
        reason,
        records: vec![id(n)],
        detail: detail.into(),
        finding,
    };
    SpotCheckQueue {
        period: Period::containing(PeriodKind::Month, today).expect("a month"),
        items: vec![
            item(
                SpotCheckReason::Flag(FlagKind::MockLocation),
                1,
                "11-12 09:40 模拟定位",
                None,
            ),
            item(
                SpotCheckReason::Flag(FlagKind::PhotoReused),
                2,
                "王秀英 走访照片与其他走访重复",
                None,
            ),
            item(
                SpotCheckReason::Sample(EvidenceKind::HouseholdVisit),
                3,
                "李德全 11-10 10:05",
                None,
            ),
            item(
                SpotCheckReason::Flag(FlagKind::DeviceClockSkew),
                4,
                "手机时间比服务器快 41 分钟",
                Some(Finding {
                    record_id: id(10),
                    attached_to: id(4),
                    by: ME,
                    at: now - Duration::days(1),
                    text: "已核实：手机时区设置错误，已纠正".into(),
                    outcome: Some(FindingOutcome::ConfirmedByPhone),
                    fix: None,
                    decision: None,
                }),
            ),
        ],
    }
}

/// With `ZHUCUN_DEMO=visit` a fourth visit is left open.
pub fn seed(
    store: &mut crate::Store,
    now: DateTime<Utc>,
) -> Result<(), crate::capture::CaptureError> {
    use crate::capture::{ActivityDraft, Capture, Command, ReportDraft, TrackPolicy};
    use crate::platform::photo::{reencode, PhotoPolicy, SimulatedCamera};
    use crate::store::Identity;
    use zhucun_shared::record::{ActivityKind, Fix, FixProvider, ReportKind};

    store.set_identity(
        Identity {
            device_id: DeviceId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0d01),
            person_id: ME,
        },
        0,
    )?;
    store.save_pull(&pull(now))?;
    let reference = store.reference()?;
    let mut capture = Capture::load(store, TrackPolicy::default())?;
    let start = now - Duration::hours(3);
    let minute = |m: i64| start + Duration::minutes(m);
    let fix_at = |p: LatLon, t: DateTime<Utc>| Fix {
        lat: p.lat,
        lon: p.lon,
        accuracy_m: 9.0,
        time: t,
        monotonic_ms: None,
        provider: FixProvider::Simulated,
        mock: true,
    };
    capture.exec(
        store,
        &reference,
        Command::StartDuty {
            village_id: Some(VILLAGE),
        },
        minute(0),
    )?;
    let positions: Vec<Option<LatLon>> = route().positions();
    let village = reference.org.village(VILLAGE).map(VillageShape::new);
    let mut visited = 0;
    let mut seen = Vec::new();
    let homes = households();
    for (i, p) in positions.iter().enumerate() {
        let t = minute(i as i64);
        if t > now - Duration::minutes(5) {
            break;
        }
        let Some(p) = p else {
            // The signal is lost for a while: a gap the next fix closes.
            capture.on_gap(store, zhucun_shared::record::GapCause::NoSignal, t, t)?;
            continue;
        };
        capture.on_fix(store, &reference, fix_at(*p, t), t)?;
        let inside = village
            .as_ref()
            .is_some_and(|v| v.contains_within(p.lat, p.lon, 0.0));
        if capture.state().stay.is_none() && inside {
            capture.exec(
                store,
                &reference,
                Command::VillageCheckIn {
                    village_id: VILLAGE,
                },
                t,
            )?;
        }
        // Arriving at a household on the route: a visit with a photo and a note.
        if let Some(h) = homes
            .iter()
            .take(4)
            .find(|h| zhucun_shared::geometry::distance_m(h.location, *p) < 1.0)
        {
            if capture.state().visit.is_some() || visited >= 4 || seen.contains(&h.id) {
                continue;
            }
            visited += 1;
            seen.push(h.id);
            capture.exec(
                store,
                &reference,
                Command::HouseholdCheckIn {
                    household_id: h.id,
                    event: None,
                },
                t,
            )?;
            let keep_open =
                visited == 4 && std::env::var("ZHUCUN_DEMO").is_ok_and(|v| v == "visit");
            if keep_open {
                continue;
            }
            let shot = SimulatedCamera {
                width: 1600,
                height: 1200,
                seed: visited,
            }
            .shoot();
            if let Ok(photo) = reencode(&shot, &PhotoPolicy::default()) {
                capture.photo(
                    store,
                    None,
                    &photo,
                    t + Duration::minutes(3),
                    t + Duration::minutes(3),
                )?;
            }
            capture.exec(
                store,
                &reference,
                Command::Note {
                    attached_to: None,
                    text: NOTES[(visited as usize - 1) % NOTES.len()].into(),
                },
                t + Duration::minutes(6),
            )?;
            capture.exec(
                store,
                &reference,
                Command::HouseholdCheckOut,
                t + Duration::minutes(10),
            )?;
        }
    }
    let today = local_date(now);
    capture.exec(
        store,
        &reference,
        Command::Activity(ActivityDraft {
            kind: ActivityKind::Training,
            village_id: Some(VILLAGE),
            held_on: today,
            person_times: Some(36),
            quantity: None,
            title: "茶园冬季管护培训".into(),
            text: "邀请县农业农村局技术员讲授修剪与施肥。".into(),
        }),
        now - Duration::minutes(30),
    )?;
    capture.exec(
        store,
        &reference,
        Command::Report(ReportDraft {
            kind: ReportKind::WeeklyEntry,
            village_id: Some(VILLAGE),
            period: Period::containing(PeriodKind::Week, today).expect("a week"),
            title: "本周工作".into(),
            text: "走访脱贫户 11 户，协调解决饮水管道维修 1 件。".into(),
            attachments: Vec::new(),
        }),
        now - Duration::minutes(20),
    )?;
    Ok(())
}

const NOTES: [&str; 4] = [
    "了解家中茶园收成，宣讲小额信贷政策。",
    "户主病情稳定，协助办理慢病报销。",
    "孩子在镇上读初中，已落实教育资助。",
    "老人独居，联系邻居每日照看。",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_morning_loads() {
        let mut store = crate::Store::in_memory().unwrap();
        let now: DateTime<Utc> = "2026-11-16T04:00:00Z".parse().unwrap();
        seed(&mut store, now).unwrap();
        let visits = store.visits(now - Duration::hours(4), now).unwrap();
        assert!(visits.len() >= 3, "{}", visits.len());
        let mut households: Vec<_> = visits.iter().map(|v| v.household_id).collect();
        households.dedup();
        assert_eq!(households.len(), visits.len(), "one visit per household");
        assert!(visits.iter().all(|v| v.photos == 1 && !v.notes.is_empty()));
        assert!(store.open_village_stay().unwrap().is_some());
        let duty = store.open_duty().unwrap().unwrap().duty_id;
        for r in store.all_records().unwrap() {
            r.validate(now).unwrap();
        }
        // The lost signal on the way is a gap with its cause, closed by the next fix.
        let gaps = store.location_gaps(duty).unwrap();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].cause, zhucun_shared::record::GapCause::NoSignal);
        assert_eq!(gaps[0].duration(now), Duration::minutes(15));
        // The app started on the demo finds a recent fix: no gap for a killed service.
        let mut capture =
            crate::capture::Capture::load(&store, crate::capture::TrackPolicy::default()).unwrap();
        assert!(capture
            .on_source_restarted(&mut store, now)
            .unwrap()
            .is_empty());
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;

    fn dwell_points(r: &SimulatedRoute) -> Vec<LatLon> {
        r.points
            .iter()
            .filter(|p| p.dwell_fixes > 0)
            .map(|p| p.position)
            .collect()
    }

    #[test]
    fn the_simulated_walk_goes_through_the_signed_in_cadres_own_village() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::open(dir.path().join("p.sqlite")).unwrap();
        let now = Utc::now();
        // A village 20 km east of the demo one, with its households, where the cadre is posted.
        let mut pull = pull(now);
        let shift = |p: LatLon| offset(p, 0.0, 20_000.0);
        for v in &mut pull.org.villages {
            for poly in &mut v.boundary.0 {
                poly.exterior_mut(|ring| {
                    for c in ring.coords_mut() {
                        let q = shift(LatLon::new(c.y, c.x));
                        (c.x, c.y) = (q.lon, q.lat);
                    }
                });
            }
        }
        for h in &mut pull.org.households {
            h.location = shift(h.location);
        }
        store.save_pull(&pull).unwrap();
        let route = route_for(&store.reference().unwrap(), now);
        let expected: Vec<LatLon> = pull
            .org
            .households
            .iter()
            .take(6)
            .map(|h| h.location)
            .collect();
        assert_eq!(dwell_points(&route), expected);
        assert_ne!(dwell_points(&route), dwell_points(&super::route()));
    }
}
