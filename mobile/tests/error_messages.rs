//! Every error the facade hands the screens is what the cadre reads on the banner: a Chinese
//! sentence saying what to do, with no English in it. Walks each variant of the facade's
//! [`ServiceError`] and of the core errors it wraps.

use zhucun_mobile::capture::CaptureError;
use zhucun_mobile::platform::photo::{prepare, PhotoPolicy};
use zhucun_mobile::state::ServiceError;
use zhucun_mobile::store::{Store, StoreError};
use zhucun_mobile::sync::{ApiError, SyncError};
use zhucun_shared::record::FieldError;
use zhucun_shared::sync::ErrorBody;

/// Names that stay as the phone's settings and file pickers spell them.
const NAMES: [&str; 9] = [
    "GPS",
    "PDF",
    "Word",
    "Excel",
    "PowerPoint",
    "MB",
    "Android",
    "System",
    "WebView",
];

/// The English words in `message` (runs of ASCII letters, URLs' schemes aside), other than
/// [`NAMES`].
fn english_words(message: &str) -> Vec<String> {
    message
        .replace("https://", "")
        .replace("http://", "")
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty() && !NAMES.contains(w))
        .map(String::from)
        .collect()
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A Chinese sentence that says what to do (请…, or what is required: 须…).
fn assert_tells_what_to_do(e: &ServiceError) {
    let message = e.to_string();
    assert!(message.chars().any(is_cjk), "{e:?}: {message}");
    assert!(
        english_words(&message).is_empty(),
        "{e:?}: English in {message:?}: {:?}",
        english_words(&message)
    );
    assert!(
        message.contains('请') || message.contains('须'),
        "{e:?}: {message} does not say what to do"
    );
}

fn store_errors() -> Vec<StoreError> {
    let unopenable = match Store::open("/nonexistent/zhucun/phone.db") {
        Err(e) => e,
        Ok(_) => panic!("a store opened where no directory is"),
    };
    let mut errors = vec![
        unopenable,
        StoreError::Json(serde_json::from_str::<u8>("not json").unwrap_err()),
        StoreError::NotEnrolled,
        StoreError::Malformed("device_id".into()),
        StoreError::Interrupted(3),
    ];
    // Each field the shared rules refuse, and one the phone has no words for.
    for field in [
        "captured_at",
        "body.taken_at",
        "body.held_on",
        "body.person_times",
        "body.quantity",
        "body.attachments",
        "body.occurred_at",
        "body.title",
        "body.reason",
        "body.fix.lat",
        "body.position",
        "body.some_new_field",
    ] {
        errors.push(StoreError::Invalid(FieldError::new(field, "refused")));
    }
    errors
}

fn capture_errors() -> Vec<CaptureError> {
    use zhucun_mobile::strings;
    vec![
        CaptureError::NotOnDuty,
        CaptureError::AlreadyOnDuty,
        CaptureError::VisitOpen,
        CaptureError::NoOpenVisit,
        CaptureError::NotInVillage,
        CaptureError::AlreadyInVillage,
        CaptureError::UnknownVillage,
        CaptureError::UnknownHousehold,
        CaptureError::OutsideBoundary {
            distance_m: 420.0,
            accuracy_m: 15.0,
        },
        CaptureError::Invalid(strings::ERR_EMPTY_TITLE),
        CaptureError::Invalid(strings::ERR_EMPTY_TEXT),
        CaptureError::Invalid(strings::ERR_PERSON_TIMES),
        CaptureError::Invalid(strings::ERR_TOO_LONG),
        CaptureError::Invalid(strings::ERR_ATTACHMENT_KIND),
        CaptureError::Invalid(strings::ERR_ATTACHMENT_TOO_LARGE),
        CaptureError::Invalid(strings::ERR_TOO_MANY_ATTACHMENTS),
        CaptureError::Invalid(strings::ERR_EVENT_IN_FUTURE),
        CaptureError::Invalid(strings::ERR_EVENT_TOO_OLD),
        CaptureError::Invalid(strings::ERR_HELD_IN_FUTURE),
        CaptureError::Invalid(strings::ERR_ON_SITE_NO_FIX),
        CaptureError::Refused(strings::refused_request("结束日期不能早于开始日期")),
        CaptureError::Store(StoreError::NotEnrolled),
    ]
}

fn api_errors() -> Vec<ApiError> {
    let mut errors: Vec<ApiError> = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 503]
        .into_iter()
        .map(|status| ApiError::Status { status, body: None })
        .collect();
    errors.push(ApiError::Status {
        status: 422,
        body: Some(ErrorBody {
            code: "invalid".into(),
            message: "事由不得超过 200 个字".into(),
            field: Some("body.reason".into()),
        }),
    });
    errors
}

#[test]
fn every_error_shown_to_the_cadre_says_in_chinese_what_to_do() {
    let mut shown: Vec<ServiceError> = Vec::new();
    shown.extend(store_errors().into_iter().map(ServiceError::from));
    shown.extend(capture_errors().into_iter().map(ServiceError::from));
    shown.extend(api_errors().into_iter().map(ServiceError::from));
    shown.extend(
        [
            SyncError::NotSignedIn,
            SyncError::OtherPersonsLog,
            SyncError::Unsettled,
            SyncError::Store(StoreError::Interrupted(1)),
            SyncError::Api(ApiError::Status {
                status: 502,
                body: None,
            }),
        ]
        .into_iter()
        .map(ServiceError::from),
    );
    let unreadable = prepare(b"not a picture", &PhotoPolicy::default(), None).unwrap_err();
    shown.push(unreadable.into());
    shown.push(ServiceError::BadCredentials);
    for e in &shown {
        assert_tells_what_to_do(e);
    }
}
