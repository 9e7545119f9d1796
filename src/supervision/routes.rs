//! `/api/v1/stats` and `/api/v1/reports/annual`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppError;
use crate::openapi as doc;
use crate::supervision::model::*;
use crate::supervision::service;

/// The year's figures of the bureau's handling — counts by source, role (lead / split /
/// co), status, class, section and category; completion (办结率), satisfaction (满意率, of
/// the work and of the result, basically satisfied counting), on-time, contact and
/// face-to-face (面商率) rates, each with its numerator and denominator; open handlings
/// overdue. The office, leaders and admins see the bureau's; a section's staff its own;
/// nobody else.
#[utoipa::path(
    tag = "supervision",
    params(StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn get_stats(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(service::stats(&mut conn, &principal, params.year, state.today.date()).await?))
}

/// The draft of the year's report (办理情况报告), as Markdown or an HTML page: the basic
/// situation written from the figures (never typed in), the key suggestions with the
/// measures recorded on them, and the next steps for the office to write.
#[utoipa::path(
    tag = "supervision",
    params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content((String = "text/markdown"), (String = "text/html"))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/annual")]
pub async fn annual_report(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ReportParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let md = service::annual_report(&mut conn, &principal, params.year, state.today.date()).await?;
    Ok(match params.format {
        ReportFormat::Md => HttpResponse::Ok().content_type("text/markdown; charset=utf-8").body(md),
        ReportFormat::Html => {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
            let body = ammonia::clean(&html);
            let page = format!(
                "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>{}年建议提案办理工作情况报告</title><style>body{{max-width:48rem;margin:2rem auto;\
                 padding:0 1rem;font-family:serif;line-height:1.8}}</style></head><body>{body}</body></html>",
                params.year
            );
            HttpResponse::Ok()
                .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
                .content_type("text/html; charset=utf-8")
                .body(page)
        }
    })
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/stats").service(get_stats))
        .service(utoipa_actix_web::scope("/reports").service(annual_report));
}
