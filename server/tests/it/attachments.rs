//! A report's attached documents: PDF and Office files are taken on `/api/v1/files`, resumably,
//! known by their bytes; the photo path still takes pictures only; a document never stands as
//! a visit's photo; and an attachment is seen by whoever may see the report using it.

use crate::common::*;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use std::io::Write;
use zhucun_server::store::{FileRow, Store};
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::{DeviceRecord, RecordBody, ReportKind};

fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A small but whole PDF, a few kilobytes long.
fn pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    for i in 0..200 {
        out.extend(format!("% 第{i}行 驻村工作月报\n").as_bytes());
    }
    out.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

/// An Office Open XML file with `main_part` (word/document.xml makes a Word file).
fn ooxml(main_part: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in ["[Content_Types].xml", main_part] {
        w.start_file(name, opts).unwrap();
        w.write_all("<w:t>青峰乡十一月驻村工作月报</w:t>".as_bytes())
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn report(device: DeviceId, person: PersonId, seq: u64, attachments: Vec<String>) -> DeviceRecord {
    let now = Utc::now();
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: now,
        body: RecordBody::Report {
            kind: ReportKind::MonthlyReport,
            village_id: None,
            period: Period::containing(zhucun_shared::period::PeriodKind::Month, local_date(now))
                .unwrap(),
            title: "十一月驻村工作月报".into(),
            text: "见附件".into(),
            attachments,
        },
        received: None,
    }
}

#[tokio::test]
async fn a_document_is_taken_in_chunks_and_served_with_its_type() {
    on_each_backend(async |app| {
        let token = app.login(app.fx.cadre1).await;
        for (bytes, media_type) in [
            (pdf(), "application/pdf"),
            (
                ooxml("word/document.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ] {
            let h = sha(&bytes);
            let path = format!("/api/v1/files/{h}");
            let half = bytes.len() / 2;
            let (s, v) = app
                .put_chunk(&token, &path, 0, bytes.len(), &bytes[..half])
                .await;
            assert_eq!(
                (s, &v["complete"]),
                (StatusCode::OK, &Value::Bool(false)),
                "{v}"
            );
            let (s, v) = app.get(&token, &format!("{path}/status")).await;
            assert_eq!(
                (s, v["received_bytes"].as_u64()),
                (StatusCode::OK, Some(half as u64))
            );
            let (s, v) = app
                .put_chunk(&token, &path, half, bytes.len(), &bytes[half..])
                .await;
            assert_eq!(
                (s, &v["complete"]),
                (StatusCode::OK, &Value::Bool(true)),
                "{v}"
            );
            let r = app
                .http
                .get(app.url(&path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["content-type"], media_type);
            assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
        }
    })
    .await;
}

#[tokio::test]
async fn what_is_not_an_accepted_document_is_refused_and_not_kept() {
    on_each_backend(async |app| {
        let token = app.login(app.fx.cadre1).await;
        // A document is no photo.
        let doc = pdf();
        let h = sha(&doc);
        let (s, v) = app
            .put_chunk(&token, &format!("/api/v1/photos/{h}"), 0, doc.len(), &doc)
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_an_image")),
            "{v}"
        );
        // Neither a program, nor a plain archive, nor a cut-off PDF is an attachment.
        let mut cut = doc.clone();
        cut.truncate(doc.len() - 20);
        for (bytes, code) in [
            (b"MZ\x90\x00\x03 a program".to_vec(), "not_accepted_file"),
            (ooxml("notes.txt"), "not_accepted_file"),
            (cut, "bad_document"),
        ] {
            let h = sha(&bytes);
            let (s, v) = app
                .put_chunk(
                    &token,
                    &format!("/api/v1/files/{h}"),
                    0,
                    bytes.len(),
                    &bytes,
                )
                .await;
            assert_eq!(
                (s, v["code"].as_str(), v["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(code), Some("body")),
                "{v}"
            );
            assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0);
            assert!(app.state.store.file(&h).await.unwrap().is_none());
            let (s, _) = app.get(&token, &format!("/api/v1/files/{h}/status")).await;
            assert_eq!(s, StatusCode::NOT_FOUND);
        }
    })
    .await;
}

#[tokio::test]
async fn an_attachment_follows_the_report_using_it() {
    on_each_backend(async |app| {
        let fx = app.fx.clone();
        let author = app.login(fx.cadre1).await;
        let bytes = pdf();
        let h = sha(&bytes);
        let (s, _) = app
            .put_chunk(
                &author,
                &format!("/api/v1/files/{h}"),
                0,
                bytes.len(),
                &bytes,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let device = app.enroll(&author).await;
        let (s, v) = app
            .push(
                &author,
                device,
                &[report(device, fx.cadre1, 1, vec![h.clone()])],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for (viewer, want) in [
            (fx.leader1, StatusCode::OK),
            (fx.supervisor, StatusCode::OK),
            // Not theirs: answered as if there were no such file.
            (fx.cadre2, StatusCode::NOT_FOUND),
            (fx.outsider, StatusCode::NOT_FOUND),
        ] {
            let token = app.login(viewer).await;
            let r = app
                .http
                .get(app.url(&format!("/api/v1/files/{h}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), want, "{}", username(&fx, viewer));
        }
    })
    .await;
}

#[tokio::test]
async fn a_stored_document_never_stands_as_a_photo() {
    on_each_backend(async |app| {
        let row = |sha: String, format: &str| FileRow {
            sha256: sha,
            bytes: 1000,
            format: format.into(),
            width: if format == "jpeg" { 640 } else { 0 },
            height: if format == "jpeg" { 480 } else { 0 },
            facts: PhotoFacts::default(),
            uploaded_by: app.fx.cadre1,
            uploaded_at: Utc::now(),
        };
        let (picture, document) = ("a".repeat(64), "b".repeat(64));
        app.state
            .store
            .put_file(&row(picture.clone(), "jpeg"))
            .await
            .unwrap();
        app.state
            .store
            .put_file(&row(document.clone(), "pdf"))
            .await
            .unwrap();
        let held = app
            .state
            .store
            .photo_facts(&[picture.clone(), document.clone()])
            .await
            .unwrap();
        assert!(held.contains_key(&picture));
        assert!(
            !held.contains_key(&document),
            "a PDF cannot be a visit's photo"
        );
    })
    .await;
}

#[tokio::test]
async fn documents_carrying_web_pages_or_other_files_are_refused() {
    on_each_backend(async |app| {
        let token = app.login(app.fx.cadre1).await;
        let page = b"<html><body><script>fetch('/api/v1/me')</script></body></html>\n";
        // A PDF whose first bytes a browser would render as a page.
        let mut pdf_page = b"%PDF-1.4\n".to_vec();
        pdf_page.extend(page);
        pdf_page.extend(&pdf()[9..]);
        // A whole PDF with a page appended after its end.
        let mut pdf_then_page = pdf();
        pdf_then_page.extend(page);
        // A Word file with a page appended after the archive.
        let mut docx_then_page = ooxml("word/document.xml");
        docx_then_page.extend(page);
        // A Word file carrying a page, and one that is also a workbook.
        let docx_with_page = {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for (name, body) in [
                ("[Content_Types].xml", &b"<Types/>"[..]),
                ("word/document.xml", b"<w:document/>"),
                ("index.html", page),
            ] {
                w.start_file(name, opts).unwrap();
                w.write_all(body).unwrap();
            }
            w.finish().unwrap().into_inner()
        };
        let two_kinds = {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for name in [
                "[Content_Types].xml",
                "word/document.xml",
                "xl/workbook.xml",
            ] {
                w.start_file(name, opts).unwrap();
                w.write_all(b"<x/>").unwrap();
            }
            w.finish().unwrap().into_inner()
        };
        for (name, bytes) in [
            ("PDF/HTML polyglot", pdf_page),
            ("PDF with a page after %%EOF", pdf_then_page),
            ("docx with a page appended", docx_then_page),
            ("docx carrying index.html", docx_with_page),
            ("docx that is also a workbook", two_kinds),
        ] {
            let h = sha(&bytes);
            let (s, v) = app
                .put_chunk(
                    &token,
                    &format!("/api/v1/files/{h}"),
                    0,
                    bytes.len(),
                    &bytes,
                )
                .await;
            assert_eq!(
                (s, v["code"].as_str(), v["field"].as_str()),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("bad_document"),
                    Some("body")
                ),
                "{name}: {v}"
            );
            assert!(app.state.store.file(&h).await.unwrap().is_none(), "{name}");
            assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0, "{name}");
        }
        // Trailing whitespace after %%EOF is no harm.
        let mut spaced = pdf();
        spaced.extend(b"\r\n  \n");
        let (s, v) = app
            .put_chunk(
                &token,
                &format!("/api/v1/files/{}", sha(&spaced)),
                0,
                spaced.len(),
                &spaced,
            )
            .await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
    })
    .await;
}
