//! Capture flows as plain state machines. [`CaptureState`] is a fold over the device's log
//! (so a phone killed mid-visit comes back in the same visit); [`decide`] turns a cadre's
//! command into the records to write, or refuses it; [`Capture`] writes them and moves on.
//!
//! Nothing here waits for GPS: a household check-in is saved at once with the best recent fix
//! or none, and the first good fix that arrives afterwards is saved as a `VisitFix`.

mod activity;
mod leave;
mod track;
mod visit;

pub use activity::{check_attachment, counts_quantity, made_on_site, ActivityDraft, ReportDraft};
pub use leave::{LeaveDraft, LEAVE_AHEAD_DAYS, LEAVE_BACKDATE_DAYS};
pub use track::TrackPolicy;
pub use visit::{nearest_households, village_check_in_position, NearbyHousehold, VillagePosition};

use crate::platform::exif::CameraExif;
use crate::platform::location::LocationEvent;
use crate::platform::photo::EncodedPhoto;
use crate::platform::watermark::WatermarkFacts;
use crate::store::{Reference, Store, StoreError};
use crate::strings;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use zhucun_shared::ids::{HouseholdId, RecordId, VillageId};
use zhucun_shared::period::{day_start, local_date};
use zhucun_shared::record::{
    is_location_lost_note, DeviceRecord, EventKind, FindingOutcome, Fix, GapCause, NoteKind,
    RecordBody,
};
use zhucun_shared::sessions::{duty_sessions, session_of, village_check_ins};
use zhucun_shared::visits::{
    logged_visits, visit_of, visit_shortfalls, VisitShortfall, VisitSoFar,
};

/// A fix older than this is not used for a check-in or a photo position.
pub const FRESH_FIX: Duration = Duration::minutes(2);

/// On duty, no fix for this long opens a gap for no signal (the trajectory starts a new
/// segment after the same silence).
pub const NO_SIGNAL_AFTER: Duration = Duration::minutes(10);

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{}", strings::ERR_NOT_ON_DUTY)]
    NotOnDuty,
    #[error("{}", strings::ERR_ALREADY_ON_DUTY)]
    AlreadyOnDuty,
    #[error("{}", strings::ERR_VISIT_OPEN)]
    VisitOpen,
    #[error("{}", strings::ERR_NO_OPEN_VISIT)]
    NoOpenVisit,
    #[error("{}", strings::ERR_NOT_IN_VILLAGE)]
    NotInVillage,
    #[error("{}", strings::ERR_ALREADY_IN_VILLAGE)]
    AlreadyInVillage,
    #[error("{}", strings::ERR_UNKNOWN_VILLAGE)]
    UnknownVillage,
    #[error("{}", strings::ERR_UNKNOWN_HOUSEHOLD)]
    UnknownHousehold,
    #[error("{}", strings::outside_boundary(*distance_m))]
    OutsideBoundary { distance_m: f64, accuracy_m: f64 },
    #[error("{0}")]
    Invalid(&'static str),
    /// A refusal worded with its bound (请假、公差).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The open duty session.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenDuty {
    pub duty: RecordId,
    pub village_id: Option<VillageId>,
    pub since: DateTime<Utc>,
}

/// The open village check-in.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenStay {
    pub check_in: RecordId,
    pub village_id: VillageId,
    pub since: DateTime<Utc>,
    pub accuracy_m: Option<f64>,
}

/// The open household visit.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenVisit {
    pub check_in: RecordId,
    pub household_id: HouseholdId,
    pub since: DateTime<Utc>,
    /// Accuracy of the best fix saved for the visit.
    pub accuracy_m: Option<f64>,
    pub photos: u32,
    /// Notes in force, oldest first.
    pub notes: Vec<String>,
}

/// Whether the latest visit will count, as the phone can tell at the doorstep (the evaluator's
/// checks of one visit, [`visit_shortfalls`], with the rules in force).
#[derive(Clone, Debug, PartialEq)]
pub struct VisitOutlook {
    pub check_in: RecordId,
    pub checked_out: bool,
    /// Why it will not count, from what is known now (empty: it will, as far as the phone can
    /// tell).
    pub shortfalls: Vec<VisitShortfall>,
    /// For a visit still open: why it would not count if checked out now.
    pub if_checked_out_now: Option<Vec<VisitShortfall>>,
}

/// A gap in the trajectory still open: written when it opened, closed by the next fix or by
/// 结束值守.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenGap {
    /// The note that opened it; the closing note replaces it.
    pub note: RecordId,
    pub cause: GapCause,
    pub since: DateTime<Utc>,
}

/// Where the cadre is in the day, rebuilt from the log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaptureState {
    pub duty: Option<OpenDuty>,
    pub stay: Option<OpenStay>,
    pub visit: Option<OpenVisit>,
    /// The latest fix the phone received, saved or not.
    pub last_fix: Option<Fix>,
    /// The latest fix saved to the trajectory.
    pub last_track_fix: Option<Fix>,
    /// The location source stopped delivering while on duty (a gap is open, or an older log's
    /// lost-location note stands).
    pub location_lost: bool,
    /// The open gap in the duty's trajectory, with its cause.
    pub gap: Option<OpenGap>,
    /// The latest check-in's records (and withdrawals of them): `visit` is their shared fold.
    visit_log: Vec<DeviceRecord>,
    /// The latest duty start and its ends, whose shared fold `duty` is.
    duty_log: Vec<DeviceRecord>,
    /// The latest village check-in and its check-outs, whose shared fold `stay` is.
    stay_log: Vec<DeviceRecord>,
}

impl CaptureState {
    /// The state after the whole log.
    pub fn replay<'a>(records: impl IntoIterator<Item = &'a DeviceRecord>) -> CaptureState {
        let mut s = CaptureState::default();
        for r in records {
            s.evolve(r);
        }
        s
    }

    /// The state after one more record.
    pub fn evolve(&mut self, rec: &DeviceRecord) {
        match &rec.body {
            RecordBody::DutyStart { .. } => {
                self.duty_log = vec![rec.clone()];
                self.refold_sessions();
                self.last_track_fix = None;
                self.location_lost = false;
                self.gap = None;
            }
            RecordBody::DutyEnd { .. } => {
                if session_of(rec) == self.duty_log.first().map(|r| r.id) {
                    self.duty_log.push(rec.clone());
                    self.refold_sessions();
                    if self.duty.is_none() {
                        self.gap = None;
                        self.location_lost = false;
                    }
                }
            }
            RecordBody::Fix { fix } => {
                if self.duty.is_some() {
                    self.last_track_fix = Some(*fix);
                }
                self.location_lost = false;
                self.note_fix(*fix);
            }
            RecordBody::VillageCheckIn { .. } => {
                self.stay_log = vec![rec.clone()];
                self.refold_sessions();
            }
            RecordBody::VillageCheckOut { .. } => {
                if session_of(rec) == self.stay_log.first().map(|r| r.id) {
                    self.stay_log.push(rec.clone());
                    self.refold_sessions();
                }
            }
            RecordBody::HouseholdCheckIn { .. } => {
                self.visit_log = vec![rec.clone()];
                self.refold_visit();
            }
            RecordBody::VisitFix { .. }
            | RecordBody::HouseholdCheckOut { .. }
            | RecordBody::Photo { .. } => self.follow_visit(rec),
            RecordBody::Note {
                attached_to,
                text,
                kind,
                replaces,
            } => {
                self.follow_visit(rec);
                let on_duty = self.duty.as_ref().is_some_and(|d| d.duty == *attached_to);
                match kind {
                    Some(NoteKind::LocationGap {
                        cause,
                        from,
                        to: None,
                    }) if on_duty => {
                        self.gap = Some(OpenGap {
                            note: rec.id,
                            cause: *cause,
                            since: *from,
                        });
                        self.location_lost = true;
                    }
                    Some(NoteKind::LocationGap { to: Some(_), .. }) => {
                        if self.gap.is_some_and(|g| Some(g.note) == *replaces) {
                            self.gap = None;
                            self.location_lost = false;
                        }
                    }
                    _ => {
                        if on_duty && is_location_lost_note(*kind, text) {
                            self.location_lost = true;
                        }
                    }
                }
            }
            RecordBody::Retraction { target, .. } => {
                if self.visit_log.iter().any(|r| r.id == *target) {
                    self.visit_log.push(rec.clone());
                    self.refold_visit();
                }
                // 撤回进村签到: a mistaken village check-in no longer stands.
                if self.stay_log.iter().any(|r| r.id == *target) {
                    self.stay_log.push(rec.clone());
                    self.refold_sessions();
                }
            }
            RecordBody::VillageEvent { .. }
            | RecordBody::Activity { .. }
            | RecordBody::OnSite { .. }
            | RecordBody::Report { .. }
            | RecordBody::LeaveRequest { .. } => {}
        }
        for f in rec.body.fixes() {
            self.note_fix(*f);
        }
    }

    /// The open duty and village check-in are what the shared fold makes of the latest ones'
    /// records: open until ended.
    fn refold_sessions(&mut self) {
        self.duty = duty_sessions(&self.duty_log)
            .into_iter()
            .find(|d| d.end.is_none())
            .map(|d| OpenDuty {
                duty: d.duty,
                village_id: d.village_id,
                since: d.start,
            });
        self.stay = village_check_ins(&self.stay_log)
            .into_iter()
            .find(|s| s.end.is_none() && !s.withdrawn)
            .map(|s| OpenStay {
                check_in: s.check_in,
                village_id: s.village_id,
                since: s.start,
                accuracy_m: s.accuracy_m,
            });
    }

    /// Takes a record into the latest visit's log when it belongs to that visit.
    fn follow_visit(&mut self, rec: &DeviceRecord) {
        let current = self.visit_log.first().map(|r| r.id);
        if current.is_some() && visit_of(rec) == current {
            self.visit_log.push(rec.clone());
            self.refold_visit();
        }
    }

    /// The open visit is what the shared fold makes of the latest check-in's records: open
    /// until checked out (or again once its check-out is withdrawn), gone when its check-in is
    /// withdrawn.
    fn refold_visit(&mut self) {
        self.visit = logged_visits(&self.visit_log)
            .into_iter()
            .find(|l| !l.withdrawn && l.visit.end.is_none())
            .map(|l| OpenVisit {
                check_in: l.visit.check_in,
                household_id: l.visit.household_id,
                since: l.visit.start,
                accuracy_m: l.visit.best_fix().map(|f| f.accuracy_m),
                photos: l.visit.photos.len() as u32,
                notes: l.visit.notes.into_iter().map(|(_, t)| t).collect(),
            });
    }

    /// Whether the latest visit (not withdrawn) will count, and why not.
    pub fn visit_outlook(&self, reference: &Reference, now: DateTime<Utc>) -> Option<VisitOutlook> {
        let visit = logged_visits(&self.visit_log)
            .into_iter()
            .find(|l| !l.withdrawn)?
            .visit;
        let household = reference.org.household(visit.household_id)?;
        let at = visit.start;
        let on_duty = duty_sessions(&self.duty_log)
            .iter()
            .any(|d| d.start <= at && d.end.is_none_or(|e| e >= at));
        let in_village = village_check_ins(&self.stay_log).iter().any(|s| {
            !s.withdrawn
                && s.village_id == household.village_id
                && s.start <= at
                && s.end.is_none_or(|e| e >= at)
        });
        let interp = &reference.catalogue.interpretation;
        let check = |visit: &zhucun_shared::visits::HouseholdVisit| {
            visit_shortfalls(
                &VisitSoFar {
                    visit,
                    household,
                    on_duty,
                    in_village,
                },
                interp,
            )
        };
        let if_checked_out_now = visit.end.is_none().then(|| {
            let mut out_now = visit.clone();
            out_now.end = Some(now.max(visit.start));
            check(&out_now)
        });
        Some(VisitOutlook {
            check_in: visit.check_in,
            checked_out: visit.end.is_some(),
            shortfalls: check(&visit),
            if_checked_out_now,
        })
    }

    fn note_fix(&mut self, fix: Fix) {
        if self.last_fix.is_none_or(|l| l.time <= fix.time) {
            self.last_fix = Some(fix);
        }
    }

    /// The latest fix if it is recent enough to stand for "here, now".
    pub fn fresh_fix(&self, now: DateTime<Utc>) -> Option<Fix> {
        self.last_fix.filter(|f| now - f.time <= FRESH_FIX)
    }

    /// The village the cadre is working in: the checked-in one, else the duty's.
    pub fn current_village(&self) -> Option<VillageId> {
        self.stay
            .as_ref()
            .map(|s| s.village_id)
            .or_else(|| self.duty.as_ref().and_then(|d| d.village_id))
    }

    /// What the watermark of a photo taken now for `attached_to` says: the household and its
    /// village when it is the open visit, else the village worked in; the cadre; the accuracy
    /// of the fresh fix (else of the visit's best fix).
    pub fn watermark(
        &self,
        reference: &Reference,
        cadre: Option<String>,
        attached_to: RecordId,
        now: DateTime<Utc>,
    ) -> WatermarkFacts {
        let visit = self.visit.as_ref().filter(|v| v.check_in == attached_to);
        let household = visit.and_then(|v| reference.org.household(v.household_id));
        let village_id = household
            .map(|h| h.village_id)
            .or_else(|| self.current_village());
        WatermarkFacts {
            taken_at: now,
            village: village_id
                .and_then(|v| reference.org.village(v))
                .map(|v| v.name.clone()),
            household: household.map(|h| h.head_name.clone()),
            cadre: cadre.or_else(|| reference.me.as_ref().map(|p| p.name.clone())),
            accuracy_m: self
                .fresh_fix(now)
                .map(|f| f.accuracy_m)
                .or_else(|| visit.and_then(|v| v.accuracy_m)),
        }
    }
}

/// What a cadre asks the phone to record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// 开始值守
    StartDuty {
        village_id: Option<VillageId>,
    },
    /// 结束值守 (checks out of an open village stay too)
    EndDuty,
    /// 进村签到
    VillageCheckIn {
        village_id: VillageId,
    },
    /// 离村签退
    VillageCheckOut,
    /// 入户签到
    HouseholdCheckIn {
        household_id: HouseholdId,
        event: Option<RecordId>,
    },
    /// 入户签退
    HouseholdCheckOut,
    /// A note on the open visit, or on another record.
    Note {
        attached_to: Option<RecordId>,
        text: String,
    },
    /// 核查结论: a checker's spot-check finding on someone's record, carrying the checker's
    /// own fresh fix when there is one (a finding made on site). A record found false needs
    /// a comment: the verdicts quote it.
    Finding {
        attached_to: RecordId,
        outcome: FindingOutcome,
        text: String,
    },
    /// 四必到: an event in the village, on the day it happened (today, or up to
    /// [`EVENT_BACKDATE_DAYS`] days ago). The village is the one worked in, else the cadre's
    /// own.
    Event {
        kind: EventKind,
        occurred_on: NaiveDate,
        household_id: Option<HouseholdId>,
        description: String,
    },
    /// 前往处理: attends an event — a household check-in naming it when it concerns a
    /// household, else an on-site check-in (现场签到) with the fresh fix, in its village.
    AttendEvent {
        event: RecordId,
        village_id: VillageId,
        household_id: Option<HouseholdId>,
    },
    Activity(ActivityDraft),
    Report(ReportDraft),
    /// Withdraw an earlier record.
    Retract {
        target: RecordId,
        reason: String,
    },
    /// 请假、公差: the cadre asks to be away.
    RequestLeave(LeaveDraft),
    /// 请假审批: an approver's decision on someone's request.
    DecideLeave {
        request: RecordId,
        decision: zhucun_shared::leave::LeaveDecision,
        remark: String,
    },
}

/// The records `cmd` writes, given the state, the reference data and the clock.
pub fn decide(
    state: &CaptureState,
    cmd: Command,
    reference: &Reference,
    now: DateTime<Utc>,
) -> Result<Vec<RecordBody>, CaptureError> {
    let fresh = state.fresh_fix(now);
    Ok(match cmd {
        Command::StartDuty { village_id } => {
            if state.duty.is_some() {
                return Err(CaptureError::AlreadyOnDuty);
            }
            vec![RecordBody::DutyStart { village_id }]
        }
        Command::EndDuty => {
            let duty = state.duty.as_ref().ok_or(CaptureError::NotOnDuty)?;
            if state.visit.is_some() {
                return Err(CaptureError::VisitOpen);
            }
            let mut out = Vec::new();
            if let Some(stay) = &state.stay {
                out.push(RecordBody::VillageCheckOut {
                    check_in: stay.check_in,
                    fix: fresh,
                });
            }
            if let Some(gap) = state.gap {
                out.push(gap_note(
                    duty.duty,
                    gap.cause,
                    gap.since,
                    Some(now),
                    Some(gap.note),
                ));
            }
            out.push(RecordBody::DutyEnd { duty: duty.duty });
            out
        }
        Command::VillageCheckIn { village_id } => {
            if state.duty.is_none() {
                return Err(CaptureError::NotOnDuty);
            }
            if state.stay.is_some() {
                return Err(CaptureError::AlreadyInVillage);
            }
            let village = reference
                .org
                .village(village_id)
                .ok_or(CaptureError::UnknownVillage)?;
            if let Some(f) = fresh {
                if let VillagePosition::Outside { distance_m } =
                    village_check_in_position(village, &f)
                {
                    return Err(CaptureError::OutsideBoundary {
                        distance_m,
                        accuracy_m: f.accuracy_m,
                    });
                }
            }
            vec![RecordBody::VillageCheckIn {
                village_id,
                fix: fresh,
            }]
        }
        Command::VillageCheckOut => {
            let stay = state.stay.as_ref().ok_or(CaptureError::NotInVillage)?;
            if state.visit.is_some() {
                return Err(CaptureError::VisitOpen);
            }
            vec![RecordBody::VillageCheckOut {
                check_in: stay.check_in,
                fix: fresh,
            }]
        }
        Command::HouseholdCheckIn {
            household_id,
            event,
        } => {
            if state.duty.is_none() {
                return Err(CaptureError::NotOnDuty);
            }
            if state.visit.is_some() {
                return Err(CaptureError::VisitOpen);
            }
            reference
                .org
                .household(household_id)
                .ok_or(CaptureError::UnknownHousehold)?;
            vec![RecordBody::HouseholdCheckIn {
                household_id,
                fix: fresh,
                event,
            }]
        }
        Command::HouseholdCheckOut => {
            let visit = state.visit.as_ref().ok_or(CaptureError::NoOpenVisit)?;
            vec![RecordBody::HouseholdCheckOut {
                check_in: visit.check_in,
                fix: fresh,
            }]
        }
        Command::Note {
            attached_to,
            text: t,
        } => {
            let attached_to = match attached_to {
                Some(id) => id,
                None => {
                    state
                        .visit
                        .as_ref()
                        .ok_or(CaptureError::NoOpenVisit)?
                        .check_in
                }
            };
            vec![RecordBody::Note {
                attached_to,
                text: activity::text(&t, zhucun_shared::record::MAX_TEXT_CHARS, true)?,
                replaces: None,
                kind: None,
            }]
        }
        Command::Finding {
            attached_to,
            outcome,
            text: t,
        } => vec![RecordBody::Note {
            attached_to,
            text: activity::text(&t, zhucun_shared::record::MAX_TEXT_CHARS, outcome.rejects())?,
            replaces: None,
            kind: Some(NoteKind::Finding {
                outcome,
                fix: fresh,
            }),
        }],
        Command::Event {
            kind,
            occurred_on,
            household_id,
            description,
        } => {
            let today = local_date(now);
            if occurred_on > today {
                return Err(CaptureError::Invalid(strings::ERR_EVENT_IN_FUTURE));
            }
            if occurred_on < today - Duration::days(EVENT_BACKDATE_DAYS) {
                return Err(CaptureError::Invalid(strings::ERR_EVENT_TOO_OLD));
            }
            // Today's is now; an earlier day's, its noon: the day is what the rule reads.
            let occurred_at = if occurred_on == today {
                now
            } else {
                day_start(occurred_on) + Duration::hours(12)
            };
            let village_id = state
                .current_village()
                .or_else(|| {
                    let me = reference.me.as_ref()?.id;
                    reference.org.villages_of(me, today, today).first().copied()
                })
                .ok_or(CaptureError::NotInVillage)?;
            if let Some(h) = household_id {
                reference
                    .org
                    .household(h)
                    .filter(|h| h.village_id == village_id)
                    .ok_or(CaptureError::UnknownHousehold)?;
            }
            vec![RecordBody::VillageEvent {
                village_id,
                kind,
                occurred_at,
                household_id,
                description: activity::text(
                    &description,
                    zhucun_shared::record::MAX_TEXT_CHARS,
                    true,
                )?,
            }]
        }
        Command::AttendEvent {
            event,
            village_id: _,
            household_id: Some(household_id),
        } => {
            return decide(
                state,
                Command::HouseholdCheckIn {
                    household_id,
                    event: Some(event),
                },
                reference,
                now,
            );
        }
        Command::AttendEvent {
            event,
            village_id,
            household_id: None,
        } => vec![RecordBody::OnSite {
            attached_to: event,
            fix: Some(on_site_fix(fresh, Some(village_id), reference)?),
        }],
        Command::Activity(draft) => {
            if draft.held_on > local_date(now) {
                return Err(CaptureError::Invalid(strings::ERR_HELD_IN_FUTURE));
            }
            if made_on_site(draft.kind) {
                on_site_fix(fresh, draft.village_id, reference)?;
            }
            vec![draft.into_body()?]
        }
        // Carries files: written by `Capture::exec` itself, with them.
        Command::Report(draft) => vec![draft.into_parts()?.0],
        Command::RequestLeave(draft) => vec![leave::request(draft, local_date(now))?],
        Command::DecideLeave {
            request,
            decision,
            remark,
        } => vec![leave::decision(request, decision, &remark)?],
        Command::Retract { target, reason } => vec![RecordBody::Retraction {
            target,
            reason: activity::text(&reason, zhucun_shared::record::MAX_TITLE_CHARS, true)?,
        }],
    })
}

/// How many days back an event may be entered: one less than the server's bound
/// ([`zhucun_shared::record::EVENT_MAX_AGE_DAYS`]), so that the noon of the earliest day
/// offered is inside it whatever the hour.
pub const EVENT_BACKDATE_DAYS: i64 = zhucun_shared::record::EVENT_MAX_AGE_DAYS - 1;

/// The fix an on-site check-in carries: the fresh one, inside `village` (when named) or at
/// most its accuracy outside, as the rules read it; refused at once otherwise.
fn on_site_fix(
    fresh: Option<Fix>,
    village: Option<VillageId>,
    reference: &Reference,
) -> Result<Fix, CaptureError> {
    let fix = fresh.ok_or(CaptureError::Invalid(strings::ERR_ON_SITE_NO_FIX))?;
    let cap = reference.catalogue.interpretation.household_accuracy_cap_m;
    if let Some(v) = village.and_then(|v| reference.org.village(v)) {
        let shape = zhucun_shared::geometry::VillageShape::new(v);
        if !zhucun_shared::events::fix_in_village(&shape, &fix, cap) {
            return Err(CaptureError::OutsideBoundary {
                distance_m: shape.distance_m(fix.lat, fix.lon),
                accuracy_m: fix.accuracy_m,
            });
        }
    }
    Ok(fix)
}

/// Whether a fix passes the record rules the server applies (`DeviceRecord::validate`).
pub fn plausible(fix: &Fix, now: DateTime<Utc>) -> bool {
    DeviceRecord {
        id: RecordId::new(),
        device_id: zhucun_shared::ids::DeviceId::from_u128(0),
        seq: 1,
        person_id: zhucun_shared::ids::PersonId::from_u128(0),
        captured_at: now,
        body: RecordBody::Fix { fix: *fix },
        received: None,
    }
    .validate(now)
    .is_ok()
}

/// The capture flows bound to a store: each call writes its records (each in one transaction)
/// and moves the state on.
#[derive(Debug)]
pub struct Capture {
    state: CaptureState,
    policy: TrackPolicy,
}

impl Capture {
    /// Rebuilds the state from the store's log.
    pub fn load(store: &Store, policy: TrackPolicy) -> Result<Capture, CaptureError> {
        let records = store.all_records()?;
        Ok(Capture {
            state: CaptureState::replay(&records),
            policy,
        })
    }

    pub fn state(&self) -> &CaptureState {
        &self.state
    }

    fn write(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
        bodies: Vec<RecordBody>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        let mut out = Vec::with_capacity(bodies.len());
        for body in bodies {
            let rec = store.append(now, body)?;
            self.state.evolve(&rec);
            out.push(rec);
        }
        Ok(out)
    }

    /// Carries out a cadre's command.
    pub fn exec(
        &mut self,
        store: &mut Store,
        reference: &Reference,
        cmd: Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        if let Command::Report(draft) = cmd {
            let (body, files) = draft.into_parts()?;
            let rec = store.append_report(now, body, &files)?;
            self.state.evolve(&rec);
            return Ok(vec![rec]);
        }
        let on_site = match &cmd {
            Command::Activity(d) if made_on_site(d.kind) => self.state.fresh_fix(now),
            _ => None,
        };
        let bodies = decide(&self.state, cmd, reference, now)?;
        let mut written = self.write(store, now, bodies)?;
        if let (Some(fix), Some(activity)) = (on_site, written.first().map(|r| r.id)) {
            // A supervision made on site: the activity, then where it was made.
            written.extend(self.write(
                store,
                now,
                vec![RecordBody::OnSite {
                    attached_to: activity,
                    fix: Some(fix),
                }],
            )?);
        }
        Ok(written)
    }

    /// A fix from the location source: saved to the trajectory when on duty and the policy
    /// wants it, and to the open visit when it still lacks a good one.
    pub fn on_fix(
        &mut self,
        store: &mut Store,
        reference: &Reference,
        fix: Fix,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        if !plausible(&fix, now) {
            // A broken fix (impossible coordinates, absurd accuracy, a time the phone's clock
            // cannot vouch for) is dropped: recorded, it would be refused by the server.
            return Ok(Vec::new());
        }
        let cap = reference.catalogue.interpretation.household_accuracy_cap_m;
        let mut bodies = Vec::new();
        if let (Some(duty), Some(gap)) = (&self.state.duty, self.state.gap) {
            // The fix ends the gap.
            let to = fix.time.clamp(gap.since, now.max(gap.since));
            bodies.push(gap_note(
                duty.duty,
                gap.cause,
                gap.since,
                Some(to),
                Some(gap.note),
            ));
        }
        let closes_gap = !bodies.is_empty();
        bodies.extend(track::on_fix(&self.state, &self.policy, fix, cap));
        if bodies.is_empty() || (closes_gap && bodies.len() == 1) {
            // Not saved, but it is where the phone is now.
            self.state.note_fix(fix);
        }
        self.write(store, now, bodies)
    }

    /// A location event from the source: a fix, or a gap with its cause.
    pub fn on_location(
        &mut self,
        store: &mut Store,
        reference: &Reference,
        event: LocationEvent,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        match event {
            LocationEvent::Fix(fix) => self.on_fix(store, reference, fix, now),
            LocationEvent::Gap { cause, since } => self.on_gap(store, cause, since, now),
        }
    }

    /// The source stopped delivering while on duty, for `cause`, since `since`: a gap note on
    /// the duty session is written at once (so a phone killed meanwhile still has it). A gap
    /// already open for the same cause goes on; one for another cause is closed at `since`
    /// and the new one opened. Off duty nothing is written.
    pub fn on_gap(
        &mut self,
        store: &mut Store,
        cause: GapCause,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        let Some(duty) = &self.state.duty else {
            return Ok(Vec::new());
        };
        // Not before the duty began, nor after now.
        let since = since.max(duty.since).min(now);
        let mut bodies = Vec::new();
        match self.state.gap {
            Some(g) if g.cause == cause => return Ok(Vec::new()),
            Some(g) => bodies.push(gap_note(
                duty.duty,
                g.cause,
                g.since,
                Some(since.max(g.since)),
                Some(g.note),
            )),
            None => {}
        }
        bodies.push(gap_note(duty.duty, cause, since, None, None));
        self.write(store, now, bodies)
    }

    /// Called every minute or so while the source runs: on duty, with no gap open and no fix
    /// for [`NO_SIGNAL_AFTER`], opens a gap for no signal from the last fix.
    pub fn on_tick(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        let Some(last) = self.silent_since(now) else {
            return Ok(Vec::new());
        };
        if self.state.gap.is_some() {
            return Ok(Vec::new());
        }
        self.on_gap(store, GapCause::NoSignal, last, now)
    }

    /// Called when the location source starts again for a duty that was already open (the
    /// app was started again): if no fix came for [`NO_SIGNAL_AFTER`] and no gap says why,
    /// the location service was killed, and the gap runs from the last fix.
    pub fn on_source_restarted(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        let Some(last) = self.silent_since(now) else {
            return Ok(Vec::new());
        };
        if self.state.gap.is_some() {
            return Ok(Vec::new());
        }
        self.on_gap(store, GapCause::ServiceKilled, last, now)
    }

    /// On duty and silent for at least [`NO_SIGNAL_AFTER`]: since when.
    fn silent_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let duty = self.state.duty.as_ref()?;
        let last = self
            .state
            .last_fix
            .map(|f| f.time)
            .filter(|t| *t >= duty.since)
            .unwrap_or(duty.since);
        (now - last >= NO_SIGNAL_AFTER).then_some(last)
    }

    /// A re-encoded photo for the open visit (or another record), with when and where it was
    /// taken; the file is saved with its record.
    pub fn photo(
        &mut self,
        store: &mut Store,
        attached_to: Option<RecordId>,
        photo: &EncodedPhoto,
        taken_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<DeviceRecord, CaptureError> {
        self.photo_from_camera(
            store,
            attached_to,
            photo,
            taken_at,
            &CameraExif::default(),
            now,
        )
    }

    /// A photo with what its camera wrote (EXIF, read before the re-encode dropped it). The
    /// record says when and where the picture was taken as the server's photo checks read a
    /// file's EXIF: the camera's time and GPS position when it wrote them (a picture taken
    /// before the visit shows as such), else the shutter's time (`taken_at`, by the phone's
    /// clock) and the fresh fix at that time. A camera time outside what a record may hold
    /// (before 2020, or more than 12 hours ahead of the phone) is a wrong camera clock, not used.
    pub fn photo_from_camera(
        &mut self,
        store: &mut Store,
        attached_to: Option<RecordId>,
        photo: &EncodedPhoto,
        taken_at: DateTime<Utc>,
        camera: &CameraExif,
        now: DateTime<Utc>,
    ) -> Result<DeviceRecord, CaptureError> {
        let shutter = taken_at;
        let taken_at = camera
            .taken_at
            .filter(|t| {
                *t >= zhucun_shared::record::earliest_plausible_time()
                    && *t <= now + Duration::hours(12)
            })
            .unwrap_or(shutter);
        // The phone's fix says where the picture was taken only if it was taken about now.
        let fix = self
            .state
            .fresh_fix(shutter)
            .filter(|f| taken_at == shutter || (taken_at - f.time).abs() <= FRESH_FIX);
        let attached_to = match attached_to {
            Some(id) => id,
            None => {
                self.state
                    .visit
                    .as_ref()
                    .ok_or(CaptureError::NoOpenVisit)?
                    .check_in
            }
        };
        let body = RecordBody::Photo {
            attached_to,
            sha256: photo.sha256.clone(),
            taken_at,
            position: camera.position.or(fix.map(|f| f.position())),
            bytes: photo.data.len() as u64,
        };
        let rec = store.append_photo(now, body, &photo.data)?;
        self.state.evolve(&rec);
        Ok(rec)
    }
}

/// The note for a gap in duty `duty`'s trajectory: open (`to` absent) or closed, the closing
/// note replacing the opening one.
fn gap_note(
    duty: RecordId,
    cause: GapCause,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
    replaces: Option<RecordId>,
) -> RecordBody {
    RecordBody::Note {
        attached_to: duty,
        text: format!("{}：{}", strings::LOCATION_LOST, cause.label_zh()),
        replaces,
        kind: Some(NoteKind::LocationGap { cause, from, to }),
    }
}

#[cfg(test)]
mod tests;
