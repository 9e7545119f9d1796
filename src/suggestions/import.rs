//! Reading imports: NDJSON (one suggestion per line) and the bureau's xlsx ledger (a
//! heading row, then one suggestion per row). Each row becomes an `Incoming` — parsed, or
//! rejected with its reasons — so that a bad row never stops the good ones.

use calamine::Data;

use crate::error::{AppError, FieldError};
use crate::http::dates::Day;
use crate::http::{json, xlsx};
use crate::suggestions::model::{ImportRow, Source, SyncedSuggestion};
use crate::suggestions::rules::{self, LedgerColumn};
use crate::suggestions::service::Incoming;

/// One row per non-blank line.
pub fn ndjson(body: &[u8]) -> Vec<Incoming> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(i, line)| Incoming {
            line: i + 1,
            row: json::parse::<ImportRow>(line).map_err(|e| {
                if e.field_errors().is_empty() {
                    vec![FieldError::new("line", e.code(), e.detail())]
                } else {
                    e.field_errors().to_vec()
                }
            }),
        })
        .collect()
}

/// What a spreadsheet row lacks a column for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    pub source: Option<Source>,
    pub year: Option<i32>,
}

/// Rows of the first worksheet, by the ledger's headings (建议编号, 标题, 领衔代表, …).
pub fn xlsx(body: &[u8], defaults: Defaults) -> Result<Vec<Incoming>, AppError> {
    let sheet = xlsx::first_sheet(body)?;
    let headings: Vec<Option<LedgerColumn>> = sheet.headings.iter().map(|h| rules::ledger_column(h)).collect();
    let has = |col: LedgerColumn| headings.contains(&Some(col));
    let mut missing: Vec<&str> = Vec::new();
    if !has(LedgerColumn::ExternalNo) {
        missing.push("建议编号");
    }
    if !has(LedgerColumn::Title) {
        missing.push("标题");
    }
    if !missing.is_empty() {
        return Err(xlsx::missing_columns(&missing));
    }
    Ok(sheet
        .rows
        .iter()
        .map(|(line, cells)| Incoming { line: *line, row: ledger_row(&headings, cells, defaults) })
        .collect())
}

fn ledger_row(
    headings: &[Option<LedgerColumn>],
    cells: &[Data],
    defaults: Defaults,
) -> Result<ImportRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut source = defaults.source;
    let mut year = defaults.year;
    let mut external_no = String::new();
    let mut s = SyncedSuggestion::default();
    for (heading, cell) in headings.iter().zip(cells) {
        let Some(column) = heading else { continue };
        let text = xlsx::cell_text(cell);
        match column {
            LedgerColumn::Source if !text.is_empty() => match rules::source_cell(&text) {
                Some(v) => source = Some(v),
                None => errors.push(FieldError::new("来源", "invalid", "人大 or 政协")),
            },
            LedgerColumn::Year if !text.is_empty() => match text.trim_end_matches('年').parse() {
                Ok(v) => year = Some(v),
                Err(_) => errors.push(FieldError::new("年度", "invalid", "a year such as 2023")),
            },
            LedgerColumn::ExternalNo => external_no = text,
            LedgerColumn::SessionLabel => s.session_label = Some(text).filter(|t| !t.is_empty()),
            LedgerColumn::Title => s.title = text,
            LedgerColumn::Body => s.body = text,
            LedgerColumn::Category => s.category = Some(text).filter(|t| !t.is_empty()),
            LedgerColumn::Keywords => s.keywords = rules::names_cell(&text),
            LedgerColumn::Proposer => s.proposer = Some(text).filter(|t| !t.is_empty()),
            LedgerColumn::CoSigners => s.co_signers = rules::names_cell(&text),
            LedgerColumn::IsKey => match rules::yes_no(&text) {
                Some(v) => s.is_key = v,
                None => errors.push(FieldError::new("重点建议", "invalid", "是 or 否")),
            },
            LedgerColumn::ReceivedOn => match xlsx::cell_date(cell).map(|d| d.map(Day::new)) {
                Ok(None) => s.received_on = None,
                Ok(Some(Some(day))) => s.received_on = Some(day),
                Ok(Some(None)) => errors.push(FieldError::new("收到日期", "out_of_range", "a date from 1949 to 2200")),
                Err(xlsx::NotADate) => errors.push(FieldError::new("收到日期", "invalid", "a date such as 2023-02-10")),
            },
            LedgerColumn::Source | LedgerColumn::Year => {}
        }
    }
    let year = year.or_else(|| s.received_on.map(|d| chrono::Datelike::year(&d.get())));
    if year.is_none() {
        errors.push(FieldError::new("年度", "required", "a 年度 column, a 收到日期, or ?year= on the request"));
    }
    if source.is_none() {
        errors.push(FieldError::new("来源", "required", "a 来源 column or ?source= on the request"));
    }
    match (source, year) {
        (Some(source), Some(year)) if errors.is_empty() => Ok(ImportRow { source, year, external_no, content: s }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_rows_keep_their_line_numbers() {
        let body = "{\"source\":\"npc\",\"year\":2023,\"external_no\":\"183050\",\"title\":\"关于合理设置公交站点的建议\"}\n\n\
                    not json\n{\"source\":\"npc\",\"year\":2023,\"external_no\":\"183075\"}\n";
        let rows = ndjson(body.as_bytes());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 1);
        assert_eq!(rows[0].row.as_ref().unwrap().content.title, "关于合理设置公交站点的建议");
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].row.as_ref().unwrap_err()[0].code, "malformed_json");
        assert_eq!(rows[2].row.as_ref().unwrap_err()[0].field, "title");
    }

    #[test]
    fn the_ledger_is_read_by_its_headings() {
        use rust_xlsxwriter::Workbook;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let rows: [[&str; 7]; 3] = [
            ["建议编号", "标题", "领衔代表", "附议代表", "重点建议", "收到日期", "备注"],
            ["183050", "关于合理设置公交站点的建议", "杨国哲", "曹孟、陈少军", "是", "2023-02-10", "x"],
            ["183175", "关于加强黄河流域生态保护与修复的建议", "曹孟", "", "否", "2023年2月11日", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *text).unwrap();
            }
        }
        sheet.write_string(3, 0, "183999").unwrap();
        sheet.write_string(3, 4, "也许").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let defaults = Defaults { source: Some(Source::Npc), year: None };
        let rows = xlsx(&bytes, defaults).unwrap();
        assert_eq!(rows.len(), 3);
        let first = rows[0].row.as_ref().unwrap();
        assert_eq!((first.year, first.external_no.as_str()), (2023, "183050"));
        assert_eq!(first.content.co_signers, vec!["曹孟", "陈少军"]);
        assert!(first.content.is_key);
        assert_eq!(
            rows[1].row.as_ref().unwrap().content.received_on.map(Day::get),
            chrono::NaiveDate::from_ymd_opt(2023, 2, 11)
        );
        assert_eq!(rows[2].line, 4);
        let errors = rows[2].row.as_ref().unwrap_err();
        assert!(errors.iter().any(|e| e.field == "重点建议"));
        assert!(errors.iter().any(|e| e.field == "年度"));

        assert!(xlsx(b"not a spreadsheet", defaults).is_err());
    }
}
