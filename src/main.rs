//! `tutorkiosk`: the fullscreen kiosk, and headless commands for staff and scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tutorkiosk::clock::SystemClock;
use tutorkiosk::kiosk::config;
use tutorkiosk::kiosk::runtime::KioskCore;

#[derive(Parser)]
#[command(name = "tutorkiosk", version, about = "Walk-up kiosk for a tutoring center")]
struct Cli {
    /// The config file (default: ./kiosk-config.toml, then the XDG config directory).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a config file and name every problem with its key and line.
    CheckConfig { path: Option<PathBuf> },
    /// Sync with the server.
    Sync {
        /// One pass, then exit (non-zero if the server could not be reached).
        #[arg(long)]
        once: bool,
    },
    /// Online state, cursor, last sync, and the outbox.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Check a card in, the same way a swipe at the screen does (queued when offline).
    CheckIn {
        #[arg(long)]
        card: String,
    },
    /// Print an argon2 hash of a staff PIN for `staff_pin_hash` (reads the PIN from stdin).
    HashPin,
    /// Make the one-page handout from the real screens on demo data.
    Handout {
        #[arg(long, default_value = "handout.pdf")]
        out: PathBuf,
        /// pdf, png or html
        #[arg(long, default_value = "pdf")]
        format: String,
        /// letter or a4
        #[arg(long, default_value = "letter")]
        paper: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = config::locate(cli.config.as_deref());
    if let Some(Command::CheckConfig { path: p }) = &cli.command {
        let p = p.clone().unwrap_or(path);
        return match config::load(&p) {
            Ok(_) => {
                println!("{}: no problems found.", p.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for pr in &problems {
                    println!("{}: {pr}", p.display());
                }
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::HashPin) = &cli.command {
        let mut pin = String::new();
        let _ = std::io::stdin().read_line(&mut pin);
        let pin = pin.trim();
        if pin.len() < 4 || !pin.chars().all(|c| c.is_ascii_digit()) {
            eprintln!("error: a staff PIN is at least 4 digits");
            return ExitCode::FAILURE;
        }
        println!("{}", tutorkiosk::secrets::hash_password(pin, tutorkiosk::secrets::HashCost::PRODUCTION));
        return ExitCode::SUCCESS;
    }
    let cfg = match config::load(&path) {
        Ok(c) => c,
        Err(problems) => {
            eprintln!("The kiosk configuration {} has problems:", path.display());
            for p in problems {
                eprintln!("  {p}");
            }
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Handout { out, format, paper }) = &cli.command {
        return handout(&cfg, out, format, paper);
    }
    let _log_guard = tutorkiosk::kiosk::logging::init(&cfg, cli.command.is_some());
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        None => tutorkiosk::kiosk::ui::run(cfg, rt),
        Some(cmd) => rt.block_on(headless(cfg, cmd)),
    }
}

async fn headless(cfg: config::KioskConfig, cmd: Command) -> ExitCode {
    let core = match KioskCore::start(cfg, Arc::new(SystemClock)).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cmd {
        Command::Sync { once } => {
            if !once {
                println!("Syncing every {} s; Ctrl+C stops.", core.config.server.sync_interval_seconds);
                let engine = core.engine.clone();
                let interval = Duration::from_secs(u64::from(core.config.server.sync_interval_seconds));
                tokio::select! {
                    _ = engine.run(interval) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                return ExitCode::SUCCESS;
            }
            match core.service.sync_now(Duration::from_secs(30)).await {
                Ok(r) => {
                    println!(
                        "Synced: {} sent, {} changes received{}.",
                        r.pushed,
                        r.pulled,
                        if r.reset { " (full reset)" } else { "" }
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Sync failed: {e}. Queued actions are kept and will be sent later.");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Status { json } => {
            let online = core.engine.client().reachable(Duration::from_secs(2)).await;
            let mut s = core.engine.current();
            s.online = online;
            let outbox = core.service.cache().outbox().unwrap_or_default();
            if json {
                let v = serde_json::json!({
                    "device_id": core.credential.device_id,
                    "name": core.credential.name,
                    "online": s.online,
                    "cursor": s.cursor,
                    "last_synced_at": s.last_synced_at,
                    "outbox_pending": outbox.iter().filter(|e| e.state == "pending").count(),
                    "outbox_failed": outbox.iter().filter(|e| e.state == "failed").count(),
                    "cache": core.paths.cache,
                });
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("Kiosk {} ({})", core.credential.name, core.credential.device_id);
                println!("Server: {}", if s.online { "online" } else { "offline" });
                println!("Last synced: {}", s.last_synced_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into()));
                println!("Cursor: {}", s.cursor);
                println!("Outbox: {} waiting, {} failed", s.pending, s.failed);
                for e in outbox {
                    println!(
                        "  #{} {} — {}{}",
                        e.id,
                        e.summary,
                        e.state,
                        e.last_error.map(|r| format!(" ({r})")).unwrap_or_default()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Command::CheckIn { card } => {
            let Some(number) = core.service.read_card(&card) else {
                eprintln!("That does not look like a student card.");
                return ExitCode::FAILURE;
            };
            match core.service.check_in(&number).await {
                Ok(v) if v.delivered => {
                    println!("Checked in{}", v.display_name.map(|n| format!(": {n}")).unwrap_or_else(|| ".".into()));
                    ExitCode::SUCCESS
                }
                Ok(_) => {
                    println!("Checked in on this kiosk; it will be sent when the network is back.");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Check-in not accepted: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig { .. } | Command::HashPin | Command::Handout { .. } => ExitCode::SUCCESS,
    }
}

fn handout(cfg: &config::KioskConfig, out: &std::path::Path, format: &str, paper: &str) -> ExitCode {
    use tutorkiosk::kiosk::handout::{Format, Paper, make};
    let format = match format {
        "pdf" => Format::Pdf,
        "png" => Format::Png,
        "html" => Format::Html,
        other => {
            eprintln!("error: --format is pdf, png or html, not \"{other}\"");
            return ExitCode::FAILURE;
        }
    };
    let paper = match paper.to_lowercase().as_str() {
        "letter" => Paper::Letter,
        "a4" => Paper::A4,
        other => {
            eprintln!("error: --paper is letter or a4, not \"{other}\"");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(make(cfg, out, format, paper)) {
        Ok(()) => {
            println!("Wrote {}.", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the handout could not be made: {e}");
            ExitCode::FAILURE
        }
    }
}
