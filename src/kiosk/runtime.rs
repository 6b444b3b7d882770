//! Putting a kiosk together from its config: directories, the device credential, the cache,
//! the embedded demo server (demo mode), enrollment, the sync engine and the service.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::cache::{Cache, OpenReport};
use super::config::KioskConfig;
use super::service::KioskService;
use super::sync::{Client, SyncEngine, SyncError};
use crate::clock::Clock;

/// The kiosk's identity, kept apart from the cache so a cache rebuild keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceCredential {
    pub device_id: String,
    pub secret: String,
    pub card_key: String,
    /// The server it was enrolled with ("embedded" in demo mode).
    pub server: String,
    pub name: String,
}

impl DeviceCredential {
    pub fn load(path: &Path) -> Option<DeviceCredential> {
        let text = std::fs::read_to_string(path).ok()?;
        match serde_json::from_str(&text) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "device credential unreadable; the kiosk must enroll again");
                None
            }
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(tmp, path)
    }
}

/// Where a kiosk keeps its files.
#[derive(Debug, Clone)]
pub struct KioskPaths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub cache: PathBuf,
    pub credential: PathBuf,
}

impl KioskPaths {
    pub fn from_config(c: &KioskConfig) -> KioskPaths {
        let data_dir = c
            .paths
            .data_dir
            .clone()
            .or_else(|| dirs::data_dir().map(|d| d.join("tutorkiosk")))
            .unwrap_or_else(|| PathBuf::from("tutorkiosk-data"));
        let log_dir = c
            .paths
            .log_dir
            .clone()
            .or_else(|| dirs::state_dir().map(|d| d.join("tutorkiosk").join("logs")))
            .unwrap_or_else(|| data_dir.join("logs"));
        let credential = c.server.credential_file.clone().unwrap_or_else(|| data_dir.join("device.json"));
        KioskPaths { cache: data_dir.join("cache.db"), credential, data_dir, log_dir }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Setup(String),
    #[error(
        "this kiosk is not enrolled yet: add `enroll_code` under [server] in the config (from `tutorkiosk-server kiosk enroll`)"
    )]
    NotEnrolled,
    #[error("enrollment failed: {0}")]
    Enroll(SyncError),
}

/// A running kiosk core.
pub struct KioskCore {
    pub config: KioskConfig,
    pub paths: KioskPaths,
    pub service: Arc<KioskService>,
    pub engine: Arc<SyncEngine>,
    pub cache_report: OpenReport,
    pub credential: DeviceCredential,
    #[cfg(feature = "embedded-server")]
    pub embedded: Option<crate::server::RunningServer>,
}

impl KioskCore {
    /// Open the cache, start the embedded server if configured, enroll if needed, and build
    /// the engine and service. Must run inside a tokio runtime. Does not sync yet.
    pub async fn start(config: KioskConfig, clock: Arc<dyn Clock>) -> Result<KioskCore, StartError> {
        let paths = KioskPaths::from_config(&config);
        std::fs::create_dir_all(&paths.data_dir).map_err(|e| {
            StartError::Setup(format!("cannot create the data directory {}: {e}", paths.data_dir.display()))
        })?;
        let (cache, cache_report) = Cache::open(&paths.cache).map_err(|e| StartError::Setup(e.to_string()))?;
        let cache = Arc::new(Mutex::new(cache));

        #[cfg(feature = "embedded-server")]
        let mut embedded = None;
        let embedded_mode = config.server.url.trim() == "embedded";
        let (base, enroll_code) = if embedded_mode {
            #[cfg(feature = "embedded-server")]
            {
                let (server, code) = start_embedded(&paths, &config, clock.clone()).await?;
                let url = server.url();
                embedded = Some(server);
                (url, code)
            }
            #[cfg(not(feature = "embedded-server"))]
            {
                return Err(StartError::Setup("this build has no embedded server; set [server] url".into()));
            }
        } else {
            (config.server.url.trim().to_string(), config.server.enroll_code.clone())
        };

        let wanted_server = if embedded_mode { "embedded".to_string() } else { base.clone() };
        let credential = match DeviceCredential::load(&paths.credential).filter(|c| c.server == wanted_server) {
            Some(c) => c,
            None => {
                let code = enroll_code.ok_or(StartError::NotEnrolled)?;
                let r = Client::new(&base, None).enroll(&code).await.map_err(StartError::Enroll)?;
                let c = DeviceCredential {
                    device_id: r.device_id,
                    secret: r.secret,
                    card_key: r.card_key,
                    server: wanted_server,
                    name: r.name,
                };
                c.save(&paths.credential)
                    .map_err(|e| StartError::Setup(format!("cannot save the device credential: {e}")))?;
                tracing::info!(device = %c.device_id, "kiosk enrolled");
                c
            }
        };
        let client = Client::new(&base, Some(credential.secret.clone()));
        let engine = SyncEngine::new(cache.clone(), client, clock.clone());
        let service = Arc::new(KioskService::new(
            cache,
            engine.clone(),
            clock,
            &config.card_reader.pattern,
            &credential.card_key,
        ));
        Ok(KioskCore {
            config,
            paths,
            service,
            engine,
            cache_report,
            credential,
            #[cfg(feature = "embedded-server")]
            embedded,
        })
    }
}

/// Demo mode: the central server in-process on 127.0.0.1, with a demo center seeded on first
/// run in the data directory. Returns the server and, when the kiosk still needs one, a code.
#[cfg(feature = "embedded-server")]
async fn start_embedded(
    paths: &KioskPaths,
    config: &KioskConfig,
    clock: Arc<dyn Clock>,
) -> Result<(crate::server::RunningServer, Option<String>), StartError> {
    use crate::server::{seed, spawn, store::Store};
    let db = paths.data_dir.join("demo-center.db");
    let store = Store::open(&db).map_err(|e| StartError::Setup(format!("demo server database: {e}")))?;
    if store.center().map_err(|e| StartError::Setup(e.to_string()))?.is_none() {
        let creds = seed::seed_demo(&store, clock.now()).map_err(|e| StartError::Setup(e.to_string()))?;
        let path = paths.data_dir.join("demo-students.json");
        let _ = std::fs::write(&path, serde_json::to_vec_pretty(&creds).unwrap_or_default());
        tracing::info!(file = %path.display(), "demo center seeded; demo cards and PINs are in that file");
    }
    let needs_code = DeviceCredential::load(&paths.credential).is_none_or(|c| c.server != "embedded");
    let code = if needs_code {
        Some(
            store
                .create_enroll_code(&config.kiosk.name, clock.now())
                .map_err(|e| StartError::Setup(e.to_string()))?
                .code,
        )
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| StartError::Setup(format!("cannot start the demo server: {e}")))?;
    let server = spawn(Arc::new(store), clock, listener, true).map_err(|e| StartError::Setup(e.to_string()))?;
    Ok((server, code))
}
