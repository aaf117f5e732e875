//! 工作日志: what the deadline rules count besides visits — weekly work entries, meetings,
//! trainings with person-times, agri-tech items, reports — and 四必到 events.

use crate::capture::{check_attachment, ActivityDraft, Command, ReportDraft};
use crate::components::{CameraButton, EventForm, OpenEvents};
use crate::state::{use_app_state, use_services, Notice};
use crate::store::AttachedFile;
use crate::strings;
use chrono::{Datelike, NaiveDate};
use dioxus::prelude::*;
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::record::{ActivityKind, ReportKind};
use zhucun_shared::role::Role;

/// What the kind selector can choose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EntryKind {
    Report(ReportKind),
    Activity(ActivityKind),
}

impl EntryKind {
    /// The kinds someone in `roles` records: a supervisor's 巡视、督查、考核 first; then what a
    /// cadre in a village records, most frequent first; a team leader's support-unit reports
    /// (R-33) last.
    pub fn choices(roles: &[Role]) -> Vec<EntryKind> {
        let mut out = Vec::new();
        if roles.contains(&Role::Supervisor) {
            out.extend(
                ActivityKind::ALL
                    .into_iter()
                    .filter(|k| k.is_supervision())
                    .map(EntryKind::Activity),
            );
        }
        out.push(EntryKind::Report(ReportKind::WeeklyEntry));
        out.extend(
            ActivityKind::ALL
                .into_iter()
                .filter(|k| !k.is_supervision())
                .map(EntryKind::Activity),
        );
        out.extend(
            [
                ReportKind::MonthlyReport,
                ReportKind::InformationFeedback,
                ReportKind::TeamQuarterlySummary,
                ReportKind::TeamAnnualSummary,
                ReportKind::ResearchArticle,
                ReportKind::MonthlyLedger,
            ]
            .map(EntryKind::Report),
        );
        if roles.contains(&Role::TeamLeader) {
            out.extend(
                [
                    ReportKind::UnitAnnualPlan,
                    ReportKind::UnitQuarterlySummary,
                    ReportKind::UnitAnnualSummary,
                    ReportKind::PublicCommitment,
                ]
                .map(EntryKind::Report),
            );
        }
        out
    }
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Report(k) => k.label_zh(),
            EntryKind::Activity(k) => k.label_zh(),
        }
    }
    pub fn code(self) -> String {
        match self {
            EntryKind::Report(k) => format!(
                "r:{}",
                ReportKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
            ),
            EntryKind::Activity(k) => format!(
                "a:{}",
                ActivityKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
            ),
        }
    }
    pub fn from_code(s: &str) -> Option<EntryKind> {
        let (t, i) = s.split_once(':')?;
        let i: usize = i.parse().ok()?;
        match t {
            "r" => ReportKind::ALL.get(i).copied().map(EntryKind::Report),
            "a" => ActivityKind::ALL.get(i).copied().map(EntryKind::Activity),
            _ => None,
        }
    }
}

/// The period a report made on `today` is for: the week for a weekly entry, last month for
/// the monthly report (due early the next month), the quarter or year for summaries.
pub fn report_period(kind: ReportKind, today: NaiveDate) -> Period {
    let of = |k| Period::containing(k, today).expect("a period contains every date");
    match kind {
        ReportKind::WeeklyEntry => of(PeriodKind::Week),
        ReportKind::MonthlyReport | ReportKind::MonthlyLedger if today.day() <= 10 => {
            let prev = today
                .with_day(1)
                .expect("day 1")
                .pred_opt()
                .expect("in range");
            Period::containing(PeriodKind::Month, prev).expect("a month")
        }
        ReportKind::UnitQuarterlySummary
        | ReportKind::TeamQuarterlySummary
        | ReportKind::PublicCommitment => of(PeriodKind::Quarter),
        ReportKind::UnitAnnualPlan
        | ReportKind::UnitAnnualSummary
        | ReportKind::TeamAnnualSummary
        | ReportKind::ResearchArticle => of(PeriodKind::Year),
        _ => of(PeriodKind::Month),
    }
}

#[component]
pub fn Work() -> Element {
    rsx! {
        EntryForm {}
        EventForm {}
        OpenEvents {}
        RecentEntries {}
    }
}

#[component]
fn EntryForm() -> Element {
    let state = use_app_state();
    let services = use_services();
    let roles = state.account.read().roles.clone();
    let choices = EntryKind::choices(&roles);
    let first = choices[0];
    let mut kind = use_signal(move || first);
    // The day an activity was held; None: today.
    let mut held = use_signal(|| None::<NaiveDate>);
    let mut title = use_signal(String::new);
    let mut text = use_signal(String::new);
    let mut count = use_signal(String::new);
    let mut files = use_signal(Vec::<AttachedFile>::new);
    let today = local_date(services.now());
    let village = state.place.read().village.as_ref().map(|v| v.id);
    let k = kind();
    let needs_person_times = k == EntryKind::Activity(ActivityKind::Training);
    let needs_quantity = matches!(k, EntryKind::Activity(a) if crate::capture::counts_quantity(a));
    let held_on = held().unwrap_or(today);
    let period_label = match k {
        EntryKind::Report(r) => Some(report_period(r, today).label_zh()),
        EntryKind::Activity(_) => None,
    };
    rsx! {
        div { class: "card entry-form",
            h2 { "{strings::WORK_ENTRY}" }
            label { "{strings::KIND}" }
            select {
                value: "{k.code()}",
                onchange: move |e| {
                    if let Some(k) = EntryKind::from_code(&e.value()) {
                        kind.set(k);
                    }
                },
                for c in choices {
                    option { value: "{c.code()}", selected: c == k, "{c.label()}" }
                }
            }
            if let Some(p) = period_label {
                p { class: "muted period", "{p}" }
            }
            if let EntryKind::Activity(a) = k {
                label { "{strings::HELD_ON}" }
                input {
                    r#type: "date",
                    class: "held-on",
                    max: "{today}",
                    value: "{held_on}",
                    oninput: move |e| held.set(e.value().parse().ok()),
                }
                if crate::capture::made_on_site(a) {
                    p { class: "muted on-site-hint", "{strings::ON_SITE_HINT}" }
                }
            }
            label { "{strings::TITLE}" }
            input { value: "{title}", oninput: move |e| title.set(e.value()) }
            if needs_person_times || needs_quantity {
                label { if needs_person_times { "{strings::PERSON_TIMES}" } else { "{strings::QUANTITY}" } }
                input { r#type: "number", min: "0", value: "{count}", oninput: move |e| count.set(e.value()) }
            }
            label { "{strings::CONTENT}" }
            textarea { value: "{text}", oninput: move |e| text.set(e.value()) }
            if matches!(k, EntryKind::Report(_)) {
                AttachmentPicker { files }
            }
            button {
                class: "big",
                onclick: move |_| {
                    let n: Option<u32> = count.peek().trim().parse().ok();
                    let cmd = match kind() {
                        EntryKind::Activity(a) => Command::Activity(ActivityDraft {
                            kind: a,
                            village_id: village,
                            held_on: held().unwrap_or(today),
                            person_times: if a == ActivityKind::Training { n } else { None },
                            quantity: if crate::capture::counts_quantity(a) { n } else { None },
                            title: title.peek().clone(),
                            text: text.peek().clone(),
                        }),
                        EntryKind::Report(r) => Command::Report(ReportDraft {
                            kind: r,
                            village_id: village,
                            period: report_period(r, today),
                            title: title.peek().clone(),
                            text: text.peek().clone(),
                            attachments: files.peek().clone(),
                        }),
                    };
                    let ok = state.run(&services, cmd, strings::SAVED);
                    if ok {
                        title.set(String::new());
                        text.set(String::new());
                        count.set(String::new());
                        files.set(Vec::new());
                        held.set(None);
                    }
                },
                "{strings::SAVE}"
            }
        }
    }
}

/// The files chosen to go with a report: each checked when chosen (kind and size), listed
/// with its size, removable until the report is saved.
#[component]
fn AttachmentPicker(files: Signal<Vec<AttachedFile>>) -> Element {
    let state = use_app_state();
    let chosen = files.read().clone();
    rsx! {
        div { class: "attachments",
            for (i, f) in chosen.into_iter().enumerate() {
                div { class: "row attachment", key: "{i}-{f.name}",
                    span { "{f.name} · {f.data.len().div_ceil(1024)} KB" }
                    button {
                        class: "small",
                        onclick: move |_| {
                            files.write().remove(i);
                        },
                        "{strings::REMOVE}"
                    }
                }
            }
            label { class: "photo-input button",
                "{strings::ADD_ATTACHMENT}"
                input {
                    r#type: "file",
                    multiple: true,
                    accept: ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,image/*",
                    onchange: move |evt: FormEvent| {
                        async move {
                            for file in evt.files() {
                                let picked = match file.read_bytes().await {
                                    Ok(bytes) => {
                                        let f = AttachedFile { name: file.name(), data: bytes.to_vec() };
                                        check_attachment(&f).map(|()| f).map_err(|e| e.to_string())
                                    }
                                    Err(_) => Err(strings::ERR_FILE_UNREADABLE.to_string()),
                                };
                                match picked {
                                    Ok(f) => files.write().push(f),
                                    Err(e) => state.tell(Some(Notice::Error(format!("{}：{e}", file.name())))),
                                }
                            }
                        }
                    },
                }
            }
        }
    }
}

#[component]
fn RecentEntries() -> Element {
    let state = use_app_state();
    let entries = state.records.read().entries.clone();
    rsx! {
        div { class: "card entries",
            h2 { "{strings::RECENT_ENTRIES}" }
            if entries.is_empty() {
                p { class: "muted", "{strings::HISTORY_EMPTY}" }
            }
            for e in entries {
                div { class: "row entry", key: "{e.record_id}",
                    div {
                        div { "{e.title}" }
                        div { class: "muted",
                            "{e.kind} · {e.day} · {strings::PHOTOS} {e.photos}"
                            if e.files > 0 { " · {strings::ATTACHMENTS} {e.files}" }
                        }
                    }
                    if e.retracted {
                        span { class: "pill na", "{strings::RETRACTED}" }
                    } else {
                        CameraButton { attached_to: Some(e.record_id) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhucun_shared::catalogue::{Catalogue, Check};

    /// Every report and activity a rule counts for a role can be chosen by someone in it (a
    /// rule's kind missing from the form could never be met from the phone).
    #[test]
    fn each_role_can_record_every_kind_its_rules_count() {
        let catalogue = Catalogue::bundled();
        for role in Role::ALL {
            let choices = EntryKind::choices(&[role]);
            for rule in catalogue
                .rules
                .iter()
                .filter(|r| r.applies_to.contains(&role))
            {
                let wanted: Vec<EntryKind> = match &rule.check {
                    Check::Submissions(c) => c
                        .items
                        .iter()
                        .map(|i| EntryKind::Report(i.report))
                        .collect(),
                    Check::Activities(c) => c
                        .items
                        .iter()
                        .map(|i| EntryKind::Activity(i.activity))
                        .collect(),
                    Check::TimelyRecords(c) => vec![EntryKind::Activity(c.activity)],
                    _ => Vec::new(),
                };
                for k in wanted {
                    assert!(
                        choices.contains(&k),
                        "{} for {role:?}: {} missing",
                        rule.id,
                        k.label()
                    );
                }
            }
        }
    }

    #[test]
    fn supervision_and_support_unit_reports_are_for_their_roles() {
        let patrol = EntryKind::Activity(ActivityKind::Patrol);
        let plan = EntryKind::Report(ReportKind::UnitAnnualPlan);
        assert_eq!(EntryKind::choices(&[Role::Supervisor])[0], patrol);
        assert!(!EntryKind::choices(&[Role::ResidentMember]).contains(&patrol));
        assert!(EntryKind::choices(&[Role::TeamLeader]).contains(&plan));
        assert!(!EntryKind::choices(&[Role::FirstSecretary]).contains(&plan));
    }
}
