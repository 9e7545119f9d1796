//! Passwords and client secrets: argon2id hashes, and random secrets and tokens.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;

/// The shortest password accepted for a person.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest accepted: argon2 takes any length, but a megabyte is a denial of service.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An argon2id hash in PHC form (salt and parameters included).
pub fn hash(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Whether `secret` matches `hash`; a malformed hash matches nothing.
pub fn verify(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
}

/// A hash nobody's password matches, verified against when the user does not exist, so
/// that a wrong username costs as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash(&random_token(24)));

/// Verifies against the user's hash, or against the dummy in the same time.
pub fn verify_or_dummy(secret: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(hash) => verify(secret, hash),
        None => {
            verify(secret, &DUMMY_HASH);
            false
        }
    }
}

/// `bytes` random bytes, base64url: refresh tokens, client secrets, one-time passwords.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Whether a new password for a person is acceptable; the reason if not.
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("at most {MAX_PASSWORD_BYTES} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = hash("正确的密码 correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("正确的密码 correct horse", &h));
        assert!(!verify("wrong", &h));
        assert_ne!(h, hash("正确的密码 correct horse"), "salted");
        assert!(!verify("x", "not a hash"));
        assert!(!verify_or_dummy("x", None));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("十个汉字的密码十个汉字").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
    }

    #[test]
    fn tokens_are_random() {
        assert_eq!(random_token(32).len(), 43);
        assert_ne!(random_token(32), random_token(32));
    }
}
