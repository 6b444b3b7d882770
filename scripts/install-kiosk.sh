#!/usr/bin/env bash
# Install tutorkiosk on a Debian/Ubuntu kiosk PC: the cage kiosk compositor, a dedicated user,
# and a systemd unit that runs the kiosk fullscreen and restarts it if it ever stops.
# Safe to run again (idempotent). Usage:
#   sudo scripts/install-kiosk.sh [path/to/tutorkiosk] [path/to/kiosk-config.toml]
set -euo pipefail

BIN_SRC=${1:-target/release/tutorkiosk}
CONFIG_SRC=${2:-kiosk-config.toml}
KIOSK_USER=${KIOSK_USER:-tutorkiosk}
PREFIX=${PREFIX:-/usr/local}
CONFIG_DIR=/etc/tutorkiosk
DATA_DIR=/var/lib/tutorkiosk
LOG_DIR=/var/log/tutorkiosk
UNIT=/etc/systemd/system/tutorkiosk.service

if [ "$(id -u)" -ne 0 ]; then
  echo "Run this as root (sudo)." >&2
  exit 1
fi
if [ ! -x "$BIN_SRC" ]; then
  echo "No kiosk binary at $BIN_SRC. Build it first: cargo build --release" >&2
  exit 1
fi

echo "Installing packages (cage, fonts)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q cage fonts-inter libxkbcommon0 libwayland-client0

echo "Creating the $KIOSK_USER user…"
if ! id "$KIOSK_USER" >/dev/null 2>&1; then
  useradd --system --create-home --home-dir "/home/$KIOSK_USER" --shell /usr/sbin/nologin "$KIOSK_USER"
fi
# The display and touch devices; "render" exists only on some releases.
for group in video input render; do
  if getent group "$group" >/dev/null; then
    usermod -a -G "$group" "$KIOSK_USER"
  fi
done

install -d -m 0755 "$CONFIG_DIR"
install -d -m 0750 -o "$KIOSK_USER" -g "$KIOSK_USER" "$DATA_DIR" "$LOG_DIR"
install -m 0755 "$BIN_SRC" "$PREFIX/bin/tutorkiosk"
if [ ! -f "$CONFIG_DIR/kiosk-config.toml" ]; then
  # First install: the given config, pointed at the system directories.
  sed -e "s|^# data_dir = .*|data_dir = \"$DATA_DIR\"|" -e "s|^# log_dir = .*|log_dir = \"$LOG_DIR\"|" \
    "$CONFIG_SRC" > "$CONFIG_DIR/kiosk-config.toml"
  chmod 0640 "$CONFIG_DIR/kiosk-config.toml"
  chgrp "$KIOSK_USER" "$CONFIG_DIR/kiosk-config.toml"
  echo "Wrote $CONFIG_DIR/kiosk-config.toml — set [server] url, enroll_code and staff_pin_hash there."
else
  echo "Keeping the existing $CONFIG_DIR/kiosk-config.toml."
fi
if grep -Eq '^[[:space:]]*url[[:space:]]*=[[:space:]]*"embedded"' "$CONFIG_DIR/kiosk-config.toml"; then
  echo "NOTE: $CONFIG_DIR/kiosk-config.toml still runs the demo (url = \"embedded\")." >&2
  echo "      Point [server] url at the center's server and set enroll_code for a real kiosk." >&2
fi
"$PREFIX/bin/tutorkiosk" check-config "$CONFIG_DIR/kiosk-config.toml" || {
  echo "Fix the problems above, then run this script again." >&2
  exit 1
}

cat > "$UNIT" <<UNIT_EOF
[Unit]
Description=tutorkiosk student kiosk
After=systemd-user-sessions.service network-online.target
Wants=network-online.target
Conflicts=getty@tty1.service

[Service]
User=$KIOSK_USER
PAMName=login
TTYPath=/dev/tty1
StandardInput=tty
Environment=ICED_BACKEND=tiny-skia
ExecStart=/usr/bin/cage -- $PREFIX/bin/tutorkiosk --config $CONFIG_DIR/kiosk-config.toml
Restart=always
RestartSec=2
UtmpIdentifier=tty1
UtmpMode=user

[Install]
WantedBy=graphical.target
UNIT_EOF

systemctl daemon-reload
systemctl enable tutorkiosk.service
systemctl set-default graphical.target
systemctl restart tutorkiosk.service || true
echo "Done. The kiosk runs on tty1 as $KIOSK_USER; logs are in $LOG_DIR and 'journalctl -u tutorkiosk'."
