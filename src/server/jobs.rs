//! Background jobs, every minute: the no-show sweep, automatic sign-out, drop-in expiry, and
//! pruning of old tombstones from the change feed.
//! Each is idempotent, so a missed or doubled run changes nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;

use super::store::Store;

/// Deletes stay on the change feed at least this long; a kiosk offline longer starts afresh.
pub const TOMBSTONE_DAYS: i64 = 30;

pub async fn run(store: Arc<Store>, clock: Arc<dyn Clock>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let store = store.clone();
        let now = clock.now();
        let done = tokio::task::spawn_blocking(move || run_once(&store, now)).await;
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "background job failed; will try again next minute");
        }
    }
}

/// One pass of every job at `now`: (no-shows marked, visits signed out, drop-ins expired).
pub fn run_once(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(usize, usize, usize), super::store::StoreError> {
    if store.center()?.is_none() {
        return Ok((0, 0, 0));
    }
    let swept = store.sweep_no_shows(now)?;
    let signed_out = store.auto_sign_out(now)?;
    let expired = store.expire_drop_ins(now)?;
    let pruned = store.prune_old_tombstones(now, chrono::Duration::days(TOMBSTONE_DAYS))?;
    if swept + signed_out + expired + pruned > 0 {
        tracing::info!(swept, signed_out, expired, pruned, "background jobs");
    }
    Ok((swept, signed_out, expired))
}
