//! Photo files and reports' attached documents: content-addressed storage behind
//! [`ObjectStore`] (a directory here; an S3-compatible bucket can implement the same trait),
//! the staging of resumable uploads and their protocol ([`uploads`]), and [`inspect`]ion of what
//! a file really is.

pub mod document;
pub mod inspect;
pub mod uploads;

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use zhucun_shared::ids::PersonId;
use zhucun_shared::record::is_sha256_hex;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object store I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("object key `{0}` is not a SHA-256")]
    BadKey(String),
}

/// Where finished photo files live, keyed by their lower-case hex SHA-256.
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`; storing the same key again is a no-op.
    fn put(&self, key: &str, bytes: Vec<u8>) -> BoxFuture<'_, Result<(), ObjectError>>;
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, ObjectError>>;
    fn exists(&self, key: &str) -> BoxFuture<'_, Result<bool, ObjectError>>;
}

/// Files under a directory, fanned out by the first two hex digits.
#[derive(Clone, Debug)]
pub struct FsObjectStore {
    root: PathBuf,
}

impl FsObjectStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> Result<PathBuf, ObjectError> {
        // Lower-case hex only: no key can be a path.
        if !is_sha256_hex(key) {
            return Err(ObjectError::BadKey(key.chars().take(80).collect()));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

impl ObjectStore for FsObjectStore {
    fn put(&self, key: &str, bytes: Vec<u8>) -> BoxFuture<'_, Result<(), ObjectError>> {
        let path = self.path(key);
        Box::pin(async move {
            let path = path?;
            tokio::task::spawn_blocking(move || -> Result<(), ObjectError> {
                if path.exists() {
                    return Ok(());
                }
                let dir = path.parent().expect("object paths have a parent");
                std::fs::create_dir_all(dir)?;
                // Write then rename, so a crash never leaves a truncated file under the key.
                let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::now_v7()));
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                Ok(())
            })
            .await
            .map_err(|e| ObjectError::Io(std::io::Error::other(e)))?
        })
    }

    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, ObjectError>> {
        let path = self.path(key);
        Box::pin(async move {
            match tokio::fs::read(path?).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn exists(&self, key: &str) -> BoxFuture<'_, Result<bool, ObjectError>> {
        let path = self.path(key);
        Box::pin(async move { Ok(tokio::fs::try_exists(path?).await?) })
    }
}

/// Partly uploaded photos: one `<sha256>.<person>.part` file per photo and uploader under the
/// uploads directory, so an upload cut off continues where it stopped, even across restarts,
/// and nobody learns from the server how much of a photo someone else has sent. One upload of
/// a given photo runs at a time.
pub struct Uploads {
    dir: PathBuf,
    busy: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When abandoned parts were last swept.
    swept: Mutex<Option<std::time::Instant>>,
    /// A part untouched this long is an abandoned upload.
    abandoned_after: std::time::Duration,
}

/// A part untouched this long is an abandoned upload, unless configured otherwise.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// What one person's unfinished uploads hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parked {
    pub parts: u32,
    pub bytes: u64,
}

impl Uploads {
    pub fn new(dir: PathBuf) -> Self {
        Self::with_expiry(dir, ABANDONED_AFTER)
    }

    /// Parts untouched for `abandoned_after` are deleted by the next sweep.
    pub fn with_expiry(dir: PathBuf, abandoned_after: std::time::Duration) -> Self {
        Self {
            dir,
            busy: Mutex::new(Default::default()),
            swept: Mutex::new(None),
            abandoned_after,
        }
    }

    /// Sweeps run at most this often: a sixth of the expiry, between a minute and an hour.
    fn sweep_every(&self) -> std::time::Duration {
        (self.abandoned_after / 6).clamp(
            std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(3600),
        )
    }

    /// Deletes the parts not written to for the expiry; returns how many. Blocking I/O.
    pub fn sweep_abandoned(&self) -> usize {
        *self.swept.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "part") {
                continue;
            }
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= self.abandoned_after);
            if old && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Whether a sweep is due.
    pub fn sweep_due(&self) -> bool {
        let every = self.sweep_every();
        self.swept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|t| t.elapsed() >= every)
    }

    /// How many unfinished uploads `uploader` has parked, and their bytes; expired parts, which
    /// the next sweep deletes, do not count. Blocking I/O: one read of the uploads directory,
    /// which the quotas and the expiry keep small.
    pub fn parked_by(&self, uploader: PersonId) -> Parked {
        let suffix = format!(".{uploader}.part");
        let mut out = Parked::default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for e in entries.flatten() {
            if !e.file_name().to_str().is_some_and(|n| n.ends_with(&suffix)) {
                continue;
            }
            let Ok(m) = e.metadata() else {
                continue;
            };
            let expired = m
                .modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= self.abandoned_after);
            if !expired {
                out.parts += 1;
                out.bytes += m.len();
            }
        }
        out
    }

    /// The lock serialising one person's additions to their parked uploads, so that two
    /// chunks sent at once cannot both pass the quota.
    pub fn lock_for_person(&self, uploader: PersonId) -> Arc<tokio::sync::Mutex<()>> {
        self.lock_for(&format!("person:{uploader}"))
    }

    pub fn part_path(&self, sha256: &str, uploader: PersonId) -> PathBuf {
        debug_assert!(is_sha256_hex(sha256));
        self.dir.join(format!("{sha256}.{uploader}.part"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lock serialising uploads of one photo.
    pub fn lock_for(&self, sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        // Forget locks nobody holds, so the map does not grow with every photo ever uploaded.
        if busy.len() > 1024 {
            busy.retain(|_, l| Arc::strong_count(l) > 1);
        }
        busy.entry(sha256.to_string()).or_default().clone()
    }

    /// Bytes of `uploader`'s upload held so far.
    pub fn received(&self, sha256: &str, uploader: PersonId) -> u64 {
        std::fs::metadata(self.part_path(sha256, uploader))
            .map(|m| m.len())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_are_stored_by_hash_and_keys_cannot_be_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjectStore::new(dir.path().to_path_buf());
        let key = "ab".repeat(32);
        assert!(!store.exists(&key).await.unwrap());
        store.put(&key, b"jpeg".to_vec()).await.unwrap();
        store.put(&key, b"jpeg".to_vec()).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap().unwrap(), b"jpeg");
        assert!(dir.path().join("ab").join(&key).exists());
        for bad in ["../../etc/passwd", "AB".repeat(32).as_str(), ""] {
            assert!(matches!(
                store.put(bad, vec![1]).await,
                Err(ObjectError::BadKey(_))
            ));
        }
    }
}
