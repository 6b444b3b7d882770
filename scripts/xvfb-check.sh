#!/usr/bin/env bash
# Look at the real kiosk window the way a student would, without a monitor: start it under Xvfb
# with a window manager, check that it fills the screen, then type a card swipe and tap a tile
# with xdotool, saving a screenshot after each step for a person to look at.
# Needs: xvfb, matchbox-window-manager, xdotool, imagemagick (Debian packages).
# Usage: scripts/xvfb-check.sh [out-dir]   (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
# shellcheck source=/dev/null
. scripts/xvfb-kiosk.sh :98

"$BIN" --config "$WORK/kiosk.toml" &
KIOSK=$!
CLEANUP_PIDS+=("$KIOSK")
window=$(xdotool search --sync --name tutorkiosk | head -1)
sleep 2
geometry=$(xdotool getwindowgeometry "$window" | awk '/Geometry/ {print $2}')
echo "window $window: $geometry (screen 1920x1080)"
[ "$geometry" = "1920x1080" ] || { echo "the kiosk does not fill the screen" >&2; exit 1; }
import -window root "$OUT/1-welcome.png"

# A card reader is a keyboard: digits between sentinels, then Enter.
xdotool type --delay 15 ';0012345600=1234?'
xdotool key Return
sleep 1.5
import -window root "$OUT/2-after-swipe.png"

# The result returns to Welcome by itself; then tap "Book a session" (top right tile), swipe
# Ben's card and type his PIN on a keyboard.
sleep 11
xdotool mousemove 1428 277 click 1
sleep 0.5
xdotool type --delay 15 ';0012345601=1234?'
xdotool key Return
sleep 0.5
xdotool type --delay 120 2345
xdotool key Return
sleep 1.5
import -window root "$OUT/3-book-course.png"
kill -0 "$KIOSK" || { echo "the kiosk stopped" >&2; exit 1; }
echo "screenshots in $OUT"
