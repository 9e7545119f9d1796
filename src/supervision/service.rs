//! Supervision reads: the year's statistics and the annual report's draft, for the office,
//! leaders and admins (the bureau's figures) and for a section (its own).

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::{Operation, Principal};
use crate::error::AppError;
use crate::supervision::model::*;
use crate::supervision::queries;
use crate::supervision::rules;

/// The caller's reach: every figure (none), or a section's own (its unit); 403 otherwise.
fn reach(principal: &Principal) -> Result<Option<Uuid>, AppError> {
    let s = principal.require(Operation::SupervisionRead)?;
    if s.all {
        return Ok(None);
    }
    match principal.unit_id {
        Some(unit) if s.own_unit => Ok(Some(unit)),
        _ => Err(AppError::forbidden("your roles do not allow this operation")),
    }
}

fn year(y: i32) -> Result<i32, AppError> {
    if (1949..=2200).contains(&y) {
        Ok(y)
    } else {
        Err(AppError::bad_request("invalid_query", "year must be from 1949 to 2200"))
    }
}

/// The year's figures, each rate with its numerator and denominator.
pub async fn stats(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    today: NaiveDate,
) -> Result<Stats, AppError> {
    let unit = reach(principal)?;
    let y = year(y)?;
    let figures = queries::figures(conn, y, unit, today).await?;
    Ok(assemble(y, unit, figures))
}

fn assemble(year: i32, unit_id: Option<Uuid>, figures: Vec<queries::Figure>) -> Stats {
    let mut s = Stats { year, unit_id, ..Default::default() };
    for f in figures {
        let count = Count { key: f.key.clone(), count: f.n };
        match f.kind.as_str() {
            "total" => s.total = f.n,
            "answered" => s.answered = f.n,
            "overdue" => s.overdue = f.n,
            "role" => match f.key.as_str() {
                "lead" => s.by_role.lead = f.n,
                "split" => s.by_role.split = f.n,
                _ => s.by_role.co = f.n,
            },
            "source" => match f.key.as_str() {
                "npc" => s.by_source.npc = f.n,
                _ => s.by_source.cppcc = f.n,
            },
            "status" => s.by_status.push(count),
            "class" => s.by_class.push(count),
            "unit" => s.by_unit.push(count),
            "category" => s.by_category.push(count),
            "completion" => s.rates.completion = rules::rate(f.n, f.d),
            "satisfaction_work" => s.rates.satisfaction_work = rules::rate(f.n, f.d),
            "satisfaction_result" => s.rates.satisfaction_result = rules::rate(f.n, f.d),
            "on_time" => s.rates.on_time = rules::rate(f.n, f.d),
            "contact" => s.rates.contact = rules::rate(f.n, f.d),
            "face_to_face" => s.rates.face_to_face = rules::rate(f.n, f.d),
            _ => {}
        }
    }
    for list in [&mut s.by_status, &mut s.by_class, &mut s.by_unit, &mut s.by_category] {
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    }
    s
}

/// The annual report's draft as Markdown, from the year's figures and key suggestions.
pub async fn annual_report(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    today: NaiveDate,
) -> Result<String, AppError> {
    let unit = reach(principal)?;
    let y = year(y)?;
    let s = assemble(y, unit, queries::figures(conn, y, unit, today).await?);
    let mut keys: Vec<KeyItem> = Vec::new();
    for k in queries::key_items(conn, y, unit).await? {
        // The latest round's reply of each key suggestion (rows come latest round first).
        if keys.iter().any(|x| x.external_no == k.external_no) {
            continue;
        }
        let measures = k.points.into_iter().chain(k.commitments).collect();
        keys.push(KeyItem { external_no: k.external_no, title: k.title, class: k.class, measures });
    }
    Ok(rules::report_markdown(&s, &keys))
}

/// What a caller may read of the ledger: a year, the bureau's rows or one section's, and
/// whether confidential proposers are named. Checked before anything is read or sent.
#[derive(Debug, Clone, Copy)]
pub struct LedgerScope {
    pub year: i32,
    pub unit: Option<Uuid>,
    pub names: bool,
}

/// The caller's reach on the ledger: a section's staff their own rows whatever they ask.
pub fn ledger_scope(principal: &Principal, params: &LedgerParams) -> Result<LedgerScope, AppError> {
    let own = reach(principal)?;
    Ok(LedgerScope {
        year: year(params.year)?,
        unit: own.or(params.unit_id),
        names: principal.scope(Operation::DeputyRead).all,
    })
}

/// A page of the ledger after `after` (number, assignment), at most `limit` rows; a
/// confidential proposer's name only for the office and admins.
pub async fn ledger(
    conn: &mut AsyncPgConnection,
    scope: LedgerScope,
    after: Option<(String, Uuid)>,
    limit: i64,
    clock: &crate::calendar::Clock,
) -> Result<Vec<LedgerRow>, AppError> {
    let rows = queries::ledger(conn, scope.year, scope.unit, after, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| LedgerRow {
            assignment_id: r.assignment_id,
            suggestion_id: r.suggestion_id,
            external_no: r.external_no,
            title: r.title,
            proposer: r.proposer.map(|n| if r.confidential && !scope.names { "＊＊＊".into() } else { n }),
            role: r.role,
            section: r.section,
            leader: r.leader,
            liaison: r.liaison,
            assigned_on: r.assigned_on,
            due_on: r.due_on,
            due_state: r.state.is_open().then(|| clock.due_state(r.due_on)),
            state: r.state,
            reply_class: r.reply_class,
            submission: r.submission,
            published_at: r.published_at,
            evaluation: r.evaluation,
            open_commitments: r.open_commitments,
        })
        .collect())
}

/// The ledger's columns, as its exports head them.
pub(crate) const LEDGER_HEADINGS: [&str; 16] = [
    "建议编号",
    "标题",
    "领衔代表",
    "办理方式",
    "承办科室",
    "分管领导",
    "联络员",
    "交办日期",
    "办理期限",
    "期限状态",
    "当前环节",
    "答复类别",
    "报送",
    "公开时间",
    "评价",
    "未完成承诺",
];

/// A ledger row's cells, in the headings' order.
pub(crate) fn ledger_cells(r: &LedgerRow) -> [String; 16] {
    let opt = |v: Option<&str>| v.unwrap_or("").to_string();
    [
        r.external_no.clone(),
        r.title.clone(),
        opt(r.proposer.as_deref()),
        r.role.as_str().to_string(),
        opt(r.section.as_deref()),
        opt(r.leader.as_deref()),
        opt(r.liaison.as_deref()),
        r.assigned_on.to_string(),
        r.due_on.to_string(),
        opt(r.due_state.map(|s| s.as_str())),
        r.state.as_str().to_string(),
        opt(r.reply_class.map(|c| c.as_str())),
        opt(r.submission.map(|s| s.as_str())),
        r.published_at.map(|t| crate::calendar::days::local_date(t).to_string()).unwrap_or_default(),
        opt(r.evaluation.map(|e| e.as_str())),
        r.open_commitments.to_string(),
    ]
}
