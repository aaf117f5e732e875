// The in-app camera (现场拍照), run by the app through Dioxus's `document::eval`. The page's own
// camera (getUserMedia) is used because Dioxus's native interpreter answers a file input's click
// with the host's file dialog, which on Android and iOS returns nothing.
//
// Rust sends {cmd: "start" | "capture" | "resume" | "stop"}; this script answers with
// {kind: "live", width, height}, {kind: "frame", jpeg: <base64>}, {kind: "paused"} or
// {kind: "error", name, message} (`name`: the DOMException's, e.g. NotAllowedError). The
// messages are `ToCamera` and `FromCamera` in mobile-core/src/camera.rs.

const VIDEO_ID = "zhucun-camera-video";
let stream = null;

function video() {
  return document.getElementById(VIDEO_ID);
}

function stopTracks() {
  if (stream) {
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }
  const v = video();
  if (v) {
    v.srcObject = null;
  }
}

function fail(e) {
  stopTracks();
  dioxus.send({
    kind: "error",
    name: (e && e.name) || "Error",
    message: String((e && e.message) || e || ""),
  });
}

async function elementAppears() {
  for (let i = 0; i < 40; i++) {
    const v = video();
    if (v) {
      return v;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

async function start() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    dioxus.send({ kind: "error", name: "Unsupported", message: "" });
    return;
  }
  stopTracks();
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        facingMode: "environment",
        width: { ideal: 1920 },
        height: { ideal: 1440 },
      },
    });
    const v = await elementAppears();
    if (!v) {
      stopTracks();
      return;
    }
    v.setAttribute("playsinline", "");
    v.muted = true;
    v.srcObject = stream;
    await v.play();
    for (let i = 0; i < 100 && !v.videoWidth; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    dioxus.send({ kind: "live", width: v.videoWidth, height: v.videoHeight });
  } catch (e) {
    fail(e);
  }
}

function capture() {
  const v = video();
  if (!v || !stream || !v.videoWidth) {
    dioxus.send({ kind: "frame", jpeg: "" });
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = v.videoWidth;
  canvas.height = v.videoHeight;
  canvas.getContext("2d").drawImage(v, 0, 0, canvas.width, canvas.height);
  // The still stays on screen while the cadre decides: 使用这张 or 重拍.
  v.pause();
  const url = canvas.toDataURL("image/jpeg", 0.92);
  dioxus.send({ kind: "frame", jpeg: url.slice(url.indexOf(",") + 1) });
}

// Another app in front or the screen off: give the camera back, and say so.
function onVisibility() {
  if (document.hidden && stream) {
    stopTracks();
    dioxus.send({ kind: "paused" });
  }
}
document.addEventListener("visibilitychange", onVisibility);

// The camera screen went away without a word (its scope dropped first): stop the tracks.
const watchdog = setInterval(() => {
  if (stream && !video()) {
    stopTracks();
  }
}, 1000);

for (;;) {
  const msg = await dioxus.recv();
  const cmd = msg && msg.cmd;
  if (cmd === "start") {
    await start();
  } else if (cmd === "capture") {
    capture();
  } else if (cmd === "resume") {
    const v = video();
    if (v && stream) {
      v.play().catch(fail);
    } else {
      await start();
    }
  } else if (cmd === "stop") {
    break;
  }
}
stopTracks();
clearInterval(watchdog);
document.removeEventListener("visibilitychange", onVisibility);
