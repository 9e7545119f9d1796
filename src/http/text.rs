//! Text in requests: fields trimmed, bounded in characters (Chinese counts one a
//! character) and free of control characters; URL parts that decode to clean UTF-8.

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

/// An optional passage (a note, an explanation): trimmed, empty as absent, at most `max`
/// characters; line breaks and tabs are kept, other control characters refused.
pub fn optional_prose(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max {
        return Err(FieldError::new(field, "too_long", format!("at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, "invalid", "must not contain control characters"));
    }
    Ok(Some(v.to_string()))
}

/// Why a percent-encoded URL part (a path, a query string, a form body) cannot be taken:
/// it does not decode to UTF-8, or it carries a control character — which no name, number
/// or search needs, and which PostgreSQL refuses (NUL) or a log line would misread.
pub fn percent_encoded_fault(raw: &str) -> Option<&'static str> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    match std::str::from_utf8(&decoded) {
        Err(_) => Some("does not decode to UTF-8"),
        Ok(text) if text.chars().any(char::is_control) => Some("contains a control character"),
        Ok(_) => None,
    }
}

/// What the spec says a text in a query or path may hold: no control characters, C0, DEL
/// or C1 (the edge refuses those before any handler: `char::is_control`).
pub const QUERY_TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// A text query parameter of at most `MAX` characters (400 when longer): a filter or a
/// search. Its schema states the bound and the pattern (`#[param(inline)]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryText<const MAX: usize>(pub String);

impl<const MAX: usize> std::ops::Deref for QueryText<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de, const MAX: usize> serde::Deserialize<'de> for QueryText<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        if text.chars().count() > MAX {
            return Err(serde::de::Error::custom(format!("at most {MAX} characters")));
        }
        Ok(QueryText(text))
    }
}

impl<const MAX: usize> utoipa::PartialSchema for QueryText<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new().schema_type(Type::String).max_length(Some(MAX)).pattern(Some(QUERY_TEXT_PATTERN)).into()
    }
}

impl<const MAX: usize> utoipa::ToSchema for QueryText<MAX> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passages() {
        assert_eq!(name("title", "  关于合理设置公交站点的建议 ", 200).unwrap(), "关于合理设置公交站点的建议");
        assert_eq!(name("title", "", 200).unwrap_err().code, "required");
        assert_eq!(name("title", "文".repeat(201).as_str(), 200).unwrap_err().code, "too_long");
        assert_eq!(name("title", "a\u{0}b", 200).unwrap_err().code, "invalid");
        assert_eq!(optional_text("category", Some("  "), 50).unwrap(), None);
        assert_eq!(optional_prose("note", Some("第一行\n第二行"), 100).unwrap().as_deref(), Some("第一行\n第二行"));
        assert_eq!(optional_prose("note", Some("a\u{7}"), 100).unwrap_err().code, "invalid");
        assert_eq!(optional_prose("note", Some(&"字".repeat(101)), 100).unwrap_err().code, "too_long");
    }

    #[test]
    fn url_parts_decode_to_clean_text() {
        assert_eq!(percent_encoded_fault("q=%E5%85%AC%E4%BA%A4&limit=5"), None);
        assert_eq!(percent_encoded_fault("/api/v1/suggestions/by-external/npc/2024/183050"), None);
        assert_eq!(percent_encoded_fault("100%"), None, "a lone percent sign is itself");
        assert!(percent_encoded_fault("/by-external/npc/2024/%FF%FE").is_some());
        assert!(percent_encoded_fault("category=a%00b").is_some());
        assert!(percent_encoded_fault("q=a%0Ab").is_some());
        assert!(percent_encoded_fault("q=%C3").is_some(), "a cut sequence");
    }
}
