//! 今日: duty, village check-in, the household visit under way or the households nearest
//! first, today's visits, and what is waiting to sync.

use crate::app::Route;
use crate::capture::Command;
use crate::components::{
    hm, AccuracyLine, CameraButton, Confirm, DueHouseholds, SyncCard, SyncLine, VisitAnswer,
};
use crate::platform::photo::SimulatedCamera;
use crate::state::{use_app_state, use_services, Notice, Services};
use crate::strings;
use dioxus::prelude::*;

#[component]
pub fn Today() -> Element {
    rsx! {
        SyncLine {}
        DutyCard {}
        VillageCard {}
        VisitCard {}
        TodayVisits {}
        SyncCard {}
    }
}

#[component]
fn DutyCard() -> Element {
    let state = use_app_state();
    let services = use_services();
    let here = state.here.read();
    let duty = here.capture.duty.clone();
    let fix = here.capture.fresh_fix(here.now);
    let simulated = here.location_simulated;
    let lost = here.capture.location_lost;
    let open_gap = here.capture.gap;
    let gaps = here.gaps.clone();
    let now = here.now;
    let track_points = here.track.len();
    drop(here);
    let village = state.place.read().village.as_ref().map(|v| v.id);
    let mut confirm = use_signal(|| false);
    let s2 = services.clone();
    rsx! {
            div { class: "card duty",
                h2 {
                    match &duty {
                        Some(_) => rsx! { span { class: "pill met", "{strings::ON_DUTY}" } },
                        None => rsx! { span { class: "pill na", "{strings::OFF_DUTY}" } },
                    }
                    AccuracyLine { fix, simulated }
                }
                if let Some(d) = &duty {
                    div { class: "row",
                        span { class: "muted", "{hm(d.since)} 起" }
                        span { "{strings::duration_hm((now - d.since).num_minutes())} · {strings::TRAJECTORY} {track_points}" }
                    }
                    if let Some(gap) = open_gap {
                        div { class: "row gap-open",
                            span { class: "cats", "{strings::LOCATION_LOST}：{gap.cause.label_zh()}" }
                        }
                        p { class: "advice", "{strings::gap_advice(gap.cause)}" }
                    } else if lost {
                        div { class: "row", span { class: "cats", "{strings::LOCATION_LOST}" } }
                    }
                    for gap in gaps.iter().filter(|g| g.to.is_some()) {
                        div { class: "row gap",
                            span { class: "cats", {strings::location_gap(gap, now)} }
                        }
                    }
                    if confirm() {
                        Confirm {
                            question: strings::CONFIRM_END_DUTY,
                            on_yes: move |_| {
                                confirm.set(false);
                                state.run(&services, Command::EndDuty, strings::END_DUTY);
                            },
                            on_no: move |_| confirm.set(false),
                        }
                    } else {
                        button {
                            class: "secondary big",
                            onclick: move |_| confirm.set(true),
                            "{strings::END_DUTY}"
                        }
                    }
                    GuideLink {}
                } else {
                    for gap in gaps.iter() {
                        div { class: "row gap",
                            span { class: "cats", {strings::location_gap(gap, now)} }
                        }
                    }
                    p { class: "muted", "{strings::TRACK_ONLY_ON_DUTY}" }
                    button {
                        class: "big",
                        onclick: move |_| {
        state.run(&s2, Command::StartDuty { village_id: village }, strings::START_DUTY);
    },
                        "{strings::START_DUTY}"
                    }
                    GuideLink {}
                }
            }
        }
}

/// 后台运行设置: opens the battery-settings guide.
#[component]
fn GuideLink() -> Element {
    rsx! {
        button {
            class: "link guide-link",
            onclick: move |_| {
                if let Some(router) = dioxus::router::try_router() {
                    router.push(Route::BatteryGuide {});
                }
            },
            "{strings::BATTERY_GUIDE}"
        }
    }
}

#[component]
fn VillageCard() -> Element {
    let state = use_app_state();
    let services = use_services();
    // Only the duty and the stay, not every fix, re-render the card.
    let duty_and_stay = use_memo(move || {
        let here = state.here.read();
        (here.capture.duty.is_some(), here.capture.stay.clone())
    });
    let (on_duty, stay) = duty_and_stay();
    let village = state.place.read().village.clone();
    let mut confirm = use_signal(|| false);
    let mut withdrawing = use_signal(|| false);
    let Some(village) = village else {
        return rsx! {};
    };
    let s2 = services.clone();
    let id = village.id;
    rsx! {
            div { class: "card village",
                h2 {
                    "{village.name}"
                    match &stay {
                        Some(_) => rsx! { span { class: "pill met", "{strings::IN_VILLAGE}" } },
                        None => rsx! { span { class: "pill na", "{strings::NOT_IN_VILLAGE}" } },
                    }
                }
                if let Some(s) = &stay {
                    div { class: "row",
                        span { class: "muted", "{strings::VILLAGE_CHECK_IN} {hm(s.since)}" }
                        span { class: "muted",
                            {s.accuracy_m.map(strings::accuracy).unwrap_or_else(|| strings::NO_FIX.to_string())}
                        }
                    }
                    if confirm() {
                        Confirm {
                            question: strings::CONFIRM_VILLAGE_CHECK_OUT,
                            on_yes: {
                                let services = services.clone();
                                move |_| {
                                    confirm.set(false);
                                    state.run(&services, Command::VillageCheckOut, strings::VILLAGE_CHECK_OUT);
                                }
                            },
                            on_no: move |_| confirm.set(false),
                        }
                    } else if withdrawing() {
                        Confirm {
                            question: strings::CONFIRM_WITHDRAW_VILLAGE,
                            on_yes: {
                                let services = services.clone();
                                let check_in = s.check_in;
                                move |_| {
                                    withdrawing.set(false);
                                    state.act(&services, |sv| sv.withdraw_village_check_in(check_in), strings::RETRACTED);
                                }
                            },
                            on_no: move |_| withdrawing.set(false),
                        }
                    } else {
                        div { class: "row actions",
                            button {
                                class: "secondary",
                                onclick: move |_| confirm.set(true),
                                "{strings::VILLAGE_CHECK_OUT}"
                            }
                            button {
                                class: "secondary",
                                onclick: move |_| withdrawing.set(true),
                                "{strings::WITHDRAW_VILLAGE_CHECK_IN}"
                            }
                        }
                    }
                } else {
                    button {
                        disabled: !on_duty,
                        onclick: move |_| {
        state.run(&s2, Command::VillageCheckIn { village_id: id }, strings::VILLAGE_CHECK_IN);
    },
                        "{strings::VILLAGE_CHECK_IN}"
                    }
                }
            }
        }
}

#[component]
fn VisitCard() -> Element {
    let state = use_app_state();
    let open = use_memo(move || state.here.read().capture.visit.is_some());
    rsx! {
        if open() { OpenVisit {} } else { DueHouseholds {} }
    }
}

#[component]
fn OpenVisit() -> Element {
    let state = use_app_state();
    let services = use_services();
    let here = state.here.read();
    let visit = here.capture.visit.clone();
    // The text typed so far, kept by the services: it outlives this screen while the visit is
    // open, and 入户签退 saves it.
    let mut note = use_signal(|| {
        visit
            .as_ref()
            .map(|v| services.note_draft(v.check_in))
            .unwrap_or_default()
    });
    let mut confirm_out = use_signal(|| false);
    let Some(visit) = visit else {
        return rsx! {};
    };
    let simulated = here.location_simulated;
    let outlook = here
        .visit_outlook
        .clone()
        .filter(|o| o.check_in == visit.check_in);
    drop(here);
    let name = state
        .place
        .read()
        .household_name(visit.household_id)
        .unwrap_or_default()
        .to_string();
    let fix_text = match visit.accuracy_m {
        Some(a) => strings::accuracy(a),
        None => strings::FIX_PENDING.to_string(),
    };
    let (s1, s2, s3, s4) = (
        services.clone(),
        services.clone(),
        services.clone(),
        services.clone(),
    );
    let check_in = visit.check_in;
    let check_out_question = strings::confirm_check_out(
        outlook
            .as_ref()
            .and_then(|o| o.if_checked_out_now.as_deref())
            .unwrap_or(&[]),
    );
    rsx! {
        div { class: "card visit",
            h2 { "{strings::VISITING}：{name}" span { class: "pill open", "{hm(visit.since)}" } }
            div { class: "row",
                span { class: "muted fix", "{fix_text}" }
                span { "{strings::PHOTOS} {visit.photos}" }
            }
            if let Some(o) = &outlook {
                div { class: "row outlook",
                    VisitAnswer { text: strings::outlook(&o.shortfalls), counts: o.shortfalls.is_empty(), from_server: false }
                }
                if let Some(now) = &o.if_checked_out_now {
                    div { class: "row outlook-now",
                        span { class: "muted", "{strings::IF_CHECKED_OUT_NOW}：{strings::outlook(now)}" }
                    }
                }
            }
            for n in visit.notes.iter() {
                div { class: "row", span { class: "muted", "{n}" } }
            }
            div { class: "row",
                CameraButton { attached_to: None }
                if simulated {
                    button {
                        class: "secondary small",
                        onclick: move |_| {
                            let shot = SimulatedCamera { width: 1600, height: 1200, seed: visit.photos }.shoot();
                            let notice = match s3.photo_target(None).and_then(|t| s3.photo(t, &shot)) {
                                Ok(()) => Notice::Saved(strings::PHOTOS.to_string()),
                                Err(e) => Notice::error(&e),
                            };
                            state.refresh(&s3, Some(notice));
                        },
                        "{strings::SIMULATED_PHOTO}"
                    }
                }
            }
            textarea {
                placeholder: "{strings::NOTE_PLACEHOLDER}",
                value: "{note}",
                oninput: move |e| {
                    note.set(e.value());
                    s4.set_note_draft(check_in, e.value());
                },
            }
            div { class: "row",
                button {
                    class: "secondary",
                    onclick: move |_| {
                        if state.act(&s1, Services::save_visit_note, strings::SAVED) {
                            note.set(String::new());
                        }
                    },
                    "{strings::ADD_NOTE}"
                }
                button {
                    onclick: move |_| confirm_out.set(true),
                    "{strings::HOUSEHOLD_CHECK_OUT}"
                }
            }
            if confirm_out() {
                Confirm {
                    question: check_out_question,
                    on_yes: move |_| {
                        confirm_out.set(false);
                        if state.act(&s2, Services::check_out_visit, strings::HOUSEHOLD_CHECK_OUT) {
                            state.tell_outlook(strings::HOUSEHOLD_CHECK_OUT);
                            note.set(String::new());
                        }
                    },
                    on_no: move |_| confirm_out.set(false),
                }
            }
        }
    }
}

#[component]
fn TodayVisits() -> Element {
    let state = use_app_state();
    let services = use_services();
    let visits = state.records.read().visits_today.clone();
    // The outlook changes with the visit, not with every fix.
    let outlook = use_memo(move || state.here.read().visit_outlook.clone())();
    // The visit whose withdrawal waits for 确定.
    let mut withdrawing = use_signal(|| None::<zhucun_shared::ids::RecordId>);
    rsx! {
        div { class: "card today-visits",
            h2 { "{strings::VISITS_TODAY}" span { class: "pill", "{visits.len()}" } }
            if visits.is_empty() {
                p { class: "muted", "{strings::NO_VISITS}" }
            }
            for v in visits {
                div { class: "row visit", key: "{v.row.check_in_id}",
                    div {
                        div { "{v.household}" }
                        div { class: "muted",
                            "{hm(v.row.started_at)}"
                            if let Some(e) = v.row.ended_at { "–{hm(e)}" }
                            " · {strings::PHOTOS} {v.row.photos}"
                        }
                    }
                    VisitVerdict { visit: v.clone(), outlook: outlook.clone().filter(|o| o.check_in == v.row.check_in_id && o.checked_out) }
                    if !v.row.retracted {
                        if withdrawing() == Some(v.row.check_in_id) {
                            Confirm {
                                question: strings::CONFIRM_WITHDRAW,
                                on_yes: {
                                    let services = services.clone();
                                    let id = v.row.check_in_id;
                                    move |_| {
                                        withdrawing.set(None);
                                        state.act(&services, |s| s.withdraw_visit(id), strings::RETRACTED);
                                    }
                                },
                                on_no: move |_| withdrawing.set(None),
                            }
                        } else {
                            button {
                                class: "secondary small",
                                onclick: {
                                    let id = v.row.check_in_id;
                                    move |_| withdrawing.set(Some(id))
                                },
                                "{strings::WITHDRAW}"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether a visit counts: withdrawn, the server's answer after a sync, or else the phone's
/// own estimate for the visit just checked out.
#[component]
pub fn VisitVerdict(
    visit: crate::state::VisitView,
    outlook: Option<crate::capture::VisitOutlook>,
) -> Element {
    if visit.row.retracted {
        return rsx! { span { class: "pill na", "{strings::RETRACTED}" } };
    }
    if let Some(a) = &visit.server {
        let counts = matches!(a, crate::progress::ServerAnswer::Counted);
        return rsx! { VisitAnswer { text: strings::server_answer(a), counts, from_server: true } };
    }
    match outlook {
        Some(o) => rsx! {
            VisitAnswer { text: strings::outlook(&o.shortfalls), counts: o.shortfalls.is_empty(), from_server: false }
        },
        None => rsx! {},
    }
}
