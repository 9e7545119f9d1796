//! Every enum column's Rust type, in one place: each is stored as `text` (a CHECK
//! constraint lists its values; a test compares the two), written and read through
//! diesel, and a value the code does not know is an error when read — never a default.

/// Declares an enum stored as `text`: its values as written in the database and in JSON
/// (the same text in both, which OpenAPI lists; a test holds the two together),
/// `as_str` and `parse`, `ALL`, and diesel's `ToSql`/`FromSql`.
macro_rules! db_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:tt ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),*].len()] = [$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                Self::parse(text)
                    .ok_or_else(|| format!("unknown {} {text:?} in the database", stringify!($name)).into())
            }
        }
    };
}

db_enum! {
    /// Where a suggestion comes from: the people's congress or the CPPCC.
    pub enum Source {
        /// 人大代表建议
        Npc = "npc",
        /// 政协委员提案
        Cppcc = "cppcc",
    }
}

impl Source {
    /// The body whose members make suggestions of this source.
    pub fn body(self) -> Body {
        match self {
            Source::Npc => Body::Npc,
            Source::Cppcc => Body::Cppcc,
        }
    }
}

db_enum! {
    /// The body a deputy or member sits in.
    pub enum Body {
        /// 人民代表大会 (deputies, 代表)
        Npc = "npc",
        /// 政治协商会议 (members, 委员)
        Cppcc = "cppcc",
    }
}

db_enum! {
    /// The kind of a unit: the bureau, one of its sections, or another body.
    pub enum UnitKind {
        /// The bureau itself (本局).
        Bureau = "bureau",
        /// A section of the bureau (科室); its parent is the bureau.
        Section = "section",
        /// Another unit: a co-handling or lead bureau (协办/主办单位).
        External = "external",
    }
}

db_enum! {
    /// A person signs in with a password; a service account (the municipal system's jobs)
    /// with client credentials.
    pub enum UserKind {
        Person = "person",
        Service = "service",
    }
}

db_enum! {
    /// A role, as carried in the token's `roles` claim and kept in `users.roles`.
    pub enum Role {
        /// Users, units, configuration.
        Admin = "admin",
        /// The bureau office (办公室): the whole workflow.
        Office = "office",
        /// A bureau leader (局领导): reads everything, leader review, signs.
        Leader = "leader",
        /// The head of a handling section (科室负责人): section review for their unit.
        SectionHead = "section_head",
        /// A handler in a section (承办人): their unit's assignments.
        Handler = "handler",
        /// A co-handling unit's account (协办单位): its co-handling assignments only.
        CoHandler = "co_handler",
        /// A deputy or member (代表委员): their own suggestions.
        Deputy = "deputy",
        /// The municipal system's sync jobs (service account).
        Sync = "sync",
    }
}

db_enum! {
    /// How a session was opened: the grant of its first token.
    pub enum Grant {
        Password = "password",
        RefreshToken = "refresh_token",
        ClientCredentials = "client_credentials",
    }
}

db_enum! {
    /// Where a suggestion stands, derived from its assignments and rounds.
    pub enum SuggestionStatus {
        /// 登记: received, not yet assigned.
        Registered = "registered",
        /// 已交办: assigned to units.
        Assigned = "assigned",
        /// 办理中
        Handling = "handling",
        /// 已答复
        Replied = "replied",
        /// 已办结
        Completed = "completed",
    }
}

db_enum! {
    /// How a unit handles a suggestion.
    pub enum HandlingRole {
        /// 主办: writes the reply, gathers the co-handlers' opinions.
        Lead = "lead",
        /// 分办: answers its own part and replies itself.
        Split = "split",
        /// 协办: gives its opinion to the lead unit.
        Co = "co",
    }
}

db_enum! {
    /// Where an assignment stands.
    pub enum AssignmentState {
        /// 已交办: waiting for the unit to sign in.
        Assigned = "assigned",
        /// 已签收
        Accepted = "accepted",
        /// 办理中
        InProgress = "in_progress",
        /// 异议中: the unit asked to be reassigned; it keeps the item until the office decides.
        Disputed = "disputed",
        /// 已改办: the office gave the item to another unit.
        Reassigned = "reassigned",
        /// 已答复 (lead, split)
        Replied = "replied",
        /// 已提交协办意见 (co)
        OpinionGiven = "opinion_given",
        /// 已办结
        Completed = "completed",
    }
}

impl AssignmentState {
    /// The states in which an assignment is still being handled: deadlines and reminders apply.
    pub const OPEN: [AssignmentState; 4] =
        [AssignmentState::Assigned, AssignmentState::Accepted, AssignmentState::InProgress, AssignmentState::Disputed];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

db_enum! {
    /// Where an item stands against its deadline (超期预警).
    pub enum DueState {
        OnTrack = "on_track",
        /// At most the warning number of working days left.
        DueSoon = "due_soon",
        Overdue = "overdue",
    }
}

db_enum! {
    /// What a listed date of the calendar is.
    pub enum DayKind {
        /// A day off (a weekday or weekend day inside a holiday span).
        Holiday = "holiday",
        /// A weekend day that is a working day (调休上班).
        Workday = "workday",
    }
}

db_enum! {
    /// What a deadline is for.
    pub enum DeadlineKind {
        /// A lead or split unit's reply (答复).
        Reply = "reply",
        /// A co-handling unit's opinion to the lead (协办意见).
        CoOpinion = "co_opinion",
        /// The window to dispute an assignment (交办异议).
        Dispute = "dispute",
        /// A new round after an unsatisfied evaluation (重新办理).
        ReHandling = "re_handling",
        /// The deputy's evaluation receipt (回执).
        EvaluationReceipt = "evaluation_receipt",
        /// Publishing the reply (政务公开).
        Publication = "publication",
    }
}

db_enum! {
    /// Where a deadline counts from.
    pub enum StartPoint {
        /// The day the suggestion was received.
        Received = "received",
        /// The day of the assignment (交办之日).
        Assigned = "assigned",
        /// The day the session closed (闭会之日): the rule's `start_date`.
        SessionClosed = "session_closed",
        /// A fixed date for a whole batch: the rule's `start_date` is the deadline itself.
        Fixed = "fixed",
        /// The day of the reply.
        Replied = "replied",
    }
}

db_enum! {
    /// How an amount of time is counted.
    pub enum Period {
        CalendarMonths = "calendar_months",
        CalendarDays = "calendar_days",
        WorkingDays = "working_days",
    }
}

db_enum! {
    /// Where a request to the office (a dispute) stands.
    pub enum DisputeStatus {
        Pending = "pending",
        /// Reassigned to another unit.
        Accepted = "accepted",
        /// The unit keeps the item.
        Refused = "refused",
    }
}

db_enum! {
    /// Where a request for more time stands.
    pub enum ExtensionStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

db_enum! {
    /// Who sent a reminder (催办): the office or a leader, or the due-state job.
    pub enum ReminderKind {
        Manual = "manual",
        DueSoon = "due_soon",
        Overdue = "overdue",
    }
}

impl From<DueState> for Option<ReminderKind> {
    fn from(state: DueState) -> Self {
        match state {
            DueState::OnTrack => None,
            DueState::DueSoon => Some(ReminderKind::DueSoon),
            DueState::Overdue => Some(ReminderKind::Overdue),
        }
    }
}

db_enum! {
    /// Why a unit may read a suggestion (the access a step granted it).
    pub enum AccessKind {
        /// The unit or section handles it (lead, split or co).
        Unit = "unit",
        /// The unit co-handles it (what a co-handling account sees).
        Co = "co",
    }
}

db_enum! {
    /// The type of a document, as its content (magic bytes) shows it.
    pub enum DocumentKind {
        Pdf = "pdf",
        /// 版式文档 (GB/T 33190), the Chinese fixed-layout format.
        Ofd = "ofd",
        Doc = "doc",
        Docx = "docx",
        Xls = "xls",
        Xlsx = "xlsx",
        Jpg = "jpg",
        Png = "png",
    }
}

impl DocumentKind {
    /// The media type a download carries.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Ofd => "application/ofd",
            DocumentKind::Doc => "application/msword",
            DocumentKind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            DocumentKind::Xls => "application/vnd.ms-excel",
            DocumentKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            DocumentKind::Jpg => "image/jpeg",
            DocumentKind::Png => "image/png",
        }
    }
}

db_enum! {
    /// Where a co-handling opinion (协办意见) stands. An external unit's goes from draft
    /// straight to delivered; the bureau's own passes its section head and the office first.
    pub enum OpinionState {
        Draft = "draft",
        /// With the section head (科室负责人审核).
        SectionReview = "section_review",
        /// With the office (办公室审核).
        OfficeReview = "office_review",
        /// Approved, to be delivered to the lead unit.
        Approved = "approved",
        /// With the lead unit: the co-handling assignment is done.
        Delivered = "delivered",
    }
}

db_enum! {
    /// How an opinion reached the lead unit.
    pub enum DeliveryChannel {
        /// Through this system (the lead unit has an account here).
        System = "system",
        /// The government's document exchange (公文交换).
        DocumentExchange = "document_exchange",
        Post = "post",
        Email = "email",
        ByHand = "by_hand",
        Fax = "fax",
    }
}

db_enum! {
    /// A stage of the bureau's own approval of an opinion.
    pub enum OpinionStage {
        Section = "section",
        Office = "office",
    }
}

db_enum! {
    /// A reviewer's decision.
    pub enum Decision {
        Approve = "approve",
        /// Back to the drafter, with a comment (退回).
        Return = "return",
    }
}

db_enum! {
    /// What a contact with a deputy was for.
    pub enum ContactKind {
        /// 办前沟通: to understand the suggestion before handling it.
        PreHandling = "pre_handling",
        /// 办中反馈: progress, for items that take long.
        ProgressFeedback = "progress_feedback",
        /// 办后回访: the follow-up visit after the reply.
        FollowUpVisit = "follow_up_visit",
        Other = "other",
    }
}

db_enum! {
    /// How a contact with a deputy took place.
    pub enum ContactChannel {
        Phone = "phone",
        /// 走访: a visit.
        Visit = "visit",
        /// 座谈: a meeting.
        Meeting = "meeting",
        Letter = "letter",
        Online = "online",
    }
}

db_enum! {
    /// A unit's series of document numbers.
    pub enum DocNoKind {
        Opinion = "opinion",
        Reply = "reply",
    }
}

db_enum! {
    /// Where a reply (答复) stands: drafted by the section, then reviewed by the section
    /// head, the office and the leader, then the signed and sealed scan is attached.
    pub enum ReplyState {
        Draft = "draft",
        /// With the section head (科室负责人审核: substance).
        SectionReview = "section_review",
        /// With the office (办公室审核: format, co-handlers, contact).
        OfficeReview = "office_review",
        /// With the leader (分管领导审签: direction; signs).
        LeaderReview = "leader_review",
        /// Approved and signed off by the leader: the letter can be generated.
        Approved = "approved",
        /// The signed and sealed scan is attached: the final version.
        Signed = "signed",
    }
}

db_enum! {
    /// A reply's class, marked on its first page.
    pub enum ReplyClass {
        /// Solved or basically solved (已解决或基本解决).
        A = "A",
        /// Being solved or in plan (正在解决或列入计划解决).
        B = "B",
        /// To be solved later: conditions not met (因条件限制留作参考或以后解决).
        C = "C",
        /// Kept for reference (留作参考).
        D = "D",
    }
}

db_enum! {
    /// A co-handler's sign-off (会签) of one revision of the lead's reply.
    pub enum SignoffState {
        /// Asked, not yet answered.
        Pending = "pending",
        Agreed = "agreed",
        /// Comments returned: the lead revises, or escalates to the office.
        Disagreed = "disagreed",
        /// The lead asked the office to settle the disagreement.
        Escalated = "escalated",
        /// The office settled it: the revision goes ahead.
        Settled = "settled",
        /// A later revision replaced the one asked about.
        Superseded = "superseded",
    }
}

db_enum! {
    /// A stage of the reply's review.
    pub enum ReplyStage {
        /// The section head: substance.
        Section = "section",
        /// The office: format, class, co-handlers' input, contact with the deputy.
        Office = "office",
        /// The responsible leader: direction; signs.
        Leader = "leader",
    }
}

db_enum! {
    /// Where a webhook delivery stands.
    pub enum DeliveryState {
        /// To be sent, or to be tried again at `next_attempt_at`.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Every attempt failed: dead-lettered until redelivered.
        Dead = "dead",
    }
}

db_enum! {
    /// Where the submission (报送) of a signed reply to the municipal system stands.
    pub enum SubmissionState {
        /// Waiting for the sync job.
        Pending = "pending",
        /// Sent; the municipal system has not confirmed it yet.
        Sent = "sent",
        /// Confirmed, with the municipal system's reference.
        Acknowledged = "acknowledged",
        /// The municipal system refused it or could not be reached; the office retries.
        Failed = "failed",
    }
}

db_enum! {
    /// How a reply is disclosed (政务公开).
    pub enum DisclosureMode {
        /// In full.
        Public = "public",
        /// As a summary (a long reply).
        Summary = "summary",
        /// Not published, for a stated reason.
        Withheld = "withheld",
    }
}

db_enum! {
    /// Whether the deputy agreed that the reply be published.
    pub enum Consent {
        NotAsked = "not_asked",
        /// Asked, with the draft; no answer yet.
        Asked = "asked",
        Agreed = "agreed",
        Refused = "refused",
    }
}

db_enum! {
    /// A proposer's rating (the satisfaction rate counts basically satisfied as satisfied).
    pub enum Rating {
        /// 满意
        Satisfied = "satisfied",
        /// 基本满意
        BasicallySatisfied = "basically_satisfied",
        /// 不满意
        Unsatisfied = "unsatisfied",
    }
}

db_enum! {
    /// Why a suggestion is completed (办结).
    pub enum CompletionBasis {
        /// Every proposer evaluated it.
        Evaluated = "evaluated",
        /// The evaluation receipt window passed without every evaluation.
        ReceiptWindow = "receipt_window",
    }
}

db_enum! {
    /// Where a commitment (落实) of a B-class reply stands.
    pub enum CommitmentState {
        Open = "open",
        /// Delivered.
        Done = "done",
        /// Could not be delivered, and the deputy was told why.
        Explained = "explained",
    }
}

#[cfg(test)]
mod tests {
    use diesel::deserialize::FromSql;
    use diesel::pg::{Pg, PgValue};
    use diesel::sql_types::Text;

    use super::*;

    macro_rules! round_trip {
        ($($t:ty),*) => {$(
            for v in <$t>::ALL {
                assert_eq!(<$t>::parse(v.as_str()), Some(v));
                assert_eq!(serde_json::to_value(v).unwrap(), v.as_str(), "{} in JSON", stringify!($t));
            }
            // The spec lists what the wire carries (utoipa reads the same renames as serde).
            let schema = serde_json::to_value(<$t as utoipa::PartialSchema>::schema()).unwrap();
            let listed: Vec<&str> = schema["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(listed, <$t>::ALL.map(|v| v.as_str()), "{} in the spec", stringify!($t));
        )*};
    }

    #[test]
    fn values_round_trip_as_text_and_json() {
        round_trip!(
            Source,
            Body,
            UnitKind,
            UserKind,
            Role,
            Grant,
            SuggestionStatus,
            HandlingRole,
            AssignmentState,
            DueState,
            DayKind,
            DeadlineKind,
            StartPoint,
            Period,
            DisputeStatus,
            ExtensionStatus,
            ReminderKind,
            AccessKind,
            DocumentKind,
            OpinionState,
            DeliveryChannel,
            OpinionStage,
            Decision,
            ContactKind,
            ContactChannel,
            DocNoKind,
            ReplyState,
            ReplyClass,
            SignoffState,
            ReplyStage,
            SubmissionState,
            DisclosureMode,
            Consent,
            Rating,
            CompletionBasis,
            CommitmentState,
            DeliveryState
        );
        assert_eq!(Role::ALL.len(), 8);
        assert_eq!(serde_json::from_str::<HandlingRole>("\"co\"").unwrap(), HandlingRole::Co);
        assert!(serde_json::from_str::<HandlingRole>("\"boss\"").is_err());
    }

    #[test]
    fn an_unknown_value_read_from_the_database_is_an_error() {
        let text_oid = std::num::NonZeroU32::new(25).unwrap();
        let read = |bytes: &[u8]| <HandlingRole as FromSql<Text, Pg>>::from_sql(PgValue::new(bytes, &text_oid));
        assert_eq!(read(b"split").unwrap(), HandlingRole::Split);
        let e = read(b"boss").unwrap_err().to_string();
        assert!(e.contains("unknown HandlingRole \"boss\""), "{e}");
    }
}
