//! The resumable upload protocol, apart from HTTP: how much of a file the server holds for
//! someone, taking a chunk at an offset, the quotas on unfinished uploads, and completing a file
//! (hash, inspection under limits, the object store, the stored row, the verdicts it bears on).
//! The API turns [`UploadError`] into its answers; nothing here knows a status code.
//!
//! A file's SHA-256 is no key to it: a stored file counts as held only for those who may have it
//! ([`UploadService::may_see`]).

use super::document::could_be_document;
use super::document::inspect_document;
use super::inspect::{could_be_image, inspect, sniff, DecodeLimits, InspectError};
use super::{ObjectError, Parked};
use crate::app::AppState;
use crate::auth::access_of;
use crate::store::{FileRow, Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::hash_map::{Entry, HashMap};
use std::io::Write;
use std::path::Path;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::period::local_date;
use zhucun_shared::plausibility::PhotoFacts;

/// What an upload accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepts {
    /// Pictures: a visit's or an activity's photo.
    Photos,
    /// A report's attachments: pictures or documents.
    Attachments,
}

/// Who is uploading or asking: a person and what they are assigned to.
#[derive(Clone, Copy, Debug)]
pub struct Uploader<'a> {
    pub person: &'a Person,
    pub assignments: &'a [Assignment],
}

/// How much of a file the server holds for someone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub received_bytes: u64,
    /// Stored whole, checked, and the uploader may have it.
    pub complete: bool,
}

/// Why a chunk or a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the declared size is zero")]
    EmptyFile,
    #[error("file larger than {limit} bytes")]
    FileTooLarge { limit: u64 },
    #[error("chunk starts at {offset}, past the {received} bytes held")]
    OffsetPastHeld { offset: u64, received: u64 },
    #[error("more bytes than the declared size")]
    PastTotal,
    #[error("{parts} unfinished uploads parked (at most {max})")]
    TooManyParts {
        parts: u32,
        max: u32,
        expiry_hours: u64,
    },
    #[error("{bytes} bytes of unfinished uploads parked (at most {max})")]
    TooManyBytes {
        bytes: u64,
        max: u64,
        expiry_hours: u64,
    },
    #[error(transparent)]
    Refused(#[from] InspectError),
    #[error("content does not match its SHA-256")]
    HashMismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<tokio::task::JoinError> for UploadError {
    fn from(e: tokio::task::JoinError) -> Self {
        UploadError::Internal(format!("blocking task failed: {e}"))
    }
}

impl From<ObjectError> for UploadError {
    fn from(e: ObjectError) -> Self {
        UploadError::Internal(e.to_string())
    }
}

pub type UploadResult<T> = Result<T, UploadError>;

/// The upload protocol over the server's state: its store, object store, staging directory,
/// limits and clock.
#[derive(Clone, Copy)]
pub struct UploadService<'a> {
    state: &'a AppState,
}

impl<'a> UploadService<'a> {
    pub fn new(state: &'a AppState) -> Self {
        Self { state }
    }

    /// Whether `who` may have a stored file: they uploaded it, or they may see a record that
    /// uses it (a photo record, a report's attachment) on the day it was captured and whose
    /// author uploaded it. A record naming a file its author never sent grants nothing: the
    /// hash alone is no proof of holding the file.
    pub async fn may_see(&self, who: Uploader<'_>, file: &FileRow) -> UploadResult<bool> {
        let store = &self.state.store;
        let me = who.person.id;
        if file.uploaded_by == me || store.is_file_uploader(&file.sha256, me).await? {
            return Ok(true);
        }
        let today = local_date(self.state.clock.now());
        let access = access_of(store, who.person, who.assignments, today).await?;
        let mut people: HashMap<PersonId, Option<(Person, Vec<Assignment>)>> = HashMap::new();
        for (author, captured_at) in store.uploaders_file_uses(&file.sha256).await? {
            if author == me {
                return Ok(true);
            }
            if let Entry::Vacant(e) = people.entry(author) {
                let found = match store.person(author).await? {
                    Some(p) => Some((p, store.assignments_of(author).await?)),
                    None => None,
                };
                e.insert(found);
            }
            let Some(Some((person, assignments))) = people.get(&author) else {
                continue;
            };
            let day = local_date(captured_at);
            if access.can_see(person, assignments, day, day) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The stored file, if `who` may have it.
    pub async fn held_for(&self, who: Uploader<'_>, sha256: &str) -> UploadResult<Option<FileRow>> {
        match self.state.store.file(sha256).await? {
            Some(p) if self.may_see(who, &p).await? => Ok(Some(p)),
            _ => Ok(None),
        }
    }

    /// How much of a file the server holds for `who`: complete when stored and they may have
    /// it, else how much of their own upload has arrived; `None` when neither, so that nothing
    /// is said about other people's files.
    pub async fn status(&self, who: Uploader<'_>, sha256: &str) -> UploadResult<Option<Held>> {
        if let Some(p) = self.held_for(who, sha256).await? {
            return Ok(Some(Held {
                received_bytes: p.bytes,
                complete: true,
            }));
        }
        Ok(match self.state.uploads.received(sha256, who.person.id) {
            0 => None,
            received_bytes => Some(Held {
                received_bytes,
                complete: false,
            }),
        })
    }

    /// Takes a chunk of `total` bytes' file `sha256` starting at `offset`. Bytes already held
    /// are skipped, so a resent chunk is harmless; a chunk starting past what is held is refused.
    /// The chunk that completes the file has it checked and stored; a refused file is dropped
    /// whole.
    pub async fn receive(
        &self,
        accepts: Accepts,
        who: Uploader<'_>,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> UploadResult<Held> {
        let state = self.state;
        let me = who.person.id;
        if total == 0 {
            return Err(UploadError::EmptyFile);
        }
        if total > state.config.max_photo_bytes {
            drop_part(&state.uploads.part_path(sha256, me)).await;
            return Err(UploadError::FileTooLarge {
                limit: state.config.max_photo_bytes,
            });
        }
        // A file stored from someone else's upload is not this caller's to know about: they
        // send the whole file, which proves they have it.
        if let Some(p) = self.held_for(who, sha256).await? {
            return Ok(Held {
                received_bytes: p.bytes,
                complete: true,
            });
        }
        let lock = state.uploads.lock_for(sha256);
        let _guard = lock.lock().await;
        // Another upload of the same file may have finished while this one waited.
        if let Some(p) = self.held_for(who, sha256).await? {
            return Ok(Held {
                received_bytes: p.bytes,
                complete: true,
            });
        }
        let received = state.uploads.received(sha256, me);
        if offset > received {
            return Err(UploadError::OffsetPastHeld { offset, received });
        }
        let part = state.uploads.part_path(sha256, me);
        let skip = usize::try_from(received - offset).unwrap_or(usize::MAX);
        let new = chunk.get(skip.min(chunk.len())..).unwrap_or_default();
        if received + new.len() as u64 > total {
            drop_part(&part).await;
            return Err(UploadError::PastTotal);
        }
        if received == 0 {
            let prefix = &new[..new.len().min(16)];
            match accepts {
                Accepts::Photos if !could_be_image(prefix) => {
                    return Err(InspectError::NotAnImage.into());
                }
                Accepts::Attachments if !could_be_image(prefix) && !could_be_document(prefix) => {
                    return Err(InspectError::NotAccepted.into());
                }
                _ => {}
            }
            // A new upload: a moment to forget the ones abandoned long ago.
            if state.uploads.sweep_due() {
                let st = state.clone();
                tokio::task::spawn_blocking(move || st.uploads.sweep_abandoned());
            }
        }
        // Held by the person until the bytes are written, so that two chunks sent at once
        // cannot both pass the quota.
        let person_lock = state.uploads.lock_for_person(me);
        let person_guard = person_lock.lock().await;
        if !new.is_empty() && received + (new.len() as u64) < total {
            // This chunk leaves a part parked: within the caller's quota? (A chunk that
            // completes the file parks nothing: the part is checked and removed at once.)
            let st = state.clone();
            let parked = tokio::task::spawn_blocking(move || st.uploads.parked_by(me)).await?;
            check_quota(&state.config, parked, received == 0, new.len() as u64)?;
        }
        if !new.is_empty() {
            let bytes = new.to_vec();
            let path = part.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                f.write_all(&bytes)?;
                f.sync_data()
            })
            .await?
            .map_err(|e| UploadError::Internal(format!("writing upload part: {e}")))?;
            state.metrics.photo_bytes_received.inc_by(new.len() as u64);
        }
        drop(person_guard);
        let received = received + new.len() as u64;
        if received < total {
            return Ok(Held {
                received_bytes: received,
                complete: false,
            });
        }
        self.finish(accepts, me, sha256, &part).await?;
        Ok(Held {
            received_bytes: received,
            complete: true,
        })
    }

    /// Checks the whole file and moves it to the object store; on any refusal the part is
    /// dropped. Then queues the verdicts of every record using the file.
    async fn finish(
        &self,
        accepts: Accepts,
        uploader: PersonId,
        sha256: &str,
        part: &Path,
    ) -> UploadResult<()> {
        let state = self.state;
        let limits = DecodeLimits {
            max_side: state.config.max_image_side,
            max_pixels: state.config.max_image_pixels,
            max_alloc: state.config.max_decode_bytes,
        };
        let path = part.to_path_buf();
        let expected = sha256.to_string();
        let slot = DecodeSlot::acquire(state).await?;
        let checked = tokio::task::spawn_blocking(move || {
            // The slot is released when the check ends, not when the request does: a client
            // that hangs up mid-decode does not free it for another decode.
            let _slot = slot;
            let bytes = std::fs::read(&path).map_err(|e| UploadError::Internal(e.to_string()))?;
            if hex::encode(Sha256::digest(&bytes)) != expected {
                return Err(UploadError::HashMismatch);
            }
            let found = match accepts {
                Accepts::Attachments if sniff(&bytes).is_none() => {
                    let format = inspect_document(&bytes)?;
                    // A document has no picture to measure or compare.
                    (format, 0, 0, PhotoFacts::default())
                }
                _ => {
                    let i = inspect(&bytes, limits)?;
                    (i.format, i.width, i.height, i.facts)
                }
            };
            Ok((bytes, found))
        })
        .await?;
        let (bytes, (format, width, height, facts)) = match checked {
            Ok(v) => v,
            Err(e) => {
                drop_part(part).await;
                tracing::info!(%sha256, error = %e, "photo refused");
                return Err(e);
            }
        };
        let size = bytes.len() as u64;
        state.objects.put(sha256, bytes).await?;
        state
            .store
            .put_file(&FileRow {
                sha256: sha256.to_string(),
                bytes: size,
                format: format.to_string(),
                width,
                height,
                facts,
                uploaded_by: uploader,
                uploaded_at: state.clock.now(),
            })
            .await?;
        let _ = tokio::fs::remove_file(part).await;
        state.metrics.photos_stored.inc();
        // What the server read from the file (EXIF, perceptual hash) bears on the verdicts of
        // every record using it.
        let now = state.clock.now();
        let marks: Vec<_> = state
            .store
            .file_uses(sha256)
            .await?
            .into_iter()
            .flat_map(|(person, at)| {
                crate::store::months_touched(at, now)
                    .into_iter()
                    .map(move |m| (person, m))
            })
            .collect();
        if !marks.is_empty() {
            state.store.mark_dirty(&marks).await?;
            state.verdict_work.notify_one();
        }
        Ok(())
    }
}

/// Refuses a chunk that would take the caller's unfinished uploads past their quota: as many
/// parts (`starts_part`: this chunk opens a new one) or bytes as the configuration allows.
fn check_quota(
    config: &crate::Config,
    parked: Parked,
    starts_part: bool,
    adding: u64,
) -> UploadResult<()> {
    let expiry_hours = config.upload_expiry_secs.div_ceil(3600);
    if starts_part && parked.parts >= config.max_parked_uploads {
        return Err(UploadError::TooManyParts {
            parts: parked.parts,
            max: config.max_parked_uploads,
            expiry_hours,
        });
    }
    // One file of the largest size can always be sent, whatever the setting.
    let max_bytes = config.max_parked_upload_bytes.max(config.max_photo_bytes);
    if parked.bytes + adding > max_bytes {
        return Err(UploadError::TooManyBytes {
            bytes: parked.bytes,
            max: max_bytes,
            expiry_hours,
        });
    }
    Ok(())
}

/// Drops a partial upload the server refused: the phone starts over.
async fn drop_part(part: &Path) {
    match tokio::fs::remove_file(part).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(part = %part.display(), error = %e, "dropping a refused upload"),
    }
}

/// One of the `decodes` slots, owned by the blocking task that decodes: released when that task
/// ends, even if the request that started it was dropped meanwhile.
struct DecodeSlot(AppState);

impl DecodeSlot {
    async fn acquire(state: &AppState) -> UploadResult<Self> {
        state
            .decodes
            .acquire()
            .await
            .map_err(|e| UploadError::Internal(e.to_string()))?
            .forget();
        Ok(Self(state.clone()))
    }
}

impl Drop for DecodeSlot {
    fn drop(&mut self) {
        self.0.decodes.add_permits(1);
    }
}
