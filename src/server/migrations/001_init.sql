-- tutorkiosk central store, schema 1. Times are INTEGER unix seconds, UTC.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE centers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    policy_json TEXT NOT NULL
);

CREATE TABLE terms (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    first_day TEXT NOT NULL,  -- YYYY-MM-DD, local
    last_day  TEXT NOT NULL
);

CREATE TABLE courses (
    id    TEXT PRIMARY KEY,
    code  TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL
);

-- A person (tutor, SI leader, staff member) and their role profiles.
CREATE TABLE people (
    id        TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    email     TEXT UNIQUE
);

CREATE TABLE profiles (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people(id),
    role         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    bio          TEXT NOT NULL DEFAULT '',
    location     TEXT,
    photo_png    BLOB,
    UNIQUE (person_id, role)
);

CREATE TABLE profile_courses (
    profile_id TEXT NOT NULL REFERENCES profiles(id),
    course_id  TEXT NOT NULL REFERENCES courses(id),
    PRIMARY KEY (profile_id, course_id)
);

CREATE TABLE availability (
    id              TEXT PRIMARY KEY,
    profile_id      TEXT NOT NULL REFERENCES profiles(id),
    person_id       TEXT NOT NULL REFERENCES people(id),
    start_utc       INTEGER NOT NULL,
    end_utc         INTEGER NOT NULL,
    session_minutes INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'drop_in')),
    CHECK (end_utc > start_utc)
);
CREATE INDEX availability_person_time ON availability (person_id, start_utc);

-- Card numbers and student numbers are never stored in clear: student_key is their keyed hash.
CREATE TABLE students (
    id            TEXT PRIMARY KEY,
    student_key   TEXT NOT NULL UNIQUE,
    email         TEXT UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    password_hash TEXT,
    pin_hash      TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT UNIQUE,
    is_director INTEGER NOT NULL DEFAULT 0
);

-- Appointments are never deleted: a cancellation is a status.
CREATE TABLE appointments (
    id            TEXT PRIMARY KEY,
    profile_id    TEXT NOT NULL REFERENCES profiles(id),
    person_id     TEXT NOT NULL REFERENCES people(id),
    course_id     TEXT NOT NULL REFERENCES courses(id),
    student_id    TEXT NOT NULL REFERENCES students(id),
    start_utc     INTEGER NOT NULL,
    end_utc       INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                  ('booked', 'checked_in', 'cancelled', 'late_cancelled', 'no_show', 'excused')),
    checked_in_at INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- Double booking is impossible in the database itself: one live booking per person and start.
CREATE UNIQUE INDEX appointments_one_live_per_person_start
    ON appointments (person_id, start_utc) WHERE status IN ('booked', 'checked_in');
CREATE INDEX appointments_student ON appointments (student_id, start_utc);
CREATE INDEX appointments_person_time ON appointments (person_id, start_utc);
CREATE INDEX appointments_status_start ON appointments (status, start_utc);

CREATE TABLE appointment_history (
    id             INTEGER PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointments(id),
    status         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,   -- 'student', 'system', 'staff:<name>', 'device:<id>'
    note           TEXT
);
CREATE INDEX appointment_history_appointment ON appointment_history (appointment_id);

CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    student_id      TEXT NOT NULL REFERENCES students(id),
    appointment_id  TEXT REFERENCES appointments(id),
    course_id       TEXT,
    check_in_at     INTEGER NOT NULL,
    sign_out_at     INTEGER,
    sign_out_reason TEXT,
    device_id       TEXT
);
CREATE INDEX visits_student_open ON visits (student_id, sign_out_at);
CREATE INDEX visits_check_in ON visits (check_in_at);

CREATE TABLE drop_in_queue (
    id         TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES students(id),
    course_id  TEXT,
    reason     TEXT,
    joined_at  INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('waiting', 'helped', 'left', 'expired')),
    ended_at   INTEGER
);
CREATE UNIQUE INDEX drop_in_one_waiting_per_student ON drop_in_queue (student_id) WHERE status = 'waiting';

CREATE TABLE overrides (
    id         TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES students(id),
    term_id    TEXT NOT NULL REFERENCES terms(id),
    at         INTEGER NOT NULL,
    granted_by TEXT NOT NULL,
    why        TEXT NOT NULL
);

-- Kiosks. Only hashes of enrollment codes and device secrets are kept.
CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    enroll_code_hash  TEXT UNIQUE,
    enroll_expires_at INTEGER,
    secret_hash       TEXT UNIQUE,
    enrolled_at       INTEGER,
    revoked_at        INTEGER,
    last_seen_at      INTEGER,
    last_mutation_id  INTEGER NOT NULL DEFAULT 0,
    last_pull_at      INTEGER,
    created_at        INTEGER NOT NULL
);

-- The answer to every processed mutation, so a replay can be told what happened.
CREATE TABLE mutation_results (
    device_id   TEXT NOT NULL REFERENCES devices(id),
    mutation_id INTEGER NOT NULL,
    name        TEXT NOT NULL,
    result_json TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (device_id, mutation_id)
);

-- The change feed: one row per entity, moved to a new seq on every change; deletes stay as tombstones.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('put', 'del')),
    data      TEXT,
    UNIQUE (entity, entity_id)
);

CREATE TABLE student_sessions (
    token_hash TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES students(id),
    device_id  TEXT NOT NULL REFERENCES devices(id),
    expires_at INTEGER NOT NULL
);

-- Failed sign-ins per login (hashed) and per device, for lockout.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER
);

-- Every staff action, with who, when and why.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    why     TEXT,
    details TEXT
);
