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
