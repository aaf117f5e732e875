//! What an attached document really is. Reports go to the township as the office keeps them:
//! PDF, Word, Excel or PowerPoint files (Office Open XML, or the older binary formats that WPS
//! and old Office still write). The name a phone gives a file proves nothing, so the bytes
//! decide; anything else is refused.

use super::inspect::InspectError;
use std::io::Cursor;
pub use zhucun_shared::attachment::could_be_document;
use zhucun_shared::attachment::{OLE_MAGIC, PDF_MAGIC, ZIP_MAGIC};

/// The document's format: `pdf`, `docx`, `xlsx`, `pptx` or `ole` (doc, xls or ppt). A PDF must
/// end with its end-of-file marker (a cut-off file is refused); an Office Open XML file must be
/// a readable archive holding the main part of its kind (a plain ZIP archive is refused). The
/// archive's directory is read, nothing is decompressed.
pub fn inspect_document(bytes: &[u8]) -> Result<&'static str, InspectError> {
    if bytes.starts_with(PDF_MAGIC) {
        let tail = &bytes[bytes.len().saturating_sub(2048)..];
        if !tail.windows(5).any(|w| w == b"%%EOF") {
            return Err(InspectError::BadDocument(
                "PDF 文件不完整（缺少结尾标记）".into(),
            ));
        }
        return Ok("pdf");
    }
    if bytes.starts_with(&OLE_MAGIC) {
        return Ok("ole");
    }
    if bytes.starts_with(ZIP_MAGIC) {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| InspectError::BadDocument(e.to_string()))?;
        let has = |name: &str| archive.file_names().any(|n| n.is_ok_and(|n| n == name));
        if !has("[Content_Types].xml") {
            return Err(InspectError::NotAccepted);
        }
        for (part, format) in [
            ("word/document.xml", "docx"),
            ("xl/workbook.xml", "xlsx"),
            ("ppt/presentation.xml", "pptx"),
        ] {
            if has(part) {
                return Ok(format);
            }
        }
        return Err(InspectError::NotAccepted);
    }
    Err(InspectError::NotAccepted)
}

/// The media type a stored file is served with.
pub fn media_type(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ole" => "application/x-ole-storage",
        _ => "application/octet-stream",
    }
}

/// Whether a stored file of `format` is a picture (and so may stand as a visit's photo).
pub fn is_image(format: &str) -> bool {
    matches!(format, "jpeg" | "png" | "webp")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ooxml(main_part: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for name in ["[Content_Types].xml", main_part] {
            w.start_file(name, opts).unwrap();
            w.write_all(b"<x/>").unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn documents_are_known_by_their_bytes() {
        assert_eq!(inspect_document(b"%PDF-1.7\n1 0 obj\n%%EOF\n"), Ok("pdf"));
        assert_eq!(inspect_document(&ooxml("word/document.xml")), Ok("docx"));
        assert_eq!(inspect_document(&ooxml("xl/workbook.xml")), Ok("xlsx"));
        assert_eq!(inspect_document(&ooxml("ppt/presentation.xml")), Ok("pptx"));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0; 504]);
        assert_eq!(inspect_document(&ole), Ok("ole"));
    }

    #[test]
    fn other_files_and_damaged_documents_are_refused() {
        assert!(matches!(
            inspect_document(b"%PDF-1.7\n1 0 obj\n"),
            Err(InspectError::BadDocument(_))
        ));
        assert_eq!(
            inspect_document(&ooxml("notes.txt")),
            Err(InspectError::NotAccepted)
        );
        assert!(matches!(
            inspect_document(b"PK\x03\x04 not really an archive"),
            Err(InspectError::BadDocument(_))
        ));
        assert_eq!(
            inspect_document(b"MZ\x90\x00 an executable"),
            Err(InspectError::NotAccepted)
        );
    }
}
