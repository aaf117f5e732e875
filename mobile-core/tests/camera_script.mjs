// Runs the in-app camera script (src/camera.js) against a stand-in page: a dioxus channel, a
// video element and getUserMedia that can be refused. Run by tests/camera_script.rs with node.
import assert from "node:assert/strict";
import fs from "node:fs";

const src = fs.readFileSync(new URL("../src/camera.js", import.meta.url), "utf8");

const sent = [];
const inbox = [];
let waiting = null;
const dioxus = {
  send: (m) => sent.push(m),
  recv: () =>
    new Promise((resolve) => {
      if (inbox.length) resolve(inbox.shift());
      else waiting = resolve;
    }),
};
function tell(m) {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(m);
  } else {
    inbox.push(m);
  }
}

let stopped = 0;
const stream = { getTracks: () => [{ stop: () => stopped++ }] };
const video = {
  attrs: {},
  setAttribute(k, v) {
    this.attrs[k] = v;
  },
  muted: false,
  srcObject: null,
  videoWidth: 0,
  videoHeight: 0,
  paused: false,
  async play() {
    this.videoWidth = 1920;
    this.videoHeight = 1440;
    this.paused = false;
  },
  pause() {
    this.paused = true;
  },
};
let onScreen = true;
const listeners = {};
const document = {
  hidden: false,
  getElementById: (id) => (onScreen && id === "zhucun-camera-video" ? video : null),
  createElement: () => ({
    getContext: () => ({ drawImage() {} }),
    toDataURL: (type, q) => {
      assert.equal(type, "image/jpeg");
      return "data:image/jpeg;base64,/9j/4AAQ";
    },
  }),
  addEventListener: (n, f) => (listeners[n] = f),
  removeEventListener: (n) => delete listeners[n],
};
let asked = null;
let refuse = false;
const navigator = {
  mediaDevices: {
    getUserMedia: async (c) => {
      asked = c;
      if (refuse) {
        const e = new Error("Permission denied");
        e.name = "NotAllowedError";
        throw e;
      }
      return stream;
    },
  },
};

// dioxus runs an eval'd script as the body of an async function.
const run = new Function(
  "dioxus",
  "document",
  "navigator",
  `return (async () => {${src}\n})();`,
);
const ended = run(dioxus, document, navigator);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

tell({ cmd: "start" });
await pause(100);
assert.deepEqual(sent.at(-1), { kind: "live", width: 1920, height: 1440 });
assert.equal(asked.video.facingMode, "environment");
assert.equal(asked.audio, false);
assert.equal(video.srcObject, stream);
assert.ok("playsinline" in video.attrs && video.muted);

tell({ cmd: "capture" });
await pause(20);
assert.deepEqual(sent.at(-1), { kind: "frame", jpeg: "/9j/4AAQ" });
assert.ok(video.paused, "the still stays on screen");

tell({ cmd: "resume" });
await pause(20);
assert.ok(!video.paused);

// The app goes to the background: the camera is given back.
document.hidden = true;
listeners.visibilitychange();
assert.deepEqual(sent.at(-1), { kind: "paused" });
assert.equal(stopped, 1);
document.hidden = false;

refuse = true;
tell({ cmd: "start" });
await pause(100);
assert.equal(sent.at(-1).kind, "error");
assert.equal(sent.at(-1).name, "NotAllowedError");
refuse = false;

// The screen went away without a word: the tracks are stopped all the same.
tell({ cmd: "start" });
await pause(100);
const before = stopped;
onScreen = false;
await pause(1200);
assert.equal(stopped, before + 1);
onScreen = true;

tell({ cmd: "start" });
await pause(100);
tell({ cmd: "stop" });
await ended;
assert.equal(stopped, before + 2, "stop ends the tracks");
assert.deepEqual(Object.keys(listeners), []);
console.log("camera script: ok");
process.exit(0);
