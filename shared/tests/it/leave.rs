//! 考勤: approved leave and official absence (请假、公差) leave the denominators of R-233a (the
//! month's working days and the year to date's) and R-212 (its six visits, prorated over the
//! working days left); refused and pending requests change nothing; a decision counts only
//! from the team leader of the cadre's village or the coordination office, and the latest
//! standing decision wins.

use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rstest::rstest;
use zhucun_shared::ids::{AssignmentId, DeviceId, PersonId, RecordId};
use zhucun_shared::leave::{may_decide, AbsenceKind, LeaveDecision};
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::period::Period;
use zhucun_shared::record::{DeviceRecord, NoteKind, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::Finding;
use zhucun_shared::synth::Recorder;
use zhucun_shared::verdict::{EvidenceKind, Status, Verdict};

/// Leads the team of 河套村: no jurisdiction over 青山村's cadres.
const OTHER_LEADER: PersonId = PersonId::from_u128(990);

fn world() -> World {
    let mut w = World::new();
    w.assignments.push(Assignment {
        id: AssignmentId::from_u128(991),
        person_id: OTHER_LEADER,
        role: Role::TeamLeader,
        village_id: Some(HETAO),
        township_id: TOWNSHIP,
        starts_on: day(2026, 1, 1),
        ends_on: None,
    });
    w
}

/// Who decides, in the table.
#[derive(Clone, Copy, Debug)]
enum By {
    TeamLeader,
    Office,
    Supervisor,
    LiaisonLeader,
    OtherTeamLeader,
    Requester,
}

impl By {
    fn id(self, requester: Role) -> PersonId {
        match self {
            By::TeamLeader => person(Role::TeamLeader),
            By::Office => person(Role::Admin),
            By::Supervisor => person(Role::Supervisor),
            By::LiaisonLeader => person(Role::LiaisonLeader),
            By::OtherTeamLeader => OTHER_LEADER,
            By::Requester => person(requester),
        }
    }
}

/// A decision note by `by` on `request`, as the approver's phone or the console writes it.
fn decision(by: PersonId, request: RecordId, d: LeaveDecision, when: DateTime<Utc>) -> Finding {
    let mut rec = Recorder::new(by, DeviceId::from_u128(by.0.as_u128() + 5000));
    let note = rec.record(
        when,
        RecordBody::Note {
            attached_to: request,
            text: "同意".into(),
            replaces: None,
            kind: Some(NoteKind::LeaveDecision { decision: d }),
        },
    );
    Finding::of_note(&note).unwrap()
}

/// The decisions the evaluator's caller passes: those [`may_decide`] keeps.
fn effective(w: &World, requester: Role, all: Vec<Finding>) -> Vec<Finding> {
    let target = Person {
        id: person(requester),
        name: "请假人".into(),
        township_id: TOWNSHIP,
        unit_id: None,
    };
    let of = |p: PersonId| -> Vec<Assignment> {
        w.assignments
            .iter()
            .filter(|a| a.person_id == p)
            .cloned()
            .collect()
    };
    all.into_iter()
        .filter(|f| {
            may_decide(
                f,
                &of(f.by),
                &target,
                &of(target.id),
                day(2026, 11, 1),
                day(2026, 11, 30),
                &[],
            )
        })
        .collect()
}

fn leave_request(
    rec: &mut Recorder,
    kind: AbsenceKind,
    from: NaiveDate,
    to: NaiveDate,
) -> DeviceRecord {
    rec.record(
        at(2026, 11, 10, 9, 0),
        RecordBody::LeaveRequest {
            kind,
            from,
            to,
            reason: "家中老人住院".into(),
        },
    )
}

/// Five hours in 青山村 on each of November's first `n` working days.
fn present_days(w: &World, rec: &mut Recorder, n: usize) -> Vec<DeviceRecord> {
    let p = Period::month(2026, 11);
    w.calendar
        .working_days(p.first_day(), p.last_day())
        .0
        .into_iter()
        .take(n)
        .flat_map(|d| {
            let start = at(2026, 11, chrono::Datelike::day(&d), 8, 30);
            rec.track(start, Duration::hours(5), Duration::minutes(1), |_| CENTRE)
        })
        .collect()
}

/// November 2026: 21 working days, 2/3 → 14 (status: the month's part). Present on 12. Leave asked for 11-23 to 11-29
/// (5 working days, and a weekend): approved, 16 working days remain, 2/3 → 11.
#[rstest]
#[case::no_decision_pending(&[], Status::Short, (12, 14))]
#[case::approved_by_the_team_leader(&[(By::TeamLeader, LeaveDecision::Approved)], Status::Met, (12, 11))]
#[case::approved_by_the_office(&[(By::Office, LeaveDecision::Approved)], Status::Met, (12, 11))]
#[case::refused(&[(By::TeamLeader, LeaveDecision::Refused)], Status::Short, (12, 14))]
#[case::a_supervisor_grants_no_leave(&[(By::Supervisor, LeaveDecision::Approved)], Status::Short, (12, 14))]
#[case::nor_a_liaison_leader(&[(By::LiaisonLeader, LeaveDecision::Approved)], Status::Short, (12, 14))]
#[case::nor_another_villages_leader(&[(By::OtherTeamLeader, LeaveDecision::Approved)], Status::Short, (12, 14))]
#[case::nor_the_requester(&[(By::Requester, LeaveDecision::Approved)], Status::Short, (12, 14))]
#[case::approved_then_refused(&[(By::TeamLeader, LeaveDecision::Approved), (By::Office, LeaveDecision::Refused)], Status::Short, (12, 14))]
#[case::refused_then_approved(&[(By::TeamLeader, LeaveDecision::Refused), (By::TeamLeader, LeaveDecision::Approved)], Status::Met, (12, 11))]
#[case::out_of_reach_after_approval_changes_nothing(&[(By::TeamLeader, LeaveDecision::Approved), (By::OtherTeamLeader, LeaveDecision::Refused)], Status::Met, (12, 11))]
fn r233a_approved_leave_leaves_the_working_days(
    #[case] decisions: &[(By, LeaveDecision)],
    #[case] status: Status,
    #[case] nums: (u32, u32),
) {
    let mut w = world();
    let role = Role::FirstSecretary;
    let mut rec = w.recorder(role);
    let mut records = present_days(&w, &mut rec, 12);
    let req = leave_request(
        &mut rec,
        AbsenceKind::Leave,
        day(2026, 11, 23),
        day(2026, 11, 29),
    );
    let all = decisions
        .iter()
        .enumerate()
        .map(|(i, (by, d))| decision(by.id(role), req.id, *d, at(2026, 11, 11, 9, i as u32)))
        .collect();
    w.findings = effective(&w, role, all);
    records.push(req.clone());
    let v = w.verdict(role, "R-233a", &records, "2026-11", at(2026, 12, 1, 9, 0));
    // The month's part (the year to date, posted since January, is short either way).
    assert_eq!((v.parts[0].status, numbers(&v)), (status, nums), "{v:#?}");
    let leave: Vec<&str> = leave_evidence(&v, 0);
    if status == Status::Met {
        assert_eq!(leave.len(), 1, "{v:#?}");
        assert!(
            leave[0].starts_with("请假 5 天（11-23 至 11-29，已批准："),
            "{}",
            leave[0]
        );
        assert!(v.parts[0].label_zh.contains("已扣除请假、公差5天"));
        // The year to date loses the same five days.
        assert_eq!(leave_evidence(&v, 1).len(), 1);
        let without = {
            let mut w = world();
            w.findings.clear();
            w.verdict(role, "R-233a", &records, "2026-11", at(2026, 12, 1, 9, 0))
        };
        let ytd = |v: &Verdict| v.parts[1].label_zh.clone();
        assert_ne!(ytd(&v), ytd(&without));
        assert!(v.parts[1].required < without.parts[1].required);
    } else {
        assert!(leave.is_empty(), "{v:#?}");
    }
    // The evidence counted is the days present, never the days away.
    assert_eq!(
        v.parts[0]
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::InVillageDay)
            .count() as u32,
        v.parts[0].counted
    );
}

fn leave_evidence(v: &Verdict, part: usize) -> Vec<&str> {
    v.parts[part]
        .evidence
        .iter()
        .filter(|e| e.kind.absence().is_some())
        .map(|e| e.detail.as_str())
        .collect()
}

/// A withdrawn request is no leave, whatever was decided on it.
#[test]
fn a_withdrawn_request_excuses_nothing() {
    let mut w = world();
    let role = Role::FirstSecretary;
    let mut rec = w.recorder(role);
    let mut records = present_days(&w, &mut rec, 12);
    let req = leave_request(
        &mut rec,
        AbsenceKind::OfficialBusiness,
        day(2026, 11, 23),
        day(2026, 11, 27),
    );
    let d = decision(
        person(Role::TeamLeader),
        req.id,
        LeaveDecision::Approved,
        at(2026, 11, 11, 9, 0),
    );
    w.findings = effective(&w, role, vec![d]);
    records.push(req.clone());
    let v = w.verdict(role, "R-233a", &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert_eq!(numbers(&v), (12, 11));
    assert!(leave_evidence(&v, 0)[0].starts_with("公差 5 天（11-23 至 11-27，已批准："));
    assert!(v.parts[0]
        .evidence
        .iter()
        .any(|e| e.kind == EvidenceKind::ApprovedOfficialBusiness));
    records.push(rec.record(
        at(2026, 11, 12, 9, 0),
        RecordBody::Retraction {
            target: req.id,
            reason: "不去了".into(),
        },
    ));
    let v = w.verdict(role, "R-233a", &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert_eq!(numbers(&v), (12, 14));
}

/// R-212's six visits a month are prorated over the working days not on approved leave:
/// away 11-16 to 11-30 (11 of 21 working days) → ceil(6 × 10 ÷ 21) = 3. Wholly away → not
/// applicable.
#[rstest]
#[case::no_leave(None, None, Status::Short, (3, 6))]
#[case::pending(Some((16, 30)), None, Status::Short, (3, 6))]
#[case::refused(Some((16, 30)), Some(LeaveDecision::Refused), Status::Short, (3, 6))]
#[case::approved(Some((16, 30)), Some(LeaveDecision::Approved), Status::Met, (3, 3))]
#[case::whole_month(Some((1, 30)), Some(LeaveDecision::Approved), Status::NotApplicable, (3, 0))]
fn r212_visits_are_prorated_over_the_days_not_away(
    #[case] away: Option<(u32, u32)>,
    #[case] decided: Option<LeaveDecision>,
    #[case] status: Status,
    #[case] nums: (u32, u32),
) {
    let mut w = world();
    let role = Role::AssistingCadre;
    let mut rec = w.recorder(role);
    let mut records: Vec<DeviceRecord> = (0..3)
        .flat_map(|i| w.stay(&mut rec, at(2026, 11, 2 + i, 8, 0), Duration::hours(9), 10))
        .collect();
    if let Some((from, to)) = away {
        let req = leave_request(
            &mut rec,
            AbsenceKind::Leave,
            day(2026, 11, from),
            day(2026, 11, to),
        );
        if let Some(d) = decided {
            let f = decision(person(Role::TeamLeader), req.id, d, at(2026, 11, 11, 9, 0));
            w.findings = effective(&w, role, vec![f]);
        }
        records.push(req);
    }
    let v = w.verdict(role, "R-212", &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert_eq!((v.status, numbers(&v)), (status, nums), "{v:#?}");
    assert_eq!(
        leave_evidence(&v, 0).len(),
        usize::from(decided == Some(LeaveDecision::Approved))
    );
}

/// Who may decide, pinned: the team leader of the cadre's village and the office; nobody else,
/// and nobody on their own request.
#[rstest]
#[case::team_leader(By::TeamLeader, true)]
#[case::office(By::Office, true)]
#[case::supervisor(By::Supervisor, false)]
#[case::liaison_leader(By::LiaisonLeader, false)]
#[case::other_team_leader(By::OtherTeamLeader, false)]
#[case::requester(By::Requester, false)]
fn who_may_decide(#[case] by: By, #[case] may: bool) {
    let w = world();
    let role = Role::ResidentMember;
    let d = decision(
        by.id(role),
        RecordId::new(),
        LeaveDecision::Approved,
        at(2026, 11, 11, 9, 0),
    );
    assert_eq!(effective(&w, role, vec![d]).len(), usize::from(may));
    // The team leader's own leave: the office decides it, not the team leader.
    if matches!(by, By::TeamLeader) {
        let own = decision(
            person(Role::TeamLeader),
            RecordId::new(),
            LeaveDecision::Approved,
            at(2026, 11, 11, 9, 0),
        );
        assert!(effective(&w, Role::TeamLeader, vec![own]).is_empty());
    }
}
