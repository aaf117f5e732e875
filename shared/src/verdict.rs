//! What the evaluator answers: per rule and period a status, the numbers, the evidence counted
//! and every record rejected with the reason, plus plausibility flags for supervisors.

use crate::ids::*;
use crate::period::Period;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A verdict's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 达标
    Met,
    /// 未达标
    Short,
    /// 逾期
    Late,
    /// 未到期 (the period or deadline is still open)
    NotYetDue,
    /// 不适用
    NotApplicable,
}

impl Status {
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Met => "达标",
            Status::Short => "未达标",
            Status::Late => "逾期",
            Status::NotYetDue => "进行中",
            Status::NotApplicable => "不适用",
        }
    }

    /// The status of a whole made of parts: the worst part decides.
    pub fn combine(parts: impl IntoIterator<Item = Status>) -> Status {
        let rank = |s: Status| match s {
            Status::Short => 4,
            Status::Late => 3,
            Status::NotYetDue => 2,
            Status::Met => 1,
            Status::NotApplicable => 0,
        };
        parts
            .into_iter()
            .max_by_key(|s| rank(*s))
            .unwrap_or(Status::NotApplicable)
    }
}

/// What a piece of evidence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A qualifying village visit (stay long enough, households enough).
    QualifyingVisit,
    /// A working day (or any day) with enough presence in the village.
    InVillageDay,
    /// A valid household visit.
    HouseholdVisit,
    Activity,
    Report,
    /// A 四必到 event and the visit that attended it.
    EventAttended,
    /// 请假 approved: days taken out of the part's denominator, not counted towards it (the
    /// request and the decision are its records).
    ApprovedLeave,
    /// 公差 approved: as [`EvidenceKind::ApprovedLeave`], for official business away.
    ApprovedOfficialBusiness,
}

impl EvidenceKind {
    /// The kind of absence an approved-absence evidence is for.
    pub fn absence(self) -> Option<crate::leave::AbsenceKind> {
        match self {
            EvidenceKind::ApprovedLeave => Some(crate::leave::AbsenceKind::Leave),
            EvidenceKind::ApprovedOfficialBusiness => {
                Some(crate::leave::AbsenceKind::OfficialBusiness)
            }
            _ => None,
        }
    }
}

/// One thing a verdict counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub records: Vec<RecordId>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub detail: String,
}

/// Why a record, or a stay made of records, did not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// 定位精度不足
    LowAccuracy,
    /// 模拟定位
    MockLocation,
    /// 速度不合理
    ImpossibleSpeed,
    /// 停留时间不足
    StayTooShort,
    /// 走访户数不足
    TooFewHouseholds,
    /// 同日已计一次
    SameDayAlreadyCounted,
    /// 未签退
    NotCheckedOut,
    /// 走访时间不足
    VisitTooShort,
    /// 无定位
    NoFix,
    /// 距农户过远
    TooFarFromHousehold,
    /// 无走访期间照片
    NoPhotoDuringVisit,
    /// 照片重复使用
    PhotoReused,
    /// 照片文件未上传 (the server does not hold the file yet)
    PhotoNotReceived,
    /// 农户未登记
    UnknownHousehold,
    /// 非结对户
    NotPaired,
    /// 已撤回
    Retracted,
    /// 超过期限
    AfterDeadline,
    /// 无走访记录内容
    NoNote,
    /// 不在本村
    OtherVillage,
    /// 设备时间异常
    ClockUntrusted,
    /// 核查不属实: a checker with jurisdiction found the record false on a spot check; the
    /// detail quotes the finding.
    FoundFalse,
}

impl RejectReason {
    pub fn label_zh(self) -> &'static str {
        match self {
            RejectReason::LowAccuracy => "定位精度不足",
            RejectReason::MockLocation => "模拟定位",
            RejectReason::ImpossibleSpeed => "速度不合理",
            RejectReason::StayTooShort => "停留时间不足",
            RejectReason::TooFewHouseholds => "走访户数不足",
            RejectReason::SameDayAlreadyCounted => "同日已计一次",
            RejectReason::NotCheckedOut => "未签退",
            RejectReason::VisitTooShort => "走访时间不足",
            RejectReason::NoFix => "无定位",
            RejectReason::TooFarFromHousehold => "距农户过远",
            RejectReason::NoPhotoDuringVisit => "无走访期间照片",
            RejectReason::PhotoReused => "照片重复使用",
            RejectReason::PhotoNotReceived => "照片文件未上传",
            RejectReason::UnknownHousehold => "农户未登记",
            RejectReason::NotPaired => "非结对户",
            RejectReason::Retracted => "已撤回",
            RejectReason::AfterDeadline => "超过期限",
            RejectReason::NoNote => "无走访记录内容",
            RejectReason::OtherVillage => "不在本村",
            RejectReason::ClockUntrusted => "设备时间异常",
            RejectReason::FoundFalse => "核查不属实",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    pub records: Vec<RecordId>,
    pub reason: RejectReason,
    pub detail: String,
}

/// One requirement of a rule in one period (and village, for village-scoped rules).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    pub label_zh: String,
    /// The period, e.g. `2026-11`, or `posting` for the span of an assignment.
    pub period: String,
    pub village_id: Option<VillageId>,
    pub status: Status,
    pub counted: u32,
    pub required: u32,
    /// The last on-time day, for deadline requirements.
    pub due: Option<NaiveDate>,
    pub evidence: Vec<Evidence>,
    pub rejected: Vec<Rejection>,
}

/// The verdict on one rule for one person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub rule_id: String,
    pub seed_ref: String,
    pub title_zh: String,
    pub status: Status,
    /// Depends on data the evaluator lacked (a year the calendar does not cover).
    pub provisional: bool,
    pub parts: Vec<Part>,
}

/// Grounds for a supervisor to look twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    MockLocation,
    ImpossibleSpeed,
    PhotoReused,
    PhotoTimeOutsideVisit,
    PhotoFarFromVisit,
    DeviceClockSkew,
    ClockJump,
    /// 补录嫌疑: a record whose capture time is earlier than a record before it in its
    /// device's log (lower seq), or earlier than the device's enrolment. It was not captured
    /// when it says: typically a back-filled day.
    OutOfOrder,
    /// 上传延迟: received long after capture. Normal in a village without signal; a soft
    /// mark with the delay, server-side only.
    LateReceipt,
}

impl FlagKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            FlagKind::MockLocation => "模拟定位",
            FlagKind::ImpossibleSpeed => "速度不合理",
            FlagKind::PhotoReused => "照片重复使用",
            FlagKind::PhotoTimeOutsideVisit => "照片时间不在走访期间",
            FlagKind::PhotoFarFromVisit => "照片位置远离农户",
            FlagKind::DeviceClockSkew => "设备时间与服务器偏差大",
            FlagKind::ClockJump => "设备时间被调整",
            FlagKind::OutOfOrder => "记录时间与设备日志不符",
            FlagKind::LateReceipt => "上传延迟",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    pub kind: FlagKind,
    pub records: Vec<RecordId>,
    pub detail: String,
}

/// Everything the evaluator says about one person for one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonReport {
    pub person_id: PersonId,
    /// The month evaluated; longer periods are those containing it.
    pub period: Period,
    pub evaluated_at: DateTime<Utc>,
    pub catalogue_version: String,
    pub verdicts: Vec<Verdict>,
    pub flags: Vec<Flag>,
    /// Provisional, final or re-opened, and since when ([`crate::month_close`]); the verdicts
    /// are as of `evaluated_at`. Older reports without it read as provisional.
    #[serde(default)]
    pub standing: crate::month_close::MonthStanding,
}

impl PersonReport {
    pub fn verdict(&self, rule_id: &str) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.rule_id == rule_id)
    }
}
