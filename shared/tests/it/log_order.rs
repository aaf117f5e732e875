//! Back-filled months (补录): a device's log says when a record cannot have been captured when
//! it says. Out of log order or before enrolment is flagged with the numbers; a late upload in
//! order is only marked late, and only where receipts are known (the server).

use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rstest::rstest;
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::org::Device;
use zhucun_shared::period::local_date;
use zhucun_shared::plausibility::{device_log_flags, DeviceLogs};
use zhucun_shared::record::{DeviceRecord, RecordBody, ServerReceipt};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::FlagKind;

const DEVICE: DeviceId = DeviceId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);

/// 2026, China time: `cn("10-14 09:00")`.
fn cn(s: &str) -> DateTime<Utc> {
    let (md, hm) = s.split_once(' ').unwrap();
    let (m, d) = md.split_once('-').unwrap();
    let (h, mi) = hm.split_once(':').unwrap();
    at(
        2026,
        m.parse().unwrap(),
        d.parse().unwrap(),
        h.parse().unwrap(),
        mi.parse().unwrap(),
    )
}

/// A log entry: seq, capture time, receipt time (China time).
type Entry = (u64, &'static str, Option<&'static str>);

fn record(person: PersonId, (seq, captured, received): Entry) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::from_u128(u128::from(seq)),
        device_id: DEVICE,
        seq,
        person_id: person,
        captured_at: cn(captured),
        body: RecordBody::Note {
            attached_to: RecordId::from_u128(0),
            text: "工作日志".into(),
            replaces: None,
            kind: None,
        },
        received: received.map(|r| ServerReceipt {
            received_at: cn(r),
            clock_offset_s: 0,
        }),
    }
}

/// The person's devices: (number, enrolment time); number 1 is [`DEVICE`], whose log is read.
fn enrolled(devices: &[(u128, &str)]) -> Vec<Device> {
    devices
        .iter()
        .map(|(n, on)| Device {
            id: DeviceId::from_u128(DEVICE.0.as_u128() - 1 + n),
            person_id: person(Role::ResidentMember),
            label: "华为 Mate 20".into(),
            enrolled_at: cn(on),
        })
        .collect()
}

const SERVER: Option<Duration> = Some(Duration::days(3));

#[rstest]
#[case::three_days_back_filled_after_the_end_of_november(
    // Honest November, then on 11-30 three "October" days appended after seq 1234.
    &[(1233, "11-28 15:40", Some("11-28 15:45")), (1234, "11-28 16:02", Some("11-28 16:05")),
      (1235, "10-14 09:00", Some("11-30 09:10"))],
    &[(1, "01-01 00:00")], SERVER,
    vec![(FlagKind::OutOfOrder, "记录时间 10-14 09:00，早于同一设备之前的第 1234 号记录（11-28 16:02）", vec![1235]),
      (FlagKind::LateReceipt, "采集后 47 天才上传", vec![1235])],
)]
#[case::a_back_filled_run_is_one_flag(
    &[(1234, "11-28 16:02", Some("11-28 16:05")), (1235, "10-14 09:00", Some("11-30 09:10")),
      (1236, "10-15 09:00", Some("11-30 09:10")), (1237, "10-16 17:30", Some("11-30 09:10")),
      (1238, "11-30 09:05", Some("11-30 09:10"))],
    &[(1, "01-01 00:00")], SERVER,
    vec![(FlagKind::OutOfOrder,
       "记录时间 10-14 09:00 至 10-16 17:30 的 3 条记录，早于同一设备之前的第 1234 号记录（11-28 16:02）",
       vec![1235, 1236, 1237]),
      (FlagKind::LateReceipt, "3 条记录采集后 44 天至 47 天才上传", vec![1235, 1236, 1237])],
)]
#[case::before_enrolment(
    &[(1, "11-20 10:00", Some("11-20 10:05")), (2, "10-14 09:00", Some("11-20 10:05"))],
    &[(1, "11-20 09:30")], None,
    vec![(FlagKind::OutOfOrder, "设备 11-20 登记，记录称 10-14 采集", vec![2])],
)]
#[case::before_enrolment_at_the_start_of_the_log(
    // A new phone whose log opens with October: in order, yet before the phone existed here.
    &[(1, "10-14 09:00", None), (2, "10-15 09:00", None), (3, "11-21 08:00", None)],
    &[(1, "11-20 09:30")], None,
    vec![(FlagKind::OutOfOrder, "设备 11-20 登记，2 条记录称 10-14 至 10-15 采集", vec![1, 2])],
)]
#[case::honest_phone_a_week_offline(
    // In order, a day's work each day, all sent when the phone found signal 7 days later.
    &[(1, "11-16 08:00", Some("11-16 08:10")), (2, "11-20 08:00", Some("11-27 18:00")),
      (3, "11-21 08:00", Some("11-27 18:00")), (4, "11-22 08:00", Some("11-27 18:00")),
      (5, "11-25 08:00", Some("11-27 18:00")), (6, "11-27 17:00", Some("11-27 18:00"))],
    &[(1, "11-01 09:00")], SERVER,
    vec![(FlagKind::LateReceipt, "3 条记录采集后 5 天至 7 天才上传", vec![2, 3, 4])],
)]
#[case::on_the_phone_the_order_is_checked_and_nothing_else(
    &[(1234, "11-28 16:02", None), (1235, "10-14 09:00", None)],
    &[], None,
    vec![(FlagKind::OutOfOrder, "记录时间 10-14 09:00，早于同一设备之前的第 1234 号记录（11-28 16:02）", vec![1235])],
)]
#[case::a_forked_log_carries_records_of_the_earlier_enrolment(
    // The phone was restored from a backup and goes on as a new device (enrolled 11-20),
    // re-logging from seq 1 what it had not sent since 11-18: captured under device 2.
    &[(1, "11-18 09:00", None), (2, "11-19 09:00", None), (3, "11-20 10:00", None)],
    &[(2, "03-01 09:00"), (1, "11-20 09:30")], None,
    vec![],
)]
#[case::a_clock_a_few_minutes_back_is_noise(
    &[(1, "11-28 16:02", None), (2, "11-28 15:57", None), (3, "11-28 16:10", None)],
    &[(1, "11-28 16:05")], None,
    vec![],
)]
fn a_devices_log_flags_records_not_captured_when_they_say(
    #[case] log: &[Entry],
    #[case] enrolments: &[(u128, &str)],
    #[case] late_after: Option<Duration>,
    #[case] want: Vec<(FlagKind, &str, Vec<u64>)>,
) {
    let me = person(Role::ResidentMember);
    let mut records: Vec<DeviceRecord> = log.iter().map(|e| record(me, *e)).collect();
    // The log is read in seq order whatever order the records come in, sent twice or not.
    records.reverse();
    records.push(records[0].clone());
    let devices = enrolled(enrolments);
    let logs = DeviceLogs {
        devices: &devices,
        late_receipt_after: late_after,
    };
    let mut got: Vec<(FlagKind, String, Vec<RecordId>)> =
        device_log_flags(&records, &logs, Duration::minutes(10), |_| true)
            .into_iter()
            .map(|f| (f.kind, f.detail, f.records))
            .collect();
    got.sort();
    let mut want: Vec<(FlagKind, String, Vec<RecordId>)> = want
        .into_iter()
        .map(|(k, d, ids)| {
            let ids = ids.into_iter().map(|s| RecordId::from_u128(u128::from(s)));
            (k, d.to_string(), ids.collect())
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}

/// The evaluator: a back-filled month is flagged on the month it claims, and still counted.
#[test]
fn three_back_filled_days_are_flagged_on_october_and_still_counted_for_the_supervisor() {
    let mut w = World::new();
    let role = Role::FirstSecretary;
    let mut rec = w.recorder(role);
    // November first, honestly; then three October days appended to the same log on 11-30.
    let mut records = Vec::new();
    for d in [2, 3, 4] {
        records.extend(rec.track(
            at(2026, 11, d, 8, 0),
            Duration::hours(5),
            Duration::minutes(5),
            |_| CENTRE,
        ));
    }
    let honest_end = records.len();
    for d in [13, 14, 15] {
        records.extend(rec.track(
            at(2026, 10, d, 8, 0),
            Duration::hours(5),
            Duration::minutes(5),
            |_| CENTRE,
        ));
    }
    for (i, r) in records.iter_mut().enumerate() {
        let received_at = if i < honest_end {
            r.captured_at + Duration::minutes(10)
        } else {
            at(2026, 11, 30, 9, 0)
        };
        r.received = Some(ServerReceipt {
            received_at,
            clock_offset_s: 0,
        });
    }
    let now = at(2026, 11, 30, 10, 0);
    let october = |w: &World| w.report(role, &records, "2026-10", now);

    // The phone alone: the order of its own log already shows it.
    let phone = october(&w);
    let kinds: Vec<FlagKind> = phone.flags.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FlagKind::OutOfOrder], "{:?}", phone.flags);
    let flag = &phone.flags[0];
    let last_honest = &records[honest_end - 1];
    assert!(
        flag.detail
            .contains(&format!("第 {} 号记录", last_honest.seq)),
        "{}",
        flag.detail
    );
    assert_eq!(flag.records.len(), records.len() - honest_end);

    // The server, which also knows receipts and enrolment.
    w.devices = vec![Device {
        id: records[0].device_id,
        person_id: records[0].person_id,
        label: "华为".into(),
        enrolled_at: at(2026, 1, 1, 9, 0),
    }];
    w.late_receipt_after = Some(Duration::days(3));
    let server = october(&w);
    let kinds: Vec<FlagKind> = server.flags.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [FlagKind::OutOfOrder, FlagKind::LateReceipt],
        "{:?}",
        server.flags
    );
    // Still counted: flagged for a supervisor to judge, not silently dropped.
    let in_village = server.verdict("R-233a").unwrap();
    let days: Vec<NaiveDate> = in_village.parts[0]
        .evidence
        .iter()
        .map(|e| local_date(e.start))
        .collect();
    assert_eq!(
        days,
        [day(2026, 10, 13), day(2026, 10, 14), day(2026, 10, 15)]
    );
    // November, honest and prompt, raises nothing.
    let november = w.report(role, &records, "2026-11", now);
    assert!(november.flags.is_empty(), "{:?}", november.flags);
}
