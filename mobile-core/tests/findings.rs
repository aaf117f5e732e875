//! A spot-check finding pulled from the server reaches the phone's own estimate: a visit a
//! checker found false (核查不属实) no longer counts on the progress screen after the next
//! pull, with the finding as the reason, as it no longer counts in the server's verdicts.

use chrono::{DateTime, NaiveDate, Utc};
use zhucun_mobile_core::progress::compute;
use zhucun_mobile_core::Store;
use zhucun_shared::geometry::rectangle_around;
use zhucun_shared::ids::*;
use zhucun_shared::org::{
    Assignment, Directory, Household, HouseholdCategory, LatLon, Pairing, Person, Township, Village,
};
use zhucun_shared::record::{FindingOutcome, NoteKind, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::Finding;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::synth::Recorder;
use zhucun_shared::verdict::RejectReason;

const ME: PersonId = PersonId::from_u128(1);
const SUPERVISOR: PersonId = PersonId::from_u128(2);
const TOWNSHIP: TownshipId = TownshipId::from_u128(3);
const VILLAGE: VillageId = VillageId::from_u128(4);
const HOME: LatLon = LatLon {
    lat: 26.57,
    lon: 106.71,
};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The pull of a pairing cadre paired with one poor household, with `findings`.
fn pull(findings: Vec<Finding>) -> PullResponse {
    let since = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let household = Household {
        id: HouseholdId::from_u128(5),
        village_id: VILLAGE,
        head_name: "王大山".into(),
        location: HOME,
        categories: vec![HouseholdCategory::Poor],
        members: 3,
        group: None,
    };
    PullResponse {
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
                role: Role::PairingCadre,
                village_id: Some(VILLAGE),
                township_id: TOWNSHIP,
                starts_on: since,
                ends_on: None,
            }],
            villages: vec![Village {
                id: VILLAGE,
                township_id: TOWNSHIP,
                name: "青山村".into(),
                code: None,
                boundary: rectangle_around(HOME, 2000.0, 2000.0),
                poor: true,
                exiting_this_year: false,
            }],
            pairings: vec![Pairing {
                id: PairingId::from_u128(7),
                person_id: ME,
                household_id: household.id,
                starts_on: since,
                ends_on: None,
            }],
            households: vec![household],
            people: Vec::new(),
        },
        rules_toml: String::new(),
        calendar_toml: String::new(),
        verdicts: Vec::new(),
        devices: Vec::new(),
        findings,
        ledger_steps: Vec::new(),
        team_events: Vec::new(),
    }
}

#[test]
fn a_visit_found_false_stops_counting_in_the_phones_estimate_after_the_next_pull() {
    let mut rec = Recorder::new(ME, DeviceId::from_u128(8));
    let first = pull(Vec::new());
    let home = first.org.households[0].clone();
    let mut records = rec.visit(&home, at("2026-11-10T02:00:00Z"), 10, Some("了解收入"));
    records.extend(rec.visit(&home, at("2026-11-12T02:00:00Z"), 10, Some("宣传政策")));
    let judged = records[0].id;
    assert!(matches!(
        records[0].body,
        RecordBody::HouseholdCheckIn { .. }
    ));
    let now = at("2026-11-20T04:00:00Z");
    let r242 = |store: &Store| {
        let progress = compute(&store.reference().unwrap(), &records, ME, now);
        progress
            .rows
            .into_iter()
            .find(|r| r.rule_id == "R-242")
            .and_then(|r| r.local)
            .expect("R-242 applies to a pairing cadre")
            .parts
            .remove(0)
    };

    let mut store = Store::in_memory().unwrap();
    store.save_pull(&first).unwrap();
    assert_eq!(r242(&store).counted, 2);

    // The supervisor's finding, as the server sends it (over the wire, as JSON).
    let mut checker = Recorder::new(SUPERVISOR, DeviceId::from_u128(9));
    let note = checker.record(
        at("2026-11-18T06:00:00Z"),
        RecordBody::Note {
            attached_to: judged,
            text: "电话回访：农户称当日无人来访".into(),
            replaces: None,
            kind: Some(NoteKind::Finding {
                outcome: FindingOutcome::NotConfirmed,
                fix: None,
            }),
        },
    );
    let next = pull(vec![Finding::of_note(&note).unwrap()]);
    let wire: PullResponse = serde_json::from_str(&serde_json::to_string(&next).unwrap()).unwrap();
    store.save_pull(&wire).unwrap();

    let part = r242(&store);
    assert_eq!(part.counted, 1, "{part:#?}");
    let rejected: Vec<_> = part
        .rejected
        .iter()
        .filter(|r| r.reason == RejectReason::FoundFalse)
        .collect();
    assert_eq!(rejected.len(), 1, "{part:#?}");
    assert!(rejected[0].records.contains(&judged));
    assert!(rejected[0].detail.contains("农户称当日无人来访"));

    // A later pull without it (withdrawn by a later word) counts the visit again.
    store.save_pull(&pull(Vec::new())).unwrap();
    assert_eq!(r242(&store).counted, 2);
}
