//! Full-text search that works for Chinese: text becomes tokens — overlapping character
//! bigrams of each run of Chinese (CJK) characters, and lower-cased words of other
//! letters and digits — stored as a weighted `tsvector` (title A, keywords B, body D).
//! A query term matches as a phrase of its bigrams, so `公交站点` finds
//! 《关于合理设置公交站点的建议》 and `黄河 生态` finds both words anywhere.
//!
//! Bigrams need no dictionary (place and project names are found as typed), give exact
//! substring recall for terms of two or more characters, and do not depend on the
//! database's locale: the service writes the tsvector itself.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};

use crate::db::schema::sql_types::Tsvector;

/// PostgreSQL keeps positions up to 16383 and at most 256 positions per lexeme.
const MAX_POSITION: u16 = 16383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// Whether a character is written without spaces between words (Han, kana, hangul).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// The tokens of a text, in order.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_run(&mut run, &mut out);
            flush_word(&mut word, &mut out);
        }
    }
    flush_run(&mut run, &mut out);
    flush_word(&mut word, &mut out);
    out
}

/// The weight of a part of a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    A = 3,
    B = 2,
    D = 0,
}

/// A tsvector built by the service: lexeme → (position, weight) in increasing position.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Tsvector)]
pub struct SearchVector(BTreeMap<String, Vec<(u16, Weight)>>);

impl SearchVector {
    /// The vector of a suggestion's title, keywords and body.
    pub fn of(title: &str, keywords: &[String], body: &str) -> Self {
        let mut v = SearchVector::default();
        let mut position: u16 = 0;
        for (text, weight) in [(title, Weight::A), (&keywords.join(" "), Weight::B), (body, Weight::D)] {
            for token in tokens(text) {
                position = (position + 1).min(MAX_POSITION);
                let positions = v.0.entry(token).or_default();
                // Positions must rise strictly; clamped ones past the limit are dropped.
                if positions.len() < MAX_POSITIONS_PER_LEXEME && positions.last().is_none_or(|(p, _)| *p < position) {
                    positions.push((position, weight));
                }
            }
            // A gap, so that no phrase runs from one part into the next.
            position = (position + 1).min(MAX_POSITION);
        }
        v
    }

    /// The tsvector in PostgreSQL's text form (for SQL and tests).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (lexeme, positions) in &self.0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&quote(lexeme));
            out.push(':');
            let list: Vec<String> =
                positions.iter().map(|(p, w)| format!("{p}{}", ["D", "C", "B", "A"][*w as usize])).collect();
            out.push_str(&list.join(","));
        }
        out
    }
}

/// The binary form `tsvector_recv` reads: lexeme count, then each lexeme as a C string,
/// its position count, and positions with the weight in the top two bits.
impl ToSql<Tsvector, Pg> for SearchVector {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(&(self.0.len() as i32).to_be_bytes())?;
        for (lexeme, positions) in &self.0 {
            out.write_all(lexeme.as_bytes())?;
            out.write_all(&[0])?;
            out.write_all(&(positions.len() as u16).to_be_bytes())?;
            for (position, weight) in positions {
                out.write_all(&(((*weight as u16) << 14) | position).to_be_bytes())?;
            }
        }
        Ok(IsNull::No)
    }
}

/// A lexeme quoted for tsvector and tsquery text.
fn quote(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
}

/// The tsquery text of a user's search: each whitespace-separated term is a phrase of its
/// tokens; all terms must match. A single Chinese character matches as a prefix.
/// `None` when the search has no letters or digits.
pub fn query(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split_whitespace()
        .filter_map(|term| {
            let tokens = tokens(term);
            match tokens.as_slice() {
                [] => None,
                [one] if one.chars().count() == 1 && one.chars().all(is_cjk) => Some(format!("{}:*", quote(one))),
                _ => Some(format!("({})", tokens.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" <-> "))),
            }
        })
        .take(16)
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// Bigrams that say nothing about a suggestion's topic (关于…的建议, 进一步加强…).
const STOP_TOKENS: &[&str] = &[
    "关于", "于进", "进一", "一步", "步加", "加强", "强对", "的建", "建议", "的提", "提案", "议案", "关于", "推进",
    "进我", "我市", "市的", "全市", "工作", "的意", "意见", "和完", "完善", "提高", "切实", "于加",
];

/// Function characters: a bigram holding one spans a phrase boundary (点的, 于合).
const FUNCTION_CHARS: &[char] = &['的', '于', '和', '与', '及', '对', '在', '之', '等', '为', '了', '并'];

/// The distinct topical tokens of a title.
pub fn topic_tokens(title: &str) -> BTreeSet<String> {
    tokens(title)
        .into_iter()
        .filter(|t| t.chars().count() > 1 && !STOP_TOKENS.contains(&t.as_str()) && !t.contains(FUNCTION_CHARS))
        .collect()
}

/// The tsquery text matching any topical token of a title, for finding similar ones.
pub fn any_of(topic: &BTreeSet<String>) -> Option<String> {
    (!topic.is_empty()).then(|| topic.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" | "))
}

/// How alike two titles' topics are: the Dice coefficient of their topical tokens (0 to 1).
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_becomes_bigrams_and_other_words_stay_whole() {
        assert_eq!(tokens("公交站点"), vec!["公交", "交站", "站点"]);
        assert_eq!(tokens("关于G20峰会，的 5G建设"), vec!["关于", "g20", "峰会", "的", "5g", "建设"]);
        assert_eq!(tokens("河"), vec!["河"]);
        assert_eq!(tokens("183050号"), vec!["183050", "号"]);
        assert!(tokens("，。、！ ——").is_empty());
    }

    #[test]
    fn vectors_weigh_title_keywords_and_body() {
        let v = SearchVector::of("公交站点", &["港湾式".into()], "站点");
        assert_eq!(v.to_text(), "'交站':2A '公交':1A '港湾':5B '湾式':6B '站点':3A,8D");
    }

    #[test]
    fn vectors_respect_postgres_limits() {
        let body = "黄河".repeat(20_000);
        let v = SearchVector::of("t", &[], &body);
        for positions in v.0.values() {
            assert!(positions.len() <= MAX_POSITIONS_PER_LEXEME);
            assert!(positions.windows(2).all(|w| w[0].0 < w[1].0), "rising positions");
            assert!(positions.iter().all(|(p, _)| *p <= MAX_POSITION));
        }
    }

    #[test]
    fn queries_are_phrases_of_bigrams_joined_by_and() {
        assert_eq!(query("公交站点").unwrap(), "('公交' <-> '交站' <-> '站点')");
        assert_eq!(query("黄河 生态").unwrap(), "('黄河') & ('生态')");
        assert_eq!(query("河").unwrap(), "'河':*");
        assert_eq!(query("183050").unwrap(), "('183050')");
        assert_eq!(query("O'Brien").unwrap(), "('o' <-> 'brien')");
        assert!(query("  ，。 ").is_none());
        assert!(query("").is_none());
    }

    #[test]
    fn similar_titles_share_topical_bigrams() {
        let a = topic_tokens("关于合理设置公交站点的建议");
        let b = topic_tokens("关于优化城区公交站点布局的建议");
        let c = topic_tokens("关于进一步保障粮食安全的建议");
        assert!(!a.contains("建议") && !a.contains("关于"));
        assert!(similarity(&a, &b) > 0.3, "{}", similarity(&a, &b));
        assert_eq!(similarity(&a, &c), 0.0);
        assert_eq!(similarity(&a, &a), 1.0);
        assert!(any_of(&a).unwrap().contains("'公交' | "));
    }
}
