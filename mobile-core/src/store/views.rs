//! Views of the log the screens read: duty sessions and their trajectory, village stays,
//! household visits, and the work log. Updated in the transaction that appends the record.
//!
//! A visit's row is the shared fold of its records ([`zhucun_shared::visits::logged_visits`],
//! the one the server's verdicts use), computed again whenever one of them is written; the
//! trajectory's segments follow [`zhucun_shared::trajectory`].

use super::log::Steps;
use super::{Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use zhucun_shared::ids::{HouseholdId, RecordId, VillageId};
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, GapCause, RecordBody};
use zhucun_shared::sessions::{duty_sessions, session_of, village_check_ins};
use zhucun_shared::trajectory::segment_after;
use zhucun_shared::visits::{logged_visits, visit_of};

/// 定位中断: a gap in a duty session's trajectory, with its cause; `to` is absent while it is
/// still open.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocationGap {
    pub cause: GapCause,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

impl LocationGap {
    /// How long it lasted, or has lasted by `now` while open.
    pub fn duration(&self, now: DateTime<Utc>) -> chrono::Duration {
        (self.to.unwrap_or(now) - self.from).max(chrono::Duration::zero())
    }
}

/// 值守: a duty session, during which the trajectory is recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct DutySession {
    pub duty_id: RecordId,
    pub village_id: Option<VillageId>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// One saved trajectory fix.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackPoint {
    pub time: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    /// Consecutive points of one segment have no gap between them.
    pub segment: u32,
}

/// 进村: a village check-in and its check-out.
#[derive(Clone, Debug, PartialEq)]
pub struct VillageStay {
    pub check_in_id: RecordId,
    pub village_id: VillageId,
    pub checked_in_at: DateTime<Utc>,
    pub accuracy_m: Option<f64>,
    pub checked_out_at: Option<DateTime<Utc>>,
}

/// 走访: a household visit as the phone saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitRow {
    pub check_in_id: RecordId,
    pub household_id: HouseholdId,
    pub started_at: DateTime<Utc>,
    pub fix: Option<(f64, f64)>,
    pub accuracy_m: Option<f64>,
    pub ended_at: Option<DateTime<Utc>>,
    pub photos: u32,
    /// Notes in force, oldest first (a corrected note shows as its correction).
    pub notes: Vec<String>,
    pub event_id: Option<RecordId>,
    pub retracted: bool,
}

/// An entry of the work log: an event, activity or report.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryRow {
    pub record_id: RecordId,
    /// `village_event`, `activity` or `report`.
    pub record_type: String,
    /// The kind's label.
    pub kind: String,
    pub title: String,
    pub day: NaiveDate,
    pub captured_at: DateTime<Utc>,
    pub photos: u32,
    /// Files a report carries.
    pub files: u32,
    pub retracted: bool,
}

/// Fixed-width UTC text, so that SQL orders times correctly.
pub(super) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_time(s: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn parse_id<T: std::str::FromStr>(s: String) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

/// Updates the views for one appended record.
pub(super) fn apply(tx: &Transaction<'_>, rec: &DeviceRecord, steps: &mut Steps) -> Result<()> {
    match &rec.body {
        RecordBody::DutyStart { .. } | RecordBody::DutyEnd { .. } => {
            if let Some(duty) = session_of(rec) {
                refold_duty(tx, duty, steps)?;
            }
        }
        RecordBody::Fix { fix } => {
            let duty: Option<String> = tx
                .query_row(
                    "SELECT duty_id FROM duty_sessions WHERE ended_at IS NULL
                     ORDER BY started_at DESC, duty_id DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            steps.next()?;
            if let Some(duty) = duty {
                let last: Option<(String, u32)> = tx
                    .query_row(
                        "SELECT time, segment FROM track_points WHERE duty_id = ?1
                         ORDER BY seq DESC LIMIT 1",
                        [&duty],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                steps.next()?;
                let last = match last {
                    Some((t, seg)) => Some((parse_time(t)?, seg)),
                    None => None,
                };
                let segment = segment_after(last, fix.time);
                tx.execute(
                    "INSERT INTO track_points (seq, duty_id, time, lat, lon, accuracy_m, segment)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        rec.seq,
                        duty,
                        time(&fix.time),
                        fix.lat,
                        fix.lon,
                        fix.accuracy_m,
                        segment
                    ],
                )?;
            }
        }
        RecordBody::VillageCheckIn { .. } | RecordBody::VillageCheckOut { .. } => {
            if let Some(check_in) = session_of(rec) {
                refold_village_check_in(tx, check_in, steps)?;
            }
        }
        RecordBody::HouseholdCheckIn { .. }
        | RecordBody::VisitFix { .. }
        | RecordBody::HouseholdCheckOut { .. }
        | RecordBody::Note { .. } => {
            if let Some(check_in) = visit_of(rec) {
                refold_visit(tx, check_in, steps)?;
            }
        }
        RecordBody::Photo { attached_to, .. } => {
            refold_visit(tx, *attached_to, steps)?;
            steps.next()?;
            tx.execute(
                "UPDATE entries SET photos = photos + 1 WHERE record_id = ?1",
                [attached_to.to_string()],
            )?;
        }
        RecordBody::VillageEvent {
            kind,
            occurred_at,
            description,
            ..
        } => {
            insert_entry(
                tx,
                rec,
                kind.label_zh(),
                description,
                local_date(*occurred_at),
            )?;
        }
        RecordBody::Activity {
            kind,
            held_on,
            title,
            ..
        } => {
            insert_entry(tx, rec, kind.label_zh(), title, *held_on)?;
        }
        RecordBody::Report {
            kind,
            title,
            attachments,
            ..
        } => {
            insert_entry(tx, rec, kind.label_zh(), title, local_date(rec.captured_at))?;
            steps.next()?;
            tx.execute(
                "UPDATE entries SET files = ?2 WHERE record_id = ?1",
                params![rec.id.to_string(), attachments.len() as u64],
            )?;
        }
        // An on-site check-in shows through what it is for (an event no longer open).
        RecordBody::OnSite { .. } => {}
        RecordBody::Retraction { target, .. } => {
            // Whatever part of a visit is withdrawn (the check-in, a photo, a note, the
            // check-out), the visit is folded again without it.
            let withdrawn = tx
                .query_row(
                    "SELECT json FROM records WHERE id = ?1",
                    [target.to_string()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|json| serde_json::from_str::<DeviceRecord>(&json))
                .transpose()?;
            steps.next()?;
            if let Some(check_in) = withdrawn.as_ref().and_then(visit_of) {
                refold_visit(tx, check_in, steps)?;
            }
            if let Some(w) = withdrawn
                .as_ref()
                .filter(|w| matches!(w.body, RecordBody::VillageCheckIn { .. }))
            {
                refold_village_check_in(tx, w.id, steps)?;
            }
            steps.next()?;
            tx.execute(
                "UPDATE entries SET retracted = 1 WHERE record_id = ?1",
                [target.to_string()],
            )?;
        }
        // Leave requests are read from the log as they are (see `Store::absences`).
        RecordBody::LeaveRequest { .. } => {}
    }
    steps.next()?;
    Ok(())
}

/// The records of the visit `check_in` and the withdrawals of any of them, from the log
/// (through the expression indexes of migration 4).
fn visit_records(tx: &Transaction<'_>, check_in: RecordId) -> Result<Vec<DeviceRecord>> {
    let parse = |rows: rusqlite::Result<Vec<String>>| -> Result<Vec<DeviceRecord>> {
        rows?
            .iter()
            .map(|json| Ok(serde_json::from_str(json)?))
            .collect()
    };
    let mut stmt = tx.prepare_cached(
        "SELECT json FROM records WHERE id = ?1
         UNION ALL SELECT json FROM records WHERE json_extract(json, '$.body.check_in') = ?1
         UNION ALL SELECT json FROM records WHERE json_extract(json, '$.body.attached_to') = ?1",
    )?;
    let mut records = parse(
        stmt.query_map([check_in.to_string()], |r| r.get(0))?
            .collect(),
    )?;
    let mut withdrawals = tx.prepare_cached(
        "SELECT json FROM records WHERE json_extract(json, '$.body.target') = ?1",
    )?;
    let mut retractions = Vec::new();
    for r in &records {
        retractions.extend(parse(
            withdrawals
                .query_map([r.id.to_string()], |r| r.get(0))?
                .collect(),
        )?);
    }
    records.extend(retractions);
    Ok(records)
}

/// Writes the row of the visit `check_in` as the shared fold makes it of the log; nothing
/// when `check_in` is no household check-in (a photo or note on an activity, say).
fn refold_visit(tx: &Transaction<'_>, check_in: RecordId, steps: &mut Steps) -> Result<()> {
    let records = visit_records(tx, check_in)?;
    steps.next()?;
    let Some(logged) = logged_visits(&records)
        .into_iter()
        .find(|l| l.visit.check_in == check_in)
    else {
        return Ok(());
    };
    let v = &logged.visit;
    let fix = v.best_fix();
    let notes: Vec<&str> = v.notes.iter().map(|(_, t)| t.as_str()).collect();
    tx.execute(
        "INSERT OR REPLACE INTO visits (check_in_id, household_id, started_at, fix_lat, fix_lon,
                                        accuracy_m, ended_at, photos, notes, event_id, retracted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            check_in.to_string(),
            v.household_id.to_string(),
            time(&v.start),
            fix.map(|f| f.lat),
            fix.map(|f| f.lon),
            fix.map(|f| f.accuracy_m),
            v.end.as_ref().map(time),
            v.photos.len() as u64,
            serde_json::to_string(&notes)?,
            v.event.map(|e| e.to_string()),
            logged.withdrawn,
        ],
    )?;
    Ok(())
}

/// A session's opening record and the records that end it, from the log (`field` names the
/// session in an ending record's body).
fn session_records(
    tx: &Transaction<'_>,
    session: RecordId,
    field: &str,
) -> Result<Vec<DeviceRecord>> {
    let sql = format!(
        "SELECT json FROM records WHERE id = ?1
         UNION ALL SELECT json FROM records WHERE json_extract(json, '$.body.{field}') = ?1"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map([session.to_string()], |r| r.get::<_, String>(0))?;
    rows.map(|json| Ok(serde_json::from_str(&json?)?)).collect()
}

/// Writes the row of the duty session `duty` as the shared fold makes it of the log.
fn refold_duty(tx: &Transaction<'_>, duty: RecordId, steps: &mut Steps) -> Result<()> {
    let records = session_records(tx, duty, "duty")?;
    steps.next()?;
    if let Some(d) = duty_sessions(&records).into_iter().find(|d| d.duty == duty) {
        tx.execute(
            "INSERT OR REPLACE INTO duty_sessions (duty_id, village_id, started_at, ended_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                duty.to_string(),
                d.village_id.map(|v| v.to_string()),
                time(&d.start),
                d.end.as_ref().map(time),
            ],
        )?;
    }
    Ok(())
}

/// Writes the row of the village check-in `check_in` as the shared fold makes it of the log.
fn refold_village_check_in(
    tx: &Transaction<'_>,
    check_in: RecordId,
    steps: &mut Steps,
) -> Result<()> {
    let mut records = session_records(tx, check_in, "check_in")?;
    // Its withdrawals too: a check-in its author withdrew has no row.
    records.extend(
        session_records(tx, check_in, "target")?
            .into_iter()
            .filter(|r| matches!(r.body, RecordBody::Retraction { .. })),
    );
    steps.next()?;
    if let Some(v) = village_check_ins(&records)
        .into_iter()
        .find(|v| v.check_in == check_in)
    {
        if v.withdrawn {
            tx.execute(
                "DELETE FROM village_stays WHERE check_in_id = ?1",
                [check_in.to_string()],
            )?;
            return Ok(());
        }
        tx.execute(
            "INSERT OR REPLACE INTO village_stays (check_in_id, village_id, checked_in_at,
                                                   accuracy_m, checked_out_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                check_in.to_string(),
                v.village_id.to_string(),
                time(&v.start),
                v.accuracy_m,
                v.end.as_ref().map(time),
            ],
        )?;
    }
    Ok(())
}

/// Rebuilds the rows of visits, duty sessions and village check-ins from the log.
pub(super) fn rebuild(tx: &Transaction<'_>, steps: &mut Steps) -> Result<()> {
    tx.execute_batch("DELETE FROM visits; DELETE FROM duty_sessions; DELETE FROM village_stays;")?;
    let opening: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, type FROM records
             WHERE type IN ('household_check_in', 'duty_start', 'village_check_in') ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, kind) in opening {
        let id = parse_id(id)?;
        match kind.as_str() {
            "household_check_in" => refold_visit(tx, id, steps)?,
            "duty_start" => refold_duty(tx, id, steps)?,
            _ => refold_village_check_in(tx, id, steps)?,
        }
    }
    Ok(())
}

fn insert_entry(
    tx: &Transaction<'_>,
    rec: &DeviceRecord,
    kind: &str,
    title: &str,
    day: NaiveDate,
) -> Result<()> {
    let title: String = title.chars().take(80).collect();
    tx.execute(
        "INSERT INTO entries (record_id, type, kind, title, day, captured_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            rec.id.to_string(),
            rec.body.type_name(),
            kind,
            title,
            day.to_string(),
            time(&rec.captured_at)
        ],
    )?;
    Ok(())
}

const VISIT_COLUMNS: &str = "check_in_id, household_id, started_at, fix_lat, fix_lon, accuracy_m,
                             ended_at, photos, notes, event_id, retracted";

fn visit_row(r: &Row<'_>) -> rusqlite::Result<VisitRow> {
    let lat: Option<f64> = r.get(3)?;
    let lon: Option<f64> = r.get(4)?;
    Ok(VisitRow {
        check_in_id: parse_id(r.get(0)?)?,
        household_id: parse_id(r.get(1)?)?,
        started_at: parse_time(r.get(2)?)?,
        fix: lat.zip(lon),
        accuracy_m: r.get(5)?,
        ended_at: r.get::<_, Option<String>>(6)?.map(parse_time).transpose()?,
        photos: r.get(7)?,
        notes: serde_json::from_str(&r.get::<_, String>(8)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, e.into())
        })?,
        event_id: r.get::<_, Option<String>>(9)?.map(parse_id).transpose()?,
        retracted: r.get(10)?,
    })
}

impl Store {
    /// The duty session still open, if any.
    pub fn open_duty(&self) -> Result<Option<DutySession>> {
        Ok(self
            .conn
            .query_row(
                "SELECT duty_id, village_id, started_at, ended_at FROM duty_sessions
                 WHERE ended_at IS NULL ORDER BY started_at DESC, duty_id DESC LIMIT 1",
                [],
                duty_row,
            )
            .optional()?)
    }

    /// Duty sessions that started in `from..to`, oldest first.
    pub fn duty_sessions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DutySession>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT duty_id, village_id, started_at, ended_at FROM duty_sessions
             WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at, duty_id",
        )?;
        let rows = stmt.query_map(params![time(&from), time(&to)], duty_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The trajectory of a duty session, in order.
    pub fn track(&self, duty: RecordId) -> Result<Vec<TrackPoint>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT time, lat, lon, accuracy_m, segment FROM track_points
             WHERE duty_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([duty.to_string()], |r| {
            Ok(TrackPoint {
                time: parse_time(r.get(0)?)?,
                lat: r.get(1)?,
                lon: r.get(2)?,
                accuracy_m: r.get(3)?,
                segment: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The gaps in a duty session's trajectory, in the order they opened: each gap's latest
    /// note (a closing note takes the place of the note that opened it).
    pub fn location_gaps(&self, duty: RecordId) -> Result<Vec<LocationGap>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM records WHERE type = 'note'
             AND json_extract(json, '$.body.attached_to') = ?1 ORDER BY seq",
        )?;
        let mut notes: Vec<DeviceRecord> = Vec::new();
        for json in stmt.query_map([duty.to_string()], |r| r.get::<_, String>(0))? {
            notes.push(serde_json::from_str(&json?)?);
        }
        // The shared fold, as the team leader's answer reads a member's gaps.
        Ok(zhucun_shared::sessions::location_gaps(&notes)
            .into_iter()
            .map(|g| LocationGap {
                cause: g.cause,
                from: g.from,
                to: g.to,
            })
            .collect())
    }

    /// The village check-in not yet checked out, if any.
    pub fn open_village_stay(&self) -> Result<Option<VillageStay>> {
        Ok(self
            .conn
            .query_row(
                "SELECT check_in_id, village_id, checked_in_at, accuracy_m, checked_out_at
                 FROM village_stays WHERE checked_out_at IS NULL
                 ORDER BY checked_in_at DESC, check_in_id DESC LIMIT 1",
                [],
                |r| {
                    Ok(VillageStay {
                        check_in_id: parse_id(r.get(0)?)?,
                        village_id: parse_id(r.get(1)?)?,
                        checked_in_at: parse_time(r.get(2)?)?,
                        accuracy_m: r.get(3)?,
                        checked_out_at: r
                            .get::<_, Option<String>>(4)?
                            .map(parse_time)
                            .transpose()?,
                    })
                },
            )
            .optional()?)
    }

    /// The household visit not yet checked out, if any.
    pub fn open_visit(&self) -> Result<Option<VisitRow>> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits WHERE ended_at IS NULL AND retracted = 0
             ORDER BY started_at DESC, check_in_id DESC LIMIT 1"
        );
        Ok(self.conn.query_row(&sql, [], visit_row).optional()?)
    }

    /// Visits that started in `from..to`, newest first (of two at the same time, the one
    /// checked in later: ids are UUIDv7).
    pub fn visits(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<VisitRow>> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits WHERE started_at >= ?1 AND started_at < ?2
             ORDER BY started_at DESC, check_in_id DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![time(&from), time(&to)], visit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The text of this phone's notes by the record each is attached to (the latest note on a
    /// record wins), a finding's led by its outcome: a supervisor's findings before the server
    /// has them.
    pub fn notes_by_target(&self) -> Result<std::collections::HashMap<RecordId, String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM records WHERE type = 'note' ORDER BY seq")?;
        let mut out = std::collections::HashMap::new();
        for json in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let rec: DeviceRecord = serde_json::from_str(&json?)?;
            if let RecordBody::Note {
                attached_to,
                text,
                kind,
                ..
            } = rec.body
            {
                // A finding shows its outcome first.
                let shown = match kind.and_then(|k| k.outcome()) {
                    Some(o) if text.is_empty() => o.label_zh().to_string(),
                    Some(o) => format!("{}：{text}", o.label_zh()),
                    None => text,
                };
                out.insert(attached_to, shown);
            }
        }
        Ok(out)
    }

    /// The latest work-log entries, newest first.
    /// 四必到 events recorded on this phone or pulled from the team, with the days left to
    /// attend each as of `today` and the team's first linked check-in
    /// ([`zhucun_shared::events::open_events`]).
    pub fn open_events(
        &self,
        today: chrono::NaiveDate,
        within_days: u32,
        keep_overdue_days: i64,
    ) -> Result<Vec<zhucun_shared::events::OpenEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM records
             WHERE type IN ('village_event', 'household_check_in', 'on_site', 'retraction')
             ORDER BY seq",
        )?;
        let json = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let mut records = json
            .iter()
            .map(|j| serde_json::from_str::<DeviceRecord>(j))
            .collect::<serde_json::Result<Vec<_>>>()?;
        records.extend(self.team_event_records()?);
        Ok(zhucun_shared::events::open_events(
            &records,
            today,
            within_days,
            keep_overdue_days,
        ))
    }

    pub fn entries(&self, limit: usize) -> Result<Vec<EntryRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record_id, type, kind, title, day, captured_at, photos, retracted, files
             FROM entries ORDER BY captured_at DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(EntryRow {
                record_id: parse_id(r.get(0)?)?,
                record_type: r.get(1)?,
                kind: r.get(2)?,
                title: r.get(3)?,
                day: parse_id(r.get(4)?)?,
                captured_at: parse_time(r.get(5)?)?,
                photos: r.get(6)?,
                files: r.get(8)?,
                retracted: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn duty_row(r: &Row<'_>) -> rusqlite::Result<DutySession> {
    Ok(DutySession {
        duty_id: parse_id(r.get(0)?)?,
        village_id: r.get::<_, Option<String>>(1)?.map(parse_id).transpose()?,
        started_at: parse_time(r.get(2)?)?,
        ended_at: r.get::<_, Option<String>>(3)?.map(parse_time).transpose()?,
    })
}
