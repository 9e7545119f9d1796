//! Diesel table definitions, kept in step with `migrations/` (every query is exercised by
//! the integration tests against the migrated schema).

/// PostgreSQL types diesel does not bring.
pub mod sql_types {
    /// `tsvector`, written by the service as text cast to tsvector.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "tsvector"))]
    pub struct Tsvector;

    /// `tsquery`.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "tsquery"))]
    pub struct Tsquery;
}

diesel::table! {
    units (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Uuid>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        liaison_name -> Nullable<Text>,
        liaison_phone -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        kind -> Text,
        roles -> Array<Text>,
        unit_id -> Nullable<Uuid>,
        secret_hash -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        is_head -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        grant_type -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        session_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        window_started_at -> Timestamptz,
        failures -> Int4,
    }
}

diesel::table! {
    idempotency_keys (principal_id, key) {
        principal_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        status -> Int2,
        body -> Jsonb,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor_name -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    deputies (id) {
        id -> Uuid,
        body -> Text,
        name -> Text,
        delegation -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        address -> Nullable<Text>,
        confidential -> Bool,
        user_id -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    suggestions (id) {
        id -> Uuid,
        source -> Text,
        year -> Int4,
        external_no -> Text,
        session_label -> Nullable<Text>,
        title -> Text,
        body -> Text,
        category -> Nullable<Text>,
        keywords -> Array<Text>,
        proposer_id -> Nullable<Uuid>,
        co_signer_ids -> Array<Uuid>,
        is_key -> Bool,
        received_on -> Nullable<Date>,
        merged_into -> Nullable<Uuid>,
        status -> Text,
        version -> Int4,
        content_hash -> Bytea,
        search -> Tsvector,
        title_search -> Tsvector,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        supervisor_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    events (seq) {
        seq -> Int8,
        #[sql_name = "type"]
        type_ -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        version -> Nullable<Int4>,
        payload -> Jsonb,
        created_at -> Timestamptz,
        position -> Nullable<Int8>,
    }
}

diesel::table! {
    events_head (only_row) {
        only_row -> Bool,
        position -> Int8,
    }
}

diesel::table! {
    holidays (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
        schedule_year -> Int4,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    deadline_rules (id) {
        id -> Uuid,
        kind -> Text,
        source -> Nullable<Text>,
        role -> Nullable<Text>,
        start_point -> Text,
        start_date -> Nullable<Date>,
        amount -> Int4,
        period -> Text,
        extension_cap -> Nullable<Int4>,
        extension_cap_period -> Nullable<Text>,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

// Beside these columns, an assignment holds the facts the figures count (year,
// external_no, answered_on, answer_class, contacted, face_to_face, rated, work_satisfied,
// result_satisfied, latest_result, open_commitments), written by the database's triggers
// only (migration 000017) and read by supervision's SQL; not listed here, so that no
// diesel write can name them (and the table stays within diesel's 32 columns).
diesel::table! {
    assignments (id) {
        id -> Uuid,
        suggestion_id -> Uuid,
        unit_id -> Uuid,
        role -> Text,
        round -> Int4,
        section_id -> Nullable<Uuid>,
        leader_id -> Nullable<Uuid>,
        liaison_id -> Nullable<Uuid>,
        state -> Text,
        assigned_on -> Date,
        rule_id -> Uuid,
        rule_due_on -> Date,
        extended_to -> Nullable<Date>,
        due_on -> Date,
        dispute_until -> Nullable<Date>,
        due_state -> Text,
        signed_in_at -> Nullable<Timestamptz>,
        signed_in_by -> Nullable<Uuid>,
        reassigned_to -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    disputes (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        reason -> Text,
        suggested_unit_id -> Nullable<Uuid>,
        requested_by -> Uuid,
        requested_at -> Timestamptz,
        status -> Text,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        decision_note -> Nullable<Text>,
        state_before -> Text,
        version -> Int4,
    }
}

diesel::table! {
    extensions (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        reason -> Text,
        requested_until -> Date,
        requested_by -> Uuid,
        requested_at -> Timestamptz,
        status -> Text,
        approved_until -> Nullable<Date>,
        explanation -> Nullable<Text>,
        explained_on -> Nullable<Date>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        decision_note -> Nullable<Text>,
        version -> Int4,
    }
}

diesel::table! {
    reminders (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        kind -> Text,
        message -> Nullable<Text>,
        due_on -> Date,
        sent_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        commitment_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    suggestion_access (unit_id, kind, suggestion_id, granted_by) {
        unit_id -> Uuid,
        kind -> Text,
        suggestion_id -> Uuid,
        granted_by -> Uuid,
    }
}

diesel::table! {
    documents (id) {
        id -> Uuid,
        suggestion_id -> Uuid,
        unit_id -> Uuid,
        name -> Text,
        kind -> Text,
        size -> Int8,
        sha256 -> Text,
        storage_key -> Text,
        owner_type -> Nullable<Text>,
        owner_id -> Nullable<Uuid>,
        uploaded_by -> Uuid,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
        version -> Int4,
    }
}

diesel::table! {
    document_grants (document_id, unit_id, granted_by) {
        document_id -> Uuid,
        unit_id -> Uuid,
        granted_by -> Uuid,
    }
}

diesel::table! {
    blob_sweeps (storage_key) {
        storage_key -> Text,
        not_before -> Timestamptz,
    }
}

diesel::table! {
    settings (id) {
        id -> Bool,
        require_pre_handling_contact -> Bool,
        progress_feedback_months -> Int4,
        key_requires_face_to_face -> Bool,
        reply_classes -> Array<Text>,
        key_requires_head_signature -> Bool,
        version -> Int4,
        updated_at -> Timestamptz,
        follow_up_visit_months -> Int4,
        score_weight_on_time -> Int4,
        score_weight_contact -> Int4,
        score_weight_satisfaction -> Int4,
    }
}

diesel::table! {
    dashboard_tickets (token_hash) {
        token_hash -> Bytea,
        session_id -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    report_notes (year) {
        year -> Int4,
        next_steps -> Text,
        version -> Int4,
        updated_by -> Uuid,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    doc_no_series (unit_id, kind, year) {
        unit_id -> Uuid,
        kind -> Text,
        year -> Int4,
        last -> Int4,
    }
}

diesel::table! {
    opinions (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        suggestion_id -> Uuid,
        unit_id -> Uuid,
        section_id -> Nullable<Uuid>,
        internal -> Bool,
        body -> Text,
        doc_no -> Nullable<Text>,
        state -> Text,
        drafted_by -> Uuid,
        submitted_at -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        delivery_channel -> Nullable<Text>,
        delivery_note -> Nullable<Text>,
        delivered_by -> Nullable<Uuid>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    opinion_decisions (id) {
        id -> Uuid,
        opinion_id -> Uuid,
        stage -> Text,
        decision -> Text,
        comment -> Nullable<Text>,
        opinion_version -> Int4,
        decided_by -> Uuid,
        decided_at -> Timestamptz,
    }
}

diesel::table! {
    opinion_waivers (assignment_id) {
        assignment_id -> Uuid,
        suggestion_id -> Uuid,
        reason -> Text,
        waived_by -> Uuid,
        waived_at -> Timestamptz,
    }
}

diesel::table! {
    contacts (id) {
        id -> Uuid,
        suggestion_id -> Uuid,
        assignment_id -> Uuid,
        unit_id -> Uuid,
        kind -> Text,
        channel -> Text,
        contacted_on -> Date,
        face_to_face -> Bool,
        staff -> Array<Text>,
        deputy_ids -> Array<Uuid>,
        others -> Array<Text>,
        summary -> Text,
        internal_note -> Nullable<Text>,
        extension_id -> Nullable<Uuid>,
        recorded_by -> Uuid,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reply_templates (id) {
        id -> Uuid,
        category -> Nullable<Text>,
        name -> Text,
        body -> Text,
        version -> Int4,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    replies (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        suggestion_id -> Uuid,
        unit_id -> Uuid,
        section_id -> Nullable<Uuid>,
        round -> Int4,
        state -> Text,
        revision -> Int4,
        drafted_by -> Uuid,
        submitted_at -> Nullable<Timestamptz>,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Uuid>,
        final_document_id -> Nullable<Uuid>,
        signed_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        signed_on -> Nullable<Date>,
    }
}

diesel::table! {
    reply_revisions (reply_id, revision) {
        reply_id -> Uuid,
        revision -> Int4,
        class -> Nullable<Text>,
        body -> Text,
        doc_no -> Nullable<Text>,
        signer -> Nullable<Text>,
        leader_name -> Nullable<Text>,
        leader_phone -> Nullable<Text>,
        handler_name -> Nullable<Text>,
        handler_phone -> Nullable<Text>,
        cc_units -> Array<Text>,
        points -> Array<Text>,
        template_id -> Nullable<Uuid>,
        saved_by -> Uuid,
        saved_at -> Timestamptz,
    }
}

diesel::table! {
    reply_signoffs (id) {
        id -> Uuid,
        reply_id -> Uuid,
        revision -> Int4,
        assignment_id -> Uuid,
        unit_id -> Uuid,
        state -> Text,
        comment -> Nullable<Text>,
        requested_by -> Uuid,
        requested_at -> Timestamptz,
        answered_by -> Nullable<Uuid>,
        answered_at -> Nullable<Timestamptz>,
        settled_by -> Nullable<Uuid>,
        settled_at -> Nullable<Timestamptz>,
        settle_note -> Nullable<Text>,
        version -> Int4,
    }
}

diesel::table! {
    reply_decisions (id) {
        id -> Uuid,
        reply_id -> Uuid,
        stage -> Text,
        decision -> Text,
        comment -> Nullable<Text>,
        revision -> Int4,
        class_before -> Nullable<Text>,
        class_after -> Nullable<Text>,
        class_reason -> Nullable<Text>,
        decided_by -> Uuid,
        decided_at -> Timestamptz,
    }
}

diesel::table! {
    submissions (id) {
        id -> Uuid,
        reply_id -> Uuid,
        suggestion_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        remote_ref -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        submitted_by -> Uuid,
        submitted_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        acknowledged_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    disclosures (reply_id) {
        reply_id -> Uuid,
        mode -> Text,
        summary -> Nullable<Text>,
        withheld_reason -> Nullable<Text>,
        consent -> Text,
        consent_at -> Nullable<Timestamptz>,
        decided_by -> Uuid,
        published_at -> Nullable<Timestamptz>,
        published_by -> Nullable<Uuid>,
        version -> Int4,
        updated_at -> Timestamptz,
        year -> Int4,
        unit_id -> Uuid,
    }
}

diesel::table! {
    evaluations (id) {
        id -> Uuid,
        suggestion_id -> Uuid,
        round -> Int4,
        deputy_id -> Uuid,
        revision -> Int4,
        work -> Text,
        result -> Text,
        comment -> Nullable<Text>,
        on_behalf -> Bool,
        recorded_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    completions (suggestion_id) {
        suggestion_id -> Uuid,
        round -> Int4,
        basis -> Text,
        completed_by -> Uuid,
        completed_at -> Timestamptz,
    }
}

diesel::table! {
    commitments (id) {
        id -> Uuid,
        reply_id -> Uuid,
        suggestion_id -> Uuid,
        text -> Text,
        due_on -> Date,
        state -> Text,
        outcome -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        closed_by -> Nullable<Uuid>,
        created_by -> Uuid,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        due_state -> Text,
    }
}

diesel::table! {
    commitment_progress (id) {
        id -> Uuid,
        commitment_id -> Uuid,
        note -> Text,
        reported_on -> Date,
        recorded_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    explanations (id) {
        id -> Uuid,
        suggestion_id -> Uuid,
        round -> Int4,
        text -> Text,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    remote_replies (id) {
        id -> Uuid,
        assignment_id -> Uuid,
        suggestion_id -> Uuid,
        doc_no -> Text,
        class -> Text,
        replied_on -> Date,
        remote_ref -> Nullable<Text>,
        summary -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        url -> Text,
        event_types -> Array<Text>,
        secret -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        from_position -> Int8,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        subscription_id -> Uuid,
        event_seq -> Int8,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_cursor (only_row) {
        only_row -> Bool,
        position -> Int8,
    }
}

diesel::joinable!(users -> units (unit_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(deputies -> users (user_id));
diesel::joinable!(suggestions -> deputies (proposer_id));
diesel::joinable!(assignments -> suggestions (suggestion_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_deliveries -> events (event_seq));
diesel::joinable!(disputes -> assignments (assignment_id));
diesel::joinable!(extensions -> assignments (assignment_id));
diesel::joinable!(reminders -> assignments (assignment_id));
diesel::joinable!(documents -> suggestions (suggestion_id));
diesel::joinable!(document_grants -> documents (document_id));
diesel::joinable!(opinions -> assignments (assignment_id));
diesel::joinable!(opinion_decisions -> opinions (opinion_id));
diesel::joinable!(contacts -> assignments (assignment_id));
diesel::joinable!(replies -> assignments (assignment_id));
diesel::joinable!(reply_revisions -> replies (reply_id));
diesel::joinable!(reply_signoffs -> replies (reply_id));
diesel::joinable!(reply_decisions -> replies (reply_id));
diesel::joinable!(submissions -> replies (reply_id));
diesel::joinable!(disclosures -> replies (reply_id));
diesel::joinable!(evaluations -> suggestions (suggestion_id));
diesel::joinable!(completions -> suggestions (suggestion_id));
diesel::joinable!(explanations -> suggestions (suggestion_id));
diesel::joinable!(remote_replies -> assignments (assignment_id));
diesel::joinable!(report_notes -> users (updated_by));
diesel::joinable!(dashboard_tickets -> sessions (session_id));
diesel::joinable!(reminders -> commitments (commitment_id));
diesel::joinable!(commitments -> replies (reply_id));
diesel::joinable!(commitment_progress -> commitments (commitment_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    report_notes,
    dashboard_tickets,
    remote_replies,
    users,
    sessions,
    refresh_tokens,
    login_failures,
    idempotency_keys,
    audit_log,
    deputies,
    suggestions,
    events,
    events_head,
    webhook_subscriptions,
    webhook_deliveries,
    webhook_cursor,
    holidays,
    deadline_rules,
    assignments,
    disputes,
    extensions,
    reminders,
    suggestion_access,
    documents,
    document_grants,
    blob_sweeps,
    settings,
    doc_no_series,
    opinions,
    opinion_decisions,
    opinion_waivers,
    contacts,
    reply_templates,
    replies,
    reply_revisions,
    reply_signoffs,
    reply_decisions,
    submissions,
    disclosures,
    evaluations,
    completions,
    commitments,
    commitment_progress,
    explanations,
);
