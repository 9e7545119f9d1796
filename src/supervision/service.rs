//! Supervision reads: the year's statistics and the annual report's draft, for the office,
//! leaders and admins (the bureau's figures) and for a section (its own).

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::{Operation, Principal};
use crate::error::AppError;
use crate::supervision::model::*;
use crate::supervision::queries::{self, Period};
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

/// What the figures count, checked: a year, a range of assignment dates (both ends, at
/// most ten years), or both; the caller's reach.
fn period(
    principal: &Principal,
    y: Option<i32>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Period, AppError> {
    let unit = reach(principal)?;
    let y = y.map(year).transpose()?;
    // Each part is well-formed (the query's parser saw to that); together they must make
    // a period: a rule, so 422.
    rules::check_period(y, from, to).map_err(|(field, message)| {
        AppError::validation(vec![crate::error::FieldError::new(field, "invalid_period", message)])
    })?;
    Ok(Period { year: y, from, to, unit })
}

/// The period's figures, each rate with its numerator and denominator.
pub async fn stats(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    params: &StatsParams,
    today: NaiveDate,
) -> Result<Stats, AppError> {
    let p = period(principal, params.year, params.from, params.to)?;
    Ok(assemble(p, queries::figures(conn, p, today).await?))
}

fn assemble(p: Period, figures: Vec<queries::Figure>) -> Stats {
    let mut s = Stats { year: p.year, from: p.from, to: p.to, unit_id: p.unit, ..Default::default() };
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
            "month" => s.by_month.push(count),
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
    s.by_month.sort_by(|a, b| a.key.cmp(&b.key));
    s
}

/// Each handling unit's score for the period, best first, with the settings' weights.
pub async fn unit_scores(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    params: &StatsParams,
) -> Result<UnitScores, AppError> {
    let p = period(principal, params.year, params.from, params.to)?;
    let settings = crate::directory::settings::get(conn).await?;
    let weights = ScoreWeights {
        on_time: settings.score_weight_on_time,
        contact: settings.score_weight_contact,
        satisfaction: settings.score_weight_satisfaction,
    };
    let mut units: Vec<UnitScore> = queries::unit_figures(conn, p)
        .await?
        .into_iter()
        .map(|f| {
            let (on_time, contact, satisfaction) = (
                rules::rate(f.on_time_n, f.on_time_d),
                rules::rate(f.contact_n, f.contact_d),
                rules::rate(f.satisfied_n, f.satisfied_d),
            );
            let score = rules::score(weights, &on_time, &contact, &satisfaction);
            UnitScore { unit_id: f.unit_id, unit: f.unit, handled: f.handled, on_time, contact, satisfaction, score }
        })
        .collect();
    units.sort_by(|a, b| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)).then_with(|| a.unit.cmp(&b.unit)));
    Ok(UnitScores { year: p.year, from: p.from, to: p.to, weights, units })
}

/// The annual report's draft as Markdown, from the year's figures, its key suggestions
/// and the office's next steps; and the figures (for the charts).
pub async fn annual_report(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    today: NaiveDate,
) -> Result<(String, Stats), AppError> {
    let p = period(principal, Some(y), None, None)?;
    let s = assemble(p, queries::figures(conn, p, today).await?);
    let mut keys: Vec<KeyItem> = Vec::new();
    for k in queries::key_items(conn, y, p.unit).await? {
        // The latest round's reply of each key suggestion (rows come latest round first).
        if keys.iter().any(|x| x.external_no == k.external_no) {
            continue;
        }
        let measures = k.points.into_iter().chain(k.commitments).collect();
        keys.push(KeyItem { external_no: k.external_no, title: k.title, class: k.class, measures });
    }
    let notes = queries::next_steps(conn, y).await?;
    Ok((rules::report_markdown(y, &s, &keys, notes.as_ref().map(|n| n.next_steps.as_str())), s))
}

/// The year's next steps as the office wrote them (version 0 and no text before).
pub async fn next_steps(conn: &mut AsyncPgConnection, principal: &Principal, y: i32) -> Result<NextSteps, AppError> {
    reach(principal)?;
    let y = year(y)?;
    Ok(match queries::next_steps(conn, y).await? {
        Some(n) => NextSteps {
            year: y,
            text: n.next_steps,
            version: n.version,
            updated_by: Some(n.updated_by),
            updated_at: Some(n.updated_at),
        },
        None => NextSteps { year: y, text: String::new(), version: 0, updated_by: None, updated_at: None },
    })
}

/// Writes the year's next steps (the office), against the version last read (0: none yet).
pub async fn write_next_steps(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    y: i32,
    text: String,
    if_match: &crate::http::etag::IfMatch,
) -> Result<NextSteps, AppError> {
    principal.require(Operation::ReportWrite)?;
    if_match.require()?;
    let y = year(y)?;
    if text.chars().count() > 20_000 {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "text",
            "too_long",
            "at most 20,000 characters",
        )]));
    }
    let actor = principal.actor();
    let user = principal.user_id;
    crate::db::transaction(conn, async |conn| {
        let before = queries::next_steps_for_update(conn, y).await?;
        if_match.check(before.as_ref().map_or(0, |n| n.version))?;
        let after = queries::put_next_steps(conn, y, &text, user).await?;
        crate::audit::record(
            conn,
            &actor,
            "report.next_steps",
            "report",
            &y.to_string(),
            before.map(|n| serde_json::json!({"next_steps": n.next_steps, "version": n.version})),
            Some(serde_json::json!({"next_steps": after.next_steps, "version": after.version})),
        )
        .await?;
        Ok(NextSteps {
            year: y,
            text: after.next_steps,
            version: after.version,
            updated_by: Some(after.updated_by),
            updated_at: Some(after.updated_at),
        })
    })
    .await
}

/// The open handlings overdue and due soon (at most 100 of each kind together), for the
/// dashboard; a section's staff their own.
pub async fn open_handlings(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    clock: &crate::calendar::Clock,
) -> Result<Vec<(queries::OpenHandling, crate::db::enums::DueState)>, AppError> {
    let unit = reach(principal)?;
    let rows = queries::open_handlings(conn, unit, clock.soon_until(), 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let state = clock.due_state(r.due_on);
            (r, state)
        })
        .collect())
}

/// Signed replies whose publication (政务公开) is overdue or due soon, with their due dates,
/// for the dashboard; a section's staff their own.
pub async fn publications_due(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    clock: &crate::calendar::Clock,
) -> Result<Vec<(queries::Unpublished, NaiveDate, crate::db::enums::DueState)>, AppError> {
    use crate::db::enums::DueState;
    let unit = reach(principal)?;
    let since = clock.today - chrono::Duration::days(366);
    let rows = queries::unpublished(conn, unit, since, 200).await?;
    let rules = crate::calendar::queries::rules(conn).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let due = crate::disclosure::rules::publication_due(&rules, r.source, r.signed_on, &clock.calendar)?;
            let state = clock.due_state(due);
            (state != DueState::OnTrack).then_some((r, due, state))
        })
        .collect())
}

/// What a caller may read of the ledger: a year, the bureau's rows or one section's, and
/// whether confidential proposers are named. Checked before anything is read or sent.
#[derive(Debug, Clone, Copy)]
pub struct LedgerScope {
    pub year: i32,
    pub unit: Option<Uuid>,
    pub names: bool,
    pub filter: queries::LedgerFilter,
}

/// The caller's reach on the ledger: a section's staff their own rows whatever they ask;
/// a due state becomes the due dates it means today.
pub fn ledger_scope(
    principal: &Principal,
    params: &LedgerParams,
    clock: &crate::calendar::Clock,
) -> Result<LedgerScope, AppError> {
    use crate::db::enums::DueState;
    let own = reach(principal)?;
    let open_due = params.due_state.map(|d| match d {
        DueState::Overdue => (None, clock.today.pred_opt()),
        DueState::DueSoon => (Some(clock.today), Some(clock.soon_until())),
        DueState::OnTrack => (clock.soon_until().succ_opt(), None),
    });
    Ok(LedgerScope {
        year: year(params.year)?,
        unit: own.or(params.unit_id),
        names: principal.scope(Operation::DeputyRead).all,
        filter: queries::LedgerFilter { role: params.role, state: params.state, open_due, leader_id: params.leader_id },
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
    let rows = queries::ledger(conn, scope.year, scope.unit, scope.filter, after, limit).await?;
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
