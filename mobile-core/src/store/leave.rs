//! 请假、公差 in the phone's log: the cadre's own requests with the decisions the server
//! passed down at the last pull, and the decisions this phone wrote as an approver.

use super::{Result, Store};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use zhucun_shared::ids::RecordId;
use zhucun_shared::leave::{absences, Absence, LeaveDecision};
use zhucun_shared::record::{DeviceRecord, NoteKind, RecordBody};

impl Store {
    fn records_where(&self, sql: &str) -> Result<Vec<DeviceRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let json = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(json
            .iter()
            .map(|j| serde_json::from_str::<DeviceRecord>(j))
            .collect::<serde_json::Result<Vec<_>>>()?)
    }

    /// My requests, withdrawn ones left out, each with the decision standing on it among those
    /// pulled (the server keeps only decisions by someone who may decide): pending until the
    /// next pull after a decision.
    pub fn absences(&self) -> Result<Vec<Absence>> {
        let records = self.records_where(
            "SELECT json FROM records WHERE type IN ('leave_request', 'retraction') ORDER BY seq",
        )?;
        let pulled = self.reference()?.findings;
        Ok(absences(&records, &pulled))
    }

    /// The decisions this phone wrote, latest per request, with when: an approver's list shows
    /// them as sent until the server's list carries them.
    pub fn leave_decisions_sent(
        &self,
    ) -> Result<HashMap<RecordId, (LeaveDecision, DateTime<Utc>)>> {
        let notes = self.records_where(
            "SELECT json FROM records WHERE type = 'note'
             AND json_extract(json, '$.body.kind.leave_decision') IS NOT NULL ORDER BY seq",
        )?;
        let mut out = HashMap::new();
        for n in notes {
            if let RecordBody::Note {
                attached_to,
                kind: Some(NoteKind::LeaveDecision { decision }),
                ..
            } = n.body
            {
                out.insert(attached_to, (decision, n.captured_at));
            }
        }
        Ok(out)
    }
}
