//! The sync protocol between phone and server (JSON over HTTP, version 1).
//!
//! - push: a batch of one device's records. Validation is atomic: one malformed record refuses
//!   the whole batch (422, nothing stored). Records already held with identical content are
//!   acknowledged again; a record whose (device, seq) or id is held with different content is
//!   listed as a conflict and not stored; every other record is stored, all in one transaction.
//!   The answer names the highest contiguous seq the server holds for the device, so the phone
//!   can trim its queue up to it.
//! - pull: the reference data a phone needs offline, and its latest verdicts, by cursor.
//! - photos: uploaded by SHA-256, resumable (see the server's API document).

use crate::catalogue::CatalogueError;
use crate::ids::*;
use crate::org::{Directory, Person};
use crate::record::DeviceRecord;
use crate::verdict::PersonReport;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;
/// Most records one push may carry.
pub const MAX_PUSH_RECORDS: usize = 2_000;

/// The API's paths, for the server's routers and the phone's client alike. A `{…}` segment is
/// a parameter, filled by [`paths::with`].
pub mod paths {
    pub const LOGIN: &str = "/api/v1/auth/login";
    pub const LOGOUT: &str = "/api/v1/auth/logout";
    pub const SESSIONS: &str = "/api/v1/auth/sessions";
    pub const SESSION: &str = "/api/v1/auth/sessions/{id}";
    /// Enrolling a phone.
    pub const DEVICES: &str = "/api/v1/devices";
    pub const DEVICE: &str = "/api/v1/devices/{id}";
    pub const PUSH: &str = "/api/v1/sync/push";
    pub const PULL: &str = "/api/v1/sync/pull";
    /// Pictures only: a visit's photos.
    pub const PHOTO: &str = "/api/v1/photos/{sha256}";
    pub const PHOTO_STATUS: &str = "/api/v1/photos/{sha256}/status";
    /// A report's attachments: pictures and documents.
    pub const FILE: &str = "/api/v1/files/{sha256}";
    pub const FILE_STATUS: &str = "/api/v1/files/{sha256}/status";
    pub const PEOPLE: &str = "/api/v1/people";
    pub const PERSON_REPORT: &str = "/api/v1/people/{id}/report";
    pub const PERSON_TRAJECTORY: &str = "/api/v1/people/{id}/trajectory";
    pub const TEAM: &str = "/api/v1/team";
    pub const SPOT_CHECKS: &str = "/api/v1/spot-checks";
    /// The audit log, for the county office and supervisors.
    pub const AUDIT: &str = "/api/v1/audit";
    /// A checker's finding on a record, written from the review console.
    pub const FINDINGS: &str = "/api/v1/findings";
    /// A generated ledger (台账) as XLSX or CSV: `{document}` is its kind (`attendance`, …).
    pub const LEDGER: &str = "/api/v1/ledgers/{document}";
    /// The submission chain of a village's monthly ledger: its steps, and taking one.
    pub const LEDGER_SUBMISSIONS: &str = "/api/v1/ledger-submissions";
    /// 请假审批: the leave and official-absence requests the caller may decide.
    pub const LEAVE: &str = "/api/v1/leave";

    /// Every path above.
    pub const ALL: &[&str] = &[
        LOGIN,
        LOGOUT,
        SESSIONS,
        SESSION,
        DEVICES,
        DEVICE,
        PUSH,
        PULL,
        PHOTO,
        PHOTO_STATUS,
        FILE,
        FILE_STATUS,
        PEOPLE,
        PERSON_REPORT,
        PERSON_TRAJECTORY,
        TEAM,
        SPOT_CHECKS,
        AUDIT,
        FINDINGS,
        LEDGER,
        LEDGER_SUBMISSIONS,
        LEAVE,
    ];

    /// The path with its `{…}` parameter replaced by `value`.
    pub fn with(template: &str, value: impl std::fmt::Display) -> String {
        match (template.find('{'), template.find('}')) {
            (Some(open), Some(close)) if open < close => {
                format!("{}{value}{}", &template[..open], &template[close + 1..])
            }
            _ => template.to_string(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parameters_are_filled() {
            assert_eq!(with(PHOTO_STATUS, "ab12"), "/api/v1/photos/ab12/status");
            assert_eq!(with(FILE, "ab12"), "/api/v1/files/ab12");
            assert_eq!(with(PERSON_REPORT, 7), "/api/v1/people/7/report");
            assert_eq!(with(PEOPLE, 7), PEOPLE);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub protocol: u32,
    pub device_id: DeviceId,
    /// The phone's clock when it sent the batch.
    pub sent_at: DateTime<Utc>,
    pub records: Vec<DeviceRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Records stored by this push.
    pub stored: u32,
    /// Records the server already held, identical.
    pub duplicates: u32,
    pub conflicts: Vec<Conflict>,
    /// Per device: the highest seq such that the server holds some record at each of 1..=seq
    /// (a seq listed as a [`ConflictKind::Seq`] conflict is held, but not the phone's record).
    pub devices: Vec<DeviceWatermark>,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    pub id: RecordId,
    pub seq: u64,
    pub kind: ConflictKind,
    /// For people.
    pub reason: String,
}

/// What the server already holds that clashes with a pushed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// A different record at this device's seq: the phone's log has forked (a restored backup,
    /// a copied phone). The seq counts as held in the watermark; the phone must not take that
    /// as confirmation of its own record.
    Seq,
    /// The record's id already names a different record.
    Id,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceWatermark {
    pub device_id: DeviceId,
    pub contiguous_seq: u64,
}

/// Everything a phone keeps offline. `cursor` identifies the server's reference-data version;
/// a pull with the current cursor answers `changed: false` and no data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub cursor: String,
    pub changed: bool,
    pub me: Option<Person>,
    /// The part of the township the phone keeps offline: its townships, the caller's postings
    /// and pairings, the villages of those postings with their households. On the wire its
    /// lists sit beside `me` (protocol v1); `people` is left out while empty.
    #[serde(flatten)]
    pub org: Directory,
    /// The rules file in force (TOML).
    pub rules_toml: String,
    /// The working-day calendar in force (TOML, with overrides).
    pub calendar_toml: String,
    /// The server's latest verdicts for this person (not subject to the cursor).
    pub verdicts: Vec<PersonReport>,
    /// Per device: what the server holds of this person's devices.
    pub devices: Vec<DeviceWatermark>,
    /// Spot-check findings in force on this person's records (this month and last), from
    /// checkers whose jurisdiction covers them: the phone's own estimate applies them as the
    /// server's verdicts do. Left out while empty, as servers that predate findings leave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::spot_check::Finding>,
    /// The submission-chain steps of the monthly ledgers of this person's villages (this month
    /// and last), for the phone's own estimate of R-32. Left out while empty, as servers that
    /// predate the chain leave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledger_steps: Vec<crate::ledger_chain::LedgerStep>,
    /// The 四必到 events of the caller's villages recent enough to be attended or still shown
    /// overdue, with the team's check-ins linked to them and the retractions of either
    /// ([`crate::events::team_event_records`]); not subject to the cursor. Left out while
    /// empty, as servers that predate it leave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_events: Vec<crate::record::DeviceRecord>,
}

/// A checker's spot-check finding on a record (核查结论), recorded by the server in the
/// checker's own log as a note attached to the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingRequest {
    /// The record judged.
    pub record_id: crate::ids::RecordId,
    pub outcome: crate::record::FindingOutcome,
    /// What the checker found; required when the record is found false (the verdicts quote it).
    #[serde(default)]
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingResponse {
    /// The note that records the finding.
    pub finding_id: crate::ids::RecordId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub person_id: PersonId,
    pub name: String,
    pub roles: Vec<crate::role::Role>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// A name for the phone, e.g. its model.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    /// The highest contiguous seq the server holds for this device (0 for a new one).
    pub contiguous_seq: u64,
}

/// The field of a push's `i`th record, as a refusal names it: `records[3].body.fix.lat`.
pub fn pushed_field(i: usize, field: &str) -> String {
    format!("records[{i}].{field}")
}

/// Which of a push's records a refusal's field names (see [`pushed_field`]).
pub fn pushed_index(field: &str) -> Option<usize> {
    let rest = field.strip_prefix("records[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// A pull's query: the cursor of the reference data the phone holds, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A file chunk's query: where the chunk starts and how long the whole file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkQuery {
    /// Where this chunk starts in the file.
    pub offset: u64,
    /// The file's full size.
    pub total: u64,
}

/// A trajectory's query: the local day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryQuery {
    /// Local date, `2026-11-03`.
    pub date: chrono::NaiveDate,
}

/// How much of a photo the server holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoStatus {
    pub sha256: String,
    pub received_bytes: u64,
    pub complete: bool,
}

/// Every error the API answers: a stable code, a message for people, and the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<&CatalogueError> for ErrorBody {
    fn from(e: &CatalogueError) -> Self {
        let field = match e {
            CatalogueError::Entry { index, field, .. } => Some(format!("rule[{index}].{field}")),
            CatalogueError::Header { field, .. } => Some(field.clone()),
            CatalogueError::Syntax(_) => None,
        };
        ErrorBody {
            code: "invalid_rules".into(),
            message: e.to_string(),
            field,
        }
    }
}

/// A person a leader may look at, with the roles they hold today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonSummary {
    pub person: Person,
    pub roles: Vec<crate::role::Role>,
}

/// One fix of a trajectory (轨迹), with the record that carried it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrajectoryPoint {
    pub record_id: RecordId,
    /// The record's type, e.g. `fix` or `household_check_in`.
    pub kind: String,
    pub fix: crate::record::Fix,
}

/// A person's fixes of one local day, in time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trajectory {
    pub person_id: PersonId,
    pub date: chrono::NaiveDate,
    pub points: Vec<TrajectoryPoint>,
}

/// The team's query: the local day whose trajectories to give; the reports are of its month.
pub type TeamQuery = TrajectoryQuery;

/// One person of the caller's jurisdiction as the team screen needs them: who they are, their
/// verdicts for the day's month and their fixes of the day, as `/api/v1/people`,
/// `/api/v1/people/{id}/report` and `/api/v1/people/{id}/trajectory` give them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMemberDay {
    pub summary: PersonSummary,
    pub report: crate::verdict::PersonReport,
    pub trajectory: Trajectory,
    /// 定位中断 of the day, with their causes, as the member's phone wrote them (a closing
    /// note in place of the one that opened the gap). Absent from older servers.
    #[serde(default)]
    pub gaps: Vec<TeamGap>,
    /// Village stays of the day, reconstructed from the fixes as the verdicts do
    /// ([`crate::stays`]). Absent from older servers.
    #[serde(default)]
    pub stays: Vec<TeamStay>,
    /// Household visits begun that day, so that the verdicts' answer on each
    /// ([`crate::answers::server_answer`] over `report`) can be shown. Absent from older
    /// servers.
    #[serde(default)]
    pub visits: Vec<TeamVisit>,
}

/// A gap in a member's trajectory (定位中断) and its cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamGap {
    pub cause: crate::record::GapCause,
    pub from: chrono::DateTime<chrono::Utc>,
    /// Absent while the gap is still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// A stay in a village (停留), from the member's fixes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamStay {
    pub village_id: crate::ids::VillageId,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
}

/// A household visit of the day: its check-in, household and times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamVisit {
    pub check_in: RecordId,
    pub household_id: crate::ids::HouseholdId,
    pub start: chrono::DateTime<chrono::Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    /// Withdrawn by its author (撤回).
    #[serde(default)]
    pub withdrawn: bool,
}

/// Everyone within the caller's jurisdiction on one day, in one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamDay {
    pub date: chrono::NaiveDate,
    pub members: Vec<TeamMemberDay>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The phone finds the record a refusal is about in the field the server names, whether
    /// the server's checks named it or the JSON parser did.
    #[test]
    fn a_refused_field_names_its_record() {
        assert_eq!(pushed_field(3, "body.fix.lat"), "records[3].body.fix.lat");
        assert_eq!(pushed_index(&pushed_field(12, "seq")), Some(12));
        assert_eq!(pushed_index("device_id"), None);
        assert_eq!(pushed_index("records[x].seq"), None);

        let mut push = serde_json::json!({
            "protocol": 1,
            "device_id": "00000000-0000-0000-0000-000000000002",
            "sent_at": "2026-11-28T08:00:00Z",
            "records": [],
        });
        let record = |lat: serde_json::Value| {
            serde_json::json!({
                "id": "0192d2a0-0000-7000-8000-000000000001",
                "device_id": "00000000-0000-0000-0000-000000000002", "seq": 1,
                "person_id": "00000000-0000-0000-0000-000000000003",
                "captured_at": "2026-11-28T08:00:00Z",
                "body": {"type": "fix", "fix": {"lat": lat, "lon": 106.9, "accuracy_m": 8.5,
                    "time": "2026-11-28T08:00:00Z", "monotonic_ms": null,
                    "provider": "gps", "mock": false}}
            })
        };
        push["records"] = serde_json::json!([record(27.7.into()), record("north".into())]);
        let e = serde_path_to_error::deserialize::<_, PushRequest>(push).unwrap_err();
        assert_eq!(pushed_index(&e.path().to_string()), Some(1), "{}", e.path());
    }
}
