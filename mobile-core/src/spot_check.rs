//! 抽查 on the phone: the queue as the server sent it, made safe to show. Each item is known
//! by what it is about — a person's kind of flag, or a sampled visit (its first record, the
//! check-in) — and the screen holds one item per identity: a visit the server listed twice (as
//! two rules counted it, with and without its note) is one item, with the records of both, so
//! a finding is written once, against that visit.

use std::collections::HashMap;
use std::fmt;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::spot_check::{SpotCheckItem, SpotCheckQueue, SpotCheckReason};

/// What an item is about: its list key on the screen (as text) and the test of "the same item".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemIdentity {
    pub person: PersonId,
    pub reason: SpotCheckReason,
    /// The sampled visit or stay (its first record); none for a flag, one item per person
    /// and kind of flag.
    pub record: Option<RecordId>,
}

impl ItemIdentity {
    pub fn of(item: &SpotCheckItem) -> ItemIdentity {
        ItemIdentity {
            person: item.person_id,
            reason: item.reason,
            record: match item.reason {
                SpotCheckReason::Flag(_) => None,
                SpotCheckReason::Sample(_) => item.records.first().copied(),
            },
        }
    }
}

/// The person, the reason as its type names it (variant and kind, never the label shown), and
/// the sampled record.
impl fmt::Display for ItemIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:?}", self.person, self.reason)?;
        if let Some(r) = self.record {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

/// The queue with one item per identity, in the server's order (an item's first place). A
/// repeated item adds the records it has that the first lacks, and its finding if the first
/// has none or an older one.
pub fn distinct(queue: SpotCheckQueue) -> SpotCheckQueue {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut items: Vec<SpotCheckItem> = Vec::with_capacity(queue.items.len());
    for item in queue.items {
        let key = ItemIdentity::of(&item).to_string();
        let Some(&i) = at.get(&key) else {
            at.insert(key, items.len());
            items.push(item);
            continue;
        };
        let kept = &mut items[i];
        for r in item.records {
            if !kept.records.contains(&r) {
                kept.records.push(r);
            }
        }
        let newer = match (&kept.finding, &item.finding) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => (b.at, b.record_id) > (a.at, a.record_id),
            _ => false,
        };
        if newer {
            kept.finding = item.finding;
        }
    }
    SpotCheckQueue {
        period: queue.period,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhucun_shared::period::Period;
    use zhucun_shared::verdict::{EvidenceKind, FlagKind};

    fn item(person: u128, reason: SpotCheckReason, records: &[u128]) -> SpotCheckItem {
        SpotCheckItem {
            person_id: PersonId::from_u128(person),
            person_name: String::new(),
            reason,
            records: records.iter().map(|&r| RecordId::from_u128(r)).collect(),
            detail: String::new(),
            finding: None,
        }
    }

    #[test]
    fn one_item_per_visit_and_kind() {
        let visit = SpotCheckReason::Sample(EvidenceKind::HouseholdVisit);
        let mock = SpotCheckReason::Flag(FlagKind::MockLocation);
        let queue = SpotCheckQueue {
            period: Period::month(2026, 11),
            items: vec![
                item(1, mock, &[10]),
                item(1, visit, &[20, 21, 22]),
                item(1, visit, &[20, 21, 22, 23]),
                // Another visit of the same cadre, and the same visit of nobody else.
                item(1, visit, &[30, 31]),
                item(1, mock, &[11]),
            ],
        };
        let out = distinct(queue);
        let records: Vec<Vec<u128>> = out
            .items
            .iter()
            .map(|i| i.records.iter().map(|r| r.0.as_u128()).collect())
            .collect();
        assert_eq!(
            records,
            vec![vec![10, 11], vec![20, 21, 22, 23], vec![30, 31]]
        );
        let keys: std::collections::HashSet<String> = out
            .items
            .iter()
            .map(|i| ItemIdentity::of(i).to_string())
            .collect();
        assert_eq!(keys.len(), 3);
    }
}
