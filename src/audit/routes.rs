//! `GET /api/v1/audit`.

use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::audit::model::{AuditEntry, AuditFilter};
use crate::audit::queries;
use crate::auth::policy::Operation;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::http::pagination::{Page, PageParams};

/// The audit log, newest first (admin).
#[utoipa::path(
    tag = "audit",
    params(AuditFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of audit entries", body = Page<AuditEntry>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<AuditFilter>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::AuditRead)?;
    let page = PageParams { limit: filter.limit, cursor: filter.cursor.clone() }.resolve::<i64>(&state.cursors)?;
    let mut conn = state.conn().await?;
    let rows = queries::list(&mut conn, &filter, page.after, page.fetch()).await?;
    Ok(HttpResponse::Ok().json(page.page(rows, &state.cursors, |r| r.id, |r| r)))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit);
}
