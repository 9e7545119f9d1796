//! The database and the code agree: every enum column's CHECK constraint lists exactly the
//! values of its Rust enum, and every such column has one.

use std::collections::{BTreeMap, BTreeSet};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use jianyi::db::enums::*;

use crate::support::TestApp;

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The quoted literals of a constraint's definition: `'npc'::text` gives `npc`.
fn literals(definition: &str) -> BTreeSet<String> {
    definition.split('\'').skip(1).step_by(2).map(str::to_string).collect()
}

macro_rules! values {
    ($t:ty) => {
        <$t>::ALL.iter().map(|v| v.as_str().to_string()).collect::<BTreeSet<String>>()
    };
}

#[actix_web::test]
async fn every_enum_column_checks_the_values_of_its_rust_enum() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let checks: Vec<Check> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, a.attname::text AS column_name, \
                pg_get_constraintdef(c.oid) AS definition \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] \
         WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND pg_get_constraintdef(c.oid) LIKE '%ARRAY[%'",
    )
    .load(&mut *conn)
    .await
    .unwrap();
    let found: BTreeMap<(String, String), BTreeSet<String>> =
        checks.into_iter().map(|c| ((c.table_name, c.column_name), literals(&c.definition))).collect();
    let expected: BTreeMap<(String, String), BTreeSet<String>> = [
        ("units", "kind", values!(UnitKind)),
        ("users", "kind", values!(UserKind)),
        ("users", "roles", values!(Role)),
        ("sessions", "grant_type", values!(Grant)),
        ("deputies", "body", values!(Body)),
        ("suggestions", "source", values!(Source)),
        ("suggestions", "status", values!(SuggestionStatus)),
        ("holidays", "kind", values!(DayKind)),
        ("deadline_rules", "kind", values!(DeadlineKind)),
        ("deadline_rules", "source", values!(Source)),
        ("deadline_rules", "role", values!(HandlingRole)),
        ("deadline_rules", "start_point", values!(StartPoint)),
        ("deadline_rules", "period", values!(Period)),
        ("deadline_rules", "extension_cap_period", values!(Period)),
        ("assignments", "role", values!(HandlingRole)),
        ("assignments", "state", values!(AssignmentState)),
        ("assignments", "due_state", values!(DueState)),
        ("disputes", "status", values!(DisputeStatus)),
        ("disputes", "state_before", values!(AssignmentState)),
        ("extensions", "status", values!(ExtensionStatus)),
        ("reminders", "kind", values!(ReminderKind)),
        ("suggestion_access", "kind", values!(AccessKind)),
        ("documents", "kind", values!(DocumentKind)),
        ("doc_no_series", "kind", values!(DocNoKind)),
        ("opinions", "state", values!(OpinionState)),
        ("opinions", "delivery_channel", values!(DeliveryChannel)),
        ("opinion_decisions", "stage", values!(OpinionStage)),
        ("opinion_decisions", "decision", values!(Decision)),
        ("contacts", "kind", values!(ContactKind)),
        ("contacts", "channel", values!(ContactChannel)),
        ("replies", "state", values!(ReplyState)),
        ("reply_revisions", "class", values!(ReplyClass)),
        ("remote_replies", "class", values!(ReplyClass)),
        ("commitments", "due_state", values!(DueState)),
        ("reply_signoffs", "state", values!(SignoffState)),
        ("reply_decisions", "stage", values!(ReplyStage)),
        ("reply_decisions", "decision", values!(Decision)),
        ("reply_decisions", "class_before", values!(ReplyClass)),
        ("reply_decisions", "class_after", values!(ReplyClass)),
        ("submissions", "state", values!(SubmissionState)),
        ("disclosures", "mode", values!(DisclosureMode)),
        ("disclosures", "consent", values!(Consent)),
        ("evaluations", "work", values!(Rating)),
        ("evaluations", "result", values!(Rating)),
        ("completions", "basis", values!(CompletionBasis)),
        ("commitments", "state", values!(CommitmentState)),
        ("webhook_deliveries", "state", values!(DeliveryState)),
    ]
    .into_iter()
    .map(|(t, c, v)| ((t.to_string(), c.to_string()), v))
    .collect();
    for (column, values) in &expected {
        assert_eq!(found.get(column), Some(values), "{column:?}: the CHECK constraint and the Rust enum differ");
    }
    for column in found.keys() {
        assert!(expected.contains_key(column), "{column:?} has a CHECK of values but no Rust enum in this test");
    }
}

/// A value the code does not know, written behind its back, is an error when read — not
/// a plausible default.
#[actix_web::test]
async fn an_unknown_value_in_the_database_is_an_error_not_a_default() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    diesel::sql_query("ALTER TABLE units DROP CONSTRAINT units_kind_check").execute(&mut *conn).await.unwrap();
    diesel::sql_query("UPDATE units SET kind = 'castle' WHERE name = '市林业局'").execute(&mut *conn).await.unwrap();
    let res = app.get("/api/v1/units?limit=200").as_(jianyi::auth::Role::Admin).send().await;
    res.problem(500, "internal_error");
}
