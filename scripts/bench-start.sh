#!/usr/bin/env bash
# Start-to-first-frame and memory: the kiosk (release build, tiny-skia) against Chromium in
# --kiosk mode showing a local HTML page with the same welcome content, side by side in one run
# under Xvfb with a window manager. "First frame" is when the header's blue reaches the screen,
# read straight from the X server every ~1 ms by scripts/first-frame.py (which also starts the
# program, so the clock starts at exec). Memory is PSS (proportional set size: shared pages
# split between the processes sharing them, so Chromium's many processes are not counted
# twice), summed over each program's processes 5 s after start.
# Needs: xvfb, matchbox-window-manager, chromium, python3 (Debian packages).
# Usage: scripts/bench-start.sh [runs]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
# shellcheck source=/dev/null
. scripts/xvfb-kiosk.sh :97

# First start seeds the demo database; time the starts after that.
"$BIN" --config "$WORK/kiosk.toml" sync --once >/dev/null

cat > "$WORK/welcome.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Inter,sans-serif;background:#f3f4f6;color:#111827}
header{background:#1e3a8a;color:#fff;padding:18px 32px;font-size:34px;font-weight:700;display:flex;justify-content:space-between}
main{padding:32px}.tiles{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.tile{background:#1d4ed8;color:#fff;border-radius:16px;height:200px;display:flex;flex-direction:column;align-items:center;justify-content:center}
.tile b{font-size:40px}.tile span{font-size:24px}p{font-size:28px}
</style></head><body><header><span>Riverside College Learning Center</span><span>Monday · 9:00 AM</span></header><main>
<p>Open Monday–Friday, 9 AM to 6 PM. Walk-ins welcome for drop-in help.</p><div class="tiles">
<div class="tile"><b>Check in</b><span>I have a session now</span></div><div class="tile"><b>Book a session</b><span>See tutors and times</span></div>
<div class="tile"><b>My appointments</b><span>Cancel or move one</span></div><div class="tile"><b>Drop-in help</b><span>No appointment needed</span></div>
</div><p><b>Swipe or scan your student ID card any time to check in.</b></p></main></body></html>
HTML

pss_kib() { # the PSS of every process whose command line mentions $1, or of pid $2 and its children
  local total=0 pid
  for pid in $( { pgrep -f -- "$1" || true; echo "$2"; pgrep -P "$2" || true; } | sort -u); do
    if [ -r "/proc/$pid/smaps_rollup" ]; then
      total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
    fi
  done
  echo "$total"
}
measure() { # name, marker for its processes, command...
  local name=$1 marker=$2; shift 2
  local out ms pid
  out=$(python3 scripts/first-frame.py 960 6 1e3a8a "$@") || true
  ms=${out% *}
  pid=${out#* }
  sleep 5
  local pss
  pss=$(pss_kib "$marker" "$pid")
  kill "$pid" 2>/dev/null || true
  pkill -f -- "$marker" 2>/dev/null || true
  sleep 1
  echo "$name $ms $pss"
}

CHROMIUM=$(command -v chromium || command -v chromium-browser)
for _ in $(seq "$RUNS"); do
  measure kiosk "$WORK/kiosk.toml" env ICED_BACKEND=tiny-skia "$BIN" --config "$WORK/kiosk.toml"
  measure chromium "$WORK/chromium-profile" "$CHROMIUM" --kiosk --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/chromium-profile" "file://$WORK/welcome.html"
done | awk '
  { t[$1] = t[$1] " " $2; r[$1] = r[$1] " " $3; n[$1]++ }
  function median(s,   a, k, i, j, x) { k = split(s, a, " "); for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }; return a[int((k + 1) / 2)] }
  END {
    kt = median(t["kiosk"]); ct = median(t["chromium"]); kr = median(r["kiosk"]); cr = median(r["chromium"])
    print "| | start to first frame (median) | memory, PSS (median) |"
    print "| --- | --- | --- |"
    printf "| tutorkiosk (tiny-skia) | %d ms | %.1f MiB |\n", kt, kr / 1024
    printf "| Chromium --kiosk | %d ms | %.1f MiB |\n", ct, cr / 1024
    printf "| ratio | %.1f× faster | %.1f× less |\n", ct / kt, cr / kr
    printf "\n(%d runs each, alternating; first frame polled every ~1 ms)\n", n["kiosk"]
  }'
