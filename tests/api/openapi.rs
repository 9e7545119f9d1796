//! The committed OpenAPI document is the one the code generates, and it declares the
//! errors of every operation.

use serde_json::Value;

const COMMITTED: &str = "openapi/openapi.json";

#[test]
fn the_committed_spec_matches_the_code() {
    let generated = jianyi::openapi::spec_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{COMMITTED} differs from the spec the code generates; regenerate it with\n\n    \
         cargo run -q -- openapi > {COMMITTED}\n\n(or UPDATE_OPENAPI=1 cargo test openapi), and commit it"
    );
}

#[test]
fn every_operation_declares_its_errors() {
    let spec: Value = serde_json::from_str(&jianyi::openapi::spec_json()).unwrap();
    let mut count = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let responses = op["responses"].as_object().unwrap();
            let what = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{what}: operationId");
            assert!(op["tags"].is_array(), "{what}: a tag");
            for status in ["500", "503"] {
                assert!(responses.contains_key(status), "{what}: {status}");
            }
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| !o.is_empty())));
            if secured {
                assert!(responses.contains_key("401"), "{what}: 401");
            }
            // Every role may manage its own session; everything else some role may not do.
            if secured && op["tags"][0] != "auth" {
                assert!(responses.contains_key("403"), "{what}: 403 (a role that may not)");
            }
            if method == "patch" || (method == "delete" && path.contains('{')) {
                for status in ["412", "428"] {
                    assert!(responses.contains_key(status), "{what}: {status}");
                }
            }
            if path.contains("{id}") {
                assert!(responses.contains_key("404"), "{what}: 404");
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let text = response.to_string();
                    assert!(
                        text.contains("components/responses") || text.contains("application/problem+json"),
                        "{what}: {status} is problem+json"
                    );
                }
            }
        }
    }
    assert!(count >= 18, "{count} operations");
}

/// Every `$ref` names something the document has: a client generator stops at the first
/// that does not.
#[test]
fn every_ref_resolves() {
    let spec: Value = serde_json::from_str(&jianyi::openapi::spec_json()).unwrap();
    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(refs.len() > 100, "{} refs", refs.len());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r}: not a local reference"));
        assert!(spec.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The document is valid OpenAPI 3.1: checked against the OpenAPI Initiative's schema
/// (`oas-3.1-schema.json`, https://spec.openapis.org/oas/3.1/schema/2022-10-07).
#[test]
fn the_spec_is_valid_openapi_3_1() {
    let spec: Value = serde_json::from_str(&jianyi::openapi::spec_json()).unwrap();
    let schema: Value = serde_json::from_str(include_str!("oas-3.1-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the OpenAPI 3.1 schema compiles");
    let errors: Vec<String> = validator.iter_errors(&spec).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{} errors:\n{}", errors.len(), errors.join("\n"));
    // The validator is not vacuous: a document with a broken response is refused.
    let mut broken = spec.clone();
    broken["paths"]["/healthz"]["get"]["responses"]["200"] = serde_json::json!({"content": 5});
    assert!(!validator.is_valid(&broken));
}

/// The date pattern in the spec accepts exactly the dates the service takes.
#[test]
fn the_date_pattern_says_what_the_service_takes() {
    use jianyi::http::dates::{DATE_PATTERN, Day};
    let schema = serde_json::json!({"type": "string", "pattern": DATE_PATTERN});
    let validator = jsonschema::validator_for(&schema).unwrap();
    for year in (1900..2300).chain([0, 999, 10000]) {
        for day in [format!("{year:04}-01-01"), format!("{year:04}-12-31")] {
            let text = Value::String(day.clone());
            let taken = serde_json::from_value::<Day>(text.clone()).is_ok();
            assert_eq!(validator.is_valid(&text), taken, "{day}");
        }
    }
}

/// The text pattern in the spec refuses exactly the characters the edge refuses.
#[test]
fn the_text_pattern_says_what_the_edge_refuses() {
    use jianyi::http::text::QUERY_TEXT_PATTERN;
    let validator =
        jsonschema::validator_for(&serde_json::json!({"type": "string", "pattern": QUERY_TEXT_PATTERN})).unwrap();
    for c in (0u32..0x3000).filter_map(char::from_u32) {
        let text = Value::String(format!("关于{c}建议"));
        assert_eq!(validator.is_valid(&text), !c.is_control(), "U+{:04X}", c as u32);
    }
}
