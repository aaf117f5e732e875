//! Household visits (走访): a check-in at a registered household, its fixes, photos, notes and
//! check-out, assembled from separate records and checked against the interpretation.

use crate::catalogue::Interpretation;
use crate::geometry::{distance_m, near_distance_m};
use crate::ids::{HouseholdId, PersonId, RecordId};
use crate::org::{Household, LatLon};
use crate::period::local_label;
use crate::plausibility::PhotoFiles;
use crate::record::{DeviceRecord, Fix, RecordBody};
use crate::stays::TrackPoint;
use crate::verdict::{Flag, FlagKind, RejectReason, Rejection};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A photo attached to a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitPhoto {
    pub record: RecordId,
    pub sha256: String,
    pub taken_at: DateTime<Utc>,
    pub position: Option<LatLon>,
    pub captured_at: DateTime<Utc>,
}

/// A visit as assembled from its records.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdVisit {
    pub check_in: RecordId,
    pub person_id: PersonId,
    pub household_id: HouseholdId,
    pub event: Option<RecordId>,
    pub start: DateTime<Utc>,
    pub check_out: Option<RecordId>,
    pub end: Option<DateTime<Utc>>,
    pub fixes: Vec<TrackPoint>,
    pub photos: Vec<VisitPhoto>,
    /// Notes in force, oldest first: every note attached to the visit except one that another
    /// note of the visit `replaces` (the correction is shown in its place) or that is blank
    /// (cleared).
    pub notes: Vec<(RecordId, String)>,
}

impl HouseholdVisit {
    pub fn records(&self) -> Vec<RecordId> {
        let mut r = vec![self.check_in];
        r.extend(self.check_out);
        r.extend(self.photos.iter().map(|p| p.record));
        r
    }

    /// The most accurate fix taken at the visit (check-in, later visit fixes, check-out),
    /// the first of equals.
    pub fn best_fix(&self) -> Option<&Fix> {
        self.fixes.iter().map(|p| &p.fix).reduce(|best, f| {
            if f.accuracy_m < best.accuracy_m {
                f
            } else {
                best
            }
        })
    }
}

/// The check-in a record belongs to when it is part of a visit: its own id for a check-in,
/// the check-in it names for a check-out, visit fix, photo or note (which may also name
/// another kind of record: then it is no visit's).
pub fn visit_of(rec: &DeviceRecord) -> Option<RecordId> {
    match &rec.body {
        RecordBody::HouseholdCheckIn { .. } => Some(rec.id),
        RecordBody::HouseholdCheckOut { check_in, .. } | RecordBody::VisitFix { check_in, .. } => {
            Some(*check_in)
        }
        RecordBody::Photo { attached_to, .. } | RecordBody::Note { attached_to, .. } => {
            Some(*attached_to)
        }
        _ => None,
    }
}

/// Records withdrawn by a retraction from their own author (一条撤回只撤回本人的记录).
pub fn withdrawn<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord> + Clone,
) -> HashSet<RecordId> {
    let retractions: HashSet<(RecordId, PersonId)> = records
        .clone()
        .into_iter()
        .filter_map(|r| match &r.body {
            RecordBody::Retraction { target, .. } => Some((*target, r.person_id)),
            _ => None,
        })
        .collect();
    if retractions.is_empty() {
        return HashSet::new();
    }
    records
        .into_iter()
        .filter(|r| retractions.contains(&(r.id, r.person_id)))
        .map(|r| r.id)
        .collect()
}

/// A visit as a device's own log shows it, withdrawals included.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedVisit {
    /// Assembled from the log's records that are not withdrawn.
    pub visit: HouseholdVisit,
    /// The check-in itself was withdrawn: the visit no longer counts, but the log still shows it.
    pub withdrawn: bool,
}

/// Visits as a log shows them (the phone's screens): withdrawn records are left out as the
/// server leaves them out ([`assemble_visits`] sees the same visits), except that a visit whose
/// check-in was withdrawn is kept, marked. Any order; repeats ignored.
pub fn logged_visits<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord> + Clone,
) -> Vec<LoggedVisit> {
    let gone = withdrawn(records.clone());
    let kept = records
        .into_iter()
        .filter(|r| !gone.contains(&r.id) || matches!(r.body, RecordBody::HouseholdCheckIn { .. }));
    assemble_visits(kept)
        .into_iter()
        .map(|visit| LoggedVisit {
            withdrawn: gone.contains(&visit.check_in),
            visit,
        })
        .collect()
}

/// Assembles visits from non-retracted records (any order; a record given twice counts once).
///
/// The first check-out ends a visit (by its time, then id): a check-out sent again or pressed
/// twice cannot lengthen a visit after the cadre left, nor let photos taken later count.
pub fn assemble_visits<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord>,
) -> Vec<HouseholdVisit> {
    let mut visits: BTreeMap<RecordId, HouseholdVisit> = BTreeMap::new();
    let mut attached: Vec<&DeviceRecord> = Vec::new();
    let mut seen: HashSet<RecordId> = HashSet::new();
    for r in records {
        if !seen.insert(r.id) {
            continue;
        }
        if let RecordBody::HouseholdCheckIn {
            household_id,
            fix,
            event,
        } = &r.body
        {
            visits.insert(
                r.id,
                HouseholdVisit {
                    check_in: r.id,
                    person_id: r.person_id,
                    household_id: *household_id,
                    event: *event,
                    start: r.captured_at,
                    check_out: None,
                    end: None,
                    fixes: fix.iter().map(|f| TrackPoint::new(r.id, *f)).collect(),
                    photos: Vec::new(),
                    notes: Vec::new(),
                },
            );
        } else {
            attached.push(r);
        }
    }
    // (visit, note): a correction replaces a note of its own visit only, so that a visit's
    // notes follow from the visit's own records.
    let mut replaced: HashSet<(RecordId, RecordId)> = HashSet::new();
    // Sorted so that the earliest check-out wins whatever the arrival order.
    attached.sort_by_key(|r| (r.captured_at, r.id));
    for r in attached {
        let same_person = |v: &HouseholdVisit| v.person_id == r.person_id;
        match &r.body {
            RecordBody::HouseholdCheckOut { check_in, fix } => {
                if let Some(v) = visits.get_mut(check_in).filter(|v| same_person(v)) {
                    if v.check_out.is_none() {
                        v.check_out = Some(r.id);
                        v.end = Some(r.captured_at);
                    }
                    v.fixes
                        .extend(fix.iter().map(|f| TrackPoint::new(r.id, *f)));
                }
            }
            RecordBody::VisitFix { check_in, fix } => {
                if let Some(v) = visits.get_mut(check_in).filter(|v| same_person(v)) {
                    v.fixes.push(TrackPoint::new(r.id, *fix));
                }
            }
            RecordBody::Photo {
                attached_to,
                sha256,
                taken_at,
                position,
                ..
            } => {
                if let Some(v) = visits.get_mut(attached_to).filter(|v| same_person(v)) {
                    v.photos.push(VisitPhoto {
                        record: r.id,
                        sha256: sha256.clone(),
                        taken_at: *taken_at,
                        position: *position,
                        captured_at: r.captured_at,
                    });
                }
            }
            RecordBody::Note {
                attached_to,
                text,
                replaces,
                ..
            } => {
                if let Some(v) = visits.get_mut(attached_to).filter(|v| same_person(v)) {
                    replaced.extend(replaces.map(|old| (*attached_to, old)));
                    v.notes.push((r.id, text.clone()));
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<HouseholdVisit> = visits.into_values().collect();
    for v in &mut out {
        v.notes
            .retain(|(id, text)| !replaced.contains(&(v.check_in, *id)) && !text.trim().is_empty());
    }
    out.sort_by_key(|v| (v.start, v.check_in));
    out
}

/// Photos that appeared earlier elsewhere: the same file (SHA-256) or the same picture
/// re-encoded (perceptual hash), attached to another visit. The first use stands.
pub fn reused_photos(
    visits: &[HouseholdVisit],
    files: PhotoFiles<'_>,
) -> HashMap<RecordId, RecordId> {
    reused_among(
        visits.iter().flat_map(|v| {
            v.photos.iter().map(move |p| PhotoUse {
                captured_at: p.captured_at,
                record: p.record,
                sha256: &p.sha256,
                visit: v.check_in,
            })
        }),
        files,
    )
}

/// A photo attached to a visit, as [`reused_among`] reads it.
#[derive(Clone, Copy, Debug)]
pub struct PhotoUse<'a> {
    pub captured_at: DateTime<Utc>,
    pub record: RecordId,
    pub sha256: &'a str,
    /// The visit's check-in.
    pub visit: RecordId,
}

/// [`reused_photos`] over the photos of visits given one by one: each photo once, with the
/// check-in of the visit it is attached to (by the visit's own author, as [`assemble_visits`]
/// attaches it), in any order.
pub fn reused_among<'a>(
    photos: impl IntoIterator<Item = PhotoUse<'a>>,
    files: PhotoFiles<'_>,
) -> HashMap<RecordId, RecordId> {
    let mut photos: Vec<PhotoUse<'a>> = photos.into_iter().collect();
    photos.sort_by_key(|p| (p.captured_at, p.record));
    let mut first_by_key: HashMap<&str, (RecordId, RecordId)> = HashMap::new();
    let mut reused = HashMap::new();
    for p in photos {
        let keys =
            std::iter::once(p.sha256).chain(files.facts(p.sha256).and_then(|f| f.phash.as_deref()));
        let mut original = None;
        for k in keys {
            match first_by_key.get(k) {
                Some((orig_photo, orig_visit)) if *orig_visit != p.visit => {
                    original.get_or_insert(*orig_photo);
                }
                Some(_) => {}
                None => {
                    first_by_key.insert(k, (p.record, p.visit));
                }
            }
        }
        if let Some(o) = original {
            reused.insert(p.record, o);
        }
    }
    reused
}

/// Why one visit does not (or will not) count, with the numbers of the rules in force: the
/// evaluator's own checks of a visit ([`check_visit`] uses the same functions), typed so that
/// the text is rendered from them.
#[derive(Clone, Debug, PartialEq)]
pub enum VisitShortfall {
    /// 不在值守: the visit started off duty.
    NotOnDuty,
    /// 未进村签到: not checked into the household's village when the visit started.
    NotInVillage,
    /// 无可用定位: no usable fix (after check-out: none came).
    NoFix,
    /// 距农户 … 米，超出 … 米: the nearest usable fix is farther than the radius plus its
    /// accuracy (capped).
    TooFar { distance_m: f64, allowed_m: f64 },
    /// 走访 … 分钟，不足 … 分钟
    TooShort { seconds: i64, required_minutes: i64 },
    /// 走访期间无照片
    NoPhoto,
}

impl VisitShortfall {
    /// Whether the visit counts for no rule at all. A visit made without a village check-in
    /// still counts as a pairing visit; it only does not count towards the village's
    /// stays.
    pub fn counts_for_nothing(&self) -> bool {
        !matches!(self, VisitShortfall::NotInVillage)
    }
}

/// The nearest usable fix's shortfall, if any: none usable, or too far from `at`.
pub fn fix_shortfall<'f>(
    fixes: impl IntoIterator<Item = &'f Fix>,
    at: LatLon,
    interp: &Interpretation,
) -> Option<VisitShortfall> {
    let cap = interp.household_accuracy_cap_m;
    let nearest = fixes
        .into_iter()
        .filter(|f| !f.mock && f.accuracy_m <= interp.max_fix_accuracy_m)
        .map(|f| (near_distance_m(f.position(), at), f.accuracy_m))
        .min_by(|a, b| (a.0 - a.1.min(cap)).total_cmp(&(b.0 - b.1.min(cap))));
    match nearest {
        None => Some(VisitShortfall::NoFix),
        Some((d, acc)) => {
            let allowed = interp.household_radius_m + acc.min(cap);
            (d > allowed).then_some(VisitShortfall::TooFar {
                distance_m: d,
                allowed_m: allowed,
            })
        }
    }
}

/// A visit from `start` to `end` that is shorter than the minimum.
pub fn duration_shortfall(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interp: &Interpretation,
) -> Option<VisitShortfall> {
    (end - start < Duration::minutes(interp.min_visit_minutes)).then(|| VisitShortfall::TooShort {
        seconds: (end - start).num_seconds(),
        required_minutes: interp.min_visit_minutes,
    })
}

/// Whether a photo was taken during the visit (by the time the phone gave it).
pub fn taken_during(p: &VisitPhoto, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    p.taken_at >= start && p.taken_at <= end
}

/// What the phone knows of a visit at the doorstep: its records so far, and whether the cadre
/// was on duty and checked into the household's village when it started.
#[derive(Clone, Copy, Debug)]
pub struct VisitSoFar<'a> {
    pub visit: &'a HouseholdVisit,
    pub household: &'a Household,
    pub on_duty: bool,
    pub in_village: bool,
}

/// Why a visit will not count, by the evaluator's checks of what is known so far: at
/// check-in duty, village and the fix (a visit without a fix yet may still get one), at
/// check-out also the duration and a photo taken during it. Empty: it will count as far as
/// the phone can tell (the server also checks photo files, reuse and the trajectory).
pub fn visit_shortfalls(so_far: &VisitSoFar<'_>, interp: &Interpretation) -> Vec<VisitShortfall> {
    let v = so_far.visit;
    let mut out = Vec::new();
    if !so_far.on_duty {
        out.push(VisitShortfall::NotOnDuty);
    }
    if !so_far.in_village {
        out.push(VisitShortfall::NotInVillage);
    }
    let fix = fix_shortfall(
        v.fixes.iter().map(|p| &p.fix),
        so_far.household.location,
        interp,
    );
    match (fix, v.end) {
        (Some(VisitShortfall::NoFix), None) => {}
        (Some(s), _) => out.push(s),
        (None, _) => {}
    }
    if let Some(end) = v.end {
        out.extend(duration_shortfall(v.start, end, interp));
        if !v.photos.iter().any(|p| taken_during(p, v.start, end)) {
            out.push(VisitShortfall::NoPhoto);
        }
    }
    out
}

/// The result of checking one visit.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitCheck {
    pub valid: bool,
    pub rejections: Vec<Rejection>,
    pub flags: Vec<Flag>,
}

/// Checks a visit: registered household, a good fix close enough, long enough, and a photo
/// taken during it that is not reused. `track` is the person's cleaned trajectory: fixes taken
/// during the visit count as the visit's own.
pub fn check_visit(
    v: &HouseholdVisit,
    households: &HashMap<HouseholdId, &Household>,
    track: &[TrackPoint],
    reused: &HashMap<RecordId, RecordId>,
    files: PhotoFiles<'_>,
    interp: &Interpretation,
) -> VisitCheck {
    let mut rejections = Vec::new();
    let mut flags = Vec::new();
    let reject = |reason: RejectReason, detail: String| Rejection {
        records: v.records(),
        reason,
        detail,
    };
    let Some(h) = households.get(&v.household_id) else {
        return VisitCheck {
            valid: false,
            rejections: vec![reject(
                RejectReason::UnknownHousehold,
                format!("农户 {}", v.household_id),
            )],
            flags,
        };
    };
    let Some(end) = v.end else {
        return VisitCheck {
            valid: false,
            rejections: vec![reject(
                RejectReason::NotCheckedOut,
                format!("{} {}", h.head_name, local_label(v.start)),
            )],
            flags,
        };
    };
    let minutes = (end - v.start).num_seconds() as f64 / 60.0;
    if duration_shortfall(v.start, end, interp).is_some() {
        rejections.push(reject(
            RejectReason::VisitTooShort,
            format!(
                "{} 走访 {:.1} 分钟, 需 {} 分钟",
                h.head_name, minutes, interp.min_visit_minutes
            ),
        ));
    }
    // Fixes: the visit's own, plus trajectory fixes taken during it.
    let (from, to) = (v.start.timestamp_millis(), end.timestamp_millis());
    let lo = track.partition_point(|p| p.t < from);
    let during = track[lo..].iter().take_while(|p| p.t <= to);
    let fixes: Vec<&Fix> = v
        .fixes
        .iter()
        .map(|p| &p.fix)
        .chain(during.map(|p| &p.fix))
        .collect();
    if fixes.iter().any(|f| f.mock) {
        flags.push(Flag {
            kind: FlagKind::MockLocation,
            records: v.records(),
            detail: format!("{} 走访含模拟定位", h.head_name),
        });
    }
    match fix_shortfall(fixes.iter().copied(), h.location, interp) {
        Some(VisitShortfall::NoFix) => rejections.push(reject(
            RejectReason::NoFix,
            format!("{} 走访无可用定位", h.head_name),
        )),
        Some(VisitShortfall::TooFar {
            distance_m,
            allowed_m,
        }) => rejections.push(reject(
            RejectReason::TooFarFromHousehold,
            format!(
                "{} 最近定位距农户 {:.0} 米, 允许 {:.0} 米",
                h.head_name, distance_m, allowed_m
            ),
        )),
        _ => {}
    }
    // Photos: taken during the visit and not reused from another.
    let mut good_photo = false;
    let mut missing_file = false;
    for p in &v.photos {
        let during = taken_during(p, v.start, end);
        if !files.held(&p.sha256) {
            missing_file = true;
            continue;
        }
        let exif = files.facts(&p.sha256);
        if let Some(orig) = reused.get(&p.record) {
            flags.push(Flag {
                kind: FlagKind::PhotoReused,
                records: vec![p.record, *orig],
                detail: format!("{} 走访照片与其他走访重复", h.head_name),
            });
            continue;
        }
        let exif_outside = exif.and_then(|f| f.exif_time).is_some_and(|t| {
            t < v.start - Duration::minutes(interp.clock_skew_minutes)
                || t > end + Duration::minutes(interp.clock_skew_minutes)
        });
        if !during || exif_outside {
            flags.push(Flag {
                kind: FlagKind::PhotoTimeOutsideVisit,
                records: vec![p.record, v.check_in],
                detail: format!(
                    "{} 照片拍摄于 {}, 走访 {} – {}",
                    h.head_name,
                    local_label(p.taken_at),
                    local_label(v.start),
                    local_label(end)
                ),
            });
        }
        let position = exif.and_then(|f| f.exif_position).or(p.position);
        if let Some(pos) = position {
            let d = distance_m(pos, h.location);
            if d > interp.photo_far_m {
                flags.push(Flag {
                    kind: FlagKind::PhotoFarFromVisit,
                    records: vec![p.record, v.check_in],
                    detail: format!("{} 照片位置距农户 {:.0} 米", h.head_name, d),
                });
            }
        }
        if during && !exif_outside {
            good_photo = true;
        }
    }
    if !good_photo {
        let reason = if v.photos.iter().any(|p| reused.contains_key(&p.record)) {
            RejectReason::PhotoReused
        } else if missing_file {
            RejectReason::PhotoNotReceived
        } else {
            RejectReason::NoPhotoDuringVisit
        };
        rejections.push(reject(reason, format!("{} 走访无有效照片", h.head_name)));
    }
    VisitCheck {
        valid: rejections.is_empty(),
        rejections,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::synth::Recorder;

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-11-16T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    fn recorder() -> Recorder {
        Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2))
    }

    fn check_in(rec: &mut Recorder, minute: i64) -> DeviceRecord {
        rec.record(
            t(minute),
            RecordBody::HouseholdCheckIn {
                household_id: HouseholdId::from_u128(3),
                fix: None,
                event: None,
            },
        )
    }

    fn note(
        rec: &mut Recorder,
        on: RecordId,
        text: &str,
        replaces: Option<RecordId>,
    ) -> DeviceRecord {
        rec.record(
            t(1),
            RecordBody::Note {
                attached_to: on,
                text: text.into(),
                replaces,
                kind: None,
            },
        )
    }

    #[test]
    fn a_record_given_twice_counts_once() {
        let mut rec = recorder();
        let visit = check_in(&mut rec, 0);
        let photo = rec.photo(visit.id, t(1), None);
        let v = assemble_visits([&visit, &photo, &photo, &visit]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].photos.len(), 1);
    }

    #[test]
    fn the_first_check_out_ends_the_visit_whatever_the_arrival_order() {
        let mut rec = recorder();
        let visit = check_in(&mut rec, 0);
        let out = |rec: &mut Recorder, m| {
            rec.record(
                t(m),
                RecordBody::HouseholdCheckOut {
                    check_in: visit.id,
                    fix: None,
                },
            )
        };
        let (first, again) = (out(&mut rec, 6), out(&mut rec, 20));
        let v = assemble_visits([&again, &visit, &first]);
        assert_eq!((v[0].check_out, v[0].end), (Some(first.id), Some(t(6))));
    }

    #[test]
    fn a_correction_replaces_a_note_of_its_own_visit_only() {
        let mut rec = recorder();
        let (a, b) = (check_in(&mut rec, 0), check_in(&mut rec, 10));
        let on_a = note(&mut rec, a.id, "户主腿伤", None);
        let on_b = note(&mut rec, b.id, "茶园缺肥", Some(on_a.id));
        let fixed = note(&mut rec, b.id, "茶园缺肥, 已联系农技员", Some(on_b.id));
        let v = assemble_visits([&a, &b, &on_a, &on_b, &fixed]);
        let texts = |i: usize| {
            v[i].notes
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(0), vec!["户主腿伤"]);
        assert_eq!(texts(1), vec!["茶园缺肥, 已联系农技员"]);
    }

    #[test]
    fn a_log_shows_a_withdrawn_visit_marked_and_a_withdrawn_photo_not_at_all() {
        let mut rec = recorder();
        let (a, b) = (check_in(&mut rec, 0), check_in(&mut rec, 10));
        let photo = rec.photo(b.id, t(11), None);
        let retract = |rec: &mut Recorder, target| {
            rec.record(
                t(12),
                RecordBody::Retraction {
                    target,
                    reason: "撤回".into(),
                },
            )
        };
        let (ra, rp) = (retract(&mut rec, a.id), retract(&mut rec, photo.id));
        let log = [a.clone(), b.clone(), photo, ra, rp];
        let shown: Vec<(RecordId, bool, usize)> = logged_visits(&log)
            .into_iter()
            .map(|l| (l.visit.check_in, l.withdrawn, l.visit.photos.len()))
            .collect();
        assert_eq!(shown, vec![(a.id, true, 0), (b.id, false, 0)]);
    }

    /// The phone's at-once answer ([`visit_shortfalls`]) and the evaluator's ([`check_visit`])
    /// name the same shortfalls, with the numbers of the rules in force.
    #[rstest::rstest]
    #[case::counted(20.0, 10, true, vec![])]
    #[case::far_away(598_000.0, 10, true, vec![RejectReason::TooFarFromHousehold])]
    #[case::one_minute(0.0, 1, true, vec![RejectReason::VisitTooShort])]
    #[case::no_photo(0.0, 10, false, vec![RejectReason::NoPhotoDuringVisit])]
    #[case::all_wrong(120.0, 1, false, vec![
        RejectReason::VisitTooShort,
        RejectReason::TooFarFromHousehold,
        RejectReason::NoPhotoDuringVisit,
    ])]
    fn the_phones_answer_is_the_evaluators(
        #[case] north_m: f64,
        #[case] minutes: i64,
        #[case] photo: bool,
        #[case] reasons: Vec<RejectReason>,
    ) {
        use crate::geometry::METRES_PER_DEGREE_LAT;
        let interp = crate::catalogue::Catalogue::bundled().interpretation;
        let home = LatLon {
            lat: 26.5,
            lon: 107.9,
        };
        let household = Household {
            id: HouseholdId::from_u128(3),
            village_id: crate::ids::VillageId::from_u128(4),
            head_name: "杨德明".into(),
            location: home,
            categories: Vec::new(),
            members: 3,
            group: None,
        };
        let mut rec = recorder();
        let fix = Fix {
            lat: home.lat + north_m / METRES_PER_DEGREE_LAT,
            lon: home.lon,
            accuracy_m: 10.0,
            time: t(0),
            monotonic_ms: None,
            provider: crate::record::FixProvider::Gps,
            mock: false,
        };
        let visit = rec.record(
            t(0),
            RecordBody::HouseholdCheckIn {
                household_id: household.id,
                fix: Some(fix),
                event: None,
            },
        );
        let mut log = vec![visit.clone()];
        if photo {
            log.push(rec.photo(visit.id, t(0) + Duration::seconds(20), None));
        }
        let at_door = |log: &[DeviceRecord]| {
            let v = &assemble_visits(log)[0];
            visit_shortfalls(
                &VisitSoFar {
                    visit: v,
                    household: &household,
                    on_duty: true,
                    in_village: true,
                },
                &interp,
            )
        };
        let at_check_in = at_door(&log);
        log.push(rec.record(
            t(minutes),
            RecordBody::HouseholdCheckOut {
                check_in: visit.id,
                fix: None,
            },
        ));
        let at_check_out = at_door(&log);
        let v = &assemble_visits(&log)[0];
        let households = HashMap::from([(household.id, &household)]);
        let check = check_visit(
            v,
            &households,
            &[],
            &HashMap::new(),
            PhotoFiles::Unchecked,
            &interp,
        );
        let evaluator: Vec<RejectReason> = check.rejections.iter().map(|r| r.reason).collect();
        assert_eq!(evaluator, reasons);
        let phone: Vec<RejectReason> = at_check_out
            .iter()
            .map(|s| match s {
                VisitShortfall::TooFar { .. } => RejectReason::TooFarFromHousehold,
                VisitShortfall::TooShort { .. } => RejectReason::VisitTooShort,
                VisitShortfall::NoPhoto => RejectReason::NoPhotoDuringVisit,
                VisitShortfall::NoFix => RejectReason::NoFix,
                other => panic!("{other:?}"),
            })
            .collect();
        let mut sorted = phone.clone();
        sorted.sort();
        let mut expected = reasons.clone();
        expected.sort();
        assert_eq!(sorted, expected);
        // At check-in only the distance is known.
        let far = reasons.contains(&RejectReason::TooFarFromHousehold);
        assert_eq!(
            at_check_in.iter().any(
                |s| matches!(s, VisitShortfall::TooFar { allowed_m, .. } if *allowed_m == 60.0)
            ),
            far
        );
        assert_eq!(at_check_in.len(), usize::from(far));
        if minutes == 1 {
            assert!(at_check_out.contains(&VisitShortfall::TooShort {
                seconds: 60,
                required_minutes: 5
            }));
        }
    }
}
