//! `/api/v1/stats`, `/api/v1/stats/units`, `/api/v1/reports/annual` (with its next steps
//! and charts) and `/api/v1/ledger`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, put, web};

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::AppError;
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::Json;
use crate::openapi as doc;
use crate::supervision::model::*;
use crate::supervision::{charts, export, service};

/// The figures of the bureau's handling, for a year of suggestions, a range of assignment
/// dates, or both — counts by source, role (lead / split /
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
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("")]
pub async fn get_stats(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(service::stats(&mut conn, &principal, &params, state.today.date()).await?))
}

/// Each handling unit's score for the period, as handling systems compute it: its on-time,
/// contact and satisfaction rates (each with its parts) weighted by the settings'
/// `score_weight_*`, best first. A section's staff see their own.
#[utoipa::path(
    tag = "supervision",
    params(StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The units' scores", body = UnitScores),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("/units")]
pub async fn unit_scores(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(service::unit_scores(&mut conn, &principal, &params).await?))
}

/// The draft of the year's report (办理情况报告): the basic situation written from the
/// figures (never typed in), the key suggestions with the measures recorded on them, and
/// the next steps as the office wrote them — as Markdown, an HTML page with the charts, or
/// a DOCX in the letters' fonts and layout.
#[utoipa::path(
    tag = "supervision",
    params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (String = "text/markdown"),
            (String = "text/html"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        )),
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
    let (md, stats) = service::annual_report(&mut conn, &principal, params.year, state.today.date()).await?;
    let y = params.year;
    Ok(match params.format {
        ReportFormat::Md => HttpResponse::Ok().content_type("text/markdown; charset=utf-8").body(md),
        ReportFormat::Docx => {
            let (title, blocks) = crate::supervision::rules::document_blocks(&md);
            let bytes = crate::letters::docx::render_document(&title, &blocks).map_err(AppError::internal)?;
            let name =
                crate::http::download::content_disposition(&format!("{y}年建议提案办理工作情况报告.docx"), false);
            HttpResponse::Ok()
                .content_type(crate::letters::LetterFormat::Docx.media_type())
                .insert_header((header::CONTENT_DISPOSITION, name))
                .body(bytes)
        }
        ReportFormat::Html => {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
            let body = ammonia::clean(&html);
            let mut figures = String::new();
            for kind in charts::ChartKind::ALL {
                let (title, bars) = kind.bars(&stats);
                let svg = charts::bar_svg(&title, &bars)?;
                figures += &format!("<figure><img alt=\"{title}\" src=\"{}\"></figure>", charts::data_uri(&svg));
            }
            let page = format!(
                "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>{y}年建议提案办理工作情况报告</title><style>body{{max-width:48rem;margin:2rem auto;\
                 padding:0 1rem;font-family:serif;line-height:1.8}}figure{{margin:1rem 0}}img{{max-width:100%}}\
                 </style></head><body>{body}<h2>附图</h2>{figures}</body></html>"
            );
            HttpResponse::Ok()
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                ))
                .content_type("text/html; charset=utf-8")
                .body(page)
        }
    })
}

/// A chart of the year's figures as SVG: by role, class, handling section or month.
#[utoipa::path(
    tag = "supervision",
    params(("kind" = inline(charts::ChartKind), Path, description = "role, class, unit or month"), StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The chart", content((String = "image/svg+xml"))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
#[get("/charts/{kind}")]
pub async fn chart(
    state: web::Data<AppState>,
    principal: Principal,
    kind: web::Path<String>,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let kind = charts::ChartKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind.as_str())
        .ok_or_else(|| AppError::not_found("chart (role, class, unit or month)"))?;
    let mut conn = state.conn().await?;
    let stats = service::stats(&mut conn, &principal, &params, state.today.date()).await?;
    let (title, bars) = kind.bars(&stats);
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .body(charts::bar_svg(&title, &bars)?))
}

/// The year's next steps (下步打算) as the office wrote them: version 0 and no text until
/// it has. Whoever reads the report reads them.
#[utoipa::path(
    tag = "supervision",
    params(("year" = i32, Path, minimum = 1949, maximum = 2200)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The next steps", body = NextSteps, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("/annual/{year}/next-steps")]
pub async fn get_next_steps(
    state: web::Data<AppState>,
    principal: Principal,
    year: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let n = service::next_steps(&mut conn, &principal, *year).await?;
    Ok(tagged(&mut HttpResponse::Ok(), n.version, &n))
}

/// Writes the year's next steps (the office), Markdown; `If-Match` with the ETag last read
/// (`"0"` before any).
#[utoipa::path(
    tag = "supervision",
    request_body = NextStepsBody,
    params(
        ("year" = i32, Path, minimum = 1949, maximum = 2200),
        ("If-Match" = String, Header, description = "The ETag last read (\"0\" before any)")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The next steps now", body = NextSteps, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[put("/annual/{year}/next-steps")]
pub async fn put_next_steps(
    state: web::Data<AppState>,
    principal: Principal,
    year: web::Path<i32>,
    if_match: IfMatch,
    body: Json<NextStepsBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.conn().await?;
    let n = service::write_next_steps(&mut conn, &principal, *year, body.0.text, &if_match).await?;
    Ok(tagged(&mut HttpResponse::Ok(), n.version, &n))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/stats").service(get_stats).service(unit_scores))
        .service(
            utoipa_actix_web::scope("/reports")
                .service(annual_report)
                .service(chart)
                .service(get_next_steps)
                .service(put_next_steps),
        )
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
    let mut conn = state.conn().await?;
    let clock = state.clock(&mut conn).await?;
    let scope = service::ledger_scope(&principal, &params, &clock)?;
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
