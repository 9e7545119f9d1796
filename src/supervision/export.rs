//! The ledger's exports, streamed: CSV (UTF-8 with a BOM) sent page by page as it is read,
//! and an Excel workbook written row by row in rust_xlsxwriter's constant-memory mode to a
//! temporary file and sent from it — so that a year of 100,000 rows holds a page of rows in
//! memory, never the year.

use std::io::{Seek, SeekFrom};

use actix_web::web;
use bytes::Bytes;
use futures_util::Stream;
use uuid::Uuid;

use crate::app::AppState;
use crate::calendar::Clock;
use crate::error::AppError;
use crate::supervision::model::LedgerRow;
use crate::supervision::service::{self, LEDGER_HEADINGS, LedgerScope, ledger_cells};

/// Rows read at a time.
const PAGE: i64 = 2000;

/// The keyset position after a page.
fn after(rows: &[LedgerRow]) -> Option<(String, Uuid)> {
    rows.last().map(|r| (r.external_no.clone(), r.assignment_id))
}

/// The ledger as CSV, a page at a time: the BOM and the Chinese headings first, then each
/// page as it is read. A failure after the first piece ends the body early (the client
/// sees a broken transfer, never a short file that looks whole).
pub fn csv(
    state: web::Data<AppState>,
    scope: LedgerScope,
    clock: Clock,
) -> impl Stream<Item = Result<Bytes, AppError>> {
    struct Next {
        state: web::Data<AppState>,
        clock: Clock,
        after: Option<(String, Uuid)>,
        first: bool,
        done: bool,
    }
    let start = Next { state, clock, after: None, first: true, done: false };
    futures_util::stream::try_unfold(start, move |mut at| async move {
        if at.done {
            return Ok(None);
        }
        let rows = {
            let mut conn = at.state.conn().await?;
            service::ledger(&mut conn, scope, at.after.take(), PAGE, &at.clock).await?
        };
        at.done = rows.len() < PAGE as usize;
        at.after = after(&rows);
        let mut piece = Vec::with_capacity(rows.len() * 200 + 256);
        if at.first {
            piece.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut w = csv::Writer::from_writer(piece);
        let fail = |e: csv::Error| AppError::internal(format!("csv: {e}"));
        if at.first {
            w.write_record(LEDGER_HEADINGS).map_err(fail)?;
            at.first = false;
        }
        for r in &rows {
            w.write_record(ledger_cells(r)).map_err(fail)?;
        }
        let piece = w.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))?;
        Ok(Some((Bytes::from(piece), at)))
    })
}

/// The ledger as an Excel workbook in a temporary file (deleted when closed): pages are
/// read here and written on a blocking thread as they come, two pages at most in between.
pub async fn xlsx(state: web::Data<AppState>, scope: LedgerScope, clock: Clock) -> Result<std::fs::File, AppError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<LedgerRow>>(2);
    let writer = tokio::task::spawn_blocking(move || write_xlsx(rx, scope.year));
    let mut at = None;
    let read = async {
        loop {
            let rows = {
                let mut conn = state.conn().await?;
                service::ledger(&mut conn, scope, at.take(), PAGE, &clock).await?
            };
            let last = rows.len() < PAGE as usize;
            at = after(&rows);
            // A closed channel means the writer failed: its error is the answer.
            if (!rows.is_empty() && tx.send(rows).await.is_err()) || last {
                return Ok::<_, AppError>(());
            }
        }
    };
    let read = read.await;
    drop(tx);
    let written = writer.await.map_err(|e| AppError::internal(format!("the workbook's writer: {e}")))?;
    read?;
    written
}

/// Writes the pages it receives into a constant-memory worksheet: Chinese headings in a
/// frozen first row, column widths for the content, overdue rows coloured.
fn write_xlsx(mut pages: tokio::sync::mpsc::Receiver<Vec<LedgerRow>>, year: i32) -> Result<std::fs::File, AppError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(fail)?;
    sheet.set_name(format!("{year}年建议办理台账")).map_err(fail)?;
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7));
    let overdue = Format::new().set_background_color(Color::RGB(0xFFC7CE));
    const WIDTHS: [f64; 16] =
        [10.0, 40.0, 10.0, 8.0, 16.0, 14.0, 12.0, 11.0, 11.0, 10.0, 12.0, 8.0, 12.0, 11.0, 10.0, 10.0];
    for (c, w) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for (c, h) in LEDGER_HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    let mut row: u32 = 1;
    while let Some(page) = pages.blocking_recv() {
        for r in &page {
            let late = r.due_state == Some(crate::db::enums::DueState::Overdue);
            for (c, text) in ledger_cells(r).iter().enumerate() {
                if late {
                    sheet.write_string_with_format(row, c as u16, text, &overdue).map_err(fail)?;
                } else {
                    sheet.write_string(row, c as u16, text).map_err(fail)?;
                }
            }
            row += 1;
        }
    }
    let io = |e: std::io::Error| AppError::internal(format!("xlsx: {e}"));
    let mut file = tempfile::tempfile().map_err(io)?;
    book.save_to_writer(&mut file).map_err(fail)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(file)
}
