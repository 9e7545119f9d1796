//! `/api/v1/assignments`, `/disputes` and `/extensions`.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::assignments::model::*;
use crate::assignments::rules::Action;
use crate::assignments::service::{assigning, disputes, due_states, extensions, reminders};
use crate::assignments::{queries, service, table};
use crate::auth::{Operation, Principal};
use crate::error::AppError;
use crate::http::dates::Year;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::{Json, unsupported_media_type};
use crate::http::pagination::{Page, PageParams};
use crate::http::xlsx;
use crate::openapi as doc;

/// Assignments the caller may see: key suggestions first, then by due date. `due_state`
/// filters open ones by today's due state (超期预警).
#[utoipa::path(
    tag = "assignments",
    params(AssignmentFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of assignments", body = Page<Assignment>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<AssignmentFilter>,
) -> Result<HttpResponse, AppError> {
    let scope = service::scope(&principal, Operation::AssignmentRead)?;
    let page =
        PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve::<queries::After>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let rows =
        queries::list(&mut conn, &filter, &scope, clock.today, clock.soon_until(), page.after, page.fetch()).await?;
    let body: Page<Assignment> =
        page.page(rows, &state.cursors, |r| (r.is_key, r.row.due_on, r.row.id), |r| service::to_assignment(&clock, r));
    Ok(HttpResponse::Ok().json(body))
}

/// Assigns a suggestion to units as lead, split or co (the office): at most one lead, co
/// units only beside a lead, split units without one. Due dates come from the deadline
/// rules and the working-day calendar. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "assignments",
    request_body = NewAssignments,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The assignments made", body = AssignmentList, headers(("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewAssignments>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::Assign)?;
    let mut conn = state.conn().await?;
    let actor = principal.actor();
    create_once(&mut conn, principal.user_id, &key, "POST /assignments", &body.0, async |conn| {
        let ids = assigning::assign(conn, &actor, &body, state.today.date()).await?;
        let clock = state.clock(conn).await?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            items.push(service::read(conn, &principal, id, &clock).await?);
        }
        let location = format!("/api/v1/assignments?suggestion_id={}", body.suggestion_id);
        let mut created = Created::new(location, 1, &AssignmentList { items });
        created.version = None;
        Ok(created)
    })
    .await
}

/// Open assignments per unit (the bureau's section, else the unit) by due state.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts per unit", body = DueCountList),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/due-counts")]
pub async fn due_counts(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let scope = service::scope(&principal, Operation::HandlingRead)?;
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let rows = queries::due_counts(&mut conn, &scope, clock.today, clock.soon_until()).await?;
    let items = rows
        .into_iter()
        .map(|r| DueCounts {
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            on_track: r.on_track,
            due_soon: r.due_soon,
            overdue: r.overdue,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DueCountList { items }))
}

/// The year of the task assignment table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TableParams {
    pub year: Year,
}

/// The year's task assignment table (任务分工表) as an xlsx workbook.
#[utoipa::path(
    tag = "assignments",
    params(TableParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = xlsx::Workbook),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/table")]
pub async fn export_table(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<TableParams>,
) -> Result<HttpResponse, AppError> {
    let scope = service::scope(&principal, Operation::HandlingRead)?;
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let bytes = table::export(&mut conn, &scope, params.year.get(), &clock).await?;
    Ok(HttpResponse::Ok()
        .content_type(xlsx::XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"assignments-{}.xlsx\"", params.year),
        ))
        .body(bytes))
}

/// Imports a task assignment table (the office): one row per unit, by the table's
/// headings (建议编号, 年度, 来源, 办理类型, 承办单位, 承办科室, 分管领导, 联络员, 交办日期).
/// Each suggestion's rows are assigned together or rejected together; the answer reports
/// every row.
#[utoipa::path(
    tag = "assignments",
    request_body(
        content((xlsx::Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
        description = "The task table: one row per unit",
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each row", body = table::TableReport),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/import")]
pub async fn import_table(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::Assign)?;
    let mime = req.mime_type().ok().flatten().map(|m| m.essence_str().to_string()).unwrap_or_default();
    if mime != xlsx::XLSX {
        return Err(unsupported_media_type(xlsx::XLSX));
    }
    let limit = state.config.import_limit;
    let body = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| {
            AppError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("an import is at most {limit} bytes"),
            )
        })?
        .map_err(|_| AppError::bad_request("unreadable_body", "the request body could not be read"))?;
    let rows = table::parse(&body)?;
    let mut conn = state.conn().await?;
    let report = table::import(&mut conn, &principal.actor(), rows, state.today.date()).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// One assignment, if the caller may see it (else 404).
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The assignment", body = Assignment, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_assignment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let a = service::read(&mut conn, &principal, *id, &clock).await?;
    Ok(tagged(&mut HttpResponse::Ok(), a.version, &a))
}

/// How the due date was computed: the rule, the start date, the holidays and 调休
/// working weekends counted, and any extension.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The explanation", body = DeadlineExplanation),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("/{id}/deadline")]
pub async fn explain_deadline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    Ok(HttpResponse::Ok().json(due_states::explain(&mut conn, &principal, *id, &clock).await?))
}

async fn act(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
    if_match: &IfMatch,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    assigning::act(&mut conn, principal, id, action, if_match).await?;
    let clock = state.clock(&mut conn).await?;
    let a = service::read(&mut conn, principal, id, &clock).await?;
    Ok(tagged(&mut HttpResponse::Ok(), a.version, &a))
}

/// The unit signs the assignment in (签收). Requires `If-Match`.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Signed in", body = Assignment, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`illegal_transition`: `allowed` lists what is possible", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/sign-in")]
pub async fn sign_in(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    act(&state, &principal, *id, Action::SignIn, &if_match).await
}

/// The unit starts handling (办理中). Requires `If-Match`.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Started", body = Assignment, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`illegal_transition`: `allowed` lists what is possible", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/start")]
pub async fn start(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    act(&state, &principal, *id, Action::Start, &if_match).await
}

/// The unit asks to be reassigned (交办异议), within the dispute window; it keeps the item
/// until the office decides. Requires `If-Match` (the assignment's ETag).
#[utoipa::path(
    tag = "assignments",
    request_body = NewDispute,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The assignment's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The dispute", body = Dispute, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`illegal_transition`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, description = "`dispute_window_closed`, or invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/disputes")]
pub async fn create_dispute(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewDispute>,
) -> Result<HttpResponse, AppError> {
    if_match.require()?;
    let mut conn = state.conn().await?;
    let d = disputes::dispute(&mut conn, &principal, *id, &if_match, &body, state.today.date()).await?;
    let location = format!("/api/v1/assignments/{}/disputes", d.assignment_id);
    Ok(tagged(HttpResponse::Created().insert_header((header::LOCATION, location)), d.version, &d))
}

/// An assignment's disputes.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The disputes", body = Vec<Dispute>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}/disputes")]
pub async fn list_disputes(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    service::read_for(&mut conn, &principal, Operation::HandlingRead, *id, &clock).await?;
    Ok(HttpResponse::Ok().json(queries::disputes_of(&mut conn, *id).await?))
}

/// The unit asks for more time.
#[utoipa::path(
    tag = "assignments",
    request_body = NewExtension,
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The request", body = Extension, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`extension_pending` or `illegal_transition`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/{id}/extensions")]
pub async fn create_extension(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: Json<NewExtension>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let e = extensions::request_extension(&mut conn, &principal, *id, &body).await?;
    let location = format!("/api/v1/assignments/{}/extensions", e.assignment_id);
    Ok(tagged(HttpResponse::Created().insert_header((header::LOCATION, location)), e.version, &e))
}

/// An assignment's extension requests.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests", body = Vec<Extension>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}/extensions")]
pub async fn list_extensions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    service::read_for(&mut conn, &principal, Operation::HandlingRead, *id, &clock).await?;
    Ok(HttpResponse::Ok().json(queries::extensions_of(&mut conn, *id).await?))
}

/// Sends a reminder (催办) to the unit: the office, or the responsible leader.
#[utoipa::path(
    tag = "assignments",
    request_body = NewReminder,
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The reminder", body = Reminder, headers(("Location" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`illegal_transition`: the assignment is closed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("/{id}/reminders")]
pub async fn create_reminder(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: Json<NewReminder>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let r = reminders::remind(&mut conn, &principal, *id, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/assignments/{}/reminders", r.assignment_id)))
        .json(r))
}

/// An assignment's reminders.
#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reminders", body = Vec<Reminder>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}/reminders")]
pub async fn list_reminders(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    service::read_for(&mut conn, &principal, Operation::HandlingRead, *id, &clock).await?;
    Ok(HttpResponse::Ok().json(queries::reminders_of(&mut conn, *id).await?))
}

/// The office decides a dispute: accept (and name the unit that takes over) or refuse.
/// Requires `If-Match` (the dispute's ETag).
#[utoipa::path(
    tag = "assignments",
    request_body = DisputeDecision,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The dispute's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decided dispute", body = Dispute, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`already_decided`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/decision")]
pub async fn decide_dispute(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DisputeDecision>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::Assign)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let d = disputes::decide_dispute(
        &mut conn,
        &principal.actor(),
        principal.user_id,
        *id,
        &if_match,
        &body,
        state.today.date(),
    )
    .await?;
    Ok(tagged(&mut HttpResponse::Ok(), d.version, &d))
}

/// The office approves an extension — up to the rule's cap, recording what the deputy was
/// told — or refuses it. Requires `If-Match` (the extension's ETag).
#[utoipa::path(
    tag = "assignments",
    request_body = ExtensionDecision,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The extension's ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decided request", body = Extension, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`already_decided`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, description = "`beyond_extension_cap` (`limit` says how far), or missing explanation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[post("/{id}/decision")]
pub async fn decide_extension(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ExtensionDecision>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::Assign)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let e =
        extensions::decide_extension(&mut conn, &principal.actor(), principal.user_id, *id, &if_match, &body).await?;
    Ok(tagged(&mut HttpResponse::Ok(), e.version, &e))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use utoipa_actix_web::scope;
    cfg.service(
        scope("/assignments")
            .service(list_assignments)
            .service(create_assignments)
            .service(due_counts)
            .service(export_table)
            .service(import_table)
            .service(get_assignment)
            .service(explain_deadline)
            .service(sign_in)
            .service(start)
            .service(create_dispute)
            .service(list_disputes)
            .service(create_extension)
            .service(list_extensions)
            .service(create_reminder)
            .service(list_reminders),
    )
    .service(scope("/disputes").service(decide_dispute))
    .service(scope("/extensions").service(decide_extension));
}
