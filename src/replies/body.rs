//! A reply's body: Markdown cleaned on the way in — raw HTML dropped, links kept only to
//! http, https and mailto, images (remote resources) reduced to their text — so that no
//! script, handler or remote resource ever comes back out; the HTML shown is rendered
//! from the cleaned Markdown and passed through `ammonia` once more. The letter reads the
//! same cleaned text as blocks. Pure functions.

use std::sync::LazyLock;

pub use crate::letters::Block;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The longest body, in characters.
pub const MAX_CHARS: usize = 50_000;

/// A cleaned body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The cleaned Markdown: what is stored and shown to editors.
    pub markdown: String,
    /// The blocks of the letter, in order.
    pub blocks: Vec<Block>,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn allowed_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|s| lower.starts_with(s))
}

/// The events of `markdown` with raw HTML, unsafe links and images taken out.
fn clean_events(markdown: &str) -> Vec<Event<'_>> {
    let mut out = Vec::new();
    // For each open link: whether it was kept (so that its end is kept or dropped alike).
    let mut links: Vec<bool> = Vec::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => {}
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = allowed_url(dest_url);
                links.push(keep);
                if keep {
                    out.push(event);
                }
            }
            Event::End(TagEnd::Link) => {
                if links.pop().unwrap_or(false) {
                    out.push(event);
                }
            }
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
            e => out.push(e),
        }
    }
    out
}

/// Cleans a body, or says why it cannot be used.
pub fn clean(markdown: &str) -> Result<Body, &'static str> {
    if markdown.chars().count() > MAX_CHARS {
        return Err("too_long");
    }
    let events = clean_events(markdown);
    let mut cleaned = String::new();
    pulldown_cmark_to_cmark::cmark(events.iter().cloned(), &mut cleaned, options()).map_err(|_| "invalid")?;
    let blocks = blocks(&events);
    if blocks.is_empty() {
        return Err("required");
    }
    Ok(Body { markdown: cleaned, blocks })
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"]).url_schemes(["http", "https", "mailto"].into()).link_rel(Some("noopener noreferrer"));
    b
});

/// The HTML of a cleaned body, sanitized once more.
pub fn html(markdown: &str) -> String {
    let mut raw = String::new();
    pulldown_cmark::html::push_html(&mut raw, clean_events(markdown).into_iter());
    SANITIZER.clean(&raw).to_string()
}

/// The blocks of a cleaned body's Markdown.
pub fn blocks_of(markdown: &str) -> Vec<Block> {
    blocks(&clean_events(markdown))
}

/// The plain text of a body, a block a line: what versions are compared on.
pub fn text_of(markdown: &str) -> String {
    blocks_of(markdown).iter().map(Block::text).collect::<Vec<_>>().join("\n")
}

/// A line break inside a paragraph: nothing between Chinese characters, a space between words.
fn push_break(buf: &mut String) {
    if buf.chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation()) {
        buf.push(' ');
    }
}

fn blocks(events: &[Event<'_>]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut buf = String::new();
    // Ordered lists' next numbers; None for a bullet list.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let flush = |buf: &mut String, heading: bool, out: &mut Vec<Block>| {
        let t = buf.trim().to_string();
        buf.clear();
        if !t.is_empty() {
            out.push(if heading { Block::Heading(t) } else { Block::Paragraph(t) });
        }
    };
    for e in events {
        match e {
            Event::Start(Tag::Heading { .. })
            | Event::Start(Tag::Paragraph)
            | Event::Start(Tag::TableRow)
            | Event::Start(Tag::TableHead)
                if !buf.trim().is_empty() && lists.is_empty() =>
            {
                flush(&mut buf, false, &mut out)
            }
            Event::End(TagEnd::Heading(_)) => flush(&mut buf, true, &mut out),
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::CodeBlock)
            | Event::End(TagEnd::TableRow)
            | Event::End(TagEnd::TableHead) => {
                if lists.is_empty() {
                    flush(&mut buf, false, &mut out);
                } else {
                    push_break(&mut buf);
                }
            }
            Event::Start(Tag::List(start)) => {
                if !buf.trim().is_empty() {
                    flush(&mut buf, false, &mut out);
                }
                lists.push(*start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                if !buf.trim().is_empty() {
                    flush(&mut buf, false, &mut out);
                }
                if let Some(Some(n)) = lists.last_mut() {
                    buf.push_str(&format!("{n}. "));
                    *n += 1;
                }
            }
            Event::End(TagEnd::Item) => flush(&mut buf, false, &mut out),
            Event::End(TagEnd::TableCell) => buf.push('\u{3000}'),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => buf.push_str(t),
            Event::SoftBreak | Event::HardBreak => push_break(&mut buf),
            Event::Rule => flush(&mut buf, false, &mut out),
            _ => {}
        }
    }
    flush(&mut buf, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_scripts_never_come_back() {
        let b = clean("您好。<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<b onclick=\"x()\">加粗</b>")
            .unwrap();
        assert!(!b.markdown.contains("<script") && !b.markdown.contains("onerror") && !b.markdown.contains("onclick"));
        assert!(b.markdown.contains("加粗"), "{}", b.markdown);
        let h = html(&b.markdown);
        assert!(!h.contains("<script") && !h.contains("onerror") && !h.contains("onclick"), "{h}");
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        let b = clean("[点我](javascript:alert(1)) [官网](https://example.gov.cn) [x](JaVaScRiPt:1) <javascript:alert(2)> [d](data:text/html,1)")
            .unwrap();
        assert!(!b.markdown.to_lowercase().contains("](javascript"), "{}", b.markdown);
        assert!(!b.markdown.contains("](data:"), "{}", b.markdown);
        assert!(b.markdown.contains("](https://example.gov.cn)"), "{}", b.markdown);
        let h = html(&b.markdown).to_lowercase();
        assert!(!h.contains("href=\"javascript") && !h.contains("href=\"data"), "{h}");
        assert!(h.contains("href=\"https://example.gov.cn\""), "{h}");
        assert!(b.blocks[0].text().contains("点我"), "the link's text stays: {:?}", b.blocks);
    }

    #[test]
    fn images_are_reduced_to_their_text() {
        let b = clean("见图：![公交站点示意图](https://tracker.example/x.png)").unwrap();
        assert!(!b.markdown.contains("tracker.example"), "{}", b.markdown);
        assert!(!html(&b.markdown).contains("<img"));
        assert_eq!(b.blocks, vec![Block::Paragraph("见图：公交站点示意图".into())]);
    }

    #[test]
    fn blocks_follow_headings_paragraphs_and_lists() {
        let md = "王代表：\n\n您提出的建议收悉。\n现答复如下：\n\n## 一、关于站点设置\n\n1. 优化站点\n2. 增设候车亭\n\n- 其他\n";
        let b = clean(md).unwrap();
        assert_eq!(
            b.blocks,
            vec![
                Block::Paragraph("王代表：".into()),
                Block::Paragraph("您提出的建议收悉。现答复如下：".into()),
                Block::Heading("一、关于站点设置".into()),
                Block::Paragraph("1. 优化站点".into()),
                Block::Paragraph("2. 增设候车亭".into()),
                Block::Paragraph("其他".into()),
            ]
        );
        // Cleaning is stable: the cleaned text cleans to itself.
        assert_eq!(clean(&b.markdown).unwrap(), b);
    }

    #[test]
    fn an_empty_or_over_long_body_is_refused() {
        assert_eq!(clean("<script>x</script>"), Err("required"));
        assert_eq!(clean("   "), Err("required"));
        assert_eq!(clean(&"字".repeat(MAX_CHARS + 1)), Err("too_long"));
    }
}
