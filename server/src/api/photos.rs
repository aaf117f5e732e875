//! Photo and attachment upload by SHA-256: idempotent and resumable. A phone asks how much the
//! server holds (`GET …/status`), then sends the rest in chunks (`PUT …?offset=&total=`). When
//! the last byte arrives the file is checked (hash, magic bytes, decoding under limits), read
//! (EXIF, perceptual hash) and moved to the object store; a refused file is dropped whole.
//!
//! `/api/v1/photos` takes pictures only: a visit's photo is evidence. `/api/v1/files` takes a
//! report's attachments: pictures, or PDF, Word, Excel and PowerPoint documents. Both share one
//! store of files, so the status and download of either path answer for any stored file.
//!
//! A file's SHA-256 is no key to it. A file is shown to those who uploaded it (everyone who sent
//! its bytes whole is recorded) and to those who may see a record using it whose author uploaded
//! it; a push naming a stored file its author neither uploaded nor may see is refused
//! ([`check_record_files`]). A file the caller may not have answers exactly as an unknown one.
//!
//! Unfinished uploads are bounded per person (parts and bytes, see [`crate::Config`]) and
//! expire; checking a finished file holds one of the `decodes` slots until the check ends.

use super::extract::{ApiPath, ApiQuery};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::photos::document::{could_be_document, inspect_document, is_image, media_type};
use crate::photos::inspect::{could_be_image, inspect, sniff, DecodeLimits, InspectError};
use crate::photos::Parked;
use crate::store::{IncomingRecord, PhotoRow, Store};
use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use std::collections::hash_map::{Entry, HashMap};
use std::io::Write;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::period::local_date;
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::is_sha256_hex;
use zhucun_shared::sync::PhotoStatus;

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    let chunk_limit = state.config.max_chunk_bytes;
    Router::new()
        .route(paths::PHOTO, get(download).put(upload))
        .route(paths::PHOTO_STATUS, get(status))
        .route(paths::FILE, get(download_file).put(upload_file))
        .route(paths::FILE_STATUS, get(file_status))
        .layer(DefaultBodyLimit::max(chunk_limit))
        .with_state(state)
}

fn checked_sha(sha256: &str) -> ApiResult<&str> {
    if is_sha256_hex(sha256) {
        Ok(sha256)
    } else {
        Err(ApiError::invalid(
            "sha256",
            "须为 64 位小写十六进制 SHA-256",
        ))
    }
}

async fn held(state: &AppState, sha256: &str) -> ApiResult<Option<PhotoRow>> {
    Ok(state.store.photo(sha256).await?)
}

/// Whether `caller` may have a stored photo: they uploaded it, or they may see a record that
/// uses it (a photo record, a report's attachment) on the day it was captured and whose author
/// uploaded it. A record naming a file its author never sent grants nothing: the hash alone is
/// no proof of holding the file.
async fn may_see(state: &AppState, caller: &Caller, photo: &PhotoRow) -> ApiResult<bool> {
    let me = caller.person.id;
    if photo.uploaded_by == me || state.store.is_file_uploader(&photo.sha256, me).await? {
        return Ok(true);
    }
    let access = caller.access(state, local_date(state.clock.now())).await?;
    let mut people: HashMap<PersonId, Option<(Person, Vec<Assignment>)>> = HashMap::new();
    for (author, captured_at) in state.store.uploaders_file_uses(&photo.sha256).await? {
        if author == me {
            return Ok(true);
        }
        if let Entry::Vacant(e) = people.entry(author) {
            let found = match state.store.person(author).await? {
                Some(p) => Some((p, state.store.assignments_of(author).await?)),
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

/// The stored photo, if the caller may have it.
async fn held_for(state: &AppState, caller: &Caller, sha256: &str) -> ApiResult<Option<PhotoRow>> {
    match held(state, sha256).await? {
        Some(p) if may_see(state, caller, &p).await? => Ok(Some(p)),
        _ => Ok(None),
    }
}

/// How much of a photo the server holds for the caller: complete when stored and the caller
/// may have it (they uploaded it, or may see a record using it), else how much of their own
/// upload has arrived. 404 when neither: nothing is said about other people's photos.
#[utoipa::path(get, path = "/api/v1/photos/{sha256}/status", tag = "photos",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256 of the file")),
    responses(
        (status = 200, description = "How much of the file the server holds", body = PhotoStatus),
        (status = 404, description = "Nothing of this photo the caller uploaded or may see: upload from offset 0", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "sha256 is not 64 lower-case hex digits (field sha256)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Json<PhotoStatus>> {
    let sha256 = checked_sha(&sha256)?;
    if let Some(p) = held_for(&state, &caller, sha256).await? {
        return Ok(Json(PhotoStatus {
            sha256: p.sha256,
            received_bytes: p.bytes,
            complete: true,
        }));
    }
    match state.uploads.received(sha256, caller.person.id) {
        0 => Err(ApiError::NotFound("照片")),
        received_bytes => Ok(Json(PhotoStatus {
            sha256: sha256.to_string(),
            received_bytes,
            complete: false,
        })),
    }
}

/// What an upload path accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accepts {
    /// Pictures: a visit's or an activity's photo.
    Photos,
    /// A report's attachments: pictures or documents.
    Attachments,
}

pub use zhucun_shared::sync::ChunkQuery;

/// Upload a chunk of a photo. Bytes the server already holds are skipped, so a resent chunk is
/// harmless; a chunk starting past what is held is refused (409) and the phone asks for the status.
#[utoipa::path(put, path = "/api/v1/photos/{sha256}", tag = "photos",
    params(
        ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256 of the whole file"),
        ("offset" = u64, Query, description = "Where this chunk starts"),
        ("total" = u64, Query, minimum = 1, description = "Size of the whole file"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk; an empty one changes nothing and answers what the server holds"),
    responses(
        (status = 200, description = "What the server holds after the chunk; complete once the file is checked and stored", body = PhotoStatus),
        (status = 409, description = "offset is past what the server holds (code offset_mismatch), or the caller's unfinished uploads are at their quota of parts or bytes (code upload_quota, field parked_uploads or parked_bytes): finish or wait for them to expire", body = zhucun_shared::sync::ErrorBody),
        (status = 413, description = "File or chunk too large; the partial upload is dropped", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Not an image, larger than the pixel limit, cut off or undecodable, with data after the picture (trailing_data), more bytes than `total`, or content that does not match the SHA-256; the partial upload is dropped", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChunkQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<PhotoStatus>> {
    receive(Accepts::Photos, state, caller, sha256, q, body).await
}

/// Upload a chunk of a report's attachment: a picture, or a PDF, Word (docx, doc), Excel (xlsx,
/// xls) or PowerPoint (pptx, ppt) file, known by its bytes, not its name. Resumable exactly as
/// photos are.
#[utoipa::path(put, path = "/api/v1/files/{sha256}", tag = "photos",
    params(
        ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256 of the whole file"),
        ("offset" = u64, Query, description = "Where this chunk starts"),
        ("total" = u64, Query, minimum = 1, description = "Size of the whole file"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk; an empty one changes nothing and answers what the server holds"),
    responses(
        (status = 200, description = "What the server holds after the chunk; complete once the file is checked and stored", body = PhotoStatus),
        (status = 409, description = "offset is past what the server holds (code offset_mismatch), or the caller's unfinished uploads are at their quota of parts or bytes (code upload_quota, field parked_uploads or parked_bytes): finish or wait for them to expire", body = zhucun_shared::sync::ErrorBody),
        (status = 413, description = "File or chunk too large; the partial upload is dropped", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Not an accepted document or image (code not_accepted_file), a damaged document or one carrying something else — cut off, data after its end, web page markup, an archive with other entries (bad_document), a picture refused as on /api/v1/photos, or content that does not match the SHA-256; the partial upload is dropped", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChunkQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<PhotoStatus>> {
    receive(Accepts::Attachments, state, caller, sha256, q, body).await
}

async fn receive(
    accepts: Accepts,
    state: AppState,
    caller: Caller,
    sha256: String,
    q: ChunkQuery,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<PhotoStatus>> {
    let sha256 = checked_sha(&sha256)?.to_string();
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: state.config.max_chunk_bytes as u64,
            }
        } else {
            ApiError::Malformed {
                field: Some("body".into()),
                message: e.body_text(),
            }
        }
    })?;
    if q.total == 0 {
        return Err(ApiError::invalid("total", "文件不能为空"));
    }
    if q.total > state.config.max_photo_bytes {
        drop_part(&state.uploads.part_path(&sha256, caller.person.id)).await;
        return Err(ApiError::TooLarge {
            limit: state.config.max_photo_bytes,
        });
    }
    // A photo stored from someone else's upload is not this caller's to know about: they send
    // the whole file, which proves they have it.
    if let Some(p) = held_for(&state, &caller, &sha256).await? {
        return Ok(Json(PhotoStatus {
            sha256,
            received_bytes: p.bytes,
            complete: true,
        }));
    }
    let lock = state.uploads.lock_for(&sha256);
    let _guard = lock.lock().await;
    // Another upload of the same file may have finished while this one waited.
    if let Some(p) = held_for(&state, &caller, &sha256).await? {
        return Ok(Json(PhotoStatus {
            sha256,
            received_bytes: p.bytes,
            complete: true,
        }));
    }
    let received = state.uploads.received(&sha256, caller.person.id);
    if q.offset > received {
        return Err(ApiError::Conflict {
            code: "offset_mismatch",
            field: Some("offset".into()),
            message: format!("服务器已收到 {received} 字节，请从该处继续上传"),
        });
    }
    let part = state.uploads.part_path(&sha256, caller.person.id);
    let skip = usize::try_from(received - q.offset).unwrap_or(usize::MAX);
    let new = body.get(skip.min(body.len())..).unwrap_or_default();
    if received + new.len() as u64 > q.total {
        drop_part(&part).await;
        return Err(ApiError::invalid("total", "上传内容超过声明的文件大小"));
    }
    if received == 0 {
        let prefix = &new[..new.len().min(16)];
        match accepts {
            Accepts::Photos if !could_be_image(prefix) => {
                return Err(refused(InspectError::NotAnImage));
            }
            Accepts::Attachments if !could_be_image(prefix) && !could_be_document(prefix) => {
                return Err(refused(InspectError::NotAccepted));
            }
            _ => {}
        }
        // A new upload: a moment to forget the ones abandoned long ago.
        if state.uploads.sweep_due() {
            let st = state.clone();
            tokio::task::spawn_blocking(move || st.uploads.sweep_abandoned());
        }
    }
    // Held by the person until the bytes are written, so that two chunks sent at once cannot
    // both pass the quota.
    let person_lock = state.uploads.lock_for_person(caller.person.id);
    let person_guard = person_lock.lock().await;
    if !new.is_empty() && received + (new.len() as u64) < q.total {
        // This chunk leaves a part parked: within the caller's quota? (A chunk that completes
        // the file parks nothing: the part is checked and removed at once.)
        let st = state.clone();
        let me = caller.person.id;
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
        .map_err(|e| ApiError::Internal(format!("writing upload part: {e}")))?;
        state.metrics.photo_bytes_received.inc_by(new.len() as u64);
    }
    drop(person_guard);
    let received = received + new.len() as u64;
    if received < q.total {
        return Ok(Json(PhotoStatus {
            sha256,
            received_bytes: received,
            complete: false,
        }));
    }
    finish(accepts, &state, &caller, &sha256, &part).await?;
    Ok(Json(PhotoStatus {
        sha256,
        received_bytes: received,
        complete: true,
    }))
}

/// Refuses a chunk that would take the caller's unfinished uploads past their quota: as many
/// parts (`starts_part`: this chunk opens a new one) or bytes as the configuration allows.
/// 409, like a lost offset: the phone keeps the file and tries again at a later sync.
fn check_quota(
    config: &crate::Config,
    parked: Parked,
    starts_part: bool,
    adding: u64,
) -> ApiResult<()> {
    let hours = config.upload_expiry_secs.div_ceil(3600);
    if starts_part && parked.parts >= config.max_parked_uploads {
        return Err(ApiError::Conflict {
            code: "upload_quota",
            field: Some("parked_uploads".into()),
            message: format!(
                "您已有 {} 个文件未传完（上限 {} 个）：请先把已开始的上传传完，或等 {hours} 小时后未传完的部分自动清除，再上传新文件",
                parked.parts, config.max_parked_uploads
            ),
        });
    }
    // One file of the largest size can always be sent, whatever the setting.
    let max_bytes = config.max_parked_upload_bytes.max(config.max_photo_bytes);
    if parked.bytes + adding > max_bytes {
        let mib = |b: u64| b.div_ceil(1024 * 1024);
        return Err(ApiError::Conflict {
            code: "upload_quota",
            field: Some("parked_bytes".into()),
            message: format!(
                "您未传完的文件已占用 {} MiB（上限 {} MiB）：请先把已开始的上传传完，或等 {hours} 小时后未传完的部分自动清除，再继续上传",
                mib(parked.bytes),
                mib(max_bytes)
            ),
        });
    }
    Ok(())
}

/// Drops a partial upload the server refused: the phone starts over.
async fn drop_part(part: &std::path::Path) {
    match tokio::fs::remove_file(part).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(part = %part.display(), error = %e, "dropping a refused upload"),
    }
}

fn refused(e: InspectError) -> ApiError {
    let code = match e {
        InspectError::NotAnImage => "not_an_image",
        InspectError::TooLarge(_) => "image_too_large",
        InspectError::Undecodable(_) => "undecodable_image",
        InspectError::NotAccepted => "not_accepted_file",
        InspectError::BadDocument(_) => "bad_document",
        InspectError::TrailingData(_) => "trailing_data",
    };
    ApiError::BadPhoto {
        code,
        field: "body".into(),
        message: e.to_string(),
    }
}

/// One of the `decodes` slots, owned by the blocking task that decodes: released when that task
/// ends, even if the request that started it was dropped meanwhile.
struct DecodeSlot(AppState);

impl DecodeSlot {
    async fn acquire(state: &AppState) -> ApiResult<Self> {
        state
            .decodes
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .forget();
        Ok(Self(state.clone()))
    }
}

impl Drop for DecodeSlot {
    fn drop(&mut self) {
        self.0.decodes.add_permits(1);
    }
}

/// Refuses a push naming a stored file (a photo record's photo, a report's attachment) that the
/// record's author neither uploaded nor may see, with 422 naming the field
/// (`records[3].body.sha256`, `records[3].body.attachments[1]`): knowing a hash is no proof of
/// holding the file. A file not stored yet passes — the phone pushes a photo's record before
/// uploading the photo — and such a record makes the file visible to nobody until its author
/// uploads the file (see [`may_see`]).
pub async fn check_record_files(
    state: &AppState,
    caller: &Caller,
    records: &[IncomingRecord],
) -> ApiResult<()> {
    let mut named: Vec<(String, &str)> = Vec::new();
    for (i, inc) in records.iter().enumerate() {
        for (field, sha) in inc.record.body.file_fields() {
            named.push((zhucun_shared::sync::pushed_field(i, &field), sha));
        }
    }
    if named.is_empty() {
        return Ok(());
    }
    let mut shas: Vec<String> = named.iter().map(|(_, s)| s.to_string()).collect();
    shas.sort_unstable();
    shas.dedup();
    let holdings = state.store.held_files(caller.person.id, &shas).await?;
    let mut seen: HashMap<&str, bool> = HashMap::new();
    for (field, sha) in &named {
        // Not stored (yet), or uploaded by the author: nothing to prove.
        if holdings.get(*sha).is_none_or(|mine| *mine) {
            continue;
        }
        let ok = match seen.get(sha) {
            Some(ok) => *ok,
            None => {
                let ok = match held(state, sha).await? {
                    Some(p) => may_see(state, caller, &p).await?,
                    None => true,
                };
                seen.insert(sha, ok);
                ok
            }
        };
        if !ok {
            return Err(ApiError::invalid(
                field.clone(),
                "记录所附文件须由本人上传：请先在本机上传该文件，再同步这条记录",
            ));
        }
    }
    Ok(())
}

/// Checks the whole file and moves it to the object store; on any refusal the part is dropped.
async fn finish(
    accepts: Accepts,
    state: &AppState,
    caller: &Caller,
    sha256: &str,
    part: &std::path::Path,
) -> ApiResult<()> {
    let limits = DecodeLimits {
        max_side: state.config.max_image_side,
        max_pixels: state.config.max_image_pixels,
        max_alloc: state.config.max_decode_bytes,
    };
    let path = part.to_path_buf();
    let expected = sha256.to_string();
    let slot = DecodeSlot::acquire(state).await?;
    let checked = tokio::task::spawn_blocking(move || {
        // The slot is released when the check ends, not when the request does: a client that
        // hangs up mid-decode does not free it for another decode.
        let _slot = slot;
        let bytes = std::fs::read(&path).map_err(|e| ApiError::Internal(e.to_string()))?;
        if hex::encode(Sha256::digest(&bytes)) != expected {
            return Err(ApiError::BadPhoto {
                code: "sha256_mismatch",
                field: "sha256".into(),
                message: "文件内容与 SHA-256 不符，请重新上传".into(),
            });
        }
        let found = match accepts {
            Accepts::Attachments if sniff(&bytes).is_none() => {
                let format = inspect_document(&bytes).map_err(refused)?;
                // A document has no picture to measure or compare.
                (format, 0, 0, PhotoFacts::default())
            }
            _ => {
                let i = inspect(&bytes, limits).map_err(refused)?;
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
    state
        .objects
        .put(sha256, bytes)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .put_photo(&PhotoRow {
            sha256: sha256.to_string(),
            bytes: size,
            format: format.to_string(),
            width,
            height,
            facts,
            uploaded_by: caller.person.id,
            uploaded_at: state.clock.now(),
        })
        .await?;
    let _ = tokio::fs::remove_file(part).await;
    state.metrics.photos_stored.inc();
    // What the server read from the file (EXIF, perceptual hash) bears on the verdicts of every
    // record using it.
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

/// A stored photo, for its uploaders and for those who may see a record that uses it whose
/// author uploaded it. Served as a download the browser must not reinterpret (`nosniff`, a
/// sandboxing content security policy, `attachment` for documents) and kept out of shared
/// caches (`Cache-Control: private`).
#[utoipa::path(get, path = "/api/v1/photos/{sha256}", tag = "photos",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256")),
    responses(
        (status = 200, description = "The image file"),
        (status = 404, description = "No such photo, or none the caller may have: the two answer alike", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "sha256 is not 64 lower-case hex digits (field sha256)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Response> {
    let sha256 = checked_sha(&sha256)?;
    let photo = held_for(&state, &caller, sha256)
        .await?
        .ok_or(ApiError::NotFound("照片"))?;
    let bytes = state
        .objects
        .get(sha256)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(|| ApiError::Internal(format!("photo {sha256} missing from object store")))?;
    let mime = media_type(&photo.format);
    let extension = match photo.format.as_str() {
        "jpeg" => "jpg",
        other => other,
    };
    let disposition = if is_image(&photo.format) {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{sha256}.{extension}\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=86400".into()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".into(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// How much of an attachment the server holds for the caller; as for photos.
#[utoipa::path(get, path = "/api/v1/files/{sha256}/status", tag = "photos",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256 of the file")),
    responses(
        (status = 200, description = "How much of the file the server holds", body = PhotoStatus),
        (status = 404, description = "Nothing of this file the caller uploaded or may see: upload from offset 0", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "sha256 is not 64 lower-case hex digits (field sha256)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn file_status(
    state: State<AppState>,
    caller: Caller,
    sha256: ApiPath<String>,
) -> ApiResult<Json<PhotoStatus>> {
    status(state, caller, sha256).await
}

/// A stored attachment, with its media type, for those who may see a report using it.
#[utoipa::path(get, path = "/api/v1/files/{sha256}", tag = "photos",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "Lower-case hex SHA-256")),
    responses(
        (status = 200, description = "The file"),
        (status = 404, description = "No such file, or none the caller may have: the two answer alike", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "sha256 is not 64 lower-case hex digits (field sha256)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn download_file(
    state: State<AppState>,
    caller: Caller,
    sha256: ApiPath<String>,
) -> ApiResult<Response> {
    download(state, caller, sha256).await
}
