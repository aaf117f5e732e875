//! 请假: a cadre asks for leave or official absence (请假、公差, with its days and reason) and
//! sees each request's standing (待审批, 已批准, 不批准 with the approver's remark) as the last
//! sync brought it; an approver (team leader, coordination office) sees the requests they may
//! decide and approves or refuses each, saved as a note on the request and synced like any
//! other record.

use crate::app::Route;
use crate::capture::{Command, LeaveDraft};
use crate::state::{use_app_state, use_services};
use chrono::NaiveDate;
use dioxus::prelude::*;
use zhucun_shared::leave::{AbsenceKind, LeaveDecision, LeaveItem, LEAVE_APPROVERS};
use zhucun_shared::period::local_date;

pub const LEAVE_TITLE: &str = "请假、公差";
pub const LEAVE_REQUEST: &str = "申请请假、公差";
pub const LEAVE_KIND: &str = "类别";
pub const LEAVE_FROM: &str = "开始日期";
pub const LEAVE_TO: &str = "结束日期";
pub const LEAVE_REASON: &str = "事由";
pub const LEAVE_SUBMIT: &str = "提交申请";
pub const LEAVE_SUBMITTED: &str = "申请已保存，同步后由队长或乡协调办审批";
pub const LEAVE_MINE: &str = "我的申请";
pub const LEAVE_NONE: &str = "还没有申请。";
pub const LEAVE_EXCUSED_HINT: &str =
    "批准的日子不计入在村工作日（R-233a）和每月到村次数（R-212）的基数。";
pub const LEAVE_TO_DECIDE: &str = "待我审批";
pub const LEAVE_NOTHING_TO_DECIDE: &str = "没有要审批的申请（同步后更新）。";
pub const LEAVE_REMARK: &str = "审批意见（不批准时必填）";
pub const LEAVE_DECIDED: &str = "审批已保存";
pub const LEAVE_SENT: &str = "已审批，待同步";
pub const LEAVE_WITHDRAW: &str = "撤回申请";
pub const LEAVE_WITHDRAW_REASON: &str = "申请人撤回请假、公差申请";
pub const LEAVE_WITHDRAWN: &str = "申请已撤回";

#[component]
pub fn Leave() -> Element {
    let state = use_app_state();
    let mine = state.records.read().absences.clone();
    let approver = LEAVE_APPROVERS.iter().any(|r| state.account.read().is(*r));
    let to_decide = state.team.read().leave_requests.clone();
    rsx! {
        RequestForm {}
        div { class: "card leave-mine",
            h2 { "{LEAVE_MINE}" }
            p { class: "muted", "{LEAVE_EXCUSED_HINT}" }
            if mine.is_empty() {
                p { class: "muted", "{LEAVE_NONE}" }
            }
            for a in mine {
                div { class: "row leave", key: "{a.request}",
                    div {
                        div { "{a.kind.label_zh()} {a.span_zh()}（{a.days().count()} 天）" }
                        div { class: "muted", "{a.reason}" }
                        if let Some(d) = &a.decided {
                            if !d.remark.is_empty() {
                                div { class: "muted", "审批意见：{d.remark}" }
                            }
                        }
                    }
                    span { class: status_class(a.decided.as_ref().map(|d| d.decision)), "{a.status_zh()}" }
                    if a.decided.is_none() {
                        WithdrawButton { request: a.request }
                    }
                }
            }
        }
        if approver {
            div { class: "card leave-decide",
                h2 { "{LEAVE_TO_DECIDE}" }
                if to_decide.is_empty() {
                    p { class: "muted", "{LEAVE_NOTHING_TO_DECIDE}" }
                }
                for item in to_decide {
                    DecisionRow { key: "{item.absence.request}", item }
                }
            }
        }
    }
}

/// On 本月进度: the month's approved absences as the verdicts' evidence words them (the
/// server's when synced, else the phone's own), how many requests wait, and the way to 请假.
#[component]
pub fn LeaveSummary() -> Element {
    let state = use_app_state();
    let pending = state
        .records
        .read()
        .absences
        .iter()
        .filter(|a| a.decided.is_none())
        .count();
    let progress = state.progress.read();
    let mut excused: Vec<String> = Vec::new();
    for row in progress.progress.iter().flat_map(|p| &p.rows) {
        let Some(v) = row.server.as_ref().or(row.local.as_ref()) else {
            continue;
        };
        for e in v.parts.iter().flat_map(|p| &p.evidence) {
            if e.kind.absence().is_some() && !excused.contains(&e.detail) {
                excused.push(e.detail.clone());
            }
        }
    }
    drop(progress);
    rsx! {
        div { class: "card leave-summary",
            h2 { "{LEAVE_TITLE}"
                if pending > 0 { span { class: "pill", "待审批 {pending}" } }
            }
            for d in excused {
                p { class: "excused", "{d}" }
            }
            Link { to: Route::Leave {}, class: "button small", "{LEAVE_REQUEST}" }
        }
    }
}

/// 撤回: a pending request withdrawn (a retraction record, kept in the log like any other).
#[component]
fn WithdrawButton(request: zhucun_shared::ids::RecordId) -> Element {
    let state = use_app_state();
    let services = use_services();
    rsx! {
        button {
            class: "small secondary",
            onclick: move |_| {
                let cmd = Command::Retract { target: request, reason: LEAVE_WITHDRAW_REASON.into() };
                state.run(&services, cmd, LEAVE_WITHDRAWN);
            },
            "{LEAVE_WITHDRAW}"
        }
    }
}

fn status_class(d: Option<LeaveDecision>) -> &'static str {
    match d {
        None => "pill",
        Some(LeaveDecision::Approved) => "pill met",
        Some(LeaveDecision::Refused) => "pill short",
    }
}

fn kind_code(k: AbsenceKind) -> &'static str {
    match k {
        AbsenceKind::Leave => "leave",
        AbsenceKind::OfficialBusiness => "official_business",
    }
}

#[component]
fn RequestForm() -> Element {
    let state = use_app_state();
    let services = use_services();
    let today = local_date(services.now());
    let mut kind = use_signal(|| AbsenceKind::Leave);
    let mut from = use_signal(|| None::<NaiveDate>);
    let mut to = use_signal(|| None::<NaiveDate>);
    let mut reason = use_signal(String::new);
    let shown_from = from().unwrap_or(today);
    let shown_to = to().unwrap_or(shown_from);
    rsx! {
        div { class: "card leave-form",
            h2 { "{LEAVE_REQUEST}" }
            label { "{LEAVE_KIND}" }
            select {
                value: "{kind_code(kind())}",
                onchange: move |e| {
                    if let Some(k) = AbsenceKind::ALL.into_iter().find(|k| kind_code(*k) == e.value()) {
                        kind.set(k);
                    }
                },
                for k in AbsenceKind::ALL {
                    option { value: "{kind_code(k)}", selected: k == kind(), "{k.label_zh()}" }
                }
            }
            label { "{LEAVE_FROM}" }
            input {
                r#type: "date",
                class: "leave-from",
                value: "{shown_from}",
                oninput: move |e| from.set(e.value().parse().ok()),
            }
            label { "{LEAVE_TO}" }
            input {
                r#type: "date",
                class: "leave-to",
                value: "{shown_to}",
                oninput: move |e| to.set(e.value().parse().ok()),
            }
            label { "{LEAVE_REASON}" }
            textarea { class: "leave-reason", value: "{reason}", oninput: move |e| reason.set(e.value()) }
            button {
                class: "big",
                onclick: move |_| {
                    let draft = LeaveDraft {
                        kind: kind(),
                        from: shown_from,
                        to: shown_to,
                        reason: reason.peek().clone(),
                    };
                    if state.run(&services, Command::RequestLeave(draft), LEAVE_SUBMITTED) {
                        reason.set(String::new());
                        from.set(None);
                        to.set(None);
                    }
                },
                "{LEAVE_SUBMIT}"
            }
        }
    }
}

#[component]
fn DecisionRow(item: LeaveItem) -> Element {
    let state = use_app_state();
    let services = use_services();
    let mut remark = use_signal(String::new);
    let a = item.absence.clone();
    let sent = state.records.read().leave_sent.get(&a.request).copied();
    // A decision written here after the server's latest is shown until the next sync.
    let local = sent.filter(|(_, at)| a.decided.as_ref().is_none_or(|d| d.at < *at));
    let request = a.request;
    rsx! {
        div { class: "row leave",
            div {
                div { "{item.person_name} · {a.kind.label_zh()} {a.span_zh()}（{a.days().count()} 天）" }
                div { class: "muted", "{a.reason}" }
                if let Some((d, _)) = local {
                    div { class: "finding", "{LEAVE_SENT}：{d.label_zh()}" }
                } else {
                    div {
                        span { class: status_class(a.decided.as_ref().map(|d| d.decision)), "{a.status_zh()}" }
                        if let Some(d) = &a.decided {
                            if !d.remark.is_empty() { span { class: "muted", " {d.remark}" } }
                        }
                    }
                    input {
                        class: "leave-remark",
                        placeholder: "{LEAVE_REMARK}",
                        value: "{remark}",
                        oninput: move |e| remark.set(e.value()),
                    }
                    div { class: "finding-outcomes",
                        {[LeaveDecision::Approved, LeaveDecision::Refused].into_iter().map(|decision| {
                            let services = services.clone();
                            rsx! {
                                button {
                                    class: "small",
                                    onclick: move |_| {
                                        let cmd = Command::DecideLeave {
                                            request,
                                            decision,
                                            remark: remark.peek().clone(),
                                        };
                                        if state.run(&services, cmd, LEAVE_DECIDED) {
                                            remark.set(String::new());
                                        }
                                    },
                                    "{decision.label_zh()}"
                                }
                            }
                        })}
                    }
                }
            }
        }
    }
}
