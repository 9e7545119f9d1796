//! Spreadsheet bodies (xlsx), as every import reads them: the media type, the first
//! worksheet's heading row and its non-blank rows, and cells as text or dates.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;

use crate::error::AppError;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An xlsx workbook as a body, for the spec: binary, of the xlsx media type.
pub struct Workbook;

impl utoipa::PartialSchema for Workbook {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .content_media_type(XLSX)
            .description(Some("An xlsx workbook; its first row names the columns"))
            .into()
    }
}

impl utoipa::ToSchema for Workbook {}

/// The first worksheet of a workbook.
pub struct Sheet {
    /// The heading row's cells, as text.
    pub headings: Vec<String>,
    /// The rows after it that are not blank, with their line numbers (the heading is 1).
    pub rows: Vec<(usize, Vec<Data>)>,
}

impl Sheet {
    /// The column whose heading is one of `names`.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headings.iter().position(|h| names.contains(&h.as_str()))
    }
}

/// Reads the first worksheet; 400 when the body is not a readable xlsx workbook.
pub fn first_sheet(body: &[u8]) -> Result<Sheet, AppError> {
    let unreadable =
        |e: String| AppError::bad_request("unreadable_spreadsheet", format!("not a readable xlsx file: {e}"));
    let mut book: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(body))
        .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("no worksheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let mut rows = range.rows();
    let headings = rows.next().map(|r| r.iter().map(cell_text).collect()).unwrap_or_default();
    let rows = rows
        .enumerate()
        .filter(|(_, cells)| !cells.iter().all(|c| cell_text(c).is_empty()))
        .map(|(i, cells)| (i + 2, cells.to_vec()))
        .collect();
    Ok(Sheet { headings, rows })
}

/// 422 naming the headings a sheet lacks.
pub fn missing_columns(missing: &[&str]) -> AppError {
    AppError::unprocessable(
        "missing_columns",
        format!("the first row must name the columns; missing: {}", missing.join(", ")),
    )
}

/// A cell as trimmed text: whole numbers without a decimal point, dates as `YYYY-MM-DD`.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::DateTime(d) => d.as_datetime().map(|d| d.date().to_string()).unwrap_or_default(),
        other => other.to_string().trim().to_string(),
    }
}

/// A cell that should be a date and is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotADate;

/// A date cell (a spreadsheet date, or text `date_text` reads); empty is `None`.
pub fn cell_date(cell: &Data) -> Result<Option<NaiveDate>, NotADate> {
    match cell {
        Data::Empty => Ok(None),
        Data::DateTime(dt) => dt.as_datetime().map(|d| Some(d.date())).ok_or(NotADate),
        other => {
            let text = cell_text(other);
            if text.is_empty() { Ok(None) } else { date_text(&text).map(Some).ok_or(NotADate) }
        }
    }
}

/// A date as people type it: 2023-02-10, 2023/2/10, 2023.2.10 or 2023年2月10日.
pub fn date_text(cell: &str) -> Option<NaiveDate> {
    let normalized: String = cell
        .trim()
        .chars()
        .map(|c| if matches!(c, '/' | '.' | '年' | '月') { '-' } else { c })
        .filter(|c| *c != '日')
        .collect();
    NaiveDate::parse_from_str(&normalized, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_people_type_them() {
        let d = NaiveDate::from_ymd_opt(2023, 2, 10);
        for text in ["2023-02-10", "2023/2/10", "2023.2.10", "2023年2月10日", " 2023-2-10 "] {
            assert_eq!(date_text(text), d, "{text}");
        }
        assert_eq!(date_text("二〇二三年"), None);
        assert_eq!(cell_date(&Data::String("2023/2/10".into())), Ok(d));
        assert_eq!(cell_date(&Data::Empty), Ok(None));
        assert_eq!(cell_date(&Data::String("soon".into())), Err(NotADate));
    }

    #[test]
    fn cells_read_as_text() {
        assert_eq!(cell_text(&Data::Float(183050.0)), "183050");
        assert_eq!(cell_text(&Data::String(" 关于 ".into())), "关于");
        assert!(first_sheet(b"not a spreadsheet").is_err());
    }
}
