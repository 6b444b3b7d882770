#!/usr/bin/env bash
# Install the tutorkiosk central server on Debian/Ubuntu: a system user, a data directory,
# a systemd unit, and a nightly backup (SQLite online backup, 14 copies kept).
# Safe to run again (idempotent). Usage:
#   sudo scripts/install-server.sh [path/to/tutorkiosk-server] [listen address]
set -euo pipefail

BIN_SRC=${1:-target/release/tutorkiosk-server}
LISTEN=${2:-127.0.0.1:8080}
SERVER_USER=${SERVER_USER:-tutorkiosk-server}
PREFIX=${PREFIX:-/usr/local}
DATA_DIR=/var/lib/tutorkiosk-server
BACKUP_DIR=$DATA_DIR/backups
DB=$DATA_DIR/center.db

if [ "$(id -u)" -ne 0 ]; then
  echo "Run this as root (sudo)." >&2
  exit 1
fi
if [ ! -x "$BIN_SRC" ]; then
  echo "No server binary at $BIN_SRC. Build it: cargo build --release --no-default-features --features server --bin tutorkiosk-server" >&2
  exit 1
fi

if ! id "$SERVER_USER" >/dev/null 2>&1; then
  useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$SERVER_USER"
fi
install -d -m 0750 -o "$SERVER_USER" -g "$SERVER_USER" "$DATA_DIR" "$BACKUP_DIR"
install -m 0755 "$BIN_SRC" "$PREFIX/bin/tutorkiosk-server"

cat > /etc/systemd/system/tutorkiosk-server.service <<UNIT_EOF
[Unit]
Description=tutorkiosk central scheduling server
After=network.target

[Service]
User=$SERVER_USER
ExecStart=$PREFIX/bin/tutorkiosk-server serve --db $DB --listen $LISTEN
Restart=on-failure
RestartSec=2
NoNewPrivileges=true
ProtectSystem=strict
ReadWritePaths=$DATA_DIR
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT_EOF

cat > /etc/systemd/system/tutorkiosk-backup.service <<UNIT_EOF
[Unit]
Description=tutorkiosk nightly database backup

[Service]
Type=oneshot
User=$SERVER_USER
ExecStart=/bin/sh -c '$PREFIX/bin/tutorkiosk-server backup --db $DB --out $BACKUP_DIR/center-\$(date +%%Y%%m%%d).db && ls -1t $BACKUP_DIR/center-*.db | tail -n +15 | xargs -r rm --'
UNIT_EOF

cat > /etc/systemd/system/tutorkiosk-backup.timer <<UNIT_EOF
[Unit]
Description=Back up the tutorkiosk database every night

[Timer]
OnCalendar=*-*-* 02:30:00
Persistent=true

[Install]
WantedBy=timers.target
UNIT_EOF

systemctl daemon-reload
systemctl enable --now tutorkiosk-server.service tutorkiosk-backup.timer
echo "Done. The server listens on $LISTEN (put a TLS proxy in front for kiosks on the network)."
echo "Next: sudo -u $SERVER_USER $PREFIX/bin/tutorkiosk-server import --db $DB --courses … ,"
echo "then:  sudo -u $SERVER_USER $PREFIX/bin/tutorkiosk-server kiosk enroll --db $DB --name \"Lobby 1\""
