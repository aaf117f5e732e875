//! The records a phone creates. Each belongs to one device's append-only log: it has a UUIDv7
//! id, the device id and a per-device sequence number (1, 2, 3, …), and it never changes once
//! written. A correction or deletion is a new record ([`RecordBody::Retraction`], or a new record
//! whose `replaces` names the old one).

use crate::ids::*;
use crate::org::LatLon;
use crate::period::Period;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One entry of a device's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRecord {
    pub id: RecordId,
    pub device_id: DeviceId,
    /// Position in the device's log, from 1, without gaps.
    pub seq: u64,
    pub person_id: PersonId,
    /// The phone's wall clock when the record was written.
    pub captured_at: DateTime<Utc>,
    pub body: RecordBody,
    /// Set by the server on receipt; never sent by the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<ServerReceipt>,
}

/// What the server knew when it took the record in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerReceipt {
    pub received_at: DateTime<Utc>,
    /// Server receive time minus the phone's clock at sending time, in seconds.
    pub clock_offset_s: i64,
}

/// Where a GPS fix came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FixProvider {
    Gps,
    Network,
    Fused,
    /// Replayed route (demo, tests).
    Simulated,
    Unknown,
}

/// One position reading (定位点).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    /// Radius of 68 % confidence, metres.
    pub accuracy_m: f64,
    /// The fix's time by the phone's wall clock.
    pub time: DateTime<Utc>,
    /// The phone's monotonic clock (ms since boot) at the fix: detects wall-clock changes.
    pub monotonic_ms: Option<u64>,
    pub provider: FixProvider,
    /// The platform reported a mock (simulated) location.
    pub mock: bool,
}

impl Fix {
    pub fn position(&self) -> LatLon {
        LatLon::new(self.lat, self.lon)
    }
}

/// 四必到: the events a village cadre must attend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// 困难需求
    DifficultyRequest,
    /// 突发事件
    Emergency,
    /// 矛盾纠纷
    Dispute,
    /// 喜事丧事
    WeddingOrFuneral,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::DifficultyRequest,
        EventKind::Emergency,
        EventKind::Dispute,
        EventKind::WeddingOrFuneral,
    ];
    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::DifficultyRequest => "困难需求",
            EventKind::Emergency => "突发事件",
            EventKind::Dispute => "矛盾纠纷",
            EventKind::WeddingOrFuneral => "喜事丧事",
        }
    }
}

/// Work done on a date that a rule counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 共同组织生活 (unit party organisation with the village branch)
    OrganisationalLife,
    /// 联席会议
    JointMeeting,
    /// 集体帮扶活动
    CollectiveActivity,
    /// 农村实用技术培训 (person-times)
    Training,
    /// 主导产业
    LeadingIndustry,
    /// 主导品种
    Variety,
    /// 主推技术
    Technique,
    /// 农业科技示范户
    DemonstrationHousehold,
    /// 农业新型经营主体
    NewBusinessEntity,
    /// 新型职业农民
    NewProfessionalFarmer,
    /// 巡视
    Patrol,
    /// 督查
    Inspection,
    /// 考核
    Assessment,
    /// 市、县联系领导到村开展工作
    LeaderVisit,
}

impl ActivityKind {
    /// Supervision by the township's discipline office (巡视、督查、考核), not village work.
    pub fn is_supervision(self) -> bool {
        matches!(
            self,
            ActivityKind::Patrol | ActivityKind::Inspection | ActivityKind::Assessment
        )
    }

    pub const ALL: [ActivityKind; 14] = [
        ActivityKind::OrganisationalLife,
        ActivityKind::JointMeeting,
        ActivityKind::CollectiveActivity,
        ActivityKind::Training,
        ActivityKind::LeadingIndustry,
        ActivityKind::Variety,
        ActivityKind::Technique,
        ActivityKind::DemonstrationHousehold,
        ActivityKind::NewBusinessEntity,
        ActivityKind::NewProfessionalFarmer,
        ActivityKind::Patrol,
        ActivityKind::Inspection,
        ActivityKind::Assessment,
        ActivityKind::LeaderVisit,
    ];
    pub fn label_zh(self) -> &'static str {
        match self {
            ActivityKind::OrganisationalLife => "共同组织生活",
            ActivityKind::JointMeeting => "联席会议",
            ActivityKind::CollectiveActivity => "集体帮扶活动",
            ActivityKind::Training => "实用技术培训",
            ActivityKind::LeadingIndustry => "主导产业",
            ActivityKind::Variety => "主导品种",
            ActivityKind::Technique => "主推技术",
            ActivityKind::DemonstrationHousehold => "科技示范户",
            ActivityKind::NewBusinessEntity => "新型经营主体",
            ActivityKind::NewProfessionalFarmer => "新型职业农民",
            ActivityKind::Patrol => "巡视",
            ActivityKind::Inspection => "督查",
            ActivityKind::Assessment => "考核",
            ActivityKind::LeaderVisit => "领导到村",
        }
    }
}

/// A written submission with a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 每周工作录入
    WeeklyEntry,
    /// 上月完成情况及本月计划
    MonthlyReport,
    /// 领导挂联工作月台账
    MonthlyLedger,
    /// 帮扶单位年度帮扶计划
    UnitAnnualPlan,
    /// 帮扶单位季度小结
    UnitQuarterlySummary,
    /// 帮扶单位年度总结
    UnitAnnualSummary,
    /// 公开承诺
    PublicCommitment,
    /// 信息反馈
    InformationFeedback,
    /// 工作队季度小结
    TeamQuarterlySummary,
    /// 工作队年度总结
    TeamAnnualSummary,
    /// 调研文章
    ResearchArticle,
}

impl ReportKind {
    pub const ALL: [ReportKind; 11] = [
        ReportKind::WeeklyEntry,
        ReportKind::MonthlyReport,
        ReportKind::MonthlyLedger,
        ReportKind::UnitAnnualPlan,
        ReportKind::UnitQuarterlySummary,
        ReportKind::UnitAnnualSummary,
        ReportKind::PublicCommitment,
        ReportKind::InformationFeedback,
        ReportKind::TeamQuarterlySummary,
        ReportKind::TeamAnnualSummary,
        ReportKind::ResearchArticle,
    ];
    pub fn label_zh(self) -> &'static str {
        match self {
            ReportKind::WeeklyEntry => "每周工作录入",
            ReportKind::MonthlyReport => "月度完成情况及计划",
            ReportKind::MonthlyLedger => "领导挂联工作月台账",
            ReportKind::UnitAnnualPlan => "年度帮扶计划",
            ReportKind::UnitQuarterlySummary => "帮扶单位季度小结",
            ReportKind::UnitAnnualSummary => "帮扶单位年度总结",
            ReportKind::PublicCommitment => "公开承诺",
            ReportKind::InformationFeedback => "信息反馈",
            ReportKind::TeamQuarterlySummary => "工作队季度小结",
            ReportKind::TeamAnnualSummary => "工作队年度总结",
            ReportKind::ResearchArticle => "调研文章",
        }
    }
}

/// What a note records, beyond its text.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// 定位中断: attached to a duty session, the location source stopped delivering; the text
    /// says why. Logs written before this kind existed said it by the text alone (see
    /// [`is_location_lost_note`]); phones now write [`NoteKind::LocationGap`] instead, and this
    /// kind is read in older logs.
    LocationLost,
    /// 核查结论: a checker's spot-check finding on the record the note is attached to; the
    /// text is the checker's comment. It counts only from someone whose jurisdiction covers
    /// the record's author (see [`crate::spot_check::may_judge`]).
    Finding {
        outcome: FindingOutcome,
        /// The checker's own fix, for a finding made on site from the phone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fix: Option<Fix>,
    },
    /// 定位中断: attached to a duty session, the trajectory has no fixes from `from` to `to`,
    /// for `cause`. Written when the gap opens (`to` absent: still open, so a phone killed
    /// meanwhile knows on restart) and again when it closes, the closing note replacing the
    /// opening one.
    LocationGap {
        cause: GapCause,
        from: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<DateTime<Utc>>,
    },
    /// 请假审批: attached to a [`RecordBody::LeaveRequest`], the approver's decision; the text
    /// is the remark. It counts only from someone [`crate::leave::may_decide`] allows.
    LeaveDecision {
        decision: crate::leave::LeaveDecision,
    },
}

impl NoteKind {
    /// The spot-check outcome the note records, if it is a finding.
    pub fn outcome(&self) -> Option<FindingOutcome> {
        match self {
            NoteKind::Finding { outcome, .. } => Some(*outcome),
            NoteKind::LocationLost
            | NoteKind::LocationGap { .. }
            | NoteKind::LeaveDecision { .. } => None,
        }
    }
}

/// Why the trajectory has a gap (定位中断的原因).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapCause {
    /// 熄屏或应用在后台: the source cannot run while the app is not in front (the webview's
    /// geolocation stops for a hidden page).
    ScreenOff,
    /// 定位服务被系统关闭: the location service or the app was killed while on duty (found
    /// on restart).
    ServiceKilled,
    /// 无定位信号: no fix for several minutes while on duty.
    NoSignal,
    /// 定位权限被收回
    PermissionWithdrawn,
    /// 手机定位开关已关闭
    LocationOff,
}

impl GapCause {
    pub const ALL: [GapCause; 5] = [
        GapCause::ScreenOff,
        GapCause::ServiceKilled,
        GapCause::NoSignal,
        GapCause::PermissionWithdrawn,
        GapCause::LocationOff,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            GapCause::ScreenOff => "熄屏或应用在后台",
            GapCause::ServiceKilled => "定位服务被系统关闭",
            GapCause::NoSignal => "无定位信号",
            GapCause::PermissionWithdrawn => "定位权限被关闭",
            GapCause::LocationOff => "手机定位开关已关闭",
        }
    }
}

/// 核查结论: what a checker found when checking a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingOutcome {
    /// 现场核实属实
    ConfirmedOnSite,
    /// 电话核实属实
    ConfirmedByPhone,
    /// 核查不属实: the record is rejected in every verdict.
    NotConfirmed,
    /// 标记解除: the flag was unfounded; the record stands as it was evaluated.
    Dismissed,
}

impl FindingOutcome {
    pub const ALL: [FindingOutcome; 4] = [
        FindingOutcome::ConfirmedOnSite,
        FindingOutcome::ConfirmedByPhone,
        FindingOutcome::NotConfirmed,
        FindingOutcome::Dismissed,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            FindingOutcome::ConfirmedOnSite => "现场核实属实",
            FindingOutcome::ConfirmedByPhone => "电话核实属实",
            FindingOutcome::NotConfirmed => "核查不属实",
            FindingOutcome::Dismissed => "标记解除",
        }
    }

    /// Whether the record judged is rejected in the verdicts.
    pub fn rejects(self) -> bool {
        self == FindingOutcome::NotConfirmed
    }
}

/// How notes written before [`NoteKind`] existed began when they recorded a lost location.
pub const LEGACY_LOCATION_LOST_PREFIX: &str = "定位中断";

/// Whether a note records a lost location: by its kind, or, for a note without one (written
/// before kinds existed), by the prefix such notes were written with.
pub fn is_location_lost_note(kind: Option<NoteKind>, text: &str) -> bool {
    match kind {
        Some(k) => k == NoteKind::LocationLost,
        None => text.starts_with(LEGACY_LOCATION_LOST_PREFIX),
    }
}

/// The content of a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordBody {
    /// 开始值守: the trajectory is recorded from here.
    DutyStart { village_id: Option<VillageId> },
    /// 结束值守
    DutyEnd { duty: RecordId },
    /// A trajectory fix taken while on duty.
    Fix { fix: Fix },
    /// 进村签到
    VillageCheckIn {
        village_id: VillageId,
        fix: Option<Fix>,
    },
    /// 离村签退
    VillageCheckOut {
        check_in: RecordId,
        fix: Option<Fix>,
    },
    /// 入户签到: saved at once, with or without a fix.
    HouseholdCheckIn {
        household_id: HouseholdId,
        fix: Option<Fix>,
        /// The 四必到 event this visit attends, if any.
        event: Option<RecordId>,
    },
    /// A fix for a visit that arrived after its check-in was saved.
    VisitFix { check_in: RecordId, fix: Fix },
    /// 入户签退
    HouseholdCheckOut {
        check_in: RecordId,
        fix: Option<Fix>,
    },
    /// A photo attached to a visit, activity or report.
    Photo {
        attached_to: RecordId,
        /// Lower-case hex SHA-256 of the file.
        sha256: String,
        taken_at: DateTime<Utc>,
        position: Option<LatLon>,
        bytes: u64,
    },
    /// A note (走访记录, 帮扶内容) attached to a visit or other record.
    Note {
        attached_to: RecordId,
        text: String,
        /// An earlier note this one corrects.
        replaces: Option<RecordId>,
        /// What the note records, when it is more than free text. Absent in logs written
        /// before it existed, and then left out of the JSON, so such records hash as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<NoteKind>,
    },
    /// A 四必到 event that happened in the village.
    VillageEvent {
        village_id: VillageId,
        kind: EventKind,
        occurred_at: DateTime<Utc>,
        household_id: Option<HouseholdId>,
        description: String,
    },
    /// Work done on a date: meetings, trainings, agri-tech items, supervision.
    Activity {
        kind: ActivityKind,
        village_id: Option<VillageId>,
        held_on: NaiveDate,
        /// Person-times for trainings (人次).
        person_times: Option<u32>,
        /// Items for agri-tech counts (default 1).
        quantity: Option<u32>,
        title: String,
        text: String,
    },
    /// 现场签到: the author was on site for `attached_to`, at the fix: a 四必到 event attended
    /// at a point on the map rather than at a household (a household's is a
    /// [`RecordBody::HouseholdCheckIn`] naming the event), or a supervision activity (巡视、
    /// 督查) made in the village.
    OnSite {
        attached_to: RecordId,
        fix: Option<Fix>,
    },
    /// A report submission, for the period it covers.
    Report {
        kind: ReportKind,
        village_id: Option<VillageId>,
        period: Period,
        title: String,
        text: String,
        /// SHA-256 of attached files.
        attachments: Vec<String>,
    },
    /// Withdraws an earlier record of the same person (deletion).
    Retraction { target: RecordId, reason: String },
    /// 请假、公差: the cadre asks to be away from `from` to `to` (local days, inclusive). A
    /// decision is a note attached to it ([`NoteKind::LeaveDecision`]); see [`crate::leave`].
    LeaveRequest {
        kind: crate::leave::AbsenceKind,
        from: NaiveDate,
        to: NaiveDate,
        reason: String,
    },
}

impl RecordBody {
    /// The type tag, as in JSON.
    pub fn type_name(&self) -> &'static str {
        match self {
            RecordBody::DutyStart { .. } => "duty_start",
            RecordBody::DutyEnd { .. } => "duty_end",
            RecordBody::Fix { .. } => "fix",
            RecordBody::VillageCheckIn { .. } => "village_check_in",
            RecordBody::VillageCheckOut { .. } => "village_check_out",
            RecordBody::HouseholdCheckIn { .. } => "household_check_in",
            RecordBody::VisitFix { .. } => "visit_fix",
            RecordBody::HouseholdCheckOut { .. } => "household_check_out",
            RecordBody::Photo { .. } => "photo",
            RecordBody::Note { .. } => "note",
            RecordBody::VillageEvent { .. } => "village_event",
            RecordBody::Activity { .. } => "activity",
            RecordBody::OnSite { .. } => "on_site",
            RecordBody::Report { .. } => "report",
            RecordBody::Retraction { .. } => "retraction",
            RecordBody::LeaveRequest { .. } => "leave_request",
        }
    }

    /// The type tags of the records that may carry a fix ([`RecordBody::fixes`]), for stores
    /// that select them by kind.
    pub const FIX_KINDS: &'static [&'static str] = &[
        "fix",
        "village_check_in",
        "village_check_out",
        "household_check_in",
        "visit_fix",
        "household_check_out",
        "on_site",
    ];

    /// The files (SHA-256) the record uses: a photo record's photo, a report's attachments.
    pub fn files(&self) -> Vec<&str> {
        self.file_fields().into_iter().map(|(_, sha)| sha).collect()
    }

    /// The files the record uses, each with the field that names it within the record
    /// (`body.sha256`, `body.attachments[1]`), as a refusal names it.
    pub fn file_fields(&self) -> Vec<(String, &str)> {
        match self {
            RecordBody::Photo { sha256, .. } => vec![("body.sha256".into(), sha256.as_str())],
            RecordBody::Report { attachments, .. } => attachments
                .iter()
                .enumerate()
                .map(|(j, a)| (format!("body.attachments[{j}]"), a.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every fix the record carries.
    pub fn fixes(&self) -> impl Iterator<Item = &Fix> {
        let one = match self {
            RecordBody::Fix { fix } | RecordBody::VisitFix { fix, .. } => Some(fix),
            RecordBody::VillageCheckIn { fix, .. }
            | RecordBody::VillageCheckOut { fix, .. }
            | RecordBody::HouseholdCheckIn { fix, .. }
            | RecordBody::HouseholdCheckOut { fix, .. }
            | RecordBody::OnSite { fix, .. } => fix.as_ref(),
            _ => None,
        };
        one.into_iter()
    }
}

/// A record field that is out of bounds: names the field and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Longest note, title or description accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Earliest time a record may carry; anything earlier is a broken clock.
pub fn earliest_plausible_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_577_836_800, 0).expect("2020-01-01 is a valid time")
    // 2020-01-01
}

/// Whether `s` is a SHA-256 digest as records carry it: 64 lower-case hex digits. Being plain
/// hex, it is also safe as a file name.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// How far back a 四必到 event may be entered (补录), in days before the record is written.
pub const EVENT_MAX_AGE_DAYS: i64 = 31;
/// How far an event's time may run ahead of the record's own (two clock readings of one
/// moment), in minutes.
pub const EVENT_CLOCK_SLACK_MINUTES: i64 = 10;

/// A 四必到 event's time against the time its record was written: not later (an event is
/// recorded once it happened), and at most [`EVENT_MAX_AGE_DAYS`] earlier.
pub fn check_event_time(
    occurred_at: DateTime<Utc>,
    captured_at: DateTime<Utc>,
) -> Result<(), FieldError> {
    if occurred_at > captured_at + chrono::Duration::minutes(EVENT_CLOCK_SLACK_MINUTES) {
        return Err(FieldError::new(
            "body.occurred_at",
            "must not be after the time the record was written",
        ));
    }
    if occurred_at < captured_at - chrono::Duration::days(EVENT_MAX_AGE_DAYS) {
        return Err(FieldError::new(
            "body.occurred_at",
            format!("must be within {EVENT_MAX_AGE_DAYS} days before the record was written"),
        ));
    }
    Ok(())
}

impl DeviceRecord {
    /// The SHA-256 (lower-case hex) of the record's JSON as the phone wrote it, which tells a
    /// duplicate push from a conflicting one. Take it before the server's receipt is stamped:
    /// stored hashes were taken so.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        debug_assert!(self.received.is_none(), "hash before stamping the receipt");
        let bytes = serde_json::to_vec(self).expect("records serialise");
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Checks the record's own fields. `now` is the receiver's clock; times more than a day ahead
    /// of it are refused. Errors name the field by its JSON path within the record.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        if self.seq == 0 {
            return Err(FieldError::new("seq", "must be 1 or more"));
        }
        if self.id.0.get_version_num() != 7 {
            return Err(FieldError::new("id", "must be a UUIDv7"));
        }
        let latest = now + chrono::Duration::days(1);
        let check_time = |field: &str, t: DateTime<Utc>| {
            if t < earliest_plausible_time() || t > latest {
                Err(FieldError::new(
                    field,
                    format!("time {t} is outside 2020-01-01 .. now + 1 day"),
                ))
            } else {
                Ok(())
            }
        };
        check_time("captured_at", self.captured_at)?;
        let check_fix = |field: &str, f: &Fix| -> Result<(), FieldError> {
            if let Some((coordinate, rule)) = f.position().invalid_coordinate() {
                return Err(FieldError::new(format!("{field}.{coordinate}"), rule));
            }
            if !f.accuracy_m.is_finite() || f.accuracy_m < 0.0 || f.accuracy_m > 100_000.0 {
                return Err(FieldError::new(
                    format!("{field}.accuracy_m"),
                    "must be between 0 and 100000 metres",
                ));
            }
            check_time(&format!("{field}.time"), f.time)
        };
        let check_text = |field: &str, s: &str, max: usize| {
            if s.chars().count() > max {
                Err(FieldError::new(
                    field,
                    format!("longer than {max} characters"),
                ))
            } else if s.contains('\0') {
                // Databases refuse NUL in text; it is never part of what a person wrote.
                Err(FieldError::new(field, "contains a NUL character"))
            } else {
                Ok(())
            }
        };
        match &self.body {
            RecordBody::Fix { fix } | RecordBody::VisitFix { fix, .. } => {
                check_fix("body.fix", fix)?
            }
            RecordBody::VillageCheckIn { fix, .. }
            | RecordBody::VillageCheckOut { fix, .. }
            | RecordBody::HouseholdCheckIn { fix, .. }
            | RecordBody::HouseholdCheckOut { fix, .. }
            | RecordBody::OnSite { fix, .. } => {
                if let Some(f) = fix {
                    check_fix("body.fix", f)?
                }
            }
            RecordBody::Photo {
                sha256,
                taken_at,
                position,
                bytes,
                ..
            } => {
                if !is_sha256_hex(sha256) {
                    return Err(FieldError::new(
                        "body.sha256",
                        "must be 64 lower-case hex digits",
                    ));
                }
                check_time("body.taken_at", *taken_at)?;
                if let Some((coordinate, rule)) = position.and_then(|p| p.invalid_coordinate()) {
                    return Err(FieldError::new(format!("body.position.{coordinate}"), rule));
                }
                if *bytes == 0 || *bytes > crate::attachment::MAX_ATTACHMENT_BYTES {
                    return Err(FieldError::new("body.bytes", "must be 1 byte .. 20 MiB"));
                }
            }
            RecordBody::Note { text, kind, .. } => {
                check_text("body.text", text, MAX_TEXT_CHARS)?;
                if let Some(NoteKind::Finding { fix: Some(f), .. }) = kind {
                    check_fix("body.kind.finding.fix", f)?;
                }
                if let Some(NoteKind::LocationGap { from, to, .. }) = kind {
                    check_time("body.kind.location_gap.from", *from)?;
                    if let Some(to) = to {
                        check_time("body.kind.location_gap.to", *to)?;
                        if to < from {
                            return Err(FieldError::new(
                                "body.kind.location_gap.to",
                                "must not be before from",
                            ));
                        }
                    }
                }
            }
            RecordBody::VillageEvent {
                occurred_at,
                description,
                ..
            } => {
                check_time("body.occurred_at", *occurred_at)?;
                check_event_time(*occurred_at, self.captured_at)?;
                check_text("body.description", description, MAX_TEXT_CHARS)?;
            }
            RecordBody::Activity {
                held_on,
                person_times,
                quantity,
                title,
                text,
                ..
            } => {
                let held = held_on
                    .and_hms_opt(12, 0, 0)
                    .expect("noon exists")
                    .and_utc();
                check_time("body.held_on", held)?;
                if *held_on > crate::period::local_date(self.captured_at) {
                    return Err(FieldError::new(
                        "body.held_on",
                        "must not be after the day the record was written",
                    ));
                }
                if person_times.is_some_and(|n| n > 100_000) {
                    return Err(FieldError::new("body.person_times", "more than 100000"));
                }
                if quantity.is_some_and(|n| n > 10_000) {
                    return Err(FieldError::new("body.quantity", "more than 10000"));
                }
                check_text("body.title", title, MAX_TITLE_CHARS)?;
                check_text("body.text", text, MAX_TEXT_CHARS)?;
            }
            RecordBody::Report {
                title,
                text,
                attachments,
                ..
            } => {
                check_text("body.title", title, MAX_TITLE_CHARS)?;
                check_text("body.text", text, MAX_TEXT_CHARS)?;
                if attachments.len() > crate::attachment::MAX_ATTACHMENTS {
                    return Err(FieldError::new("body.attachments", "more than 50 files"));
                }
                if let Some(i) = attachments.iter().position(|a| !is_sha256_hex(a)) {
                    return Err(FieldError::new(
                        format!("body.attachments[{i}]"),
                        "must be a SHA-256: 64 lower-case hex digits",
                    ));
                }
            }
            RecordBody::Retraction { reason, .. } => {
                check_text("body.reason", reason, MAX_TITLE_CHARS)?
            }
            RecordBody::LeaveRequest {
                from, to, reason, ..
            } => {
                // Leave is asked ahead: up to a year, not a day, after the receiver's clock.
                let first = earliest_plausible_time().date_naive();
                let last = (now + chrono::Duration::days(366)).date_naive();
                if *from < first || *from > last {
                    return Err(FieldError::new(
                        "body.from",
                        format!("开始日期须在 {first} 至 {last} 之间"),
                    ));
                }
                crate::leave::check_request(*from, *to, reason)?;
            }
            RecordBody::DutyStart { .. } | RecordBody::DutyEnd { .. } => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Recorder;

    fn now() -> DateTime<Utc> {
        "2026-11-28T08:00:00Z".parse().unwrap()
    }

    fn recorder() -> Recorder {
        Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2))
    }

    fn field(r: &DeviceRecord) -> String {
        r.validate(now()).unwrap_err().field
    }

    /// One sample of every kind of record, each with whatever fix and files it can carry.
    fn one_of_each() -> Vec<RecordBody> {
        let fix = Fix {
            lat: 27.7,
            lon: 106.9,
            accuracy_m: 8.0,
            time: now(),
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        };
        let (id, village) = (RecordId::new(), VillageId::from_u128(3));
        vec![
            RecordBody::DutyStart { village_id: None },
            RecordBody::DutyEnd { duty: id },
            RecordBody::Fix { fix },
            RecordBody::VillageCheckIn {
                village_id: village,
                fix: Some(fix),
            },
            RecordBody::VillageCheckOut {
                check_in: id,
                fix: Some(fix),
            },
            RecordBody::HouseholdCheckIn {
                household_id: HouseholdId::from_u128(4),
                fix: Some(fix),
                event: None,
            },
            RecordBody::VisitFix { check_in: id, fix },
            RecordBody::HouseholdCheckOut {
                check_in: id,
                fix: Some(fix),
            },
            RecordBody::Photo {
                attached_to: id,
                sha256: "a".repeat(64),
                taken_at: now(),
                position: Some(fix.position()),
                bytes: 1,
            },
            RecordBody::Note {
                attached_to: id,
                text: "x".into(),
                replaces: None,
                kind: None,
            },
            RecordBody::VillageEvent {
                village_id: village,
                kind: EventKind::WeddingOrFuneral,
                occurred_at: now(),
                household_id: None,
                description: "x".into(),
            },
            RecordBody::Activity {
                kind: ActivityKind::JointMeeting,
                village_id: None,
                held_on: now().date_naive(),
                person_times: None,
                quantity: None,
                title: "x".into(),
                text: "x".into(),
            },
            RecordBody::Report {
                kind: ReportKind::MonthlyReport,
                village_id: None,
                period: Period::Month {
                    year: 2026,
                    month: 11,
                },
                title: "x".into(),
                text: "x".into(),
                attachments: vec!["b".repeat(64), "c".repeat(64)],
            },
            RecordBody::Retraction {
                target: id,
                reason: "x".into(),
            },
            RecordBody::OnSite {
                attached_to: id,
                fix: Some(fix),
            },
            RecordBody::LeaveRequest {
                kind: crate::leave::AbsenceKind::Leave,
                from: now().date_naive(),
                to: now().date_naive(),
                reason: "x".into(),
            },
        ]
    }

    /// Names each kind; no wildcard, so a new kind fails to compile here until
    /// [`one_of_each`] holds a sample of it.
    fn ordinal(b: &RecordBody) -> usize {
        match b {
            RecordBody::DutyStart { .. } => 0,
            RecordBody::DutyEnd { .. } => 1,
            RecordBody::Fix { .. } => 2,
            RecordBody::VillageCheckIn { .. } => 3,
            RecordBody::VillageCheckOut { .. } => 4,
            RecordBody::HouseholdCheckIn { .. } => 5,
            RecordBody::VisitFix { .. } => 6,
            RecordBody::HouseholdCheckOut { .. } => 7,
            RecordBody::Photo { .. } => 8,
            RecordBody::Note { .. } => 9,
            RecordBody::VillageEvent { .. } => 10,
            RecordBody::Activity { .. } => 11,
            RecordBody::Report { .. } => 12,
            RecordBody::Retraction { .. } => 13,
            RecordBody::OnSite { .. } => 14,
            RecordBody::LeaveRequest { .. } => 15,
        }
    }

    #[test]
    fn the_samples_hold_every_kind_once() {
        let mut seen: Vec<usize> = one_of_each().iter().map(ordinal).collect();
        seen.sort();
        assert_eq!(seen, (0..=15).collect::<Vec<_>>());
    }

    #[test]
    fn type_names_are_the_json_tags() {
        for b in one_of_each() {
            let json = serde_json::to_value(&b).unwrap();
            assert_eq!(json["type"], b.type_name());
        }
    }

    #[test]
    fn fix_kinds_are_the_kinds_that_carry_fixes() {
        let carrying: Vec<&str> = one_of_each()
            .iter()
            .filter(|b| b.fixes().next().is_some())
            .map(|b| b.type_name())
            .collect();
        assert_eq!(carrying, RecordBody::FIX_KINDS);
        // Safe to write into an SQL list as they are.
        assert!(RecordBody::FIX_KINDS
            .iter()
            .all(|k| k.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')));
    }

    #[test]
    fn files_are_what_photos_and_reports_name() {
        for b in one_of_each() {
            let files = b.files();
            let json = serde_json::to_value(&b).unwrap();
            let expected: Vec<&str> = match &json["type"] {
                t if t == "photo" => vec![json["sha256"].as_str().unwrap()],
                t if t == "report" => json["attachments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect(),
                _ => Vec::new(),
            };
            assert_eq!(files, expected, "{}", b.type_name());
            for (field, sha) in b.file_fields() {
                let pointer = field
                    .strip_prefix("body")
                    .unwrap()
                    .replace(['.', '['], "/")
                    .replace(']', "");
                assert_eq!(json.pointer(&pointer).and_then(|v| v.as_str()), Some(sha));
            }
        }
    }

    /// Stored records keep the hash taken when they arrived: a change to how records serialise
    /// or are hashed would turn every repeated push into a conflict.
    #[test]
    fn the_content_hash_is_pinned() {
        let record: DeviceRecord = serde_json::from_str(
            r#"{"id":"0192d2a0-0000-7000-8000-000000000001",
                "device_id":"00000000-0000-0000-0000-000000000002","seq":1,
                "person_id":"00000000-0000-0000-0000-000000000003",
                "captured_at":"2026-11-28T08:00:00Z",
                "body":{"type":"fix","fix":{"lat":27.7,"lon":106.9,"accuracy_m":8.5,
                  "time":"2026-11-28T08:00:00Z","monotonic_ms":12345,"provider":"gps","mock":false}}}"#,
        )
        .unwrap();
        assert_eq!(
            record.content_hash(),
            "3e7321fa1faedd286fdaacf68c15ebbe807599149b93b4e05e51f16f90fad7fc"
        );
    }

    /// Notes written before findings existed keep their bytes, so their stored hashes hold.
    #[test]
    fn notes_written_before_findings_serialise_and_hash_as_before() {
        let head = r#"{"id":"0192d2a0-0000-7000-8000-000000000001","device_id":"00000000-0000-0000-0000-000000000002","seq":4,"person_id":"00000000-0000-0000-0000-000000000003","captured_at":"2026-11-28T08:00:00Z","#;
        for (body, hash) in [
            (
                r#""body":{"type":"note","attached_to":"0192d2a0-0000-7000-8000-000000000009","text":"已核实","replaces":null}}"#,
                "a1591df976c68bce39538124d0f67d3ef67c735df72d8f01cf53d5c86774c532",
            ),
            (
                r#""body":{"type":"note","attached_to":"0192d2a0-0000-7000-8000-000000000009","text":"定位中断","replaces":null,"kind":"location_lost"}}"#,
                "962eba0f65ba5968331d9dd31baeb58b3cdce7e3f1c72816179ea5d19254fc8d",
            ),
        ] {
            let json = format!("{head}{body}");
            let record: DeviceRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&record).unwrap(), json);
            assert_eq!(record.content_hash(), hash);
        }
    }

    /// A gap's note is pinned as it is written, open and closed; older notes above keep theirs.
    #[test]
    fn a_location_gap_note_is_typed_pinned_and_checked() {
        let head = r#"{"id":"0192d2a0-0000-7000-8000-000000000001","device_id":"00000000-0000-0000-0000-000000000002","seq":5,"person_id":"00000000-0000-0000-0000-000000000003","captured_at":"2026-11-28T08:20:00Z","#;
        let open = r#""body":{"type":"note","attached_to":"0192d2a0-0000-7000-8000-000000000009","text":"定位中断：熄屏或应用在后台","replaces":null,"kind":{"location_gap":{"cause":"screen_off","from":"2026-11-28T08:00:00Z"}}}}"#;
        let closed = r#""body":{"type":"note","attached_to":"0192d2a0-0000-7000-8000-000000000009","text":"定位中断：熄屏或应用在后台","replaces":"0192d2a0-0000-7000-8000-000000000001","kind":{"location_gap":{"cause":"screen_off","from":"2026-11-28T08:00:00Z","to":"2026-11-28T08:20:00Z"}}}}"#;
        for body in [open, closed] {
            let json = format!("{head}{body}");
            let record: DeviceRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&record).unwrap(), json);
            assert_eq!(record.validate(now()), Ok(()));
        }
        let mut record: DeviceRecord = serde_json::from_str(&format!("{head}{closed}")).unwrap();
        assert_eq!(
            record.content_hash(),
            "f16f368cca14aef89c8f7244f6c92489e6d44c6c6745aad9d6ac1a3cf95ba6dc"
        );
        if let RecordBody::Note { kind, .. } = &mut record.body {
            *kind = Some(NoteKind::LocationGap {
                cause: GapCause::NoSignal,
                from: now(),
                to: Some(now() - chrono::Duration::minutes(1)),
            });
        }
        assert_eq!(field(&record), "body.kind.location_gap.to");
        if let RecordBody::Note { kind, .. } = &mut record.body {
            *kind = Some(NoteKind::LocationGap {
                cause: GapCause::NoSignal,
                from: "2019-01-01T00:00:00Z".parse().unwrap(),
                to: None,
            });
        }
        assert_eq!(field(&record), "body.kind.location_gap.from");
        let labels: Vec<&str> = GapCause::ALL.iter().map(|c| c.label_zh()).collect();
        assert_eq!(
            labels,
            [
                "熄屏或应用在后台",
                "定位服务被系统关闭",
                "无定位信号",
                "定位权限被关闭",
                "手机定位开关已关闭"
            ]
        );
    }

    #[test]
    fn a_finding_note_carries_its_outcome_and_the_checkers_fix() {
        let mut rec = recorder();
        let fix = Fix {
            lat: 27.7,
            lon: 106.9,
            accuracy_m: 6.0,
            time: now(),
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        };
        let mut note = rec.record(
            now(),
            RecordBody::Note {
                attached_to: RecordId::new(),
                text: "现场无此户".into(),
                replaces: None,
                kind: Some(NoteKind::Finding {
                    outcome: FindingOutcome::NotConfirmed,
                    fix: None,
                }),
            },
        );
        let json = serde_json::to_value(&note).unwrap();
        assert_eq!(
            json["body"]["kind"],
            serde_json::json!({"finding": {"outcome": "not_confirmed"}})
        );
        let back: DeviceRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, note);
        assert_eq!(note.validate(now()), Ok(()));
        if let RecordBody::Note { kind, .. } = &mut note.body {
            *kind = Some(NoteKind::Finding {
                outcome: FindingOutcome::ConfirmedOnSite,
                fix: Some(Fix { lat: 95.0, ..fix }),
            });
        }
        assert_eq!(field(&note), "body.kind.finding.fix.lat");
        let labels: Vec<&str> = FindingOutcome::ALL.iter().map(|o| o.label_zh()).collect();
        assert_eq!(
            labels,
            ["现场核实属实", "电话核实属实", "核查不属实", "标记解除"]
        );
    }

    /// A 四必到 event may be entered days after it happened, within
    /// [`EVENT_MAX_AGE_DAYS`], never ahead of its record; an activity is never dated after the
    /// day it is written.
    #[rstest::rstest]
    #[case::now(0, None)]
    #[case::five_days_ago(-5 * 24 * 60, None)]
    #[case::a_month_ago(-EVENT_MAX_AGE_DAYS * 24 * 60, None)]
    #[case::too_old(-EVENT_MAX_AGE_DAYS * 24 * 60 - 1, Some("body.occurred_at"))]
    #[case::clock_slack(EVENT_CLOCK_SLACK_MINUTES, None)]
    #[case::in_the_future(EVENT_CLOCK_SLACK_MINUTES + 1, Some("body.occurred_at"))]
    fn an_events_date_is_bounded_by_its_record(
        #[case] minutes: i64,
        #[case] refused: Option<&str>,
    ) {
        let mut rec = recorder();
        let r = rec.record(
            now(),
            RecordBody::VillageEvent {
                village_id: VillageId::from_u128(3),
                kind: EventKind::Dispute,
                occurred_at: now() + chrono::Duration::minutes(minutes),
                household_id: None,
                description: "土地纠纷".into(),
            },
        );
        assert_eq!(
            r.validate(now()).err().map(|e| e.field),
            refused.map(String::from)
        );
    }

    #[rstest::rstest]
    #[case::today("2026-11-28", None)]
    #[case::last_week("2026-11-21", None)]
    #[case::tomorrow("2026-11-29", Some("body.held_on"))]
    fn an_activity_is_not_dated_after_its_record(
        #[case] held_on: &str,
        #[case] refused: Option<&str>,
    ) {
        let mut rec = recorder();
        let r = rec.activity(
            now(),
            ActivityKind::LeaderVisit,
            Some(VillageId::from_u128(3)),
            held_on.parse().unwrap(),
            None,
        );
        assert_eq!(
            r.validate(now()).err().map(|e| e.field),
            refused.map(String::from)
        );
    }

    #[test]
    fn an_on_site_check_in_is_pinned_and_its_fix_checked() {
        let json = r#"{"id":"0192d2a0-0000-7000-8000-000000000001","device_id":"00000000-0000-0000-0000-000000000002","seq":6,"person_id":"00000000-0000-0000-0000-000000000003","captured_at":"2026-11-28T08:00:00Z","body":{"type":"on_site","attached_to":"0192d2a0-0000-7000-8000-000000000009","fix":{"lat":27.7,"lon":106.9,"accuracy_m":8.0,"time":"2026-11-28T08:00:00Z","monotonic_ms":null,"provider":"gps","mock":false}}}"#;
        let mut record: DeviceRecord = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&record).unwrap(), json);
        assert_eq!(record.validate(now()), Ok(()));
        if let RecordBody::OnSite { fix: Some(f), .. } = &mut record.body {
            f.lat = 95.0;
        }
        assert_eq!(field(&record), "body.fix.lat");
    }

    #[test]
    fn a_well_formed_record_passes() {
        let mut rec = recorder();
        let r = rec.fix(now(), LatLon::new(27.7, 106.9), 8.0);
        assert_eq!(r.validate(now()), Ok(()));
    }

    #[test]
    fn bad_fields_are_named() {
        let mut rec = recorder();
        let mut r = rec.fix(now(), LatLon::new(91.0, 106.9), 8.0);
        assert_eq!(field(&r), "body.fix.lat");
        if let RecordBody::Fix { fix } = &mut r.body {
            fix.lat = 27.0;
            fix.lon = f64::NAN;
        }
        assert_eq!(field(&r), "body.fix.lon");
        if let RecordBody::Fix { fix } = &mut r.body {
            fix.lon = 106.9;
            fix.accuracy_m = f64::NAN;
        }
        assert_eq!(field(&r), "body.fix.accuracy_m");

        let r = rec.fix(
            "2031-01-01T00:00:00Z".parse().unwrap(),
            LatLon::new(27.7, 106.9),
            8.0,
        );
        assert_eq!(field(&r), "captured_at");

        let mut r = rec.fix(now(), LatLon::new(27.7, 106.9), 8.0);
        r.seq = 0;
        assert_eq!(field(&r), "seq");
        r.seq = 1;
        r.id = RecordId(uuid::Uuid::from_u128(7));
        assert_eq!(field(&r), "id");

        let check_in = RecordId::new();
        let note = rec.record(
            now(),
            RecordBody::Note {
                attached_to: check_in,
                text: "字".repeat(MAX_TEXT_CHARS + 1),
                replaces: None,
                kind: None,
            },
        );
        assert_eq!(field(&note), "body.text");

        let photo = rec.record(
            now(),
            RecordBody::Photo {
                attached_to: check_in,
                sha256: "../../etc/passwd".into(),
                taken_at: now(),
                position: None,
                bytes: 10,
            },
        );
        assert_eq!(field(&photo), "body.sha256");

        let note = rec.record(
            now(),
            RecordBody::Note {
                attached_to: check_in,
                text: "a\0b".into(),
                replaces: None,
                kind: None,
            },
        );
        assert_eq!(field(&note), "body.text");
    }
}
