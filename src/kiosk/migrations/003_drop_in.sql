-- The drop-in line as the server shares it, for staff's "Today at the center".
CREATE TABLE drop_in (
    id          TEXT PRIMARY KEY,
    course_id   TEXT,
    joined_at   INTEGER NOT NULL,
    status      TEXT NOT NULL,
    student_key TEXT NOT NULL
);
CREATE INDEX drop_in_status ON drop_in (status, joined_at);
