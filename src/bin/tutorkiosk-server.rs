//! `tutorkiosk-server`: the central scheduling server and its admin commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tutorkiosk::clock::{Clock, SystemClock};
use tutorkiosk::server::import::{ImportFiles, import};
use tutorkiosk::server::store::{HashCost, Store};
use tutorkiosk::server::{seed, spawn};

#[derive(Parser)]
#[command(name = "tutorkiosk-server", version, about = "Central scheduling server for tutorkiosk kiosks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the v1 API.
    Serve {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Fill an empty database with a demo center (America/New_York) as of today.
    SeedDemo {
        #[arg(long)]
        db: PathBuf,
        /// Print the demo students' credentials as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Enroll, revoke or list kiosks.
    Kiosk {
        #[command(subcommand)]
        action: KioskAction,
    },
    /// Import CSV files (all in one transaction).
    Import {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        courses: Option<PathBuf>,
        #[arg(long)]
        profiles: Option<PathBuf>,
        #[arg(long)]
        availability: Option<PathBuf>,
        #[arg(long)]
        students: Option<PathBuf>,
    },
    /// Availability checks.
    Availability {
        #[command(subcommand)]
        action: AvailabilityAction,
    },
    /// Student actions.
    Student {
        #[command(subcommand)]
        action: StudentAction,
    },
    /// Appointment actions.
    Appointment {
        #[command(subcommand)]
        action: AppointmentAction,
    },
    /// CSV of bookings, visits, no-shows and late cancels by week, course and tutor.
    Report {
        #[arg(long)]
        db: PathBuf,
    },
    /// Copy the live database with SQLite's online backup API.
    Backup {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum KioskAction {
    /// Print a one-time enrollment code (last line) for a new kiosk.
    Enroll {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Revoke a kiosk by id or name; it gets 401 from then on.
    Revoke {
        #[arg(long)]
        db: PathBuf,
        kiosk: String,
    },
    List {
        #[arg(long)]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum AvailabilityAction {
    /// List every overlap across one person's role profiles.
    Check {
        #[arg(long)]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum StudentAction {
    /// Restore booking for the rest of the term (one per student per term; audited).
    Override {
        #[arg(long)]
        db: PathBuf,
        /// Email or student number.
        login: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        why: String,
    },
}

#[derive(Subcommand)]
enum AppointmentAction {
    /// Excuse a missed session so it does not count (audited).
    Excuse {
        #[arg(long)]
        db: PathBuf,
        id: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        why: String,
    },
}

fn open(db: &std::path::Path) -> Result<Store, String> {
    Store::open(db).map_err(|e| format!("could not open the database {}: {e}", db.display()))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let clock = SystemClock;
    match cli.command {
        Command::Serve { db, listen } => {
            let store = Arc::new(open(&db)?);
            let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
                let server = spawn(store, Arc::new(SystemClock), listener, true).map_err(|e| e.to_string())?;
                eprintln!("tutorkiosk-server listening on {}", server.url());
                let _ = tokio::signal::ctrl_c().await;
                eprintln!("shutting down");
                server.shutdown().await;
                Ok::<(), String>(())
            })?;
        }
        Command::SeedDemo { db, json } => {
            let store = open(&db)?;
            if store.center().map_err(|e| e.to_string())?.is_some() {
                return Err(format!("{} already has a center; seed only an empty database", db.display()));
            }
            let creds = seed::seed_demo(&store, clock.now()).map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&creds).map_err(|e| e.to_string())?);
            } else {
                println!(
                    "Seeded {} with {} students. Try card {} with PIN {}.",
                    creds.center,
                    creds.students.len(),
                    creds.students[0].card,
                    creds.students[0].secret
                );
            }
        }
        Command::Kiosk { action } => match action {
            KioskAction::Enroll { db, name } => {
                let code = open(&db)?.create_enroll_code(&name, clock.now()).map_err(|e| e.to_string())?;
                println!("Kiosk \"{name}\" registered. Type this code on the kiosk within 30 minutes; it works once:");
                println!("{}", code.code);
            }
            KioskAction::Revoke { db, kiosk } => {
                if open(&db)?.revoke_device(&kiosk, clock.now()).map_err(|e| e.to_string())? {
                    println!("Revoked {kiosk}.");
                } else {
                    return Err(format!("no active kiosk with id or name {kiosk}"));
                }
            }
            KioskAction::List { db } => {
                for d in open(&db)?.list_devices().map_err(|e| e.to_string())? {
                    let seen = d.last_seen.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into());
                    println!("{}  {:<20}  {:<22}  last seen {seen}", d.id, d.name, d.state);
                }
            }
        },
        Command::Import { db, courses, profiles, availability, students } => {
            let store = open(&db)?;
            let files = ImportFiles { courses, profiles, availability, students };
            let r = import(&store, &files, HashCost::PRODUCTION, clock.now()).map_err(|e| e.to_string())?;
            println!(
                "Imported {} courses, {} profiles, {} availability blocks, {} students.",
                r.courses, r.profiles, r.availability, r.students
            );
        }
        Command::Availability { action: AvailabilityAction::Check { db } } => {
            let found = open(&db)?.availability_check().map_err(|e| e.to_string())?;
            if found.is_empty() {
                println!("No contradictions: nobody is available twice at the same time.");
            } else {
                for line in &found {
                    println!("{line}");
                }
                return Err(format!("{} contradiction(s) found", found.len()));
            }
        }
        Command::Student { action: StudentAction::Override { db, login, by, why } } => {
            println!("{}", open(&db)?.override_suspension(&login, &by, &why, clock.now()).map_err(|e| e.to_string())?);
        }
        Command::Appointment { action: AppointmentAction::Excuse { db, id, by, why } } => {
            open(&db)?.excuse_appointment(&id, &by, &why, clock.now()).map_err(|e| e.to_string())?;
            println!("Excused {id}: it no longer counts as a missed session.");
        }
        Command::Report { db } => {
            let rows = open(&db)?.report().map_err(|e| e.to_string())?;
            let mut w = csv::Writer::from_writer(std::io::stdout());
            let _ = w.write_record([
                "week",
                "course",
                "tutor",
                "booked",
                "visits",
                "no_shows",
                "late_cancels",
                "no_show_rate",
                "late_cancel_rate",
            ]);
            for r in rows {
                let rate = |n: u32| format!("{:.2}", f64::from(n) / f64::from(r.booked.max(1)));
                let _ = w.write_record([
                    r.week.clone(),
                    r.course.clone(),
                    r.tutor.clone(),
                    r.booked.to_string(),
                    r.visits.to_string(),
                    r.no_shows.to_string(),
                    r.late_cancels.to_string(),
                    rate(r.no_shows),
                    rate(r.late_cancels),
                ]);
            }
            let _ = w.flush();
        }
        Command::Backup { db, out } => {
            open(&db)?.backup_to(&out).map_err(|e| e.to_string())?;
            println!("Backed up {} to {}.", db.display(), out.display());
        }
    }
    Ok(())
}
