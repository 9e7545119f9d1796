//! The webhook worker: turns the events feed into deliveries and sends the due ones,
//! woken by each commit of events (and by the next retry's time). Several instances
//! never send the same delivery at once: a delivery is taken with `FOR UPDATE SKIP LOCKED`
//! and moved past its attempt's lease. Stopping, it gives back what it had not finished.

use std::time::Duration;

use diesel_async::AsyncPgConnection;
use futures_util::future::join_all;
use rand::Rng;
use tokio::sync::watch;

use crate::config::WebhookConfig;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::sync::wakeups::Wakeups;
use crate::sync::webhooks::queries::{self, Taken};
use crate::sync::webhooks::rules;
use crate::sync::webhooks::send::{self, Targets};

/// Deliveries sent at once by one worker.
const AT_ONCE: i64 = 16;
/// Events turned into deliveries per statement.
const FAN_OUT_BATCH: i64 = 1000;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub deliveries_made: i64,
    pub delivered: usize,
    pub failed: usize,
    pub dead: usize,
    /// Taken but given back, the worker stopping.
    pub given_back: usize,
}

pub struct Worker {
    pool: DbPool,
    client: reqwest::Client,
    targets: Targets,
    config: WebhookConfig,
}

impl Worker {
    pub fn new(pool: DbPool, config: &WebhookConfig) -> Self {
        let targets = Targets::of(config);
        Worker { client: send::client(&targets, config.timeout), pool, targets, config: config.clone() }
    }

    /// Makes the deliveries of every new event, then sends what is due until nothing is,
    /// or until `stop` turns true (then what is in flight is given back).
    pub async fn pass(&self, stop: &mut watch::Receiver<bool>) -> Result<Pass, AppError> {
        let mut pass = Pass::default();
        loop {
            let mut conn = db::conn(&self.pool).await?;
            let (events, made) = queries::fan_out(&mut conn, FAN_OUT_BATCH).await?;
            pass.deliveries_made += made;
            if events < FAN_OUT_BATCH {
                break;
            }
        }
        while !*stop.borrow() {
            let lease = self.config.timeout + Duration::from_secs(30);
            let taken = queries::take_due(&mut *db::conn(&self.pool).await?, AT_ONCE, lease).await?;
            if taken.is_empty() {
                break;
            }
            let now = chrono::Utc::now().timestamp();
            let attempts = join_all(taken.iter().map(|t| send::attempt(&self.client, &self.targets, t, now)));
            tokio::select! {
                outcomes = attempts => {
                    let mut conn = db::conn(&self.pool).await?;
                    for (t, outcome) in taken.iter().zip(outcomes) {
                        self.record(&mut conn, t, outcome, &mut pass).await?;
                    }
                }
                _ = stop.wait_for(|stop| *stop) => {
                    let mut conn = db::conn(&self.pool).await?;
                    let back: Vec<_> = taken.iter().map(|t| (t.id, t.attempts)).collect();
                    pass.given_back += queries::give_back(&mut conn, &back).await?;
                    break;
                }
            }
        }
        Ok(pass)
    }

    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        t: &Taken,
        outcome: Result<u16, String>,
        pass: &mut Pass,
    ) -> Result<(), AppError> {
        let (delivered, status, error) = match &outcome {
            Ok(status) if (200..300).contains(status) => (true, Some(*status as i32), None),
            Ok(status) => (false, Some(*status as i32), Some(format!("the receiver answered {status}"))),
            Err(why) => (false, None, Some(why.clone())),
        };
        let retry_in = (!delivered && (t.attempts as u32) < self.config.max_attempts).then(|| {
            let jitter = rand::thread_rng().r#gen::<f64>();
            rules::backoff(t.attempts as u32, self.config.retry_base, self.config.retry_max, jitter)
        });
        match (delivered, retry_in) {
            (true, _) => pass.delivered += 1,
            (false, Some(_)) => pass.failed += 1,
            (false, None) => pass.dead += 1,
        }
        if let Some(error) = &error {
            log::info!("webhook delivery {} attempt {}: {error}", t.id, t.attempts);
        }
        queries::record_attempt(conn, t.id, t.attempts, (delivered, status, error.as_deref()), retry_in).await?;
        Ok(())
    }

    /// Runs passes until `stop` turns true: after each, it waits for a commit of events,
    /// the next retry's time, or a minute.
    pub async fn run(self, wakeups: Wakeups, mut stop: watch::Receiver<bool>) {
        let mut commits = wakeups.subscribe();
        while !*stop.borrow() {
            if let Err(e) = self.pass(&mut stop).await {
                log::warn!("webhook worker: {e:?}");
            }
            let pause = match db::conn(&self.pool).await {
                Ok(mut conn) => match queries::next_due(&mut conn).await {
                    Ok(Some(at)) => (at - chrono::Utc::now()).to_std().unwrap_or_default(),
                    Ok(None) => Duration::from_secs(60),
                    Err(_) => Duration::from_secs(5),
                },
                Err(_) => Duration::from_secs(5),
            };
            let pause = pause.clamp(Duration::from_millis(20), Duration::from_secs(60));
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { tokio::time::sleep(pause).await },
                _ = tokio::time::sleep(pause) => {}
                _ = stop.wait_for(|stop| *stop) => {}
            }
        }
    }
}
