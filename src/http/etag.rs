//! Optimistic concurrency: a strong `ETag` from each resource's `version`, and `If-Match`
//! required on updates (428 when missing, 412 when stale).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};

use crate::error::AppError;

/// The strong entity tag of a version: `"7"`.
pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits and quotes are a valid header")
}

/// What the client's `If-Match` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Missing,
    /// `*`: any current version.
    Any,
    /// The versions named by strong tags (weak tags never match, RFC 9110 13.1.1).
    Versions(Vec<i32>),
}

impl IfMatch {
    pub fn parse(value: Option<&str>) -> IfMatch {
        let Some(value) = value else { return IfMatch::Missing };
        if value.trim() == "*" {
            return IfMatch::Any;
        }
        let versions = value
            .split(',')
            .filter_map(|tag| {
                let tag = tag.trim();
                tag.strip_prefix('"')?.strip_suffix('"')?.parse::<i32>().ok()
            })
            .collect();
        IfMatch::Versions(versions)
    }

    /// Checks the precondition against the resource's current version.
    pub fn check(&self, current: i32) -> Result<(), AppError> {
        match self {
            IfMatch::Missing => Err(AppError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if_match_required",
                "send If-Match with the ETag you last read",
            )),
            IfMatch::Any => Ok(()),
            IfMatch::Versions(v) if v.contains(&current) => Ok(()),
            IfMatch::Versions(_) => Err(AppError::new(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                "the resource changed since you read it; read it again",
            )
            .with_extra("current_version", current)
            .with_header(header::ETAG, format!("\"{current}\""))),
        }
    }

    /// 428 before any work when the header is absent.
    pub fn require(&self) -> Result<(), AppError> {
        match self {
            IfMatch::Missing => self.check(0),
            _ => Ok(()),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().unwrap_or(""));
        ready(Ok(IfMatch::parse(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        assert_eq!(IfMatch::parse(None), IfMatch::Missing);
        assert_eq!(IfMatch::parse(Some("*")), IfMatch::Any);
        assert_eq!(IfMatch::parse(Some("\"3\"")), IfMatch::Versions(vec![3]));
        assert_eq!(IfMatch::parse(Some("\"3\", \"4\"")), IfMatch::Versions(vec![3, 4]));
        assert_eq!(IfMatch::parse(Some("W/\"3\"")), IfMatch::Versions(vec![]));
        assert_eq!(IfMatch::parse(Some("garbage")), IfMatch::Versions(vec![]));
    }

    #[test]
    fn checks_versions() {
        assert_eq!(IfMatch::Missing.check(1).unwrap_err().status(), StatusCode::PRECONDITION_REQUIRED);
        assert!(IfMatch::Any.check(9).is_ok());
        assert!(IfMatch::Versions(vec![2]).check(2).is_ok());
        let stale = IfMatch::Versions(vec![1]).check(2).unwrap_err();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(etag(7).to_str().unwrap(), "\"7\"");
    }
}
