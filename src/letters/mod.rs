//! Formal letters (公文) laid out after GB/T 9704 — the reply letter (答复函) and the
//! co-handling opinion letter (协办意见函) — as DOCX (editable in Word and WPS) and as PDF
//! with the CJK fonts embedded and subset. Below every domain: a domain fills a
//! [`Letter`] and asks for bytes; this module knows nothing of suggestions or replies.

pub mod docx;
pub mod fonts;
pub mod layout;
pub mod pdf;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use fonts::Fonts;

use crate::error::AppError;
use crate::http::download::content_disposition;

/// One block of a letter's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading (一、…), set in the heading face.
    Heading(String),
    /// A paragraph, its first line indented two characters.
    Paragraph(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Heading(t) | Block::Paragraph(t) => t,
        }
    }
}

/// What a letter says, in the order GB/T 9704 sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// 发文机关标志: the issuing authority, in red at the top.
    pub authority: String,
    /// 文号, under the red line.
    pub doc_no: Option<String>,
    /// The class mark at the top right (A, B, C or D), if any.
    pub class: Option<String>,
    /// 标题.
    pub title: String,
    /// 主送: whom it is addressed to, with the closing colon.
    pub addressee: String,
    /// 正文.
    pub blocks: Vec<Block>,
    /// The contact block: responsible leader and handler, with their phones.
    pub contacts: Vec<String>,
    /// 落款: the signing authority.
    pub signature: String,
    /// 成文日期.
    pub date: NaiveDate,
    /// 抄送.
    pub cc: Vec<String>,
}

/// A date as a letter writes it: 2023年6月20日.
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A name safe for a `Content-Disposition` file name and for any file system: no path
/// separators or control characters, at most 100 characters.
pub fn file_name(title: &str, extension: &str) -> String {
    let base: String = title
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .take(100)
        .collect();
    let base = base.trim().trim_matches('.');
    format!("{}.{extension}", if base.is_empty() { "letter" } else { base })
}

/// A letter's format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LetterFormat {
    /// PDF with the CJK fonts embedded and subset; the text extractable.
    #[default]
    Pdf,
    /// DOCX, editable in Word and WPS.
    Docx,
}

impl LetterFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            LetterFormat::Pdf => "application/pdf",
            LetterFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            LetterFormat::Pdf => "pdf",
            LetterFormat::Docx => "docx",
        }
    }
}

/// A rendered letter: its file name, format and bytes.
pub struct Rendered {
    pub file_name: String,
    pub format: LetterFormat,
    pub bytes: Vec<u8>,
}

/// Renders a letter off the request threads (a PDF takes milliseconds of CPU). Without
/// the fonts a PDF is a 503 that says how to install them.
pub async fn render(
    letter: Letter,
    format: LetterFormat,
    font_dir: Option<std::path::PathBuf>,
) -> Result<Rendered, AppError> {
    let file_name = file_name(&letter.title, format.extension());
    let bytes = actix_web::rt::task::spawn_blocking(move || match format {
        LetterFormat::Pdf => {
            let fonts = Fonts::shared(font_dir.as_deref())
                .map_err(|e| AppError::new(StatusCode::SERVICE_UNAVAILABLE, "letter_fonts_missing", e))?;
            pdf::render(&letter, fonts).map_err(AppError::internal)
        }
        LetterFormat::Docx => docx::render(&letter).map_err(AppError::internal),
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))??;
    Ok(Rendered { file_name, format, bytes })
}

/// A rendered letter as a download.
pub fn response(r: Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(r.format.media_type())
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(&r.file_name, false)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(r.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_file_names() {
        assert_eq!(chinese_date(NaiveDate::from_ymd_opt(2023, 6, 5).unwrap()), "2023年6月5日");
        assert_eq!(file_name("关于../合理设置\u{0}公交站点的答复", "pdf"), "关于.._合理设置公交站点的答复.pdf");
        assert_eq!(file_name("..", "docx"), "letter.docx");
        assert_eq!(file_name(&"字".repeat(300), "pdf").chars().count(), 104);
    }
}
