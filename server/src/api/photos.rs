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
//! ([`check_record_files`], [`UploadService::may_see`]). A file the caller may not have answers exactly as an unknown one.
//!
//! Unfinished uploads are bounded per person (parts and bytes, see [`crate::Config`]) and
//! expire; checking a finished file holds one of the `decodes` slots until the check ends.

use super::extract::{ApiPath, ApiQuery};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::photos::document::{is_image, media_type};
use crate::photos::inspect::InspectError;
use crate::photos::uploads::{Accepts, Held, UploadError, UploadService, Uploader};
use crate::store::{IncomingRecord, Store};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;
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

fn uploader(caller: &Caller) -> Uploader<'_> {
    Uploader {
        person: &caller.person,
        assignments: &caller.assignments,
    }
}

fn answer(sha256: String, held: Held) -> Json<PhotoStatus> {
    Json(PhotoStatus {
        sha256,
        received_bytes: held.received_bytes,
        complete: held.complete,
    })
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::EmptyFile => ApiError::invalid("total", "文件不能为空"),
            UploadError::FileTooLarge { limit } => ApiError::TooLarge { limit },
            UploadError::OffsetPastHeld { received, .. } => ApiError::Conflict {
                code: "offset_mismatch",
                field: Some("offset".into()),
                message: format!("服务器已收到 {received} 字节，请从该处继续上传"),
            },
            UploadError::PastTotal => ApiError::invalid("total", "上传内容超过声明的文件大小"),
            // 409, like a lost offset: the phone keeps the file and tries again at a later sync.
            UploadError::TooManyParts {
                parts,
                max,
                expiry_hours: hours,
            } => ApiError::Conflict {
                code: "upload_quota",
                field: Some("parked_uploads".into()),
                message: format!(
                    "您已有 {parts} 个文件未传完（上限 {max} 个）：请先把已开始的上传传完，或等 {hours} 小时后未传完的部分自动清除，再上传新文件"
                ),
            },
            UploadError::TooManyBytes {
                bytes,
                max,
                expiry_hours: hours,
            } => {
                let mib = |b: u64| b.div_ceil(1024 * 1024);
                ApiError::Conflict {
                    code: "upload_quota",
                    field: Some("parked_bytes".into()),
                    message: format!(
                        "您未传完的文件已占用 {} MiB（上限 {} MiB）：请先把已开始的上传传完，或等 {hours} 小时后未传完的部分自动清除，再继续上传",
                        mib(bytes),
                        mib(max)
                    ),
                }
            }
            UploadError::Refused(e) => {
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
            UploadError::HashMismatch => ApiError::BadPhoto {
                code: "sha256_mismatch",
                field: "sha256".into(),
                message: "文件内容与 SHA-256 不符，请重新上传".into(),
            },
            UploadError::Store(e) => e.into(),
            UploadError::Internal(detail) => ApiError::Internal(detail),
        }
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
    match UploadService::new(&state)
        .status(uploader(&caller), sha256)
        .await?
    {
        Some(held) => Ok(answer(sha256.to_string(), held)),
        None => Err(ApiError::NotFound("照片")),
    }
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
    let held = UploadService::new(&state)
        .receive(
            accepts,
            uploader(&caller),
            &sha256,
            q.offset,
            q.total,
            &body,
        )
        .await?;
    Ok(answer(sha256, held))
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
    let files = UploadService::new(state);
    let mut seen: HashMap<&str, bool> = HashMap::new();
    for (field, sha) in &named {
        // Not stored (yet), or uploaded by the author: nothing to prove.
        if holdings.get(*sha).is_none_or(|mine| *mine) {
            continue;
        }
        let ok = match seen.get(sha) {
            Some(ok) => *ok,
            None => {
                let ok = match state.store.file(sha).await? {
                    Some(p) => files.may_see(uploader(caller), &p).await?,
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
    let photo = UploadService::new(&state)
        .held_for(uploader(&caller), sha256)
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
