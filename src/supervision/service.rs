//! Supervision reads: the year's statistics and the annual report's draft, for the office,
//! leaders and admins (the bureau's figures) and for a section (its own).

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::{Operation, Principal};
use crate::error::AppError;
use crate::supervision::model::*;
use crate::supervision::queries;
use crate::supervision::rules;

/// The caller's reach: every figure (none), or a section's own (its unit); 403 otherwise.
fn reach(principal: &Principal) -> Result<Option<Uuid>, AppError> {
    let s = principal.require(Operation::SupervisionRead)?;
    if s.all {
        return Ok(None);
    }
    match principal.unit_id {
        Some(unit) if s.own_unit => Ok(Some(unit)),
        _ => Err(AppError::forbidden("your roles do not allow this operation")),
    }
}

fn year(y: i32) -> Result<i32, AppError> {
    if (1949..=2200).contains(&y) {
        Ok(y)
    } else {
        Err(AppError::bad_request("invalid_query", "year must be from 1949 to 2200"))
    }
}

/// The year's figures, each rate with its numerator and denominator.
pub async fn stats(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    today: NaiveDate,
) -> Result<Stats, AppError> {
    let unit = reach(principal)?;
    let y = year(y)?;
    let figures = queries::figures(conn, y, unit, today).await?;
    Ok(assemble(y, unit, figures))
}

fn assemble(year: i32, unit_id: Option<Uuid>, figures: Vec<queries::Figure>) -> Stats {
    let mut s = Stats { year, unit_id, ..Default::default() };
    for f in figures {
        let count = Count { key: f.key.clone(), count: f.n };
        match f.kind.as_str() {
            "total" => s.total = f.n,
            "answered" => s.answered = f.n,
            "overdue" => s.overdue = f.n,
            "role" => match f.key.as_str() {
                "lead" => s.by_role.lead = f.n,
                "split" => s.by_role.split = f.n,
                _ => s.by_role.co = f.n,
            },
            "source" => match f.key.as_str() {
                "npc" => s.by_source.npc = f.n,
                _ => s.by_source.cppcc = f.n,
            },
            "status" => s.by_status.push(count),
            "class" => s.by_class.push(count),
            "unit" => s.by_unit.push(count),
            "category" => s.by_category.push(count),
            "completion" => s.rates.completion = rules::rate(f.n, f.d),
            "satisfaction_work" => s.rates.satisfaction_work = rules::rate(f.n, f.d),
            "satisfaction_result" => s.rates.satisfaction_result = rules::rate(f.n, f.d),
            "on_time" => s.rates.on_time = rules::rate(f.n, f.d),
            "contact" => s.rates.contact = rules::rate(f.n, f.d),
            "face_to_face" => s.rates.face_to_face = rules::rate(f.n, f.d),
            _ => {}
        }
    }
    for list in [&mut s.by_status, &mut s.by_class, &mut s.by_unit, &mut s.by_category] {
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    }
    s
}

/// The annual report's draft as Markdown, from the year's figures and key suggestions.
pub async fn annual_report(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    today: NaiveDate,
) -> Result<String, AppError> {
    let unit = reach(principal)?;
    let y = year(y)?;
    let s = assemble(y, unit, queries::figures(conn, y, unit, today).await?);
    let mut keys: Vec<KeyItem> = Vec::new();
    for k in queries::key_items(conn, y, unit).await? {
        // The latest round's reply of each key suggestion (rows come latest round first).
        if keys.iter().any(|x| x.external_no == k.external_no) {
            continue;
        }
        let measures = k.points.into_iter().chain(k.commitments).collect();
        keys.push(KeyItem { external_no: k.external_no, title: k.title, class: k.class, measures });
    }
    Ok(rules::report_markdown(&s, &keys))
}

/// The ledger: a page (or, for an export, the whole year) of the bureau's handlings, or a
/// section's own; a confidential proposer's name only for the office and admins.
pub async fn ledger(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    params: &LedgerParams,
    after: Option<(String, Uuid)>,
    limit: Option<i64>,
    clock: &crate::calendar::Clock,
) -> Result<Vec<LedgerRow>, AppError> {
    let own = reach(principal)?;
    let y = year(params.year)?;
    let unit = own.or(params.unit_id);
    let names = principal.scope(Operation::DeputyRead).all;
    let rows = queries::ledger(conn, y, unit, after, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| LedgerRow {
            assignment_id: r.assignment_id,
            suggestion_id: r.suggestion_id,
            external_no: r.external_no,
            title: r.title,
            proposer: r.proposer.map(|n| if r.confidential && !names { "＊＊＊".into() } else { n }),
            role: r.role,
            section: r.section,
            leader: r.leader,
            liaison: r.liaison,
            assigned_on: r.assigned_on,
            due_on: r.due_on,
            due_state: r.state.is_open().then(|| clock.due_state(r.due_on)),
            state: r.state,
            reply_class: r.reply_class,
            submission: r.submission,
            published_at: r.published_at,
            evaluation: r.evaluation,
            open_commitments: r.open_commitments,
        })
        .collect())
}

/// The ledger's columns, as its exports head them.
const LEDGER_HEADINGS: [&str; 16] = [
    "建议编号",
    "标题",
    "领衔代表",
    "办理方式",
    "承办科室",
    "分管领导",
    "联络员",
    "交办日期",
    "办理期限",
    "期限状态",
    "当前环节",
    "答复类别",
    "报送",
    "公开时间",
    "评价",
    "未完成承诺",
];

/// A ledger row's cells, in the headings' order.
fn ledger_cells(r: &LedgerRow) -> [String; 16] {
    let opt = |v: Option<&str>| v.unwrap_or("").to_string();
    [
        r.external_no.clone(),
        r.title.clone(),
        opt(r.proposer.as_deref()),
        r.role.as_str().to_string(),
        opt(r.section.as_deref()),
        opt(r.leader.as_deref()),
        opt(r.liaison.as_deref()),
        r.assigned_on.to_string(),
        r.due_on.to_string(),
        opt(r.due_state.map(|s| s.as_str())),
        r.state.as_str().to_string(),
        opt(r.reply_class.map(|c| c.as_str())),
        opt(r.submission.map(|s| s.as_str())),
        r.published_at.map(|t| crate::calendar::days::local_date(t).to_string()).unwrap_or_default(),
        opt(r.evaluation.map(|e| e.as_str())),
        r.open_commitments.to_string(),
    ]
}

/// The ledger as CSV: UTF-8 with a byte-order mark (so that Excel reads the Chinese right)
/// and Chinese headers.
pub fn ledger_csv(rows: &[LedgerRow]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail = |e: csv::Error| AppError::internal(format!("csv: {e}"));
    w.write_record(LEDGER_HEADINGS).map_err(fail)?;
    for r in rows {
        w.write_record(ledger_cells(r)).map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))
}

/// The ledger as an Excel workbook: Chinese headers in a frozen first row, column widths
/// for the content, overdue rows coloured.
pub fn ledger_xlsx(rows: &[LedgerRow], year: i32) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(format!("{year}年建议办理台账")).map_err(fail)?;
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7));
    let overdue = Format::new().set_background_color(Color::RGB(0xFFC7CE));
    for (c, h) in LEDGER_HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    const WIDTHS: [f64; 16] =
        [10.0, 40.0, 10.0, 8.0, 16.0, 14.0, 12.0, 11.0, 11.0, 10.0, 12.0, 8.0, 12.0, 11.0, 10.0, 10.0];
    for (c, w) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        let late = r.due_state == Some(crate::db::enums::DueState::Overdue);
        for (c, text) in ledger_cells(r).iter().enumerate() {
            if late {
                sheet.write_string_with_format(row, c as u16, text, &overdue).map_err(fail)?;
            } else {
                sheet.write_string(row, c as u16, text).map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}
