-- tutorkiosk kiosk cache, schema 1. The outbox comes first so that its pages sit at the start of
-- the file, where they are most likely to survive damage to the rest.

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,          -- the mutation id, 1, 2, 3… per kiosk
    name       TEXT NOT NULL,
    args       TEXT NOT NULL,                -- JSON
    summary    TEXT NOT NULL,                -- for staff, in words, with no student identifiers
    created_at INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'answered', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result     TEXT                          -- the server's answer, JSON
);

-- Business rejections of queued actions, kept for staff after they leave the outbox.
CREATE TABLE rejected (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    summary TEXT NOT NULL,
    code    TEXT NOT NULL,
    message TEXT NOT NULL,
    at      INTEGER NOT NULL
);

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE center (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE terms (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE courses (
    id    TEXT PRIMARY KEY,
    code  TEXT NOT NULL,
    title TEXT NOT NULL
);

CREATE TABLE profiles (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL,
    role         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    bio          TEXT NOT NULL,
    location     TEXT,
    photo        BLOB
);

CREATE TABLE profile_courses (
    profile_id TEXT NOT NULL,
    course_id  TEXT NOT NULL,
    PRIMARY KEY (course_id, profile_id)
);

CREATE TABLE availability (
    id              TEXT PRIMARY KEY,
    profile_id      TEXT NOT NULL,
    start_utc       INTEGER NOT NULL,
    end_utc         INTEGER NOT NULL,
    session_minutes INTEGER NOT NULL,
    kind            TEXT NOT NULL
);
CREATE INDEX availability_profile_time ON availability (profile_id, start_utc);
CREATE INDEX availability_time ON availability (start_utc);

CREATE TABLE appointments (
    id          TEXT PRIMARY KEY,
    profile_id  TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    start_utc   INTEGER NOT NULL,
    end_utc     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    student_key TEXT NOT NULL
);
CREATE INDEX appointments_student ON appointments (student_key, start_utc);
CREATE INDEX appointments_time ON appointments (start_utc);
