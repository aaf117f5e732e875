//! 请假、公差 on the phone: the request is refused in Chinese when its dates or reason are
//! wrong (nothing written), saved in the log when right, pending until a pull brings a decision;
//! an approval pulled from the server takes its working days out of the phone's own R-233a
//! estimate and shows in its evidence, as on the server; an approver's decision is a note in
//! their own log, refused without a reason when it refuses.

use chrono::{DateTime, NaiveDate, Utc};
use zhucun_mobile_core::capture::{Capture, Command, LeaveDraft, TrackPolicy};
use zhucun_mobile_core::progress::compute;
use zhucun_mobile_core::store::Identity;
use zhucun_mobile_core::Store;
use zhucun_shared::geometry::rectangle_around;
use zhucun_shared::ids::*;
use zhucun_shared::leave::{AbsenceKind, LeaveDecision};
use zhucun_shared::org::{Assignment, Directory, LatLon, Person, Township, Village};
use zhucun_shared::record::{NoteKind, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::Finding;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::synth::Recorder;
use zhucun_shared::verdict::{EvidenceKind, Part};

const ME: PersonId = PersonId::from_u128(1);
const LEADER: PersonId = PersonId::from_u128(2);
const TOWNSHIP: TownshipId = TownshipId::from_u128(3);
const VILLAGE: VillageId = VillageId::from_u128(4);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A resident member of 青山村 (R-233a), with `findings` as the server passed them down.
fn pull(findings: Vec<Finding>) -> PullResponse {
    let since = day("2026-01-01");
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
                role: Role::ResidentMember,
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
                boundary: rectangle_around(LatLon::new(26.57, 106.71), 2000.0, 2000.0),
                poor: true,
                exiting_this_year: false,
            }],
            ..Directory::default()
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

fn phone() -> (Store, Capture) {
    let mut store = Store::in_memory().unwrap();
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: ME,
            },
            0,
        )
        .unwrap();
    store.save_pull(&pull(Vec::new())).unwrap();
    let capture = Capture::load(&store, TrackPolicy::default()).unwrap();
    (store, capture)
}

fn draft(from: &str, to: &str, reason: &str) -> LeaveDraft {
    LeaveDraft {
        kind: AbsenceKind::Leave,
        from: day(from),
        to: day(to),
        reason: reason.into(),
    }
}

/// The phone's own R-233a month part.
fn r233a(store: &Store, now: DateTime<Utc>) -> Part {
    let records = store.all_records().unwrap();
    compute(&store.reference().unwrap(), &records, ME, now)
        .rows
        .into_iter()
        .find(|r| r.rule_id == "R-233a")
        .and_then(|r| r.local)
        .expect("R-233a applies to a resident member")
        .parts
        .remove(0)
}

#[test]
fn a_request_is_checked_saved_and_counts_once_approved() {
    let (mut store, mut capture) = phone();
    let reference = store.reference().unwrap();
    let now = at("2026-11-10T01:00:00Z");
    // Wrong requests: refused in Chinese, nothing written.
    for (bad, says) in [
        (
            draft("2026-11-20", "2026-11-18", "探亲"),
            "结束日期不能早于开始日期",
        ),
        (draft("2026-11-20", "2027-01-30", "探亲"), "一次最多申请"),
        (draft("2026-11-20", "2026-11-22", "  "), "请填写事由"),
        (
            draft("2026-09-01", "2026-09-02", "补假"),
            "开始日期不能早于",
        ),
    ] {
        let err = capture
            .exec(&mut store, &reference, Command::RequestLeave(bad), now)
            .unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
    assert!(store.all_records().unwrap().is_empty());

    // 11-23 to 11-27: five working days of November's 21.
    let written = capture
        .exec(
            &mut store,
            &reference,
            Command::RequestLeave(draft("2026-11-23", "2026-11-27", " 家中老人住院 ")),
            now,
        )
        .unwrap();
    assert_eq!(written.len(), 1);
    let request = written[0].id;
    assert!(matches!(
        &written[0].body,
        RecordBody::LeaveRequest { reason, .. } if reason == "家中老人住院"
    ));
    let mine = store.absences().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status_zh(), "待审批");
    let later = at("2026-11-30T10:00:00Z");
    let pending = r233a(&store, later);
    assert_eq!(pending.required, 14, "{pending:#?}");

    // The team leader's approval, as the next pull brings it (over the wire, as JSON).
    let mut leader = Recorder::new(LEADER, DeviceId::from_u128(9));
    let note = leader.record(
        at("2026-11-11T02:00:00Z"),
        RecordBody::Note {
            attached_to: request,
            text: "同意".into(),
            replaces: None,
            kind: Some(NoteKind::LeaveDecision {
                decision: LeaveDecision::Approved,
            }),
        },
    );
    let next = pull(vec![Finding::of_note(&note).unwrap()]);
    let wire: PullResponse = serde_json::from_str(&serde_json::to_string(&next).unwrap()).unwrap();
    store.save_pull(&wire).unwrap();
    let mine = store.absences().unwrap();
    assert_eq!(mine[0].status_zh(), "已批准");
    let approved = r233a(&store, later);
    // 16 working days left: 2/3 → 11.
    assert_eq!(approved.required, 11, "{approved:#?}");
    let shown: Vec<&str> = approved
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::ApprovedLeave)
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].starts_with("请假 5 天（11-23 至 11-27，已批准："),
        "{}",
        shown[0]
    );
}

#[test]
fn an_approvers_decision_is_a_note_and_a_refusal_needs_a_reason() {
    let (mut store, mut capture) = phone();
    let reference = store.reference().unwrap();
    let now = at("2026-11-10T01:00:00Z");
    let request = RecordId::new();
    let refuse = |remark: &str| Command::DecideLeave {
        request,
        decision: LeaveDecision::Refused,
        remark: remark.into(),
    };
    let err = capture
        .exec(&mut store, &reference, refuse(" "), now)
        .unwrap_err();
    assert!(err.to_string().contains("不批准须写明理由"), "{err}");
    assert!(store.all_records().unwrap().is_empty());
    assert!(store.leave_decisions_sent().unwrap().is_empty());

    capture
        .exec(&mut store, &reference, refuse("当周有督查"), now)
        .unwrap();
    let sent = store.leave_decisions_sent().unwrap();
    assert_eq!(sent.get(&request), Some(&(LeaveDecision::Refused, now)));
    // A later word replaces it.
    let later = at("2026-11-10T02:00:00Z");
    capture
        .exec(
            &mut store,
            &reference,
            Command::DecideLeave {
                request,
                decision: LeaveDecision::Approved,
                remark: String::new(),
            },
            later,
        )
        .unwrap();
    let sent = store.leave_decisions_sent().unwrap();
    assert_eq!(sent.get(&request), Some(&(LeaveDecision::Approved, later)));
    // Its own requests are none.
    assert!(store.absences().unwrap().is_empty());
}
