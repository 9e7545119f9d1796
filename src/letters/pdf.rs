//! The letter as PDF, through `krilla`: the laid-out pages drawn with the CJK fonts
//! embedded as subsets (only the glyphs used), with the text extractable (pdftotext gives
//! back the Chinese).

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use super::Letter;
use super::fonts::Fonts;
use super::layout::{Item, PAGE_H, PAGE_W, lay_out};

const RED: (u8, u8, u8) = (230, 0, 18);

fn colour(red: bool) -> rgb::Color {
    if red { rgb::Color::new(RED.0, RED.1, RED.2) } else { rgb::Color::new(0, 0, 0) }
}

/// The letter's PDF bytes.
pub fn render(letter: &Letter, fonts: &Fonts) -> Result<Vec<u8>, String> {
    let pages = lay_out(letter, fonts);
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title(letter.title.clone()).language("zh-CN".into()).creator("jianyi".into()));
    for page in &pages {
        let mut p = doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?);
        let mut s = p.surface();
        for item in &page.items {
            match item {
                Item::Text { x, y, face, size, red, text } => {
                    s.set_stroke(None);
                    s.set_fill(Some(Fill { paint: colour(*red).into(), ..Fill::default() }));
                    s.draw_text(Point::from_xy(*x, *y), fonts.font(*face), *size, text, false, TextDirection::Auto);
                }
                Item::Rule { x1, x2, y, width, red } => {
                    let mut b = PathBuilder::new();
                    b.move_to(*x1, *y);
                    b.line_to(*x2, *y);
                    if let Some(path) = b.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke { paint: colour(*red).into(), width: *width, ..Stroke::default() }));
                        s.draw_path(&path);
                    }
                }
                Item::Frame { x, y, w, h } => {
                    let mut b = PathBuilder::new();
                    b.push_rect(Rect::from_xywh(*x, *y, *w, *h).ok_or("frame")?);
                    if let Some(path) = b.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke { paint: colour(false).into(), width: 0.8, ..Stroke::default() }));
                        s.draw_path(&path);
                    }
                }
            }
        }
        s.finish();
        p.finish();
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::letters::Block;

    /// With the system's fonts (skipped, and said so, without them): a two-page letter
    /// whose fonts are subset — far smaller than the 26 MB collections.
    #[test]
    fn the_pdf_embeds_subset_fonts() {
        let fonts = match Fonts::load(None) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("SKIPPED the_pdf_embeds_subset_fonts: {e}");
                return;
            }
        };
        let letter = Letter {
            authority: "某市规划和自然资源局".into(),
            doc_no: Some("某规资函〔2023〕12号".into()),
            class: Some("A".into()),
            title: "关于市十六届人大二次会议第183050号代表建议的答复".into(),
            addressee: "王某某代表：".into(),
            blocks: (0..12)
                .map(|i| Block::Paragraph(format!("第{i}段：公交站点优化。{}", "答复内容".repeat(20))))
                .collect(),
            contacts: vec!["联系人：李某，联系电话：021-12345678".into()],
            signature: "某市规划和自然资源局".into(),
            date: NaiveDate::from_ymd_opt(2023, 6, 20).unwrap(),
            cc: vec!["市政府办公厅".into()],
        };
        let bytes = render(&letter, &fonts).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() < 400_000, "{} bytes: the fonts are not subset", bytes.len());
        if let Ok(dir) = std::env::var("JIANYI_LETTER_SAMPLE") {
            std::fs::write(std::path::Path::new(&dir).join("letter-sample.pdf"), &bytes).unwrap();
        }
    }
}
