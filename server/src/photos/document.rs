//! What an attached document really is. Reports go to the township as the office keeps them:
//! PDF, Word, Excel or PowerPoint files (Office Open XML, or the older binary formats that WPS
//! and old Office still write). The name a phone gives a file proves nothing, so the bytes
//! decide; anything else is refused.

use super::inspect::InspectError;
use std::io::Cursor;
pub use zhucun_shared::attachment::could_be_document;
use zhucun_shared::attachment::{OLE_MAGIC, PDF_MAGIC, ZIP_MAGIC};

/// The document's format: `pdf`, `docx`, `xlsx`, `pptx` or `ole` (doc, xls or ppt), when the
/// file is what its structure says and nothing else rides along:
/// - a PDF starts with `%PDF-`, ends with `%%EOF` (trailing whitespace aside: a cut-off file or
///   one with something appended is refused) and has no web page markup in its first bytes;
/// - an Office Open XML file is a ZIP archive with nothing before or after it (no comment
///   either), holding `[Content_Types].xml` and the main part of exactly one kind, every entry
///   under that kind's folders (a plain ZIP archive, or one carrying other files, is refused);
/// - an OLE file's header names its byte order, version and sector size as the format has them.
///
/// The archive's directory is read, nothing is decompressed.
pub fn inspect_document(bytes: &[u8]) -> Result<&'static str, InspectError> {
    if bytes.starts_with(PDF_MAGIC) {
        check_pdf(bytes)?;
        return Ok("pdf");
    }
    if bytes.starts_with(&OLE_MAGIC) {
        check_ole(bytes)?;
        return Ok("ole");
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return ooxml_format(bytes);
    }
    Err(InspectError::NotAccepted)
}

/// Markup a browser would take for a web page, looked for in a document's first bytes.
const HTML_MARKERS: [&[u8]; 8] = [
    b"<html",
    b"<script",
    b"<!doctype",
    b"<body",
    b"<head",
    b"<iframe",
    b"<svg",
    b"<meta",
];
/// How far into a document markup is looked for: more than browsers sniff.
const SNIFFED_BYTES: usize = 4096;

fn check_pdf(bytes: &[u8]) -> Result<(), InspectError> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0'))
        .map_or(0, |i| i + 1);
    if !bytes[..end].ends_with(b"%%EOF") {
        return Err(InspectError::BadDocument(
            "PDF 文件不完整或结尾后附有其他数据（应以 %%EOF 结束），请重新导出后上传".into(),
        ));
    }
    let head = bytes[..bytes.len().min(SNIFFED_BYTES)].to_ascii_lowercase();
    if let Some(m) = HTML_MARKERS
        .iter()
        .find(|m| head.windows(m.len()).any(|w| w == **m))
    {
        return Err(InspectError::BadDocument(format!(
            "PDF 开头含有网页代码（{}），不是正常的 PDF 文件",
            String::from_utf8_lossy(m)
        )));
    }
    Ok(())
}

fn check_ole(bytes: &[u8]) -> Result<(), InspectError> {
    let le16 = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]))
    };
    let sector = match (le16(26), le16(28), le16(30)) {
        (Some(3), Some(0xFFFE), Some(9)) => 512,
        (Some(4), Some(0xFFFE), Some(12)) => 4096,
        _ => {
            return Err(InspectError::BadDocument(
                "Office 97-2003 文件头损坏".into(),
            ))
        }
    };
    // The header, then at least an allocation table and a directory.
    if bytes.len() < 3 * sector {
        return Err(InspectError::BadDocument(
            "Office 97-2003 文件不完整".into(),
        ));
    }
    Ok(())
}

fn ooxml_format(bytes: &[u8]) -> Result<&'static str, InspectError> {
    let bad = |m: String| InspectError::BadDocument(m);
    // The end-of-central-directory record, without a comment, ends the file.
    let eocd_at_end = bytes.len() >= 22 && {
        let e = &bytes[bytes.len() - 22..];
        e.starts_with(b"PK\x05\x06") && e[20..22] == [0, 0]
    };
    if !eocd_at_end {
        return Err(bad(
            "压缩包结尾之后附有其他数据（或带注释），不是正常的 Office 文件".into(),
        ));
    }
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if archive.offset() != 0 {
        return Err(bad("压缩包之前附有其他数据，不是正常的 Office 文件".into()));
    }
    if archive.has_duplicate_names() {
        return Err(bad("压缩包内有重名条目".into()));
    }
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let has = |name: &str| names.iter().any(|n| n == name);
    if !has("[Content_Types].xml") {
        return Err(InspectError::NotAccepted);
    }
    let kinds: Vec<(&str, &'static str)> = [
        ("word/document.xml", "docx"),
        ("xl/workbook.xml", "xlsx"),
        ("ppt/presentation.xml", "pptx"),
    ]
    .into_iter()
    .filter(|(part, _)| has(part))
    .collect();
    let (main_part, format) = match kinds.as_slice() {
        [] => return Err(InspectError::NotAccepted),
        [one] => *one,
        _ => {
            return Err(bad(
                "同一文件内同时含有 Word、Excel 或 PowerPoint 中的两种以上内容".into(),
            ))
        }
    };
    let folder = &main_part[..=main_part.find('/').unwrap_or(0)];
    for name in &names {
        let shared = name == "[Content_Types].xml"
            || ["_rels/", "docProps/", "customXml/"]
                .iter()
                .any(|f| name.starts_with(f));
        let safe = !name.starts_with('/')
            && !name.contains('\\')
            && !name.split('/').any(|seg| seg == "..");
        if !safe || !(shared || name.starts_with(folder)) {
            return Err(bad(format!(
                "含有不属于 {format} 文件的内容：{}",
                name.chars().take(80).collect::<String>()
            )));
        }
    }
    Ok(format)
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
        ole.resize(3 * 512, 0);
        ole[26..28].copy_from_slice(&3u16.to_le_bytes());
        ole[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        ole[30..32].copy_from_slice(&9u16.to_le_bytes());
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
