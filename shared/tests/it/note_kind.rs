//! A note's kind is an optional field of protocol v1: a note without one is written, read and
//! hashed (the server hashes the record's JSON) exactly as before the field existed.

use chrono::{DateTime, Utc};
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::record::{is_location_lost_note, DeviceRecord, NoteKind, RecordBody};
use zhucun_shared::synth::Recorder;

fn now() -> DateTime<Utc> {
    "2026-11-28T08:00:00Z".parse().unwrap()
}

fn note(kind: Option<NoteKind>) -> DeviceRecord {
    Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2)).record(
        now(),
        RecordBody::Note {
            attached_to: RecordId::from_u128(3),
            text: "定位中断：权限被拒绝".into(),
            replaces: None,
            kind,
        },
    )
}

#[test]
fn a_note_without_a_kind_is_written_and_read_as_before() {
    let plain = note(None);
    let json = serde_json::to_string(&plain).unwrap();
    assert!(!json.contains("\"kind\""), "{json}");
    // As a phone without the field wrote it: the same record, the same bytes again.
    let read: DeviceRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(read, plain);
    assert_eq!(serde_json::to_string(&read).unwrap(), json);
    assert_eq!(plain.validate(now()), Ok(()));
}

#[test]
fn a_kind_travels_with_the_note() {
    let typed = note(Some(NoteKind::LocationLost));
    let json = serde_json::to_string(&typed).unwrap();
    assert!(json.contains("\"kind\":\"location_lost\""), "{json}");
    assert_eq!(serde_json::from_str::<DeviceRecord>(&json).unwrap(), typed);
    assert_eq!(typed.validate(now()), Ok(()));
}

#[test]
fn a_lost_location_is_read_from_the_kind_and_from_old_notes_text() {
    assert!(is_location_lost_note(
        Some(NoteKind::LocationLost),
        "GPS off"
    ));
    assert!(is_location_lost_note(None, "定位中断：权限被拒绝"));
    assert!(!is_location_lost_note(None, "走访记录"));
}
