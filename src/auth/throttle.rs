//! Failed-login throttling, as a pure rule: a key (username or address) that failed
//! `limit` times within the window waits until the window ends.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Seconds to wait before the next attempt, or `None` when attempts are allowed.
pub fn retry_after(
    failures: i32,
    window_started_at: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i32,
    window: Duration,
) -> Option<u64> {
    let window_ends = window_started_at + chrono::Duration::from_std(window).ok()?;
    if failures >= limit && now < window_ends { Some((window_ends - now).num_seconds().max(1) as u64) } else { None }
}

/// The throttle key of a username (case-insensitive, as usernames are).
pub fn user_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

/// The throttle key of a client address.
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_only_at_the_limit_within_the_window() {
        let start = Utc::now();
        let window = Duration::from_secs(900);
        assert_eq!(retry_after(4, start, start, 5, window), None);
        assert_eq!(retry_after(5, start, start, 5, window), Some(900));
        let later = start + chrono::Duration::seconds(600);
        assert_eq!(retry_after(9, start, later, 5, window), Some(300));
        let after = start + chrono::Duration::seconds(901);
        assert_eq!(retry_after(9, start, after, 5, window), None);
    }

    #[test]
    fn keys_ignore_case_and_space() {
        assert_eq!(user_key(" Admin "), "user:admin");
        assert_eq!(user_key("杨国哲"), "user:杨国哲");
        assert_eq!(ip_key("127.0.0.1"), "ip:127.0.0.1");
    }
}
