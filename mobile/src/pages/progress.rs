//! 本月进度: every rule that applies to me, the server's verdict next to the phone's own
//! provisional estimate.

use crate::components::{md_hm, PacingCard, StatusPill};
use crate::progress::ProgressRow;
use crate::state::use_app_state;
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::verdict::Verdict;

// 四必到: the events still to attend, above the month's rules.
use crate::components::OpenEvents;

fn numbers(v: &Verdict) -> String {
    v.parts
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.label_zh,
                strings::counted_of(p.counted, p.required)
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[component]
pub fn Progress() -> Element {
    let state = use_app_state();
    let progress = state.progress.read().progress.clone();
    let mut all = use_signal(|| false);
    let Some(progress) = progress else {
        return rsx! { div { class: "card", p { class: "muted", "{strings::NO_RULES}" } } };
    };
    let rows = progress.rows.clone();
    let server_at = progress
        .server_evaluated_at
        .map(md_hm)
        .unwrap_or_else(|| strings::NO_SERVER_VERDICT.to_string());
    rsx! {
        OpenEvents {}
        super::LeaveSummary {}
        div { class: "card",
            h2 { "{progress.month.label_zh()}" span { class: "muted", "{strings::SERVER_VERDICT} {server_at}" } }
            if progress.rows.is_empty() {
                p { class: "muted", "{strings::NO_RULES}" }
            }
        }
        PacingCard {
            detail: move |id: String| {
                let row = rows.iter().find(|r| r.rule_id == id).cloned();
                rsx! {
                    if let Some(row) = row { RuleRow { row } }
                }
            },
        }
        button {
            class: "secondary big",
            onclick: move |_| all.toggle(),
            if all() { "{strings::HIDE_DETAILS}" } else { "{strings::ALL_RULES}" }
        }
        if all() {
            for row in progress.rows {
                RuleRow { key: "{row.rule_id}", row }
            }
        }
    }
}

#[component]
fn RuleRow(row: ProgressRow) -> Element {
    rsx! {
        div { class: "card rule",
            h2 {
                span { "{row.title_zh}" }
                span { class: "muted", "{row.rule_id} · {row.seed_ref}" }
            }
            div { class: "row server",
                span { class: "muted", "{strings::SERVER_VERDICT}" }
                match &row.server {
                    Some(v) => rsx! {
                        span { "{numbers(v)} " StatusPill { status: v.status, provisional: false } }
                    },
                    None => rsx! { span { class: "muted", "{strings::NO_SERVER_VERDICT}" } },
                }
            }
            div { class: "row local",
                span { class: "muted", "{strings::PROVISIONAL}" }
                match &row.local {
                    Some(v) => rsx! {
                        span { "{numbers(v)} " StatusPill { status: v.status, provisional: true } }
                    },
                    None => rsx! { span { class: "muted", "{strings::NOT_EVALUATED}" } },
                }
            }
        }
    }
}
