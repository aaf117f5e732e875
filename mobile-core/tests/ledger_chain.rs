//! The submission chain of the village's monthly ledger reaches the phone's own estimate of
//! the steps pulled from the server (over the wire, as JSON) are kept offline and fed to
//! the same evaluator, so the phone shows the status the server's verdicts give.

use chrono::{DateTime, NaiveDate, Utc};
use zhucun_mobile_core::progress::compute;
use zhucun_mobile_core::Store;
use zhucun_shared::geometry::rectangle_around;
use zhucun_shared::ids::*;
use zhucun_shared::ledger_chain::{LedgerStep, Step};
use zhucun_shared::org::{Assignment, Directory, LatLon, Person, Township, Village};
use zhucun_shared::period::Period;
use zhucun_shared::plausibility::{DeviceLogs, PhotoFiles};
use zhucun_shared::role::Role;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::verdict::Status;
use zhucun_shared::{evaluate, EvalContext};

const ME: PersonId = PersonId::from_u128(1);
const OFFICE: PersonId = PersonId::from_u128(2);
const TOWNSHIP: TownshipId = TownshipId::from_u128(3);
const VILLAGE: VillageId = VillageId::from_u128(4);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn step(step: Step, t: &str, by: PersonId) -> LedgerStep {
    LedgerStep {
        village_id: VILLAGE,
        month: Period::month(2026, 11),
        step,
        at: at(t),
        by,
    }
}

/// The pull of a team leader of one village, with the village's chain `steps`, as it arrives.
fn pull(steps: Vec<LedgerStep>) -> PullResponse {
    let sent = PullResponse {
        cursor: "c1".into(),
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
            assignments: vec![Assignment {
                id: AssignmentId::from_u128(6),
                person_id: ME,
                role: Role::TeamLeader,
                village_id: Some(VILLAGE),
                township_id: TOWNSHIP,
                starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                ends_on: None,
            }],
            villages: vec![Village {
                id: VILLAGE,
                township_id: TOWNSHIP,
                name: "青山村".into(),
                code: None,
                boundary: rectangle_around(
                    LatLon {
                        lat: 26.57,
                        lon: 106.71,
                    },
                    2000.0,
                    2000.0,
                ),
                poor: true,
                exiting_this_year: false,
            }],
            ..Directory::default()
        },
        ledger_steps: steps,
        ..PullResponse::default()
    };
    serde_json::from_str(&serde_json::to_string(&sent).unwrap()).unwrap()
}

/// R-32's status and its parts' on the phone's progress screen.
fn phone_r32(store: &Store, now: DateTime<Utc>) -> (Status, Vec<Status>) {
    let progress = compute(&store.reference().unwrap(), &[], ME, now);
    let v = progress
        .rows
        .into_iter()
        .find(|r| r.rule_id == "R-32")
        .and_then(|r| r.local)
        .expect("R-32 applies to a team leader");
    (v.status, v.parts.iter().map(|p| p.status).collect())
}

/// R-32 as the server evaluates it from the same steps: the same evaluator, with the
/// organisation and the steps the server holds.
fn server_r32(pulled: &PullResponse, month: Period, now: DateTime<Utc>) -> Status {
    let catalogue = zhucun_shared::catalogue::Catalogue::bundled();
    let calendar = zhucun_shared::calendar::WorkCalendar::bundled();
    let ctx = EvalContext {
        person: ME,
        earlier: &[],
        org: &pulled.org,
        records: &[],
        calendar: &calendar,
        catalogue: &catalogue,
        photo_files: PhotoFiles::Held(&Default::default()),
        device_logs: DeviceLogs::PHONE,
        findings: &[],
        ledger_steps: &pulled.ledger_steps,
        history: None,
    };
    evaluate(&ctx, month, now).verdict("R-32").unwrap().status
}

#[test]
fn the_pulled_chain_gives_the_phone_the_servers_r32() {
    let mut store = Store::in_memory().unwrap();
    // The last evening of November (local): the village has not confirmed yet.
    let now = at("2026-11-30T12:00:00Z");
    let first = pull(Vec::new());
    store.save_pull(&first).unwrap();
    assert_eq!(
        phone_r32(&store, now),
        (
            Status::NotYetDue,
            vec![Status::NotYetDue, Status::NotYetDue]
        )
    );

    // The ledger generated (生成, no deadline of its own): nothing met yet, and the step kept.
    let generated = pull(vec![step(Step::Generated, "2026-11-30T10:00:00Z", ME)]);
    store.save_pull(&generated).unwrap();
    assert_eq!(
        phone_r32(&store, now),
        (
            Status::NotYetDue,
            vec![Status::NotYetDue, Status::NotYetDue]
        )
    );
    assert_eq!(
        store.reference().unwrap().ledger_steps,
        generated.ledger_steps
    );

    // The team leader confirmed from the console; the next pull brings the step.
    let next = pull(vec![
        step(Step::Generated, "2026-11-30T10:00:00Z", ME),
        step(Step::Confirmed, "2026-11-30T11:00:00Z", ME),
    ]);
    store.save_pull(&next).unwrap();
    assert_eq!(
        phone_r32(&store, now),
        (Status::NotYetDue, vec![Status::Met, Status::NotYetDue])
    );
    assert_eq!(
        phone_r32(&store, now).0,
        server_r32(&next, Period::month(2026, 11), now)
    );
    assert_eq!(
        store.reference().unwrap().ledger_steps,
        next.ledger_steps,
        "kept offline"
    );
}

#[test]
fn the_kept_steps_judge_the_month_as_the_server_does_after_the_fifth() {
    let month = Period::month(2026, 11);
    let after = at("2026-12-07T02:00:00Z");
    for (steps, expected) in [
        (
            vec![
                step(Step::Confirmed, "2026-11-30T11:00:00Z", ME),
                step(Step::Forwarded, "2026-12-05T08:00:00Z", OFFICE),
            ],
            Status::Met,
        ),
        (
            vec![
                step(Step::Confirmed, "2026-11-30T11:00:00Z", ME),
                step(Step::Forwarded, "2026-12-06T01:00:00Z", OFFICE),
            ],
            Status::Late,
        ),
        (Vec::new(), Status::Short),
        (
            vec![step(Step::Generated, "2026-11-29T11:00:00Z", ME)],
            Status::Short,
        ),
    ] {
        let mut store = Store::in_memory().unwrap();
        let pulled = pull(steps);
        store.save_pull(&pulled).unwrap();
        let reference = store.reference().unwrap();
        let catalogue = &reference.catalogue;
        let ctx = EvalContext {
            person: ME,
            earlier: &[],
            org: &reference.org,
            records: &[],
            calendar: &reference.calendar,
            catalogue,
            photo_files: PhotoFiles::Unchecked,
            device_logs: DeviceLogs::PHONE,
            findings: &reference.findings,
            ledger_steps: &reference.ledger_steps,
            history: None,
        };
        let phone = evaluate(&ctx, month, after).verdict("R-32").unwrap().status;
        assert_eq!(phone, expected);
        assert_eq!(phone, server_r32(&pulled, month, after));
    }
}

#[test]
fn a_pull_without_steps_reads_as_none() {
    let json = serde_json::to_value(pull(Vec::new())).unwrap();
    assert!(
        json.get("ledger_steps").is_none(),
        "left out while empty: {json}"
    );
    let back: PullResponse = serde_json::from_value(json).unwrap();
    assert!(back.ledger_steps.is_empty());
}
