//! The in-app camera (现场拍照) as the screen holds it: a state machine over the messages of
//! the webview's camera script ([`SCRIPT`]: `getUserMedia` with the rear camera into a
//! `<video>`, a frame drawn to a canvas and sent back as JPEG) and the cadre's taps.
//!
//! idle → starting → live → capturing → captured → saving → saved, and from anywhere to failed
//! with a message in Chinese that says what to do. A visit's photo is taken here, during the
//! visit; it is never picked from the gallery.
//!
//! `T` is where the picture goes and what its watermark says, fixed by the app the moment the
//! shutter is pressed (a visit checked out meanwhile still gets its photo).

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::strings;

/// The camera script, run once per opening of the camera screen with `document::eval`.
pub const SCRIPT: &str = include_str!("camera.js");

/// The `id` of the `<video>` element the script shows the camera in.
pub const VIDEO_ID: &str = "zhucun-camera-video";

/// What the app tells the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ToCamera {
    /// Open the rear camera into the video element.
    Start,
    /// Draw the current frame to a canvas and send it as JPEG; the video holds the still.
    Capture,
    /// Show the live picture again (重拍).
    Resume,
    /// Stop the camera's tracks and end the script.
    Stop,
}

/// What the script tells the app.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromCamera {
    /// The camera shows a live picture of this size.
    Live { width: u32, height: u32 },
    /// The captured frame, base64 JPEG (empty when there was no picture to draw).
    Frame { jpeg: String },
    /// The page went to the background and the camera was given back.
    Paused,
    /// The camera could not be opened or failed: the DOMException's name and message.
    Error {
        name: String,
        #[serde(default)]
        message: String,
    },
}

/// Where the camera screen is.
#[derive(Clone, Debug, PartialEq)]
pub enum CameraState<T> {
    Idle,
    Starting,
    Live,
    /// The shutter was pressed; the frame is on its way.
    Capturing {
        target: T,
    },
    /// A picture waits for 使用这张 or 重拍.
    Captured {
        picture: Vec<u8>,
        target: T,
    },
    /// The picture is being re-encoded and saved.
    Saving,
    Saved,
    /// The camera cannot go on: the message says what to do.
    Failed {
        message: String,
    },
}

/// The camera screen: its state and the last word for the cadre (a picture not taken, the
/// camera paused), cleared by the next step.
#[derive(Clone, Debug, PartialEq)]
pub struct Camera<T> {
    pub state: CameraState<T>,
    pub notice: Option<String>,
    /// The picture being saved and where it goes, kept until the save answers so that a
    /// failed save leaves it to try again.
    saving: Option<(Vec<u8>, T)>,
}

impl<T: Clone> Default for Camera<T> {
    fn default() -> Self {
        Camera::new()
    }
}

impl<T: Clone> Camera<T> {
    pub fn new() -> Camera<T> {
        Camera {
            state: CameraState::Idle,
            notice: None,
            saving: None,
        }
    }

    /// 打开相机: from idle, after a failure or after a save.
    pub fn open(&mut self) -> Option<ToCamera> {
        match self.state {
            CameraState::Idle | CameraState::Failed { .. } | CameraState::Saved => {
                self.state = CameraState::Starting;
                self.notice = None;
                Some(ToCamera::Start)
            }
            _ => None,
        }
    }

    /// The shutter, with where the picture goes (`Err`: it has nowhere to go, e.g. the visit
    /// was checked out; the message says so).
    pub fn shutter(&mut self, target: Result<T, String>) -> Option<ToCamera> {
        if !matches!(self.state, CameraState::Live) {
            return None;
        }
        match target {
            Ok(target) => {
                self.state = CameraState::Capturing { target };
                self.notice = None;
                Some(ToCamera::Capture)
            }
            Err(message) => {
                self.notice = Some(message);
                None
            }
        }
    }

    /// 重拍: back to the live picture.
    pub fn retake(&mut self) -> Option<ToCamera> {
        match self.state {
            CameraState::Captured { .. } | CameraState::Saved => {
                self.state = CameraState::Live;
                self.notice = None;
                Some(ToCamera::Resume)
            }
            _ => None,
        }
    }

    /// 使用这张: the picture and where it goes, to be saved off the UI thread; answer with
    /// [`Camera::saved`].
    pub fn save(&mut self) -> Option<(Vec<u8>, T)> {
        if !matches!(self.state, CameraState::Captured { .. }) {
            return None;
        }
        let CameraState::Captured { picture, target } =
            std::mem::replace(&mut self.state, CameraState::Saving)
        else {
            return None;
        };
        self.saving = Some((picture.clone(), target.clone()));
        self.notice = None;
        Some((picture, target))
    }

    /// How the save ended: saved, or back to the picture with why not.
    pub fn saved(&mut self, result: Result<(), String>) {
        if !matches!(self.state, CameraState::Saving) {
            return;
        }
        let kept = self.saving.take();
        match (result, kept) {
            (Ok(()), _) => {
                self.state = CameraState::Saved;
                self.notice = Some(strings::CAMERA_SAVED.to_string());
            }
            (Err(message), Some((picture, target))) => {
                self.state = CameraState::Captured { picture, target };
                self.notice = Some(message);
            }
            (Err(message), None) => self.state = CameraState::Failed { message },
        }
    }

    /// 关闭: the screen closes; the script stops the tracks.
    pub fn close(&mut self) -> ToCamera {
        self.state = CameraState::Idle;
        self.saving = None;
        self.notice = None;
        ToCamera::Stop
    }

    /// The script's channel ended (the webview went away, or there is none).
    pub fn channel_closed(&mut self) {
        if !matches!(self.state, CameraState::Idle | CameraState::Saved) {
            self.state = CameraState::Failed {
                message: strings::ERR_CAMERA_FAILED.to_string(),
            };
        }
    }

    /// A message from the script; returns what to tell it back.
    pub fn on_message(&mut self, msg: FromCamera) -> Option<ToCamera> {
        match msg {
            FromCamera::Live { .. } => {
                if matches!(self.state, CameraState::Starting) {
                    self.state = CameraState::Live;
                }
                None
            }
            FromCamera::Frame { jpeg } => {
                let CameraState::Capturing { target } = &self.state else {
                    return None;
                };
                match decode_frame(&jpeg) {
                    Some(picture) => {
                        self.state = CameraState::Captured {
                            picture,
                            target: target.clone(),
                        };
                        None
                    }
                    None => {
                        self.state = CameraState::Live;
                        self.notice = Some(strings::ERR_CAMERA_NO_FRAME.to_string());
                        Some(ToCamera::Resume)
                    }
                }
            }
            FromCamera::Paused => {
                // A picture taken stays; a live picture has to be opened again.
                if matches!(
                    self.state,
                    CameraState::Starting | CameraState::Live | CameraState::Capturing { .. }
                ) {
                    self.state = CameraState::Idle;
                    self.notice = Some(strings::CAMERA_PAUSED.to_string());
                }
                None
            }
            FromCamera::Error { name, .. } => {
                self.state = CameraState::Failed {
                    message: error_message(&name).to_string(),
                };
                None
            }
        }
    }
}

/// The JPEG of a frame, if the base64 holds one.
fn decode_frame(b64: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    // A JPEG starts with SOI (FF D8).
    (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8).then_some(bytes)
}

/// What to tell the cadre for a camera error, by the DOMException's name.
pub fn error_message(name: &str) -> &'static str {
    match name {
        // The user or the system refused (Android's runtime permission, the webview's grant),
        // or the page is not a secure context.
        "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => strings::ERR_CAMERA_DENIED,
        "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" => {
            strings::ERR_CAMERA_NOT_FOUND
        }
        "NotReadableError" | "TrackStartError" | "AbortError" => strings::ERR_CAMERA_BUSY,
        "Unsupported" | "TypeError" | "NotSupportedError" => strings::ERR_CAMERA_UNSUPPORTED,
        _ => strings::ERR_CAMERA_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_js(json: &str) -> FromCamera {
        serde_json::from_str(json).unwrap()
    }

    fn jpeg_b64() -> String {
        let shot = crate::platform::photo::SimulatedCamera {
            width: 32,
            height: 24,
            seed: 1,
        }
        .shoot();
        base64::engine::general_purpose::STANDARD.encode(shot)
    }

    /// A camera brought to live.
    fn live() -> Camera<&'static str> {
        let mut c = Camera::new();
        assert_eq!(c.open(), Some(ToCamera::Start));
        assert_eq!(c.state, CameraState::Starting);
        c.on_message(from_js(r#"{"kind":"live","width":1920,"height":1440}"#));
        assert_eq!(c.state, CameraState::Live);
        c
    }

    #[test]
    fn a_picture_goes_from_idle_through_live_and_captured_to_saved() {
        let mut c = live();
        assert_eq!(c.shutter(Ok("visit 1")), Some(ToCamera::Capture));
        assert_eq!(c.state, CameraState::Capturing { target: "visit 1" });
        let frame = format!(r#"{{"kind":"frame","jpeg":"{}"}}"#, jpeg_b64());
        assert_eq!(c.on_message(from_js(&frame)), None);
        let CameraState::Captured { picture, target } = &c.state else {
            panic!("{:?}", c.state);
        };
        assert_eq!(&picture[..2], &[0xFF, 0xD8]);
        assert_eq!(*target, "visit 1");
        let (picture, target) = c.save().unwrap();
        assert!(!picture.is_empty());
        assert_eq!(target, "visit 1");
        assert_eq!(c.state, CameraState::Saving);
        c.saved(Ok(()));
        assert_eq!(c.state, CameraState::Saved);
        assert_eq!(c.notice.as_deref(), Some(strings::CAMERA_SAVED));
        // Another picture of the same visit.
        assert_eq!(c.retake(), Some(ToCamera::Resume));
        assert_eq!(c.state, CameraState::Live);
        assert_eq!(c.close(), ToCamera::Stop);
        assert_eq!(c.state, CameraState::Idle);
    }

    #[test]
    fn a_refused_camera_says_in_chinese_to_allow_it_in_the_settings() {
        let mut c: Camera<()> = Camera::new();
        c.open();
        c.on_message(from_js(
            r#"{"kind":"error","name":"NotAllowedError","message":"Permission denied"}"#,
        ));
        assert_eq!(
            c.state,
            CameraState::Failed {
                message: "相机无法打开：请在系统设置中允许本应用使用相机".into()
            }
        );
        // 打开相机 tries again.
        assert_eq!(c.open(), Some(ToCamera::Start));
    }

    #[test]
    fn every_camera_error_is_said_in_chinese_with_what_to_do() {
        for name in [
            "NotAllowedError",
            "SecurityError",
            "NotFoundError",
            "OverconstrainedError",
            "NotReadableError",
            "AbortError",
            "Unsupported",
            "TypeError",
            "SomethingNew",
        ] {
            let said = error_message(name);
            let words = said.replace("Android System WebView", "");
            assert!(!words.chars().any(|c| c.is_ascii_alphabetic()), "{said}");
            assert!(said.contains('请'), "{name}: {said}");
        }
    }

    #[test]
    fn an_empty_or_broken_frame_goes_back_to_live_with_a_word() {
        let mut c = live();
        c.shutter(Ok("v"));
        for bad in ["", "not base64!", "aGVsbG8="] {
            c.state = CameraState::Capturing { target: "v" };
            let json = format!(r#"{{"kind":"frame","jpeg":"{bad}"}}"#);
            assert_eq!(c.on_message(from_js(&json)), Some(ToCamera::Resume));
            assert_eq!(c.state, CameraState::Live);
            assert_eq!(c.notice.as_deref(), Some(strings::ERR_CAMERA_NO_FRAME));
        }
    }

    #[test]
    fn a_shutter_with_nowhere_to_go_stays_live_and_says_why() {
        let mut c = live();
        assert_eq!(c.shutter(Err("没有正在进行的走访".into())), None);
        assert_eq!(c.state, CameraState::Live);
        assert_eq!(c.notice.as_deref(), Some("没有正在进行的走访"));
        // Before the camera is live the shutter does nothing.
        let mut idle: Camera<&str> = Camera::new();
        assert_eq!(idle.shutter(Ok("v")), None);
        assert_eq!(idle.state, CameraState::Idle);
    }

    #[test]
    fn a_failed_save_keeps_the_picture_to_try_again() {
        let mut c = live();
        c.shutter(Ok("v"));
        c.on_message(FromCamera::Frame { jpeg: jpeg_b64() });
        let (picture, _) = c.save().unwrap();
        c.saved(Err("手机存储读写出错".into()));
        assert_eq!(
            c.state,
            CameraState::Captured {
                picture,
                target: "v"
            }
        );
        assert_eq!(c.notice.as_deref(), Some("手机存储读写出错"));
        assert!(c.save().is_some());
    }

    #[test]
    fn the_page_going_to_the_background_gives_the_camera_back() {
        let mut c = live();
        c.on_message(from_js(r#"{"kind":"paused"}"#));
        assert_eq!(c.state, CameraState::Idle);
        assert_eq!(c.notice.as_deref(), Some(strings::CAMERA_PAUSED));
        assert_eq!(c.open(), Some(ToCamera::Start));
        // A closed channel (no webview) is a failure the cadre can retry.
        c.channel_closed();
        assert!(matches!(c.state, CameraState::Failed { .. }));
    }

    #[test]
    fn the_script_and_the_messages_agree() {
        assert!(SCRIPT.contains(VIDEO_ID));
        assert!(SCRIPT.contains(r#"facingMode: "environment""#));
        assert!(SCRIPT.contains("getTracks().forEach((t) => t.stop())"));
        for cmd in [
            ToCamera::Start,
            ToCamera::Capture,
            ToCamera::Resume,
            ToCamera::Stop,
        ] {
            let json = serde_json::to_value(cmd).unwrap();
            let name = json["cmd"].as_str().unwrap();
            assert!(SCRIPT.contains(&format!("cmd === \"{name}\"")), "{name}");
        }
        for kind in ["live", "frame", "paused", "error"] {
            assert!(SCRIPT.contains(&format!("kind: \"{kind}\"")), "{kind}");
        }
    }
}
