//! Access tokens: HS256 JWTs, typed `at+jwt` (RFC 9068), checked as RFC 8725 asks — one
//! algorithm, issuer, audience, expiry and not-before with at most 30 s of leeway.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::policy::Role;
use crate::error::AppError;

pub const TOKEN_TYPE: &str = "at+jwt";
pub const LEEWAY_SECS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: Uuid,
    /// The session (login) the token belongs to; revoking it stops the token at once.
    pub sid: Uuid,
    pub roles: Vec<Role>,
    /// The caller's unit, the scope of unit-bound roles.
    pub unit: Option<Uuid>,
    /// The head of the unit (a leader who heads the bureau is responsible for all).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub head: bool,
    pub preferred_username: String,
}

/// Who a token is for.
#[derive(Debug, Clone)]
pub struct Subject {
    pub user_id: Uuid,
    pub username: String,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    pub head: bool,
}

/// The signing key and the rules a token must pass.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl: Duration,
    /// Keys the CSRF tokens of the dashboard's forms (derived from the secret).
    csrf_key: [u8; 32],
}

impl Keys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            access_ttl,
            csrf_key: {
                use sha2::Digest;
                sha2::Sha256::new().chain_update(b"jianyi csrf\0").chain_update(secret).finalize().into()
            },
        }
    }

    /// The CSRF token of a session's forms: an HMAC of the session id, so that only a page
    /// this service rendered for that session can carry it.
    pub fn csrf(&self, session_id: Uuid) -> String {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.csrf_key).expect("any key length");
        mac.update(session_id.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A signed access token for `subject` in `session_id`, and its lifetime in seconds.
    pub fn issue(&self, subject: &Subject, session_id: Uuid) -> (String, i64) {
        self.issue_for(subject, session_id, self.access_ttl)
    }

    /// A signed access token of another lifetime (the dashboard's session cookie).
    pub fn issue_for(&self, subject: &Subject, session_id: Uuid, ttl: Duration) -> (String, i64) {
        let now = chrono::Utc::now().timestamp();
        let ttl = ttl.as_secs() as i64;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id,
            exp: now + ttl,
            iat: now,
            nbf: now,
            jti: Uuid::now_v7(),
            sid: session_id,
            roles: subject.roles.clone(),
            unit: subject.unit_id,
            head: subject.head,
            preferred_username: subject.username.clone(),
        };
        (self.sign(&claims), ttl)
    }

    /// Signs any claims with the service's key (tests forge tokens with this).
    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(TOKEN_TYPE.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// The claims of a valid token, or 401.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let invalid = |detail: &str| AppError::unauthorized("invalid_token", detail.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        let typ_ok = header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt"));
        if !typ_ok {
            return Err(invalid("the token is not an access token (typ)"));
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => AppError::unauthorized("token_expired", "the token has expired"),
                ErrorKind::ImmatureSignature => invalid("the token is not valid yet"),
                ErrorKind::InvalidAudience => invalid("the token is for another audience"),
                ErrorKind::InvalidIssuer => invalid("the token is from another issuer"),
                ErrorKind::InvalidSignature => invalid("the token's signature is wrong"),
                ErrorKind::InvalidAlgorithm => invalid("the token's algorithm is not accepted"),
                _ => invalid("the token is invalid"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"an HS256 secret of at least 32 bytes!";

    fn keys() -> Keys {
        Keys::new(SECRET, "jianyi", "jianyi-api", Duration::from_secs(900))
    }

    fn subject() -> Subject {
        Subject {
            user_id: Uuid::now_v7(),
            username: "bangongshi".into(),
            roles: vec![Role::Office],
            unit_id: None,
            head: false,
        }
    }

    fn claims(k: &Keys) -> Claims {
        let (t, _) = k.issue(&subject(), Uuid::now_v7());
        k.verify(&t).unwrap()
    }

    fn code(k: &Keys, token: &str) -> String {
        k.verify(token).unwrap_err().code().to_string()
    }

    #[test]
    fn a_fresh_token_verifies() {
        let k = keys();
        let c = claims(&k);
        assert_eq!(c.roles, vec![Role::Office]);
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn expiry_not_before_issuer_and_audience_are_checked() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let mut c = claims(&k);
        c.exp = now - 31;
        assert_eq!(code(&k, &k.sign(&c)), "token_expired");
        c.exp = now - 20; // within the leeway
        assert!(k.verify(&k.sign(&c)).is_ok());

        let mut c = claims(&k);
        c.nbf = now + 120;
        assert_eq!(code(&k, &k.sign(&c)), "invalid_token");

        let mut c = claims(&k);
        c.aud = "someone-else".into();
        assert_eq!(code(&k, &k.sign(&c)), "invalid_token");

        let mut c = claims(&k);
        c.iss = "evil".into();
        assert_eq!(code(&k, &k.sign(&c)), "invalid_token");
    }

    #[test]
    fn other_keys_algorithms_and_types_are_refused() {
        let k = keys();
        let c = claims(&k);
        let other = Keys::new(b"another secret of at least 32 bytes!!", "jianyi", "jianyi-api", k.access_ttl);
        assert_eq!(code(&k, &other.sign(&c)), "invalid_token");

        let mut header = Header::new(Algorithm::HS512);
        header.typ = Some(TOKEN_TYPE.into());
        let hs512 = jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(SECRET)).unwrap();
        assert!(k.verify(&hs512).is_err());

        let plain =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &EncodingKey::from_secret(SECRET)).unwrap();
        assert!(k.verify(&plain).is_err(), "typ JWT is not an access token");

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        assert!(k.verify(&format!("{none_header}.{body}.")).is_err());
        assert!(k.verify("not.a.token").is_err());
    }
}
