//! The letter as DOCX, through `docx-rs`, editable in Word and WPS: A4 with the GB/T 9704
//! margins, the authority in red over a red double rule, 三号仿宋 body at a fixed 22-line
//! spacing with two-character first-line indents, 二号小标宋 title, 黑体 headings. The
//! fonts are named, not embedded: Word and WPS on a government desk have them.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BorderType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, SpecialIndentType,
};

use super::{Block, Letter, chinese_date};

const FANGSONG: &str = "仿宋_GB2312";
const XIAOBIAOSONG: &str = "方正小标宋简体";
const HEITI: &str = "黑体";
/// Sizes in half-points.
const BODY: usize = 32;
const TITLE: usize = 44;
const AUTHORITY: usize = 52;
const SMALL: usize = 28;
/// 28.95 pt, in twentieths of a point: 22 lines in the 225 mm type area.
const LINE: i32 = 579;
/// Two characters of the body, in twips.
const INDENT: i32 = 640;

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new()
        .add_text(text)
        .size(size)
        .fonts(RunFonts::new().east_asia(font).ascii("Times New Roman").hi_ansi("Times New Roman"))
}

fn line(p: Paragraph) -> Paragraph {
    p.line_spacing(LineSpacing::new().line(LINE).line_rule(LineSpacingType::Exact))
}

fn body(text: &str, font: &str, indent: bool) -> Paragraph {
    let p = line(Paragraph::new().add_run(run(text, font, BODY)).align(AlignmentType::Both));
    if indent { p.indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None) } else { p }
}

fn blank() -> Paragraph {
    line(Paragraph::new().add_run(run("", FANGSONG, BODY)))
}

/// The letter's DOCX bytes.
pub fn render(letter: &Letter) -> Result<Vec<u8>, String> {
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(PageMargin::new().top(2098).bottom(1984).left(1588).right(1474).header(851).footer(992));
    if let Some(class) = &letter.class {
        doc = doc.add_paragraph(Paragraph::new().add_run(run(class, HEITI, BODY).bold()).align(AlignmentType::Right));
    }
    let rule = ParagraphBorders::with_empty().set(
        ParagraphBorder::new(ParagraphBorderPosition::Bottom)
            .val(BorderType::ThickThinSmallGap)
            .size(24)
            .color("E60012"),
    );
    doc = doc.add_paragraph(
        Paragraph::new()
            .add_run(run(&letter.authority, XIAOBIAOSONG, AUTHORITY).color("E60012"))
            .align(AlignmentType::Center)
            .set_borders(rule),
    );
    if let Some(no) = &letter.doc_no {
        doc = doc.add_paragraph(line(Paragraph::new().add_run(run(no, FANGSONG, BODY)).align(AlignmentType::Right)));
    }
    doc = doc.add_paragraph(blank()).add_paragraph(
        Paragraph::new()
            .add_run(run(&letter.title, XIAOBIAOSONG, TITLE))
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().line(700).line_rule(LineSpacingType::Exact)),
    );
    doc = doc.add_paragraph(blank()).add_paragraph(body(&letter.addressee, FANGSONG, false));
    for b in &letter.blocks {
        doc = doc.add_paragraph(match b {
            Block::Heading(t) => body(t, HEITI, true),
            Block::Paragraph(t) => body(t, FANGSONG, true),
        });
    }
    if !letter.contacts.is_empty() {
        doc = doc.add_paragraph(blank());
        for c in &letter.contacts {
            doc = doc.add_paragraph(body(c, FANGSONG, true));
        }
    }
    let right = |text: &str, chars: i32| {
        line(Paragraph::new().add_run(run(text, FANGSONG, BODY)).align(AlignmentType::Right)).indent(
            None,
            None,
            Some(chars * INDENT / 2),
            None,
        )
    };
    doc = doc
        .add_paragraph(blank())
        .add_paragraph(blank())
        .add_paragraph(right(&letter.signature, 2))
        .add_paragraph(right(&chinese_date(letter.date), 4));
    if !letter.cc.is_empty() {
        let rules = ParagraphBorders::with_empty()
            .set(ParagraphBorder::new(ParagraphBorderPosition::Top).val(BorderType::Single).size(6))
            .set(ParagraphBorder::new(ParagraphBorderPosition::Bottom).val(BorderType::Single).size(6));
        doc = doc.add_paragraph(blank()).add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("抄送：{}。", letter.cc.join("，")), FANGSONG, SMALL))
                .indent(Some(280), None, Some(280), None)
                .set_borders(rules),
        );
    }
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// A document that is not a letter (a report): its title in 二号小标宋, then its blocks —
/// headings in 黑体, paragraphs in 仿宋 — on the letters' page and lines.
pub fn render_document(title: &str, blocks: &[Block]) -> Result<Vec<u8>, String> {
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(PageMargin::new().top(2098).bottom(1984).left(1588).right(1474).header(851).footer(992))
        .add_paragraph(
            Paragraph::new()
                .add_run(run(title, XIAOBIAOSONG, TITLE))
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().line(700).line_rule(LineSpacingType::Exact)),
        )
        .add_paragraph(blank());
    for b in blocks {
        doc = doc.add_paragraph(match b {
            Block::Heading(t) => body(t, HEITI, true),
            Block::Paragraph(t) => body(t, FANGSONG, true),
        });
    }
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn the_docx_reads_back_with_every_part() {
        let letter = Letter {
            authority: "某市规划和自然资源局".into(),
            doc_no: Some("某规资函〔2023〕12号".into()),
            class: Some("A".into()),
            title: "关于市十六届人大二次会议第183050号代表建议的答复".into(),
            addressee: "王某某代表：".into(),
            blocks: vec![Block::Heading("一、关于站点".into()), Block::Paragraph("已优化公交站点。".into())],
            contacts: vec!["联系人：李某，联系电话：021-12345678".into()],
            signature: "某市规划和自然资源局".into(),
            date: NaiveDate::from_ymd_opt(2023, 6, 20).unwrap(),
            cc: vec!["市政府办公厅".into()],
        };
        let bytes = render(&letter).unwrap();
        let read = docx_rs::read_docx(&bytes).expect("a reader opens it");
        let text: Vec<String> = read
            .document
            .children
            .iter()
            .filter_map(|c| if let docx_rs::DocumentChild::Paragraph(p) = c { Some(p.raw_text()) } else { None })
            .collect();
        for part in [
            "A",
            "某规资函〔2023〕12号",
            "183050号代表建议的答复",
            "王某某代表：",
            "一、关于站点",
            "2023年6月20日",
            "抄送：市政府办公厅。",
        ] {
            assert!(text.iter().any(|t| t.contains(part)), "{part} missing from {text:?}");
        }
    }
}
