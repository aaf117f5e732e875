//! Village boundaries on the phone: containment and the distance to show a cadre who checks in
//! from outside. Distances and offsets come from `zhucun_shared::geometry`.

use geo::{Contains, MultiPolygon, Point};
use zhucun_shared::org::LatLon;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Whether the boundary contains the position.
pub fn contains(boundary: &MultiPolygon<f64>, p: LatLon) -> bool {
    boundary.contains(&Point::new(p.lon, p.lat))
}

/// Distance in metres from a position to the nearest edge of the boundary (0 inside).
/// Uses a local flat projection around the position: villages are a few kilometres across.
pub fn distance_to_boundary_m(boundary: &MultiPolygon<f64>, p: LatLon) -> f64 {
    if contains(boundary, p) {
        return 0.0;
    }
    let kx = EARTH_RADIUS_M * p.lat.to_radians().cos() * std::f64::consts::PI / 180.0;
    let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let local = |c: geo::Coord<f64>| ((c.x - p.lon) * kx, (c.y - p.lat) * ky);
    let mut best = f64::INFINITY;
    for poly in boundary {
        let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
        for ring in rings {
            for seg in ring.lines() {
                let (ax, ay) = local(seg.start);
                let (bx, by) = local(seg.end);
                best = best.min(point_segment_distance(ax, ay, bx, by));
            }
        }
    }
    best
}

/// Distance from the origin to the segment a–b.
fn point_segment_distance(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    (x * x + y * y).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};
    use zhucun_shared::geometry::offset;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: 106.0, y: 26.0),
            (x: 106.01, y: 26.0),
            (x: 106.01, y: 26.01),
            (x: 106.0, y: 26.01),
        ]])
    }

    #[test]
    fn boundary_distance_is_zero_inside_and_metres_outside() {
        let b = square();
        assert_eq!(
            distance_to_boundary_m(&b, LatLon::new(26.005, 106.005)),
            0.0
        );
        let outside = offset(LatLon::new(26.005, 106.01), 200.0, 0.0);
        let d = distance_to_boundary_m(&b, outside);
        assert!((d - 200.0).abs() < 2.0, "{d}");
    }
}
