//! Wakes the long-polling readers of the feed when events are committed: one connection
//! per service LISTENs on `jianyi_events` (the commit's trigger notifies it) and bumps a
//! counter that the waiting readers watch. The readers then read the table once; nothing
//! polls it in a loop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const CHANNEL: &str = "jianyi_events";

/// Shared by every worker of a service.
#[derive(Clone)]
pub struct Wakeups {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    tick: watch::Sender<u64>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl Wakeups {
    /// Listens through its own connection to `url` from the first reader that waits.
    pub fn new(url: &str) -> Self {
        let (tick, _) = watch::channel(0);
        Self { inner: Arc::new(Inner { url: url.to_string(), tick, listener: Mutex::new(None) }) }
    }

    /// A receiver that changes at each commit of events from now on (and whenever the
    /// listening connection was lost and made again, since a notification may have been
    /// missed meanwhile). Starts the listener on this runtime if it is not running.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        let mut listener = self.inner.listener.lock().unwrap_or_else(|e| e.into_inner());
        if listener.as_ref().is_none_or(JoinHandle::is_finished) {
            *listener = Some(tokio::spawn(listen(self.inner.url.clone(), self.inner.tick.clone())));
        }
        self.inner.tick.subscribe()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.listener.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

/// LISTENs until the connection breaks, then connects again (1 s, doubling to 30 s); ends
/// when the last `Wakeups` is dropped (which aborts it).
async fn listen(url: String, tick: watch::Sender<u64>) {
    let mut pause = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        let Err(e) = listen_once(&url, &tick).await;
        if started.elapsed() > Duration::from_secs(60) {
            pause = Duration::from_secs(1);
        }
        log::warn!("listening for committed events: {e}; again in {} s", pause.as_secs());
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// One connection's life: LISTEN, wake everyone (what was missed before is read now),
/// then wake at each notification until the connection ends; a quiet minute is checked
/// with a round trip, so that a dead connection is noticed.
async fn listen_once(url: &str, tick: &watch::Sender<u64>) -> Result<std::convert::Infallible, String> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn).await.map_err(|e| e.to_string())?;
    tick.send_modify(|n| *n += 1);
    loop {
        {
            let mut notes = std::pin::pin!(conn.notifications_stream());
            loop {
                match tokio::time::timeout(Duration::from_secs(60), notes.next()).await {
                    Err(_) => break,
                    Ok(None) => return Err("the connection closed".into()),
                    Ok(Some(Err(e))) => return Err(e.to_string()),
                    Ok(Some(Ok(_))) => tick.send_modify(|n| *n += 1),
                }
            }
        }
        diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| e.to_string())?;
    }
}
