//! Reading the feed, waiting for the next commit when asked to.

use tokio::time::{Instant, timeout_at};

use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::sync::model::{FeedPage, FeedRequest};
use crate::sync::wakeups::Wakeups;
use crate::sync::{queries, rules};

/// The events after `request.after`; when there are none and the request may wait, the
/// answer comes at the first commit of a matching event, or empty when the wait is over.
/// No connection is held while waiting.
pub async fn read(pool: &DbPool, wakeups: &Wakeups, request: &FeedRequest) -> Result<FeedPage, AppError> {
    let deadline = Instant::now() + request.wait;
    // Subscribed before reading, so that a commit after the read wakes us.
    let mut ticks = (!request.wait.is_zero()).then(|| wakeups.subscribe());
    let mut after = request.after;
    loop {
        let page = read_once(pool, after, request).await?;
        if !page.events.is_empty() {
            return Ok(page);
        }
        after = page.next_after;
        let Some(ticks) = ticks.as_mut() else { return Ok(page) };
        match timeout_at(deadline, ticks.changed()).await {
            Ok(Ok(())) => {}
            // The wait is over, or the service is stopping.
            Ok(Err(_)) | Err(_) => return Ok(page),
        }
    }
}

/// One read: the head first, then the events up to it (in a later snapshot, which sees
/// every event at or below a head it saw).
async fn read_once(pool: &DbPool, after: i64, request: &FeedRequest) -> Result<FeedPage, AppError> {
    let mut conn = db::conn(pool).await?;
    let head = queries::head(&mut conn).await?;
    let mut events = queries::page(&mut conn, after, head, &request.types, request.limit + 1).await?;
    let cut = events.len() as i64 > request.limit;
    events.truncate(request.limit as usize);
    let next_after = rules::next_after(after, events.last().map(|e| e.position), cut, head);
    Ok(FeedPage { events, next_after, more: cut })
}
