//! The rules of a suggestion's content, as pure functions: field limits, the content hash
//! that makes a repeated sync a no-op, and the spreadsheet columns of the bureau's ledger.

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::FieldError;
use crate::http::text::{name, optional_text};
use crate::suggestions::model::{Source, SyncedSuggestion};
use crate::suggestions::search::Vectors;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_KEYWORDS: usize = 10;
pub const MAX_CO_SIGNERS: usize = 100;

/// A suggestion's content, checked, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::suggestions)]
pub struct Content {
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub session_label: Option<String>,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub keywords: Vec<String>,
    pub proposer_id: Option<Uuid>,
    pub co_signer_ids: Vec<Uuid>,
    pub is_key: bool,
    pub received_on: Option<NaiveDate>,
    pub merged_into: Option<Uuid>,
}

impl Content {
    /// SHA-256 of the content: equal exactly when nothing a sync writes has changed.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(serde_json::to_vec(self).unwrap_or_default()).to_vec()
    }

    pub fn vectors(&self) -> Vectors {
        Vectors::of(&self.title, &self.keywords, &self.body)
    }
}

/// The text fields of a suggestion, before deputies are resolved.
#[derive(Debug, Clone, Default)]
pub struct Texts<'a> {
    pub year: i32,
    pub external_no: &'a str,
    pub session_label: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub category: Option<&'a str>,
    pub keywords: &'a [String],
}

/// The checked text fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedTexts {
    pub external_no: String,
    pub session_label: Option<String>,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub keywords: Vec<String>,
}

pub fn year(value: i32) -> Result<i32, FieldError> {
    if (1949..=2200).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new("year", "out_of_range", "a year between 1949 and 2200"))
    }
}

/// An external number: 1 to 32 characters without spaces (183050, 2023-0001, 第12号).
pub fn external_no(value: &str) -> Result<String, FieldError> {
    let v = name("external_no", value, 32)?;
    if v.chars().any(char::is_whitespace) || v.contains('/') {
        return Err(FieldError::new("external_no", "invalid", "no spaces or '/'"));
    }
    Ok(v)
}

/// Checks every text field, collecting all the errors.
pub fn texts(t: &Texts<'_>) -> Result<CheckedTexts, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut keep = |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
    let _ = keep(year(t.year).map(|_| None));
    let external_no = keep(external_no(t.external_no).map(Some));
    let session_label = keep(optional_text("session_label", t.session_label, 100));
    let title = keep(name("title", t.title, MAX_TITLE).map(Some));
    let category = keep(optional_text("category", t.category, 50));
    let body = t.body.trim().to_string();
    if body.chars().count() > MAX_BODY {
        errors.push(FieldError::new("body", "too_long", format!("at most {MAX_BODY} characters")));
    }
    if body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        errors.push(FieldError::new("body", "invalid", "must not contain control characters"));
    }
    let keywords = keywords(t.keywords).map_err(|e| errors.push(e)).unwrap_or_default();
    match (external_no, title) {
        (Some(external_no), Some(title)) if errors.is_empty() => {
            Ok(CheckedTexts { external_no, session_label, title, body, category, keywords })
        }
        _ => Err(errors),
    }
}

/// Up to ten distinct keywords of 1 to 20 characters, in the order given.
pub fn keywords(values: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for (i, k) in values.iter().enumerate() {
        let k = name(&format!("keywords[{i}]"), k, 20)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.len() > MAX_KEYWORDS {
        return Err(FieldError::new("keywords", "too_many", format!("at most {MAX_KEYWORDS}")));
    }
    Ok(out)
}

/// Co-signers: distinct, at most a hundred, without the lead proposer.
pub fn co_signers(proposer: Option<Uuid>, ids: &[Uuid]) -> Result<Vec<Uuid>, FieldError> {
    let mut out: Vec<Uuid> = Vec::new();
    for id in ids {
        if Some(*id) == proposer {
            return Err(FieldError::new("co_signer_ids", "invalid", "the lead proposer is not also a co-signer"));
        }
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.len() > MAX_CO_SIGNERS {
        return Err(FieldError::new("co_signer_ids", "too_many", format!("at most {MAX_CO_SIGNERS}")));
    }
    Ok(out)
}

/// The deputies' names a synced suggestion mentions (proposer first), trimmed.
pub fn named_deputies(s: &SyncedSuggestion) -> Result<(Option<String>, Vec<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let proposer = optional_text("proposer", s.proposer.as_deref(), 50).map_err(|e| errors.push(e)).ok().flatten();
    let mut co = Vec::new();
    for (i, n) in s.co_signers.iter().enumerate() {
        match name(&format!("co_signers[{i}]"), n, 50) {
            Ok(n) if Some(&n) == proposer.as_ref() => {
                errors.push(FieldError::new(format!("co_signers[{i}]"), "invalid", "the lead proposer again"))
            }
            Ok(n) if !co.contains(&n) => co.push(n),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if co.len() > MAX_CO_SIGNERS {
        errors.push(FieldError::new("co_signers", "too_many", format!("at most {MAX_CO_SIGNERS}")));
    }
    if errors.is_empty() { Ok((proposer, co)) } else { Err(errors) }
}

/// The columns of the bureau's suggestion ledger (建议台账), by the headings people use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerColumn {
    Source,
    Year,
    ExternalNo,
    SessionLabel,
    Title,
    Body,
    Category,
    Keywords,
    Proposer,
    CoSigners,
    IsKey,
    ReceivedOn,
}

/// The column a heading names, if any.
pub fn ledger_column(heading: &str) -> Option<LedgerColumn> {
    use LedgerColumn::*;
    let h: String = heading.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match h.as_str() {
        "来源" | "类型" | "建议类型" => Source,
        "年度" | "年份" => Year,
        "建议编号" | "提案编号" | "编号" | "案号" | "建议号" => ExternalNo,
        "届次" | "会次" | "届次会次" => SessionLabel,
        "标题" | "建议标题" | "提案标题" | "案由" | "建议名称" => Title,
        "内容" | "建议内容" | "提案内容" | "正文" => Body,
        "类别" | "分类" | "建议类别" => Category,
        "关键词" | "主题词" => Keywords,
        "领衔代表" | "领衔人" | "提出人" | "代表" | "领衔委员" => Proposer,
        "附议代表" | "附议人" | "联名代表" | "附议委员" => CoSigners,
        "重点建议" | "是否重点" | "重点" | "重点提案" => IsKey,
        "收到日期" | "交办日期" | "接收日期" | "登记日期" => ReceivedOn,
        _ => return None,
    })
}

/// A yes/no cell: 是/否, Y/N, true/false, 1/0, 重点.
pub fn yes_no(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "重点" | "√" => Some(true),
        "否" | "n" | "no" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// A source cell: 人大/政协 or npc/cppcc.
pub fn source_cell(cell: &str) -> Option<Source> {
    match cell.trim().to_lowercase().as_str() {
        "人大" | "人大建议" | "人大代表建议" | "建议" | "npc" => Some(Source::Npc),
        "政协" | "政协提案" | "提案" | "cppcc" => Some(Source::Cppcc),
        _ => None,
    }
}

/// Names in one cell, separated by 、，, ; or spaces.
pub fn names_cell(cell: &str) -> Vec<String> {
    cell.split(['、', '，', ',', '；', ';', ' ', '\u{3000}', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Texts<'static> {
        Texts {
            year: 2023, external_no: "183050", title: "关于合理设置公交站点的建议", ..Default::default()
        }
    }

    #[test]
    fn good_texts_pass_trimmed() {
        let mut t = good();
        t.title = "  关于合理设置公交站点的建议 ";
        t.session_label = Some("  ");
        let c = texts(&t).unwrap();
        assert_eq!(c.title, "关于合理设置公交站点的建议");
        assert_eq!(c.session_label, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let long_title = "关".repeat(201);
        let long_body = "文".repeat(MAX_BODY + 1);
        let kws: Vec<String> = (0..11).map(|i| format!("词{i}")).collect();
        let t = Texts {
            year: 1900,
            external_no: "18 3050",
            session_label: None,
            title: &long_title,
            body: &long_body,
            category: Some(""),
            keywords: &kws,
        };
        let fields: Vec<String> = texts(&t).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["year", "external_no", "title", "body", "keywords"]);
    }

    #[test]
    fn keywords_and_co_signers_are_distinct_and_bounded() {
        assert_eq!(keywords(&["公交".into(), "公交".into(), " 站点 ".into()]).unwrap(), vec!["公交", "站点"]);
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(co_signers(Some(a), &[b, b]).unwrap(), vec![b]);
        assert!(co_signers(Some(a), &[a]).is_err());
    }

    #[test]
    fn the_hash_changes_with_content_only() {
        let c = Content {
            source: Source::Npc,
            year: 2023,
            external_no: "183050".into(),
            session_label: None,
            title: "关于合理设置公交站点的建议".into(),
            body: String::new(),
            category: None,
            keywords: vec![],
            proposer_id: None,
            co_signer_ids: vec![],
            is_key: false,
            received_on: None,
            merged_into: None,
        };
        assert_eq!(c.hash(), c.clone().hash());
        let mut d = c.clone();
        d.is_key = true;
        assert_ne!(c.hash(), d.hash());
    }

    #[test]
    fn ledger_cells_are_read_as_people_write_them() {
        assert_eq!(ledger_column("建议 编号"), Some(LedgerColumn::ExternalNo));
        assert_eq!(ledger_column("领衔代表"), Some(LedgerColumn::Proposer));
        assert_eq!(ledger_column("备注"), None);
        assert_eq!(yes_no("是"), Some(true));
        assert_eq!(yes_no(""), Some(false));
        assert_eq!(yes_no("maybe"), None);
        assert_eq!(source_cell("政协"), Some(Source::Cppcc));
        assert_eq!(names_cell("杨国哲、曹孟，陈少军"), vec!["杨国哲", "曹孟", "陈少军"]);
    }

    #[test]
    fn named_deputies_refuse_the_proposer_twice() {
        let s = SyncedSuggestion {
            proposer: Some("杨国哲".into()),
            co_signers: vec!["曹孟".into(), "杨国哲".into()],
            ..Default::default()
        };
        assert_eq!(named_deputies(&s).unwrap_err()[0].field, "co_signers[1]");
        let s = SyncedSuggestion {
            proposer: Some(" 杨国哲 ".into()),
            co_signers: vec!["曹孟".into()],
            ..Default::default()
        };
        assert_eq!(named_deputies(&s).unwrap(), (Some("杨国哲".into()), vec!["曹孟".to_string()]));
    }
}
