//! 请假审批 after a sync: the requests the signed-in approver may decide.

use super::SharedStore;
use super::{holds, SyncEngine, SyncError};
use chrono::{DateTime, Utc};
use zhucun_shared::leave::{LeaveItem, LEAVE_APPROVERS};

impl SyncEngine {
    /// For a team leader or the coordination office: the leave and official-absence requests
    /// they may decide, pending first. Empty for anyone else (the server would refuse them).
    pub async fn leave_requests(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<Vec<LeaveItem>, SyncError> {
        let mut approver = false;
        for role in LEAVE_APPROVERS {
            approver |= holds(store, now, role)?.1;
        }
        if !approver {
            return Ok(Vec::new());
        }
        Ok(self.api.leave_requests().await?)
    }
}
