//! `/api/v1/units`, `/api/v1/users`, `/api/v1/me` and `/api/v1/deputies`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::policy::Operation;
use crate::auth::principal::Principal;
use crate::directory::model::*;
use crate::directory::{queries, rules, service};
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::json::Json;
use crate::http::pagination::{Page, PageParams};
use crate::openapi as doc;

/// Units, by name.
#[utoipa::path(
    tag = "directory",
    params(UnitFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of units", body = Page<Unit>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_units(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<UnitFilter>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows = queries::units(&mut conn, &filter, page.after.clone(), page.fetch()).await?;
    let body: Page<Unit> = page.page(rows, &state.cursors, |r| (r.name.clone(), r.id), Unit::from);
    Ok(HttpResponse::Ok().json(body))
}

/// Creates a unit (admin). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "directory",
    request_body = NewUnit,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Unit,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, description = "A unit with this name exists, or the same Idempotency-Key is in flight", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_unit(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewUnit>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    let mut conn = state.conn().await?;
    let actor = principal.actor();
    create_once(&mut conn, principal.user_id, &key, "POST /units", &body.0, async |conn| {
        let unit = service::create_unit(conn, &actor, &body).await?;
        Ok(Created::new(format!("/api/v1/units/{}", unit.id), unit.version, &unit))
    })
    .await
}

/// One unit.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The unit", body = Unit, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let mut conn = state.conn().await?;
    let unit: Unit = queries::unit(&mut conn, *id).await?.ok_or_else(|| AppError::not_found("unit"))?.into();
    Ok(tagged(&mut HttpResponse::Ok(), unit.version, &unit))
}

/// Renames, deactivates or reactivates a unit (admin). Requires `If-Match`.
#[utoipa::path(
    tag = "directory",
    request_body = UnitPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed unit", body = Unit, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("/{id}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UnitPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let unit = service::update_unit(&mut conn, &principal.actor(), *id, &if_match, &body).await?;
    Ok(tagged(&mut HttpResponse::Ok(), unit.version, &unit))
}

/// Deletes a unit nothing refers to (admin); otherwise 409 — deactivate it instead.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "Users or other records refer to the unit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[delete("/{id}")]
pub async fn delete_unit(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::delete_unit(&mut conn, &principal.actor(), *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Users, by username.
#[utoipa::path(
    tag = "directory",
    params(UserFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<UserFilter>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows = queries::users(&mut conn, &filter, page.after.clone(), page.fetch()).await?;
    let body: Page<User> = page.page(rows, &state.cursors, |r| (r.username.to_lowercase(), r.id), User::from);
    Ok(HttpResponse::Ok().json(body))
}

/// Creates a person or a service account (admin). A generated password or client secret
/// is in this answer only. Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "directory",
    request_body = NewUser,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedUser, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, description = "The username is taken, or the same Idempotency-Key is in flight", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewUser>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    let mut conn = state.conn().await?;
    let prepared = service::prepare_user(&mut conn, &body).await?;
    let actor = principal.actor();
    create_once(&mut conn, principal.user_id, &key, "POST /users", &body.fingerprint(), async |conn| {
        let created = service::create_user(conn, &actor, prepared).await?;
        let location = format!("/api/v1/users/{}", created.user.id);
        // A generated secret is shown in the first answer only, and never stored.
        Ok(Created::new(location, created.user.version, &created).replayed_as(&created.user))
    })
    .await
}

/// One user.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let mut conn = state.conn().await?;
    let user: User = queries::user(&mut conn, *id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
    Ok(tagged(&mut HttpResponse::Ok(), user.version, &user))
}

/// Changes a user (admin): name, roles, unit, active, password, or a new client secret.
/// Changing roles, unit, credentials or `active` ends the user's sessions at once.
#[utoipa::path(
    tag = "directory",
    request_body = UserPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user (with `client_secret` when rotated)", body = CreatedUser, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, description = "`would_lock_out`: an admin removing their own admin role or disabling themselves", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UserPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let updated = service::update_user(&mut conn, &principal.actor(), *id, &if_match, &body).await?;
    if updated.sessions_ended {
        state.auth.forget_sessions();
    }
    let version = updated.user.version;
    let body = CreatedUser { user: updated.user, initial_password: None, client_secret: updated.client_secret };
    Ok(tagged(&mut HttpResponse::Ok(), version, &body))
}

/// Deletes a user nothing refers to (admin); otherwise 409 — disable them instead.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[delete("/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    service::delete_user(&mut conn, &principal.actor(), *id, &if_match).await?;
    state.auth.forget_sessions();
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: account, roles and unit.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me))
)]
#[get("")]
pub async fn me(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let user: User =
        queries::user(&mut conn, principal.user_id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
    let unit = match user.unit_id {
        Some(id) => queries::unit(&mut conn, id).await?.map(Unit::from),
        None => None,
    };
    Ok(HttpResponse::Ok().json(Me { user, unit, session_id: principal.session_id }))
}

/// Changes the caller's password; their other sessions end.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, response = doc::BadRequest),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, description = "Wrong current password, or a weak new one", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    service::change_own_password(&mut conn, &principal.actor(), principal.user_id, principal.session_id, &body).await?;
    state.auth.forget_sessions();
    Ok(HttpResponse::NoContent().finish())
}

/// Deputies and members, by name (office, admin; a deputy sees their own record).
#[utoipa::path(
    tag = "deputies",
    params(DeputyFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deputies", body = Page<Deputy>),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn list_deputies(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<DeputyFilter>,
) -> Result<HttpResponse, AppError> {
    let scope = principal.require(Operation::DeputyRead)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve(&state.cursors)?;
    let mut conn = state.conn().await?;
    let viewer = service::viewer(&mut conn, &principal).await?;
    let only = if scope.all { None } else { Some(viewer.deputy_id.unwrap_or_default()) };
    let rows = queries::deputies(&mut conn, &filter, only, page.after.clone(), page.fetch()).await?;
    let body: Page<Deputy> =
        page.page(rows, &state.cursors, |r| (r.name.clone(), r.id), |r| rules::deputy_for(&viewer, r));
    Ok(HttpResponse::Ok().json(body))
}

/// Registers a deputy or member (office, admin). Accepts `Idempotency-Key`.
#[utoipa::path(
    tag = "deputies",
    request_body = NewDeputy,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Deputy, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[post("")]
pub async fn create_deputy(
    state: web::Data<AppState>,
    principal: Principal,
    key: IdempotencyKey,
    body: Json<NewDeputy>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DeputyWrite)?;
    let mut conn = state.conn().await?;
    let actor = principal.actor();
    create_once(&mut conn, principal.user_id, &key, "POST /deputies", &body.0, async |conn| {
        let row = service::create_deputy(conn, &actor, &body).await?;
        let deputy = rules::deputy_for(&Viewer { privileged: true, deputy_id: None }, row);
        Ok(Created::new(format!("/api/v1/deputies/{}", deputy.id), deputy.version, &deputy))
    })
    .await
}

/// One deputy or member.
#[utoipa::path(
    tag = "deputies",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The deputy", body = Deputy, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
#[get("/{id}")]
pub async fn get_deputy(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let scope = principal.require(Operation::DeputyRead)?;
    let mut conn = state.conn().await?;
    let viewer = service::viewer(&mut conn, &principal).await?;
    if !scope.all && viewer.deputy_id != Some(*id) {
        return Err(AppError::not_found("deputy"));
    }
    let row = queries::deputy(&mut conn, *id).await?.ok_or_else(|| AppError::not_found("deputy"))?;
    let deputy = rules::deputy_for(&viewer, row);
    Ok(tagged(&mut HttpResponse::Ok(), deputy.version, &deputy))
}

/// Changes a deputy or member (office, admin). Requires `If-Match`.
#[utoipa::path(
    tag = "deputies",
    request_body = DeputyPatch,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed deputy", body = Deputy, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 412, response = doc::PreconditionFailed),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("/{id}")]
pub async fn update_deputy(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DeputyPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DeputyWrite)?;
    if_match.require()?;
    let mut conn = state.conn().await?;
    let row = service::update_deputy(&mut conn, &principal.actor(), *id, &if_match, &body).await?;
    let deputy = rules::deputy_for(&Viewer { privileged: true, deputy_id: None }, row);
    Ok(tagged(&mut HttpResponse::Ok(), deputy.version, &deputy))
}

/// Each collection under a scope of its own: actix matches a static prefix without trying
/// each route.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use utoipa_actix_web::scope;
    cfg.service(
        scope("/units")
            .service(list_units)
            .service(create_unit)
            .service(get_unit)
            .service(update_unit)
            .service(delete_unit),
    )
    .service(
        scope("/users")
            .service(list_users)
            .service(create_user)
            .service(get_user)
            .service(update_user)
            .service(delete_user),
    )
    .service(scope("/me").service(me).service(change_password))
    .service(
        scope("/deputies").service(list_deputies).service(create_deputy).service(get_deputy).service(update_deputy),
    );
}
