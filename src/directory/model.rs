//! Units, users and deputies: rows, request bodies and answers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::db::enums::{Body, Role, UnitKind, UserKind};
use crate::db::schema::{units, users};
use crate::http::text::QueryText;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: Uuid,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub liaison_name: Option<String>,
    pub liaison_phone: Option<String>,
}

/// A unit: the bureau, a section, or an external unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    pub id: Uuid,
    #[schema(example = "建设工程管理科")]
    pub name: String,
    pub kind: UnitKind,
    /// The bureau, for a section.
    pub parent_id: Option<Uuid>,
    pub active: bool,
    /// The unit's liaison for suggestions (联络员), and their phone.
    #[schema(example = "李明")]
    pub liaison_name: Option<String>,
    #[schema(example = "0371-6655 8899")]
    pub liaison_phone: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            id: r.id,
            name: r.name,
            kind: r.kind,
            parent_id: r.parent_id,
            active: r.active,
            liaison_name: r.liaison_name,
            liaison_phone: r.liaison_phone,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    #[schema(example = "耕地保护科", min_length = 1, max_length = 100)]
    pub name: String,
    pub kind: UnitKind,
    /// Required for a section: the bureau it belongs to.
    pub parent_id: Option<Uuid>,
    /// The unit's liaison (联络员).
    #[schema(max_length = 100)]
    pub liaison_name: Option<String>,
    #[schema(max_length = 30)]
    pub liaison_phone: Option<String>,
}

/// Changes to a unit; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// An inactive unit keeps its history but gets no new users or assignments.
    pub active: Option<bool>,
    /// The liaison (联络员); an empty string clears it.
    #[schema(max_length = 100)]
    pub liaison_name: Option<String>,
    /// The liaison's phone; an empty string clears it.
    #[schema(max_length = 30)]
    pub liaison_phone: Option<String>,
}

/// Filters of the unit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitFilter {
    pub kind: Option<UnitKind>,
    pub parent_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Part of the name.
    #[param(inline)]
    pub q: Option<QueryText<200>>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    pub is_head: bool,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user account (never with its password or secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    #[schema(example = "jsgc_li")]
    pub username: String,
    #[schema(example = "李明")]
    pub display_name: String,
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    /// Heads the unit: a leader heading the bureau is responsible for every assignment.
    pub is_head: bool,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            kind: r.kind,
            roles: r.roles,
            unit_id: r.unit_id,
            is_head: r.is_head,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new user. Without `password`, a person gets a generated one, shown once; a service
/// account always gets a generated client secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(example = "jsgc_li", min_length = 1, max_length = 64)]
    pub username: String,
    #[schema(example = "李明", min_length = 1, max_length = 100)]
    pub display_name: String,
    #[serde(default = "default_kind")]
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub unit_id: Option<Uuid>,
    /// Heads the unit.
    #[serde(default)]
    pub is_head: bool,
    /// A person's password: at least 10 characters.
    #[schema(write_only, min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

impl NewUser {
    /// The request as an `Idempotency-Key` fingerprints it: without the password, which
    /// is never kept in any form but its argon2 hash.
    pub fn fingerprint(&self) -> NewUser {
        NewUser { password: None, ..self.clone() }
    }
}

fn default_kind() -> UserKind {
    UserKind::Person
}

/// A created user, with the one-time credential when one was generated.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// A person's generated password: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
    /// A service account's client secret: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Changes to a user; absent fields stay. Changing roles, unit, password or `active`
/// ends the user's sessions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    /// `null` removes the unit.
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub unit_id: Option<Option<Uuid>>,
    pub is_head: Option<bool>,
    pub active: Option<bool>,
    /// A new password (a person) — at least 10 characters.
    pub password: Option<String>,
    /// `true` issues a new client secret (a service account), shown once in the answer.
    pub rotate_secret: Option<bool>,
}

/// Filters of the user list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub unit_id: Option<Uuid>,
    pub kind: Option<UserKind>,
    pub active: Option<bool>,
    /// Part of the username or display name.
    #[param(inline)]
    pub q: Option<QueryText<200>>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// The caller, with their unit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub unit: Option<Unit>,
    /// The session of the token used.
    pub session_id: Uuid,
}

/// Changing one's own password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::deputies)]
pub struct DeputyRow {
    pub id: Uuid,
    pub body: Body,
    pub name: String,
    pub delegation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub confidential: bool,
    pub user_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A deputy's contact details: personal data, shown only to the office, admins and the
/// deputy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    #[schema(example = "13800000000")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A deputy (代表) or member (委员).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deputy {
    pub id: Uuid,
    pub body: Body,
    /// Null when the deputy asked for confidentiality and the caller may not see it.
    #[schema(example = "杨国哲")]
    pub name: Option<String>,
    /// 代表团 (deputies) or 界别 (members).
    pub delegation: Option<String>,
    /// Only for the office, admins and the deputy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    pub confidential: bool,
    /// The deputy's own account, if they have one.
    pub user_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A deputy as named in a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeputyRef {
    pub id: Uuid,
    /// Null when confidential for the caller.
    pub name: Option<String>,
    pub delegation: Option<String>,
    pub confidential: bool,
}

/// Who is looking, for what personal data they may see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewer {
    /// The office and admins see names and contacts.
    pub privileged: bool,
    /// The caller's own deputy record.
    pub deputy_id: Option<Uuid>,
}

/// A new deputy or member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeputy {
    pub body: Body,
    #[schema(example = "杨国哲", max_length = 50)]
    pub name: String,
    pub delegation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    #[serde(default)]
    pub confidential: bool,
    /// A user with the deputy role to link.
    pub user_id: Option<Uuid>,
}

/// Changes to a deputy; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeputyPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub delegation: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
    pub confidential: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub user_id: Option<Option<Uuid>>,
}

/// Filters of the deputy list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeputyFilter {
    pub body: Option<Body>,
    /// Part of the name or delegation.
    #[param(inline)]
    pub q: Option<QueryText<200>>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}
