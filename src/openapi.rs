//! The OpenAPI document, generated from the handlers: shared error responses, the bearer
//! scheme, and the answers every operation can give (401, 500, 503) added in one place.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Spec, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

macro_rules! problem_response {
    ($name:ident, $description:literal) => {
        #[doc = $description]
        #[derive(ToResponse)]
        #[response(description = $description, content_type = "application/problem+json")]
        pub struct $name(#[allow(dead_code)] Problem);
    };
}

problem_response!(BadRequest, "Malformed request: bad JSON, query or path parameter, or cursor");
problem_response!(Unauthorized, "No valid bearer token (the WWW-Authenticate header says why)");
problem_response!(Forbidden, "The caller's roles do not allow this operation");
problem_response!(NotFound, "No such resource, or none the caller may see");
problem_response!(Conflict, "The request conflicts with the current state");
problem_response!(PreconditionFailed, "If-Match names a stale version; read the resource again");
problem_response!(PayloadTooLarge, "The request body is larger than the limit");
problem_response!(UnsupportedMediaType, "The request body has the wrong content type");
problem_response!(RangeNotSatisfiable, "The Range lies beyond the end of the file; Content-Range gives its size");
problem_response!(Unprocessable, "Well-formed, but breaks a rule; `errors` lists the fields");
problem_response!(PreconditionRequired, "If-Match is required on this update");
problem_response!(TooManyRequests, "Too many failed attempts; Retry-After says when to try again");
problem_response!(InternalError, "An internal error; the request id identifies it in the logs");
problem_response!(Unavailable, "The database is unavailable; Retry-After says when to try again");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jianyi",
        description = "Handling of deputies' suggestions (人大代表建议) and CPPCC proposals (政协提案): \
intake, assignment, co-handling, reply, review, submission, disclosure, evaluation and supervision.\n\n\
Errors are `application/problem+json` (RFC 9457) with a stable `code`; updates need `If-Match`; \
creating requests accept `Idempotency-Key`; lists page with `limit` and `cursor`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(
        schemas(
            Problem, FieldError, crate::suggestions::model::SortOrder, crate::http::dates::Day,
            crate::http::dates::Year, crate::http::dates::Moment, crate::letters::LetterFormat,
            crate::replies::rules::Granularity
        ),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, PayloadTooLarge,
            UnsupportedMediaType, RangeNotSatisfiable, Unprocessable, PreconditionRequired, TooManyRequests, InternalError, Unavailable
        )
    ),
    tags(
        (name = "auth", description = "Tokens, sessions and the caller"),
        (name = "directory", description = "Units and users"),
        (name = "deputies", description = "Deputies (代表) and members (委员); contact details are personal data"),
        (name = "suggestions", description = "Suggestions and proposals: intake, search, sync, import"),
        (name = "assignments", description = "Assignment (交办) to units: due dates, sign-in, disputes, extensions, reminders"),
        (name = "documents", description = "Files attached to the work: streamed uploads, typed by content, ranged downloads"),
        (name = "coordination", description = "Co-handling opinions (协办意见), their approval and delivery, and contacts with deputies (沟通记录)"),
        (name = "replies", description = "Replies (答复): revisions, sign-off by co-handlers (会签), the three-level review, the formal letter as PDF and DOCX"),
        (name = "disclosure", description = "Disclosure (政务公开): the office's decision and publishing; published replies for the public as JSON, Atom and HTML"),
        (name = "evaluations", description = "Evaluations (评价) by the proposers, re-handling, and completion (办结)"),
        (name = "commitments", description = "Commitments (落实) of B-class replies: due dates, progress, the follow-up letter"),
        (name = "supervision", description = "Supervision (督办): the year's figures with their numerators, the annual report"),
        (name = "dashboard", description = "The office's and leaders' dashboard (督办看板): HTML pages behind a session cookie"),
        (name = "sync", description = "The events feed for the municipal system and sync jobs: every change, in commit order, long-polled"),
        (name = "calendar", description = "The working-day calendar and the deadline rules"),
        (name = "audit", description = "The audit log"),
        (name = "operations", description = "Health, readiness, metrics"),
    ),
    modifiers(&CommonAnswers)
)]
pub struct ApiDoc;

/// Adds the bearer scheme, and to every operation the answers any of them can give.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// A body declared `Option<T>` is an optional body of `T`, not a body that may be `null`
/// (a form cannot even say null): `required: false` and the schema of `T`.
fn optional_bodies(op: &mut Operation) {
    use utoipa::openapi::Required;
    use utoipa::openapi::schema::{Schema, Type};
    let Some(RefOr::T(body)) = op.request_body.as_mut() else { return };
    let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into());
    let mut all_optional = !body.content.is_empty();
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        match content.schema.take() {
            Some(RefOr::T(Schema::OneOf(one))) if one.items.len() == 2 && one.items.iter().any(is_null) => {
                content.schema = one.items.into_iter().find(|s| !is_null(s));
            }
            other => {
                content.schema = other;
                all_optional = false;
            }
        }
    }
    if all_optional {
        body.required = Some(Required::False);
    }
}

fn add_common_answers(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, name: &str| {
        responses.entry(status.to_string()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    add("500", "InternalError");
    add("503", "Unavailable");
    let requires_token = op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty()
            && reqs.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty())))
    });
    if requires_token {
        add("401", "Unauthorized");
    }
}

/// The whole document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn spec() -> Spec {
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::app::api_routes)
        .split_for_parts();
    for item in spec.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            add_common_answers(op);
            optional_bodies(op);
        }
    }
    spec
}

/// The document as committed: pretty JSON with a final newline.
pub fn spec_json() -> String {
    let mut text = spec().to_pretty_json().expect("the spec serializes");
    text.push('\n');
    text
}
