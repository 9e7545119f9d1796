//! Directory operations: each validates, changes, and records its audit row in one
//! transaction.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::policy::Role;
use crate::auth::{self, password};
use crate::db;
use crate::directory::model::*;
use crate::directory::{queries, rules};
use crate::error::{AppError, FieldError};
use crate::http::etag::IfMatch;
use crate::http::text;

fn json(v: &impl serde::Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Hashes off the event loop: argon2 is slow by design.
pub async fn hash_secret(secret: String) -> Result<String, AppError> {
    actix_web::web::block(move || password::hash(&secret)).await.map_err(AppError::internal)
}

pub async fn create_unit(conn: &mut AsyncPgConnection, actor: &Actor, new: &NewUnit) -> Result<Unit, AppError> {
    let mut errors = Vec::new();
    let name = text::name("name", &new.name, 100).map_err(|e| errors.push(e)).ok();
    let liaison_name = text::optional_text("liaison_name", new.liaison_name.as_deref(), 100)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let liaison_phone = rules::phone(new.liaison_phone.as_deref())
        .map_err(|e| errors.push(FieldError::new("liaison_phone", &e.code, e.message)))
        .ok()
        .flatten();
    let parent_kind = match new.parent_id {
        Some(id) => match queries::unit(conn, id).await? {
            Some(p) => Some(p.kind),
            None => {
                errors.push(FieldError::new("parent_id", "unknown_reference", "no such unit"));
                None
            }
        },
        None => None,
    };
    if errors.is_empty()
        && let Err(e) = rules::unit_parent(new.kind, parent_kind)
    {
        errors.push(e);
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let mut row = queries::insert_unit(conn, &name, new.kind, new.parent_id).await?;
    if liaison_name.is_some() || liaison_phone.is_some() {
        row = queries::set_liaison(conn, row.id, liaison_name.as_deref(), liaison_phone.as_deref()).await?;
    }
    let unit: Unit = row.into();
    audit::record(conn, actor, "unit.create", "unit", &unit.id.to_string(), None, json(&unit)).await?;
    Ok(unit)
}

pub async fn update_unit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    patch: &UnitPatch,
) -> Result<Unit, AppError> {
    db::transaction(conn, async |conn| {
        let before: Unit = queries::unit_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("unit"))?.into();
        if_match.check(before.version)?;
        let name = match &patch.name {
            Some(n) => text::name("name", n, 100).map_err(|e| AppError::validation(vec![e]))?,
            None => before.name.clone(),
        };
        let mut errors = Vec::new();
        let liaison_name = match &patch.liaison_name {
            Some(n) => {
                text::optional_text("liaison_name", Some(n), 100).map_err(|e| errors.push(e)).unwrap_or_default()
            }
            None => before.liaison_name.clone(),
        };
        let liaison_phone = match &patch.liaison_phone {
            Some(p) => rules::phone(Some(p))
                .map_err(|e| errors.push(FieldError::new("liaison_phone", &e.code, e.message)))
                .unwrap_or_default(),
            None => before.liaison_phone.clone(),
        };
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        queries::update_unit(conn, id, &name, patch.active.unwrap_or(before.active)).await?;
        let after: Unit =
            queries::set_liaison(conn, id, liaison_name.as_deref(), liaison_phone.as_deref()).await?.into();
        audit::record(conn, actor, "unit.update", "unit", &id.to_string(), json(&before), json(&after)).await?;
        Ok(after)
    })
    .await
}

pub async fn delete_unit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    db::transaction(conn, async |conn| {
        let before: Unit = queries::unit_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("unit"))?.into();
        if_match.check(before.version)?;
        queries::delete_unit(conn, id).await?;
        audit::record(conn, actor, "unit.delete", "unit", &id.to_string(), json(&before), None).await?;
        Ok(())
    })
    .await
}

/// A checked new user with its hashed credential, ready to insert.
pub struct PreparedUser {
    username: String,
    display_name: String,
    kind: UserKind,
    roles: Vec<Role>,
    unit_id: Option<Uuid>,
    is_head: bool,
    secret_hash: String,
    /// The generated password or client secret, to show once.
    generated: Option<String>,
}

/// The kind of a unit a user is to belong to, or the field error.
async fn unit_kind_of(conn: &mut AsyncPgConnection, unit_id: Option<Uuid>) -> Result<Option<UnitKind>, FieldError> {
    let Some(id) = unit_id else { return Ok(None) };
    match queries::unit(conn, id).await {
        Ok(Some(u)) if u.active => Ok(Some(u.kind)),
        Ok(Some(_)) => Err(FieldError::new("unit_id", "inactive", "the unit is inactive")),
        _ => Err(FieldError::new("unit_id", "unknown_reference", "no such unit")),
    }
}

/// Validates a new user and hashes its credential (outside any transaction: it is slow).
pub async fn prepare_user(conn: &mut AsyncPgConnection, new: &NewUser) -> Result<PreparedUser, AppError> {
    let mut errors = Vec::new();
    let username = rules::username(&new.username).map_err(|e| errors.push(e)).ok();
    let display_name = text::name("display_name", &new.display_name, 100).map_err(|e| errors.push(e)).ok();
    let unit_kind = unit_kind_of(conn, new.unit_id).await.map_err(|e| errors.push(e)).ok().flatten();
    if !errors.iter().any(|e| e.field == "unit_id") {
        errors.extend(rules::roles(&new.roles, new.kind, unit_kind));
    }
    match (new.kind, &new.password) {
        (UserKind::Person, Some(p)) => {
            if let Err(m) = password::check_new_password(p) {
                errors.push(FieldError::new("password", "too_weak", m));
            }
        }
        (UserKind::Service, Some(_)) => {
            errors.push(FieldError::new("password", "invalid", "a service account gets a generated client secret"))
        }
        _ => {}
    }
    let (Some(username), Some(display_name)) = (username, display_name) else {
        return Err(AppError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let generated = new.password.is_none().then(|| password::random_token(18));
    let secret = new.password.clone().or_else(|| generated.clone()).unwrap_or_default();
    Ok(PreparedUser {
        username,
        display_name,
        kind: new.kind,
        roles: new.roles.clone(),
        unit_id: new.unit_id,
        is_head: new.is_head,
        secret_hash: hash_secret(secret).await?,
        generated,
    })
}

/// Inserts a prepared user and records it.
pub async fn create_user(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    p: PreparedUser,
) -> Result<CreatedUser, AppError> {
    let row = queries::insert_user(
        conn,
        queries::UserInsert {
            username: &p.username,
            display_name: &p.display_name,
            kind: p.kind,
            roles: p.roles.clone(),
            unit_id: p.unit_id,
            is_head: p.is_head,
            secret_hash: p.secret_hash,
        },
    )
    .await?;
    let user: User = row.into();
    audit::record(conn, actor, "user.create", "user", &user.id.to_string(), None, json(&user)).await?;
    let (initial_password, client_secret) = match p.kind {
        UserKind::Person => (p.generated, None),
        UserKind::Service => (None, p.generated),
    };
    Ok(CreatedUser { user, initial_password, client_secret })
}

/// The answer of a user update: the user, a new client secret when one was issued, and
/// whether sessions were ended (so the caller forgets its session cache).
pub struct UpdatedUser {
    pub user: User,
    pub client_secret: Option<String>,
    pub sessions_ended: bool,
}

pub async fn update_user(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    patch: &UserPatch,
) -> Result<UpdatedUser, AppError> {
    let new_secret = match &patch.password {
        Some(p) => {
            password::check_new_password(p).map_err(|m| AppError::field("password", "too_weak", m))?;
            Some(p.clone())
        }
        None if patch.rotate_secret == Some(true) => Some(password::random_token(32)),
        None => None,
    };
    let new_hash = match &new_secret {
        Some(s) => Some(hash_secret(s.clone()).await?),
        None => None,
    };
    db::transaction(conn, async |conn| {
        let before: User = queries::user_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
        if_match.check(before.version)?;
        let mut errors = Vec::new();
        match (before.kind, patch.password.is_some(), patch.rotate_secret == Some(true)) {
            (UserKind::Service, true, _) => errors.push(FieldError::new(
                "password",
                "invalid",
                "a service account has a client secret; use rotate_secret",
            )),
            (UserKind::Person, _, true) => {
                errors.push(FieldError::new("rotate_secret", "invalid", "a person has a password, not a client secret"))
            }
            _ => {}
        }
        let display_name = match &patch.display_name {
            Some(n) => text::name("display_name", n, 100).map_err(|e| errors.push(e)).unwrap_or_default(),
            None => before.display_name.clone(),
        };
        let roles = patch.roles.clone().unwrap_or_else(|| before.roles.clone());
        let unit_id = patch.unit_id.unwrap_or(before.unit_id);
        let active = patch.active.unwrap_or(before.active);
        if patch.roles.is_some() || patch.unit_id.is_some() {
            match unit_kind_of(conn, unit_id).await {
                Ok(kind) => errors.extend(rules::roles(&roles, before.kind, kind)),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let locks_out_self = actor.id == Some(id) && (!active || !roles.contains(&Role::Admin));
        if locks_out_self && before.roles.contains(&Role::Admin) {
            return Err(AppError::conflict(
                "would_lock_out",
                "you cannot remove your own admin role or disable yourself",
            ));
        }
        let update = queries::UserUpdate {
            display_name,
            roles: roles.clone(),
            unit_id,
            is_head: patch.is_head.unwrap_or(before.is_head),
            active,
            secret_hash: new_hash.clone(),
        };
        let after: User = queries::update_user(conn, id, update).await?.into();
        let security_changed = after.roles != before.roles
            || after.unit_id != before.unit_id
            || after.active != before.active
            || after.is_head != before.is_head
            || new_hash.is_some();
        let sessions_ended =
            security_changed && auth::queries::revoke_user_sessions(conn, id, None, "user_changed").await? > 0;
        let mut audited_after = json(&after);
        if new_hash.is_some()
            && let Some(serde_json::Value::Object(map)) = audited_after.as_mut()
        {
            map.insert("credential_changed".into(), true.into());
        }
        audit::record(conn, actor, "user.update", "user", &id.to_string(), json(&before), audited_after).await?;
        let client_secret = if before.kind == UserKind::Service { new_secret.clone() } else { None };
        Ok(UpdatedUser { user: after, client_secret, sessions_ended })
    })
    .await
}

pub async fn delete_user(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(), AppError> {
    if actor.id == Some(id) {
        return Err(AppError::conflict("would_lock_out", "you cannot delete yourself"));
    }
    db::transaction(conn, async |conn| {
        let before: User = queries::user_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
        if_match.check(before.version)?;
        queries::delete_user(conn, id).await?;
        auth::queries::announce_ended(conn, None).await?;
        audit::record(conn, actor, "user.delete", "user", &id.to_string(), json(&before), None).await?;
        Ok(())
    })
    .await
}

/// Changes one's own password after checking the current one; other sessions end.
pub async fn change_own_password(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    user_id: Uuid,
    session_id: Uuid,
    change: &PasswordChange,
) -> Result<(), AppError> {
    password::check_new_password(&change.new_password).map_err(|m| AppError::field("new_password", "too_weak", m))?;
    let hash = queries::secret_hash(conn, user_id).await?;
    let current = change.current_password.clone();
    let ok = actix_web::web::block(move || password::verify_or_dummy(&current, hash.as_deref()))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::field("current_password", "incorrect", "the current password is wrong"));
    }
    let new_hash = hash_secret(change.new_password.clone()).await?;
    db::transaction(conn, async |conn| {
        queries::set_secret_hash(conn, user_id, &new_hash).await?;
        auth::queries::revoke_user_sessions(conn, user_id, Some(session_id), "password_changed").await?;
        let after = serde_json::json!({"credential_changed": true});
        audit::record(conn, actor, "user.password_change", "user", &user_id.to_string(), None, Some(after)).await?;
        Ok(())
    })
    .await
}

/// On an empty database, creates the `admin` account; returns its password when it was
/// generated (to print once).
pub async fn bootstrap_admin(
    conn: &mut AsyncPgConnection,
    password: Option<String>,
) -> Result<Option<String>, AppError> {
    if queries::count_users(conn).await? > 0 {
        return Ok(None);
    }
    let new = NewUser {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        kind: UserKind::Person,
        roles: vec![Role::Admin],
        unit_id: None,
        is_head: false,
        password,
    };
    let prepared = prepare_user(conn, &new).await?;
    let created =
        db::transaction(conn, async |conn| create_user(conn, &Actor::system("first start"), prepared).await).await?;
    Ok(created.initial_password)
}

/// Who is looking: the office and admins see personal data; a deputy sees their own.
pub async fn viewer(conn: &mut AsyncPgConnection, principal: &crate::auth::Principal) -> Result<Viewer, AppError> {
    let deputy_id = if principal.has_role(Role::Deputy) {
        queries::deputy_id_of_user(conn, principal.user_id).await?
    } else {
        None
    };
    Ok(Viewer { privileged: principal.has_role(Role::Office) || principal.has_role(Role::Admin), deputy_id })
}

/// A deputy's event payload: never their contact details.
fn deputy_event(kind: &'static str, row: &DeputyRow) -> audit::Event {
    audit::Event {
        kind,
        entity_type: "deputy",
        entity_id: row.id,
        version: Some(row.version),
        payload: serde_json::json!({
            "id": row.id, "body": row.body, "delegation": row.delegation, "confidential": row.confidential,
            "name": (!row.confidential).then_some(&row.name),
        }),
    }
}

/// Checks a deputy's fields; `user_id` must be an account with the deputy role.
async fn deputy_fields(
    conn: &mut AsyncPgConnection,
    body: Body,
    name: &str,
    delegation: Option<&str>,
    contact: &Contact,
    confidential: bool,
    user_id: Option<Uuid>,
) -> Result<queries::DeputyFields, AppError> {
    let mut errors = Vec::new();
    let mut keep = |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
    let name = keep(text::name("name", name, 50).map(Some));
    let delegation = keep(text::optional_text("delegation", delegation, 100));
    let phone = keep(rules::phone(contact.phone.as_deref()));
    let email = keep(rules::email(contact.email.as_deref()));
    let address = keep(text::optional_text("address", contact.address.as_deref(), 200));
    if let Some(id) = user_id {
        match queries::user(conn, id).await? {
            Some(u) if u.roles.contains(&Role::Deputy) => {}
            Some(_) => errors.push(FieldError::new("user_id", "invalid", "the account does not have the deputy role")),
            None => errors.push(FieldError::new("user_id", "unknown_reference", "no such user")),
        }
    }
    match name {
        Some(name) if errors.is_empty() => Ok(queries::DeputyFields {
            body: body.as_str().to_string(),
            name,
            delegation,
            phone,
            email,
            address,
            confidential,
            user_id,
        }),
        _ => Err(AppError::validation(errors)),
    }
}

pub async fn create_deputy(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: &NewDeputy,
) -> Result<DeputyRow, AppError> {
    let contact = Contact { phone: new.phone.clone(), email: new.email.clone(), address: new.address.clone() };
    let fields =
        deputy_fields(conn, new.body, &new.name, new.delegation.as_deref(), &contact, new.confidential, new.user_id)
            .await?;
    let row = queries::insert_deputy(conn, fields).await?;
    let after = json(&rules::deputy_for(&Viewer { privileged: true, deputy_id: None }, row.clone()));
    audit::record(conn, actor, "deputy.create", "deputy", &row.id.to_string(), None, after).await?;
    audit::emit(conn, &[deputy_event("deputy.created", &row)]).await?;
    Ok(row)
}

pub async fn update_deputy(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    patch: &DeputyPatch,
) -> Result<DeputyRow, AppError> {
    db::transaction(conn, async |conn| {
        let before = queries::deputy_for_update(conn, id).await?.ok_or_else(|| AppError::not_found("deputy"))?;
        if_match.check(before.version)?;
        let pick = |p: &Option<Option<String>>, old: &Option<String>| p.clone().unwrap_or_else(|| old.clone());
        let contact = Contact {
            phone: pick(&patch.phone, &before.phone),
            email: pick(&patch.email, &before.email),
            address: pick(&patch.address, &before.address),
        };
        let body = before.body;
        let fields = deputy_fields(
            conn,
            body,
            patch.name.as_deref().unwrap_or(&before.name),
            pick(&patch.delegation, &before.delegation).as_deref(),
            &contact,
            patch.confidential.unwrap_or(before.confidential),
            patch.user_id.unwrap_or(before.user_id),
        )
        .await?;
        let after = queries::update_deputy(conn, id, fields).await?;
        let full = Viewer { privileged: true, deputy_id: None };
        let (b, a) = (json(&rules::deputy_for(&full, before)), json(&rules::deputy_for(&full, after.clone())));
        audit::record(conn, actor, "deputy.update", "deputy", &id.to_string(), b, a).await?;
        audit::emit(conn, &[deputy_event("deputy.updated", &after)]).await?;
        Ok(after)
    })
    .await
}

/// The ids of a body's deputies by name, registering the names not yet known (for the
/// municipal system's sync and imports, which name deputies rather than identify them).
pub async fn deputies_by_name(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    body: Body,
    names: &[String],
) -> Result<std::collections::HashMap<String, Uuid>, AppError> {
    let mut wanted: Vec<String> = names.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    wanted.sort();
    wanted.dedup();
    let mut found = queries::deputy_ids_by_name(conn, body, &wanted).await?;
    let missing: Vec<String> = wanted.iter().filter(|n| !found.contains_key(*n)).cloned().collect();
    if missing.is_empty() {
        return Ok(found);
    }
    let created = queries::insert_deputies_by_name(conn, body, &missing).await?;
    let full = Viewer { privileged: true, deputy_id: None };
    let changes: Vec<audit::Change> = created
        .iter()
        .map(|row| audit::Change {
            action: "deputy.create",
            entity_type: "deputy",
            entity_id: row.id.to_string(),
            before: None,
            after: json(&rules::deputy_for(&full, row.clone())),
        })
        .collect();
    audit::record_many(conn, actor, &changes).await?;
    let events: Vec<audit::Event> = created.iter().map(|r| deputy_event("deputy.created", r)).collect();
    audit::emit(conn, &events).await?;
    // Names another transaction registered meanwhile are found now.
    found.extend(queries::deputy_ids_by_name(conn, body, &missing).await?);
    Ok(found)
}
