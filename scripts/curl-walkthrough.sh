#!/usr/bin/env bash
# The README's curl walkthrough, runnable: seed a demo center, serve it, enroll a kiosk,
# pull, sign a student in, book, cancel. Needs curl and python3 (to pick fields from JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${S:-target/release/tutorkiosk-server}
[ -x "$S" ] || cargo build --release --no-default-features --features server --bin tutorkiosk-server
DB=${DB:-$(mktemp -d)/demo.db}
PORT=${PORT:-8080}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$S" seed-demo --db "$DB" --json > "${DB%.db}-students.json"
CODE=$("$S" kiosk enroll --db "$DB" --name "Lobby 1" | tail -1)
"$S" serve --db "$DB" --listen "127.0.0.1:$PORT" 2>"${DB%.db}-server.log" &
SERVER=$!
trap 'kill $SERVER' EXIT
until curl -sf "localhost:$PORT/healthz" >/dev/null; do sleep 0.1; done
API="localhost:$PORT/api/v1"

echo "== enroll with the one-time code $CODE"
SECRET=$(curl -s -X POST "$API/enroll" -H 'content-type: application/json' -d "{\"code\":\"$CODE\"}" | json 'd["secret"]')
AUTH=(-H "authorization: Bearer $SECRET" -H 'content-type: application/json')

echo "== pull the center"
curl -s -X POST "$API/pull" "${AUTH[@]}" -d '{"cursor":0,"limit":5000}' > "${DB%.db}-pull.json"
json '"%d changes, cursor %d, more=%s" % (len(d["changes"]), d["cursor"], d["more"])' < "${DB%.db}-pull.json"
# A session of Emily's two or more days ahead, so the cancel below is a free one at any hour.
START=$(json 'sorted(c["data"]["start"] for c in d["changes"] if c["entity"]=="availability" and c["data"]["profile_id"]=="p-emily-chen-tutor" and c["data"]["start"] > (__import__("datetime").datetime.utcnow() + __import__("datetime").timedelta(days=2)).isoformat()+"Z")[0]' < "${DB%.db}-pull.json")

echo "== sign in Ben (card 0012345601, PIN 2345)"
TOKEN=$(curl -s -X POST "$API/session" "${AUTH[@]}" -d '{"login":"0012345601","secret":"2345"}' | json 'd["token"]')

echo "== book Emily C. for STAT 200 at $START"
BOOKED=$(curl -s -X POST "$API/push" "${AUTH[@]}" -d "{\"mutations\":[{\"id\":1,\"name\":\"book\",\"args\":{\"student_token\":\"$TOKEN\",\"profile_id\":\"p-emily-chen-tutor\",\"course_id\":\"stat-200\",\"start\":\"$START\"}}]}")
echo "$BOOKED"
APPT=$(echo "$BOOKED" | json 'd["results"][0]["ok"]["appointment"]["id"]')

echo "== cancel it"
curl -s -X POST "$API/push" "${AUTH[@]}" -d "{\"mutations\":[{\"id\":2,\"name\":\"cancel\",\"args\":{\"student_token\":\"$TOKEN\",\"appointment_id\":\"$APPT\"}}]}"
echo
