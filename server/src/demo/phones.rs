//! Everyone's phone: enrolled before its first fix, and synced the evening of each day it
//! recorded, so that the demo raises no back-fill or late-receipt flags of its own making.

use super::DemoError;
use crate::store::{IncomingRecord, Org, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashMap;
use zhucun_shared::ids::{DeviceId, PersonId};
use zhucun_shared::org::Device;
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, ServerReceipt};
use zhucun_shared::sync::MAX_PUSH_RECORDS;
use zhucun_shared::synth::{at_local, DeviceLog};

/// Enrols a phone for each person at 08:00 on `posted`, before the first duty day's first fix
/// (08:20): a record dated before its phone's enrolment is flagged as back-filled.
pub(super) async fn enrol<S: Store>(
    store: &S,
    org: &Org,
    posted: NaiveDate,
) -> Result<HashMap<PersonId, DeviceLog>, DemoError> {
    let mut phones = HashMap::new();
    for p in &org.people {
        let device = Device {
            id: DeviceId::new(),
            person_id: p.id,
            label: "演示手机".into(),
            enrolled_at: at_local(posted, 8, 0),
        };
        store.enroll_device(&device).await?;
        phones.insert(p.id, DeviceLog::new(p.id, device.id));
    }
    Ok(phones)
}

/// Pushes every phone's log as the phones would have: each day's records that evening, in
/// batches the sync takes. How many records were stored.
pub(super) async fn sync_evenings<S: Store>(
    store: &S,
    phones: HashMap<PersonId, DeviceLog>,
    now: DateTime<Utc>,
) -> Result<usize, DemoError> {
    let mut stored = 0;
    for (_, log) in phones {
        let device = log.device();
        let records = log.into_records();
        let days = records.chunk_by(|a, b| local_date(a.captured_at) == local_date(b.captured_at));
        for batch in days.flat_map(|d| d.chunks(MAX_PUSH_RECORDS)) {
            let incoming = received(batch, now);
            stored += store.push_records(device, &incoming).await?.stored as usize;
        }
    }
    Ok(stored)
}

/// A batch as the server takes it: received half an hour after its last record (a record
/// received days after capture carries a late mark), never after `now`.
fn received(batch: &[DeviceRecord], now: DateTime<Utc>) -> Vec<IncomingRecord> {
    let sent = batch
        .last()
        .map(|r| r.captured_at)
        .unwrap_or(now)
        .max(batch[0].captured_at)
        + Duration::minutes(30);
    let receipt = ServerReceipt {
        received_at: sent.min(now),
        clock_offset_s: 2,
    };
    batch
        .iter()
        .map(|r| IncomingRecord {
            content_hash: r.content_hash(),
            record: DeviceRecord {
                received: Some(receipt),
                ..r.clone()
            },
        })
        .collect()
}
