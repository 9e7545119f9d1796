//! The rules of disclosure, as plain functions: what a mode needs, when a reply may be
//! published, what the public reads of it (never a confidential name), and the escaping
//! of the public page.

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::calendar::rules::{self as deadlines, DeadlineRule, Starts};
use crate::db::enums::{Consent, DeadlineKind, DisclosureMode, HandlingRole, Source};

/// The date a reply signed on `signed` is to be published by (the `publication` rule, 20
/// working days by default), when a rule applies.
pub fn publication_due(
    rules: &[DeadlineRule],
    source: Source,
    signed: NaiveDate,
    calendar: &Calendar,
) -> Option<NaiveDate> {
    let rule = deadlines::select(rules, DeadlineKind::Publication, source, HandlingRole::Lead)?;
    let starts = Starts { replied_on: Some(signed), ..Default::default() };
    deadlines::due_date(rule, starts, None, calendar).ok().map(|e| e.due_on)
}

/// What a disclosure decision needs: a summary for `summary`, a reason for `withheld`, and
/// neither for the other modes. The problem's field and code when it does not hold.
pub fn check_mode(
    mode: DisclosureMode,
    summary: Option<&str>,
    reason: Option<&str>,
) -> Result<(), (&'static str, &'static str)> {
    match (mode, summary.is_some(), reason.is_some()) {
        (DisclosureMode::Summary, false, _) => Err(("summary", "required")),
        (DisclosureMode::Withheld, _, false) => Err(("withheld_reason", "required")),
        (m, true, _) if m != DisclosureMode::Summary => Err(("summary", "not_allowed")),
        (m, _, true) if m != DisclosureMode::Withheld => Err(("withheld_reason", "not_allowed")),
        _ => Ok(()),
    }
}

/// Why a reply cannot be published, if it cannot: withheld, or the deputy refused.
pub fn publishable(mode: DisclosureMode, consent: Consent) -> Result<(), &'static str> {
    match (mode, consent) {
        (DisclosureMode::Withheld, _) => Err("withheld"),
        (_, Consent::Refused) => Err("deputy_refused"),
        _ => Ok(()),
    }
}

/// What the public reads: the reply's text in full, or the summary.
pub fn public_text<'a>(mode: DisclosureMode, body: &'a str, summary: Option<&'a str>) -> &'a str {
    match mode {
        DisclosureMode::Summary => summary.unwrap_or(""),
        _ => body,
    }
}

/// Replaces every confidential name in `text`.
pub fn redact(text: &str, names: &[String]) -> String {
    let mut out = text.to_string();
    let mut names: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
    // Longer names first, so that a name inside another is not left half-covered.
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for n in names {
        out = out.replace(n.as_str(), "＊＊＊");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_needs_its_text_and_only_its_text() {
        use DisclosureMode::*;
        assert_eq!(check_mode(Public, None, None), Ok(()));
        assert_eq!(check_mode(Summary, None, None), Err(("summary", "required")));
        assert_eq!(check_mode(Summary, Some("摘要"), None), Ok(()));
        assert_eq!(check_mode(Withheld, None, None), Err(("withheld_reason", "required")));
        assert_eq!(check_mode(Withheld, None, Some("涉及个人隐私")), Ok(()));
        assert_eq!(check_mode(Public, Some("摘要"), None), Err(("summary", "not_allowed")));
        assert_eq!(check_mode(Summary, Some("摘要"), Some("x")), Err(("withheld_reason", "not_allowed")));
    }

    #[test]
    fn a_withheld_reply_or_a_refusal_is_never_published() {
        assert_eq!(publishable(DisclosureMode::Withheld, Consent::Agreed), Err("withheld"));
        assert_eq!(publishable(DisclosureMode::Public, Consent::Refused), Err("deputy_refused"));
        assert_eq!(publishable(DisclosureMode::Summary, Consent::NotAsked), Ok(()));
        assert_eq!(public_text(DisclosureMode::Summary, "全文", Some("摘要")), "摘要");
        assert_eq!(public_text(DisclosureMode::Public, "全文", Some("摘要")), "全文");
    }

    #[test]
    fn confidential_names_are_covered() {
        let names = vec!["王芳".to_string(), "王芳芳".to_string(), " ".to_string()];
        assert_eq!(redact("王芳芳代表、王芳代表：您好", &names), "＊＊＊代表、＊＊＊代表：您好");
    }
}
