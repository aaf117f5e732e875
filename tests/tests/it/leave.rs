//! End to end over real HTTP: a resident member asks for leave from the phone; the team
//! leader's phone lists it after a sync and approves it; at the member's next sync the phone's
//! own R-233a estimate and the server's verdict agree: the same working days required, less
//! the approved ones, and the same words for the leave in the evidence.

use chrono::{Datelike, Duration, Utc};
use zhucun_mobile_core::capture::{Capture, Command, LeaveDraft, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::progress;
use zhucun_mobile_core::sync::SyncConfig;
use zhucun_shared::leave::{AbsenceKind, LeaveDecision};
use zhucun_shared::period::local_date;
use zhucun_shared::verdict::{EvidenceKind, Part};
use zhucun_tests::DemoServer;

fn leave_words(part: &Part) -> Vec<String> {
    part.evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::ApprovedLeave)
        .map(|e| e.detail.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_leave_leaves_r233a_alike_on_the_phone_and_the_server() {
    let server = DemoServer::start().await;
    // The demo's resident member gets an account.
    let wu = server.teammate_account().await;

    // The member asks for the month's first week off, from the phone, and syncs.
    let member_dir = tempfile::tempdir().unwrap();
    let (member, member_sync) = server
        .signed_in_phone(&member_dir, wu, SyncConfig::default())
        .await;
    let today = local_date(Utc::now());
    let first = today.with_day(1).unwrap();
    {
        let mut s = member.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::RequestLeave(LeaveDraft {
                kind: AbsenceKind::Leave,
                from: first,
                to: first + Duration::days(6),
                reason: "家中老人住院".into(),
            }),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(s.absences().unwrap()[0].status_zh(), "待审批");
    }
    member_sync.sync_once(&member, Utc::now()).await.unwrap();

    // The team leader's phone lists it after its sync and approves it.
    let leader_dir = tempfile::tempdir().unwrap();
    let (leader, leader_sync) = server
        .signed_in_phone(&leader_dir, "yang", SyncConfig::default())
        .await;
    let listed = leader_sync
        .leave_requests(&leader, Utc::now())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].person_name, "吴海燕");
    assert!(listed[0].absence.decided.is_none());
    {
        let mut s = leader.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::DecideLeave {
                request: listed[0].absence.request,
                decision: LeaveDecision::Approved,
                remark: "同意，注意安全".into(),
            },
            Utc::now(),
        )
        .unwrap();
    }
    leader_sync.sync_once(&leader, Utc::now()).await.unwrap();
    let listed = leader_sync
        .leave_requests(&leader, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        listed[0].absence.decided.as_ref().map(|d| d.decision),
        Some(LeaveDecision::Approved)
    );
    // The member's phone does not list others' requests.
    assert!(member_sync
        .leave_requests(&member, Utc::now())
        .await
        .unwrap()
        .is_empty());

    // The member's next sync: the decision and the server's verdict come down.
    member_sync.sync_once(&member, Utc::now()).await.unwrap();
    let s = member.lock().unwrap();
    assert_eq!(s.absences().unwrap()[0].status_zh(), "已批准");
    let reference = s.reference().unwrap();
    let records = s.all_records().unwrap();
    let now = Utc::now();
    let mine = progress::compute(&reference, &records, demo::TEAMMATE, now);
    let row = mine
        .rows
        .iter()
        .find(|r| r.rule_id == "R-233a")
        .expect("R-233a applies to a resident member");
    let (local, served) = (
        &row.local.as_ref().expect("the phone's estimate").parts[0],
        &row.server.as_ref().expect("the server's verdict").parts[0],
    );
    let words = leave_words(served);
    assert_eq!(words.len(), 1, "{served:#?}");
    assert!(words[0].starts_with("请假 "), "{}", words[0]);
    assert!(words[0].contains("已批准：杨"), "{}", words[0]);
    assert_eq!(leave_words(local), words);
    assert_eq!(local.required, served.required);
    assert_eq!(local.label_zh, served.label_zh);
    assert!(
        served.label_zh.contains("已扣除请假、公差"),
        "{}",
        served.label_zh
    );
}
