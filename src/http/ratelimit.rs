//! A per-client rate limit (GCRA, through `governor`), for the endpoints anyone may call.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Requests per second per client address, with bursts of five seconds' worth.
#[derive(Clone)]
pub struct RateLimit(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl RateLimit {
    pub fn per_second(n: u32) -> Self {
        let rate = NonZeroU32::new(n.max(1)).expect("at least one");
        let burst = NonZeroU32::new(n.max(1).saturating_mul(5)).expect("at least one");
        RateLimit(Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))))
    }

    /// Ok, or the seconds to wait before the next request is let through.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.0
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1))?;
        // Forget clients that have not come for a while (the map would grow otherwise).
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_beyond_its_burst_waits_and_others_do_not() {
        let limit = RateLimit::per_second(2);
        let a = IpAddr::from([10, 0, 0, 1]);
        let passed = (0..20).filter(|_| limit.check(a).is_ok()).count();
        assert_eq!(passed, 10, "a burst of five seconds' worth");
        assert!(limit.check(a).unwrap_err() >= 1);
        assert!(limit.check(IpAddr::from([10, 0, 0, 2])).is_ok());
    }
}
