//! Files a report may carry besides photos: PDF, Word, Excel and PowerPoint documents, as
//! township offices keep them. Known by their first bytes, never by their names: the phone
//! refuses other files at once, and the server checks the whole file again when it arrives.

/// Office 97–2003 compound files (doc, xls, ppt).
pub const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
pub const PDF_MAGIC: &[u8] = b"%PDF-";
/// Office Open XML files (docx, xlsx, pptx) are ZIP archives.
pub const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The largest file a report may carry, photo or document.
pub const MAX_ATTACHMENT_BYTES: u64 = 20 * 1024 * 1024;
/// The most files one report may carry.
pub const MAX_ATTACHMENTS: usize = 50;

/// Whether `prefix`, the first bytes of a file, could start an accepted document. Fewer bytes
/// than a signature count as could.
pub fn could_be_document(prefix: &[u8]) -> bool {
    [PDF_MAGIC, ZIP_MAGIC, &OLE_MAGIC]
        .iter()
        .any(|m| m.starts_with(&prefix[..prefix.len().min(m.len())]))
}

/// Whether a whole file starts as an accepted document or picture does (JPEG, PNG, WebP).
pub fn is_acceptable(bytes: &[u8]) -> bool {
    let picture = bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP");
    picture
        || ([PDF_MAGIC, ZIP_MAGIC, &OLE_MAGIC]
            .iter()
            .any(|m| bytes.starts_with(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_pictures_are_known_by_their_first_bytes() {
        assert!(is_acceptable(b"%PDF-1.7\n"));
        assert!(is_acceptable(b"PK\x03\x04\x14\x00"));
        assert!(is_acceptable(&OLE_MAGIC));
        assert!(is_acceptable(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!is_acceptable(b"MZ\x90\x00"));
        assert!(!is_acceptable(b"%PD"), "too short to be a PDF");
        assert!(could_be_document(b"%PD"));
        assert!(!could_be_document(b"MZ"));
    }
}
