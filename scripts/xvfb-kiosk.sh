#!/usr/bin/env bash
# Sourced by bench-start.sh and xvfb-check.sh, never run: a release kiosk binary, a throwaway
# directory with the demo config pointed at it ($WORK/kiosk.toml), and a 1920x1080 Xvfb screen
# with a window manager on display $1. Sets BIN, WORK and DISPLAY; on exit it stops what it
# started and every pid the caller adds to CLEANUP_PIDS, and removes $WORK.
# Needs: xvfb, matchbox-window-manager (Debian packages).
BIN=target/release/tutorkiosk
[ -x "$BIN" ] || cargo build --release --bin tutorkiosk
WORK=$(mktemp -d)
export DISPLAY=$1
Xvfb "$DISPLAY" -screen 0 1920x1080x24 >/dev/null 2>&1 &
CLEANUP_PIDS=("$!")
sleep 1
matchbox-window-manager -use_titlebar no >/dev/null 2>&1 &
CLEANUP_PIDS+=("$!")
cleanup() { kill "${CLEANUP_PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
sed -e "s|^# data_dir = .*|data_dir = \"$WORK/data\"|" -e "s|^# log_dir = .*|log_dir = \"$WORK/logs\"|" \
  kiosk-config.toml > "$WORK/kiosk.toml"
