//! Plausibility checks: grounds to reject or flag a record.

use crate::org::{Device, LatLon};
use crate::period::{local_date, local_label};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the evaluator knows of photo files.
#[derive(Clone, Copy, Debug)]
pub enum PhotoFiles<'a> {
    /// On the phone: the files are its own and nothing more is known of them.
    Unchecked,
    /// On the server: the files it holds, with what it read from each (by SHA-256). A photo
    /// whose file has not arrived proves nothing yet.
    Held(&'a HashMap<String, PhotoFacts>),
}

impl<'a> PhotoFiles<'a> {
    /// Whether the file is known to be there (always, on the phone).
    pub fn held(&self, sha256: &str) -> bool {
        match self {
            PhotoFiles::Unchecked => true,
            PhotoFiles::Held(m) => m.contains_key(sha256),
        }
    }
    /// What was read from the file, if anything.
    pub fn facts(&self, sha256: &str) -> Option<&'a PhotoFacts> {
        match self {
            PhotoFiles::Unchecked => None,
            PhotoFiles::Held(m) => m.get(sha256),
        }
    }
}

/// What the server read from a photo file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhotoFacts {
    /// EXIF DateTimeOriginal, read as Asia/Shanghai local time.
    pub exif_time: Option<DateTime<Utc>>,
    pub exif_position: Option<LatLon>,
    /// Perceptual hash (base64), to find the same picture re-encoded.
    pub phash: Option<String>,
}

use crate::catalogue::Interpretation;
use crate::ids::DeviceId;
use crate::record::DeviceRecord;
use crate::stays::TrackPoint;
use crate::verdict::{Flag, FlagKind};

/// Records whose phone clock was far from the server's when they were sent.
pub fn clock_skew_flags<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord>,
    interp: &Interpretation,
) -> Vec<Flag> {
    let limit = interp.clock_skew_minutes * 60;
    let mut out: Vec<Flag> = Vec::new();
    for r in records {
        let Some(rx) = r.received else { continue };
        if rx.clock_offset_s.abs() > limit {
            out.push(Flag {
                kind: FlagKind::DeviceClockSkew,
                records: vec![r.id],
                detail: format!("设备时间与服务器相差 {} 分钟", rx.clock_offset_s / 60),
            });
        }
    }
    out
}

/// A fix in its device's log order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoggedFix {
    pub device_id: DeviceId,
    pub seq: u64,
    pub point: TrackPoint,
}

/// Consecutive fixes of one device (in log order) whose wall-clock and monotonic-clock
/// intervals disagree: the phone's time was changed in between. A monotonic clock going
/// backwards is a reboot, not a change.
pub fn clock_jump_flags(mut fixes: Vec<LoggedFix>, interp: &Interpretation) -> Vec<Flag> {
    let key = |f: &LoggedFix| (f.device_id, f.seq);
    if !fixes.is_sorted_by(|a, b| key(a) <= key(b)) {
        fixes.sort_unstable_by_key(key);
    }
    let limit_ms = interp.clock_jump_minutes * 60_000;
    fixes
        .windows(2)
        .filter(|w| w[0].device_id == w[1].device_id)
        .filter_map(|w| {
            let (a, b) = (&w[0].point, &w[1].point);
            let (ma, mb) = (a.fix.monotonic_ms?, b.fix.monotonic_ms?);
            if mb < ma {
                return None;
            }
            let wall = (b.fix.time - a.fix.time).num_milliseconds();
            let mono = (mb - ma) as i64;
            ((wall - mono).abs() > limit_ms).then(|| Flag {
                kind: FlagKind::ClockJump,
                records: vec![a.record, b.record],
                detail: format!(
                    "两次定位间设备时间走了 {} 秒, 实际经过 {} 秒",
                    wall / 1000,
                    mono / 1000
                ),
            })
        })
        .collect()
}

/// What is known of the devices' logs beyond their records: when each device was enrolled
/// and, on the server, after how long a receipt is late. The records themselves carry their
/// place in the log (device, seq), their capture time and, on the server, their receipt.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceLogs<'a> {
    /// Enrolled devices. A record of a device not listed is not checked against enrolment
    /// (the phone may not know when it was enrolled).
    pub devices: &'a [Device],
    /// A record received more than this after its capture carries a late-receipt mark.
    /// `None` on the phone, which does not learn when the server received its records.
    pub late_receipt_after: Option<Duration>,
}

impl DeviceLogs<'_> {
    /// What the phone knows: its records and nothing of enrolments or receipts.
    pub const PHONE: DeviceLogs<'static> = DeviceLogs {
        devices: &[],
        late_receipt_after: None,
    };

    /// The first moment `device` could have captured a record: the earliest enrolment of its
    /// person's devices. A log found restored or copied goes on under a newly enrolled device,
    /// carrying over the records it had not yet sent (see the phone's `fork`): those were
    /// captured under the person's earlier enrolment, honestly. `None` when the device is not
    /// listed.
    fn enrolled_at(&self, device: DeviceId) -> Option<DateTime<Utc>> {
        let person = self.devices.iter().find(|d| d.id == device)?.person_id;
        self.devices
            .iter()
            .filter(|d| d.person_id == person)
            .map(|d| d.enrolled_at)
            .min()
    }
}

/// Flags for back-filled and late records in devices' logs (补录, 上传延迟).
///
/// `records` are any records, in any order, duplicates allowed; each device's log is read in
/// seq order. A record whose capture time is earlier than that of a record before it in the
/// log, or earlier than its device's enrolment (the earliest of its person's devices, see
/// [`DeviceLogs`]), was not captured when it says
/// ([`FlagKind::OutOfOrder`]); one received more than `logs.late_receipt_after` after its
/// capture is only late ([`FlagKind::LateReceipt`]: a phone without signal for a week sends a
/// week late, in order). Differences within `tolerance` are clock noise and pass.
///
/// Only records for which `in_scope` holds are flagged; the others still set the order. A run
/// of consecutive records of one log flagged for the same cause is one flag, with every record
/// of the run and the numbers: a back-filled day of fixes is one thing to check.
///
/// These are flags, not rejections: a back-filled record still counts toward verdicts until a
/// supervisor, who sees the flag with its numbers on the report and first in the spot-check
/// queue, judges it. Rejecting it outright would also reject an honest phone whose clock was
/// set back, with no one having looked.
pub fn device_log_flags<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord>,
    logs: &DeviceLogs<'_>,
    tolerance: Duration,
    in_scope: impl Fn(&DeviceRecord) -> bool,
) -> Vec<Flag> {
    let mut by_device: HashMap<DeviceId, Vec<&DeviceRecord>> = HashMap::new();
    for r in records {
        by_device.entry(r.device_id).or_default().push(r);
    }
    let mut devices: Vec<_> = by_device.into_iter().collect();
    devices.sort_unstable_by_key(|(d, _)| *d);
    let mut out = Vec::new();
    for (device, mut log) in devices {
        if !log.is_sorted_by_key(|r| r.seq) {
            log.sort_by_key(|r| r.seq);
        }
        log.dedup_by_key(|r| r.seq);
        one_log(
            &log,
            logs.enrolled_at(device),
            logs,
            tolerance,
            &in_scope,
            &mut out,
        );
    }
    out
}

/// Why a record of a log is marked; equal causes of consecutive records make one flag.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cause {
    /// Captured before the device was enrolled.
    BeforeEnrolment(DateTime<Utc>),
    /// Captured before this earlier record of the log: (seq, capture time).
    BeforeEarlier(u64, DateTime<Utc>),
    /// Received late.
    Late,
}

/// Consecutive records of a log marked for one cause.
struct Run<'a> {
    cause: Cause,
    records: Vec<&'a DeviceRecord>,
}

impl Run<'_> {
    fn flag(&self) -> Flag {
        let first = self.records[0];
        let n = self.records.len();
        let (earliest, latest) = self
            .records
            .iter()
            .fold((first.captured_at, first.captured_at), |(lo, hi), r| {
                (lo.min(r.captured_at), hi.max(r.captured_at))
            });
        let span = |t0: DateTime<Utc>, t1: DateTime<Utc>| {
            if n == 1 || local_label(t0) == local_label(t1) {
                local_label(t0)
            } else {
                format!("{} 至 {}", local_label(t0), local_label(t1))
            }
        };
        let (kind, detail) = match self.cause {
            Cause::BeforeEarlier(seq, at) => {
                let what = if n == 1 {
                    format!("记录时间 {}", local_label(first.captured_at))
                } else {
                    format!("记录时间 {} 的 {n} 条记录", span(earliest, latest))
                };
                (
                    FlagKind::OutOfOrder,
                    format!(
                        "{what}，早于同一设备之前的第 {seq} 号记录（{}）",
                        local_label(at)
                    ),
                )
            }
            Cause::BeforeEnrolment(enrolled) => {
                // Days when days apart; minutes when the same day.
                let day = |t: DateTime<Utc>| local_label(t)[..5].to_string();
                let same_day = local_date(enrolled) == local_date(earliest);
                let (e, a, b) = if same_day {
                    (
                        local_label(enrolled),
                        local_label(earliest),
                        local_label(latest),
                    )
                } else {
                    (day(enrolled), day(earliest), day(latest))
                };
                let claimed = if n == 1 || a == b {
                    a
                } else {
                    format!("{a} 至 {b}")
                };
                let who = if n == 1 {
                    "记录".to_string()
                } else {
                    format!("{n} 条记录")
                };
                (
                    FlagKind::OutOfOrder,
                    format!("设备 {e} 登记，{who}称 {claimed} 采集"),
                )
            }
            Cause::Late => {
                let delays = self
                    .records
                    .iter()
                    .filter_map(|r| Some(r.received?.received_at - r.captured_at));
                let (lo, hi) = delays.fold((Duration::MAX, Duration::MIN), |(lo, hi), d| {
                    (lo.min(d), hi.max(d))
                });
                let (lo, hi) = (fmt_delay(lo), fmt_delay(hi));
                let detail = if n == 1 || lo == hi {
                    let who = if n == 1 {
                        String::new()
                    } else {
                        format!("{n} 条记录")
                    };
                    format!("{who}采集后 {lo}才上传")
                } else {
                    format!("{n} 条记录采集后 {lo}至 {hi}才上传")
                };
                (FlagKind::LateReceipt, detail)
            }
        };
        Flag {
            kind,
            records: self.records.iter().map(|r| r.id).collect(),
            detail,
        }
    }
}

/// `47 天 `, or hours under two days: `30 小时 `.
fn fmt_delay(d: Duration) -> String {
    if d >= Duration::days(2) {
        format!("{} 天", d.num_days())
    } else {
        format!("{} 小时", d.num_hours())
    }
}

/// One device's log, in seq order without duplicates.
fn one_log<'a>(
    log: &[&'a DeviceRecord],
    enrolled_at: Option<DateTime<Utc>>,
    logs: &DeviceLogs<'_>,
    tolerance: Duration,
    in_scope: &impl Fn(&DeviceRecord) -> bool,
    out: &mut Vec<Flag>,
) {
    // The latest capture so far in the log: (capture time, seq).
    let mut latest: Option<(DateTime<Utc>, u64)> = None;
    let mut hard: Option<Run<'a>> = None;
    let mut soft: Option<Run<'a>> = None;
    // Adds `r` to `run` if it continues it, else closes `run` and opens another.
    let extend = |run: &mut Option<Run<'a>>,
                  cause: Option<Cause>,
                  r: &'a DeviceRecord,
                  out: &mut Vec<Flag>| {
        match (run.as_mut(), cause) {
            (Some(open), Some(c)) if open.cause == c => open.records.push(r),
            (_, c) => {
                if let Some(done) = run.take() {
                    out.push(done.flag());
                }
                *run = c.map(|cause| Run {
                    cause,
                    records: vec![r],
                });
            }
        }
    };
    for &r in log {
        let t = r.captured_at;
        let scoped = in_scope(r);
        let before_enrolment = enrolled_at.filter(|e| t + tolerance < *e);
        let before_earlier = latest.filter(|(at, _)| t + tolerance < *at);
        let hard_cause = match (before_enrolment, before_earlier) {
            _ if !scoped => None,
            (Some(e), _) => Some(Cause::BeforeEnrolment(e)),
            (None, Some((at, seq))) => Some(Cause::BeforeEarlier(seq, at)),
            (None, None) => None,
        };
        let late = logs
            .late_receipt_after
            .is_some_and(|limit| r.received.is_some_and(|rx| rx.received_at - t > limit));
        let soft_cause = (scoped && late).then_some(Cause::Late);
        extend(&mut hard, hard_cause, r, out);
        extend(&mut soft, soft_cause, r, out);
        if latest.is_none_or(|(at, _)| t > at) {
            latest = Some((t, r.seq));
        }
    }
    for run in [hard, soft].into_iter().flatten() {
        out.push(run.flag());
    }
}
