//! `/api/v1/stats`, `/api/v1/reports/annual` and `/api/v1/ledger`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppError;
use crate::openapi as doc;
use crate::supervision::model::*;
use crate::supervision::{export, service};

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
        .service(utoipa_actix_web::scope("/reports").service(annual_report))
        .service(utoipa_actix_web::scope("/ledger").service(get_ledger));
}

/// The ledger (台账): one row per suggestion and the bureau's handling — number, title,
/// proposer (a confidential one's name only for the office and admins), role, section,
/// leader, liaison, assigned, due, due state, the latest step, reply class, submission,
/// publication, evaluation, open commitments — in number order with a keyset cursor; or the
/// whole year as CSV (`format=csv`, UTF-8 with a BOM) or Excel (`format=xlsx`: frozen
/// header, column widths, overdue rows coloured). A section's staff see their own rows.
#[utoipa::path(
    tag = "supervision",
    params(LedgerParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the ledger, or the year as CSV", content(
            (crate::http::pagination::Page<LedgerRow> = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn get_ledger(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<LedgerParams>,
) -> Result<HttpResponse, AppError> {
    use crate::http::pagination::{Page, PageParams};
    let scope = service::ledger_scope(&principal, &params)?;
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    if params.format != LedgerFormat::Json {
        drop(conn);
        let ext = if params.format == LedgerFormat::Csv { "csv" } else { "xlsx" };
        let name = crate::http::download::content_disposition(&format!("{}年建议办理台账.{ext}", params.year), false);
        let mut ok = HttpResponse::Ok();
        ok.insert_header((header::CONTENT_DISPOSITION, name));
        return Ok(if params.format == LedgerFormat::Csv {
            ok.content_type("text/csv; charset=utf-8").streaming(export::csv(state.clone(), scope, clock))
        } else {
            let file = export::xlsx(state.clone(), scope, clock).await?;
            let body =
                crate::http::download::file_body(file).map_err(|e| AppError::internal(format!("the workbook: {e}")))?;
            ok.content_type(crate::http::xlsx::XLSX).body(body)
        });
    }
    let page = PageParams { limit: params.limit, cursor: params.cursor.clone() }
        .resolve::<(String, uuid::Uuid)>(&state.cursors)?;
    let rows = service::ledger(&mut conn, scope, page.after.clone(), page.fetch(), &clock).await?;
    let p = page.page(rows, &state.cursors, |r| (r.external_no.clone(), r.assignment_id), |r| r);
    Ok(HttpResponse::Ok().json(Page { items: p.items, next_cursor: p.next_cursor }))
}
