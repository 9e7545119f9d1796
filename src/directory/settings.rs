//! The service's settings: the rules of the work that a bureau sets for itself, each with
//! its default (one row). Read by everyone who reads the directory; changed by admins.

use actix_web::{HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::audit;
use crate::auth::{Operation, Principal};
use crate::db;
use crate::db::enums::ReplyClass;
use crate::db::schema::settings;
use crate::error::{AppError, FieldError};
use crate::http::etag::{IfMatch, tagged};
use crate::http::json::Json;
use crate::openapi as doc;

/// The rules of the work, each a setting with a default.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = settings)]
pub struct Settings {
    /// A reply passes office review only after a pre-handling contact (办前沟通). Default on.
    pub require_pre_handling_contact: bool,
    /// Approved extensions (and B-class replies) call for progress feedback every this
    /// many months. Default 3.
    #[schema(minimum = 1, maximum = 24)]
    pub progress_feedback_months: i32,
    /// Key suggestions need a face-to-face contact (面商). Default on.
    pub key_requires_face_to_face: bool,
    /// The reply classes in use, in order (some places use only A/B/C). Default A, B, C, D.
    pub reply_classes: Vec<ReplyClass>,
    /// The head of the bureau signs the replies to key suggestions (a leader who is not
    /// the head cannot give the last approval). Default off.
    pub key_requires_head_signature: bool,
    /// The follow-up visit (办后回访) is due this many months after the reply; 0: not
    /// required. Default 1.
    #[schema(minimum = 0, maximum = 12)]
    pub follow_up_visit_months: i32,
    /// The weight (percent) of the on-time rate in each unit's yearly score. The three
    /// weights add up to 100. Default 40.
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_on_time: i32,
    /// The weight of the contact rate (办前沟通). Default 20.
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_contact: i32,
    /// The weight of the satisfaction rate (满意率). Default 40.
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_satisfaction: i32,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// A change to the settings; absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub require_pre_handling_contact: Option<bool>,
    #[schema(minimum = 1, maximum = 24)]
    pub progress_feedback_months: Option<i32>,
    pub key_requires_face_to_face: Option<bool>,
    /// One to four of A, B, C, D, each once.
    pub reply_classes: Option<Vec<ReplyClass>>,
    pub key_requires_head_signature: Option<bool>,
    #[schema(minimum = 0, maximum = 12)]
    pub follow_up_visit_months: Option<i32>,
    /// The score's weights: each 0 to 100, the three (as changed) adding up to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_on_time: Option<i32>,
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_contact: Option<i32>,
    #[schema(minimum = 0, maximum = 100)]
    pub score_weight_satisfaction: Option<i32>,
}

pub async fn get(conn: &mut AsyncPgConnection) -> QueryResult<Settings> {
    settings::table.select(Settings::as_select()).first(conn).await
}

/// The settings.
#[utoipa::path(
    tag = "directory",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = Settings, headers(("ETag" = String))),
        (status = 403, response = doc::Forbidden),
    )
)]
#[get("")]
pub async fn get_settings(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryRead)?;
    let mut conn = state.conn().await?;
    let s = get(&mut conn).await?;
    Ok(tagged(&mut HttpResponse::Ok(), s.version, &s))
}

/// Changes the settings (admins). Requires `If-Match`.
#[utoipa::path(
    tag = "directory",
    request_body = SettingsPatch,
    params(("If-Match" = String, Header, description = "The settings' ETag")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings now", body = Settings, headers(("ETag" = String))),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 412, response = doc::PreconditionFailed),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 428, response = doc::PreconditionRequired),
    )
)]
#[patch("")]
pub async fn update_settings(
    state: web::Data<AppState>,
    principal: Principal,
    if_match: IfMatch,
    body: Json<SettingsPatch>,
) -> Result<HttpResponse, AppError> {
    principal.require(Operation::DirectoryWrite)?;
    if_match.require()?;
    let patch = body.0;
    if let Some(m) = patch.progress_feedback_months
        && !(1..=24).contains(&m)
    {
        return Err(AppError::validation(vec![FieldError::new(
            "progress_feedback_months",
            "out_of_range",
            "from 1 to 24 months",
        )]));
    }
    if let Some(m) = patch.follow_up_visit_months
        && !(0..=12).contains(&m)
    {
        return Err(AppError::validation(vec![FieldError::new(
            "follow_up_visit_months",
            "out_of_range",
            "from 0 (not required) to 12 months",
        )]));
    }
    if let Some(classes) = &patch.reply_classes {
        let mut seen = classes.clone();
        seen.sort_by_key(|c| c.as_str());
        seen.dedup();
        if classes.is_empty() || seen.len() != classes.len() {
            return Err(AppError::validation(vec![FieldError::new(
                "reply_classes",
                "invalid",
                "one to four of A, B, C, D, each once",
            )]));
        }
    }
    let mut conn = state.conn().await?;
    let actor = principal.actor();
    let after = db::transaction(&mut conn, async |conn| {
        let before = settings::table.select(Settings::as_select()).for_update().first(conn).await?;
        if_match.check(before.version)?;
        let weights = [
            patch.score_weight_on_time.unwrap_or(before.score_weight_on_time),
            patch.score_weight_contact.unwrap_or(before.score_weight_contact),
            patch.score_weight_satisfaction.unwrap_or(before.score_weight_satisfaction),
        ];
        if weights.iter().any(|w| !(0..=100).contains(w)) || weights.iter().sum::<i32>() != 100 {
            return Err(AppError::validation(vec![FieldError::new(
                "score_weight_on_time",
                "invalid",
                "the score's three weights are each 0 to 100 and add up to 100",
            )]));
        }
        let after = diesel::update(settings::table)
            .set((
                settings::require_pre_handling_contact
                    .eq(patch.require_pre_handling_contact.unwrap_or(before.require_pre_handling_contact)),
                settings::progress_feedback_months
                    .eq(patch.progress_feedback_months.unwrap_or(before.progress_feedback_months)),
                settings::key_requires_face_to_face
                    .eq(patch.key_requires_face_to_face.unwrap_or(before.key_requires_face_to_face)),
                settings::reply_classes.eq(patch.reply_classes.as_ref().unwrap_or(&before.reply_classes)),
                settings::key_requires_head_signature
                    .eq(patch.key_requires_head_signature.unwrap_or(before.key_requires_head_signature)),
                settings::follow_up_visit_months
                    .eq(patch.follow_up_visit_months.unwrap_or(before.follow_up_visit_months)),
                settings::score_weight_on_time.eq(weights[0]),
                settings::score_weight_contact.eq(weights[1]),
                settings::score_weight_satisfaction.eq(weights[2]),
                settings::version.eq(settings::version + 1),
                settings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Settings::as_returning())
            .get_result(conn)
            .await?;
        let snap = |s: &Settings| {
            json!({
                "require_pre_handling_contact": s.require_pre_handling_contact,
                "progress_feedback_months": s.progress_feedback_months,
                "key_requires_face_to_face": s.key_requires_face_to_face,
                "reply_classes": s.reply_classes,
                "key_requires_head_signature": s.key_requires_head_signature,
                "follow_up_visit_months": s.follow_up_visit_months,
                "score_weights": [s.score_weight_on_time, s.score_weight_contact, s.score_weight_satisfaction],
            })
        };
        audit::record(conn, &actor, "settings.update", "settings", "settings", Some(snap(&before)), Some(snap(&after)))
            .await?;
        Ok(after)
    })
    .await?;
    Ok(tagged(&mut HttpResponse::Ok(), after.version, &after))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/settings").service(get_settings).service(update_settings));
}
