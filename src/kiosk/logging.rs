//! Logs: daily rolling files in the log directory (tracing-appender), plus stderr for headless
//! commands. Student identifiers never reach a log line: code logs ids and keyed hashes only.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use super::config::KioskConfig;
use super::runtime::KioskPaths;

/// Start logging; keep the guard alive for the life of the process.
pub fn init(config: &KioskConfig, to_stderr: bool) -> Option<WorkerGuard> {
    let paths = KioskPaths::from_config(config);
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,wgpu=warn,iced=warn,cosmic_text=warn"))
    };
    let file = std::fs::create_dir_all(&paths.log_dir).ok().and_then(|_| {
        tracing_appender::rolling::Builder::new()
            .filename_prefix("tutorkiosk")
            .filename_suffix("log")
            .max_log_files(30)
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .build(&paths.log_dir)
            .ok()
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (w, g) = tracing_appender::non_blocking(appender);
            (Some(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(w).with_filter(filter())), Some(g))
        }
        None => (None, None),
    };
    let stderr_layer = to_stderr
        .then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(EnvFilter::new("warn")));
    let _ = tracing_subscriber::registry().with(file_layer).with(stderr_layer).try_init();
    // A panic leaves a last line in the log before the service manager restarts the kiosk.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(%location, "the kiosk stopped unexpectedly");
        default_hook(info);
    }));
    guard
}
