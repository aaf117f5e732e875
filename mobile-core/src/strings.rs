//! Every piece of text the app shows, in zh-CN, in one place. Labels of domain enums (roles,
//! activity kinds, statuses, reject reasons) come from `zhucun_shared`'s `label_zh()`.

pub const APP_TITLE: &str = "驻村";

mod field;
pub use field::*;

// Navigation
pub const NAV_TODAY: &str = "今日";
pub const NAV_PROGRESS: &str = "本月进度";
pub const NAV_HISTORY: &str = "走访记录";
pub const NAV_WORK: &str = "工作日志";
pub const NAV_TEAM: &str = "工作队";
pub const NAV_SPOT_CHECKS: &str = "抽查";

// Duty and check-ins
pub const ON_DUTY: &str = "值守中";
pub const OFF_DUTY: &str = "未值守";
pub const START_DUTY: &str = "开始值守";
pub const END_DUTY: &str = "结束值守";
pub const TRACK_ONLY_ON_DUTY: &str = "仅在值守期间记录轨迹";
pub const VILLAGE_CHECK_IN: &str = "进村签到";
pub const VILLAGE_CHECK_OUT: &str = "离村签退";
pub const IN_VILLAGE: &str = "已进村";
pub const NOT_IN_VILLAGE: &str = "未进村";
pub const HOUSEHOLD_CHECK_IN: &str = "入户签到";
pub const HOUSEHOLD_CHECK_OUT: &str = "入户签退";
pub const VISITING: &str = "正在走访";
pub const NEAREST_FIRST: &str = "农户（由近及远）";
pub const TAKE_PHOTO: &str = "拍照";
pub const SIMULATED_PHOTO: &str = "模拟拍照";
pub const ADD_NOTE: &str = "保存走访记录";
pub const NOTE_PLACEHOLDER: &str = "走访记录、帮扶内容";
pub const PHOTOS: &str = "照片";
pub const ATTACHMENTS: &str = "附件";
pub const ADD_ATTACHMENT: &str = "添加附件（PDF、Word、Excel、PPT）";
pub const REMOVE: &str = "移除";
pub const NOTES: &str = "记录";
pub const VISITS_TODAY: &str = "今日走访";
pub const NO_VISITS: &str = "暂无走访";
pub const EVENT_TITLE: &str = "四必到事件";
pub const RECORD_EVENT: &str = "登记事件";
pub const EVENT_DESCRIPTION: &str = "事件说明";
pub const ATTENDS_EVENT: &str = "处理事件";

// Location
pub const LOCATING: &str = "正在定位…";
pub const NO_FIX: &str = "无定位";
pub const FIX_PENDING: &str = "定位待补";
pub const ACCURACY: &str = "精度";
pub const METRES: &str = "米";
pub const LOCATION_LOST: &str = "定位中断";
pub const TRACK_GAP: &str = "轨迹中断";
pub const SIMULATED_LOCATION: &str = "模拟定位";
pub const GAP_ONGOING: &str = "至今";
pub const BATTERY_GUIDE: &str = "后台运行设置";
pub const BATTERY_GUIDE_INTRO: &str = "熄屏后手机系统可能关闭本应用，值守轨迹就会中断。请按手机品牌完成下面三项设置（各机型菜单名称可能略有不同）：";
pub const BATTERY_GUIDE_BACK: &str = "返回今日";
/// The foreground service's notification while on duty (Android).
pub const DUTY_NOTIFICATION_TITLE: &str = "值守中：正在记录轨迹";
pub const DUTY_NOTIFICATION_TEXT: &str = "结束值守后停止定位";

/// What the cadre should do about a gap of this cause.
pub fn gap_advice(cause: zhucun_shared::record::GapCause) -> &'static str {
    use zhucun_shared::record::GapCause;
    match cause {
        GapCause::ScreenOff => {
            "熄屏或切到其他应用时轨迹会中断：请按“后台运行设置”允许本应用在后台定位"
        }
        GapCause::ServiceKilled => {
            "定位服务被手机系统关闭：请按“后台运行设置”把本应用加入自启动和电池优化白名单"
        }
        GapCause::NoSignal => "暂时没有定位信号：请到开阔处，信号恢复后自动继续记录",
        GapCause::PermissionWithdrawn => {
            "定位权限已被关闭，轨迹已中断：请在手机设置→应用→驻村→权限中把“位置信息”设为“始终允许”，然后回到本应用"
        }
        GapCause::LocationOff => {
            "手机定位开关已关闭：请从屏幕顶部下拉，打开“位置信息”（定位）开关"
        }
    }
}

/// "定位中断 09:10–09:30（20 分钟）：熄屏或应用在后台" (China time).
pub fn location_gap(gap: &crate::store::LocationGap, now: chrono::DateTime<chrono::Utc>) -> String {
    use zhucun_shared::period::{day_start, local_date};
    let hm = |t: chrono::DateTime<chrono::Utc>| {
        let secs = (t - day_start(local_date(t))).num_seconds().max(0);
        format!("{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
    };
    let to = gap.to.map_or_else(|| GAP_ONGOING.to_string(), hm);
    format!(
        "{LOCATION_LOST} {}–{to}（{}）：{}",
        hm(gap.from),
        duration_hm(gap.duration(now).num_minutes()),
        gap.cause.label_zh()
    )
}

// Sync
pub const SYNC: &str = "同步";
pub const SYNC_NOW: &str = "立即同步";
pub const PENDING_RECORDS: &str = "待上传记录";
pub const PENDING_PHOTOS: &str = "待上传照片";
pub const LAST_SYNC: &str = "上次同步成功";
pub const NEVER_SYNCED: &str = "尚未同步";
pub const SYNC_FAILED: &str = "同步失败";
pub const ALL_SYNCED: &str = "已全部上传";
pub const SYNCING: &str = "同步中…";
pub const OFFLINE: &str = "离线";

// Progress
pub const PROVISIONAL: &str = "手机估算";
pub const SERVER_VERDICT: &str = "服务器结论";
pub const NO_SERVER_VERDICT: &str = "待同步";
pub const NOT_EVALUATED: &str = "暂无估算";
pub const COUNTED: &str = "已计";
pub const REQUIRED: &str = "要求";
pub const DUE: &str = "截止";
pub const REJECTED: &str = "未计入";
pub const NO_RULES: &str = "暂无适用的考核要求，请先同步";

// History
pub const HISTORY_EMPTY: &str = "暂无记录";
pub const CHECKED_OUT: &str = "已签退";
pub const NOT_CHECKED_OUT: &str = "未签退";
pub const RETRACTED: &str = "已撤回";

// Work log, activities and reports
pub const WORK_ENTRY: &str = "工作记录";
pub const ACTIVITY: &str = "活动";
pub const REPORT: &str = "报送材料";
pub const KIND: &str = "类别";
pub const TITLE: &str = "标题";
pub const CONTENT: &str = "内容";
pub const HELD_ON: &str = "日期";
pub const PERSON_TIMES: &str = "人次";
pub const QUANTITY: &str = "数量";
pub const SAVE: &str = "保存";
pub const SAVED: &str = "已保存";
pub const ATTACH_FILE: &str = "附件";
pub const RECENT_ENTRIES: &str = "最近录入";

// Team and supervision
pub const TEAM_STATUS: &str = "队员情况";
pub const TRAJECTORY: &str = "轨迹";
pub const LAST_SEEN: &str = "最近定位";
pub const HOUSEHOLDS: &str = "农户";
pub const BOUNDARY: &str = "村界";
pub const NOT_A_TEAM_LEADER: &str = "仅工作队队长可查看";
pub const SPOT_CHECK_QUEUE: &str = "抽查队列";
pub const SPOT_CHECK_NOT_LOADED: &str = "同步后显示本月抽查队列";
pub const SPOT_CHECK_EMPTY: &str = "本月暂无需抽查的记录";
pub const SPOT_CHECK_FINDING: &str = "核查结果";
pub const SPOT_CHECK_RECORD: &str = "记录核查结果";
pub const SPOT_CHECK_DONE: &str = "已核查";
pub const SPOT_CHECK_PENDING_SYNC: &str = "已记录，待同步";
pub const SPOT_CHECK_OPEN: &str = "待核查";
pub const NOT_A_SUPERVISOR: &str = "仅督查人员可查看";

// Errors the capture flows report
pub const ERR_NOT_ON_DUTY: &str = "请先开始值守";
pub const ERR_ALREADY_ON_DUTY: &str = "已在值守中：如需重新开始，请先结束值守";
pub const ERR_VISIT_OPEN: &str = "请先完成当前走访签退";
pub const ERR_NO_OPEN_VISIT: &str = "当前没有进行中的走访，请先入户签到";
pub const ERR_OUTSIDE_BOUNDARY: &str = "当前位置不在村界内";
pub const ERR_UNKNOWN_VILLAGE: &str = "未找到该村，请先同步";
pub const ERR_UNKNOWN_HOUSEHOLD: &str = "未找到该农户，请先同步";
pub const ERR_NOT_IN_VILLAGE: &str = "尚未进村签到，请先进村签到";
pub const ERR_ALREADY_IN_VILLAGE: &str = "已进村签到：如需重新签到，请先进村签退";
pub const ERR_EMPTY_TITLE: &str = "请填写标题";
pub const ERR_EMPTY_TEXT: &str = "请填写内容";
pub const ERR_PERSON_TIMES: &str = "培训请填写人次";
pub const ERR_TOO_LONG: &str = "内容过长，请删减后再保存";
pub const ERR_NOT_ENROLLED: &str = "本机尚未登记，请先登录";
pub const ERR_CLOCK: &str =
    "手机时间不正确（早于 2020 年或超前），无法记录。请先在系统设置中校准日期和时间";
pub const ERR_HELD_ON: &str = "活动日期超出范围：须在 2020 年以后，且不晚于今天，请重新选择日期";
pub const ERR_PERSON_TIMES_TOO_LARGE: &str = "人次过大，请填写不超过 100000 的人次";
pub const ERR_QUANTITY_TOO_LARGE: &str = "数量过大，请填写不超过 10000 的数量";
pub const ERR_TOO_MANY_ATTACHMENTS: &str = "附件过多，请删去一些（最多 50 个）";
pub const ERR_ATTACHMENT_KIND: &str = "只能附 PDF、Word、Excel、PowerPoint 文件或图片，请重新选择";
pub const ERR_ATTACHMENT_TOO_LARGE: &str = "附件过大，请压缩或换一个文件（每个最多 20 MB）";
pub const ERR_BAD_FIX: &str = "定位数据无效，请到开阔处等定位成功后再试";
pub const ERR_OCCURRED_AT: &str = "事件日期超出范围：须是今天或30天内的某一天，请重新选择发生日期";
pub const ERR_INVALID_RECORD: &str = "记录无效，请检查填写的内容后重新保存";

// Sign-in
pub const SIGN_IN: &str = "登录";
pub const SIGN_IN_TITLE: &str = "登录驻村";
pub const SIGN_IN_AGAIN: &str =
    "登录已过期，请重新登录。已记录的内容都保存在手机上，登录后继续上传";
pub const SERVER_URL: &str = "服务器地址";
pub const USERNAME: &str = "用户名";
pub const PASSWORD: &str = "密码";
pub const SIGNING_IN: &str = "正在登录…";
pub const SIGN_IN_FAILED: &str = "登录失败";
pub const SIGNED_IN: &str = "已登录";
pub const ERR_BAD_CREDENTIALS: &str = "用户名或密码不正确，请核对后重新输入";
pub const ERR_OTHER_PERSONS_LOG: &str =
    "本机保存着另一位干部尚未上传的记录，不能换人登录：请该干部先登录并同步";

// What went wrong, said so that the cadre knows what to do. Nothing recorded is lost by any of
// these: it stays on the phone and goes up with a later sync.
pub const ERR_NETWORK: &str = "无法连接服务器，请检查手机网络，或确认服务器地址是否正确；记录都保存在手机上，联网后会自动上传";
pub const ERR_TIMEOUT: &str =
    "服务器长时间没有回应，请检查手机网络，稍后再试；记录都保存在手机上，联网后会自动上传";
pub const ERR_SERVER_URL: &str =
    "服务器地址不正确，请填写以 http:// 或 https:// 开头的完整地址，可向乡镇管理员询问";
pub const ERR_SERVER_ANSWER: &str =
    "服务器的回应无法识别，请确认服务器地址是否正确，或将应用更新到最新版本";
pub const ERR_SESSION_EXPIRED: &str = "登录已过期，请重新登录";
pub const ERR_FORBIDDEN: &str = "没有权限进行此操作，请联系乡镇管理员核对您的岗位";
pub const ERR_NOT_FOUND: &str =
    "服务器上找不到所需内容，请确认服务器地址是否正确，或将应用更新到最新版本";
pub const ERR_BUSY: &str = "服务器繁忙，请稍后再试；记录都保存在手机上，稍后会自动上传";
pub const ERR_SERVER_FAULT: &str = "服务器暂时出错，请稍后再试；如持续出现，请联系乡镇管理员";
pub const ERR_REFUSED: &str = "服务器拒绝了请求，请联系乡镇管理员";
pub const ERR_UNSETTLED: &str = "服务器与手机的记录序号暂未对上，请稍后再同步；记录都保存在手机上";
pub const ERR_STORAGE: &str =
    "手机存储读写出错，请关闭应用后重新打开；如仍出现，请检查手机剩余空间";
pub const ERR_STORED_DATA: &str = "手机上保存的数据有误，请先同步，如仍出现请联系乡镇管理员";
pub const ERR_PHOTO_UNREADABLE: &str = "无法读取这张照片，请重新拍摄";
pub const ERR_FILE_UNREADABLE: &str = "无法读取这个文件，请重新选择";
pub const ERR_LOCATION_DENIED: &str = "未获准使用定位，请在手机设置中允许驻村使用位置信息";
pub const ERR_LOCATION_UNAVAILABLE: &str = "暂时无法定位，请到开阔处并打开手机定位（GPS）";
pub const ERR_LOCATION_TIMEOUT: &str = "定位超时，请到开阔处并打开手机定位（GPS）";
pub const ERR_LOCATION_UNSUPPORTED: &str = "本机无法使用定位，请换用支持定位的手机";

/// What to say when the server answered `status` (its own message, for a refusal, when it
/// sent one: the server words its refusals in Chinese).
pub fn server_answered(status: u16, message: Option<&str>) -> String {
    match status {
        401 => ERR_SESSION_EXPIRED.to_string(),
        403 => ERR_FORBIDDEN.to_string(),
        404 => ERR_NOT_FOUND.to_string(),
        408 | 429 | 503 => ERR_BUSY.to_string(),
        500..=599 => ERR_SERVER_FAULT.to_string(),
        _ => match message.filter(|m| !m.trim().is_empty()) {
            Some(m) => format!("{m}；{ERR_REFUSED}"),
            None => ERR_REFUSED.to_string(),
        },
    }
}

/// What to say when the webview's geolocation reports an error: `code` is the
/// `GeolocationPositionError` code (1 permission denied, 2 unavailable, 3 timeout).
pub fn location_error(code: Option<u16>) -> &'static str {
    match code {
        Some(1) => ERR_LOCATION_DENIED,
        Some(3) => ERR_LOCATION_TIMEOUT,
        None => ERR_LOCATION_UNSUPPORTED,
        _ => ERR_LOCATION_UNAVAILABLE,
    }
}

// Records and photos the server refused
pub const SET_ASIDE: &str = "未能上传";
/// Sends what the server refused again, e.g. once the office has added a missing posting.
pub const RETRY_SET_ASIDE: &str = "重新上传";
pub const PHOTO_FILE_MISSING: &str = "照片文件缺失";
/// The label of a device enrolled again because its log was found restored or copied.
pub const FORKED_DEVICE_LABEL: &str = "手机（恢复或复制后重新登记）";

/// What a record set aside is, from its type tag (`RecordBody::type_name`, or `photo` for a
/// file): the cadre reads 照片, not `photo`.
pub fn record_kind(type_name: &str) -> &'static str {
    match type_name {
        "duty_start" => START_DUTY,
        "duty_end" => END_DUTY,
        "fix" => "轨迹点",
        "village_check_in" => VILLAGE_CHECK_IN,
        "village_check_out" => VILLAGE_CHECK_OUT,
        "household_check_in" => HOUSEHOLD_CHECK_IN,
        "visit_fix" => "走访定位",
        "household_check_out" => HOUSEHOLD_CHECK_OUT,
        "photo" => PHOTOS,
        "note" => NOTES,
        "village_event" => EVENT_TITLE,
        "activity" => ACTIVITY,
        "report" => REPORT,
        "retraction" => "撤回",
        "on_site" => ON_SITE,
        _ => NOTES,
    }
}

/// A refused request or decision (请假、公差) worded by the rule that refused it, with what to do
/// when the rule's words do not say it.
pub fn refused_request(problem: &str) -> String {
    if problem.contains('请') || problem.contains('须') {
        problem.to_string()
    } else {
        format!("{problem}，请修改后再提交")
    }
}

/// What to tell the cadre when a record breaks the rule on `field` (a JSON path in the record).
pub fn refused_field(field: &str) -> String {
    let msg = match field {
        "captured_at" | "body.taken_at" => ERR_CLOCK,
        "body.held_on" => ERR_HELD_ON,
        "body.person_times" => ERR_PERSON_TIMES_TOO_LARGE,
        "body.quantity" => ERR_QUANTITY_TOO_LARGE,
        "body.attachments" => ERR_TOO_MANY_ATTACHMENTS,
        "body.occurred_at" => ERR_OCCURRED_AT,
        "body.title" | "body.text" | "body.description" | "body.reason" => ERR_TOO_LONG,
        f if f.starts_with("body.fix") || f.starts_with("body.position") => ERR_BAD_FIX,
        _ => ERR_INVALID_RECORD,
    };
    msg.to_string()
}

/// "精度 12 米"
pub fn accuracy(m: f64) -> String {
    format!("{ACCURACY} {m:.0} {METRES}")
}

/// "距离 35 米" / "距离 1.2 公里"
pub fn distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} {METRES}")
    } else {
        format!("{:.1} 公里", m / 1000.0)
    }
}

/// "距村界 120 米"
pub fn outside_boundary(m: f64) -> String {
    format!(
        "{ERR_OUTSIDE_BOUNDARY}（距村界 {}），请进村后再签到",
        distance(m)
    )
}

/// "已计 3 / 要求 6"
pub fn counted_of(counted: u32, required: u32) -> String {
    format!("{COUNTED} {counted} / {REQUIRED} {required}")
}

/// "下次重试 30 秒后"
pub fn retry_in(seconds: u64) -> String {
    format!("{seconds} 秒后重试")
}

/// "值守 2 小时 15 分"
pub fn duration_hm(minutes: i64) -> String {
    if minutes < 60 {
        format!("{minutes} 分钟")
    } else {
        format!("{} 小时 {} 分", minutes / 60, minutes % 60)
    }
}

// Whether a visit counts
pub const COUNTS: &str = "计入";
pub const NOT_COUNTED: &str = "不计入";
pub const WILL_COUNT: &str = "将计入";
pub const IF_CHECKED_OUT_NOW: &str = "此时签退";
pub const SERVER_SAYS: &str = "服务器";
pub const WITHDRAW: &str = "撤回";
pub const WITHDRAW_VISIT_REASON: &str = "误签到，撤回本次走访";
pub const CONFIRM: &str = "确定";
pub const CANCEL: &str = "取消";
pub const CONFIRM_WITHDRAW: &str = "撤回本次走访？撤回记录会保留在日志中，本次走访不再计入。";
pub const CONFIRM_END_DUTY: &str = "结束值守？结束后不再记录轨迹。";
pub const CONFIRM_VILLAGE_CHECK_OUT: &str = "离村签退？签退后本次驻村停留结束。";

/// One reason a visit does not count, in the plan's terms: "距农户 120 米，超出 50 米".
pub fn shortfall(s: &zhucun_shared::visits::VisitShortfall) -> String {
    use zhucun_shared::visits::VisitShortfall as S;
    match s {
        S::NotOnDuty => "未在值守".into(),
        S::NotInVillage => "未进村签到".into(),
        S::NoFix => "无可用定位".into(),
        S::TooFar {
            distance_m,
            allowed_m,
        } => format!(
            "距农户 {}，超出 {allowed_m:.0} {METRES}",
            distance(*distance_m)
        ),
        S::TooShort {
            seconds,
            required_minutes,
        } => format!(
            "走访 {} 分钟，不足 {required_minutes} 分钟",
            seconds.max(&0) / 60
        ),
        S::NoPhoto => "走访期间无照片".into(),
    }
}

/// "将计入" or "不计入：走访 1 分钟，不足 5 分钟；走访期间无照片". A visit whose only shortfall
/// is the missing village check-in still counts as a pairing visit on the server, only
/// not towards the village's stays: it says so rather than "不计入".
pub fn outlook(shortfalls: &[zhucun_shared::visits::VisitShortfall]) -> String {
    if shortfalls.is_empty() {
        WILL_COUNT.to_string()
    } else if !shortfalls.iter().any(|s| s.counts_for_nothing()) {
        OUTSIDE_STAY.to_string()
    } else {
        let why: Vec<String> = shortfalls.iter().map(shortfall).collect();
        format!("{NOT_COUNTED}：{}", why.join("；"))
    }
}

/// A visit made without a village check-in.
pub const OUTSIDE_STAY: &str = "将计入结对帮扶走访；未进村签到，不计入驻村走访";

#[cfg(test)]
mod outlook_tests {
    use super::*;
    use zhucun_shared::visits::VisitShortfall as S;

    #[test]
    fn a_visit_missing_only_the_village_check_in_is_not_called_uncounted() {
        assert_eq!(outlook(&[]), WILL_COUNT);
        assert_eq!(outlook(&[S::NotInVillage]), OUTSIDE_STAY);
        let far = S::TooFar {
            distance_m: 598_000.0,
            allowed_m: 60.0,
        };
        let said = outlook(&[S::NotInVillage, far]);
        assert!(
            said.starts_with(NOT_COUNTED) && said.contains("未进村签到"),
            "{said}"
        );
    }
}

/// The server's answer on a visit: "计入" or "不计入：走访时间不足（…）".
pub fn server_answer(a: &crate::progress::ServerAnswer) -> String {
    match a {
        crate::progress::ServerAnswer::Counted => COUNTS.to_string(),
        crate::progress::ServerAnswer::NotCounted { reason, detail } => {
            format!("{NOT_COUNTED}：{}（{detail}）", reason.label_zh())
        }
    }
}

// The in-app camera and the photo watermark
pub const CAMERA_TITLE: &str = "现场拍照";
pub const CAMERA_OPEN: &str = "打开相机";
pub const CAMERA_STARTING: &str = "正在打开相机…";
pub const CAMERA_SHUTTER: &str = "拍照";
pub const CAMERA_RETAKE: &str = "重拍";
pub const CAMERA_USE: &str = "使用这张";
pub const CAMERA_ANOTHER: &str = "再拍一张";
pub const CAMERA_SAVING: &str = "正在保存照片…";
pub const CAMERA_SAVED: &str = "照片已保存，水印已加上";
pub const CAMERA_CLOSE: &str = "关闭";
pub const CAMERA_HINT: &str = "照片在走访现场拍摄，自动加上时间、地点和人员水印";
pub const ERR_CAMERA_DENIED: &str = "相机无法打开：请在系统设置中允许本应用使用相机";
pub const ERR_CAMERA_NOT_FOUND: &str = "没有找到可用的相机：请确认手机的后置摄像头可以使用";
pub const ERR_CAMERA_BUSY: &str = "相机正被其他应用使用：请关闭其他正在拍照或视频的应用后重试";
pub const ERR_CAMERA_UNSUPPORTED: &str =
    "这台手机的网页组件不支持应用内拍照：请更新系统的 Android System WebView 后重试";
pub const ERR_CAMERA_FAILED: &str = "相机出错：请关闭相机后重新打开";
pub const ERR_CAMERA_NO_FRAME: &str = "没有拍到画面：请对准拍摄对象后重拍";
pub const CAMERA_PAUSED: &str = "相机已暂停：请点“打开相机”继续";
/// The watermark's accuracy part when no fix was at hand.
pub const WATERMARK_NO_FIX: &str = "无定位";

/// "王大山户": a household in the watermark, by its head.
pub fn watermark_household(head_name: &str) -> String {
    format!("{head_name}户")
}

// 四必到 events entered with their date, attended on site; activities with their own date
pub const EVENT_DATE: &str = "发生日期";
pub const EVENT_HOUSEHOLD: &str = "涉及农户";
pub const EVENT_NO_HOUSEHOLD: &str = "不涉及具体农户（到现场签到）";
pub const OPEN_EVENTS: &str = "待处理的四必到事件";
pub const OPEN_EVENTS_NONE: &str = "没有待处理的事件";
pub const ATTEND_EVENT: &str = "前往处理";
pub const ON_SITE: &str = "现场签到";
pub const ON_SITE_SAVED: &str = "已现场签到";
pub const ON_SITE_HINT: &str = "巡视、督查在现场记录，保存时带上当前定位";
pub const ERR_EVENT_IN_FUTURE: &str = "事件发生日期不能晚于今天：请选择事件实际发生的日期";
pub const ERR_EVENT_TOO_OLD: &str = "只能补录30天内发生的事件：更早的事件请报乡镇办公室登记";
pub const ERR_HELD_IN_FUTURE: &str = "日期不能晚于今天：请选择实际开展的日期";
pub const ERR_ON_SITE_NO_FIX: &str =
    "还没有取得定位，不能现场签到：请开始值守并在户外等定位成功后再试";

/// How long is left to attend an event: "还剩2天", "今天是最后一天", "已超期1天".
pub fn days_left(n: i64) -> String {
    match n {
        n if n > 0 => format!("还剩{n}天"),
        0 => "今天是最后一天".to_string(),
        n => format!("已超期{}天", -n),
    }
}

/// "11月28日发生 · 还剩2天（12月01日前到场）"
/// A teammate the phone has no name for.
pub const TEAMMATE: &str = "队员";

/// Who recorded a 四必到 event, when a teammate did.
pub fn event_recorded_by(name: &str) -> String {
    format!("{name}记录")
}

/// A 四必到 event attended by the team: who, when and how. R-241 is the team's: the verdict
/// counts the team's first attendance, if that check-in is itself valid.
pub fn event_attended_line(by: &str, at: chrono::DateTime<chrono::Utc>, on_site: bool) -> String {
    format!(
        "已到场：{by} {} {}（全队计入，以签到有效为准）",
        zhucun_shared::period::local_label(at),
        if on_site {
            "现场签到"
        } else {
            "入户签到"
        }
    )
}

pub fn open_event_line(
    occurred_on: chrono::NaiveDate,
    attend_by: chrono::NaiveDate,
    days: i64,
) -> String {
    format!(
        "{}发生 · {}（{}前到场）",
        occurred_on.format("%m月%d日"),
        days_left(days),
        attend_by.format("%m月%d日")
    )
}
