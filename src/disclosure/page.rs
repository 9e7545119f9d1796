//! The public's documents: the Atom feed and the HTML page a portal links to — server
//! rendered, no JavaScript, readable on a phone. Text is escaped (`ammonia::clean_text`);
//! the page's Content-Security-Policy allows nothing but its own inline style.

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset, Utc};

use crate::disclosure::model::{PublicReply, UnitFigures};

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; \
                        base-uri 'none'; frame-ancestors 'self'";

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

/// The feed of published replies (newest first), `base` the service's public URL.
pub fn atom(items: &[PublicReply], base: &str) -> String {
    let updated = items.first().map_or_else(|| fixed(DateTime::<Utc>::UNIX_EPOCH), |r| fixed(r.published_at));
    let entries: Vec<Entry> = items
        .iter()
        .map(|r| {
            let link = format!("{base}/public/replies/{}", r.id);
            Entry {
                id: format!("urn:uuid:{}", r.id),
                title: Text::plain(format!("{}（{}）", r.title, r.suggestion_title)),
                updated: fixed(r.published_at),
                published: Some(fixed(r.published_at)),
                authors: vec![Person { name: r.unit.clone(), ..Default::default() }],
                links: vec![Link { href: link, rel: "alternate".into(), ..Default::default() }],
                content: Some(Content {
                    value: Some(r.text.clone()),
                    content_type: Some("text".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        id: format!("{base}/public/replies.atom"),
        title: Text::plain("建议提案办理答复公开"),
        updated,
        links: vec![
            Link { href: format!("{base}/public/replies.atom"), rel: "self".into(), ..Default::default() },
            Link { href: format!("{base}/public"), rel: "alternate".into(), ..Default::default() },
        ],
        entries,
        lang: Some("zh-CN".into()),
        ..Default::default()
    };
    feed.to_string()
}

fn esc(s: &str) -> String {
    ammonia::clean_text(s)
}

/// The HTML page: the published replies (or one), and the units' figures for the year.
pub fn html(items: &[PublicReply], figures: &[UnitFigures], year: i32, q: Option<&str>, next: Option<&str>) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>建议提案办理答复公开</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"alternate\" type=\"application/atom+xml\" href=\"/public/replies.atom\">\
         <style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:48rem;margin:0 auto;padding:1rem;\
         line-height:1.7;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-bottom:.2rem}\
         article{border-bottom:1px solid #ddd;padding:.8rem 0}.meta{color:#666;font-size:.9rem}\
         table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ddd;padding:.3rem;text-align:center}\
         input{font-size:1rem;padding:.3rem;max-width:60%}p{white-space:pre-wrap}</style></head><body>",
    );
    out.push_str("<h1>建议提案办理答复公开</h1>");
    out.push_str(&format!(
        "<form method=\"get\" action=\"/public\"><input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"搜索\">\
         <input type=\"hidden\" name=\"year\" value=\"{year}\"> <button type=\"submit\">搜索</button></form>",
        esc(q.unwrap_or(""))
    ));
    if !figures.is_empty() {
        out.push_str(&format!(
            "<h2>{year}年度办理情况</h2><table><tr><th>单位</th><th>主办</th><th>分办</th><th>协办</th><th>已答复</th><th>已公开</th></tr>"
        ));
        for f in figures {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.unit),
                f.lead,
                f.split,
                f.co,
                f.replied,
                f.published
            ));
        }
        out.push_str("</table>");
    }
    if items.is_empty() {
        out.push_str("<p>暂无公开的答复。</p>");
    }
    for r in items {
        let class = r.class.map(|c| format!(" · {}类", c.as_str())).unwrap_or_default();
        let no = r.doc_no.as_deref().map(|n| format!(" · {}", esc(n))).unwrap_or_default();
        let day = r.replied_on.map(|d| format!(" · 答复日期 {d}")).unwrap_or_default();
        out.push_str(&format!(
            "<article><h2><a href=\"/public/replies/{id}\">{title}</a></h2>\
             <div class=\"meta\">{suggestion} · 第{ext}号 · {unit}{class}{no}{day}</div><p>{text}</p></article>",
            id = r.id,
            title = esc(&r.title),
            suggestion = esc(&r.suggestion_title),
            ext = esc(&r.external_no),
            unit = esc(&r.unit),
            text = esc(&r.text),
        ));
    }
    if let Some(cursor) = next {
        let query = serde_urlencoded::to_string([
            ("year", year.to_string().as_str()),
            ("q", q.unwrap_or("")),
            ("cursor", cursor),
        ])
        .unwrap_or_default();
        out.push_str(&format!("<p><a href=\"/public?{}\">下一页</a></p>", esc(&query)));
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::enums::{DisclosureMode, Source};

    fn reply(text: &str) -> PublicReply {
        PublicReply {
            id: uuid::Uuid::nil(),
            title: "关于第183050号代表建议的答复".into(),
            suggestion_title: "关于合理设置公交站点的建议".into(),
            source: Source::Npc,
            year: 2023,
            external_no: "183050".into(),
            unit: "市自然资源和规划局".into(),
            class: None,
            doc_no: None,
            mode: DisclosureMode::Public,
            text: text.into(),
            replied_on: None,
            published_at: "2023-06-20T02:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let page = html(&[reply("<script>alert(1)</script>答复")], &[], 2023, Some("\"><img src=x>"), None);
        assert!(!page.contains("<script>alert") && !page.contains("<img src=x>"), "{page}");
        assert!(page.contains("答复") && page.contains("关于第183050号代表建议的答复"));
    }

    #[test]
    fn the_feed_is_atom() {
        let feed = atom(&[reply("答复正文")], "https://example.gov.cn");
        assert!(feed.contains("<feed") && feed.contains("http://www.w3.org/2005/Atom"), "{feed}");
        assert!(feed.contains("urn:uuid:00000000-0000-0000-0000-000000000000") && feed.contains("答复正文"));
    }
}
