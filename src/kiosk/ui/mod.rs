//! The kiosk screens (iced). Not built yet: `run` starts the core, syncs, and says so.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::SystemClock;
use crate::kiosk::config::KioskConfig;
use crate::kiosk::runtime::KioskCore;

pub fn run(config: KioskConfig, rt: tokio::runtime::Runtime) -> ExitCode {
    rt.block_on(async move {
        match KioskCore::start(config, Arc::new(SystemClock)).await {
            Ok(core) => {
                let r = core.service.sync_now(Duration::from_secs(30)).await;
                println!("The kiosk screens are not built yet. The kiosk core started and synced: {r:?}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
