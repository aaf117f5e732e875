//! The demo county: 青峰乡 of 通江县 (四川省巴中市), five villages with boundaries a couple of
//! kilometres across, households of every category, people in all nine roles, and the last
//! month and this one of trajectories (a fix a minute on duty, with gaps and poor fixes), household
//! visits with photos, notes, activities and reports. Some people do what the plan asks and some
//! fall short, so the verdicts differ. Everything goes through the same store calls as synced data.

use crate::api::sync::content_hash;
use crate::auth::hash_password;
use crate::photos::inspect::{inspect, jpeg_with_exif, DecodeLimits};
use crate::photos::ObjectStore;
use crate::store::{IncomingRecord, Org, PhotoRow, Store, StoreError, UserRow};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use geo::{LineString, MultiPolygon, Polygon};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::ids::*;
use zhucun_shared::org::*;
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::record::*;
use zhucun_shared::role::Role;

/// Every demo account has this password.
pub const DEMO_PASSWORD: &str = "zhucun2026";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("photo store: {0}")]
    Photos(String),
    #[error("password hashing: {0}")]
    Password(String),
}

#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub village: Option<String>,
}

/// What was built.
#[derive(Clone, Debug)]
pub struct DemoCounty {
    pub township: Township,
    pub logins: Vec<DemoLogin>,
    pub villages: usize,
    pub households: usize,
    pub records: usize,
    pub photos: usize,
}

impl DemoCounty {
    /// The text printed by `zhucun-server demo`.
    pub fn summary(&self, bind: SocketAddr) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n演示县：{} {}（{} 个村，{} 户，{} 条记录，{} 张照片）",
            self.township.county,
            self.township.name,
            self.villages,
            self.households,
            self.records,
            self.photos
        );
        let _ = writeln!(
            s,
            "服务地址：http://{bind}   接口文档：http://{bind}/api/openapi.json"
        );
        let _ = writeln!(s, "所有演示账号的密码：{DEMO_PASSWORD}\n");
        let _ = writeln!(s, "{:<14} {:<8} {:<16} 村", "用户名", "姓名", "岗位");
        let mut shown = std::collections::BTreeSet::new();
        for l in &self.logins {
            // One account per role, and the ones that make the demo's point.
            if shown.insert(l.role) || l.username == "duiyuan3" {
                let _ = writeln!(
                    s,
                    "{:<14} {:<8} {:<16} {}",
                    l.username,
                    l.name,
                    l.role.label_zh(),
                    l.village.as_deref().unwrap_or("全乡")
                );
            }
        }
        let _ = writeln!(
            s,
            "\n（共 {} 个账号：duizhang1-5 队长，shuji1-5 第一书记，duiyuan1-5 队员，xiezhu1-5 协助干部，bangfu1-5 帮扶责任人。）",
            self.logins.len()
        );
        s
    }
}

const COUNTY: &str = "四川省巴中市通江县";
const TOWNSHIP: &str = "青峰乡";
const CENTER: (f64, f64) = (31.932, 107.243);
/// Village name, centre offset (km east, km north), share of the plan met by its team (1 = all).
const VILLAGES: [(&str, (f64, f64), f64); 5] = [
    ("青峰村", (0.0, 0.0), 1.0),
    ("石门村", (3.3, 0.9), 1.0),
    ("柏树垭村", (-3.0, 1.4), 0.6),
    ("杨家坝村", (0.5, -3.2), 0.9),
    ("黄泥湾村", (-2.6, -2.5), 0.5),
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "何", "罗", "唐", "邓",
    "谢", "冯",
];
const GIVEN: &[&str] = &[
    "德明", "秀英", "国富", "桂兰", "建国", "玉珍", "长贵", "淑芬", "志华", "明清", "春花", "光荣",
    "永福", "翠兰", "大勇", "朝阳", "世忠", "金凤", "有才", "素华", "安全", "红梅", "中华", "文才",
];
const VISIT_NOTES: &[&str] = &[
    "了解家庭收入和务工情况，宣传产业扶持政策。",
    "查看危房改造进度，房屋主体已完工。",
    "核对家庭人口和医保参保情况，协助办理慢病卡。",
    "了解孩子就学情况，落实教育资助。",
    "查看种植的青花椒长势，联系农技员指导病虫害防治。",
    "老人身体尚可，叮嘱注意冬季取暖安全。",
    "帮助联系村里的合作社，收购自家养的土鸡。",
    "宣传小额信贷政策，户主有意发展养牛。",
];

fn km_to_deg(east_km: f64, north_km: f64) -> (f64, f64) {
    let lat = CENTER.0 + north_km / 111.0;
    let lon = CENTER.1 + east_km / (111.0 * CENTER.0.to_radians().cos());
    (lat, lon)
}

/// A point `m` metres from `p` in direction `bearing` (radians from north).
fn offset(p: LatLon, metres: f64, bearing: f64) -> LatLon {
    let dlat = metres * bearing.cos() / 111_000.0;
    let dlon = metres * bearing.sin() / (111_000.0 * p.lat.to_radians().cos());
    LatLon::new(p.lat + dlat, p.lon + dlon)
}

/// An irregular ring around `c`, about 2 km across, as a surveyed boundary would be.
fn boundary(rng: &mut StdRng, c: LatLon) -> MultiPolygon<f64> {
    let n = 16;
    let mut ring: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let r = 1_100.0 * rng.gen_range(0.8..1.15);
            let p = offset(c, r, a);
            (p.lon, p.lat)
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

fn local(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day_start(day) + Duration::minutes(i64::from(hour * 60 + minute))
}

/// One person's phone: the records it writes, in order.
struct Phone {
    device: DeviceId,
    person: PersonId,
    records: Vec<DeviceRecord>,
}

impl Phone {
    fn write(&mut self, at: DateTime<Utc>, body: RecordBody) -> RecordId {
        let id = RecordId::new();
        self.records.push(DeviceRecord {
            id,
            device_id: self.device,
            seq: 0,
            person_id: self.person,
            captured_at: at,
            body,
            received: None,
        });
        id
    }
}

struct Builder<'a, S: Store> {
    rng: StdRng,
    store: &'a S,
    objects: &'a dyn ObjectStore,
    now: DateTime<Utc>,
    photos: usize,
    last_photo: Option<(String, u64)>,
    /// Days each person already spent on duty: one duty a day, or the trajectory would jump.
    busy: std::collections::HashSet<(PersonId, NaiveDate)>,
}

/// Arrival, departure, place, and the visit (taken when made).
type PlannedVisit = (DateTime<Utc>, DateTime<Utc>, LatLon, Option<Visit>);

/// A household visit to make on a duty day.
struct Visit {
    household: Household,
    event: Option<RecordId>,
}

impl<S: Store> Builder<'_, S> {
    fn fix(&mut self, at: DateTime<Utc>, p: LatLon, mock: bool) -> Fix {
        let poor = self.rng.gen_bool(0.04);
        self.fix_of(at, p, mock, poor)
    }

    /// At a check-in the app waits for a good fix.
    fn good_fix(&mut self, at: DateTime<Utc>, p: LatLon, mock: bool) -> Fix {
        self.fix_of(at, p, mock, false)
    }

    fn fix_of(&mut self, at: DateTime<Utc>, p: LatLon, mock: bool, poor: bool) -> Fix {
        let jitter = if poor {
            self.rng.gen_range(120.0..350.0)
        } else {
            self.rng.gen_range(0.0..12.0)
        };
        let q = offset(p, jitter, self.rng.gen_range(0.0..std::f64::consts::TAU));
        Fix {
            lat: q.lat,
            lon: q.lon,
            accuracy_m: if poor {
                self.rng.gen_range(150.0..400.0)
            } else {
                self.rng.gen_range(4.0..25.0)
            },
            time: at,
            monotonic_ms: None,
            provider: if poor {
                FixProvider::Network
            } else {
                FixProvider::Fused
            },
            mock,
        }
    }

    /// A distinct small JPEG of the visit, with the camera's EXIF time and position.
    async fn photo(
        &mut self,
        phone: &mut Phone,
        at: DateTime<Utc>,
        p: LatLon,
        attached_to: RecordId,
        reuse: bool,
    ) -> Result<(), DemoError> {
        let (sha256, bytes) = match (&self.last_photo, reuse) {
            (Some(last), true) => last.clone(),
            _ => {
                // Random blocks: every visit's picture differs, to the eye and to a perceptual hash.
                let blocks: Vec<[u8; 3]> = (0..12 * 9).map(|_| self.rng.gen()).collect();
                let img =
                    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(96, 72, |x, y| {
                        image::Rgb(blocks[(y / 8 * 12 + x / 8) as usize])
                    }));
                let jpeg = jpeg_with_exif(&img, at, Some(p));
                let limits = DecodeLimits {
                    max_side: 10_000,
                    max_pixels: 40_000_000,
                    max_alloc: 64 << 20,
                };
                let found = inspect(&jpeg, limits).map_err(|e| DemoError::Photos(e.to_string()))?;
                use sha2::Digest;
                let sha = hex::encode(sha2::Sha256::digest(&jpeg));
                let size = jpeg.len() as u64;
                self.objects
                    .put(&sha, jpeg)
                    .await
                    .map_err(|e| DemoError::Photos(e.to_string()))?;
                self.store
                    .put_photo(&PhotoRow {
                        sha256: sha.clone(),
                        bytes: size,
                        format: found.format.into(),
                        width: found.width,
                        height: found.height,
                        facts: found.facts,
                        uploaded_by: phone.person,
                        uploaded_at: at + Duration::hours(2),
                    })
                    .await?;
                self.photos += 1;
                self.last_photo = Some((sha.clone(), size));
                (sha, size)
            }
        };
        phone.write(
            at,
            RecordBody::Photo {
                attached_to,
                sha256,
                taken_at: at,
                position: Some(p),
                bytes,
            },
        );
        Ok(())
    }

    /// A day in a village: check in, walk the visits with a fix a minute, check out.
    #[allow(clippy::too_many_arguments)]
    async fn duty_day(
        &mut self,
        phone: &mut Phone,
        village: &Village,
        office: LatLon,
        day: NaiveDate,
        (start_h, start_m): (u32, u32),
        hours: f64,
        visits: Vec<Visit>,
        quirks: Quirks,
    ) -> Result<(), DemoError> {
        let start = local(day, start_h, start_m) + Duration::minutes(self.rng.gen_range(0..15));
        let end = start + Duration::minutes((hours * 60.0) as i64 + self.rng.gen_range(0..20));
        if start >= self.now || !self.busy.insert((phone.person, day)) {
            return Ok(());
        }
        let end = end.min(self.now - Duration::minutes(1));
        let duty = phone.write(
            start,
            RecordBody::DutyStart {
                village_id: Some(village.id),
            },
        );
        let f = self.fix(start, office, quirks.mock);
        let check_in = phone.write(
            start,
            RecordBody::VillageCheckIn {
                village_id: village.id,
                fix: Some(f),
            },
        );
        // Waypoints: the office, then each household for its visit, back to the office.
        let span = (end - start).num_minutes().max(30);
        let slot = span / (visits.len() as i64 + 1);
        let mut plan: Vec<PlannedVisit> = Vec::new();
        for (i, v) in visits.into_iter().enumerate() {
            let arrive = start + Duration::minutes(slot * (i as i64 + 1) - slot / 2);
            let stay = Duration::minutes(self.rng.gen_range(9..22));
            plan.push((arrive, arrive + stay, v.household.location, Some(v)));
        }
        // A gap in the trajectory now and then: the phone in a pocket, no signal in the hollow.
        let gap = if self.rng.gen_bool(quirks.gap_chance) {
            let at = start + Duration::minutes(self.rng.gen_range(30..span.max(31)));
            let len = if self.rng.gen_bool(0.25) {
                self.rng.gen_range(25..45)
            } else {
                self.rng.gen_range(5..15)
            };
            Some((at, at + Duration::minutes(len)))
        } else {
            None
        };
        // Waypoints: at the office, at each household for its visit, back at the office.
        let mut path = vec![(start, office)];
        for (arrive, leave, loc, _) in &plan {
            path.push((*arrive, *loc));
            path.push((*leave, *loc));
        }
        path.push((end, office));
        let mut t = start + Duration::minutes(1);
        let mut next_visit = 0;
        while t < end {
            if let Some((a, b)) = gap {
                if t >= a && t < b {
                    t += Duration::minutes(1);
                    continue;
                }
            }
            let pos = position_at(&path, t);
            let f = self.fix(t, pos, quirks.mock);
            phone.write(t, RecordBody::Fix { fix: f });
            while next_visit < plan.len() && plan[next_visit].0 <= t {
                let (arrive, leave, loc, visit) = &mut plan[next_visit];
                let (arrive, leave, loc) = (*arrive, *leave, *loc);
                if let Some(v) = visit.take() {
                    if leave < end {
                        self.visit(phone, v, arrive, leave, loc, quirks).await?;
                    }
                }
                next_visit += 1;
            }
            t += Duration::minutes(1);
        }
        let f = self.fix(end, office, quirks.mock);
        phone.write(
            end,
            RecordBody::VillageCheckOut {
                check_in,
                fix: Some(f),
            },
        );
        phone.write(end, RecordBody::DutyEnd { duty });
        Ok(())
    }

    async fn visit(
        &mut self,
        phone: &mut Phone,
        v: Visit,
        arrive: DateTime<Utc>,
        leave: DateTime<Utc>,
        loc: LatLon,
        quirks: Quirks,
    ) -> Result<(), DemoError> {
        let f = self.good_fix(arrive, loc, quirks.mock);
        let check_in = phone.write(
            arrive,
            RecordBody::HouseholdCheckIn {
                household_id: v.household.id,
                fix: Some(f),
                event: v.event,
            },
        );
        let shot = arrive + Duration::minutes(self.rng.gen_range(2..6));
        let reuse = quirks.reuses_photos && self.rng.gen_bool(0.3);
        let spot = offset(loc, self.rng.gen_range(0.0..15.0), 1.0);
        self.photo(phone, shot, spot, check_in, reuse).await?;
        let text = VISIT_NOTES[self.rng.gen_range(0..VISIT_NOTES.len())].to_string();
        phone.write(
            shot + Duration::minutes(1),
            RecordBody::Note {
                attached_to: check_in,
                text,
                replaces: None,
            },
        );
        let f = self.good_fix(leave, loc, quirks.mock);
        phone.write(
            leave,
            RecordBody::HouseholdCheckOut {
                check_in,
                fix: Some(f),
            },
        );
        Ok(())
    }
}

/// Where someone following `path` is at `t`: still at a waypoint, or walking (at most twenty
/// minutes, a walking pace between houses) to the next.
fn position_at(path: &[(DateTime<Utc>, LatLon)], t: DateTime<Utc>) -> LatLon {
    for w in path.windows(2) {
        let ((a, pa), (b, pb)) = (w[0], w[1]);
        if t < a || t > b {
            continue;
        }
        let walk_from = a.max(b - Duration::minutes(20));
        if t <= walk_from || b <= walk_from {
            return pa;
        }
        let k = (t - walk_from).num_seconds() as f64 / (b - walk_from).num_seconds() as f64;
        return LatLon::new(
            pa.lat + (pb.lat - pa.lat) * k,
            pa.lon + (pb.lon - pa.lon) * k,
        );
    }
    path.last()
        .map(|p| p.1)
        .unwrap_or(LatLon::new(CENTER.0, CENTER.1))
}

#[derive(Clone, Copy, Debug)]
struct Quirks {
    mock: bool,
    reuses_photos: bool,
    gap_chance: f64,
}

const PLAIN: Quirks = Quirks {
    mock: false,
    reuses_photos: false,
    gap_chance: 0.3,
};

/// Who does what in a village's team.
struct Team {
    leader: PersonId,
    secretary: PersonId,
    member: PersonId,
    assistant: PersonId,
    pairing: PersonId,
}

/// Builds the demo county into `store` (photo files into `objects`) for the last month and
/// this one as of `now`.
pub async fn build_demo_county<S: Store>(
    store: &S,
    objects: &dyn ObjectStore,
    now: DateTime<Utc>,
) -> Result<DemoCounty, DemoError> {
    let mut rng = StdRng::seed_from_u64(2026);
    let today = local_date(now);
    let this_month =
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first of month");
    let first_day = (this_month - Duration::days(1))
        .with_day(1)
        .expect("first of month");
    let posted = first_day;

    let township = Township {
        id: TownshipId::new(),
        name: TOWNSHIP.into(),
        county: COUNTY.into(),
    };
    let mut org = Org {
        townships: vec![township.clone()],
        ..Org::default()
    };
    let mut logins = Vec::new();
    // At the server's default cost: a wrong password takes as long to refuse for a demo
    // account as for any other, or for none.
    let cost = crate::Config::default();
    let password_hash = hash_password(DEMO_PASSWORD, cost.argon2_memory_kib, cost.argon2_iterations)
        .map_err(|e| DemoError::Password(e.to_string()))?;

    let mut name_i = 0usize;
    let mut person_name = |rng: &mut StdRng| {
        name_i += 1;
        format!(
            "{}{}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[(name_i * 7 + rng.gen_range(0..3)) % GIVEN.len()]
        )
    };
    let add_person = |org: &mut Org,
                      logins: &mut Vec<DemoLogin>,
                      username: String,
                      name: String,
                      roles: &[(Role, Option<&Village>)]| {
        let id = PersonId::new();
        org.people.push(Person {
            id,
            name: name.clone(),
            township_id: township.id,
            unit_id: None,
        });
        for (role, village) in roles {
            org.assignments.push(Assignment {
                id: AssignmentId::new(),
                person_id: id,
                role: *role,
                village_id: village.map(|v| v.id),
                township_id: township.id,
                starts_on: posted,
                ends_on: None,
            });
        }
        logins.push(DemoLogin {
            username,
            name,
            role: roles[0].0,
            village: roles[0].1.map(|v| v.name.clone()),
        });
        id
    };

    // Villages and households.
    let mut villages = Vec::new();
    let mut offices = Vec::new();
    for (i, (name, (e, n), _)) in VILLAGES.iter().enumerate() {
        let (lat, lon) = km_to_deg(*e, *n);
        let c = LatLon::new(lat, lon);
        let v = Village {
            id: VillageId::new(),
            township_id: township.id,
            name: (*name).into(),
            code: Some(format!("5119210{:02}", i + 1)),
            boundary: boundary(&mut rng, c),
            poor: i != 1,
            exiting_this_year: i == 3,
        };
        // Hamlets (组) where the houses cluster.
        let hamlets: Vec<LatLon> = (0..4)
            .map(|_| {
                offset(
                    c,
                    rng.gen_range(150.0..600.0),
                    rng.gen_range(0.0..std::f64::consts::TAU),
                )
            })
            .collect();
        let count = rng.gen_range(30..=60);
        for h in 0..count {
            let hamlet = hamlets[h % hamlets.len()];
            let mut cats = Vec::new();
            // The first households are the poor ones the teams visit; then every other category.
            if h < 16 || rng.gen_bool(0.15) {
                cats.push(HouseholdCategory::Poor);
            }
            let extra = match h % 10 {
                1 => Some(HouseholdCategory::PartyMember),
                4 => Some(HouseholdCategory::Hardship),
                7 => Some(HouseholdCategory::CriticallyIll),
                8 | 9 => Some(HouseholdCategory::EmptyNestOrLeftBehind),
                _ => None,
            };
            cats.extend(extra.filter(|_| h < 30));
            org.households.push(Household {
                id: HouseholdId::new(),
                village_id: v.id,
                head_name: format!(
                    "{}{}",
                    SURNAMES[rng.gen_range(0..SURNAMES.len())],
                    GIVEN[rng.gen_range(0..GIVEN.len())]
                ),
                location: offset(
                    hamlet,
                    rng.gen_range(5.0..160.0),
                    rng.gen_range(0.0..std::f64::consts::TAU),
                ),
                categories: cats,
                members: rng.gen_range(1..=6),
            });
        }
        offices.push(offset(c, 60.0, 0.5));
        villages.push(v);
    }
    org.villages = villages.clone();

    // People in every role.
    add_person(
        &mut org,
        &mut logins,
        "admin".into(),
        "刘建华".into(),
        &[(Role::Admin, None)],
    );
    let supervisor = add_person(
        &mut org,
        &mut logins,
        "jiancha".into(),
        "陈志强".into(),
        &[(Role::Supervisor, None)],
    );
    let liaison1 = add_person(
        &mut org,
        &mut logins,
        "lianpian1".into(),
        "王国庆".into(),
        &[
            (Role::LiaisonLeader, Some(&villages[0])),
            (Role::LiaisonLeader, Some(&villages[1])),
            (Role::LiaisonLeader, Some(&villages[2])),
        ],
    );
    let liaison2 = add_person(
        &mut org,
        &mut logins,
        "lianpian2".into(),
        "李卫东".into(),
        &[
            (Role::LiaisonLeader, Some(&villages[3])),
            (Role::LiaisonLeader, Some(&villages[4])),
        ],
    );
    let agri = add_person(
        &mut org,
        &mut logins,
        "nongji".into(),
        "赵丰收".into(),
        &[
            (Role::AgriTech, Some(&villages[0])),
            (Role::AgriTech, Some(&villages[1])),
        ],
    );
    let mut teams = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        let n = i + 1;
        let leader = add_person(
            &mut org,
            &mut logins,
            format!("duizhang{n}"),
            person_name(&mut rng),
            &[(Role::TeamLeader, Some(v)), (Role::PairingCadre, Some(v))],
        );
        let secretary = add_person(
            &mut org,
            &mut logins,
            format!("shuji{n}"),
            person_name(&mut rng),
            &[
                (Role::FirstSecretary, Some(v)),
                (Role::PairingCadre, Some(v)),
            ],
        );
        let member = add_person(
            &mut org,
            &mut logins,
            format!("duiyuan{n}"),
            person_name(&mut rng),
            &[(Role::ResidentMember, Some(v))],
        );
        let assistant = add_person(
            &mut org,
            &mut logins,
            format!("xiezhu{n}"),
            person_name(&mut rng),
            &[(Role::AssistingCadre, Some(v))],
        );
        let pairing = add_person(
            &mut org,
            &mut logins,
            format!("bangfu{n}"),
            person_name(&mut rng),
            &[(Role::PairingCadre, Some(v))],
        );
        // Each pairing cadre with four or five poor households of the village.
        let poor: Vec<HouseholdId> = org
            .households
            .iter()
            .filter(|h| h.village_id == v.id && h.has(HouseholdCategory::Poor))
            .map(|h| h.id)
            .collect();
        for (k, p) in [leader, secretary, pairing].into_iter().enumerate() {
            for h in poor.iter().skip(k * 5).take(4 + k % 2) {
                org.pairings.push(Pairing {
                    id: PairingId::new(),
                    person_id: p,
                    household_id: *h,
                    starts_on: posted,
                    ends_on: None,
                });
            }
        }
        teams.push(Team {
            leader,
            secretary,
            member,
            assistant,
            pairing,
        });
    }
    store.put_org(&org).await?;
    for p in &org.people {
        let username = logins
            .iter()
            .zip(&org.people)
            .find(|(_, q)| q.id == p.id)
            .map(|(l, _)| l.username.clone())
            .unwrap_or_default();
        store
            .create_user(&UserRow {
                person_id: p.id,
                username,
                password_hash: password_hash.clone(),
                disabled: false,
                created_at: now,
            })
            .await?;
    }

    // Phones and what they recorded.
    let mut phones: HashMap<PersonId, Phone> = HashMap::new();
    for p in &org.people {
        let device = Device {
            id: DeviceId::new(),
            person_id: p.id,
            label: "演示手机".into(),
            // Before the first duty day's first fix (08:20): a record dated before its
            // phone's enrolment is flagged as back-filled.
            enrolled_at: local(posted, 8, 0),
        };
        store.enroll_device(&device).await?;
        phones.insert(
            p.id,
            Phone {
                device: device.id,
                person: p.id,
                records: Vec::new(),
            },
        );
    }
    let calendar = WorkCalendar::bundled();
    let days: Vec<NaiveDate> = first_day.iter_days().take_while(|d| *d <= today).collect();
    let working = |d: NaiveDate| {
        calendar
            .is_working_day(d)
            .unwrap_or(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    };
    let mut b = Builder {
        rng: StdRng::seed_from_u64(7),
        store,
        objects,
        now,
        photos: 0,
        last_photo: None,
        busy: Default::default(),
    };
    let households_of = |v: VillageId, poor: bool| -> Vec<Household> {
        org.households
            .iter()
            .filter(|h| h.village_id == v && h.has(HouseholdCategory::Poor) == poor)
            .cloned()
            .collect()
    };

    for (i, v) in villages.iter().enumerate() {
        let effort = VILLAGES[i].2;
        let team = &teams[i];
        let poor = households_of(v.id, true);
        let others: Vec<Household> = households_of(v.id, false)
            .into_iter()
            .filter(|h| !h.categories.is_empty())
            .collect();
        let office = offices[i];
        let mut leader_days = 0;
        for (d_i, day) in days.iter().enumerate() {
            if !working(*day) {
                continue;
            }
            // First secretary and resident member: most working days in the village.
            for (who, quirks) in [
                (team.secretary, PLAIN),
                (
                    team.member,
                    Quirks {
                        mock: i == 2 && d_i % 4 == 0,
                        ..PLAIN
                    },
                ),
            ] {
                if b.rng.gen_bool((0.85 * effort).min(0.95)) {
                    let mut phone = phones.remove(&who).expect("phone");
                    let mut visits = Vec::new();
                    for _ in 0..b.rng.gen_range(1..=3) {
                        let pool = if b.rng.gen_bool(0.5) && !others.is_empty() {
                            &others
                        } else {
                            &poor
                        };
                        visits.push(Visit {
                            household: pool[b.rng.gen_range(0..pool.len())].clone(),
                            event: None,
                        });
                    }
                    b.duty_day(&mut phone, v, office, *day, (8, 30), 8.4, visits, quirks)
                        .await?;
                    phones.insert(who, phone);
                }
            }
            // Team leader and assisting cadre: full days visiting ten or more poor households,
            // eight days a month, evenly spread, where the team does its work; fewer elsewhere.
            let month: Vec<NaiveDate> = days
                .iter()
                .copied()
                .filter(|d| d.month() == day.month() && working(*d))
                .collect();
            let wanted = (8.0 * effort).round() as usize;
            let nth = month.iter().position(|d| d == day).unwrap_or(0);
            let per = month.len().max(1);
            let on_duty = wanted > 0 && (nth * wanted) / per != ((nth + 1) * wanted) / per;
            for (k, who) in [team.leader, team.assistant].into_iter().enumerate() {
                if on_duty {
                    let mut phone = phones.remove(&who).expect("phone");
                    let n = if effort >= 0.9 {
                        12
                    } else {
                        b.rng.gen_range(7..=11)
                    };
                    let start = (d_i * 3 + k * 5) % poor.len();
                    let visits = (0..n)
                        .map(|j| Visit {
                            household: poor[(start + j) % poor.len()].clone(),
                            event: None,
                        })
                        .collect();
                    b.duty_day(&mut phone, v, office, *day, (8, 20), 8.5, visits, PLAIN)
                        .await?;
                    phones.insert(who, phone);
                    if k == 0 {
                        leader_days += 1;
                    }
                }
            }
            // The pairing cadre: a morning with their paired households once a week or so.
            if b.rng.gen_bool(if i == 4 { 0.08 } else { 0.22 }) {
                let mut phone = phones.remove(&team.pairing).expect("phone");
                let mine: Vec<Household> = org
                    .pairings
                    .iter()
                    .filter(|p| p.person_id == team.pairing)
                    .filter_map(|p| org.households.iter().find(|h| h.id == p.household_id))
                    .cloned()
                    .collect();
                let visits = (0..2)
                    .map(|_| Visit {
                        household: mine[b.rng.gen_range(0..mine.len())].clone(),
                        event: None,
                    })
                    .collect();
                let quirks = Quirks {
                    reuses_photos: i == 3,
                    ..PLAIN
                };
                b.duty_day(&mut phone, v, office, *day, (9, 0), 2.5, visits, quirks)
                    .await?;
                phones.insert(team.pairing, phone);
            }
        }
        tracing::debug!(village = %v.name, leader_days, "demo village built");

        // Paperwork: weekly entries, monthly reports, activities, one 四必到 event.
        for day in days.iter().filter(|d| d.weekday() == Weekday::Fri) {
            for who in [team.leader, team.secretary, team.member] {
                if b.rng.gen_bool(effort.min(0.97)) {
                    let at = local(*day, 17, 30);
                    if at < now {
                        let w = day.iso_week();
                        phones.get_mut(&who).expect("phone").write(
                            at,
                            RecordBody::Report {
                                kind: ReportKind::WeeklyEntry,
                                village_id: Some(v.id),
                                period: Period::Week {
                                    year: w.year(),
                                    week: w.week(),
                                },
                                title: format!("第{}周工作录入", w.week()),
                                text: "走访贫困户，收集群众诉求，整理帮扶台账。".into(),
                                attachments: vec![],
                            },
                        );
                    }
                }
            }
        }
        let leader_phone = phones.get_mut(&team.leader).expect("phone");
        let last = Period::month(first_day.year(), first_day.month());
        // Last month's report: on time where the team works, late where it does not.
        let filed = if effort >= 0.9 {
            this_month + Duration::days(3)
        } else {
            this_month + Duration::days(9)
        };
        if local(filed, 10, 0) < now {
            leader_phone.write(
                local(filed, 10, 0),
                RecordBody::Report {
                    kind: ReportKind::MonthlyReport,
                    village_id: Some(v.id),
                    period: last,
                    title: format!("{}{}完成情况及本月计划", v.name, last.label_zh()),
                    text: "完成走访全覆盖，协调解决饮水问题一件；本月计划推进产业项目。".into(),
                    attachments: vec![],
                },
            );
            leader_phone.write(
                local(filed, 10, 30),
                RecordBody::Report {
                    kind: ReportKind::InformationFeedback,
                    village_id: Some(v.id),
                    period: last,
                    title: "信息反馈".into(),
                    text: "群众反映村道破损，已报乡交通办。".into(),
                    attachments: vec![],
                },
            );
        }
        if effort >= 0.9 {
            for (kind, day) in [
                (
                    ActivityKind::OrganisationalLife,
                    first_day + Duration::days(10),
                ),
                (ActivityKind::JointMeeting, first_day + Duration::days(17)),
                (
                    ActivityKind::CollectiveActivity,
                    first_day + Duration::days(20),
                ),
            ] {
                leader_phone.write(
                    local(day, 16, 0),
                    RecordBody::Activity {
                        kind,
                        village_id: Some(v.id),
                        held_on: day,
                        person_times: None,
                        quantity: None,
                        title: kind.label_zh().into(),
                        text: "帮扶单位党支部与村党支部共同开展。".into(),
                    },
                );
            }
        }
        let event_day = first_day + Duration::days(12 + i as i64);
        let family = others.first().or(poor.first()).cloned();
        if let Some(h) = family {
            let event = leader_phone.write(
                local(event_day, 8, 0),
                RecordBody::VillageEvent {
                    village_id: v.id,
                    kind: EventKind::ALL[i % EventKind::ALL.len()],
                    occurred_at: local(event_day, 7, 0),
                    household_id: Some(h.id),
                    description: format!(
                        "{}家{}",
                        h.head_name,
                        EventKind::ALL[i % EventKind::ALL.len()].label_zh()
                    ),
                },
            );
            // Attended within three days where the team works.
            let mut attend = event_day + Duration::days(if effort >= 0.9 { 1 } else { 5 });
            while b.busy.contains(&(team.secretary, attend)) {
                attend += Duration::days(1);
            }
            let mut phone = phones.remove(&team.secretary).expect("phone");
            b.duty_day(
                &mut phone,
                v,
                office,
                attend,
                (9, 0),
                3.0,
                vec![Visit {
                    household: h,
                    event: Some(event),
                }],
                PLAIN,
            )
            .await?;
            phones.insert(team.secretary, phone);
        }
    }

    // Liaison leaders: half-day visits to their cluster, six households or more each.
    for (who, cluster, rate) in [
        (liaison1, [0usize, 1, 2].as_slice(), 0.75),
        (liaison2, [3usize, 4].as_slice(), 0.15),
    ] {
        let mut phone = phones.remove(&who).expect("phone");
        for (d_i, day) in days.iter().enumerate() {
            if working(*day) && b.rng.gen_bool(rate) {
                let vi = cluster[d_i % cluster.len()];
                let poor = households_of(villages[vi].id, true);
                let visits = (0..b.rng.gen_range(6..=8))
                    .map(|j| Visit {
                        household: poor[(d_i + j * 2) % poor.len()].clone(),
                        event: None,
                    })
                    .collect();
                b.duty_day(
                    &mut phone,
                    &villages[vi],
                    offices[vi],
                    *day,
                    (8, 40),
                    4.6,
                    visits,
                    PLAIN,
                )
                .await?;
            }
        }
        let filed = this_month + Duration::days(if who == liaison1 { 2 } else { 8 });
        if local(filed, 9, 0) < now {
            let last = Period::month(first_day.year(), first_day.month());
            phone.write(
                local(filed, 9, 0),
                RecordBody::Report {
                    kind: ReportKind::MonthlyLedger,
                    village_id: Some(villages[cluster[0]].id),
                    period: last,
                    title: format!("领导挂联工作月台账（{}）", last.label_zh()),
                    text: "到村开展工作情况、走访户数、协调解决问题。".into(),
                    attachments: vec![],
                },
            );
        }
        phones.insert(who, phone);
    }

    // The agricultural technician: days in the villages and trainings.
    {
        let mut phone = phones.remove(&agri).expect("phone");
        for (d_i, day) in days.iter().enumerate() {
            if working(*day) && b.rng.gen_bool(0.3) {
                let vi = d_i % 2;
                let poor = households_of(villages[vi].id, true);
                let visits = vec![Visit {
                    household: poor[d_i % poor.len()].clone(),
                    event: None,
                }];
                b.duty_day(
                    &mut phone,
                    &villages[vi],
                    offices[vi],
                    *day,
                    (8, 30),
                    6.0,
                    visits,
                    PLAIN,
                )
                .await?;
                if d_i % 9 == 0 {
                    let kind = if d_i % 18 == 0 {
                        ActivityKind::Training
                    } else {
                        ActivityKind::Technique
                    };
                    phone.write(
                        local(*day, 15, 0),
                        RecordBody::Activity {
                            kind,
                            village_id: Some(villages[vi].id),
                            held_on: *day,
                            person_times: (kind == ActivityKind::Training)
                                .then_some(b.rng.gen_range(25..50)),
                            quantity: Some(1),
                            title: if kind == ActivityKind::Training {
                                "青花椒修剪技术培训".into()
                            } else {
                                "推广稻鱼综合种养".into()
                            },
                            text: "现场示范，发放技术资料。".into(),
                        },
                    );
                }
            }
        }
        phones.insert(agri, phone);
    }

    // The supervisor: weekly patrols, a monthly inspection; the admin keeps no log.
    {
        let phone = phones.get_mut(&supervisor).expect("phone");
        for day in days.iter().filter(|d| d.weekday() == Weekday::Wed) {
            let at = local(*day, 15, 0);
            if at < now {
                phone.write(
                    at,
                    RecordBody::Activity {
                        kind: ActivityKind::Patrol,
                        village_id: Some(villages[day.day() as usize % villages.len()].id),
                        held_on: *day,
                        person_times: None,
                        quantity: None,
                        title: "驻村工作巡视".into(),
                        text: "抽查驻村干部在岗情况和走访记录。".into(),
                    },
                );
            }
        }
        let inspect_day = first_day + Duration::days(24);
        phone.write(
            local(inspect_day, 10, 0),
            RecordBody::Activity {
                kind: ActivityKind::Inspection,
                village_id: None,
                held_on: inspect_day,
                person_times: None,
                quantity: None,
                title: "月度督查".into(),
                text: "督查各村工作队台账和轨迹。".into(),
            },
        );
    }

    // Sync every phone's log, as the phones would have.
    let mut records = 0;
    for (_, mut phone) in phones {
        phone.records.sort_by_key(|r| r.captured_at);
        for (i, r) in phone.records.iter_mut().enumerate() {
            r.seq = i as u64 + 1;
        }
        // A phone syncs the evening of each day it recorded: a day's records arrive within
        // hours, not weeks (a record received days after capture carries a late mark).
        let days = phone
            .records
            .chunk_by(|a, b| local_date(a.captured_at) == local_date(b.captured_at));
        for chunk in days.flat_map(|d| d.chunks(zhucun_shared::sync::MAX_PUSH_RECORDS)) {
            let sent = chunk
                .last()
                .map(|r| r.captured_at)
                .unwrap_or(now)
                .max(chunk[0].captured_at)
                + Duration::minutes(30);
            let received_at = sent.min(now);
            let incoming: Vec<IncomingRecord> = chunk
                .iter()
                .map(|r| {
                    let mut record = r.clone();
                    record.received = Some(ServerReceipt {
                        received_at,
                        clock_offset_s: 2,
                    });
                    IncomingRecord {
                        content_hash: content_hash(r),
                        record,
                    }
                })
                .collect();
            records += store.push_records(phone.device, &incoming).await?.stored as usize;
        }
    }
    Ok(DemoCounty {
        township,
        logins,
        villages: villages.len(),
        households: org.households.len(),
        records,
        photos: b.photos,
    })
}
