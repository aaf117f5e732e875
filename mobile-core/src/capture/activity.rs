//! The work log and activities the deadline rules count: weekly work entries, organisational
//! life, joint meetings, collective activities, trainings with person-times, agri-tech items,
//! and report submissions.

use super::CaptureError;
use crate::store::AttachedFile;
use crate::strings;
use chrono::NaiveDate;
use zhucun_shared::attachment::{is_acceptable, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES};
use zhucun_shared::ids::VillageId;
use zhucun_shared::period::Period;
use zhucun_shared::record::{
    ActivityKind, RecordBody, ReportKind, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
};

/// An activity as typed into the form.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityDraft {
    pub kind: ActivityKind,
    pub village_id: Option<VillageId>,
    pub held_on: NaiveDate,
    /// 人次, required for trainings.
    pub person_times: Option<u32>,
    /// Items for agri-tech counts.
    pub quantity: Option<u32>,
    pub title: String,
    pub text: String,
}

/// A report as typed into the form: text, with the files chosen to go with it (photos are
/// taken afterwards and attached to the saved report).
#[derive(Clone, Debug, PartialEq)]
pub struct ReportDraft {
    pub kind: ReportKind,
    pub village_id: Option<VillageId>,
    /// The period it reports on (the week, for a weekly work entry).
    pub period: Period,
    pub title: String,
    pub text: String,
    pub attachments: Vec<AttachedFile>,
}

/// Trimmed text, refused when empty (if `required`) or longer than `max` characters.
pub(super) fn text(s: &str, max: usize, required: bool) -> Result<String, CaptureError> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(CaptureError::Invalid(strings::ERR_EMPTY_TEXT));
    }
    if s.chars().count() > max {
        return Err(CaptureError::Invalid(strings::ERR_TOO_LONG));
    }
    Ok(s.to_string())
}

fn title(s: &str) -> Result<String, CaptureError> {
    if s.trim().is_empty() {
        return Err(CaptureError::Invalid(strings::ERR_EMPTY_TITLE));
    }
    text(s, MAX_TITLE_CHARS, true)
}

/// Activity kinds whose count is a quantity of items (agri-tech).
pub fn counts_quantity(kind: ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::LeadingIndustry
            | ActivityKind::Variety
            | ActivityKind::Technique
            | ActivityKind::DemonstrationHousehold
            | ActivityKind::NewBusinessEntity
            | ActivityKind::NewProfessionalFarmer
    )
}

/// Activity kinds made on site: a supervisor's patrol (巡视) and inspection (督查) carry the
/// fix where they were made (an on-site check-in written with the activity), and are refused
/// without one or away from the village they name.
pub fn made_on_site(kind: ActivityKind) -> bool {
    matches!(kind, ActivityKind::Patrol | ActivityKind::Inspection)
}

impl ActivityDraft {
    pub fn into_body(self) -> Result<RecordBody, CaptureError> {
        let person_times = match (self.kind, self.person_times) {
            (ActivityKind::Training, None | Some(0)) => {
                return Err(CaptureError::Invalid(strings::ERR_PERSON_TIMES))
            }
            (ActivityKind::Training, n) => n,
            (_, _) => None,
        };
        let quantity = if counts_quantity(self.kind) {
            Some(self.quantity.unwrap_or(1).max(1))
        } else {
            None
        };
        Ok(RecordBody::Activity {
            kind: self.kind,
            village_id: self.village_id,
            held_on: self.held_on,
            person_times,
            quantity,
            title: title(&self.title)?,
            text: text(&self.text, MAX_TEXT_CHARS, false)?,
        })
    }
}

impl ReportDraft {
    /// The record, and the files it carries (each once), or why not.
    pub fn into_parts(self) -> Result<(RecordBody, Vec<AttachedFile>), CaptureError> {
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(CaptureError::Invalid(strings::ERR_TOO_MANY_ATTACHMENTS));
        }
        let mut files: Vec<AttachedFile> = Vec::with_capacity(self.attachments.len());
        let mut shas = Vec::with_capacity(self.attachments.len());
        for f in self.attachments {
            check_attachment(&f)?;
            let sha = f.sha256();
            if !shas.contains(&sha) {
                shas.push(sha);
                files.push(f);
            }
        }
        let body = RecordBody::Report {
            kind: self.kind,
            village_id: self.village_id,
            period: self.period,
            title: title(&self.title)?,
            text: text(&self.text, MAX_TEXT_CHARS, true)?,
            attachments: shas,
        };
        Ok((body, files))
    }
}

/// A file a report may carry: a PDF, Word, Excel or PowerPoint document or a picture, known by
/// its first bytes, no larger than the server takes. Checked when chosen, so the cadre hears at
/// once rather than after a sync.
pub fn check_attachment(f: &AttachedFile) -> Result<(), CaptureError> {
    if f.data.is_empty() || !is_acceptable(&f.data) {
        return Err(CaptureError::Invalid(strings::ERR_ATTACHMENT_KIND));
    }
    if f.data.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(CaptureError::Invalid(strings::ERR_ATTACHMENT_TOO_LARGE));
    }
    Ok(())
}
