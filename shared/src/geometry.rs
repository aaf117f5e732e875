//! Distances on the ground and village boundaries in a local metric frame.
//!
//! Villages span a few kilometres, so an equirectangular projection around the village is
//! accurate to well under a metre there and lets boundary tests run on plain planar maths.

use crate::ids::VillageId;
use crate::org::{LatLon, Village};
use geo::{BoundingRect, Coord, Distance, Haversine, LineString, MultiPolygon, Polygon};

/// Metres per degree of latitude on the sphere [`distance_m`] measures on (geo's GRS80 mean
/// radius), so that offsets, flat distances and great-circle distances agree.
pub const METRES_PER_DEGREE_LAT: f64 = Haversine.radius() * std::f64::consts::PI / 180.0;

/// Metres per degree of longitude at a latitude.
pub fn metres_per_degree_lon(lat: f64) -> f64 {
    METRES_PER_DEGREE_LAT * lat.to_radians().cos()
}

/// Great-circle distance in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(a.point(), b.point())
}

/// Distance in metres by the equirectangular approximation: within a metre of the great circle
/// over the few kilometres between consecutive fixes, at a fraction of the cost.
pub fn near_distance_m(a: LatLon, b: LatLon) -> f64 {
    let kx = metres_per_degree_lon((a.lat + b.lat) / 2.0);
    let dx = (b.lon - a.lon) * kx;
    let dy = (b.lat - a.lat) * METRES_PER_DEGREE_LAT;
    (dx * dx + dy * dy).sqrt()
}

/// Planar distances for points near one latitude: the cosine is taken once, not per pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlatMetric {
    kx: f64,
}

impl FlatMetric {
    pub fn at(lat: f64) -> Self {
        Self {
            kx: metres_per_degree_lon(lat),
        }
    }
    /// The square of the distance in metres, for comparisons that need no root.
    pub fn distance_squared(&self, a: &crate::record::Fix, b: &crate::record::Fix) -> f64 {
        let dx = (b.lon - a.lon) * self.kx;
        let dy = (b.lat - a.lat) * METRES_PER_DEGREE_LAT;
        dx * dx + dy * dy
    }
}

/// A flat frame in metres around a reference point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalFrame {
    lat0: f64,
    lon0: f64,
    kx: f64,
}

impl LocalFrame {
    pub fn around(origin: LatLon) -> Self {
        Self {
            lat0: origin.lat,
            lon0: origin.lon,
            kx: metres_per_degree_lon(origin.lat),
        }
    }
    pub fn project(&self, lat: f64, lon: f64) -> Coord<f64> {
        Coord {
            x: (lon - self.lon0) * self.kx,
            y: (lat - self.lat0) * METRES_PER_DEGREE_LAT,
        }
    }
}

/// A village boundary ready for fast "is this fix in the village" questions: projected to
/// metres once, with a coarse grid over its bounding box whose cells are known to lie wholly
/// inside, wholly outside, or across the boundary. Only fixes in boundary cells (or outside,
/// when a buffer is asked for) need the exact test.
#[derive(Clone, Debug)]
pub struct VillageShape {
    pub village_id: VillageId,
    frame: LocalFrame,
    /// Projected rings (exteriors and holes alike: even-odd rule).
    rings: Vec<Vec<Coord<f64>>>,
    min: Coord<f64>,
    max: Coord<f64>,
    cell: Coord<f64>,
    /// Cells per metre, to index without dividing.
    per_cell: Coord<f64>,
    grid: Vec<Cell>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Inside,
    Outside,
    Edge,
}

const GRID: usize = 16;

impl VillageShape {
    pub fn new(v: &Village) -> Self {
        let origin = v
            .boundary
            .bounding_rect()
            .map(|r| LatLon::new(r.center().y, r.center().x))
            .unwrap_or(LatLon::new(0.0, 0.0));
        let frame = LocalFrame::around(origin);
        let project_ring = |ring: &LineString<f64>| -> Vec<Coord<f64>> {
            ring.coords().map(|c| frame.project(c.y, c.x)).collect()
        };
        let rings: Vec<Vec<Coord<f64>>> = v
            .boundary
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(project_ring)
            .filter(|r| r.len() >= 3)
            .collect();
        let mut min = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut max = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for c in rings.iter().flatten() {
            min = Coord {
                x: min.x.min(c.x),
                y: min.y.min(c.y),
            };
            max = Coord {
                x: max.x.max(c.x),
                y: max.y.max(c.y),
            };
        }
        let cell = Coord {
            x: ((max.x - min.x) / GRID as f64).max(1e-9),
            y: ((max.y - min.y) / GRID as f64).max(1e-9),
        };
        let mut shape = Self {
            village_id: v.id,
            frame,
            rings,
            min,
            max,
            cell,
            per_cell: Coord {
                x: 1.0 / cell.x,
                y: 1.0 / cell.y,
            },
            grid: Vec::new(),
        };
        if shape.rings.is_empty() {
            return shape;
        }
        // Edge cells: every cell an edge passes through. Each edge is cut into pieces shorter
        // than half a cell; a piece lies within its bounding box, so marking the cells of each
        // piece's box marks every cell the edge touches.
        let mut grid = vec![Cell::Outside; GRID * GRID];
        let step = shape.cell.x.min(shape.cell.y) / 2.0;
        let cell_of = |c: Coord<f64>| {
            (
                ((c.x - min.x) * shape.per_cell.x).floor() as isize,
                ((c.y - min.y) * shape.per_cell.y).floor() as isize,
            )
        };
        for ring in &shape.rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
                let n = (len / step).ceil().max(1.0) as usize;
                let at = |k: usize| {
                    let t = k as f64 / n as f64;
                    Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    }
                };
                for k in 0..n {
                    let ((i0, j0), (i1, j1)) = (cell_of(at(k)), cell_of(at(k + 1)));
                    for j in j0.min(j1)..=j0.max(j1) {
                        for i in i0.min(i1)..=i0.max(i1) {
                            if (0..GRID as isize).contains(&i) && (0..GRID as isize).contains(&j) {
                                grid[j as usize * GRID + i as usize] = Cell::Edge;
                            }
                        }
                    }
                }
            }
        }
        // The other cells lie wholly on one side: a scanline through each row's centre tells
        // which by the parity of the crossings left of a cell's centre.
        let mut crossings = Vec::new();
        for j in 0..GRID {
            let y = min.y + (j as f64 + 0.5) * shape.cell.y;
            crossings.clear();
            for ring in &shape.rings {
                for w in ring.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if (a.y > y) != (b.y > y) {
                        crossings.push((b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x);
                    }
                }
            }
            crossings.sort_by(f64::total_cmp);
            for i in 0..GRID {
                let cell = &mut grid[j * GRID + i];
                if *cell == Cell::Edge {
                    continue;
                }
                let x = min.x + (i as f64 + 0.5) * shape.cell.x;
                let left = crossings.partition_point(|c| *c < x);
                *cell = if left % 2 == 1 {
                    Cell::Inside
                } else {
                    Cell::Outside
                };
            }
        }
        shape.grid = grid;
        shape
    }

    /// Whether the point lies inside the boundary, or within `buffer_m` of it.
    pub fn contains_within(&self, lat: f64, lon: f64, buffer_m: f64) -> bool {
        if self.grid.is_empty() {
            return false;
        }
        let p = self.frame.project(lat, lon);
        if p.x < self.min.x - buffer_m
            || p.x > self.max.x + buffer_m
            || p.y < self.min.y - buffer_m
            || p.y > self.max.y + buffer_m
        {
            return false;
        }
        let cell = if p.x >= self.min.x && p.y >= self.min.y {
            // Non-negative, so truncation is the floor.
            let i = ((p.x - self.min.x) * self.per_cell.x) as usize;
            let j = ((p.y - self.min.y) * self.per_cell.y) as usize;
            if i < GRID && j < GRID {
                self.grid[j * GRID + i]
            } else {
                Cell::Outside
            }
        } else {
            Cell::Outside
        };
        match cell {
            Cell::Inside => true,
            Cell::Outside => buffer_m > 0.0 && self.near_edge(p, buffer_m),
            Cell::Edge => self.contains_exact(p) || (buffer_m > 0.0 && self.near_edge(p, buffer_m)),
        }
    }

    /// Distance in metres from the point to the boundary, 0 inside: within `buffer_m` of the
    /// boundary exactly when [`VillageShape::contains_within`] says so.
    pub fn distance_m(&self, lat: f64, lon: f64) -> f64 {
        if self.grid.is_empty() {
            return f64::INFINITY;
        }
        if self.contains_within(lat, lon, 0.0) {
            return 0.0;
        }
        let p = self.frame.project(lat, lon);
        self.rings
            .iter()
            .flat_map(|ring| ring.windows(2))
            .map(|w| segment_distance2(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min)
            .sqrt()
    }

    /// Even-odd ray casting over all rings.
    fn contains_exact(&self, p: Coord<f64>) -> bool {
        let mut inside = false;
        for ring in &self.rings {
            let mut j = ring.len() - 1;
            for i in 0..ring.len() {
                let (a, b) = (ring[i], ring[j]);
                if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    }

    /// Whether some edge passes within `r` of `p` (squared distances: no roots).
    fn near_edge(&self, p: Coord<f64>, r: f64) -> bool {
        let r2 = r * r;
        self.rings
            .iter()
            .flat_map(|ring| ring.windows(2))
            .any(|w| segment_distance2(p, w[0], w[1]) <= r2)
    }
}

fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.x + t * dx, a.y + t * dy);
    (p.x - cx).powi(2) + (p.y - cy).powi(2)
}

/// A rectangle of roughly `w_m` × `h_m` metres centred on `centre`, as a village boundary
/// (demo data and tests).
pub fn rectangle_around(centre: LatLon, w_m: f64, h_m: f64) -> MultiPolygon<f64> {
    let dlat = h_m / 2.0 / METRES_PER_DEGREE_LAT;
    let dlon = w_m / 2.0 / metres_per_degree_lon(centre.lat);
    let ring = LineString::from(vec![
        (centre.lon - dlon, centre.lat - dlat),
        (centre.lon + dlon, centre.lat - dlat),
        (centre.lon + dlon, centre.lat + dlat),
        (centre.lon - dlon, centre.lat + dlat),
        (centre.lon - dlon, centre.lat - dlat),
    ]);
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

/// The point `east_m` metres east and `north_m` metres north of `from`.
pub fn offset(from: LatLon, east_m: f64, north_m: f64) -> LatLon {
    LatLon::new(
        from.lat + north_m / METRES_PER_DEGREE_LAT,
        from.lon + east_m / metres_per_degree_lon(from.lat),
    )
}

/// The point a share `t` (0 to 1) of the way from `a` to `b`: walking between two points a
/// few hundred metres apart, a straight line in degrees is one on the ground.
pub fn between(a: LatLon, b: LatLon, t: f64) -> LatLon {
    LatLon::new(a.lat + (b.lat - a.lat) * t, a.lon + (b.lon - a.lon) * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TownshipId;

    fn village() -> Village {
        Village {
            id: VillageId::from_u128(1),
            township_id: TownshipId::from_u128(1),
            name: "青山村".into(),
            code: None,
            boundary: rectangle_around(LatLon::new(27.7, 106.9), 2000.0, 1000.0),
            poor: true,
            exiting_this_year: false,
        }
    }

    #[test]
    fn boundary_is_buffered_by_accuracy() {
        let shape = VillageShape::new(&village());
        let c = LatLon::new(27.7, 106.9);
        assert!(shape.contains_within(c.lat, c.lon, 0.0));
        // 1030 m east of the centre: 30 m outside the edge.
        let p = offset(c, 1030.0, 0.0);
        assert!(!shape.contains_within(p.lat, p.lon, 20.0));
        assert!(shape.contains_within(p.lat, p.lon, 40.0));
        // Just inside and just outside a corner, where the grid cells are edge cells.
        let corner_in = offset(c, 995.0, 495.0);
        let corner_out = offset(c, 1005.0, 505.0);
        assert!(shape.contains_within(corner_in.lat, corner_in.lon, 0.0));
        assert!(!shape.contains_within(corner_out.lat, corner_out.lon, 0.0));
        let far = offset(c, 0.0, 5000.0);
        assert!(!shape.contains_within(far.lat, far.lon, 100.0));
    }

    #[test]
    fn boundary_distance_is_zero_inside_and_metres_outside() {
        let shape = VillageShape::new(&village());
        let c = LatLon::new(27.7, 106.9);
        assert_eq!(shape.distance_m(c.lat, c.lon), 0.0);
        for (east, north, expected) in [
            (1200.0, 0.0, 200.0),
            (0.0, -530.0, 30.0),
            (1030.0, 540.0, 50.0),
        ] {
            let p = offset(c, east, north);
            let d = shape.distance_m(p.lat, p.lon);
            assert!((d - expected).abs() < 0.5, "{east} {north}: {d}");
            // The same answer as the buffered containment test stays use.
            assert!(shape.contains_within(p.lat, p.lon, d + 0.01));
            assert!(!shape.contains_within(p.lat, p.lon, d - 0.01));
        }
    }

    #[test]
    fn offsets_match_great_circle_distance() {
        let a = LatLon::new(27.7, 106.9);
        let b = offset(a, 300.0, 400.0);
        // One metric: a flat metre is a great-circle metre (the flat frame once used 111.32 km
        // a degree against the great circle's 111.19, 0.6 m apart over these 500 m).
        assert!(
            (distance_m(a, b) - 500.0).abs() < 0.01,
            "{}",
            distance_m(a, b)
        );
        assert!((near_distance_m(a, b) - 500.0).abs() < 0.01);
        let north = offset(a, 0.0, 5000.0);
        assert!((distance_m(a, north) - 5000.0).abs() < 0.01);
        let quarter = between(a, b, 0.25);
        assert!((distance_m(a, quarter) - 125.0).abs() < 0.01);
        assert!((distance_m(quarter, b) - 375.0).abs() < 0.01);
    }

    proptest::proptest! {
        /// The grid only speeds up the answer: for any star-shaped boundary and any point it
        /// agrees with geo's exact point-in-polygon test.
        #[test]
        fn the_grid_agrees_with_the_exact_test(
            radii in proptest::collection::vec(300.0f64..1500.0, 5..40),
            points in proptest::collection::vec((-1600.0f64..1600.0, -1600.0f64..1600.0), 50),
        ) {
            use geo::Contains;
            let c = LatLon::new(27.7, 106.9);
            let n = radii.len();
            let mut ring: Vec<(f64, f64)> = radii
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let a = std::f64::consts::TAU * i as f64 / n as f64;
                    let p = offset(c, r * a.cos(), r * a.sin());
                    (p.lon, p.lat)
                })
                .collect();
            ring.push(ring[0]);
            let boundary = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
            let v = Village { boundary: boundary.clone(), ..village() };
            let shape = VillageShape::new(&v);
            for (e, nn) in points {
                let p = offset(c, e, nn);
                let exact = boundary.contains(&geo::Point::new(p.lon, p.lat));
                proptest::prop_assert_eq!(shape.contains_within(p.lat, p.lon, 0.0), exact, "at {} {}", e, nn);
            }
        }
    }
}
