//! Duty sessions (值守) and village check-ins (进村签到 … 离村签退) as a device's log shows them,
//! for the phone's screens and its capture state alike. Verdicts do not count them: presence
//! in a village comes from the trajectory ([`crate::stays`]).

use crate::ids::{RecordId, VillageId};
use crate::record::{DeviceRecord, RecordBody};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

/// 值守: from 开始值守 to 结束值守; the trajectory is recorded in between.
#[derive(Clone, Debug, PartialEq)]
pub struct DutySession {
    pub duty: RecordId,
    pub village_id: Option<VillageId>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// 进村: a village check-in and the check-out that ends it.
#[derive(Clone, Debug, PartialEq)]
pub struct VillageCheckIn {
    pub check_in: RecordId,
    pub village_id: VillageId,
    pub start: DateTime<Utc>,
    /// Accuracy of the check-in's fix, when it had one.
    pub accuracy_m: Option<f64>,
    pub end: Option<DateTime<Utc>>,
    /// Withdrawn (撤回) by a retraction from its own author: a mistaken check-in, kept in the
    /// log, that no longer stands.
    pub withdrawn: bool,
}

/// The session a record opens or ends: its own id for a duty start or village check-in, the
/// one it names for a duty end or village check-out.
pub fn session_of(rec: &DeviceRecord) -> Option<RecordId> {
    match &rec.body {
        RecordBody::DutyStart { .. } | RecordBody::VillageCheckIn { .. } => Some(rec.id),
        RecordBody::DutyEnd { duty } => Some(*duty),
        RecordBody::VillageCheckOut { check_in, .. } => Some(*check_in),
        _ => None,
    }
}

/// The earliest end (by time, then id) of each session named by `ends`: as for a visit's
/// check-out, an end pressed twice or sent again does not lengthen what it ended.
fn first_ends<'a>(
    ends: impl Iterator<Item = (&'a DeviceRecord, RecordId)>,
) -> BTreeMap<RecordId, (DateTime<Utc>, RecordId)> {
    let mut out: BTreeMap<RecordId, (DateTime<Utc>, RecordId)> = BTreeMap::new();
    for (r, session) in ends {
        let end = (r.captured_at, r.id);
        out.entry(session)
            .and_modify(|e| *e = (*e).min(end))
            .or_insert(end);
    }
    out
}

/// Duty sessions, by start (any order; repeats ignored).
pub fn duty_sessions<'a>(records: impl IntoIterator<Item = &'a DeviceRecord>) -> Vec<DutySession> {
    let (mut starts, mut ends, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
    for r in records.into_iter().filter(|r| seen.insert(r.id)) {
        match &r.body {
            RecordBody::DutyStart { village_id } => starts.push(DutySession {
                duty: r.id,
                village_id: *village_id,
                start: r.captured_at,
                end: None,
            }),
            RecordBody::DutyEnd { duty } => ends.push((r, *duty)),
            _ => {}
        }
    }
    let ends = first_ends(ends.into_iter());
    for s in &mut starts {
        s.end = ends.get(&s.duty).map(|e| e.0);
    }
    starts.sort_by_key(|s| (s.start, s.duty));
    starts
}

/// Village check-ins, by start (any order; repeats ignored), each marked withdrawn when its
/// author retracted it ([`crate::visits::withdrawn`]).
pub fn village_check_ins<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord> + Clone,
) -> Vec<VillageCheckIn> {
    let withdrawn = crate::visits::withdrawn(records.clone());
    let (mut starts, mut ends, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
    for r in records.into_iter().filter(|r| seen.insert(r.id)) {
        match &r.body {
            RecordBody::VillageCheckIn { village_id, fix } => starts.push(VillageCheckIn {
                check_in: r.id,
                village_id: *village_id,
                start: r.captured_at,
                accuracy_m: fix.map(|f| f.accuracy_m),
                end: None,
                withdrawn: withdrawn.contains(&r.id),
            }),
            RecordBody::VillageCheckOut { check_in, .. } => ends.push((r, *check_in)),
            _ => {}
        }
    }
    let ends = first_ends(ends.into_iter());
    for s in &mut starts {
        s.end = ends.get(&s.check_in).map(|e| e.0);
    }
    starts.sort_by_key(|s| (s.start, s.check_in));
    starts
}

/// 定位中断 as a log shows it: a duty's gap with its cause, from, and to once closed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedGap {
    /// The note that says it (the closing one when closed).
    pub note: RecordId,
    /// The duty session it is attached to.
    pub duty: RecordId,
    pub cause: crate::record::GapCause,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

/// The location gaps of a log, in the order they opened: a closing note takes the place of
/// the note it `replaces` (the one that opened the gap), so each gap is listed once.
pub fn location_gaps<'a>(records: impl IntoIterator<Item = &'a DeviceRecord>) -> Vec<LoggedGap> {
    use crate::record::NoteKind;
    let mut notes: Vec<&DeviceRecord> = records
        .into_iter()
        .filter(|r| {
            matches!(
                r.body,
                RecordBody::Note {
                    kind: Some(NoteKind::LocationGap { .. }),
                    ..
                }
            )
        })
        .collect();
    notes.sort_by_key(|r| (r.captured_at, r.seq, r.id));
    let mut out: Vec<LoggedGap> = Vec::new();
    for r in notes {
        let RecordBody::Note {
            attached_to,
            kind: Some(NoteKind::LocationGap { cause, from, to }),
            replaces,
            ..
        } = &r.body
        else {
            continue;
        };
        let gap = LoggedGap {
            note: r.id,
            duty: *attached_to,
            cause: *cause,
            from: *from,
            to: *to,
        };
        match out.iter().position(|g| Some(g.note) == *replaces) {
            Some(i) => out[i] = gap,
            None if out.iter().any(|g| g.note == r.id) => {}
            None => out.push(gap),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, PersonId};
    use crate::synth::Recorder;
    use chrono::Duration;

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-11-16T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_closing_gap_note_takes_the_place_of_the_one_that_opened_it() {
        use crate::record::{GapCause, NoteKind};
        let mut rec = Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2));
        let duty = rec.record(t(0), RecordBody::DutyStart { village_id: None });
        let note = |rec: &mut Recorder, m, cause, to: Option<i64>, replaces| {
            rec.record(
                t(m),
                RecordBody::Note {
                    attached_to: duty.id,
                    text: String::new(),
                    kind: Some(NoteKind::LocationGap {
                        cause,
                        from: t(10),
                        to: to.map(t),
                    }),
                    replaces,
                },
            )
        };
        let open = note(&mut rec, 10, GapCause::ScreenOff, None, None);
        let closed = note(&mut rec, 30, GapCause::ScreenOff, Some(30), Some(open.id));
        let other = note(&mut rec, 40, GapCause::NoSignal, None, None);
        let gaps = location_gaps([&other, &closed, &duty, &open]);
        assert_eq!(gaps.len(), 2);
        assert_eq!((gaps[0].note, gaps[0].to), (closed.id, Some(t(30))));
        assert_eq!(gaps[0].duty, duty.id);
        assert_eq!((gaps[1].cause, gaps[1].to), (GapCause::NoSignal, None));
    }

    #[test]
    fn the_first_end_ends_a_session_whatever_the_arrival_order() {
        let mut rec = Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2));
        let duty = rec.record(t(0), RecordBody::DutyStart { village_id: None });
        let village = VillageId::from_u128(3);
        let check_in = rec.record(
            t(1),
            RecordBody::VillageCheckIn {
                village_id: village,
                fix: None,
            },
        );
        let out = |rec: &mut Recorder, m| {
            rec.record(
                t(m),
                RecordBody::VillageCheckOut {
                    check_in: check_in.id,
                    fix: None,
                },
            )
        };
        let (out1, out2) = (out(&mut rec, 30), out(&mut rec, 90));
        let end = |rec: &mut Recorder, m| rec.record(t(m), RecordBody::DutyEnd { duty: duty.id });
        let (end1, end2) = (end(&mut rec, 60), end(&mut rec, 120));
        let log = [&end2, &out2, &duty, &check_in, &out1, &end1, &end1];
        let sessions = duty_sessions(log);
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].end, Some(t(60)));
        let stays = village_check_ins(log);
        assert_eq!(stays.len(), 1);
        assert_eq!((stays[0].village_id, stays[0].end), (village, Some(t(30))));
    }
}
