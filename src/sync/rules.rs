//! The feed's rules: what a read may ask, and where the next one starts.

use std::time::Duration;

use crate::error::FieldError;
use crate::sync::model::{FeedParams, FeedRequest};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
pub const MAX_WAIT_SECS: i64 = 30;
/// The most event types a webhook subscription names.
pub const MAX_TYPES: usize = 50;

/// Checks a read of the feed; every fault is named.
pub fn feed_request(params: &FeedParams) -> Result<FeedRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let after = params.after.unwrap_or(0);
    if after < 0 {
        errors.push(FieldError::new("after", "out_of_range", "0 or more"));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new("limit", "out_of_range", format!("between 1 and {MAX_LIMIT}")));
    }
    let wait = params.wait.unwrap_or(0);
    if !(0..=MAX_WAIT_SECS).contains(&wait) {
        errors.push(FieldError::new("wait", "out_of_range", format!("between 0 and {MAX_WAIT_SECS} seconds")));
    }
    let types = match params.types.as_deref().map(event_types).transpose() {
        Ok(types) => types.unwrap_or_default(),
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FeedRequest { after, limit, types, wait: Duration::from_secs(wait as u64) })
}

/// `<entity>.<what happened>`: lower-case words joined by dots.
pub fn event_type_ok(t: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    t.split_once('.').is_some_and(|(entity, what)| word(entity) && what.split('.').all(word))
}

/// `a.b,c.d` → the distinct types, each `<entity>.<what happened>` in lower case.
fn event_types(list: &str) -> Result<Vec<String>, FieldError> {
    let mut types: Vec<String> = Vec::new();
    for t in list.split(',').map(|t| t.trim_matches(' ')) {
        if !event_type_ok(t) {
            return Err(FieldError::new("types", "invalid", "comma-separated types such as suggestion.created"));
        }
        if !types.iter().any(|known| known == t) {
            types.push(t.to_string());
        }
    }
    Ok(types)
}

/// Where the next read starts: after the last event given, or, when the answer was not
/// cut by the limit, at the head the read was bounded by (nothing at or below it is
/// still to come).
pub fn next_after(after: i64, last_given: Option<i64>, cut_by_limit: bool, head: i64) -> i64 {
    match (last_given, cut_by_limit) {
        (Some(last), true) => last,
        _ => head.max(after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::text::QueryText;

    fn params(after: Option<i64>, limit: Option<i64>, types: Option<&str>, wait: Option<i64>) -> FeedParams {
        FeedParams { after, limit, types: types.map(|t| QueryText(t.to_string())), wait }
    }

    #[test]
    fn defaults_read_from_the_beginning_without_waiting() {
        let r = feed_request(&FeedParams::default()).unwrap();
        assert_eq!(r, FeedRequest { after: 0, limit: DEFAULT_LIMIT, types: vec![], wait: Duration::ZERO });
    }

    #[test]
    fn every_fault_is_named() {
        let errors = feed_request(&params(Some(-1), Some(0), Some("Suggestion"), Some(31))).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["after", "limit", "wait", "types"]);
        assert!(feed_request(&params(None, Some(1001), None, None)).is_err());
        assert!(feed_request(&params(None, None, None, Some(-1))).is_err());
    }

    #[test]
    fn types_are_checked_and_deduplicated() {
        let r = feed_request(&params(None, None, Some("suggestion.created, reply.signed,suggestion.created"), None));
        assert_eq!(r.unwrap().types, ["suggestion.created", "reply.signed"]);
        for bad in
            ["", "suggestion", ".created", "suggestion.", "建议.created", "a.b;drop", "a.b,,c.d", "A.b", "a.b,\tc.d"]
        {
            assert!(feed_request(&params(None, None, Some(bad), None)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_next_read_starts_after_the_last_event_or_at_the_head() {
        // A full page: more may follow the last event given.
        assert_eq!(next_after(0, Some(100), true, 500), 100);
        // A short page holds everything up to the head, filtered or not.
        assert_eq!(next_after(0, Some(7), false, 500), 500);
        assert_eq!(next_after(40, None, false, 500), 500);
        // Never backwards.
        assert_eq!(next_after(600, None, false, 500), 600);
    }
}
