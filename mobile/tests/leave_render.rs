//! The 请假 screen rendered without a window (a `VirtualDom` over real services and an
//! in-memory store with the demo village): the request form, my requests with their standing,
//! and for the team leader the team's requests with 批准 / 不批准, each action run as its
//! button runs it.

use chrono::{DateTime, NaiveDate, Utc};
use dioxus::prelude::*;
use std::sync::Arc;
use zhucun_mobile::capture::{Command, LeaveDraft};
use zhucun_mobile::demo;
use zhucun_mobile::pages;
use zhucun_mobile::platform::clock::ManualClock;
use zhucun_mobile::state::{AppState, Notice, Services};
use zhucun_mobile::store::Identity;
use zhucun_mobile::Store;
use zhucun_shared::ids::{DeviceId, RecordId};
use zhucun_shared::leave::{Absence, AbsenceKind, LeaveDecision, LeaveItem};

fn now() -> DateTime<Utc> {
    "2026-11-16T02:00:00Z".parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The demo team leader's phone.
fn services() -> Services {
    let mut store = Store::in_memory().unwrap();
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: demo::ME,
            },
            0,
        )
        .unwrap();
    store.save_pull(&demo::pull(now())).unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    Services::new(store, clock, None, true).unwrap()
}

struct Screen {
    dom: VirtualDom,
    state: AppState,
    services: Services,
}

impl Screen {
    fn new(services: Services) -> Screen {
        let mut dom = VirtualDom::new(pages::Leave);
        dom.provide_root_context(services.clone());
        let parts = services.parts().unwrap();
        let state = dom.in_runtime(|| AppState::new_in_scope(parts, ScopeId::ROOT));
        dom.provide_root_context(state);
        dom.rebuild_in_place();
        Screen {
            dom,
            state,
            services,
        }
    }

    fn html(&mut self) -> String {
        self.dom.render_immediate_to_vec();
        dioxus_ssr::render(&self.dom)
    }

    /// Runs `cmd` as its button does; whether it was saved, and the notice it left.
    fn act(&mut self, cmd: Command, saved: &str) -> (bool, String) {
        let (state, services) = (self.state, self.services.clone());
        let ok = self.dom.in_runtime(|| state.run(&services, cmd, saved));
        let notice = match self.state.notice.peek().clone() {
            Some(Notice::Saved(t) | Notice::Error(t)) => t,
            None => String::new(),
        };
        (ok, notice)
    }
}

#[test]
fn a_cadre_requests_leave_and_the_team_leader_decides_a_teammates() {
    let s = services();
    let theirs = RecordId::new();
    s.set_leave_requests(vec![LeaveItem {
        person_name: "吴海燕".into(),
        absence: Absence {
            request: theirs,
            person_id: demo::TEAMMATE,
            kind: AbsenceKind::OfficialBusiness,
            from: day("2026-11-18"),
            to: day("2026-11-20"),
            reason: "县里集中培训".into(),
            requested_at: now(),
            decided: None,
        },
    }]);
    let mut screen = Screen::new(s);
    let html = screen.html();
    for want in [
        "申请请假、公差",
        "开始日期",
        "结束日期",
        "事由",
        "提交申请",
        "2026-11-16",
        "我的申请",
        "还没有申请。",
        "待我审批",
        "吴海燕 · 公差 11-18 至 11-20（3 天）",
        "县里集中培训",
        "待审批",
        "批准",
        "不批准",
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }

    // No reason: refused in Chinese, nothing saved.
    let draft = |reason: &str| LeaveDraft {
        kind: AbsenceKind::Leave,
        from: day("2026-11-23"),
        to: day("2026-11-25"),
        reason: reason.into(),
    };
    let (ok, notice) = screen.act(Command::RequestLeave(draft(" ")), "已保存");
    assert!(!ok);
    assert_eq!(notice, "请填写事由");
    assert!(screen.html().contains("还没有申请。"));

    let (ok, _) = screen.act(Command::RequestLeave(draft("孩子高考陪考")), "已保存");
    assert!(ok);
    let html = screen.html();
    assert!(html.contains("请假 11-23 至 11-25（3 天）"), "{html}");
    assert!(html.contains("孩子高考陪考"), "{html}");
    assert!(!html.contains("还没有申请。"), "{html}");

    // A pending request of mine can be withdrawn: it leaves the list.
    assert!(html.contains("撤回申请"), "{html}");
    let mine = screen.services.parts().unwrap().records.absences[0].request;
    let (ok, _) = screen.act(
        Command::Retract {
            target: mine,
            reason: "申请人撤回请假、公差申请".into(),
        },
        "已保存",
    );
    assert!(ok);
    let html = screen.html();
    assert!(!html.contains("孩子高考陪考"), "{html}");
    assert!(html.contains("还没有申请。"), "{html}");

    // Refusing needs a reason; approving does not, and shows at once, before any sync.
    let decide = |decision, remark: &str| Command::DecideLeave {
        request: theirs,
        decision,
        remark: remark.into(),
    };
    let (ok, notice) = screen.act(decide(LeaveDecision::Refused, ""), "已保存");
    assert!(!ok);
    assert_eq!(notice, "不批准须写明理由");
    let (ok, _) = screen.act(decide(LeaveDecision::Approved, ""), "已保存");
    assert!(ok);
    let html = screen.html();
    assert!(html.contains("已审批，待同步：批准"), "{html}");
}

#[test]
fn a_cadre_sees_no_approvals_section() {
    let s = {
        let mut store = Store::in_memory().unwrap();
        store
            .set_identity(
                Identity {
                    device_id: DeviceId::new(),
                    person_id: demo::TEAMMATE,
                },
                0,
            )
            .unwrap();
        store.save_pull(&demo::pull(now())).unwrap();
        Services::new(store, Arc::new(ManualClock::new(now())), None, true).unwrap()
    };
    let mut screen = Screen::new(s);
    let html = screen.html();
    assert!(html.contains("申请请假、公差"), "{html}");
    assert!(!html.contains("待我审批"), "{html}");
}
