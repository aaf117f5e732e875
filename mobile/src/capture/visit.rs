//! Households nearest first, and whether a fix is inside a village.

use crate::geo_util::distance_to_boundary_m;
use crate::store::Reference;
use zhucun_shared::geometry::distance_m;
use zhucun_shared::ids::VillageId;
use zhucun_shared::org::{Household, LatLon, Village};
use zhucun_shared::record::Fix;

/// A household with its distance from the phone, when the phone knows where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct NearbyHousehold {
    pub household: Household,
    pub distance_m: Option<f64>,
}

/// The village's households, nearest first when there is a position, else by name.
pub fn nearest_households(
    reference: &Reference,
    village: VillageId,
    here: Option<LatLon>,
) -> Vec<NearbyHousehold> {
    let mut out: Vec<NearbyHousehold> = reference
        .org
        .households_of(village)
        .map(|h| NearbyHousehold {
            distance_m: here.map(|p| distance_m(p, h.location)),
            household: h.clone(),
        })
        .collect();
    out.sort_by(|a, b| {
        let by_distance = match (a.distance_m, b.distance_m) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => std::cmp::Ordering::Equal,
        };
        by_distance.then_with(|| a.household.head_name.cmp(&b.household.head_name))
    });
    out
}

/// Where a fix stands against a village boundary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VillagePosition {
    Inside,
    /// Outside, but within the fix's accuracy of the boundary: it may well be inside.
    Uncertain {
        distance_m: f64,
    },
    Outside {
        distance_m: f64,
    },
}

pub fn village_check_in_position(village: &Village, fix: &Fix) -> VillagePosition {
    let d = distance_to_boundary_m(&village.boundary, fix.position());
    if d == 0.0 {
        VillagePosition::Inside
    } else if d <= fix.accuracy_m {
        VillagePosition::Uncertain { distance_m: d }
    } else {
        VillagePosition::Outside { distance_m: d }
    }
}
