//! The screens rendered without a window: a `VirtualDom` per screen, real services over an
//! in-memory store with the demo village, and the state driven through its signal.

use chrono::{DateTime, Duration, Utc};
use dioxus::dioxus_core::{ElementId, Mutation};
use dioxus::history::{History, MemoryHistory};
use dioxus::prelude::*;
use std::rc::Rc;
use std::sync::Arc;
use zhucun_mobile::capture::{Command, ReportDraft};
use zhucun_mobile::demo;
use zhucun_mobile::pages;
use zhucun_mobile::platform::clock::ManualClock;
use zhucun_mobile::platform::location::LocationEvent;
use zhucun_mobile::state::{AppState, Services};
use zhucun_mobile::store::{AttachedFile, Identity};
use zhucun_mobile::sync::{Api, SyncConfig, SyncEngine};
use zhucun_mobile::{Route, Store};
use zhucun_shared::ids::DeviceId;
use zhucun_shared::period::{Period, PeriodKind};
use zhucun_shared::record::{Fix, FixProvider, ReportKind};

fn now() -> DateTime<Utc> {
    "2026-11-16T02:00:00Z".parse().unwrap()
}

fn services() -> (Services, Arc<ManualClock>) {
    services_with(|_| {})
}

/// The demo cadre's phone, with the demo pull changed by `change` (another role, say).
fn services_with(
    change: impl FnOnce(&mut zhucun_shared::sync::PullResponse),
) -> (Services, Arc<ManualClock>) {
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
    let mut pull = demo::pull(now());
    change(&mut pull);
    store.save_pull(&pull).unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let s = Services::new(store, clock.clone(), None, true).unwrap();
    s.set_team(demo::team(now()));
    (s, clock)
}

struct Screen {
    dom: VirtualDom,
    state: AppState,
    services: Services,
    /// The event listeners of the first render, in the order the elements were created
    /// (document order): how a test finds the textarea to type in and the button to press.
    listeners: Vec<(String, ElementId)>,
}

impl Screen {
    fn new(root: fn() -> Element, services: Services) -> Screen {
        Screen::with(root, services, |_| {})
    }

    /// A screen whose root finds more in context (given by `provide`, in the root scope).
    fn with(
        root: fn() -> Element,
        services: Services,
        provide: impl FnOnce(&VirtualDom),
    ) -> Screen {
        let mut dom = VirtualDom::new(root);
        dom.provide_root_context(services.clone());
        let parts = services.parts().unwrap();
        let state = dom.in_runtime(|| AppState::new_in_scope(parts, ScopeId::ROOT));
        dom.provide_root_context(state);
        provide(&dom);
        let listeners = dom
            .rebuild_to_vec()
            .edits
            .into_iter()
            .filter_map(|m| match m {
                Mutation::NewEventListener { name, id } => Some((name, id)),
                _ => None,
            })
            .collect();
        Screen {
            dom,
            state,
            services,
            listeners,
        }
    }

    /// The elements listening for `name`, in document order, from the first after `after`.
    fn listening(&self, name: &str, after: Option<ElementId>) -> Vec<ElementId> {
        let start = after.map_or(0, |a| {
            self.listeners.iter().position(|(_, id)| *id == a).unwrap() + 1
        });
        self.listeners[start..]
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .collect()
    }

    fn fire(&mut self, name: &str, id: ElementId, data: Box<dyn std::any::Any>) {
        dioxus::html::set_event_converter(Box::new(events::Converter));
        let event = Event::new(
            Rc::new(dioxus::html::PlatformEventData::new(data)) as Rc<dyn std::any::Any>,
            true,
        );
        self.dom
            .in_runtime(|| self.dom.runtime().handle_event(name, event, id));
        // Elements the event brought up (a confirmation, say) listen too, after the others.
        let new = self.dom.render_immediate_to_vec().edits.into_iter();
        self.listeners.extend(new.filter_map(|m| match m {
            Mutation::NewEventListener { name, id } => Some((name, id)),
            _ => None,
        }));
    }

    /// Types `text` into a textarea or input, as the webview reports it.
    fn type_in(&mut self, id: ElementId, text: &str) {
        self.fire("input", id, Box::new(events::Typed(text.to_string())));
    }

    fn press(&mut self, id: ElementId) {
        self.fire("click", id, Box::new(events::Pressed));
    }

    /// The whole app at `path`, with the router.
    fn at(path: &str, services: Services) -> Screen {
        fn routed() -> Element {
            rsx! { Router::<Route> {} }
        }
        let mut dom = VirtualDom::new(routed);
        let history: Rc<dyn History> = Rc::new(MemoryHistory::with_initial_path(path));
        dom.provide_root_context(history);
        dom.provide_root_context(services.clone());
        let parts = services.parts().unwrap();
        let state = dom.in_runtime(|| AppState::new_in_scope(parts, ScopeId::ROOT));
        dom.provide_root_context(state);
        dom.rebuild_in_place();
        Screen {
            dom,
            state,
            services,
            listeners: Vec::new(),
        }
    }

    fn html(&mut self) -> String {
        self.dom.render_immediate_to_vec();
        dioxus_ssr::render(&self.dom)
    }

    /// Runs a command as a button would, and refreshes the state.
    fn act(&mut self, cmd: Command) {
        let (state, services) = (self.state, self.services.clone());
        self.dom.in_runtime(|| {
            assert!(state.run(&services, cmd, "ok"));
        });
    }

    fn fix(&mut self, lat: f64, lon: f64, accuracy_m: f64) {
        self.take_fix(lat, lon, accuracy_m, FixProvider::Simulated);
    }

    /// A fix from `provider` here and now; a simulated one is marked mock, as the replayed
    /// route's are.
    fn take_fix(&mut self, lat: f64, lon: f64, accuracy_m: f64, provider: FixProvider) {
        let (state, services) = (self.state, self.services.clone());
        let fix = Fix {
            lat,
            lon,
            accuracy_m,
            time: services.now(),
            monotonic_ms: None,
            provider,
            mock: provider == FixProvider::Simulated,
        };
        services.location(LocationEvent::Fix(fix)).unwrap();
        self.dom.in_runtime(|| state.refresh_after_fix(&services));
    }
}

/// Events as a webview would send them: text typed, a button pressed. Only these two kinds
/// are sent by the tests.
mod events {
    use dioxus::html::geometry::{ClientPoint, ElementPoint, PagePoint, ScreenPoint};
    use dioxus::html::input_data::{MouseButton, MouseButtonSet};
    use dioxus::html::point_interaction::{
        InteractionElementOffset, InteractionLocation, ModifiersInteraction, PointerInteraction,
    };
    use dioxus::html::*;

    pub struct Typed(pub String);
    pub struct Pressed;

    impl HasFileData for Typed {
        fn files(&self) -> Vec<FileData> {
            Vec::new()
        }
    }

    impl HasFormData for Typed {
        fn value(&self) -> String {
            self.0.clone()
        }
        fn valid(&self) -> bool {
            true
        }
        fn values(&self) -> Vec<(String, FormValue)> {
            Vec::new()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    impl InteractionLocation for Pressed {
        fn client_coordinates(&self) -> ClientPoint {
            ClientPoint::new(0.0, 0.0)
        }
        fn screen_coordinates(&self) -> ScreenPoint {
            ScreenPoint::new(0.0, 0.0)
        }
        fn page_coordinates(&self) -> PagePoint {
            PagePoint::new(0.0, 0.0)
        }
    }

    impl InteractionElementOffset for Pressed {
        fn element_coordinates(&self) -> ElementPoint {
            ElementPoint::new(0.0, 0.0)
        }
    }

    impl ModifiersInteraction for Pressed {
        fn modifiers(&self) -> Modifiers {
            Modifiers::empty()
        }
    }

    impl PointerInteraction for Pressed {
        fn trigger_button(&self) -> Option<MouseButton> {
            Some(MouseButton::Primary)
        }
        fn held_buttons(&self) -> MouseButtonSet {
            MouseButtonSet::default()
        }
    }

    impl HasMouseData for Pressed {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    /// Turns the tests' events into the screens' event data.
    pub struct Converter;

    macro_rules! not_sent {
        ($($f:ident -> $t:ty),* $(,)?) => {
            $(fn $f(&self, _: &PlatformEventData) -> $t {
                unreachable!("the tests send no {}", stringify!($t))
            })*
        };
    }

    impl HtmlEventConverter for Converter {
        fn convert_form_data(&self, e: &PlatformEventData) -> FormData {
            let typed = e.downcast::<Typed>().expect("typed text");
            FormData::new(Typed(typed.0.clone()))
        }
        fn convert_mouse_data(&self, e: &PlatformEventData) -> MouseData {
            e.downcast::<Pressed>().expect("a press");
            MouseData::new(Pressed)
        }
        not_sent! {
            convert_animation_data -> AnimationData,
            convert_cancel_data -> CancelData,
            convert_clipboard_data -> ClipboardData,
            convert_composition_data -> CompositionData,
            convert_drag_data -> DragData,
            convert_focus_data -> FocusData,
            convert_image_data -> ImageData,
            convert_keyboard_data -> KeyboardData,
            convert_media_data -> MediaData,
            convert_mounted_data -> MountedData,
            convert_pointer_data -> PointerData,
            convert_resize_data -> ResizeData,
            convert_scroll_data -> ScrollData,
            convert_selection_data -> SelectionData,
            convert_toggle_data -> ToggleData,
            convert_touch_data -> TouchData,
            convert_transition_data -> TransitionData,
            convert_visible_data -> VisibleData,
            convert_wheel_data -> WheelData,
        }
    }
}

#[test]
fn today_off_duty_offers_to_start_and_lists_the_village_households() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s);
    let html = screen.html();
    assert!(html.contains("未值守"), "{html}");
    assert!(html.contains("开始值守"));
    assert!(html.contains("仅在值守期间记录轨迹"));
    assert!(html.contains("青山村"));
    // The short list of this month's required households, and the way to all of them.
    assert!(html.contains("本月必访未访"), "{html}");
    assert_eq!(
        html.matches("class=\"row household\"").count(),
        zhucun_mobile::components::SHORT_LIST
    );
    assert!(html.contains("全部农户（12 户）"), "{html}");
    assert!(html.contains("暂无走访"));
    assert!(html.contains("尚未同步"));
}

#[test]
fn households_are_listed_nearest_first_once_there_is_a_fix() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s);
    // Paired with me, so required this month: on the short list, nearest first.
    let target = demo::households()[2].clone();
    screen.fix(target.location.lat, target.location.lon, 8.0);
    let html = screen.html();
    let first_row = html.find("class=\"row household\"").unwrap();
    let name_at = html.find(&target.head_name).unwrap();
    let second_row = html[first_row + 1..]
        .find("class=\"row household\"")
        .unwrap()
        + first_row
        + 1;
    assert!(name_at > first_row && name_at < second_row, "{html}");
    assert!(html.contains("精度 8 米"));
}

#[test]
fn a_visit_shows_pending_fix_then_its_accuracy() {
    let (s, clock) = services();
    let mut screen = Screen::new(pages::Today, s);
    screen.act(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    let hh = demo::households()[0].clone();
    screen.act(Command::HouseholdCheckIn {
        household_id: hh.id,
        event: None,
    });
    let html = screen.html();
    assert!(html.contains("值守中"));
    assert!(
        html.contains(&format!("正在走访：{}", hh.head_name)),
        "{html}"
    );
    assert!(html.contains("定位待补"));
    // 拍照 opens the in-app camera: no file input, which does nothing in a phone's webview.
    assert!(html.contains("camera-button"), "{html}");
    assert!(!html.contains("type=\"file\""), "{html}");
    clock.advance(Duration::seconds(30));
    screen.fix(hh.location.lat, hh.location.lon, 11.0);
    let html = screen.html();
    assert!(!html.contains("定位待补"), "{html}");
    assert!(html.contains("精度 11 米"));
    clock.advance(Duration::minutes(6));
    screen.act(Command::HouseholdCheckOut);
    let html = screen.html();
    assert!(html.contains("今日走访"));
    assert!(html.contains(&hh.head_name));
    assert!(html.contains("本月必访未访"));
}

#[test]
fn the_pending_queue_follows_the_state_signal() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s);
    // Nothing captured yet: nothing waits.
    let before = screen.html();
    assert!(before.contains("<b>0</b>"), "{before}");
    assert!(!before.contains("<b>17</b>"));
    let mut sync = screen.state.sync;
    screen.dom.in_runtime(|| {
        let mut sync = sync.write();
        sync.queue.pending_records = 17;
        sync.queue.pending_photos = 3;
        sync.queue.pending_photo_bytes = 600 * 1024;
        sync.queue.last_error = Some("网络不可用".into());
    });
    let html = screen.html();
    assert!(html.contains("<b>17</b>"), "{html}");
    assert!(html.contains("<b>3</b>"));
    assert!(html.contains("(600 KB)"));
    assert!(html.contains("网络不可用"));
}

#[test]
fn progress_shows_the_server_verdict_next_to_the_provisional_estimate() {
    let (s, _) = services();
    let mut screen = Screen::at("/progress", s);
    let html = screen.html();
    assert!(html.contains("2026年11月"), "{html}");
    assert!(html.contains("服务器结论"));
    // The server's numbers for R-212 (合格进村 3 of 6) lead its line.
    assert!(html.contains("合格进村 · 3/6"), "{html}");
    assert!(html.contains("全部规则明细"));
}

#[test]
fn history_lists_visits_by_day() {
    let (s, clock) = services();
    let mut screen = Screen::new(pages::History, s);
    assert!(screen.html().contains("暂无记录"));
    screen.act(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    let hh = demo::households()[4].clone();
    screen.act(Command::HouseholdCheckIn {
        household_id: hh.id,
        event: None,
    });
    clock.advance(Duration::minutes(8));
    screen.act(Command::Note {
        attached_to: None,
        text: "孩子上学问题已联系学校".into(),
    });
    screen.act(Command::HouseholdCheckOut);
    let html = screen.html();
    assert!(html.contains(&hh.head_name), "{html}");
    assert!(html.contains("已签退"));
    assert!(html.contains("孩子上学问题已联系学校"));
    assert!(html.contains("无定位"));
}

#[test]
fn the_team_leader_sees_the_team_and_a_members_trajectory() {
    let (s, _) = services();
    let mut screen = Screen::at("/team", s.clone());
    let html = screen.html();
    assert!(html.contains("队员情况"), "{html}");
    assert!(html.contains("吴海燕"));
    assert!(html.contains("在村工作日 9/14"));
    // The team tab is there for a team leader.
    assert!(html.contains("工作队"));
    let member = format!("/team/{}", demo::TEAMMATE);
    let mut screen = Screen::at(&member, s);
    let html = screen.html();
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("class=\"boundary\""));
    // The lost signal leaves two segments, drawn apart, and the gap is said.
    assert_eq!(html.matches("class=\"track\"").count(), 2);
    assert!(html.contains("轨迹中断 1"));
    // Each segment's start and end say their time (and the track every half hour between),
    // and a scale bar gives the distances.
    assert!(html.matches("class=\"track-time\"").count() > 4, "{html}");
    assert!(html.contains("class=\"scale-bar\""));
    assert!(
        html.contains(" 米</text>") || html.contains(" 公里</text>"),
        "{html}"
    );
    assert_eq!(
        html.matches("class=\"household\"").count(),
        demo::households().len()
    );
}

#[test]
fn the_work_log_offers_the_kinds_the_deadline_rules_count() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Work, s);
    let html = screen.html();
    for label in [
        "每周工作录入",
        "共同组织生活",
        "联席会议",
        "集体帮扶活动",
        "实用技术培训",
        "调研文章",
        "信息反馈",
    ] {
        assert!(html.contains(label), "{label}");
    }
    for label in ["困难需求", "突发事件", "矛盾纠纷", "喜事丧事"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains("2026年第47周"));
    // A report (the first kind) takes files besides its text.
    assert!(html.contains("添加附件"), "{html}");
    assert!(html.contains(r#"accept=".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,image/*""#));
}

#[test]
fn a_saved_report_lists_how_many_files_it_carries() {
    let (s, _) = services();
    let today = zhucun_shared::period::local_date(now());
    s.command(Command::Report(ReportDraft {
        kind: ReportKind::MonthlyReport,
        village_id: Some(demo::VILLAGE),
        period: Period::containing(PeriodKind::Month, today).unwrap(),
        title: "十一月驻村工作月报".into(),
        text: "见附件".into(),
        attachments: vec![AttachedFile {
            name: "月报.pdf".into(),
            data: b"%PDF-1.7\n%%EOF\n".to_vec(),
        }],
    }))
    .unwrap();
    let mut screen = Screen::new(pages::Work, s);
    let html = screen.html();
    assert!(html.contains("十一月驻村工作月报"), "{html}");
    assert!(html.contains("附件 1"), "{html}");
}

#[test]
fn the_spot_check_queue_is_for_supervisors() {
    let (s, _) = services();
    let mut screen = Screen::at("/spot-checks", s);
    let html = screen.html();
    assert!(html.contains("仅督查人员可查看"), "{html}");
}

#[test]
fn a_supervisor_works_through_the_queue_and_sees_a_finding_at_once() {
    use zhucun_shared::ids::{AssignmentId, RecordId};
    use zhucun_shared::spot_check::{Finding, SpotCheckItem, SpotCheckQueue, SpotCheckReason};
    use zhucun_shared::verdict::{EvidenceKind, FlagKind};
    let (s, _) = services_with(|pull| {
        pull.org.assignments.push(zhucun_shared::org::Assignment {
            id: AssignmentId::new(),
            person_id: demo::ME,
            role: zhucun_shared::role::Role::Supervisor,
            village_id: None,
            township_id: demo::TOWNSHIP,
            starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
        })
    });
    let (open, done) = (RecordId::new(), RecordId::new());
    s.set_spot_checks(SpotCheckQueue {
        period: Period::month(2026, 11),
        items: vec![
            SpotCheckItem {
                person_id: demo::TEAMMATE,
                person_name: "吴海燕".into(),
                reason: SpotCheckReason::Flag(FlagKind::MockLocation),
                records: vec![open],
                detail: "11-16 09:12 模拟定位".into(),
                finding: None,
            },
            SpotCheckItem {
                person_id: demo::TEAMMATE,
                person_name: "吴海燕".into(),
                reason: SpotCheckReason::Sample(EvidenceKind::HouseholdVisit),
                records: vec![done],
                detail: "王大山 11-10 10:00".into(),
                finding: Some(Finding {
                    record_id: RecordId::new(),
                    attached_to: done,
                    by: demo::ME,
                    at: now(),
                    text: "入户核实属实".into(),
                    outcome: Some(zhucun_shared::record::FindingOutcome::ConfirmedOnSite),
                    fix: None,
                    decision: None,
                }),
            },
        ],
    });
    let mut screen = Screen::new(pages::SpotChecks, s);
    let html = screen.html();
    for want in [
        "2026年11月",
        "待核查 1",
        "模拟定位",
        "吴海燕",
        "记录核查结果",
        "随机抽查",
        "已核查（现场核实属实）：入户核实属实",
        // One button per outcome.
        "现场核实属实",
        "电话核实属实",
        "核查不属实",
        "标记解除",
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }
    screen.act(Command::Finding {
        attached_to: open,
        outcome: zhucun_shared::record::FindingOutcome::NotConfirmed,
        text: "电话核实：定位软件未关闭".into(),
    });
    let html = screen.html();
    assert!(
        html.contains("已记录，待同步：核查不属实：电话核实：定位软件未关闭"),
        "{html}"
    );
    assert!(!html.contains("记录核查结果"), "{html}");
}

#[test]
fn a_phone_not_enrolled_shows_only_the_sign_in() {
    let store = Store::in_memory().unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let s = Services::new(store, clock, None, true).unwrap();
    let mut screen = Screen::at("/", s);
    let html = screen.html();
    assert!(html.contains("登录驻村"), "{html}");
    for label in ["服务器地址", "用户名", "密码"] {
        assert!(html.contains(label), "{label}: {html}");
    }
    assert!(html.contains("type=\"password\""), "{html}");
    // No capture screen behind it: nothing could be recorded yet.
    assert!(!html.contains("开始值守"), "{html}");
}

#[test]
fn an_expired_session_asks_to_sign_in_above_the_screens() {
    let (s, _) = services();
    s.store().lock().unwrap().set_session_expired().unwrap();
    s.store()
        .lock()
        .unwrap()
        .set_meta("server_url", "https://zhucun.example.cn")
        .unwrap();
    let mut screen = Screen::at("/", s);
    let html = screen.html();
    assert!(html.contains("登录已过期"), "{html}");
    assert!(html.contains("https://zhucun.example.cn"), "{html}");
    // Capture goes on meanwhile.
    assert!(html.contains("开始值守"), "{html}");
}

#[test]
fn a_photo_goes_to_the_visit_open_when_it_was_taken() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s.clone());
    screen.act(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    let household = demo::households()[0].id;
    screen.act(Command::HouseholdCheckIn {
        household_id: household,
        event: None,
    });
    let visit = screen.services.parts().unwrap().here.capture.visit.unwrap();
    // The camera returns; the slow re-encode has not run when the cadre checks out.
    let target = s.photo_target(None).unwrap();
    screen.act(Command::HouseholdCheckOut);
    let shot = zhucun_mobile::platform::photo::SimulatedCamera {
        width: 800,
        height: 600,
        seed: 1,
    }
    .shoot();
    s.photo(target, &shot).unwrap();
    let records = s.store().lock().unwrap().all_records().unwrap();
    let attached = records.iter().find_map(|r| match &r.body {
        zhucun_shared::record::RecordBody::Photo { attached_to, .. } => Some(*attached_to),
        _ => None,
    });
    assert_eq!(attached, Some(visit.check_in));
}

#[test]
fn a_photo_saved_from_the_camera_carries_the_watermark_in_its_pixels() {
    let (s, _) = a_visit_under_way();
    let shot = zhucun_mobile::platform::photo::SimulatedCamera {
        width: 1600,
        height: 1200,
        seed: 4,
    }
    .shoot();
    let target = s.photo_target(None).unwrap();
    // The watermark names the visit being made, by the cadre signed in.
    let text = target.watermark.text();
    let hh = demo::households()[2].clone();
    assert!(text.contains(&format!("{}户", hh.head_name)), "{text}");
    assert!(text.starts_with("2026-11-16 10:09"), "{text}");
    s.photo(target, &shot).unwrap();
    let sha = s.store().lock().unwrap().pending_photos().unwrap()[0]
        .sha256
        .clone();
    let saved = s.store().lock().unwrap().photo_data(&sha).unwrap().unwrap();
    let plain = zhucun_mobile::platform::photo::reencode(
        &shot,
        &zhucun_mobile::platform::photo::PhotoPolicy::default(),
    )
    .unwrap();
    let (a, b) = (
        image::load_from_memory(&plain.data).unwrap().to_luma8(),
        image::load_from_memory(&saved).unwrap().to_luma8(),
    );
    assert_eq!(a.dimensions(), b.dimensions());
    let mean = |img: &image::GrayImage, rows: std::ops::Range<u32>| {
        let n = (rows.end - rows.start) * img.width();
        rows.flat_map(|y| (0..img.width()).map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x, y).0[0] as u64)
            .sum::<u64>() as f64
            / n as f64
    };
    // The bottom rows are a darkened band; the top of the photo is the photo.
    assert!((mean(&a, 0..100) - mean(&b, 0..100)).abs() < 2.0);
    assert!(mean(&b, 940..960) < mean(&a, 940..960) - 20.0);
}

#[test]
fn records_and_photos_the_server_refused_are_shown_as_not_uploaded() {
    let (s, _) = services();
    let rec = s
        .store()
        .lock()
        .unwrap()
        .append(
            now(),
            zhucun_shared::record::RecordBody::DutyStart { village_id: None },
        )
        .unwrap();
    s.store()
        .lock()
        .unwrap()
        .quarantine(rec.seq, "时间不合理（records[0].captured_at）", now())
        .unwrap();
    let mut screen = Screen::new(zhucun_mobile::components::SyncCard, s.clone());
    let html = screen.html();
    assert!(html.contains("未能上传"), "{html}");
    assert!(html.contains("开始值守：时间不合理"), "{html}");
    assert!(!html.contains("duty_start"), "{html}");
    assert!(html.contains("重新上传"), "{html}");
    // Retried, it is pending again and no longer shown as refused.
    assert_eq!(s.retry_set_aside().unwrap(), 1);
    let q = s.store().lock().unwrap().queue_state().unwrap();
    assert_eq!((q.pending_records, q.set_aside.len()), (1, 0));
}

/// The visit under way, on 今日, with a household checked in long enough ago to check out.
fn a_visit_under_way() -> (Services, zhucun_shared::org::Household) {
    let (s, clock) = services();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    let hh = demo::households()[2].clone();
    s.command(Command::HouseholdCheckIn {
        household_id: hh.id,
        event: None,
    })
    .unwrap();
    clock.advance(Duration::minutes(9));
    (s, hh)
}

#[test]
fn take_photo_opens_the_in_app_camera_and_close_puts_it_away() {
    fn camera_only() -> Element {
        rsx! { zhucun_mobile::components::CameraButton { attached_to: None } }
    }
    let (s, _) = a_visit_under_way();
    let mut screen = Screen::new(camera_only, s);
    let html = screen.html();
    assert!(
        html.contains("拍照") && !html.contains("camera-sheet"),
        "{html}"
    );
    let take_photo = screen.listening("click", None)[0];
    screen.press(take_photo);
    let html = screen.html();
    assert!(html.contains("camera-sheet"), "{html}");
    assert!(
        html.contains(&format!("id=\"{}\"", zhucun_mobile::camera::VIDEO_ID)),
        "{html}"
    );
    assert!(html.contains("自动加上时间、地点和人员水印"), "{html}");
    // 关闭, the sheet's first button, puts it away (and tells the script to stop the tracks).
    let close = screen.listening("click", Some(take_photo))[0];
    screen.press(close);
    let html = screen.html();
    assert!(!html.contains("camera-sheet"), "{html}");
}

#[test]
fn a_note_typed_but_not_saved_is_kept_when_the_visit_is_checked_out() {
    let (s, hh) = a_visit_under_way();
    let visit = s.parts().unwrap().here.capture.visit.unwrap().check_in;
    let mut screen = Screen::new(pages::Today, s.clone());
    let note = screen.listening("input", None)[0];
    screen.type_in(note, "老人腿脚不便，已联系村医上门");
    assert!(screen.html().contains("老人腿脚不便"));
    // 保存走访记录, then 入户签退: the cadre presses the second without the first.
    let check_out = screen.listening("click", Some(note))[1];
    screen.press(check_out);
    // 入户签退 asks first; 确定 is the confirmation's last button.
    let yes = *screen.listening("click", Some(check_out)).last().unwrap();
    screen.press(yes);
    let here = s.parts().unwrap().here;
    assert!(here.capture.visit.is_none(), "the visit is checked out");
    let notes: Vec<_> = s
        .store()
        .lock()
        .unwrap()
        .all_records()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.body {
            zhucun_shared::record::RecordBody::Note {
                attached_to, text, ..
            } => Some((attached_to, text)),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        vec![(visit, "老人腿脚不便，已联系村医上门".to_string())]
    );
    let mut history = Screen::new(pages::History, s);
    let html = history.html();
    assert!(html.contains(&hh.head_name), "{html}");
    assert!(html.contains("老人腿脚不便，已联系村医上门"), "{html}");
}

#[test]
fn a_note_saved_with_its_button_is_not_saved_again_at_check_out() {
    let (s, _) = a_visit_under_way();
    let mut screen = Screen::new(pages::Today, s.clone());
    let note = screen.listening("input", None)[0];
    screen.type_in(note, "已核实家庭收入");
    let clicks = screen.listening("click", Some(note));
    screen.press(clicks[0]);
    screen.press(clicks[1]);
    let yes = *screen.listening("click", Some(clicks[1])).last().unwrap();
    screen.press(yes);
    let notes = s
        .store()
        .lock()
        .unwrap()
        .all_records()
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.body, zhucun_shared::record::RecordBody::Note { .. }))
        .count();
    assert_eq!(notes, 1);
    assert!(s.parts().unwrap().here.capture.visit.is_none());
}

/// The demo cadre, made a supervisor of the township.
fn supervisor() -> Services {
    services_with(|pull| {
        pull.org.assignments.push(zhucun_shared::org::Assignment {
            id: zhucun_shared::ids::AssignmentId::new(),
            person_id: demo::ME,
            role: zhucun_shared::role::Role::Supervisor,
            village_id: None,
            township_id: demo::TOWNSHIP,
            starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
        })
    })
    .0
}

#[test]
fn a_visit_the_server_lists_twice_is_one_item_and_its_finding_goes_on_it() {
    use zhucun_shared::ids::RecordId;
    use zhucun_shared::spot_check::{SpotCheckItem, SpotCheckQueue, SpotCheckReason};
    use zhucun_shared::verdict::{EvidenceKind, FlagKind};
    let s = supervisor();
    let (check_in, check_out, photo, note) = (
        RecordId::new(),
        RecordId::new(),
        RecordId::new(),
        RecordId::new(),
    );
    let flagged = RecordId::new();
    let sample = |records: Vec<RecordId>| SpotCheckItem {
        person_id: demo::TEAMMATE,
        person_name: "吴海燕".into(),
        reason: SpotCheckReason::Sample(EvidenceKind::HouseholdVisit),
        records,
        detail: "王大山 11-10 10:00".into(),
        finding: None,
    };
    // The same visit as two rules counted it: once as a visit, once with its note.
    s.set_spot_checks(SpotCheckQueue {
        period: Period::month(2026, 11),
        items: vec![
            SpotCheckItem {
                person_id: demo::TEAMMATE,
                person_name: "吴海燕".into(),
                reason: SpotCheckReason::Flag(FlagKind::MockLocation),
                records: vec![flagged],
                detail: "11-16 09:12 模拟定位".into(),
                finding: None,
            },
            sample(vec![check_in, check_out, photo]),
            sample(vec![check_in, check_out, photo, note]),
        ],
    });
    let mut screen = Screen::new(pages::SpotChecks, s.clone());
    let html = screen.html();
    assert_eq!(html.matches("随机抽查").count(), 1, "{html}");
    assert!(html.contains("待核查 2"), "{html}");
    // A fix arrives a few seconds later and the screen is drawn again.
    let (state, services) = (screen.state, s.clone());
    screen.dom.in_runtime(|| state.refresh(&services, None));
    let html = screen.html();
    assert_eq!(html.matches("记录核查结果").count(), 2, "{html}");
    // The finding typed under the sampled visit is written against that visit.
    let boxes = screen.listening("input", None);
    assert_eq!(boxes.len(), 2);
    screen.type_in(boxes[1], "入户核实，走访属实");
    // The first outcome: confirmed on site.
    let record = screen.listening("click", Some(boxes[1]))[0];
    screen.press(record);
    let notes: Vec<_> = s
        .store()
        .lock()
        .unwrap()
        .all_records()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.body {
            zhucun_shared::record::RecordBody::Note {
                attached_to, text, ..
            } => Some((attached_to, text)),
            _ => None,
        })
        .collect();
    assert_eq!(notes, vec![(check_in, "入户核实，走访属实".to_string())]);
    let html = screen.html();
    assert_eq!(
        html.matches("已记录，待同步：现场核实属实：入户核实，走访属实")
            .count(),
        1,
        "{html}"
    );
    // The flagged item is still open.
    assert_eq!(html.matches("记录核查结果").count(), 1, "{html}");
}

/// A server address where nothing answers: a loopback port just given back.
fn nobody_there() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// The demo cadre's phone, syncing with the server at `base` (one try per sync).
fn syncing_with(base: &str) -> Services {
    syncing_with_tries(base, 1)
}

/// The demo cadre's phone, syncing with the server at `base`, `tries` tries per sync.
fn syncing_with_tries(base: &str, tries: u32) -> Services {
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
    let api = Api::new(base).unwrap().with_token(Some("token".into()));
    let engine = SyncEngine::new(
        api,
        SyncConfig {
            max_attempts: tries,
            ..SyncConfig::default()
        },
    );
    let clock = Arc::new(ManualClock::new(now()));
    Services::new(store, clock, Some(engine), true).unwrap()
}

/// 今日 while `Signal<bool>` in context says so, as the router shows a tab.
fn today_while_shown() -> Element {
    let shown = use_context::<Signal<bool>>();
    rsx! {
        if shown() {
            pages::Today {}
        }
    }
}

/// Whether a message a cadre reads is Chinese: no word of English in it.
fn is_chinese(message: &str) -> bool {
    let words = message.replace("https://", "").replace("http://", "");
    !words.chars().any(|c| c.is_ascii_alphabetic()) && message.contains('请')
}

/// 今日, and the switch that shows it (as the router shows a tab).
fn today_tab(s: &Services) -> (Screen, Signal<bool>) {
    let mut shown = None;
    let screen = Screen::with(today_while_shown, s.clone(), |dom| {
        let signal = dom.in_runtime(|| Signal::new_in_scope(true, ScopeId::ROOT));
        dom.provide_root_context(signal);
        shown = Some(signal);
    });
    (screen, shown.unwrap())
}

#[test]
fn a_note_being_typed_is_still_there_after_looking_at_another_tab() {
    let (s, _) = a_visit_under_way();
    let (mut screen, mut shown) = today_tab(&s);
    let note = screen.listening("input", None)[0];
    screen.type_in(note, "家中有两名学生");
    screen.dom.in_runtime(|| shown.set(false));
    assert!(!screen.html().contains("家中有两名学生"));
    screen.dom.in_runtime(|| shown.set(true));
    let html = screen.html();
    assert!(html.contains("家中有两名学生"), "{html}");
}

#[tokio::test]
async fn a_sync_started_on_today_finishes_after_leaving_today() {
    let s = syncing_with(&nobody_there());
    let (mut screen, mut shown) = today_tab(&s);
    // 立即同步, the last button of 今日; then the cadre goes to another tab at once.
    let sync_now = *screen.listening("click", None).last().unwrap();
    screen.press(sync_now);
    assert!(screen.state.sync.peek().syncing);
    screen.dom.in_runtime(|| shown.set(false));
    screen.html();
    let state = screen.state;
    let finished = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        // No screen reads the state now, so no render marks the end: look between events.
        while state.sync.peek().syncing {
            let pause = std::time::Duration::from_millis(50);
            let _ = tokio::time::timeout(pause, screen.dom.wait_for_work()).await;
            screen.dom.render_immediate_to_vec();
        }
    })
    .await;
    assert!(
        finished.is_ok(),
        "the sync never finished: 立即同步 stays grey"
    );
    // It ran to its end: the failure is written down and said.
    let q = s.store().lock().unwrap().queue_state().unwrap();
    assert!(q.last_error.is_some());
    let notice = format!("{:?}", screen.state.notice.peek());
    assert!(notice.contains("同步失败"), "{notice}");
    // Back on 今日, 立即同步 can be pressed again.
    screen.dom.in_runtime(|| shown.set(true));
    let html = screen.html();
    let button = &html[..html.find("立即同步").unwrap()];
    let button = &button[button.rfind("<button").unwrap()..];
    assert!(!button.contains("disabled=true"), "{button}");
}

#[tokio::test]
async fn the_syncing_mark_goes_when_a_sync_is_dropped_midway() {
    // A server that takes the connection and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = syncing_with(&format!("http://{}", hung.local_addr().unwrap()));
    let mut sync = Box::pin(s.sync());
    let cut = tokio::time::timeout(std::time::Duration::from_millis(300), &mut sync).await;
    assert!(cut.is_err(), "the hung server answered");
    assert!(s.parts().unwrap().sync.syncing, "a sync is under way");
    // The screen that waited for it closed: the sync is dropped where it stood.
    drop(sync);
    assert!(!s.parts().unwrap().sync.syncing);
}

#[tokio::test]
async fn a_failed_sync_says_in_chinese_what_to_do() {
    let s = syncing_with(&nobody_there());
    let message = match s.sync().await {
        Some(Err(e)) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(is_chinese(&message), "{message}");
    let q = s.store().lock().unwrap().queue_state().unwrap();
    let stored = q.last_error.unwrap();
    assert!(is_chinese(&stored), "{stored}");
}

#[tokio::test]
async fn signing_in_at_a_wrong_address_says_in_chinese_what_to_do() {
    let store = Store::in_memory().unwrap();
    let s = Services::new(store, Arc::new(ManualClock::new(now())), None, true).unwrap();
    for url in ["zhucun.example.cn", nobody_there().as_str()] {
        let message = s
            .sign_in(url, "yang", "zhucun2026")
            .await
            .unwrap_err()
            .to_string();
        assert!(is_chinese(&message), "{url}: {message}");
    }
}

#[test]
fn the_header_says_all_uploaded_only_after_a_sync_went_through() {
    let (s, _) = services();
    let badge = |s: &Services| {
        let mut screen = Screen::at("/progress", s.clone());
        let html = screen.html();
        let at = html.find("class=\"who\"").unwrap();
        let end = at + html[at..].find("</span></span>").unwrap();
        html[at..end].to_string()
    };
    // Nothing waits, but nothing ever went up either.
    let html = badge(&s);
    assert!(html.contains("尚未同步"), "{html}");
    assert!(!html.contains("已全部上传"), "{html}");
    // A sync failed: not "all uploaded".
    let failed = "无法连接服务器，请检查手机网络";
    s.store().lock().unwrap().set_sync_error(failed).unwrap();
    let html = badge(&s);
    assert!(html.contains("同步失败"), "{html}");
    assert!(!html.contains("已全部上传"), "{html}");
    // A sync under way is said as such.
    let guard = s.begin_sync().unwrap();
    assert!(badge(&s).contains("同步中"));
    drop(guard);
    s.store().lock().unwrap().set_sync_success(now()).unwrap();
    assert!(badge(&s).contains("已全部上传"));
}

#[tokio::test]
async fn signing_in_where_no_server_answers_says_in_chinese_what_to_do() {
    let store = Store::in_memory().unwrap();
    let s = Services::new(store, Arc::new(ManualClock::new(now())), None, true).unwrap();
    let mut screen = Screen::new(pages::SignIn, s);
    let fields = screen.listening("input", None);
    assert_eq!(fields.len(), 3, "server, username, password");
    screen.type_in(fields[0], &nobody_there());
    screen.type_in(fields[1], "yang");
    screen.type_in(fields[2], "zhucun2026");
    let sign_in = screen.listening("click", Some(fields[2]))[0];
    screen.press(sign_in);
    let said = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let html = screen.html();
            if html.contains("登录失败") {
                return html;
            }
            let pause = std::time::Duration::from_millis(50);
            let _ = tokio::time::timeout(pause, screen.dom.wait_for_work()).await;
        }
    })
    .await
    .expect("the sign-in never ended");
    let at = said.find("登录失败").unwrap();
    let message = &said[at..at + said[at..].find('<').unwrap()];
    assert!(is_chinese(message), "{message}");
    assert!(message.contains("无法连接服务器"), "{message}");
}

/// The notice the last action left (the app shows it above the screen).
fn notice(screen: &Screen) -> String {
    match screen.state.notice.peek().clone() {
        Some(zhucun_mobile::state::Notice::Saved(t) | zhucun_mobile::state::Notice::Error(t)) => t,
        None => String::new(),
    }
}

/// A fix from the phone's own receiver (the other tests' fixes are marked mock).
fn gps_fix(screen: &mut Screen, (lat, lon): (f64, f64), accuracy_m: f64) {
    screen.take_fix(lat, lon, accuracy_m, FixProvider::Gps);
}

/// A fix `north_m` metres north of `at`.
fn north_of(at: zhucun_shared::org::LatLon, north_m: f64) -> (f64, f64) {
    (
        at.lat + north_m / zhucun_shared::geometry::METRES_PER_DEGREE_LAT,
        at.lon,
    )
}

#[test]
fn a_check_in_far_from_the_household_says_at_once_why_the_visit_will_not_count() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s);
    screen.act(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    let hh = demo::households()[0].clone();
    gps_fix(&mut screen, north_of(hh.location, 598_000.0), 10.0);
    screen.act(Command::HouseholdCheckIn {
        household_id: hh.id,
        event: None,
    });
    let said = notice(&screen);
    assert!(said.contains("不计入"), "{said}");
    assert!(said.contains("距农户 598.0 公里，超出 60 米"), "{said}");
    assert!(said.contains("未进村签到"), "{said}");
    let html = screen.html();
    assert!(html.contains("距农户 598.0 公里，超出 60 米"), "{html}");
}

/// A visit at the household inside the village from its check-in, left after `minutes`,
/// with a photo or not.
fn visit_for(minutes: i64, photo: bool) -> (Screen, Arc<ManualClock>) {
    let (mut screen, clock) = visit_open(minutes, photo);
    screen.act(Command::HouseholdCheckOut);
    (screen, clock)
}

/// As [`visit_for`], the visit still open after `minutes`.
fn visit_open(minutes: i64, photo: bool) -> (Screen, Arc<ManualClock>) {
    let (s, clock) = services();
    let mut screen = Screen::new(pages::Today, s.clone());
    screen.act(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    });
    screen.act(Command::VillageCheckIn {
        village_id: demo::VILLAGE,
    });
    let hh = demo::households()[0].clone();
    gps_fix(&mut screen, (hh.location.lat, hh.location.lon), 8.0);
    screen.act(Command::HouseholdCheckIn {
        household_id: hh.id,
        event: None,
    });
    assert!(notice(&screen).contains("将计入"), "{}", notice(&screen));
    clock.advance(Duration::seconds(30));
    if photo {
        let shot = zhucun_mobile::platform::photo::SimulatedCamera {
            width: 640,
            height: 480,
            seed: 1,
        }
        .shoot();
        s.photo(s.photo_target(None).unwrap(), &shot).unwrap();
    }
    screen.act(Command::Note {
        attached_to: None,
        text: "了解家庭收入情况".into(),
    });
    clock.advance(Duration::seconds(minutes * 60 - 30));
    (screen, clock)
}

#[test]
fn leaving_after_one_minute_says_it_is_short_of_five() {
    let (mut screen, _) = visit_for(1, true);
    let said = notice(&screen);
    assert!(said.contains("不计入：走访 1 分钟，不足 5 分钟"), "{said}");
    assert!(!said.contains("照片"), "{said}");
    let html = screen.html();
    assert!(html.contains("走访 1 分钟，不足 5 分钟"), "{html}");
    let (screen, _) = visit_for(6, true);
    assert!(notice(&screen).contains("将计入"), "{}", notice(&screen));
    let (screen, _) = visit_for(6, false);
    assert!(
        notice(&screen).contains("不计入：走访期间无照片"),
        "{}",
        notice(&screen)
    );
}

/// Whether the phone's own estimate of this month counts the visit as a household visit.
fn counted_on_progress(s: &Services, check_in: zhucun_shared::ids::RecordId) -> bool {
    let progress = s.parts().unwrap().progress.progress.unwrap();
    progress
        .rows
        .iter()
        .filter_map(|r| r.local.as_ref())
        .flat_map(|v| v.parts.iter())
        .flat_map(|p| p.evidence.iter())
        .any(|e| {
            e.kind == zhucun_shared::verdict::EvidenceKind::HouseholdVisit
                && e.records.contains(&check_in)
        })
}

#[test]
fn a_withdrawn_visit_shows_as_withdrawn_and_does_not_count() {
    let (screen, _) = visit_for(6, true);
    let s = screen.services.clone();
    let visit = s.parts().unwrap().records.visits_today[0].row.check_in_id;
    assert!(counted_on_progress(&s, visit));
    // A fresh screen lists the visit with its 撤回 button (the last press is 立即同步).
    let mut screen = Screen::new(pages::Today, s.clone());
    let clicks = screen.listening("click", None);
    let withdraw = clicks[clicks.len() - 2];
    screen.press(withdraw);
    let html = screen.html();
    assert!(html.contains("撤回本次走访？"), "{html}");
    assert!(
        counted_on_progress(&s, visit),
        "nothing withdrawn before 确定"
    );
    let yes = *screen.listening("click", Some(withdraw)).last().unwrap();
    screen.press(yes);
    let html = screen.html();
    assert!(html.contains("已撤回"), "{html}");
    assert!(!html.contains("撤回本次走访？"), "{html}");
    assert!(!counted_on_progress(&s, visit));
    let retractions = s
        .store()
        .lock()
        .unwrap()
        .all_records()
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.body, zhucun_shared::record::RecordBody::Retraction { .. }))
        .count();
    assert_eq!(retractions, 1, "the withdrawal is a record in the log");
    let mut history = Screen::new(pages::History, s);
    assert!(history.html().contains("已撤回"));
}

#[test]
fn ending_duty_asks_first() {
    let (s, _) = services();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    let mut screen = Screen::new(pages::Today, s.clone());
    // The first button is the sync line's 立即同步; then the duty card's 结束值守.
    let end = screen.listening("click", None)[1];
    screen.press(end);
    assert!(screen.html().contains("结束值守？"));
    assert!(s.parts().unwrap().here.capture.duty.is_some());
    let cancel = screen
        .listening("click", Some(end))
        .into_iter()
        .rev()
        .nth(1)
        .unwrap();
    screen.press(cancel);
    assert!(!screen.html().contains("结束值守？"));
    assert!(s.parts().unwrap().here.capture.duty.is_some());
}

#[test]
fn after_a_sync_each_visit_shows_the_servers_answer() {
    let (screen, _) = visit_for(6, true);
    let (counted, short) = {
        let v = screen.services.parts().unwrap().records.visits_today;
        (v[0].row.check_in_id, v[0].row.check_in_id)
    };
    let _ = short;
    let s = screen.services.clone();
    let me = demo::ME;
    let mut pull = demo::pull(now());
    let report = pull
        .verdicts
        .iter_mut()
        .find(|r| r.person_id == me)
        .expect("the demo pull has my verdicts");
    report.evaluated_at = now() + Duration::hours(1);
    let part = &mut report.verdicts[0].parts[0];
    part.evidence.push(zhucun_shared::verdict::Evidence {
        kind: zhucun_shared::verdict::EvidenceKind::HouseholdVisit,
        records: vec![counted],
        start: now(),
        end: None,
        detail: String::new(),
    });
    s.store().lock().unwrap().save_pull(&pull).unwrap();
    let mut today = Screen::new(pages::Today, s.clone());
    let html = today.html();
    assert!(html.contains("服务器 计入"), "{html}");
    // Another answer: not counted, with the server's reason.
    let report = pull
        .verdicts
        .iter_mut()
        .find(|r| r.person_id == me)
        .unwrap();
    report.verdicts[0].parts[0].evidence.pop();
    report.verdicts[0].parts[0]
        .rejected
        .push(zhucun_shared::verdict::Rejection {
            records: vec![counted],
            reason: zhucun_shared::verdict::RejectReason::VisitTooShort,
            detail: "杨德明 走访 1.0 分钟, 需 5 分钟".into(),
        });
    s.store().lock().unwrap().save_pull(&pull).unwrap();
    let mut history = Screen::new(pages::History, s.clone());
    let html = history.html();
    assert!(
        html.contains("服务器 不计入：走访时间不足（杨德明 走访 1.0 分钟, 需 5 分钟）"),
        "{html}"
    );
    let mut today = Screen::new(pages::Today, s);
    assert!(today.html().contains("不计入：走访时间不足"));
}

/// A location event from the source, then the screen refreshed as the location loop does.
fn location(screen: &mut Screen, event: LocationEvent) {
    let (state, services) = (screen.state, screen.services.clone());
    services.location(event).unwrap();
    screen.dom.in_runtime(|| state.refresh_after_fix(&services));
}

#[test]
fn a_screen_off_gap_shows_on_today_with_its_cause_and_duration() {
    let (s, clock) = services();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    let mut screen = Screen::new(pages::Today, s.clone());
    let c = demo::village_centre();
    screen.take_fix(c.lat, c.lon, 6.0, FixProvider::Gps);
    // The screen goes off at 10:05 China time.
    clock.advance(Duration::minutes(5));
    location(
        &mut screen,
        LocationEvent::Gap {
            cause: zhucun_shared::record::GapCause::ScreenOff,
            since: s.now(),
        },
    );
    let html = screen.html();
    assert!(html.contains("定位中断：熄屏或应用在后台"), "{html}");
    assert!(html.contains("后台运行设置"), "{html}");
    // Twenty minutes later the screen is on again and a fix arrives.
    clock.advance(Duration::minutes(20));
    screen.take_fix(c.lat, c.lon, 6.0, FixProvider::Gps);
    let html = screen.html();
    assert!(
        html.contains("定位中断 10:05–10:25（20 分钟）：熄屏或应用在后台"),
        "{html}"
    );
    assert!(!html.contains("class=\"advice\""), "{html}");
}

#[test]
fn permission_withdrawn_on_duty_tells_the_cadre_what_to_do() {
    let (s, _) = services();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    let mut screen = Screen::new(pages::Today, s.clone());
    location(
        &mut screen,
        LocationEvent::Gap {
            cause: zhucun_shared::record::GapCause::PermissionWithdrawn,
            since: s.now(),
        },
    );
    let html = screen.html();
    assert!(html.contains("定位中断：定位权限被关闭"), "{html}");
    assert!(html.contains("把“位置信息”设为“始终允许”"), "{html}");
}

#[test]
fn the_battery_guide_lists_each_makers_steps_in_chinese() {
    let (s, _) = services();
    let mut screen = Screen::at("/battery", s);
    let html = screen.html();
    for text in [
        "后台运行设置",
        "小米 / 红米（MIUI、澎湃 HyperOS）",
        "华为 / 荣耀（EMUI、HarmonyOS 鸿蒙、MagicOS）",
        "OPPO / 一加 / realme（ColorOS）",
        "vivo / iQOO（OriginOS、Funtouch OS）",
        "允许自启动",
        "关闭省电限制",
        "在最近任务中锁定",
        "省电策略 → 选择“无限制”",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert_eq!(html.matches("<li>").count(), 12, "{html}");
}

#[test]
fn the_duty_card_leads_to_the_battery_guide() {
    fn routed() -> Element {
        rsx! { Router::<Route> {} }
    }
    let today = || {
        Screen::with(routed, services().0, |dom| {
            let history: Rc<dyn History> = Rc::new(MemoryHistory::with_initial_path("/"));
            dom.provide_root_context(history);
        })
    };
    let mut screen = today();
    let html = screen.html();
    assert!(html.contains("后台运行设置"), "{html}");
    assert!(!html.contains("小米 / 红米"), "{html}");
    // Press each control of 今日 on a fresh screen: exactly one opens the guide.
    let controls = screen.listening("click", None).len();
    let opening: Vec<String> = (0..controls)
        .filter_map(|i| {
            let mut s = today();
            let id = s.listening("click", None)[i];
            s.press(id);
            let html = s.html();
            html.contains("小米 / 红米").then_some(html)
        })
        .collect();
    assert_eq!(opening.len(), 1);
    assert!(opening[0].contains("返回今日"), "{}", opening[0]);
    assert!(opening[0].contains("在最近任务中锁定"), "{}", opening[0]);
}

/// The demo cadre's phone in a village of `n` households over twelve 村民小组.
fn village_of(n: usize) -> Services {
    services_with(|pull| {
        pull.org.households = demo::village_households(n - demo::households().len());
    })
    .0
}

#[test]
fn the_household_list_is_searched_grouped_and_marked_at_village_scale() {
    use zhucun_mobile::households::Only;
    let s = village_of(312);
    // A visit this month, to see it marked.
    let visited = demo::households()[1].clone();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    s.command(Command::HouseholdCheckIn {
        household_id: visited.id,
        event: None,
    })
    .unwrap();
    s.command(Command::HouseholdCheckOut).unwrap();
    let mut screen = Screen::new(pages::Households, s.clone());
    let html = screen.html();
    assert!(html.contains("共 312 户"), "{html}");
    // Folded: a heading per 村民小组 with its counts, no rows of hundreds.
    for g in ["一组", "二组", "十组", "十二组"] {
        assert!(
            html.contains(&format!("<span class=\"group-name\">{g}</span>")),
            "{g}"
        );
    }
    assert!(html.find(">二组<").unwrap() < html.find(">十组<").unwrap());
    assert_eq!(html.matches("class=\"row household\"").count(), 0);

    // Searching a 村民小组 opens it, with only its households.
    let search = screen.listening("input", None)[0];
    screen.type_in(search, "十二组");
    let html = screen.html();
    let rows = html.matches("class=\"row household\"").count();
    let in_group = demo::village_households(300)
        .iter()
        .filter(|h| h.group.as_deref() == Some("十二组"))
        .count();
    assert_eq!(rows, in_group, "{html}");
    assert!(!html.contains(">一组<"));

    // By 户主: the visited household, paired with me, marked 结对 and 本月已访.
    screen.type_in(search, &visited.head_name);
    let html = screen.html();
    assert!(html.contains(&visited.head_name), "{html}");
    assert!(html.contains("class=\"mark paired\""), "{html}");
    assert!(html.contains("class=\"mark visited\""), "{html}");
    assert!(!html.contains("class=\"mark due\""), "{html}");

    // 必访未访 (a fresh screen: the search's rows are gone): every row marked due, none
    // visited.
    let mut screen = Screen::new(pages::Households, s);
    // The chips' listeners come after the groups' (Dioxus creates the later loop first).
    let clicks = screen.listening("click", None);
    let chips = &clicks[clicks.len() - Only::ALL.len()..];
    screen.press(chips[1]);
    let html = screen.html();
    let rows = html.matches("class=\"row household\"").count();
    assert!(rows > 20, "{rows}");
    assert_eq!(html.matches("class=\"mark due\"").count(), rows, "{html}");
    assert!(!html.contains("class=\"mark visited\""));
    assert!(!html.contains(&format!(">{}<", visited.head_name)));
}

#[test]
fn today_begins_with_where_syncing_stands() {
    let (s, _) = services();
    let mut screen = Screen::new(pages::Today, s);
    let html = screen.html();
    let line = html.find("sync-line").expect("a sync line");
    assert!(line < html.find("card duty").unwrap(), "{html}");
    assert!(html.contains("尚未同步"));
    let mut sync = screen.state.sync;
    let at: chrono::DateTime<chrono::Utc> = "2026-11-16T02:00:30Z".parse().unwrap();
    screen.dom.in_runtime(|| {
        sync.write().status = zhucun_mobile::sync::SyncStatus::Retrying {
            at,
            in_seconds: 30,
            failed_attempt: 2,
            why: "网络不通：请检查网络".into(),
        };
    });
    let html = screen.html();
    assert!(
        html.contains("第 2 次未成功，30 秒后重试（10:00:30）"),
        "{html}"
    );
    assert!(html.contains("网络不通：请检查网络"));
    assert!(html.contains("恢复网络后自动上传"));
}

#[tokio::test]
async fn the_sync_line_follows_the_engine_retrying_then_failing() {
    let s = syncing_with_tries(&nobody_there(), 2);
    let seen = std::cell::RefCell::new(None);
    let guard = s.begin_sync().unwrap();
    let result = s
        .sync_marked_then(guard, || {
            *seen.borrow_mut() = Some(s.parts().unwrap().sync.status);
        })
        .await;
    assert!(matches!(result, Some(Err(_))));
    match seen.into_inner() {
        Some(zhucun_mobile::sync::SyncStatus::Retrying {
            failed_attempt: 1,
            in_seconds,
            why,
            ..
        }) => {
            assert!((0..=2).contains(&in_seconds), "{in_seconds}");
            assert!(is_chinese(&why), "{why}");
        }
        other => panic!("{other:?}"),
    }
    let mut screen = Screen::new(pages::Today, s);
    let html = screen.html();
    assert!(html.contains("sync-line short"), "{html}");
    assert!(html.contains("同步失败"));
    assert!(html.contains("记录已存在手机上，不会丢失"));
}

#[test]
fn progress_says_in_a_few_lines_what_is_missing_and_the_days_left() {
    let (s, _) = services();
    let mut screen = Screen::at("/progress", s.clone());
    let html = screen.html();
    // 16 November 2026, a Monday: 16–20, 23–27 and 30 are left.
    assert!(html.contains("本月剩 11 个工作日"), "{html}");
    assert!(html.contains("项规则：已达标"), "{html}");
    assert!(
        html.contains("还差3次，剩11个工作日"),
        "{}",
        &html[html.find("还差").unwrap()..]
    );
    // A few lines: what is due later is counted, not listed.
    assert!(html.matches("class=\"pace").count() <= 8, "{html}");
    assert!(html.contains("期限在本月之后"), "{html}");
    // No cards of clause codes until asked for.
    assert!(!html.contains("R-212"), "{html}");
    assert!(!html.contains("card rule"));

    // Tapping a line opens that rule's details.
    fn pacing_only() -> Element {
        rsx! {
            zhucun_mobile::components::PacingCard {
                detail: |id: String| rsx! { p { class: "detail-of", "{id}" } },
            }
        }
    }
    let mut screen = Screen::new(pacing_only, s);
    assert!(!screen.html().contains("detail-of"));
    let first = screen.listening("click", None)[0];
    screen.press(first);
    let html = screen.html();
    assert_eq!(html.matches("class=\"detail-of\"").count(), 1, "{html}");
}

#[test]
fn checking_out_says_first_whether_leaving_now_counts() {
    let (screen, _) = visit_open(3, true);
    let s = screen.services.clone();
    let mut screen = Screen::new(pages::Today, s.clone());
    let note = screen.listening("input", None)[0];
    let check_out = screen.listening("click", Some(note))[1];
    screen.press(check_out);
    let html = screen.html();
    assert!(
        html.contains("现在签退：走访 3 分钟，不足 5 分钟，将不计入 — 仍要签退？"),
        "{html}"
    );
    assert!(s.parts().unwrap().here.capture.visit.is_some());
    // 取消 keeps the visit open.
    let buttons = screen.listening("click", Some(check_out));
    screen.press(buttons[buttons.len() - 2]);
    assert!(!screen.html().contains("仍要签退"));
    assert!(s.parts().unwrap().here.capture.visit.is_some());
    screen.press(check_out);
    let yes = *screen.listening("click", Some(check_out)).last().unwrap();
    screen.press(yes);
    assert!(s.parts().unwrap().here.capture.visit.is_none());
}

#[test]
fn a_mistaken_village_check_in_is_withdrawn_after_asking_and_kept_in_the_log() {
    let (s, _) = services();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    s.command(Command::VillageCheckIn {
        village_id: demo::VILLAGE,
    })
    .unwrap();
    let check_in = s.parts().unwrap().here.capture.stay.unwrap().check_in;
    let mut screen = Screen::new(pages::Today, s.clone());
    assert!(screen.html().contains("已进村"));
    // 立即同步, 结束值守, 后台运行设置, 离村签退, 撤回进村签到.
    let withdraw = screen.listening("click", None)[4];
    screen.press(withdraw);
    assert!(
        screen.html().contains("撤回本次进村签到？"),
        "{}",
        screen.html()
    );
    assert!(s.parts().unwrap().here.capture.stay.is_some());
    let yes = *screen.listening("click", Some(withdraw)).last().unwrap();
    screen.press(yes);
    let html = screen.html();
    assert!(html.contains("未进村"), "{html}");
    assert!(s.parts().unwrap().here.capture.stay.is_none());
    let records = s.store().lock().unwrap().all_records().unwrap();
    assert!(
        records.iter().any(|r| r.id == check_in),
        "the check-in stays in the log"
    );
    assert!(records.iter().any(|r| matches!(
        &r.body,
        zhucun_shared::record::RecordBody::Retraction { target, .. } if *target == check_in
    )));
}

#[test]
fn touch_targets_are_48_dp_and_text_at_least_15_px() {
    let css = zhucun_mobile::app::STYLE;
    for (i, _) in css.match_indices("font-size:") {
        let px: u32 = css[i + 10..]
            .trim_start()
            .split("px")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            px >= 15,
            "font-size {px}px at {}",
            &css[i.saturating_sub(60)..i + 16]
        );
    }
    let rule = |selector: &str| {
        let at = css.find(selector).unwrap_or_else(|| panic!("{selector}"));
        css[at..at + css[at..].find('}').unwrap()].to_string()
    };
    for selector in [
        "button, .button {",
        "input, select, textarea {",
        "nav.tabs a {",
    ] {
        let r = rule(selector);
        let min: u32 = r
            .split("min-height:")
            .nth(1)
            .unwrap_or_else(|| panic!("{selector} has no min-height"))
            .trim_start()
            .split("px")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(min >= 48, "{selector} {min}px");
    }
}

/// 四必到 on the phone: an event entered two days after it happened is listed open with the
/// day left; 前往处理 without a fix says in Chinese what to do and writes nothing; with a fix in
/// the village it checks in on site, linked to the event, and the event is no longer open.
#[test]
fn an_event_entered_days_later_is_listed_with_days_left_and_attended_on_site() {
    use zhucun_shared::record::{EventKind, RecordBody};
    let (s, _) = services();
    let today = zhucun_shared::period::local_date(now());
    let mut work = Screen::new(pages::Work, s.clone());
    let html = work.html();
    // The date picker offers today back to thirty days ago, never ahead.
    assert!(html.contains(r#"type="date""#), "{html}");
    assert!(html.contains(&format!(r#"max="{today}""#)), "{html}");
    assert!(
        html.contains(&format!(
            r#"min="{}""#,
            today - Duration::days(zhucun_mobile::capture::EVENT_BACKDATE_DAYS)
        )),
        "{html}"
    );
    assert!(html.contains("不涉及具体农户"), "{html}");
    s.command(Command::Event {
        kind: EventKind::Emergency,
        occurred_on: today - Duration::days(2),
        household_id: None,
        description: "暴雨冲毁机耕道".into(),
    })
    .unwrap();

    // On 本月进度, above the month's rules.
    let html = Screen::at("/progress", s.clone()).html();
    let open = html
        .find("待处理的四必到事件")
        .expect("the open events on 本月进度");
    assert!(open < html.find("2026年11月").unwrap(), "{html}");
    assert!(html.contains("暴雨冲毁机耕道"), "{html}");
    assert!(
        html.contains("11月14日发生 · 还剩1天（11月17日前到场）"),
        "{html}"
    );
    let mut progress = Screen::new(zhucun_mobile::components::OpenEvents, s.clone());
    let attend = progress.listening("click", None)[0];
    let before = s.store().lock().unwrap().last_seq().unwrap();
    progress.press(attend);
    assert_eq!(
        notice(&progress),
        zhucun_mobile::strings::ERR_ON_SITE_NO_FIX
    );
    assert_eq!(s.store().lock().unwrap().last_seq().unwrap(), before);

    let centre = demo::village_centre();
    progress.fix(centre.lat, centre.lon, 8.0);
    progress.press(attend);
    assert!(
        notice(&progress).contains("已现场签到"),
        "{}",
        notice(&progress)
    );
    let records = s.store().lock().unwrap().all_records().unwrap();
    let event = records
        .iter()
        .find(|r| matches!(r.body, RecordBody::VillageEvent { .. }))
        .unwrap()
        .id;
    assert!(matches!(records.last().unwrap().body,
        RecordBody::OnSite { attached_to, fix: Some(_) } if attached_to == event));
    // Listed as attended, by me, without 前往处理.
    let html = progress.html();
    assert!(html.contains("已到场：我"), "{html}");
    assert!(html.contains("现场签到（全队计入"), "{html}");
    assert!(!html.contains("前往处理"), "{html}");
}

/// The kinds follow the roles' rules: a supervisor's patrol comes first, dated and marked as
/// made on site; a team leader also submits the support unit's plan and summaries (R-33).
#[test]
fn the_work_log_offers_supervision_on_site_and_the_support_units_reports() {
    let mut screen = Screen::new(pages::Work, supervisor());
    let html = screen.html();
    let patrol = html.find("巡视").expect("巡视");
    assert!(patrol < html.find("每周工作录入").unwrap(), "{html}");
    assert!(html.contains(r#"class="held-on""#), "{html}");
    assert!(html.contains("巡视、督查在现场记录"), "{html}");

    let (s, _) = services();
    let mut screen = Screen::new(pages::Work, s);
    let html = screen.html();
    for label in [
        "年度帮扶计划",
        "帮扶单位季度小结",
        "帮扶单位年度总结",
        "公开承诺",
    ] {
        assert!(html.contains(label), "{label}");
    }
    assert!(!html.contains(">巡视<"), "{html}");
}

/// 前往处理 for an event at a household is the household check-in naming it, and says at once,
/// like any check-in, whether the visit will count.
#[test]
fn attending_an_event_at_a_household_checks_in_there_and_says_whether_it_counts() {
    use zhucun_shared::record::{EventKind, RecordBody};
    let (s, _) = services();
    let today = zhucun_shared::period::local_date(now());
    let home = demo::households()[0].clone();
    s.command(Command::StartDuty {
        village_id: Some(demo::VILLAGE),
    })
    .unwrap();
    s.command(Command::Event {
        kind: EventKind::WeddingOrFuneral,
        occurred_on: today,
        household_id: Some(home.id),
        description: "老人过世".into(),
    })
    .unwrap();
    let mut card = Screen::new(zhucun_mobile::components::OpenEvents, s.clone());
    let html = card.html();
    assert!(html.contains(&home.head_name), "{html}");
    assert!(html.contains("还剩3天"), "{html}");
    let attend = card.listening("click", None)[0];
    card.press(attend);
    let said = notice(&card);
    assert!(said.starts_with("入户签到："), "{said}");
    assert!(said.len() > "入户签到：".len(), "{said}");
    let records = s.store().lock().unwrap().all_records().unwrap();
    let event = records[records.len() - 2].id;
    assert!(matches!(records.last().unwrap().body,
        RecordBody::HouseholdCheckIn { household_id, event: Some(e), .. }
            if household_id == home.id && e == event));
}

#[test]
fn the_team_map_shows_the_servers_verdicts_stays_gaps_and_times() {
    let (s, _) = services();
    let member = format!("/team/{}", demo::TEAMMATE);
    let mut screen = Screen::at(&member, s);
    let html = screen.html();
    // The verdicts' answers on the teammate's visits, not "passed within 30 m".
    assert!(html.contains("服务器 计入"), "{html}");
    assert!(html.contains("不计入：走访时间不足"), "{html}");
    assert!(html.contains("服务器尚未判定"), "{html}");
    // Markers: one counted (green), one not (red), one visited and not judged (amber); the
    // households the track merely passes stay grey.
    assert_eq!(
        html.matches("height=\"8\" fill=\"#17612f\"").count(),
        1,
        "{html}"
    );
    assert_eq!(html.matches("height=\"8\" fill=\"#b3261e\"").count(), 1);
    assert_eq!(html.matches("height=\"8\" fill=\"#c27c00\"").count(), 1);
    // The stay drawn under the track and said with its times; the gap with its cause.
    assert_eq!(html.matches("class=\"stay\"").count(), 1);
    assert!(html.contains("停留 "), "{html}");
    assert!(html.contains("定位中断"), "{html}");
    assert!(html.contains("熄屏或应用在后台"), "{html}");
}

/// An event the team leader recorded reaches a member's phone with the pull: listed with who
/// recorded it and 前往处理; one a teammate already attended says who and when, without
/// 前往处理 (R-241 counts the team's attendance).
#[test]
fn a_teammates_events_are_listed_with_who_recorded_and_who_attended() {
    use zhucun_shared::org::Person;
    use zhucun_shared::record::{EventKind, RecordBody};
    use zhucun_shared::synth::Recorder;
    let mut theirs = Recorder::new(demo::TEAMMATE, DeviceId::new());
    let mut event = |what: &str| {
        theirs.record(
            now() - chrono::Duration::hours(3),
            RecordBody::VillageEvent {
                village_id: demo::VILLAGE,
                kind: EventKind::Dispute,
                occurred_at: now() - chrono::Duration::days(1),
                household_id: None,
                description: what.into(),
            },
        )
    };
    let open = event("邻里纠纷");
    let attended = event("宅基地纠纷");
    let check_in = theirs.record(
        now() - chrono::Duration::hours(2),
        RecordBody::OnSite {
            attached_to: attended.id,
            fix: None,
        },
    );
    let (s, _) = services_with(|pull| {
        pull.org.people.push(Person {
            id: demo::TEAMMATE,
            name: "吴海燕".into(),
            township_id: demo::TOWNSHIP,
            unit_id: None,
        });
        pull.team_events = vec![open, attended, check_in];
    });
    let mut card = Screen::new(zhucun_mobile::components::OpenEvents, s);
    let html = card.html();
    assert!(html.contains("邻里纠纷"), "{html}");
    assert_eq!(html.matches("吴海燕记录").count(), 2, "{html}");
    assert!(html.contains("已到场：吴海燕"), "{html}");
    assert_eq!(html.matches("前往处理").count(), 1, "{html}");
}
