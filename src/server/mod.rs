//! The central scheduling server: HTTP API, SQLite store, background jobs, admin commands.

pub mod auth;
pub mod avatar;
pub mod http;
pub mod import;
pub mod jobs;
pub mod seed;
pub mod store;
pub mod writer;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use store::Store;

/// A server running on a tokio runtime; dropping the handle does not stop it, `shutdown` does.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Stop accepting, finish in-flight requests, and wait.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serve the API on `listener`, with the background jobs when `jobs` is set.
pub fn spawn(
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    jobs: bool,
) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let pushes = writer::PushWriter::start(store.clone())?;
    let checkpoints = store
        .checkpoint_in_background(std::time::Duration::from_millis(500))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let app = http::router(http::AppState { store: store.clone(), clock: clock.clone(), pushes });
    let job_task = jobs.then(|| tokio::spawn(jobs::run(store, clock)));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stop_rx.await;
        });
        if let Err(e) = served.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
        if let Some(j) = job_task {
            j.abort();
        }
        drop(checkpoints);
    });
    Ok(RunningServer { addr, stop: Some(stop_tx), task })
}
