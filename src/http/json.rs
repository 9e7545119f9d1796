//! Request bodies and parameters: JSON with field-level errors, and the framework's own
//! rejections (query, path, form) as problem+json.

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// A JSON body whose errors name the field: 415 for another media type, 413 when too
/// large, 400 when not JSON, 422 when the JSON does not fit (missing, unknown or invalid
/// fields).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_json(req) {
            return Box::pin(async { Err(unsupported_media_type("application/json")) });
        }
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| payload_error(e.as_response_error().status_code()))?;
            parse(&bytes).map(Json)
        })
    }
}

/// `application/json` or any `+json` type.
pub fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application" && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

pub fn unsupported_media_type(expected: &str) -> AppError {
    AppError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("the request body must be {expected}"),
    )
}

/// The error for a body that could not be read (too large, broken connection).
pub fn payload_error(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(status, "payload_too_large", "the request body is too large")
    } else {
        AppError::bad_request("unreadable_body", "the request body could not be read")
    }
}

/// Parses JSON, naming the field at fault. A string with a control character other than
/// tab, line feed and carriage return is refused before it is read (422, naming it).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Every body is an object: serde would also take a struct written as an array.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    {
        return Err(AppError::validation(vec![FieldError::new("body", "invalid_type", "must be a JSON object")]));
    }
    if control_escape(bytes).is_some()
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = control_path(&value, "")
    {
        return Err(AppError::validation(vec![FieldError::new(
            if field.is_empty() { "body".to_string() } else { field },
            "control_character",
            "holds a control character; text may hold tabs and line breaks only",
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, e.into_inner())
    })?;
    de.end().map_err(|e| json_error(".", e))?;
    Ok(value)
}

fn json_error(path: &str, e: serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let message = e.to_string();
    let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => AppError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON ({message} at line {} column {})", e.line(), e.column()),
        ),
        Category::Data => {
            let parent = if path == "." { "" } else { path };
            let join = |name: &str| if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") };
            let (field, code) = if let Some(name) = between(&message, "missing field `", "`") {
                (join(name), "required")
            } else if message.starts_with("unknown field `") {
                (path.to_string(), "unknown_field")
            } else if message.starts_with("invalid type") {
                (path.to_string(), "invalid_type")
            } else {
                (path.to_string(), "invalid")
            };
            let field = if field.is_empty() || field == "." { "body".to_string() } else { field };
            AppError::validation(vec![FieldError::new(field, code, message)])
        }
    }
}

/// Where a JSON string escapes a control character other than `\t`, `\n` and `\r`
/// (`\u0000`…`\u001f`, `\b`, `\f`). Raw control characters are not valid JSON at all, so
/// escapes are the only way in; an escaped backslash is skipped whole.
fn control_escape(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'b' | b'f') => return Some(i),
            Some(b'u') => {
                let code = bytes
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                if code.is_some_and(|c| c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d)) {
                    return Some(i);
                }
                i += 6;
            }
            _ => i += 2,
        }
    }
    None
}

/// The path (`units[0].name`) of the first string or key holding a control character
/// other than tab, line feed and carriage return.
fn control_path(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let bad = |s: &str| s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    let join = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match value {
        Value::String(s) if bad(s) => Some(at.to_string()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| control_path(v, &format!("{at}[{i}]"))),
        Value::Object(map) => {
            map.iter().find_map(|(k, v)| if bad(k) { Some(join(k)) } else { control_path(v, &join(k)) })
        }
        _ => None,
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(start)?;
    rest.split_once(end).map(|(name, _)| name)
}

/// An integer field that JSON may write as `3` or `3.0`: JSON Schema counts both as the
/// integer 3, so a client keeping to the spec may send either.
pub fn whole<'de, D: serde::Deserializer<'de>, T: TryFrom<i64>>(de: D) -> Result<T, D::Error> {
    whole_number(serde_json::Number::deserialize(de)?)
}

/// `whole` for an optional field (with `#[serde(default)]`).
pub fn optional_whole<'de, D: serde::Deserializer<'de>, T: TryFrom<i64>>(de: D) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(de)?.map(whole_number).transpose()
}

fn whole_number<E: serde::de::Error, T: TryFrom<i64>>(n: serde_json::Number) -> Result<T, E> {
    let value = n
        .as_i64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        .ok_or_else(|| E::custom(format!("invalid type: {n}, expected an integer")))?;
    T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
}

/// For `Option<Option<T>>` fields: absent is `None`, `null` is `Some(None)`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A body sent as JSON or as a form (OAuth endpoints accept both); empty means default.
pub fn parse_json_or_form<T: DeserializeOwned + Default>(req: &HttpRequest, body: &[u8]) -> Result<T, AppError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    let is_form = matches!(req.mime_type(), Ok(Some(m)) if m.essence_str() == "application/x-www-form-urlencoded");
    if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| AppError::bad_request("malformed_form", format!("invalid form body: {e}")))?;
        if std::str::from_utf8(body).is_err()
            || pairs.iter().any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
        {
            return Err(AppError::bad_request("malformed_form", "the form body is not UTF-8"));
        }
        let control = |s: &str| s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
        if let Some((field, _)) = pairs.iter().find(|(k, v)| control(k) || control(v)) {
            return Err(AppError::validation(vec![FieldError::new(
                field.clone(),
                "control_character",
                "holds a control character; text may hold tabs and line breaks only",
            )]));
        }
        serde_urlencoded::from_bytes(body)
            .map_err(|e| AppError::bad_request("malformed_form", format!("invalid form body: {e}")))
    } else if is_json(req) {
        parse(body)
    } else {
        Err(unsupported_media_type("application/json or application/x-www-form-urlencoded"))
    }
}

/// `QueryConfig` error handler: a malformed query string is a 400 naming the problem.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    AppError::bad_request("invalid_query", format!("invalid query parameters: {detail}")).into()
}

/// `PathConfig` error handler: a path segment of the wrong form (not a UUID, say).
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    AppError::bad_request("invalid_path", format!("invalid path parameter: {detail}")).into()
}

/// `FormConfig` error handler.
pub fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        UrlencodedError::ContentType => unsupported_media_type("application/x-www-form-urlencoded").into(),
        UrlencodedError::Overflow { .. } | UrlencodedError::UnknownLength => {
            payload_error(StatusCode::PAYLOAD_TOO_LARGE).into()
        }
        other => AppError::bad_request("malformed_form", format!("invalid form body: {other}")).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Bureau,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        inner: Option<Inner>,
    }

    fn err(json: &str) -> AppError {
        parse::<Body>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn malformed_json_is_400() {
        assert_eq!(err("{\"title\": ").status(), StatusCode::BAD_REQUEST);
        assert_eq!(err(r#"{"title": "x"} trailing"#).code(), "malformed_json");
    }

    #[test]
    fn field_errors_name_the_field() {
        let e = err("{}");
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field_errors()[0].field, "title");
        assert_eq!(e.field_errors()[0].code, "required");

        let e = err(r#"{"title": "关于", "inner": {"kind": "castle"}}"#);
        assert_eq!(e.field_errors()[0].field, "inner.kind");
        assert_eq!(e.field_errors()[0].code, "invalid");

        let e = err(r#"{"title": 5}"#);
        assert_eq!(e.field_errors()[0].field, "title");
        assert_eq!(e.field_errors()[0].code, "invalid_type");

        let e = err(r#"{"title": "x", "colour": 1}"#);
        assert_eq!(e.field_errors()[0].field, "colour");
        assert_eq!(e.field_errors()[0].code, "unknown_field");
    }

    #[test]
    fn control_characters_are_refused_at_the_edge() {
        let e = err(r#"{"title": "a\u0000b"}"#);
        assert_eq!((e.status(), e.field_errors()[0].field.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "title"));
        assert_eq!(e.field_errors()[0].code, "control_character");
        let e = err(r#"{"title": "x", "inner": {"kind": "a\u001Fb"}}"#);
        assert_eq!(e.field_errors()[0].field, "inner.kind");
        assert_eq!(err(r#"{"title": "a\bb"}"#).field_errors()[0].code, "control_character");
        let fine: Body = parse(r#"{"title": "第一行\n第二行\t\\u0000 \u4e2d"}"#.as_bytes()).unwrap();
        assert_eq!(fine.title, "第一行\n第二行\t\\u0000 中");
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_point() {
        #[derive(Debug, Deserialize)]
        struct N {
            #[serde(deserialize_with = "whole")]
            n: i32,
            #[serde(default, deserialize_with = "optional_whole")]
            m: Option<i32>,
        }
        let n: N = parse(br#"{"n": 3.0, "m": 5}"#).unwrap();
        assert_eq!((n.n, n.m), (3, Some(5)));
        assert_eq!(parse::<N>(br#"{"n": 3}"#).unwrap().m, None);
        assert_eq!(parse::<N>(br#"{"n": 3.5}"#).unwrap_err().field_errors()[0].code, "invalid_type");
        assert_eq!(parse::<N>(br#"{"n": 1e12}"#).unwrap_err().field_errors()[0].field, "n");
    }

    #[test]
    fn a_body_is_an_object_not_an_array() {
        let e = err(r#"["关于", null]"#);
        assert_eq!((e.status(), e.field_errors()[0].code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_type"));
        assert_eq!(err("[").code(), "malformed_json");
    }

    #[test]
    fn good_json_parses() {
        let b: Body = parse(r#"{"title": "关于合理设置公交站点的建议"}"#.as_bytes()).unwrap();
        assert_eq!(b.title, "关于合理设置公交站点的建议");
    }
}
