//! Cursor pagination: `limit` (1 to 200) and an opaque, signed `cursor` holding the sort
//! key of the last item; a tampered cursor is a 400.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// `limit` and `cursor`, shared by every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Signs and checks cursors with a key of the service.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl CursorCodec {
    pub fn new(secret: &[u8]) -> Self {
        // A key of its own, so that a cursor signature is never a token signature.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"jianyi cursor key");
        Self { key: mac.finalize().into_bytes().to_vec() }
    }

    fn sign(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(payload);
        mac.finalize().into_bytes()[..16].to_vec()
    }

    pub fn encode<K: Serialize>(&self, key: &K) -> String {
        let payload = serde_json::to_vec(key).unwrap_or_default();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(self.sign(&payload)))
    }

    pub fn decode<K: DeserializeOwned>(&self, cursor: &str) -> Result<K, AppError> {
        let invalid = || AppError::bad_request("invalid_cursor", "the cursor is not one this service gave out");
        let (payload, signature) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(&payload);
        mac.verify_truncated_left(&signature).map_err(|_| invalid())?;
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }
}

/// The checked request of one page: how many rows to fetch and where to start.
pub struct PageRequest<K> {
    pub limit: i64,
    pub after: Option<K>,
}

impl PageParams {
    pub fn resolve<K: DeserializeOwned>(&self, codec: &CursorCodec) -> Result<PageRequest<K>, AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_request("invalid_query", format!("limit must be 1 to {MAX_LIMIT}"))
                .with_errors(vec![FieldError::new("limit", "out_of_range", format!("between 1 and {MAX_LIMIT}"))]));
        }
        let after = self.cursor.as_deref().map(|c| codec.decode(c)).transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl<K> PageRequest<K> {
    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts the fetched rows to the page and makes the cursor from the last one kept.
    pub fn page<R, T, C: Serialize>(
        &self,
        mut rows: Vec<R>,
        codec: &CursorCodec,
        key_of: impl Fn(&R) -> C,
        into_item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|r| codec.encode(&key_of(r))) } else { None };
        Page { items: rows.into_iter().map(into_item).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef");
        let cursor = codec.encode(&("公交", 42i64));
        let back: (String, i64) = codec.decode(&cursor).unwrap();
        assert_eq!(back, ("公交".to_string(), 42));

        let (payload, sig) = cursor.split_once('.').unwrap();
        let forged = format!("{}.{sig}", URL_SAFE_NO_PAD.encode(br#"["x",1]"#));
        assert_eq!(codec.decode::<(String, i64)>(&forged).unwrap_err().code(), "invalid_cursor");
        assert!(codec.decode::<(String, i64)>(payload).is_err());
        assert!(codec.decode::<(String, i64)>("!!!.???").is_err());
        let other = CursorCodec::new(b"another secret another secret 00");
        assert!(other.decode::<(String, i64)>(&cursor).is_err());
    }

    #[test]
    fn limits_are_checked() {
        let codec = CursorCodec::new(b"k");
        let p = PageParams { limit: Some(201), cursor: None };
        assert_eq!(p.resolve::<i64>(&codec).err().unwrap().code(), "invalid_query");
        let p = PageParams { limit: Some(0), cursor: None };
        assert!(p.resolve::<i64>(&codec).is_err());
        let p = PageParams::default();
        assert_eq!(p.resolve::<i64>(&codec).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn pages_cut_and_point_on() {
        let codec = CursorCodec::new(b"k");
        let req = PageRequest::<i64> { limit: 2, after: None };
        let page = req.page(vec![1i64, 2, 3], &codec, |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(codec.decode::<i64>(page.next_cursor.as_deref().unwrap()).unwrap(), 2);
        let last = req.page(vec![1i64, 2], &codec, |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }
}
