#!/usr/bin/env bash
# Screenshots of the phone app's main screens, taken from the real desktop build under Xvfb
# with the demo village and the simulated route. Writes docs/screenshots/*.png.
#
# Needs: Xvfb, ImageMagick (import, convert), the desktop build's packages
# (libwebkit2gtk-4.1-dev, libgtk-3-dev, libxdo-dev), and a font with Chinese glyphs
# (fonts-noto-cjk or fonts-droid-fallback).
set -euo pipefail
cd "$(dirname "$0")/.."

W=${W:-360}
H=${H:-740}
WAIT=${WAIT:-8}
OUT=docs/screenshots
mkdir -p "$OUT"

if ! fc-list :lang=zh | grep -q .; then
    echo "no font with Chinese glyphs: apt-get install fonts-noto-cjk" >&2
    exit 1
fi

cargo build -p zhucun-mobile --features desktop
# A headless build of the same package (cargo test) overwrites this path: keep a copy.
BIN=$(mktemp -d)/zhucun-mobile
cp target/debug/zhucun-mobile "$BIN"

# WebKitGTK under Xvfb: no GPU, no DMA-BUF.
export WEBKIT_DISABLE_COMPOSITING_MODE=1
export WEBKIT_DISABLE_DMABUF_RENDERER=1
export LIBGL_ALWAYS_SOFTWARE=1

shot() {
    local name=$1 path=$2 demo=${3:-1}
    local display=":$((70 + RANDOM % 20))"
    local data
    data=$(mktemp -d)
    Xvfb "$display" -screen 0 "${W}x${H}x24" -nolisten tcp >/dev/null 2>&1 &
    local xvfb=$!
    sleep 1
    DISPLAY=$display ZHUCUN_DEMO=$demo ZHUCUN_START=$path ZHUCUN_DATA_DIR=$data \
        ZHUCUN_WINDOW="${W}x${H}" "$BIN" >"$data/app.log" 2>&1 &
    local app=$!
    sleep "$WAIT"
    DISPLAY=$display import -window root "$OUT/$name.png"
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait "$xvfb" 2>/dev/null || true
    rm -rf "$data"
    # Small files: a palette is plenty for flat UI colours.
    convert "$OUT/$name.png" -strip -colors 128 "PNG8:$OUT/$name.png"
    echo "$OUT/$name.png"
}

TEAMMATE=01900000-0000-7000-8000-000000000002

shot today /
shot visit / visit
shot households /households village
shot progress /progress
shot history /history
shot work /work
shot team /team
shot trajectory "/team/$TEAMMATE"
shot spot_checks /spot-checks supervisor
