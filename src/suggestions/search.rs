//! Full-text search that works for Chinese: text becomes tokens — overlapping character
//! bigrams of each run of Chinese (CJK) characters, and lower-cased words of other
//! letters and digits. A suggestion has two `tsvector`s: `search` holds the lexemes of
//! title, keywords and body (for matching), `title_search` those of title (A) and keywords
//! (B) with positions (for ranking and for similar suggestions). A query term matches when
//! all its bigrams do, so `公交站点` finds 《关于合理设置公交站点的建议》 and `黄河 生态` finds
//! both words anywhere; title matches rank first.
//!
//! Bigrams need no dictionary (place and project names are found as typed), give
//! substring recall for terms of two or more characters, and do not depend on the
//! database's locale: the service writes the tsvectors itself. Matching needs no
//! positions, so GIN answers it exactly without reading the (large) body vectors.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};

use crate::db::schema::sql_types::Tsvector;

/// PostgreSQL keeps positions up to 16383 and at most 256 positions per lexeme.
const MAX_POSITION: u16 = 16383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;
/// A word longer than this is cut to it (PostgreSQL takes lexemes of at most 2,047 bytes;
/// no word anyone searches for is longer), the same in texts and in queries.
const MAX_WORD_CHARS: usize = 100;

/// Whether a character is written without spaces between words (Han, kana, hangul).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// The tokens of a text, in order; borrowed from the text unless lower-casing changed them.
pub fn tokens<'a>(text: &'a str) -> Vec<Cow<'a, str>> {
    let mut out = Vec::with_capacity(text.len() / 3 + 1);
    // Byte offsets of the current run of CJK characters, and of the current word.
    let mut run: Vec<usize> = Vec::new();
    let mut word: Option<usize> = None;
    let flush_run = |run: &mut Vec<usize>, end: usize, out: &mut Vec<Cow<'a, str>>| {
        match run.len() {
            0 => {}
            1 => out.push(Cow::Borrowed(&text[run[0]..end])),
            n => {
                for i in 0..n - 1 {
                    let stop = if i + 2 < n { run[i + 2] } else { end };
                    out.push(Cow::Borrowed(&text[run[i]..stop]));
                }
            }
        }
        run.clear();
    };
    let flush_word = |word: &mut Option<usize>, end: usize, out: &mut Vec<Cow<'a, str>>| {
        if let Some(start) = word.take() {
            let w = &text[start..end];
            let w = w.char_indices().nth(MAX_WORD_CHARS).map_or(w, |(cut, _)| &w[..cut]);
            out.push(if w.chars().any(char::is_uppercase) { Cow::Owned(w.to_lowercase()) } else { Cow::Borrowed(w) });
        }
    };
    for (i, c) in text.char_indices() {
        if is_cjk(c) {
            flush_word(&mut word, i, &mut out);
            run.push(i);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, i, &mut out);
            word.get_or_insert(i);
        } else {
            flush_run(&mut run, i, &mut out);
            flush_word(&mut word, i, &mut out);
        }
    }
    flush_run(&mut run, text.len(), &mut out);
    flush_word(&mut word, text.len(), &mut out);
    out
}

/// The weight of a part of a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    A = 3,
    B = 2,
    D = 0,
}

/// The two vectors of a suggestion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vectors {
    /// Title, keywords and body, lexemes only (matching).
    pub matching: SearchVector,
    /// Title and keywords with positions and weights (ranking, similar).
    pub ranking: SearchVector,
}

impl Vectors {
    pub fn of(title: &str, keywords: &[String], body: &str) -> Self {
        Vectors {
            matching: SearchVector::matching(title, keywords, body),
            ranking: SearchVector::ranking(title, keywords),
        }
    }
}

/// A tsvector built by the service, held in the binary form `tsvector_recv` reads: the
/// lexeme count, then each lexeme (sorted) as a C string with its positions, the weight in
/// the top two bits.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Tsvector)]
pub struct SearchVector(Vec<u8>);

impl SearchVector {
    /// The matching vector of a suggestion: the lexemes of title, keywords and body.
    pub fn matching(title: &str, keywords: &[String], body: &str) -> Self {
        let keywords = keywords.join(" ");
        let mut lexemes: Vec<Cow<'_, str>> = tokens(title);
        lexemes.extend(tokens(&keywords).into_iter().map(|t| Cow::Owned(t.into_owned())));
        lexemes.extend(tokens(body));
        lexemes.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        lexemes.dedup();
        let mut bytes = Vec::with_capacity(lexemes.len() * 9 + 4);
        bytes.extend_from_slice(&(lexemes.len() as i32).to_be_bytes());
        for lexeme in &lexemes {
            bytes.extend_from_slice(lexeme.as_bytes());
            bytes.extend_from_slice(&[0, 0, 0]);
        }
        SearchVector(bytes)
    }

    /// The ranking vector: title (A) and keywords (B), with positions.
    pub fn ranking(title: &str, keywords: &[String]) -> Self {
        Self::weighted(&[(title, Weight::A), (&keywords.join(" "), Weight::B)])
    }

    /// A vector with positions and weights (test fixture of the body weight too).
    pub fn weighted(parts: &[(&str, Weight)]) -> Self {
        let mut entries: Vec<(Cow<'_, str>, u16)> = Vec::new();
        let mut position: u16 = 0;
        for (text, weight) in parts.iter().copied() {
            for token in tokens(text) {
                position = (position + 1).min(MAX_POSITION);
                entries.push((token, ((weight as u16) << 14) | position));
            }
            // A gap, so that no phrase runs from one part into the next.
            position = (position + 1).min(MAX_POSITION);
        }
        // Stable: each lexeme's positions stay in rising order.
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut bytes = Vec::with_capacity(entries.len() * 10 + 4);
        bytes.extend_from_slice(&[0; 4]);
        let mut lexemes: i32 = 0;
        let mut i = 0;
        while i < entries.len() {
            let lexeme = &entries[i].0;
            let mut j = i;
            let mut positions: Vec<u16> = Vec::new();
            while j < entries.len() && entries[j].0 == *lexeme {
                let p = entries[j].1;
                // Positions rise strictly; ones clamped at the limit collapse into one.
                if positions.len() < MAX_POSITIONS_PER_LEXEME
                    && positions.last().is_none_or(|l| l & 0x3fff < p & 0x3fff)
                {
                    positions.push(p);
                }
                j += 1;
            }
            bytes.extend_from_slice(lexeme.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(&(positions.len() as u16).to_be_bytes());
            for p in positions {
                bytes.extend_from_slice(&p.to_be_bytes());
            }
            lexemes += 1;
            i = j;
        }
        bytes[..4].copy_from_slice(&lexemes.to_be_bytes());
        SearchVector(bytes)
    }

    /// The tsvector in PostgreSQL's text form (for SQL and tests).
    pub fn to_text(&self) -> String {
        let b = &self.0;
        let count = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let mut at = 4;
        let mut out = Vec::new();
        for _ in 0..count {
            let end = at + b[at..].iter().position(|c| *c == 0).unwrap_or(0);
            let lexeme = String::from_utf8_lossy(&b[at..end]).into_owned();
            at = end + 1;
            let n = u16::from_be_bytes([b[at], b[at + 1]]) as usize;
            at += 2;
            let positions: Vec<String> = (0..n)
                .map(|k| {
                    let p = u16::from_be_bytes([b[at + 2 * k], b[at + 2 * k + 1]]);
                    format!("{}{}", p & 0x3fff, ["D", "C", "B", "A"][(p >> 14) as usize])
                })
                .collect();
            at += 2 * n;
            if positions.is_empty() {
                out.push(quote(&lexeme));
            } else {
                out.push(format!("{}:{}", quote(&lexeme), positions.join(",")));
            }
        }
        out.join(" ")
    }

    /// How many positions each lexeme keeps, and whether they rise (for tests).
    #[cfg(test)]
    fn positions(&self) -> Vec<Vec<u16>> {
        self.to_text()
            .split(' ')
            .map(|e| {
                e.rsplit_once(':')
                    .map(|(_, ps)| {
                        ps.split(',').map(|p| p.trim_end_matches(char::is_alphabetic).parse().unwrap()).collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl ToSql<Tsvector, Pg> for SearchVector {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(&self.0)?;
        Ok(IsNull::No)
    }
}

/// A lexeme quoted for tsvector and tsquery text.
fn quote(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
}

/// The tsquery text of a user's search: every token of every whitespace-separated term
/// must match. A single Chinese character matches as a prefix. `None` when the search has
/// no letters or digits.
pub fn query(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split_whitespace()
        .filter_map(|term| {
            let tokens = tokens(term);
            match tokens.as_slice() {
                [] => None,
                [one] if one.chars().count() == 1 && one.chars().all(is_cjk) => Some(format!("{}:*", quote(one))),
                _ => Some(format!("({})", tokens.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" & "))),
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
        .filter(|t| t.chars().count() > 1 && !STOP_TOKENS.contains(&t.as_ref()) && !t.contains(FUNCTION_CHARS))
        .map(Cow::into_owned)
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
        let v = SearchVector::ranking("公交站点", &["港湾式".into()]);
        assert_eq!(v.to_text(), "'交站':2A '公交':1A '港湾':5B '湾式':6B '站点':3A");
        let v = SearchVector::weighted(&[("公交站点", Weight::A), ("站点", Weight::D)]);
        assert_eq!(v.to_text(), "'交站':2A '公交':1A '站点':3A,5D");
        let m = SearchVector::matching("公交站点", &["港湾式".into()], "站点很多 G20");
        assert_eq!(m.to_text(), "'g20' '交站' '公交' '很多' '港湾' '湾式' '点很' '站点'");
    }

    #[test]
    fn long_words_are_cut_alike_in_texts_and_queries() {
        let long = "0".repeat(20_000);
        let cut = tokens(&long);
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].chars().count(), MAX_WORD_CHARS);
        let v = SearchVector::matching("标题", &[], &long);
        assert!(v.to_text().len() < 300, "{}", v.to_text());
        assert_eq!(query(&long).unwrap(), format!("('{}')", "0".repeat(MAX_WORD_CHARS)));
    }

    #[test]
    fn vectors_respect_postgres_limits() {
        let body = "黄河".repeat(20_000);
        let v = SearchVector::weighted(&[("t", Weight::A), (&body, Weight::D)]);
        for positions in v.positions() {
            assert!(positions.len() <= MAX_POSITIONS_PER_LEXEME);
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "rising positions");
            assert!(positions.iter().all(|p| *p <= MAX_POSITION));
        }
    }

    #[test]
    fn queries_need_every_bigram_of_every_term() {
        assert_eq!(query("公交站点").unwrap(), "('公交' & '交站' & '站点')");
        assert_eq!(query("黄河 生态").unwrap(), "('黄河') & ('生态')");
        assert_eq!(query("河").unwrap(), "'河':*");
        assert_eq!(query("183050").unwrap(), "('183050')");
        assert_eq!(query("O'Brien").unwrap(), "('o' & 'brien')");
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
