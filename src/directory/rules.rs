//! The rules of the directory, as pure functions: names, usernames, and which roles fit
//! which kind of account and unit.

use crate::auth::policy::Role;
use crate::directory::model::{UnitKind, UserKind};
use crate::error::FieldError;

/// A trimmed name of 1 to `max` characters without control characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, "too_long", format!("at most {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid", "must not contain control characters"));
    }
    Ok(v.to_string())
}

/// A username: 1 to 64 characters, no spaces, no colon (it separates HTTP Basic
/// credentials). Chinese names are fine.
pub fn username(value: &str) -> Result<String, FieldError> {
    let v = name("username", value, 64)?;
    if v.chars().any(|c| c.is_whitespace() || c == ':') {
        return Err(FieldError::new("username", "invalid", "must not contain spaces or ':'"));
    }
    Ok(v)
}

/// A section belongs to the bureau; the bureau and external units stand alone.
pub fn unit_parent(kind: UnitKind, parent: Option<UnitKind>) -> Result<(), FieldError> {
    match (kind, parent) {
        (UnitKind::Section, Some(UnitKind::Bureau)) => Ok(()),
        (UnitKind::Section, Some(_)) => {
            Err(FieldError::new("parent_id", "invalid", "a section's parent is the bureau"))
        }
        (UnitKind::Section, None) => Err(FieldError::new("parent_id", "required", "a section needs its bureau")),
        (_, Some(_)) => Err(FieldError::new("parent_id", "invalid", "only a section has a parent")),
        (_, None) => Ok(()),
    }
}

/// Which roles fit an account of `kind` in a unit of `unit` kind (`None`: no unit).
pub fn roles(roles: &[Role], kind: UserKind, unit: Option<UnitKind>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut bad = |code: &str, message: String| errors.push(FieldError::new("roles", code, message));
    if roles.is_empty() {
        bad("required", "at least one role".into());
    }
    let mut seen = roles.to_vec();
    seen.sort();
    seen.dedup();
    if seen.len() != roles.len() {
        bad("duplicate", "each role once".into());
    }
    for role in roles {
        match (kind, *role == Role::Sync) {
            (UserKind::Service, false) => {
                bad("invalid", format!("a service account can only have the sync role, not {}", role.as_str()))
            }
            (UserKind::Person, true) => bad("invalid", "the sync role is for service accounts".into()),
            _ => {}
        }
        match (role, unit) {
            (Role::Handler | Role::SectionHead, Some(UnitKind::Bureau | UnitKind::Section)) => {}
            (Role::Handler | Role::SectionHead, _) => {
                bad("unit_required", format!("{} needs a unit of the bureau (the bureau or a section)", role.as_str()))
            }
            (Role::CoHandler, Some(UnitKind::External)) => {}
            (Role::CoHandler, _) => bad("unit_required", "co_handler needs an external unit".into()),
            (Role::Office | Role::Leader, Some(UnitKind::External)) => {
                bad("invalid", format!("{} belongs to the bureau, not an external unit", role.as_str()))
            }
            _ => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  耕地保护科 ", 100).unwrap(), "耕地保护科");
        assert_eq!(name("name", "   ", 100).unwrap_err().code, "required");
        assert_eq!(name("name", &"科".repeat(101), 100).unwrap_err().code, "too_long");
        assert_eq!(name("name", "a\u{0}b", 100).unwrap_err().code, "invalid");
    }

    #[test]
    fn usernames_refuse_spaces_and_colons() {
        assert_eq!(username("杨国哲").unwrap(), "杨国哲");
        assert!(username("a b").is_err());
        assert!(username("a:b").is_err());
    }

    #[test]
    fn sections_hang_under_the_bureau() {
        assert!(unit_parent(UnitKind::Section, Some(UnitKind::Bureau)).is_ok());
        assert!(unit_parent(UnitKind::Section, None).is_err());
        assert!(unit_parent(UnitKind::Section, Some(UnitKind::External)).is_err());
        assert!(unit_parent(UnitKind::External, Some(UnitKind::Bureau)).is_err());
        assert!(unit_parent(UnitKind::Bureau, None).is_ok());
    }

    #[test]
    fn roles_fit_accounts_and_units() {
        use Role::*;
        let p = UserKind::Person;
        assert!(roles(&[Handler], p, Some(UnitKind::Section)).is_empty());
        assert_eq!(roles(&[Handler], p, None)[0].code, "unit_required");
        assert_eq!(roles(&[Handler], p, Some(UnitKind::External))[0].code, "unit_required");
        assert!(roles(&[CoHandler], p, Some(UnitKind::External)).is_empty());
        assert!(!roles(&[CoHandler], p, Some(UnitKind::Section)).is_empty());
        assert!(roles(&[Admin], p, None).is_empty());
        assert!(!roles(&[Sync], p, None).is_empty(), "sync is for services");
        assert!(roles(&[Sync], UserKind::Service, None).is_empty());
        assert!(!roles(&[Office], UserKind::Service, None).is_empty());
        assert_eq!(roles(&[], p, None)[0].code, "required");
        assert_eq!(roles(&[Office, Office], p, None)[0].code, "duplicate");
        assert!(!roles(&[Leader], p, Some(UnitKind::External)).is_empty());
    }
}
