//! The year's task assignment table (任务分工表) as an xlsx workbook: exported from the
//! assignments, and imported to assign many suggestions at once (one row per unit; a
//! suggestion's rows are assigned together or not at all).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assignments::model::{AssignmentFilter, NewAssignments, UnitAssignment};
use crate::assignments::queries::{self, AssignmentScope};
use crate::assignments::service::{self, assigning};
use crate::audit::Actor;
use crate::calendar::Clock;
use crate::db;
use crate::db::enums::{AssignmentState, HandlingRole};
use crate::directory;
use crate::directory::model::{UnitFilter, UserFilter};
use crate::error::{AppError, FieldError};
use crate::http::dates::{Day, Year};
use crate::http::xlsx;
use crate::suggestions::model::Source;
use crate::suggestions::queries::Key;
use crate::suggestions::rules::source_cell;

const HEADINGS: [&str; 13] = [
    "建议编号",
    "年度",
    "来源",
    "标题",
    "办理类型",
    "承办单位",
    "承办科室",
    "分管领导",
    "联络员",
    "交办日期",
    "办理时限",
    "状态",
    "超期预警",
];

fn role_label(role: HandlingRole) -> &'static str {
    match role {
        HandlingRole::Lead => "主办",
        HandlingRole::Split => "分办",
        HandlingRole::Co => "协办",
    }
}

fn role_cell(cell: &str) -> Option<HandlingRole> {
    match cell.trim() {
        "主办" | "lead" => Some(HandlingRole::Lead),
        "分办" | "split" => Some(HandlingRole::Split),
        "协办" | "co" => Some(HandlingRole::Co),
        _ => None,
    }
}

/// The year's table, with what the caller may see.
pub async fn export(
    conn: &mut AsyncPgConnection,
    scope: &AssignmentScope,
    year: i32,
    clock: &Clock,
) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let filter = AssignmentFilter { year: Some(Year(year)), ..Default::default() };
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = queries::list(conn, &filter, scope, clock.today, clock.soon_until(), after, 1000).await?;
        let done = page.len() < 1000;
        after = page.last().map(|r| (r.is_key, r.row.due_on, r.row.id));
        rows.extend(page.into_iter().map(|r| service::to_assignment(clock, r)));
        if done {
            break;
        }
    }
    let people: HashMap<Uuid, String> = {
        let all = directory::queries::users(conn, &UserFilter::default(), None, 100_000).await?;
        all.into_iter().map(|u| (u.id, u.display_name)).collect()
    };
    let sources =
        crate::suggestions::queries::sources_of(conn, &rows.iter().map(|a| a.suggestion_id).collect::<Vec<_>>())
            .await?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(e.to_string());
    sheet.set_name(format!("{year}年任务分工表")).map_err(fail)?;
    for (c, h) in HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    for (i, a) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let name = |id: Option<Uuid>| id.and_then(|i| people.get(&i).cloned()).unwrap_or_default();
        let source = match sources.get(&a.suggestion_id) {
            Some(Source::Cppcc) => "政协",
            _ => "人大",
        };
        let cells = [
            a.external_no.clone(),
            year.to_string(),
            source.to_string(),
            a.title.clone(),
            role_label(a.role).to_string(),
            a.unit_name.clone(),
            a.section_name.clone().unwrap_or_default(),
            name(a.leader_id),
            name(a.liaison_id),
            a.assigned_on.to_string(),
            a.due_on.to_string(),
            a.state.as_str().to_string(),
            a.due_state.as_str().to_string(),
        ];
        for (c, text) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, text).map_err(fail)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(fail)
}

/// One row of an imported table.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub line: usize,
    pub source: Source,
    pub year: i32,
    pub external_no: String,
    pub role: HandlingRole,
    pub unit: String,
    pub section: Option<String>,
    pub leader: Option<String>,
    pub liaison: Option<String>,
    pub assigned_on: Option<Day>,
}

/// A parsed row, or why it cannot be.
pub type Parsed = Result<TableRow, (usize, Option<String>, Vec<FieldError>)>;

/// Rows of the first worksheet, by headings.
pub fn parse(body: &[u8]) -> Result<Vec<Parsed>, AppError> {
    let sheet = xlsx::first_sheet(body)?;
    let col = |names: &[&str]| sheet.column(names);
    let (no, year, source, role, unit) = (
        col(&["建议编号", "提案编号", "编号"]),
        col(&["年度", "年份"]),
        col(&["来源"]),
        col(&["办理类型", "承办类型"]),
        col(&["承办单位", "单位"]),
    );
    let (section, leader, liaison, date) =
        (col(&["承办科室", "科室"]), col(&["分管领导"]), col(&["联络员"]), col(&["交办日期"]));
    let missing: Vec<&str> = [(no, "建议编号"), (year, "年度"), (role, "办理类型"), (unit, "承办单位")]
        .iter()
        .filter(|(c, _)| c.is_none())
        .map(|(_, n)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(xlsx::missing_columns(&missing));
    }
    let mut out = Vec::new();
    for (line, cells) in &sheet.rows {
        let line = *line;
        let get = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(xlsx::cell_text).unwrap_or_default();
        let mut errors = Vec::new();
        let external_no = get(no);
        if external_no.is_empty() {
            errors.push(FieldError::new("建议编号", "required", "the suggestion's number"));
        }
        let y = get(year)
            .trim_end_matches('年')
            .parse::<i32>()
            .map_err(|_| errors.push(FieldError::new("年度", "invalid", "a year such as 2023")))
            .ok();
        let s = match get(source).as_str() {
            "" => Some(Source::Npc),
            other => source_cell(other).or_else(|| {
                errors.push(FieldError::new("来源", "invalid", "人大 or 政协"));
                None
            }),
        };
        let r = role_cell(&get(role)).or_else(|| {
            errors.push(FieldError::new("办理类型", "invalid", "主办, 分办 or 协办"));
            None
        });
        let u = get(unit);
        if u.is_empty() {
            errors.push(FieldError::new("承办单位", "required", "the unit's name"));
        }
        let d = match get(date).as_str() {
            "" => None,
            t => xlsx::date_text(t).and_then(Day::new).or_else(|| {
                errors.push(FieldError::new("交办日期", "invalid", "a date such as 2023-02-20"));
                None
            }),
        };
        let nonempty = |v: String| Some(v).filter(|v| !v.is_empty());
        out.push(match (y, s, r) {
            (Some(year), Some(source), Some(role)) if errors.is_empty() => Ok(TableRow {
                line,
                source,
                year,
                external_no,
                role,
                unit: u,
                section: nonempty(get(section)),
                leader: nonempty(get(leader)),
                liaison: nonempty(get(liaison)),
                assigned_on: d,
            }),
            _ => Err((line, nonempty(external_no), errors)),
        });
    }
    Ok(out)
}

/// What became of one row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TableRowReport {
    pub line: usize,
    pub external_no: Option<String>,
    /// `assigned`, `unchanged` (already assigned so) or `rejected`.
    pub outcome: String,
    pub assignment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The report of a table import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct TableReport {
    pub assigned: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub rows: Vec<TableRowReport>,
}

fn rejected(line: usize, external_no: Option<String>, errors: Vec<FieldError>) -> TableRowReport {
    TableRowReport { line, external_no, outcome: "rejected".into(), assignment_id: None, errors }
}

/// Suggestions assigned per transaction.
const BATCH: usize = 2000;

/// Assigns the table's rows: a suggestion's rows together or not at all, a batch of
/// suggestions per transaction.
pub async fn import(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    parsed: Vec<Parsed>,
    today: NaiveDate,
) -> Result<TableReport, AppError> {
    let mut report = TableReport::default();
    let units: HashMap<String, Uuid> = directory::queries::units(conn, &UnitFilter::default(), None, 100_000)
        .await?
        .into_iter()
        .map(|u| (u.name, u.id))
        .collect();
    let mut people: HashMap<String, Uuid> = HashMap::new();
    for u in directory::queries::users(conn, &UserFilter::default(), None, 100_000).await? {
        people.insert(u.username.clone(), u.id);
        people.entry(u.display_name.clone()).or_insert(u.id);
    }
    // Rows by suggestion, in the order they first appear.
    let mut groups: Vec<(Key, Vec<TableRow>)> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    for p in parsed {
        match p {
            Err((line, no, errors)) => report.rows.push(rejected(line, no, errors)),
            Ok(row) => {
                let key = (row.source, row.year, row.external_no.clone());
                let i = *index.entry(key.clone()).or_insert_with(|| {
                    groups.push((key, Vec::new()));
                    groups.len() - 1
                });
                groups[i].1.push(row);
            }
        }
    }
    let keys: Vec<Key> = groups.iter().map(|(key, _)| key.clone()).collect();
    let ids = crate::suggestions::queries::ids_by_keys(conn, &keys).await?;
    for chunk in groups.chunks(BATCH) {
        let outcomes = db::transaction(conn, async |conn| {
            let mut out = Vec::new();
            let mut found = Vec::new();
            for ((source, year, no), rows) in chunk {
                match ids.get(&(*source, *year, no.clone())) {
                    Some(&id) => found.push((id, rows)),
                    None => {
                        let e = FieldError::new("建议编号", "unknown_reference", "no such suggestion");
                        out.extend(rows.iter().map(|r| rejected(r.line, Some(no.clone()), vec![e.clone()])));
                    }
                }
            }
            let suggestion_ids: Vec<Uuid> = found.iter().map(|(id, _)| *id).collect();
            let mut live: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
            for e in queries::of_suggestions(conn, &suggestion_ids).await? {
                if e.round == 1 && e.state != AssignmentState::Reassigned {
                    live.entry(e.suggestion_id).or_default().push(e.unit_id);
                }
            }
            let mut plans = Vec::new();
            for (id, rows) in found {
                let plan = plan_group(id, rows, live.get(&id).map_or(&[][..], |v| v), &units, &people);
                out.extend(plan.settled);
                plans.extend(plan.new.map(|new| (new, plan.rows)));
            }
            let requests: Vec<NewAssignments> = plans.iter().map(|(n, _)| n.clone()).collect();
            let results = assigning::assign_many(conn, actor, &requests, today).await?;
            for ((_, rows), result) in plans.iter().zip(results) {
                out.extend(reports(rows, result));
            }
            Ok(out)
        })
        .await?;
        report.rows.extend(outcomes);
    }
    report.rows.sort_by_key(|r| r.line);
    for r in &report.rows {
        match r.outcome.as_str() {
            "assigned" => report.assigned += 1,
            "unchanged" => report.unchanged += 1,
            _ => report.rejected += 1,
        }
    }
    Ok(report)
}

/// What to do with one suggestion's rows: those settled already (unchanged, or rejected
/// with their reasons) and, when there is something to assign, the request and its rows.
struct GroupPlan<'a> {
    settled: Vec<TableRowReport>,
    new: Option<NewAssignments>,
    rows: Vec<&'a TableRow>,
}

/// Resolves a suggestion's rows by name; rows of units it has already are unchanged.
fn plan_group<'a>(
    suggestion_id: Uuid,
    rows: &'a [TableRow],
    live: &[Uuid],
    units: &HashMap<String, Uuid>,
    people: &HashMap<String, Uuid>,
) -> GroupPlan<'a> {
    let no = rows[0].external_no.clone();
    let mut errors: Vec<(usize, FieldError)> = Vec::new();
    let mut planned: Vec<(&TableRow, UnitAssignment)> = Vec::new();
    let mut settled = Vec::new();
    for r in rows {
        let find = |name: &str, field: &str, map: &HashMap<String, Uuid>| {
            map.get(name).copied().ok_or_else(|| FieldError::new(field, "unknown_reference", format!("no {name:?}")))
        };
        let unit = find(&r.unit, "承办单位", units);
        let section = r.section.as_deref().map(|s| find(s, "承办科室", units)).transpose();
        let leader = r.leader.as_deref().map(|s| find(s, "分管领导", people)).transpose();
        let liaison = r.liaison.as_deref().map(|s| find(s, "联络员", people)).transpose();
        match (unit, section, leader, liaison) {
            (Ok(unit_id), Ok(section_id), Ok(leader_id), Ok(liaison_id)) => {
                if live.contains(&unit_id) {
                    settled.push(TableRowReport {
                        line: r.line,
                        external_no: Some(no.clone()),
                        outcome: "unchanged".into(),
                        assignment_id: None,
                        errors: vec![],
                    });
                } else {
                    planned.push((r, UnitAssignment { unit_id, role: r.role, section_id, leader_id, liaison_id }));
                }
            }
            (u, s, l, x) => {
                for e in [u.err(), s.err(), l.err(), x.err()].into_iter().flatten() {
                    errors.push((r.line, e));
                }
            }
        }
    }
    let rows: Vec<&TableRow> = planned.iter().map(|(r, _)| *r).collect();
    if !errors.is_empty() {
        settled.extend(reject_all(&no, &rows, errors));
        return GroupPlan { settled, new: None, rows: vec![] };
    }
    if planned.is_empty() {
        return GroupPlan { settled, new: None, rows };
    }
    let new = NewAssignments {
        suggestion_id,
        assigned_on: rows.iter().find_map(|r| r.assigned_on),
        round: Some(1),
        units: planned.into_iter().map(|(_, u)| u).collect(),
        supervisor_id: None,
    };
    GroupPlan { settled, new: Some(new), rows }
}

/// Rejects every row of a suggestion: each with its own errors, or because another row of
/// the suggestion is invalid. `errors` are `(line, error)`.
fn reject_all(no: &str, rows: &[&TableRow], errors: Vec<(usize, FieldError)>) -> Vec<TableRowReport> {
    let no = no.to_string();
    let mut out = Vec::new();
    for r in rows {
        let own: Vec<FieldError> = errors.iter().filter(|(l, _)| *l == r.line).map(|(_, e)| e.clone()).collect();
        let why = if own.is_empty() {
            vec![FieldError::new(
                "建议编号",
                "rejected_with_its_suggestion",
                "another row of this suggestion is invalid",
            )]
        } else {
            own
        };
        out.push(rejected(r.line, Some(no.clone()), why));
    }
    for (line, e) in errors.iter().filter(|(l, _)| !rows.iter().any(|r| r.line == *l)) {
        out.push(rejected(*line, Some(no.clone()), vec![e.clone()]));
    }
    out
}

/// The reports of a suggestion's rows from the outcome of assigning them.
fn reports(rows: &[&TableRow], result: Result<Vec<Uuid>, AppError>) -> Vec<TableRowReport> {
    match result {
        Ok(ids) => rows
            .iter()
            .zip(ids)
            .map(|(r, id)| TableRowReport {
                line: r.line,
                external_no: Some(r.external_no.clone()),
                outcome: "assigned".into(),
                assignment_id: Some(id),
                errors: vec![],
            })
            .collect(),
        Err(e) => {
            // Field errors name `units[i]`: the i-th row to assign.
            let mut per_row: Vec<(usize, FieldError)> = Vec::new();
            for f in e.field_errors() {
                let i = f
                    .field
                    .strip_prefix("units[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|n| n.parse::<usize>().ok());
                let line = i.and_then(|i| rows.get(i)).map_or(rows[0].line, |r| r.line);
                per_row.push((line, f.clone()));
            }
            if per_row.is_empty() {
                per_row.push((rows[0].line, FieldError::new("建议编号", e.code(), e.detail())));
            }
            reject_all(&rows[0].external_no, rows, per_row)
        }
    }
}
