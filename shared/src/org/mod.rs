//! The organisation a township keeps: people, villages, households and who is assigned where.
//! This is reference data maintained by the township office and pulled by phones; the
//! questions asked of it live in [`Directory`] and [`jurisdiction`].

mod directory;
pub mod jurisdiction;

pub use directory::{roles_of, Directory};
pub use jurisdiction::Access;

use crate::ids::*;
use crate::role::Role;
use chrono::{DateTime, NaiveDate, Utc};
use geo::{MultiPolygon, Point};
use serde::{Deserialize, Serialize};

/// A position in WGS-84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }
    /// Both coordinates finite and within the ranges of the globe.
    pub fn is_valid(&self) -> bool {
        self.invalid_coordinate().is_none()
    }
    /// The coordinate at fault, `lat` or `lon`, with what it must be; `None` when both hold.
    pub fn invalid_coordinate(&self) -> Option<(&'static str, &'static str)> {
        // A range holds no NaN: a NaN coordinate is out of range.
        if !(-90.0..=90.0).contains(&self.lat) {
            Some(("lat", "latitude must be within -90..90"))
        } else if !(-180.0..=180.0).contains(&self.lon) {
            Some(("lon", "longitude must be within -180..180"))
        } else {
            None
        }
    }
    /// As a geo point (x = longitude, y = latitude).
    pub fn point(&self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }
}

/// A person (干部): cadre, leader, supervisor or office staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub township_id: TownshipId,
    /// The unit that sent the person, when not the township itself (派出单位).
    pub unit_id: Option<UnitId>,
}

/// A township (乡镇).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Township {
    pub id: TownshipId,
    pub name: String,
    pub county: String,
}

/// A village (村) with its boundary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Village {
    pub id: VillageId,
    pub township_id: TownshipId,
    pub name: String,
    /// Administrative code (行政区划代码), when known.
    pub code: Option<String>,
    /// Boundary in WGS-84 (x = longitude, y = latitude).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::multi_polygon))]
    pub boundary: MultiPolygon<f64>,
    /// 贫困村
    pub poor: bool,
    /// Exiting poverty this year (年度内脱贫摘帽): public commitments become quarterly.
    pub exiting_this_year: bool,
}

/// What makes a household one the plan names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HouseholdCategory {
    /// 贫困户
    Poor,
    /// 党员家庭
    PartyMember,
    /// 困难家庭
    Hardship,
    /// 危重病人家庭
    CriticallyIll,
    /// 空巢老人及留守儿童家庭
    EmptyNestOrLeftBehind,
}

impl HouseholdCategory {
    pub const ALL: [HouseholdCategory; 5] = [
        HouseholdCategory::Poor,
        HouseholdCategory::PartyMember,
        HouseholdCategory::Hardship,
        HouseholdCategory::CriticallyIll,
        HouseholdCategory::EmptyNestOrLeftBehind,
    ];
    pub fn code(self) -> &'static str {
        match self {
            HouseholdCategory::Poor => "poor",
            HouseholdCategory::PartyMember => "party_member",
            HouseholdCategory::Hardship => "hardship",
            HouseholdCategory::CriticallyIll => "critically_ill",
            HouseholdCategory::EmptyNestOrLeftBehind => "empty_nest_or_left_behind",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            HouseholdCategory::Poor => "贫困户",
            HouseholdCategory::PartyMember => "党员家庭",
            HouseholdCategory::Hardship => "困难家庭",
            HouseholdCategory::CriticallyIll => "危重病人家庭",
            HouseholdCategory::EmptyNestOrLeftBehind => "空巢老人及留守儿童家庭",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s || c.label_zh() == s)
    }
    /// The households of 四必访 (must be visited every month).
    pub fn is_must_visit(self) -> bool {
        !matches!(self, HouseholdCategory::Poor)
    }
}

/// A registered household (农户).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Household {
    pub id: HouseholdId,
    pub village_id: VillageId,
    /// 户主
    pub head_name: String,
    pub location: LatLon,
    pub categories: Vec<HouseholdCategory>,
    pub members: u32,
    /// 村民小组 (e.g. 三组), as the village's register names it; absent when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Household {
    pub fn has(&self, c: HouseholdCategory) -> bool {
        self.categories.contains(&c)
    }
}

/// A person holding a role, in a village (team roles, liaison leaders: one assignment per village
/// of the cluster) or township-wide (supervisor, admin), for a span of dates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: AssignmentId,
    pub person_id: PersonId,
    pub role: Role,
    pub village_id: Option<VillageId>,
    pub township_id: TownshipId,
    pub starts_on: NaiveDate,
    /// Last day, inclusive; open-ended when absent.
    pub ends_on: Option<NaiveDate>,
}

impl Assignment {
    /// Whether the assignment covers any day of `from..=to`.
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.starts_on <= to && self.ends_on.is_none_or(|e| e >= from)
    }
}

/// A cadre paired with a household (结对帮扶).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pairing {
    pub id: PairingId,
    pub person_id: PersonId,
    pub household_id: HouseholdId,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Pairing {
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.starts_on <= to && self.ends_on.is_none_or(|e| e >= from)
    }
}

/// A support unit (帮扶单位).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupportUnit {
    pub id: UnitId,
    pub name: String,
}

/// A support unit assigned to a village.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitAssignment {
    pub unit_id: UnitId,
    pub village_id: VillageId,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// An enrolled phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    pub person_id: PersonId,
    pub label: String,
    pub enrolled_at: DateTime<Utc>,
}
