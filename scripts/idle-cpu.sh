#!/usr/bin/env bash
# How idle an idle kiosk is: CPU time and voluntary context switches of the release kiosk (demo
# mode, tiny-skia) over 60 s under Xvfb, after 10 s to settle.
# Needs: xvfb, matchbox-window-manager (Debian packages).
# Usage: scripts/idle-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=/dev/null
. scripts/xvfb-kiosk.sh :96

"$BIN" --config "$WORK/kiosk.toml" >/dev/null 2>&1 &
KIOSK=$!
CLEANUP_PIDS+=("$KIOSK")
sleep 10
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$KIOSK/stat"; }
switches() { cat /proc/"$KIOSK"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
cpu0=$(cpu_ms)
sw0=$(switches)
sleep 60
echo "idle 60 s: $(( $(cpu_ms) - cpu0 )) ms CPU, $(( $(switches) - sw0 )) voluntary context switches"
