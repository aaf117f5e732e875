//! Households nearest first, and whether a fix is inside a village.

use crate::store::Reference;
use zhucun_shared::geometry::{distance_m, VillageShape};
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

/// Measured as the server's stays are: inside or within the fix's accuracy of the boundary is
/// in the village, so that the phone never says outside where the server counts the stay.
pub fn village_check_in_position(village: &Village, fix: &Fix) -> VillagePosition {
    let d = VillageShape::new(village).distance_m(fix.lat, fix.lon);
    if d == 0.0 {
        VillagePosition::Inside
    } else if d <= fix.accuracy_m {
        VillagePosition::Uncertain { distance_m: d }
    } else {
        VillagePosition::Outside { distance_m: d }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhucun_shared::geometry::{offset, rectangle_around};
    use zhucun_shared::ids::TownshipId;
    use zhucun_shared::record::FixProvider;

    fn village(centre: LatLon) -> Village {
        Village {
            id: VillageId::from_u128(1),
            township_id: TownshipId::from_u128(2),
            name: "青山村".into(),
            code: None,
            boundary: rectangle_around(centre, 2000.0, 1000.0),
            poor: true,
            exiting_this_year: false,
        }
    }

    /// The phone once measured with its own metre and the server with another: a check-in
    /// 1000 m out with a 999 m accuracy was "maybe inside" on the phone and outside on the
    /// server. Now the phone says outside exactly where the server's stays do not count it.
    #[test]
    fn check_in_position_agrees_with_the_servers_stay_test() {
        let centre = LatLon::new(31.9, 107.2);
        let v = village(centre);
        let shape = VillageShape::new(&v);
        for (east, north, accuracy_m) in [
            (500.0, 0.0, 5.0),
            (1030.0, 0.0, 29.9),
            (1030.0, 0.0, 30.1),
            (2000.0, 0.0, 999.0),
            (2000.0, 0.0, 1001.0),
            (1300.0, 900.0, 499.0),
            (1300.0, 900.0, 501.0),
        ] {
            let p = offset(centre, east, north);
            let fix = Fix {
                lat: p.lat,
                lon: p.lon,
                accuracy_m,
                time: chrono::Utc::now(),
                monotonic_ms: None,
                provider: FixProvider::Gps,
                mock: false,
            };
            let position = village_check_in_position(&v, &fix);
            let counted = shape.contains_within(p.lat, p.lon, accuracy_m);
            assert_eq!(
                !matches!(position, VillagePosition::Outside { .. }),
                counted,
                "{east} {north} ±{accuracy_m}: {position:?}"
            );
            if let VillagePosition::Uncertain { distance_m }
            | VillagePosition::Outside { distance_m } = position
            {
                let expected = (east - 1000.0_f64).hypot((north - 500.0_f64).max(0.0));
                assert!(
                    (distance_m - expected).abs() < 0.5,
                    "{distance_m} {expected}"
                );
            }
        }
    }
}
