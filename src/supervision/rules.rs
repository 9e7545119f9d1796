//! The figures people report, as plain functions: a rate with its numerator and
//! denominator, and the annual report's basic-situation paragraph written from them.

use crate::supervision::model::{KeyItem, Rate, ScoreWeights, Stats};

/// A rate that anyone can check: `numerator / denominator`, none when nothing was counted.
pub fn rate(numerator: i64, denominator: i64) -> Rate {
    let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
    Rate { numerator, denominator, value }
}

/// Whether a year and a range of dates make a period to count: a year, a range (both ends,
/// in order, at most ten years), or both; else the field to blame and why.
pub fn check_period(
    year: Option<i32>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(), (&'static str, &'static str)> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(("from", "from is after to")),
        (Some(f), Some(t)) if (t - f).num_days() > 3660 => Err(("to", "a range of dates is at most ten years")),
        (Some(_), None) => Err(("to", "from and to go together")),
        (None, Some(_)) => Err(("from", "from and to go together")),
        (None, None) if year.is_none() => Err(("year", "give a year, a range of dates (from and to), or both")),
        _ => Ok(()),
    }
}

/// A rate as the report writes it: "100%", "92.3%", or "—" when nothing was counted.
pub fn percent(r: &Rate) -> String {
    match r.value {
        None => "—".into(),
        Some(v) => {
            let p = (v * 1000.0).round() / 10.0;
            if p.fract() == 0.0 { format!("{p:.0}%") } else { format!("{p:.1}%") }
        }
    }
}

/// The basic-situation paragraph (基本情况) of the annual report, from the year's figures:
/// what the bureau handled by source and role, how far it got, and its rates.
pub fn basic_situation(year: i32, s: &Stats) -> String {
    let count = |pairs: &[(&str, i64)]| -> String {
        pairs.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{what}{n}件")).collect::<Vec<_>>().join("、")
    };
    let sources = count(&[("人大建议", s.by_source.npc), ("政协提案", s.by_source.cppcc)]);
    let sources = if sources.is_empty() { "建议提案0件".to_string() } else { sources };
    let roles = count(&[("主办", s.by_role.lead), ("分办", s.by_role.split), ("协办", s.by_role.co)]);
    let roles = if roles.is_empty() { String::new() } else { format!("（{roles}）") };
    let answered = s.answered;
    let progress = if s.total > 0 && answered == s.total {
        "目前所有建议均答复完毕".to_string()
    } else {
        format!("目前已答复{answered}件，尚有{}件正在办理", s.total - answered)
    };
    let on_time = match s.rates.on_time.value {
        Some(v) if v >= 1.0 => "，均按期答复".to_string(),
        Some(_) => format!("，按期答复率{}", percent(&s.rates.on_time)),
        None => String::new(),
    };
    let (done, satisfied) = (percent(&s.rates.completion), percent(&s.rates.satisfaction_result));
    let rates = if done == satisfied {
        format!("实现了办结率、满意率{done}")
    } else {
        format!("办结率{done}，满意率{satisfied}")
    };
    format!("{year}年，我局负责办理的{sources}{roles}，{progress}{on_time}，{rates}。")
}

/// Text from the data, safe inside the report's Markdown: characters that Markdown or
/// HTML would read as markup are escaped.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '&' | '!') {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The draft of the annual report (办理情况报告) as Markdown: the basic situation computed
/// from the figures, the key suggestions with the measures recorded on them, and the next
/// steps for the office to write.
pub fn report_markdown(year: i32, s: &Stats, keys: &[KeyItem], next_steps: Option<&str>) -> String {
    let mut out = format!("# {year}年建议提案办理工作情况报告\n\n## 一、基本情况\n\n{}\n\n", basic_situation(year, s));
    out += &format!(
        "办结率{}（{}/{}），满意率{}（{}/{}），按期答复率{}（{}/{}），办前沟通率{}（{}/{}），面商率{}（{}/{}）。\n\n",
        percent(&s.rates.completion),
        s.rates.completion.numerator,
        s.rates.completion.denominator,
        percent(&s.rates.satisfaction_result),
        s.rates.satisfaction_result.numerator,
        s.rates.satisfaction_result.denominator,
        percent(&s.rates.on_time),
        s.rates.on_time.numerator,
        s.rates.on_time.denominator,
        percent(&s.rates.contact),
        s.rates.contact.numerator,
        s.rates.contact.denominator,
        percent(&s.rates.face_to_face),
        s.rates.face_to_face.numerator,
        s.rates.face_to_face.denominator,
    );
    out += "## 二、重点建议办理情况\n\n";
    if keys.is_empty() {
        out += "本年度无重点建议。\n\n";
    }
    for k in keys {
        let class = k.class.as_deref().map(|c| format!("，答复为{c}类")).unwrap_or_default();
        out += &format!("### 第{}号《{}》\n\n", plain(&k.external_no), plain(&k.title));
        out += &format!("由我局主办{class}。");
        if k.measures.is_empty() {
            out += "\n\n";
        } else {
            out += "主要措施：\n\n";
            for m in &k.measures {
                out += &format!("- {}\n", plain(m));
            }
            out += "\n";
        }
    }
    out += "## 三、下步打算\n\n";
    match next_steps.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => out += &format!("{text}\n"),
        None => out += "（由办公室撰写。）\n",
    }
    out
}

/// A unit's yearly score, 0 to 100 (one decimal): the rates weighted by the settings'
/// percentages, over the rates that counted anything (a unit with no lead handling has no
/// contact rate; its weight is shared among the others); none when no rate counted.
pub fn score(w: ScoreWeights, on_time: &Rate, contact: &Rate, satisfaction: &Rate) -> Option<f64> {
    let parts = [(w.on_time, on_time), (w.contact, contact), (w.satisfaction, satisfaction)];
    let (sum, weight) = parts
        .iter()
        .filter_map(|(w, r)| r.value.map(|v| (*w as f64 * v, *w as f64)))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    (weight > 0.0).then(|| (sum / weight * 1000.0).round() / 10.0)
}

/// The report's Markdown as a document's title and blocks (for the DOCX): the first-level
/// heading is the title, other headings are headings, paragraphs and list items are
/// paragraphs (a list item keeps its text alone).
pub fn document_blocks(md: &str) -> (String, Vec<crate::letters::Block>) {
    use crate::letters::Block;
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let (mut title, mut blocks, mut text) = (String::new(), Vec::new(), String::new());
    let mut in_item = 0;
    for event in Parser::new(md) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => {}
            Event::Start(Tag::Item) => in_item += 1,
            Event::End(TagEnd::Heading(level)) => {
                let t = std::mem::take(&mut text);
                if level == HeadingLevel::H1 && title.is_empty() {
                    title = t;
                } else {
                    blocks.push(Block::Heading(t));
                }
            }
            Event::End(TagEnd::Paragraph) if in_item == 0 => blocks.push(Block::Paragraph(std::mem::take(&mut text))),
            Event::End(TagEnd::Item) => {
                in_item -= 1;
                blocks.push(Block::Paragraph(std::mem::take(&mut text)));
            }
            _ => {}
        }
    }
    (title, blocks.into_iter().filter(|b| !b.text().trim().is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::model::{ByRole, BySource, Rates};

    fn stats() -> Stats {
        let full = rate(13, 13);
        Stats {
            year: Some(2023),
            total: 13,
            answered: 13,
            by_source: BySource { npc: 13, cppcc: 0 },
            by_role: ByRole { lead: 3, split: 2, co: 8 },
            rates: Rates {
                completion: full.clone(),
                satisfaction_work: full.clone(),
                satisfaction_result: full.clone(),
                on_time: full.clone(),
                contact: rate(5, 5),
                face_to_face: rate(2, 5),
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_seed_years_paragraph_reads_as_the_report() {
        assert_eq!(
            basic_situation(2023, &stats()),
            "2023年，我局负责办理的人大建议13件（主办3件、分办2件、协办8件），目前所有建议均答复完毕，均按期答复，实现了办结率、满意率100%。"
        );
    }

    #[test]
    fn an_unfinished_year_says_how_far_it_got() {
        let mut s = stats();
        s.answered = 11;
        s.by_source.cppcc = 2;
        s.rates.completion = rate(10, 13);
        s.rates.on_time = rate(10, 11);
        let p = basic_situation(2023, &s);
        assert!(p.contains("人大建议13件、政协提案2件"), "{p}");
        assert!(p.contains("目前已答复11件，尚有2件正在办理"), "{p}");
        assert!(p.contains("按期答复率90.9%") && p.contains("办结率76.9%，满意率100%"), "{p}");
    }

    #[test]
    fn the_report_escapes_what_the_data_says() {
        let keys = vec![KeyItem {
            external_no: "183050".into(),
            title: "关于<script>合理设置</script>公交站点的建议".into(),
            class: Some("A".into()),
            measures: vec!["新增**站点**5处".into()],
        }];
        let md = report_markdown(2023, &stats(), &keys, None);
        assert!(
            md.starts_with("# 2023年建议提案办理工作情况报告\n\n## 一、基本情况\n\n2023年，我局负责办理的人大建议13件")
        );
        assert!(md.contains("\\<script\\>") && md.contains("新增\\*\\*站点\\*\\*5处"), "{md}");
        assert!(md.contains("办结率100%（13/13）"), "{md}");
        assert!(md.ends_with("## 三、下步打算\n\n（由办公室撰写。）\n"), "{md}");
        let md = report_markdown(2023, &stats(), &keys, Some("一是加强督办。\n\n二是……"));
        assert!(md.ends_with("## 三、下步打算\n\n一是加强督办。\n\n二是……\n"), "{md}");
    }

    #[test]
    fn the_report_becomes_a_documents_blocks() {
        use crate::letters::Block;
        let keys = vec![KeyItem {
            external_no: "183050".into(),
            title: "关于合理设置公交站点的建议".into(),
            class: Some("A".into()),
            measures: vec!["新增**站点**5处".into()],
        }];
        let (title, blocks) = document_blocks(&report_markdown(2023, &stats(), &keys, Some("一是加强督办。")));
        assert_eq!(title, "2023年建议提案办理工作情况报告");
        assert_eq!(blocks[0], Block::Heading("一、基本情况".into()));
        assert!(matches!(&blocks[1], Block::Paragraph(p) if p.starts_with("2023年，我局负责办理的人大建议13件")));
        assert!(blocks.contains(&Block::Heading("第183050号《关于合理设置公交站点的建议》".into())));
        assert!(blocks.contains(&Block::Paragraph("新增**站点**5处".into())), "the escapes undone: {blocks:?}");
        assert_eq!(blocks.last(), Some(&Block::Paragraph("一是加强督办。".into())));
    }

    #[test]
    fn a_period_is_a_year_a_range_or_both() {
        let d = |s: &str| Some(s.parse::<chrono::NaiveDate>().unwrap());
        assert_eq!(check_period(Some(2023), None, None), Ok(()));
        assert_eq!(check_period(None, d("2023-01-01"), d("2023-12-31")), Ok(()));
        assert_eq!(check_period(Some(2023), d("2023-03-01"), d("2023-03-01")), Ok(()), "one day");
        assert_eq!(check_period(None, None, None).unwrap_err().0, "year");
        assert_eq!(check_period(None, d("2023-01-01"), None).unwrap_err().0, "to");
        assert_eq!(check_period(None, None, d("2023-01-01")).unwrap_err().0, "from");
        assert_eq!(check_period(None, d("2023-02-01"), d("2023-01-31")).unwrap_err().1, "from is after to");
        assert_eq!(check_period(None, d("2013-01-01"), d("2023-01-31")).unwrap_err().0, "to");
    }

    #[test]
    fn a_score_weighs_the_rates_that_counted() {
        let w = ScoreWeights { on_time: 40, contact: 20, satisfaction: 40 };
        assert_eq!(score(w, &rate(10, 10), &rate(5, 5), &rate(4, 4)), Some(100.0));
        // 40×0.5 + 20×1 + 40×0.75 = 70
        assert_eq!(score(w, &rate(1, 2), &rate(1, 1), &rate(3, 4)), Some(70.0));
        // A co-handling section has no contact nor satisfaction rate: on time alone.
        assert_eq!(score(w, &rate(2, 3), &rate(0, 0), &rate(0, 0)), Some(66.7));
        assert_eq!(score(w, &rate(0, 0), &rate(0, 0), &rate(0, 0)), None);
        // A zero weight leaves its rate out.
        let w = ScoreWeights { on_time: 100, contact: 0, satisfaction: 0 };
        assert_eq!(score(w, &rate(1, 4), &rate(0, 3), &rate(0, 1)), Some(25.0));
    }

    #[test]
    fn a_rate_keeps_its_parts_and_nothing_counted_is_no_rate() {
        let r = rate(2, 3);
        assert_eq!((r.numerator, r.denominator), (2, 3));
        assert_eq!(percent(&r), "66.7%");
        assert_eq!(rate(0, 0).value, None);
        assert_eq!(percent(&rate(0, 0)), "—");
    }
}
