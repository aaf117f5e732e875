//! What the household list needs from the log beyond the visits view.

use super::{Result, Store};
use chrono::{DateTime, Utc};
use zhucun_shared::ids::HouseholdId;
use zhucun_shared::record::{DeviceRecord, RecordBody};

impl Store {
    /// Households with a 四必到 event of mine that happened in `from..to` and is not
    /// withdrawn (by the shared rule: a retraction from its own author).
    pub fn event_households(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HouseholdId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM records WHERE type IN ('village_event', 'retraction') ORDER BY seq",
        )?;
        let mut records: Vec<DeviceRecord> = Vec::new();
        for json in stmt.query_map([], |r| r.get::<_, String>(0))? {
            records.push(serde_json::from_str(&json?)?);
        }
        let withdrawn = zhucun_shared::visits::withdrawn(&records);
        let mut out: Vec<HouseholdId> = records
            .iter()
            .filter(|r| !withdrawn.contains(&r.id))
            .filter_map(|r| match &r.body {
                RecordBody::VillageEvent {
                    household_id: Some(h),
                    occurred_at,
                    ..
                } if *occurred_at >= from && *occurred_at < to => Some(*h),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}
