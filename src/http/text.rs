//! Text fields of requests: trimmed, bounded in characters (Chinese counts one a
//! character), and free of control characters.

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

/// An optional free text: trimmed, empty as absent, at most `max` characters.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => name(field, v, max).map(Some),
    }
}
