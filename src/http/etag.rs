//! Optimistic concurrency: a strong `ETag` from each resource's `version` and what its
//! representation says, and `If-Match` required on updates (428 when missing, 412 when
//! stale).

use std::future::{Ready, ready};

use actix_web::ResponseError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The strong entity tag of a representation: its resource's version and a digest of the
/// representation, `"7-3f9a0c…"`. It changes whenever the representation does — with a new
/// version, and with what a representation derives from elsewhere (a due state that moved
/// with the date, a proposer's name). `If-Match` compares the version part.
pub fn etag(version: i32, body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{version}-{hex}\"")).expect("digits, hex and quotes are a valid header")
}

/// A JSON answer with its `ETag`.
pub fn tagged(builder: &mut HttpResponseBuilder, version: i32, body: &impl serde::Serialize) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            builder.insert_header((header::ETAG, etag(version, &bytes))).content_type("application/json").body(bytes)
        }
        Err(e) => AppError::internal(e).error_response(),
    }
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
                let opaque = tag.trim().strip_prefix('"')?.strip_suffix('"')?;
                opaque.split_once('-').map_or(opaque, |(version, _)| version).parse::<i32>().ok()
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
            .with_extra("current_version", current)),
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
        assert_eq!(IfMatch::parse(Some("\"5-0123456789abcdef\"")), IfMatch::Versions(vec![5]));
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
        let tag = etag(7, b"{}");
        assert!(tag.to_str().unwrap().starts_with("\"7-"), "{tag:?}");
        assert_ne!(tag, etag(7, b"{\"due_state\":\"overdue\"}"), "another representation, another tag");
        assert_eq!(IfMatch::parse(tag.to_str().ok()), IfMatch::Versions(vec![7]));
    }
}
