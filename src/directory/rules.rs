//! The rules of the directory, as pure functions: usernames, phones and e-mail addresses,
//! which roles fit which kind of account and unit, and what a viewer may see of a deputy.

use crate::auth::policy::Role;
use crate::directory::model::{Contact, Deputy, DeputyRef, DeputyRow, UnitKind, UserKind, Viewer};
use crate::error::FieldError;
use crate::http::text::{name, optional_text};

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

/// A phone number: digits with `+ - ( )` and spaces, 3 to 30 characters.
pub fn phone(value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(v) = optional_text("phone", value, 30)? else { return Ok(None) };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if digits < 3 || !v.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        return Err(FieldError::new("phone", "invalid", "digits, spaces and + - ( ) only"));
    }
    Ok(Some(v))
}

/// An e-mail address: one `@` with text on both sides and a dot in the domain.
pub fn email(value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(v) = optional_text("email", value, 254)? else { return Ok(None) };
    match v.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') => Ok(Some(v)),
        _ => Err(FieldError::new("email", "invalid", "not an e-mail address")),
    }
}

/// Whether the viewer may see a deputy's name (confidential deputies are hidden).
pub fn may_see_name(viewer: &Viewer, deputy_id: uuid::Uuid, confidential: bool) -> bool {
    !confidential || viewer.privileged || viewer.deputy_id == Some(deputy_id)
}

/// Whether the viewer may see a deputy's contact details (personal data).
pub fn may_see_contact(viewer: &Viewer, deputy_id: uuid::Uuid) -> bool {
    viewer.privileged || viewer.deputy_id == Some(deputy_id)
}

/// A deputy as this viewer may see them.
pub fn deputy_for(viewer: &Viewer, row: DeputyRow) -> Deputy {
    let contact = may_see_contact(viewer, row.id).then(|| Contact {
        phone: row.phone.clone(),
        email: row.email.clone(),
        address: row.address.clone(),
    });
    Deputy {
        id: row.id,
        body: row.body,
        name: may_see_name(viewer, row.id, row.confidential).then_some(row.name),
        delegation: row.delegation,
        contact,
        confidential: row.confidential,
        user_id: if viewer.privileged { row.user_id } else { None },
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// A deputy reference as this viewer may see it.
pub fn deputy_ref_for(viewer: &Viewer, mut r: DeputyRef) -> DeputyRef {
    if !may_see_name(viewer, r.id, r.confidential) {
        r.name = None;
    }
    r
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
    fn confidential_deputies_are_hidden_but_from_the_office_and_themselves() {
        let id = uuid::Uuid::now_v7();
        let office = Viewer { privileged: true, deputy_id: None };
        let themselves = Viewer { privileged: false, deputy_id: Some(id) };
        let handler = Viewer::default();
        assert!(may_see_name(&office, id, true));
        assert!(may_see_name(&themselves, id, true));
        assert!(!may_see_name(&handler, id, true));
        assert!(may_see_name(&handler, id, false));
        assert!(!may_see_contact(&handler, id));
        assert!(may_see_contact(&themselves, id));
        let r = DeputyRef { id, name: Some("曹孟".into()), delegation: None, confidential: true };
        assert_eq!(deputy_ref_for(&handler, r.clone()).name, None);
        assert_eq!(deputy_ref_for(&office, r).name.as_deref(), Some("曹孟"));
    }

    #[test]
    fn contacts_are_checked() {
        assert_eq!(phone(Some(" 0371-6655 8899 ")).unwrap().as_deref(), Some("0371-6655 8899"));
        assert!(phone(Some("call me")).is_err());
        assert_eq!(phone(Some("  ")).unwrap(), None);
        assert!(email(Some("yang@example.cn")).is_ok());
        assert!(email(Some("yang@")).is_err());
        assert!(email(Some("@x.cn")).is_err());
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
