//! Reminders (催办): from the office or a responsible leader; the due-state job writes its
//! own when an assignment becomes due soon or overdue (`due_states`).

use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::assignments::model::{NewReminder, Reminder};
use crate::assignments::queries;
use crate::assignments::service::{event, illegal, locked};
use crate::audit::{self};
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::ReminderKind;
use crate::error::AppError;
use crate::http::text;

/// A reminder (催办) from the office or a responsible leader.
pub async fn remind(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
    new: &NewReminder,
) -> Result<Reminder, AppError> {
    let message =
        text::optional_text("message", new.message.as_deref(), 500).map_err(|e| AppError::validation(vec![e]))?;
    let actor = principal.actor();
    db::transaction(conn, async |conn| {
        let row = locked(conn, principal, Operation::Remind, id, None).await?;
        if !row.state.is_open() {
            return Err(illegal(row.state, vec![]));
        }
        let reminder = Reminder {
            id: Uuid::now_v7(),
            assignment_id: id,
            kind: ReminderKind::Manual,
            message,
            due_on: row.due_on,
            sent_by: Some(principal.user_id),
            created_at: chrono::Utc::now(),
        };
        let saved = queries::insert_reminders(conn, &[reminder])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal("reminder not written"))?;
        audit::record(
            conn,
            &actor,
            "reminder.create",
            "reminder",
            &saved.id.to_string(),
            None,
            serde_json::to_value(&saved).ok(),
        )
        .await?;
        audit::emit(
            conn,
            &[event(
                "reminder.created",
                &row,
                json!({"reminder_id": saved.id, "kind": "manual", "message": saved.message}),
            )],
        )
        .await?;
        Ok(saved)
    })
    .await
}
