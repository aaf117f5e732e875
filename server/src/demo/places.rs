//! The county's places: 青峰乡 of 通江县 (四川省巴中市), five villages with irregular surveyed
//! boundaries a couple of kilometres across and an office each, and households of every
//! category clustered in hamlets (组).

use geo::{LineString, MultiPolygon, Polygon};
use rand::rngs::StdRng;
use rand::Rng;
use std::f64::consts::TAU;
use zhucun_shared::geometry::offset;
use zhucun_shared::ids::{HouseholdId, TownshipId, VillageId};
use zhucun_shared::org::{Household, HouseholdCategory, LatLon, Township, Village};
use zhucun_shared::synth::toward;

const COUNTY: &str = "四川省巴中市通江县";
const TOWNSHIP: &str = "青峰乡";
const CENTRE: LatLon = LatLon {
    lat: 31.932,
    lon: 107.243,
};

/// Village name, centre (km east, km north of the township's centre), and the share of the
/// plan its team meets (1 = all of it), so that the verdicts differ from village to village.
pub(super) const VILLAGES: [(&str, (f64, f64), f64); 5] = [
    ("青峰村", (0.0, 0.0), 1.0),
    ("石门村", (3.3, 0.9), 1.0),
    ("柏树垭村", (-3.0, 1.4), 0.6),
    ("杨家坝村", (0.5, -3.2), 0.9),
    ("黄泥湾村", (-2.6, -2.5), 0.5),
];

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "何", "罗", "唐", "邓",
    "谢", "冯",
];
pub(super) const GIVEN: &[&str] = &[
    "德明", "秀英", "国富", "桂兰", "建国", "玉珍", "长贵", "淑芬", "志华", "明清", "春花", "光荣",
    "永福", "翠兰", "大勇", "朝阳", "世忠", "金凤", "有才", "素华", "安全", "红梅", "中华", "文才",
];

/// A name drawn from the common surnames and given names.
pub(super) fn random_name(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.gen_range(0..SURNAMES.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    )
}

/// The township and what is in it.
pub(super) struct Places {
    pub township: Township,
    pub villages: Vec<Village>,
    /// Each village's office, where a day on duty starts and ends.
    pub offices: Vec<LatLon>,
    pub households: Vec<Household>,
    /// Each village's share of the plan its team meets (1 = all of it).
    pub efforts: Vec<f64>,
}

impl Places {
    /// A village's poor households (the ones teams visit), or its others.
    pub fn households_of(&self, village: VillageId, poor: bool) -> Vec<Household> {
        self.households
            .iter()
            .filter(|h| h.village_id == village && h.has(HouseholdCategory::Poor) == poor)
            .cloned()
            .collect()
    }
}

/// The township, its villages and their households; the same ones for every build.
pub(super) fn places(rng: &mut StdRng) -> Places {
    let township = Township {
        id: TownshipId::new(),
        name: TOWNSHIP.into(),
        county: COUNTY.into(),
    };
    let mut places = Places {
        township,
        villages: Vec::new(),
        offices: Vec::new(),
        households: Vec::new(),
        efforts: Vec::new(),
    };
    for (i, (name, (east_km, north_km), effort)) in VILLAGES.iter().enumerate() {
        let centre = offset(CENTRE, east_km * 1000.0, north_km * 1000.0);
        places.add_village(rng, i, (*name).into(), centre, *effort);
    }
    places
}

/// A township of `count` villages on a grid four kilometres apart, named 第N村, their teams'
/// efforts in the demo villages' turn (for benchmarks at scale).
pub(super) fn many(rng: &mut StdRng, township: &str, count: usize) -> Places {
    let mut places = Places {
        township: Township {
            id: TownshipId::new(),
            name: township.into(),
            county: COUNTY.into(),
        },
        villages: Vec::new(),
        offices: Vec::new(),
        households: Vec::new(),
        efforts: Vec::new(),
    };
    let side = (count as f64).sqrt().ceil().max(1.0) as usize;
    for i in 0..count {
        let (east, north) = ((i % side) as f64 * 4.0, (i / side) as f64 * 4.0);
        let centre = offset(CENTRE, east * 1000.0, north * 1000.0);
        let effort = VILLAGES[i % VILLAGES.len()].2;
        places.add_village(rng, i, format!("第{}村", i + 1), centre, effort);
    }
    places
}

impl Places {
    /// Village number `i` (from 0) at `centre` with its households and office.
    fn add_village(
        &mut self,
        rng: &mut StdRng,
        i: usize,
        name: String,
        centre: LatLon,
        effort: f64,
    ) {
        let village = Village {
            id: VillageId::new(),
            township_id: self.township.id,
            name,
            code: Some(format!("5119210{:02}", i + 1)),
            boundary: boundary(rng, centre),
            poor: i % 5 != 1,
            exiting_this_year: i % 5 == 3,
        };
        self.households.extend(households(rng, village.id, centre));
        self.offices.push(toward(centre, 60.0, 0.5));
        self.efforts.push(effort);
        self.villages.push(village);
    }
}

/// An irregular ring around `centre`, about 2 km across, as a surveyed boundary would be.
fn boundary(rng: &mut StdRng, centre: LatLon) -> MultiPolygon<f64> {
    let n = 16;
    let mut ring: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let bearing = i as f64 / n as f64 * TAU;
            let p = toward(centre, 1_100.0 * rng.gen_range(0.8..1.15), bearing);
            (p.lon, p.lat)
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

/// Thirty to sixty households in four hamlets; the first sixteen poor.
fn households(rng: &mut StdRng, village: VillageId, centre: LatLon) -> Vec<Household> {
    let hamlets: Vec<LatLon> = (0..4)
        .map(|_| toward(centre, rng.gen_range(150.0..600.0), rng.gen_range(0.0..TAU)))
        .collect();
    let count = rng.gen_range(30..=60);
    (0..count)
        .map(|h| {
            let categories = categories(rng, h);
            Household {
                id: HouseholdId::new(),
                village_id: village,
                head_name: random_name(rng),
                location: toward(
                    hamlets[h % hamlets.len()],
                    rng.gen_range(5.0..160.0),
                    rng.gen_range(0.0..TAU),
                ),
                categories,
                members: rng.gen_range(1..=6),
                group: None,
            }
        })
        .collect()
}

/// The first households are the poor ones the teams visit, then every other category.
fn categories(rng: &mut StdRng, h: usize) -> Vec<HouseholdCategory> {
    let mut categories = Vec::new();
    if h < 16 || rng.gen_bool(0.15) {
        categories.push(HouseholdCategory::Poor);
    }
    let extra = match h % 10 {
        1 => Some(HouseholdCategory::PartyMember),
        4 => Some(HouseholdCategory::Hardship),
        7 => Some(HouseholdCategory::CriticallyIll),
        8 | 9 => Some(HouseholdCategory::EmptyNestOrLeftBehind),
        _ => None,
    };
    categories.extend(extra.filter(|_| h < 30));
    categories
}
