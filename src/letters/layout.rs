//! The letter laid out on A4 pages after GB/T 9704 (信函格式): the issuing authority in
//! red with the red double line, the document number under it, the class mark at the top
//! right, the title in 二号, the body in 三号 with 22 lines of the 156 × 225 mm type area,
//! paragraphs indented two characters, the contact block, the signature and date four
//! characters from the right, the cc list between two rules, and page numbers. Pure: the
//! widths come from a [`Measure`], so tests run without fonts.

use super::fonts::{Face, Measure};
use super::{Block, Letter, chinese_date};

const MM: f32 = 72.0 / 25.4;
pub const PAGE_W: f32 = 210.0 * MM;
pub const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 28.0 * MM;
const WIDTH: f32 = 156.0 * MM;
const TOP: f32 = 37.0 * MM;
const BOTTOM: f32 = TOP + 225.0 * MM;
/// 三号: the body.
const BODY: f32 = 16.0;
/// 22 lines in the type area.
const LINE: f32 = 225.0 * MM / 22.0;
/// 二号: the title.
const TITLE: f32 = 22.0;
const AUTHORITY: f32 = 26.0;
/// 四号: the cc list and page numbers.
const SMALL: f32 = 14.0;

/// Something drawn on a page; `y` is the baseline (text) or the line's middle, from the
/// top of the page, in points.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text { x: f32, y: f32, face: Face, size: f32, red: bool, text: String },
    Rule { x1: f32, x2: f32, y: f32, width: f32, red: bool },
    Frame { x: f32, y: f32, w: f32, h: f32 },
}

/// One page's items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

/// Characters that may not begin a line (禁则): they stay at the end of the previous one.
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’,.;:?!)]%".contains(c)
}

/// Splits `text` into lines: the first `first` points wide, the rest `rest` wide.
pub fn wrap(m: &dyn Measure, face: Face, size: f32, text: &str, first: f32, rest: f32) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let adv = m.advances(face, size, text);
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let avail = if lines.is_empty() { first } else { rest };
        let mut w = 0.0;
        let mut end = start;
        while end < chars.len() && (w + adv[end] <= avail + 0.01 || end == start) {
            w += adv[end];
            end += 1;
        }
        // Closing punctuation hangs at the end of the line rather than begin the next.
        while end < chars.len() && no_line_start(chars[end]) {
            end += 1;
        }
        // A Latin word or a number is not split where a space allows.
        if end < chars.len()
            && chars[end].is_ascii_alphanumeric()
            && chars[end - 1].is_ascii_alphanumeric()
            && let Some(space) = (start + 1..end).rev().find(|&i| !chars[i - 1].is_ascii_alphanumeric())
        {
            end = space;
        }
        lines.push(chars[start..end].iter().collect::<String>().trim_end().to_string());
        start = end;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
    }
    lines
}

struct Pages<'a> {
    m: &'a dyn Measure,
    pages: Vec<Page>,
    y: f32,
}

impl Pages<'_> {
    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        self.m.advances(face, size, text).iter().sum()
    }

    fn items(&mut self) -> &mut Vec<Item> {
        &mut self.pages.last_mut().expect("a page").items
    }

    /// Moves down one line of `height`, starting a page when the type area is full.
    fn advance(&mut self, height: f32) -> f32 {
        if self.y + height > BOTTOM + 0.01 {
            self.pages.push(Page::default());
            self.y = TOP;
        }
        self.y += height;
        self.y
    }

    fn text(&mut self, x: f32, y: f32, face: Face, size: f32, text: &str) {
        if !text.is_empty() {
            self.items().push(Item::Text { x, y, face, size, red: false, text: text.to_string() });
        }
    }

    /// A block of text: wrapped, its first line indented by `indent` characters.
    fn paragraph(&mut self, face: Face, size: f32, line: f32, indent: f32, text: &str) {
        let first = indent * size;
        for (i, l) in wrap(self.m, face, size, text, WIDTH - first, WIDTH).iter().enumerate() {
            let y = self.advance(line) - (line - size) / 2.0;
            self.text(LEFT + if i == 0 { first } else { 0.0 }, y, face, size, l);
        }
    }

    /// A line of text centred on the type area.
    fn centred(&mut self, face: Face, size: f32, line: f32, text: &str) {
        for l in wrap(self.m, face, size, text, WIDTH, WIDTH) {
            let y = self.advance(line) - (line - size) / 2.0;
            let x = LEFT + (WIDTH - self.width(face, size, &l)) / 2.0;
            self.text(x, y, face, size, &l);
        }
    }

    /// A line of text ending `right` characters before the right edge.
    fn right(&mut self, face: Face, size: f32, right: f32, text: &str) -> f32 {
        let y = self.advance(LINE) - (LINE - size) / 2.0;
        let x = LEFT + WIDTH - right * size - self.width(face, size, text);
        self.text(x, y, face, size, text);
        x
    }
}

/// Lays the letter out on pages.
pub fn lay_out(letter: &Letter, m: &dyn Measure) -> Vec<Page> {
    let mut p = Pages { m, pages: vec![Page::default()], y: 0.0 };
    // The head: class mark, authority, red double line, document number.
    if let Some(class) = &letter.class {
        let w = p.width(Face::Bold, BODY, class);
        let (x, y) = (LEFT + WIDTH - w - 8.0, 18.0 * MM);
        p.items().push(Item::Frame { x: x - 6.0, y: y - BODY - 2.0, w: w + 12.0, h: BODY + 10.0 });
        p.items().push(Item::Text { x, y, face: Face::Bold, size: BODY, red: false, text: class.clone() });
    }
    let top = 30.0 * MM;
    for l in wrap(m, Face::Bold, AUTHORITY, &letter.authority, WIDTH, WIDTH) {
        let x = LEFT + (WIDTH - p.width(Face::Bold, AUTHORITY, &l)).max(0.0) / 2.0;
        p.y = p.y.max(top) + AUTHORITY * 1.2;
        let y = p.y;
        p.items().push(Item::Text { x, y, face: Face::Bold, size: AUTHORITY, red: true, text: l });
    }
    let rule = p.y + 4.0 * MM;
    p.items().push(Item::Rule { x1: LEFT, x2: LEFT + WIDTH, y: rule, width: 1.6, red: true });
    p.items().push(Item::Rule { x1: LEFT, x2: LEFT + WIDTH, y: rule + 2.8, width: 0.6, red: true });
    p.y = rule + 3.0 * MM;
    if let Some(no) = &letter.doc_no {
        p.right(Face::Regular, BODY, 1.0, no);
    }
    // Title, addressee, body.
    p.advance(LINE);
    p.centred(Face::Bold, TITLE, TITLE * 1.45, &letter.title);
    p.advance(LINE / 2.0);
    p.paragraph(Face::Regular, BODY, LINE, 0.0, &letter.addressee);
    for b in &letter.blocks {
        match b {
            Block::Heading(t) => p.paragraph(Face::Bold, BODY, LINE, 2.0, t),
            Block::Paragraph(t) => p.paragraph(Face::Regular, BODY, LINE, 2.0, t),
        }
    }
    if !letter.contacts.is_empty() {
        p.advance(LINE);
        for c in &letter.contacts {
            p.paragraph(Face::Regular, BODY, LINE, 2.0, c);
        }
    }
    // Signature centred over the date, the date four characters from the right.
    p.advance(LINE);
    p.advance(LINE);
    let date = chinese_date(letter.date);
    let date_w = p.width(Face::Regular, BODY, &date);
    let sig_w = p.width(Face::Regular, BODY, &letter.signature).min(WIDTH);
    let date_x = LEFT + WIDTH - 4.0 * BODY - date_w;
    let sig_x = (date_x + date_w / 2.0 - sig_w / 2.0).max(LEFT);
    let y = p.advance(LINE) - (LINE - BODY) / 2.0;
    p.text(sig_x, y, Face::Regular, BODY, &letter.signature);
    p.right(Face::Regular, BODY, 4.0, &date);
    // The cc list between two rules.
    if !letter.cc.is_empty() {
        p.advance(LINE);
        let first_rule = p.y + 4.0;
        let text = format!("抄送：{}。", letter.cc.join("，"));
        let lines = wrap(m, Face::Regular, SMALL, &text, WIDTH - 2.0 * SMALL, WIDTH - 2.0 * SMALL);
        if first_rule + LINE * lines.len() as f32 > BOTTOM {
            p.pages.push(Page::default());
            p.y = TOP;
        }
        let first_rule = p.y + 4.0;
        p.items().push(Item::Rule { x1: LEFT, x2: LEFT + WIDTH, y: first_rule, width: 0.7, red: false });
        for l in lines {
            let y = p.advance(LINE * 0.9) - (LINE * 0.9 - SMALL) / 2.0;
            p.text(LEFT + SMALL, y, Face::Regular, SMALL, &l);
        }
        let y = p.y + 6.0;
        p.items().push(Item::Rule { x1: LEFT, x2: LEFT + WIDTH, y, width: 0.7, red: false });
    }
    // Page numbers: — 1 —.
    let count = p.pages.len();
    for (i, page) in p.pages.iter_mut().enumerate() {
        if count > 1 || i > 0 {
            let text = format!("— {} —", i + 1);
            let w: f32 = m.advances(Face::Regular, SMALL, &text).iter().sum();
            let y = BOTTOM + 7.0 * MM + SMALL;
            page.items.push(Item::Text {
                x: (PAGE_W - w) / 2.0,
                y,
                face: Face::Regular,
                size: SMALL,
                red: false,
                text,
            });
        }
    }
    p.pages
}

#[cfg(test)]
pub mod tests {
    use chrono::NaiveDate;

    use super::*;

    /// Every CJK character one em, every ASCII one half.
    pub struct Em;

    impl Measure for Em {
        fn advances(&self, _: Face, size: f32, text: &str) -> Vec<f32> {
            text.chars().map(|c| if c.is_ascii() { size / 2.0 } else { size }).collect()
        }
    }

    fn letter(paragraphs: usize) -> Letter {
        Letter {
            authority: "某市规划和自然资源局".into(),
            doc_no: Some("某规资函〔2023〕12号".into()),
            class: Some("A".into()),
            title: "关于市十六届人大二次会议第183050号代表建议的答复".into(),
            addressee: "王某某代表：".into(),
            blocks: (0..paragraphs).map(|i| Block::Paragraph(format!("第{i}段。{}", "答复内容".repeat(20)))).collect(),
            contacts: vec!["联系人：李某，联系电话：021-12345678".into()],
            signature: "某市规划和自然资源局".into(),
            date: NaiveDate::from_ymd_opt(2023, 6, 20).unwrap(),
            cc: vec!["市人大常委会代表工作委员会".into(), "市政府办公厅".into()],
        }
    }

    fn texts(pages: &[Page]) -> Vec<String> {
        pages
            .iter()
            .flat_map(|p| &p.items)
            .filter_map(|i| if let Item::Text { text, .. } = i { Some(text.clone()) } else { None })
            .collect()
    }

    #[test]
    fn a_body_line_fills_the_156_mm_type_area() {
        let lines = wrap(&Em, Face::Regular, BODY, &"字".repeat(60), WIDTH, WIDTH);
        assert_eq!(lines.iter().map(|l| l.chars().count()).collect::<Vec<_>>(), vec![27, 27, 6]);
        let indented = wrap(&Em, Face::Regular, BODY, &"字".repeat(30), WIDTH - 2.0 * BODY, WIDTH);
        assert_eq!(indented[0].chars().count(), 25);
    }

    #[test]
    fn closing_punctuation_never_begins_a_line_and_words_stay_whole() {
        let text = format!("{}。后文", "字".repeat(27));
        let lines = wrap(&Em, Face::Regular, BODY, &text, WIDTH, WIDTH);
        assert!(lines[0].ends_with('。') && lines[1] == "后文", "{lines:?}");
        let text = format!("{} abcdefgh", "字".repeat(25));
        let lines = wrap(&Em, Face::Regular, BODY, &text, WIDTH, WIDTH);
        assert_eq!(lines[1], "abcdefgh", "{lines:?}");
    }

    #[test]
    fn the_letter_carries_every_part_in_order_and_pages_when_long() {
        let short = lay_out(&letter(1), &Em);
        assert_eq!(short.len(), 1, "a short letter fits one page");
        let t = texts(&lay_out(&letter(3), &Em));
        let pos = |s: &str| t.iter().position(|x| x.contains(s)).unwrap_or_else(|| panic!("{s} missing: {t:?}"));
        assert!(pos("A") < pos("某市规划和自然资源局"));
        assert!(pos("〔2023〕12号") < pos("183050") && pos("183050") < pos("王某某代表"));
        assert!(pos("王某某代表") < pos("第0段") && pos("第2段") < pos("联系人"));
        assert!(pos("联系人") < pos("2023年6月20日") && pos("2023年6月20日") < pos("抄送"));
        let long = lay_out(&letter(40), &Em);
        assert!(long.len() > 2, "{} pages", long.len());
        assert!(texts(&long).contains(&"— 2 —".to_string()));
        for page in &long {
            for item in &page.items {
                if let Item::Text { y, x, .. } = item {
                    assert!(*y <= PAGE_H && *x >= LEFT - 0.01, "{item:?} is off the page");
                }
            }
        }
    }
}
