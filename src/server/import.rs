//! `import`: CSV files of courses, staff profiles, availability and students, all in one
//! transaction — an error names the file and line, and nothing is half-imported.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use super::store::admin::{ImportReport, NewStudent, Setup};
use super::store::{HashCost, Store, StoreError};
use crate::domain::{AvailabilityBlock, BlockKind, Profile, Role, time};

#[derive(Debug, Default, Clone)]
pub struct ImportFiles {
    pub courses: Option<PathBuf>,
    pub profiles: Option<PathBuf>,
    pub availability: Option<PathBuf>,
    pub students: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}, line {line}: {message}")]
    Line { file: String, line: u64, message: String },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{0}")]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
struct CourseRow {
    id: String,
    code: String,
    title: String,
}

#[derive(Deserialize)]
struct ProfileRow {
    id: String,
    person_id: String,
    person_name: String,
    role: String,
    display_name: String,
    #[serde(default)]
    bio: String,
    /// Course ids separated by spaces or semicolons.
    courses: String,
    #[serde(default)]
    location: Option<String>,
}

#[derive(Deserialize)]
struct AvailabilityRow {
    id: String,
    profile_id: String,
    /// Local wall-clock time in the center's zone, `YYYY-MM-DD HH:MM`.
    start: String,
    end: String,
    session_minutes: u32,
    kind: String,
}

#[derive(Deserialize)]
struct StudentRow {
    student_number: String,
    email: Option<String>,
    first_name: String,
    last_name: String,
    pin: Option<String>,
}

fn rows<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<(u64, T)>, ImportError> {
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| ImportError::File { file: file.clone(), message: format!("cannot be read: {e}") })?;
    let mut out = Vec::new();
    for rec in reader.deserialize::<T>() {
        match rec {
            Ok(v) => out.push((out.len() as u64 + 2, v)),
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let message = match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                        Some(f) => format!("column {}: {}", f + 1, err.kind()),
                        None => err.kind().to_string(),
                    },
                    _ => e.to_string(),
                };
                return Err(ImportError::Line { file, line, message });
            }
        }
    }
    Ok(out)
}

fn local_time(tz: chrono_tz::Tz, s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok().map(|n| time::resolve_local(tz, n))
}

/// Import the given files. The center must exist (from a previous import or the seed).
pub fn import(
    store: &Store,
    files: &ImportFiles,
    cost: HashCost,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let courses = files.courses.as_deref().map(rows::<CourseRow>).transpose()?.unwrap_or_default();
    let profiles = files.profiles.as_deref().map(rows::<ProfileRow>).transpose()?.unwrap_or_default();
    let blocks = files.availability.as_deref().map(rows::<AvailabilityRow>).transpose()?.unwrap_or_default();
    let students = files.students.as_deref().map(rows::<StudentRow>).transpose()?.unwrap_or_default();
    let name = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let line_err =
        |file: &Option<PathBuf>, line: u64, message: String| ImportError::Line { file: name(file), line, message };

    let mut report = ImportReport::default();
    let result: Result<ImportReport, ImportError> = {
        let mut outcome = Ok(());
        let written = store.write(|tx| {
            let setup = Setup { tx, store, hash_cost: cost };
            let tz = super::store::center_tz(tx)?;
            outcome = (|| {
                for (line, c) in &courses {
                    setup
                        .course(&c.id, &c.code, &c.title)
                        .map_err(|e| line_err(&files.courses, *line, e.to_string()))?;
                    report.courses += 1;
                }
                for (line, p) in &profiles {
                    let role: Role =
                        serde_json::from_value(serde_json::Value::String(p.role.clone())).map_err(|_| {
                            line_err(
                                &files.profiles,
                                *line,
                                format!("role \"{}\" is not tutor, si_leader or writing_consultant", p.role),
                            )
                        })?;
                    setup
                        .person(&p.person_id, &p.person_name, None)
                        .map_err(|e| line_err(&files.profiles, *line, e.to_string()))?;
                    let profile = Profile {
                        id: p.id.clone(),
                        person_id: p.person_id.clone(),
                        role,
                        display_name: p.display_name.clone(),
                        bio: p.bio.clone(),
                        course_ids: p.courses.split([' ', ';']).filter(|s| !s.is_empty()).map(str::to_string).collect(),
                    };
                    let photo = super::avatar::initials_png(&p.person_name, 192);
                    setup
                        .profile(&profile, p.location.as_deref(), photo.as_deref())
                        .map_err(|e| line_err(&files.profiles, *line, friendly(e)))?;
                    report.profiles += 1;
                }
                for (line, b) in &blocks {
                    let bad_time = |s: &str| {
                        line_err(&files.availability, *line, format!("\"{s}\" is not a time like 2026-09-14 09:00"))
                    };
                    let start = local_time(tz, &b.start).ok_or_else(|| bad_time(&b.start))?;
                    let end = local_time(tz, &b.end).ok_or_else(|| bad_time(&b.end))?;
                    let kind = match b.kind.as_str() {
                        "appointment" => BlockKind::Appointment,
                        "drop_in" => BlockKind::DropIn,
                        k => {
                            return Err(line_err(
                                &files.availability,
                                *line,
                                format!("kind \"{k}\" is not appointment or drop_in"),
                            ));
                        }
                    };
                    let block = AvailabilityBlock {
                        id: b.id.clone(),
                        profile_id: b.profile_id.clone(),
                        start,
                        end,
                        session_minutes: b.session_minutes,
                        kind,
                    };
                    setup.availability(&block).map_err(|e| line_err(&files.availability, *line, friendly(e)))?;
                    report.availability += 1;
                }
                for (line, s) in &students {
                    if s.student_number.is_empty() || !s.student_number.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(line_err(
                            &files.students,
                            *line,
                            "student_number must be letters and digits".into(),
                        ));
                    }
                    if let Some(pin) = &s.pin
                        && (pin.len() < 4 || !pin.chars().all(|c| c.is_ascii_digit()))
                    {
                        return Err(line_err(&files.students, *line, "pin must be at least 4 digits".into()));
                    }
                    setup
                        .student(
                            &NewStudent {
                                card: &s.student_number,
                                email: s.email.as_deref().filter(|e| !e.is_empty()),
                                first: &s.first_name,
                                last: &s.last_name,
                                pin: s.pin.as_deref(),
                                password: None,
                            },
                            now,
                        )
                        .map_err(|e| line_err(&files.students, *line, friendly(e)))?;
                    report.students += 1;
                }
                Ok(())
            })();
            // Returning an error here rolls the whole transaction back.
            if outcome.is_err() {
                return Err(StoreError::Invalid("import failed".into()));
            }
            Ok(())
        });
        match (outcome, written) {
            (Err(e), _) => Err(e),
            (Ok(()), Err(e)) => Err(e.into()),
            (Ok(()), Ok(())) => Ok(report),
        }
    };
    result
}

fn friendly(e: StoreError) -> String {
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            "this is a duplicate of an earlier row or an existing record".into()
        }
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            "it refers to a course or profile that does not exist".into()
        }
        other => other.to_string(),
    }
}
