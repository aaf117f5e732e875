//! Spot-check findings in the verdicts: "not confirmed" (核查不属实) rejects the record and
//! whatever counted it; the other outcomes change nothing; a finding counts only from someone
//! whose jurisdiction covers the record's author, and the latest one on a record stands.

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use rstest::rstest;
use zhucun_shared::ids::{AssignmentId, PersonId, RecordId};
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::record::{ActivityKind, DeviceRecord, FindingOutcome, NoteKind, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::{may_judge, Finding};
use zhucun_shared::verdict::{RejectReason, Status, Verdict};

/// Leads the team of 河套村, the other village: no jurisdiction over 青山村's cadres.
const OTHER_LEADER: PersonId = PersonId::from_u128(990);

fn other_leader() -> Assignment {
    Assignment {
        id: AssignmentId::from_u128(991),
        person_id: OTHER_LEADER,
        role: Role::TeamLeader,
        village_id: Some(HETAO),
        township_id: TOWNSHIP,
        starts_on: day(2026, 1, 1),
        ends_on: None,
    }
}

/// A note by `by` on `on` recording `outcome` (none: a free-text note), as its phone writes it.
fn finding(
    by: PersonId,
    on: RecordId,
    outcome: Option<FindingOutcome>,
    when: DateTime<Utc>,
) -> Finding {
    let mut rec =
        zhucun_shared::synth::Recorder::new(by, zhucun_shared::ids::DeviceId::from_u128(77));
    let note = rec.record(
        when,
        RecordBody::Note {
            attached_to: on,
            text: "入户核实：农户称当日无人来访".into(),
            replaces: None,
            kind: outcome.map(|outcome| NoteKind::Finding { outcome, fix: None }),
        },
    );
    Finding::of_note(&note).unwrap()
}

/// The findings the caller of the evaluator passes: those whose author may judge the author
/// of the record they are on (the records' author is `target`).
fn effective(w: &World, target: Role, all: Vec<Finding>) -> Vec<Finding> {
    let mut assignments = w.assignments.clone();
    assignments.push(other_leader());
    let person = Person {
        id: person(target),
        name: "被核查人".into(),
        township_id: TOWNSHIP,
        unit_id: None,
    };
    let of = |p: PersonId| -> Vec<Assignment> {
        assignments
            .iter()
            .filter(|a| a.person_id == p)
            .cloned()
            .collect()
    };
    all.into_iter()
        .filter(|f| {
            may_judge(
                f,
                &of(f.by),
                &person,
                &of(person.id),
                day(2026, 11, 1),
                day(2026, 11, 30),
                &[],
            )
        })
        .collect()
}

/// Four visits to the paired households, 3–6 November.
fn paired_visits(w: &World) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::PairingCadre);
    (0..4)
        .flat_map(|i| {
            rec.visit(
                w.household(i),
                at(2026, 11, 3 + i as u32, 10, 0),
                10,
                Some("帮扶"),
            )
        })
        .collect()
}

fn first_check_in(records: &[DeviceRecord]) -> RecordId {
    records
        .iter()
        .find(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
        .unwrap()
        .id
}

fn found_false(v: &Verdict) -> Vec<&str> {
    v.parts
        .iter()
        .flat_map(|p| &p.rejected)
        .filter(|r| r.reason == RejectReason::FoundFalse)
        .map(|r| r.detail.as_str())
        .collect()
}

const SUPERVISOR: Role = Role::Supervisor;
const LEADER: Role = Role::TeamLeader;
const CADRE: Role = Role::PairingCadre;

fn by(who: Option<Role>) -> PersonId {
    who.map_or(OTHER_LEADER, person)
}

#[rstest]
#[case::confirmed_on_site(Some(SUPERVISOR), Some(FindingOutcome::ConfirmedOnSite), 4)]
#[case::confirmed_by_phone(Some(LEADER), Some(FindingOutcome::ConfirmedByPhone), 4)]
#[case::not_confirmed_by_the_supervisor(Some(SUPERVISOR), Some(FindingOutcome::NotConfirmed), 3)]
#[case::not_confirmed_by_the_team_leader(Some(LEADER), Some(FindingOutcome::NotConfirmed), 3)]
#[case::dismissed(Some(SUPERVISOR), Some(FindingOutcome::Dismissed), 4)]
#[case::a_free_text_note(Some(SUPERVISOR), None, 4)]
#[case::the_cadre_on_their_own_visit(Some(CADRE), Some(FindingOutcome::NotConfirmed), 4)]
#[case::a_leader_of_another_village(None, Some(FindingOutcome::NotConfirmed), 4)]
fn r242_a_visit_found_false_is_rejected_and_no_other_finding_changes_it(
    #[case] who: Option<Role>,
    #[case] outcome: Option<FindingOutcome>,
    #[case] counted: u32,
) {
    let mut w = World::new();
    let records = paired_visits(&w);
    let now = at(2026, 12, 1, 9, 0);
    let all = vec![finding(
        by(who),
        first_check_in(&records),
        outcome,
        at(2026, 11, 20, 15, 0),
    )];
    w.findings = effective(&w, CADRE, all.clone());
    let v = w.verdict(CADRE, "R-242", &records, "2026-11", now);
    assert_eq!(numbers(&v), (counted, 4), "{v:#?}");
    let quoted = found_false(&v);
    if counted == 3 {
        assert_eq!(v.status, Status::Short);
        assert_eq!(quoted.len(), 1, "{quoted:?}");
        assert!(
            quoted[0].contains("核查不属实") && quoted[0].contains("农户称当日无人来访"),
            "{}",
            quoted[0]
        );
    } else {
        assert!(quoted.is_empty(), "{quoted:?}");
    }
    // The evaluator itself ignores a cadre judging their own record, whatever it is given.
    if who == Some(CADRE) {
        w.findings = all;
        let v = w.verdict(CADRE, "R-242", &records, "2026-11", now);
        assert_eq!(numbers(&v), (4, 4));
    }
}

#[rstest]
#[case::dismissed_after(FindingOutcome::Dismissed, 1, 4)]
#[case::confirmed_after(FindingOutcome::ConfirmedOnSite, 1, 4)]
#[case::dismissed_before(FindingOutcome::Dismissed, -1, 3)]
fn the_latest_finding_on_a_record_stands(
    #[case] other: FindingOutcome,
    #[case] hours_later: i64,
    #[case] counted: u32,
) {
    let mut w = World::new();
    let records = paired_visits(&w);
    let on = first_check_in(&records);
    let t = at(2026, 11, 20, 15, 0);
    let sup = person(SUPERVISOR);
    w.findings = effective(
        &w,
        CADRE,
        vec![
            finding(sup, on, Some(FindingOutcome::NotConfirmed), t),
            finding(sup, on, Some(other), t + Duration::hours(hours_later)),
        ],
    );
    let v = w.verdict(CADRE, "R-242", &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert_eq!(numbers(&v), (counted, 4), "{v:#?}");
}

/// Six full days in 青山村 with ten poor households each: R-212 met.
fn six_days(w: &World) -> (Vec<DeviceRecord>, zhucun_shared::synth::Recorder) {
    let mut rec = w.recorder(LEADER);
    let records = (0..6)
        .flat_map(|i| w.stay(&mut rec, at(2026, 11, 2 + i, 8, 0), Duration::hours(8), 10))
        .collect();
    (records, rec)
}

#[derive(Debug, Clone, Copy)]
enum Judged {
    /// The first fix of the first day's stay (what a queue item of a qualifying visit names).
    StayStart,
    /// A village check-in made on the first day.
    VillageCheckIn,
    /// One of the first day's household visits: nine households are too few.
    HouseholdVisit,
}

#[rstest]
#[case::a_stay(Judged::StayStart)]
#[case::a_village_check_in(Judged::VillageCheckIn)]
#[case::a_household_visit(Judged::HouseholdVisit)]
fn r212_a_day_found_false_does_not_count(#[case] judged: Judged) {
    let mut w = World::new();
    let (mut records, mut rec) = six_days(&w);
    let now = at(2026, 12, 1, 9, 0);
    let before = w.verdict(LEADER, "R-212", &records, "2026-11", now);
    assert_eq!((before.status, numbers(&before)), (Status::Met, (6, 6)));
    let on = match judged {
        Judged::StayStart => records[0].id,
        Judged::VillageCheckIn => {
            let c = rec.record(
                at(2026, 11, 2, 8, 5),
                RecordBody::VillageCheckIn {
                    village_id: QINGSHAN,
                    fix: None,
                },
            );
            records.push(c.clone());
            c.id
        }
        Judged::HouseholdVisit => first_check_in(&records),
    };
    w.findings = effective(
        &w,
        LEADER,
        vec![finding(
            person(SUPERVISOR),
            on,
            Some(FindingOutcome::NotConfirmed),
            at(2026, 11, 20, 15, 0),
        )],
    );
    let v = w.verdict(LEADER, "R-212", &records, "2026-11", now);
    assert_eq!((v.status, numbers(&v)), (Status::Short, (5, 6)), "{v:#?}");
    let rejected = &v.parts[0].rejected;
    match judged {
        Judged::HouseholdVisit => {
            assert!(rejected
                .iter()
                .any(|r| r.reason == RejectReason::TooFewHouseholds));
            assert!(found_false(&v).iter().any(|d| d.contains("贫困户0")));
        }
        _ => assert!(
            found_false(&v).iter().any(|d| d.contains("青山村")),
            "{rejected:#?}"
        ),
    }
}

#[test]
fn an_activity_found_false_counts_for_nothing() {
    let mut w = World::new();
    let mut rec = w.recorder(LEADER);
    let held = rec.activity(
        at(2026, 7, 1, 20, 0),
        ActivityKind::OrganisationalLife,
        Some(QINGSHAN),
        day(2026, 7, 1),
        None,
    );
    let records = vec![held.clone()];
    let now = at(2027, 1, 2, 9, 0);
    assert_eq!(
        w.verdict(LEADER, "R-222a", &records, "2026-11", now).status,
        Status::Met
    );
    w.findings = effective(
        &w,
        LEADER,
        vec![finding(
            person(SUPERVISOR),
            held.id,
            Some(FindingOutcome::NotConfirmed),
            at(2026, 11, 20, 15, 0),
        )],
    );
    let v = w.verdict(LEADER, "R-222a", &records, "2026-11", now);
    assert_eq!((v.status, numbers(&v)), (Status::Short, (0, 1)), "{v:#?}");
    assert_eq!(found_false(&v).len(), 1);
}

/// The supervisor's inspection part (督查, the month) of R-252, as (counted, required).
fn inspections(w: &World, records: &[DeviceRecord]) -> (u32, u32) {
    let v = w.verdict(
        SUPERVISOR,
        "R-252",
        records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    let part = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("督查"))
        .unwrap_or_else(|| panic!("{v:#?}"));
    (part.counted, part.required)
}

#[rstest]
#[case::on_site_not_confirmed(Some(FindingOutcome::NotConfirmed), true, 1)]
#[case::on_site_confirmed(Some(FindingOutcome::ConfirmedOnSite), true, 1)]
#[case::by_phone_from_a_desk(Some(FindingOutcome::ConfirmedByPhone), false, 0)]
#[case::a_free_text_note(None, true, 0)]
fn r252_a_supervisors_finding_made_on_site_is_an_inspection(
    #[case] outcome: Option<FindingOutcome>,
    #[case] on_site: bool,
    #[case] counted: u32,
) {
    let w = World::new();
    let cadre_visit = paired_visits(&w);
    let mut rec = w.recorder(SUPERVISOR);
    let when = at(2026, 11, 18, 10, 0);
    let fix = on_site.then(|| zhucun_shared::record::Fix {
        lat: w.household(0).location.lat,
        lon: w.household(0).location.lon,
        accuracy_m: 6.0,
        time: when,
        monotonic_ms: None,
        provider: zhucun_shared::record::FixProvider::Gps,
        mock: false,
    });
    let mut records = cadre_visit.clone();
    // Two checks on one day are one inspection.
    for m in [0, 30] {
        records.push(rec.record(
            when + Duration::minutes(m),
            RecordBody::Note {
                attached_to: first_check_in(&cadre_visit),
                text: "入户核实".into(),
                replaces: None,
                kind: match (outcome, fix) {
                    (Some(outcome), fix) => Some(NoteKind::Finding { outcome, fix }),
                    (None, _) => None,
                },
            },
        ));
    }
    assert_eq!(inspections(&w, &records), (counted, 1));
}

/// A visit found false counts in no verdict, R-35's ledger lines included: the server's answer
/// on it (what the console and the phone show) is 不计入：核查不属实.
#[test]
fn a_visit_found_false_is_no_counted_line_of_the_pairing_ledger() {
    let mut w = World::new();
    let records = paired_visits(&w);
    let judged = first_check_in(&records);
    let all = vec![finding(
        person(SUPERVISOR),
        judged,
        Some(FindingOutcome::NotConfirmed),
        at(2026, 11, 20, 15, 0),
    )];
    w.findings = effective(&w, CADRE, all);
    let report = w.report(CADRE, &records, "2026-11", at(2026, 12, 1, 9, 0));
    let r35 = report.verdict("R-35").unwrap();
    assert!(
        r35.parts[0]
            .evidence
            .iter()
            .all(|e| !e.records.contains(&judged)),
        "{r35:#?}"
    );
    assert_eq!(numbers(r35), (3, 3), "{r35:#?}");
    let answer =
        zhucun_shared::answers::server_answer(std::slice::from_ref(&report), person(CADRE), judged);
    assert!(
        matches!(
            answer,
            Some(zhucun_shared::answers::ServerAnswer::NotCounted {
                reason: RejectReason::FoundFalse,
                ..
            })
        ),
        "{answer:?}"
    );
}
