//! 抽查: the supervisor's spot-check queue. Flagged records come first, one item per person and
//! kind of flag, the most telling first (a mock location before a clock drift); then a routine
//! sample of the visits and stays
//! that counted, drawn by record id so the same month gives the same sample to everyone who
//! asks. An item is checked once someone other than its cadre has attached a note (the
//! finding) to one of its records; checked items go to the end, with the finding.

use crate::ids::{PersonId, RecordId};
use crate::org::{Access, Assignment, Person, Township};
use crate::period::Period;
pub use crate::record::FindingOutcome;
use crate::record::{DeviceRecord, Fix, NoteKind, RecordBody};
use crate::verdict::{EvidenceKind, FlagKind, PersonReport};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why an item is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "type", content = "kind")]
pub enum SpotCheckReason {
    /// A plausibility flag raised on the records.
    Flag(FlagKind),
    /// Drawn for a routine check among the evidence that counted.
    Sample(EvidenceKind),
}

impl SpotCheckReason {
    pub fn label_zh(self) -> String {
        match self {
            SpotCheckReason::Flag(f) => f.label_zh().to_string(),
            SpotCheckReason::Sample(_) => "随机抽查".to_string(),
        }
    }
}

/// What a checker wrote about a record: a note attached to it. With an outcome it is a
/// structured finding that the evaluator applies (核查不属实 rejects the record); without one,
/// a free-text note written before outcomes existed, which only closes a queue item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// The note.
    pub record_id: RecordId,
    /// The record judged. (Absent from servers that predate it: then the nil id, no record.)
    #[serde(default = "no_record")]
    pub attached_to: RecordId,
    pub by: PersonId,
    pub at: DateTime<Utc>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<FindingOutcome>,
    /// The checker's own fix, for a finding made on site from the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// 请假审批: the decision, for a note on a leave request ([`crate::leave`]); such a note
    /// has no outcome and judges no record's truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::leave::LeaveDecision>,
}

fn no_record() -> RecordId {
    RecordId(uuid::Uuid::nil())
}

impl Finding {
    /// The finding a note records: any note attached to a record (whether it counts is for
    /// [`may_judge`] to say).
    pub fn of_note(r: &DeviceRecord) -> Option<Finding> {
        let RecordBody::Note {
            attached_to,
            text,
            kind,
            ..
        } = &r.body
        else {
            return None;
        };
        let (outcome, fix) = match kind {
            Some(NoteKind::Finding { outcome, fix }) => (Some(*outcome), *fix),
            _ => (None, None),
        };
        let decision = match kind {
            Some(NoteKind::LeaveDecision { decision }) => Some(*decision),
            _ => None,
        };
        Some(Finding {
            record_id: r.id,
            attached_to: *attached_to,
            by: r.person_id,
            at: r.captured_at,
            text: text.clone(),
            outcome,
            fix,
            decision,
        })
    }

    /// How a rejection quotes the finding: 核查不属实（张三 11-20 10:00）：现场无此户.
    pub fn quote(&self, by_name: &str) -> String {
        let label = self.outcome.map_or("核查意见", FindingOutcome::label_zh);
        let mut s = format!(
            "{label}（{by_name} {}）",
            crate::period::local_label(self.at)
        );
        if !self.text.trim().is_empty() {
            s.push('：');
            s.push_str(self.text.trim());
        }
        s
    }
}

/// Whether a finding counts on `target`'s record: it was written by someone else whose
/// jurisdiction, on the day they wrote it, covered `target` for some of `from..=to`.
/// `by_assignments` are the author's, `townships` the server's (for the county office's
/// county). The one rule for the spot-check queue, the verdicts and the review console.
pub fn may_judge(
    finding: &Finding,
    by_assignments: &[Assignment],
    target: &Person,
    target_assignments: &[Assignment],
    from: NaiveDate,
    to: NaiveDate,
    townships: &[Township],
) -> bool {
    finding.by != target.id
        && Access::of(
            finding.by,
            by_assignments,
            crate::period::local_date(finding.at),
            townships,
        )
        .can_see(target, target_assignments, from, to)
}

/// The findings in force, one per record judged: among `findings` (already limited to those
/// that [`may_judge`]), those with an outcome, the latest (by time, then id) on each record.
/// A cadre's answer or a later "dismissed" replaces an earlier "not confirmed": the latest
/// word of a checker stands.
pub fn latest_findings<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> HashMap<RecordId, &'a Finding> {
    latest_on_each(findings.into_iter().filter(|f| f.outcome.is_some()))
}

/// Of `notes`, the latest (by time, then id) on each record they are attached to.
pub fn latest_on_each<'a>(
    notes: impl IntoIterator<Item = &'a Finding>,
) -> HashMap<RecordId, &'a Finding> {
    let mut out: HashMap<RecordId, &Finding> = HashMap::new();
    for f in notes {
        match out.get(&f.attached_to) {
            Some(held) if (held.at, held.record_id) >= (f.at, f.record_id) => {}
            _ => {
                out.insert(f.attached_to, f);
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckItem {
    pub person_id: PersonId,
    pub person_name: String,
    pub reason: SpotCheckReason,
    /// The records to look at; a finding is attached to the first.
    pub records: Vec<RecordId>,
    pub detail: String,
    pub finding: Option<Finding>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckQueue {
    pub period: Period,
    pub items: Vec<SpotCheckItem>,
}

/// One routine item in this many pieces of visit evidence (at least one per person with any).
pub const SAMPLE_ONE_IN: u128 = 20;

/// The most a person's risk multiplies how often their visits are drawn.
pub const MAX_RISK_WEIGHT: u8 = 5;

/// How many times the base rate a person's visits are drawn at: one, and one more for each
/// kind of flag their records raised (a late upload alone is normal and adds nothing).
pub fn risk_weight(report: &PersonReport) -> u8 {
    let kinds: BTreeSet<FlagKind> = report
        .flags
        .iter()
        .map(|f| f.kind)
        .filter(|k| *k != FlagKind::LateReceipt)
        .collect();
    (1 + kinds.len()).min(usize::from(MAX_RISK_WEIGHT)) as u8
}

/// A record's draw under `seed`: its id itself under seed 0, else the id mixed with the seed
/// (SplitMix64's finaliser over both halves), so that each seed gives an independent draw.
fn draw(seed: u64, record: RecordId) -> u128 {
    let id = record.0.as_u128();
    if seed == 0 {
        return id;
    }
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (hi, lo) = ((id >> 64) as u64, id as u64);
    let a = mix(lo ^ mix(seed));
    let b = mix(hi ^ a.rotate_left(17) ^ seed);
    (u128::from(b) << 64) | u128::from(a)
}

/// Most telling first.
fn severity(f: FlagKind) -> u8 {
    match f {
        FlagKind::MockLocation => 0,
        FlagKind::PhotoReused => 1,
        FlagKind::ImpossibleSpeed => 2,
        FlagKind::ClockJump => 3,
        // A record dated before its log's earlier records: as telling as a changed clock.
        FlagKind::OutOfOrder => 3,
        FlagKind::PhotoFarFromVisit => 4,
        FlagKind::PhotoTimeOutsideVisit => 5,
        FlagKind::DeviceClockSkew => 6,
        // Late sync is normal without signal: looked at last.
        FlagKind::LateReceipt => 7,
    }
}

/// The queue for `period` from the people's reports, with `notes` (records of the checkers;
/// other kinds are ignored) as findings. A note is a finding on a person's item only when
/// `may_judge(note, person)`: its author's jurisdiction covered the person (the caller
/// decides, from the jurisdiction model); a leader of another team cannot close an item by
/// attaching a note to its record.
///
/// The routine sample is drawn with `seed` (0: the month's standing sample, the same for
/// everyone who asks; another seed draws a new sample that anyone can draw again with it), and
/// weighted by risk: a person whose records raised flags of `k` kinds has their visits drawn
/// `1 + k` times as often (up to [`MAX_RISK_WEIGHT`]).
pub fn spot_check_queue(
    period: Period,
    reports: &[(PersonId, String, PersonReport)],
    notes: &[DeviceRecord],
    may_judge: impl Fn(&Finding, PersonId) -> bool,
    seed: u64,
) -> SpotCheckQueue {
    let mut findings: HashMap<RecordId, Vec<Finding>> = HashMap::new();
    for f in notes.iter().filter_map(Finding::of_note) {
        findings.entry(f.attached_to).or_default().push(f);
    }
    let mut items: Vec<(u8, SpotCheckItem)> = Vec::new();
    for (person, name, report) in reports {
        let item = |reason, records: Vec<RecordId>, detail: String| SpotCheckItem {
            person_id: *person,
            person_name: name.clone(),
            reason,
            // The latest word of someone other than the cadre stands.
            finding: records
                .iter()
                .filter_map(|r| findings.get(r))
                .flatten()
                .filter(|f| f.by != *person && may_judge(f, *person))
                .max_by_key(|f| (f.at, f.record_id))
                .cloned(),
            records,
            detail,
        };
        // One item per kind of flag: a phone that mocked its location all morning raised a
        // flag per fix, and the supervisor has one thing to check.
        let mut by_kind: BTreeMap<FlagKind, Vec<&crate::verdict::Flag>> = BTreeMap::new();
        for f in &report.flags {
            by_kind.entry(f.kind).or_default().push(f);
        }
        for (kind, flags) in by_kind {
            let mut seen = BTreeSet::new();
            let records: Vec<RecordId> = flags
                .iter()
                .flat_map(|f| &f.records)
                .filter(|r| seen.insert(**r))
                .copied()
                .collect();
            let detail = match flags.len() {
                1 => flags[0].detail.clone(),
                n => format!("{} 等 {n} 处", flags[0].detail),
            };
            items.push((
                severity(kind),
                item(SpotCheckReason::Flag(kind), records, detail),
            ));
        }
        // Visits and stays that counted, once each however many rules counted them. A visit
        // is known by its first record (its check-in): one rule's evidence may list more of
        // its records than another's (the ledger adds the visit's note), and the item shows
        // them all.
        let mut counted: Vec<crate::verdict::Evidence> = Vec::new();
        let mut index: HashMap<(EvidenceKind, RecordId), usize> = HashMap::new();
        for e in report
            .verdicts
            .iter()
            .flat_map(|v| &v.parts)
            .flat_map(|p| &p.evidence)
        {
            let visit = matches!(
                e.kind,
                EvidenceKind::HouseholdVisit | EvidenceKind::QualifyingVisit
            );
            let Some(first) = e.records.first().filter(|_| visit) else {
                continue;
            };
            match index.get(&(e.kind, *first)) {
                Some(&i) => {
                    let held = &mut counted[i].records;
                    for r in &e.records {
                        if !held.contains(r) {
                            held.push(*r);
                        }
                    }
                }
                None => {
                    index.insert((e.kind, *first), counted.len());
                    counted.push(e.clone());
                }
            }
        }
        // UUIDv7 ids end in random bits: a fair draw that anyone can repeat, with the seed.
        let weight = u128::from(risk_weight(report));
        let draw = |e: &&crate::verdict::Evidence| draw(seed, e.records[0]) % SAMPLE_ONE_IN;
        let mut drawn: Vec<_> = counted.iter().filter(|e| draw(e) < weight).collect();
        if drawn.is_empty() {
            drawn.extend(counted.iter().min_by_key(|e| (draw(e), e.records[0])));
        }
        for e in drawn {
            items.push((
                u8::MAX,
                item(
                    SpotCheckReason::Sample(e.kind),
                    e.records.clone(),
                    e.detail.clone(),
                ),
            ));
        }
    }
    items.sort_by(|(a, x), (b, y)| {
        (x.finding.is_some(), *a, &x.person_name, &x.records).cmp(&(
            y.finding.is_some(),
            *b,
            &y.person_name,
            &y.records,
        ))
    });
    items.dedup_by(|(_, a), (_, b)| {
        a.person_id == b.person_id && a.records == b.records && a.reason == b.reason
    });
    SpotCheckQueue {
        period,
        items: items.into_iter().map(|(_, i)| i).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::verdict::{Evidence, Flag, Part, Status, Verdict};

    fn at(h: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_793_000_000 + i64::from(h) * 3600, 0).unwrap()
    }

    fn visit(id: u128) -> Evidence {
        Evidence {
            kind: EvidenceKind::HouseholdVisit,
            records: vec![RecordId::from_u128(id)],
            start: at(1),
            end: Some(at(2)),
            detail: format!("走访 {id}"),
        }
    }

    fn report(person: PersonId, flags: Vec<Flag>, visits: &[u128]) -> PersonReport {
        let part = Part {
            label_zh: "走访".into(),
            period: "2026-11".into(),
            village_id: None,
            status: Status::Met,
            counted: visits.len() as u32,
            required: 1,
            due: None,
            evidence: visits.iter().map(|&v| visit(v)).collect(),
            rejected: vec![],
        };
        let verdict = |id: &str| Verdict {
            rule_id: id.into(),
            seed_ref: String::new(),
            title_zh: String::new(),
            status: Status::Met,
            provisional: false,
            parts: vec![part.clone()],
        };
        PersonReport {
            person_id: person,
            period: Period::month(2026, 11),
            evaluated_at: at(0),
            catalogue_version: String::new(),
            // Two rules counting the same visits: each visit is one item at most.
            verdicts: vec![verdict("R-242"), verdict("R-243")],
            flags,
            standing: Default::default(),
        }
    }

    /// Every checker's jurisdiction covers everyone.
    fn anyone(_: &Finding, _: PersonId) -> bool {
        true
    }

    fn note(by: PersonId, on: RecordId, text: &str, h: u32) -> DeviceRecord {
        DeviceRecord {
            id: RecordId::from_u128(9_000 + u128::from(h)),
            device_id: DeviceId::from_u128(1),
            seq: u64::from(h),
            person_id: by,
            captured_at: at(h),
            body: RecordBody::Note {
                attached_to: on,
                text: text.into(),
                replaces: None,
                kind: None,
            },
            received: None,
        }
    }

    #[test]
    fn flags_come_first_most_telling_first_then_a_repeatable_sample() {
        let (a, b) = (PersonId::from_u128(1), PersonId::from_u128(2));
        let flag = |kind, id| Flag {
            kind,
            records: vec![RecordId::from_u128(id)],
            detail: format!("{id}"),
        };
        // 40 visits of a person with two kinds of flag: drawn at three times the rate of one
        // in twenty: ids 1, 2, 20–22 and 40 (id mod 20 below 3).
        let many: Vec<u128> = (1..=40).collect();
        let reports = vec![
            (
                a,
                "王".to_string(),
                report(
                    a,
                    vec![
                        flag(FlagKind::DeviceClockSkew, 501),
                        flag(FlagKind::MockLocation, 502),
                        flag(FlagKind::MockLocation, 503),
                        flag(FlagKind::MockLocation, 504),
                    ],
                    &many,
                ),
            ),
            // Three visits, none drawn by id: the one closest to a draw still is.
            (b, "李".to_string(), report(b, vec![], &[61, 62, 63])),
        ];
        let q = spot_check_queue(Period::month(2026, 11), &reports, &[], anyone, 0);
        let reasons: Vec<_> = q.items.iter().map(|i| (i.person_id, i.reason)).collect();
        assert_eq!(
            reasons[..2],
            [
                (a, SpotCheckReason::Flag(FlagKind::MockLocation)),
                (a, SpotCheckReason::Flag(FlagKind::DeviceClockSkew)),
            ]
        );
        // A morning of mocked fixes is one thing to check.
        assert_eq!(q.items[0].records.len(), 3);
        assert!(
            q.items[0].detail.ends_with("等 3 处"),
            "{}",
            q.items[0].detail
        );
        let sampled: Vec<(PersonId, RecordId)> = q.items[2..]
            .iter()
            .map(|i| (i.person_id, i.records[0]))
            .collect();
        let mut want = vec![
            (a, RecordId::from_u128(1)),
            (a, RecordId::from_u128(2)),
            (a, RecordId::from_u128(20)),
            (a, RecordId::from_u128(21)),
            (a, RecordId::from_u128(22)),
            (a, RecordId::from_u128(40)),
            (b, RecordId::from_u128(61)),
        ];
        want.sort_by_key(|(p, r)| (if *p == a { "王" } else { "李" }, *r));
        assert_eq!(sampled, want);
        // The same input gives the same queue.
        assert_eq!(
            q,
            spot_check_queue(Period::month(2026, 11), &reports, &[], anyone, 0)
        );
    }

    #[test]
    fn a_seed_draws_a_new_sample_that_the_same_seed_draws_again() {
        let (a, b) = (PersonId::from_u128(1), PersonId::from_u128(2));
        let ids: Vec<u128> = (1..=400).map(|i| i * 7919 + 3).collect();
        let flag = Flag {
            kind: FlagKind::MockLocation,
            records: vec![RecordId::from_u128(1)],
            detail: String::new(),
        };
        let reports = vec![
            (a, "王".to_string(), report(a, vec![flag], &ids)),
            (b, "李".to_string(), report(b, vec![], &ids)),
        ];
        let sample = |seed| -> Vec<(PersonId, RecordId)> {
            spot_check_queue(Period::month(2026, 11), &reports, &[], anyone, seed)
                .items
                .into_iter()
                .filter(|i| matches!(i.reason, SpotCheckReason::Sample(_)))
                .map(|i| (i.person_id, i.records[0]))
                .collect()
        };
        let (one, again, other) = (sample(7), sample(7), sample(8));
        assert_eq!(one, again, "a seed draws the same sample again");
        assert_ne!(one, other, "another seed draws another sample");
        assert_ne!(one, sample(0));
        // The flagged person's visits are drawn about twice as often (weight 2 against 1).
        let count = |s: &[(PersonId, RecordId)], p| s.iter().filter(|(q, _)| *q == p).count();
        for s in [&one, &other] {
            let (risky, plain) = (count(s, a), count(s, b));
            assert!(risky > plain && plain > 5, "{risky} against {plain}");
        }
        // Late uploads alone weigh nothing.
        let late = report(
            a,
            vec![Flag {
                kind: FlagKind::LateReceipt,
                records: vec![],
                detail: String::new(),
            }],
            &[],
        );
        assert_eq!(risk_weight(&late), 1);
    }

    #[test]
    fn a_note_by_someone_else_checks_an_item_and_moves_it_to_the_end() {
        let (cadre, checker) = (PersonId::from_u128(1), PersonId::from_u128(7));
        let flagged = RecordId::from_u128(502);
        let reports = vec![(
            cadre,
            "王".to_string(),
            report(
                cadre,
                vec![Flag {
                    kind: FlagKind::MockLocation,
                    records: vec![flagged],
                    detail: String::new(),
                }],
                &[20],
            ),
        )];
        // The cadre's own note on the record is no finding.
        let own = note(cadre, flagged, "我没有用模拟定位", 3);
        let q = spot_check_queue(Period::month(2026, 11), &reports, &[own.clone()], anyone, 0);
        assert!(q.items.iter().all(|i| i.finding.is_none()));
        let first = note(checker, flagged, "存疑，待约谈", 4);
        let later = note(checker, flagged, "已核实：设备故障，已更换", 5);
        // The cadre answering afterwards does not undo the finding.
        let reply = note(cadre, flagged, "已说明情况", 6);
        let q = spot_check_queue(
            Period::month(2026, 11),
            &reports,
            &[own, later.clone(), first, reply],
            anyone,
            0,
        );
        let last = q.items.last().unwrap();
        assert_eq!(last.reason, SpotCheckReason::Flag(FlagKind::MockLocation));
        let f = last.finding.as_ref().unwrap();
        assert_eq!(
            (f.by, f.text.as_str()),
            (checker, "已核实：设备故障，已更换")
        );
        assert!(q.items[0].finding.is_none());
    }

    #[test]
    fn a_note_from_outside_the_persons_jurisdiction_is_no_finding() {
        let (cadre, leader, outsider) = (
            PersonId::from_u128(1),
            PersonId::from_u128(7),
            PersonId::from_u128(9),
        );
        let flagged = RecordId::from_u128(502);
        let reports = vec![(
            cadre,
            "王".to_string(),
            report(
                cadre,
                vec![Flag {
                    kind: FlagKind::MockLocation,
                    records: vec![flagged],
                    detail: String::new(),
                }],
                &[],
            ),
        )];
        let forged = note(outsider, flagged, "已核实", 4);
        let own_leader = |f: &Finding, p: PersonId| f.by == leader && p == cadre;
        let q = spot_check_queue(Period::month(2026, 11), &reports, &[forged], own_leader, 0);
        assert_eq!(
            q.items[0].reason,
            SpotCheckReason::Flag(FlagKind::MockLocation)
        );
        assert!(q.items[0].finding.is_none(), "{:?}", q.items[0].finding);
        let real = note(leader, flagged, "已核实", 5);
        let q = spot_check_queue(Period::month(2026, 11), &reports, &[real], own_leader, 0);
        assert_eq!(q.items[0].finding.as_ref().map(|f| f.by), Some(leader));
    }

    #[test]
    fn a_visit_two_rules_count_with_different_records_is_one_item() {
        let cadre = PersonId::from_u128(1);
        let mut r = report(cadre, vec![], &[20]);
        // The ledger rule counts the same visit with its note as a fourth record.
        let mut with_note = visit(20);
        with_note
            .records
            .extend([RecordId::from_u128(21), RecordId::from_u128(22)]);
        r.verdicts[1].parts[0].evidence = vec![with_note];
        let q = spot_check_queue(
            Period::month(2026, 11),
            &[(cadre, "王".into(), r)],
            &[],
            anyone,
            0,
        );
        assert_eq!(q.items.len(), 1, "{:?}", q.items);
        assert_eq!(
            q.items[0].records,
            [20, 21, 22].map(RecordId::from_u128).to_vec()
        );
    }
}
