//! `jianyi demo`: the bureau's year 2023 from `seed/2023-report.txt` — the bureau and its
//! sections, the lead and co-handling units, an account for every role, the deputies, and
//! the 13 NPC suggestions it handled (3 lead, 2 split, 8 co). Loading it again changes
//! nothing. Everything goes through the same operations as the API (with audit rows).

pub mod year;

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::assignments::model::{NewAssignments, UnitAssignment};
use crate::assignments::rules::HandlingRole;
use crate::assignments::service::assigning;
use crate::audit::Actor;
use crate::auth::policy::Role;
use crate::db;
use crate::directory;
use crate::directory::model::{Body, NewDeputy, NewUnit, NewUser, UnitKind, UserKind};
use crate::error::AppError;
use crate::http::dates::Day;
use crate::http::text::QueryText;
use crate::suggestions;
use crate::suggestions::model::{ImportRow, Source, SyncedSuggestion};
use crate::suggestions::service::Incoming;

/// The password of every demo person.
pub const DEMO_PASSWORD: &str = "jianyi-demo-2023";
/// The client secret of the demo sync account `municipal-sync`.
pub const DEMO_SYNC_SECRET: &str = "jianyi-demo-sync-secret";

pub const BUREAU: &str = "市自然资源和规划局";
pub const SECTIONS: &[&str] =
    &["办公室", "建设工程管理科", "耕地保护科", "国土空间规划科", "生态修复科", "不动产登记科"];
pub const EXTERNAL: &[&str] =
    &["市交通运输局", "市住房和城乡建设局", "市农业农村局", "市水利局", "市生态环境局", "市城市管理局"];

/// How the bureau handles a suggestion (the seed report: 3 lead, 2 split, 8 co).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// 主办, by this section, with these co-handling units (协办单位).
    Lead { section: &'static str, co: &'static [&'static str] },
    /// 分办, this section answers its part.
    Split(&'static str),
    /// 协办 to this lead unit, by this section.
    Co { lead: &'static str, section: &'static str },
}

/// One suggestion of the year.
pub struct DemoSuggestion {
    pub external_no: &'static str,
    pub title: &'static str,
    pub proposer: &'static str,
    pub co_signers: &'static [&'static str],
    pub category: &'static str,
    pub received_on: &'static str,
    pub is_key: bool,
    pub body: &'static str,
    pub handling: Handling,
}

pub const SESSION: &str = "市十六届人大二次会议";

pub const SUGGESTIONS: &[DemoSuggestion] = &[
    DemoSuggestion {
        external_no: "183050",
        title: "关于合理设置公交站点的建议",
        proposer: "杨国哲",
        co_signers: &["王建华", "李秀英"],
        category: "城乡建设",
        received_on: "2023-02-20",
        is_key: true,
        body: "城区部分公交站点设置在路口附近，车辆进出站影响主路通行，乘客候车空间不足。建议在城市道路规划和提升改造中，多规划建设港湾式公交站点，合理确定站点间距，方便群众出行。",
        handling: Handling::Lead { section: "建设工程管理科", co: &["市交通运输局"] },
    },
    DemoSuggestion {
        external_no: "183075",
        title: "关于进一步保障粮食安全的建议",
        proposer: "陈少军",
        co_signers: &["张志强"],
        category: "农业农村",
        received_on: "2023-02-20",
        is_key: false,
        body: "耕地是粮食生产的命根子。建议加强耕地数量、质量、生态“三位一体”保护，严格落实耕地占补平衡，坚决遏制耕地“非农化”、防止“非粮化”，守牢耕地和永久基本农田保护红线。",
        handling: Handling::Lead { section: "耕地保护科", co: &["市农业农村局"] },
    },
    DemoSuggestion {
        external_no: "183175",
        title: "关于加强黄河流域生态保护与修复的建议",
        proposer: "曹孟",
        co_signers: &["刘桂兰", "赵立新"],
        category: "生态环境",
        received_on: "2023-02-21",
        is_key: true,
        body: "黄河流域生态保护和高质量发展是重大国家战略。建议系统推进黄河流域生态保护与修复，扎实推动科学绿化，加快生态保护修复项目落地，积极争取各类资金支持黄河生态廊道建设和盐碱地改良。",
        handling: Handling::Lead { section: "生态修复科", co: &["市水利局"] },
    },
    DemoSuggestion {
        external_no: "183021",
        title: "关于加强城市地下管网统筹规划建设的建议",
        proposer: "孙明",
        co_signers: &[],
        category: "城乡建设",
        received_on: "2023-02-20",
        is_key: false,
        body: "城市地下管网建设缺乏统筹，道路反复开挖。建议编制地下管线综合规划，推进综合管廊建设，建立地下管网信息平台，实现规划、建设、管理一体化。",
        handling: Handling::Split("国土空间规划科"),
    },
    DemoSuggestion {
        external_no: "183047",
        title: "关于加快城市公园绿地建设的建议",
        proposer: "周丽娟",
        co_signers: &["吴海涛"],
        category: "城乡建设",
        received_on: "2023-02-21",
        is_key: false,
        body: "部分老城区公园绿地不足，群众休闲健身空间有限。建议利用城市更新腾退用地建设口袋公园，完善绿地系统规划，落实“300米见绿、500米见园”。",
        handling: Handling::Split("国土空间规划科"),
    },
    DemoSuggestion {
        external_no: "183012",
        title: "关于加快推进老旧小区改造的建议",
        proposer: "郑国庆",
        co_signers: &[],
        category: "城乡建设",
        received_on: "2023-02-20",
        is_key: false,
        body: "老旧小区基础设施老化，停车难、充电难问题突出。建议加大改造力度，统筹配套设施用地，简化改造项目规划审批手续。",
        handling: Handling::Co { lead: "市住房和城乡建设局", section: "建设工程管理科" },
    },
    DemoSuggestion {
        external_no: "183033",
        title: "关于规范农村宅基地审批管理的建议",
        proposer: "马晓燕",
        co_signers: &["陈少军"],
        category: "农业农村",
        received_on: "2023-02-20",
        is_key: false,
        body: "农村宅基地审批流程长、标准不一。建议明确审批权限和时限，做好村庄规划与宅基地管理的衔接，推进农房不动产登记。",
        handling: Handling::Co { lead: "市农业农村局", section: "不动产登记科" },
    },
    DemoSuggestion {
        external_no: "183061",
        title: "关于缓解城区交通拥堵的建议",
        proposer: "王建华",
        co_signers: &["杨国哲"],
        category: "交通运输",
        received_on: "2023-02-21",
        is_key: false,
        body: "早晚高峰城区主干道拥堵严重。建议优化路网结构，打通断头路，合理规划公共停车设施，提升公共交通分担率。",
        handling: Handling::Co { lead: "市交通运输局", section: "建设工程管理科" },
    },
    DemoSuggestion {
        external_no: "183088",
        title: "关于保障乡村振兴产业用地的建议",
        proposer: "张志强",
        co_signers: &[],
        category: "农业农村",
        received_on: "2023-02-22",
        is_key: false,
        body: "乡村产业项目落地难，用地指标紧张。建议在国土空间规划中预留乡村产业发展用地，盘活农村闲置建设用地，支持设施农业用地。",
        handling: Handling::Co { lead: "市农业农村局", section: "国土空间规划科" },
    },
    DemoSuggestion {
        external_no: "183114",
        title: "关于加强城区河道综合治理的建议",
        proposer: "刘桂兰",
        co_signers: &[],
        category: "生态环境",
        received_on: "2023-02-22",
        is_key: false,
        body: "部分河道淤积、岸线被占用。建议划定河道管理范围，加强岸线空间管控，结合生态修复建设滨水绿道。",
        handling: Handling::Co { lead: "市水利局", section: "生态修复科" },
    },
    DemoSuggestion {
        external_no: "183126",
        title: "关于加快公共停车场规划建设的建议",
        proposer: "赵立新",
        co_signers: &["孙明"],
        category: "城乡建设",
        received_on: "2023-02-22",
        is_key: false,
        body: "城区停车位缺口大，占道停车现象普遍。建议编制停车设施专项规划，利用边角地建设立体停车场，新建项目严格落实停车配建标准。",
        handling: Handling::Co { lead: "市城市管理局", section: "建设工程管理科" },
    },
    DemoSuggestion {
        external_no: "183139",
        title: "关于加强历史文化街区保护利用的建议",
        proposer: "吴海涛",
        co_signers: &[],
        category: "文化旅游",
        received_on: "2023-02-23",
        is_key: false,
        body: "部分历史建筑年久失修。建议完善历史文化名城保护规划，划定历史文化街区保护范围，在更新改造中保留城市记忆。",
        handling: Handling::Co { lead: "市住房和城乡建设局", section: "国土空间规划科" },
    },
    DemoSuggestion {
        external_no: "183158",
        title: "关于推进废弃矿山生态修复的建议",
        proposer: "李秀英",
        co_signers: &["曹孟"],
        category: "生态环境",
        received_on: "2023-02-23",
        is_key: false,
        body: "山区废弃矿山裸露山体多，存在地质灾害隐患。建议摸清底数，分类推进废弃矿山生态修复，探索“修复+利用”模式。",
        handling: Handling::Co { lead: "市生态环境局", section: "生态修复科" },
    },
];

/// The day the office assigned the year's suggestions (交办).
pub const ASSIGNED_ON: &str = "2023-03-06";

/// The deputies of the year and their delegations.
const DEPUTIES: &[(&str, &str)] = &[
    ("杨国哲", "城区代表团"),
    ("曹孟", "沿黄片区代表团"),
    ("陈少军", "农业界代表团"),
    ("王建华", "城区代表团"),
    ("李秀英", "山区片区代表团"),
    ("张志强", "农业界代表团"),
    ("刘桂兰", "沿黄片区代表团"),
    ("赵立新", "高新区代表团"),
    ("孙明", "高新区代表团"),
    ("周丽娟", "城区代表团"),
    ("吴海涛", "文化界代表团"),
    ("郑国庆", "城区代表团"),
    ("马晓燕", "农业界代表团"),
];

/// The demo accounts: username, name, role, unit.
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("bangongshi", "王主任（办公室）", Role::Office, Some("办公室")),
    ("juzhang", "刘局长", Role::Leader, Some(BUREAU)),
    ("fenguan", "张副局长（分管）", Role::Leader, Some(BUREAU)),
    ("jsgc_kz", "李科长（建设工程管理科）", Role::SectionHead, Some("建设工程管理科")),
    ("jsgc", "赵明（建设工程管理科）", Role::Handler, Some("建设工程管理科")),
    ("gdbh_kz", "孙科长（耕地保护科）", Role::SectionHead, Some("耕地保护科")),
    ("gdbh", "钱丽（耕地保护科）", Role::Handler, Some("耕地保护科")),
    ("gtkj_kz", "周科长（国土空间规划科）", Role::SectionHead, Some("国土空间规划科")),
    ("gtkj", "吴静（国土空间规划科）", Role::Handler, Some("国土空间规划科")),
    ("sthf_kz", "郑科长（生态修复科）", Role::SectionHead, Some("生态修复科")),
    ("sthf", "冯涛（生态修复科）", Role::Handler, Some("生态修复科")),
    ("bdcdj_kz", "何科长（不动产登记科）", Role::SectionHead, Some("不动产登记科")),
    ("bdcdj", "许婷（不动产登记科）", Role::Handler, Some("不动产登记科")),
    ("jtj", "市交通运输局联络员", Role::CoHandler, Some("市交通运输局")),
    ("nyncj", "市农业农村局联络员", Role::CoHandler, Some("市农业农村局")),
    ("slj", "市水利局联络员", Role::CoHandler, Some("市水利局")),
    ("yangguozhe", "杨国哲", Role::Deputy, None),
];

/// What the demo loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    pub units: usize,
    pub accounts: usize,
    pub suggestions_created: usize,
    pub suggestions_unchanged: usize,
    /// Suggestions assigned by this load (0 when they were assigned already).
    pub suggestions_assigned: usize,
}

fn explain(e: AppError) -> String {
    let fields: Vec<String> = e.field_errors().iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
    if fields.is_empty() { format!("{e:?}") } else { fields.join("; ") }
}

async fn unit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    name: &str,
    kind: UnitKind,
    parent: Option<Uuid>,
) -> Result<(Uuid, bool), String> {
    if let Some(u) = directory::queries::unit_by_name(conn, name).await.map_err(|e| e.to_string())? {
        return Ok((u.id, false));
    }
    // Every unit names a liaison (联络员) with a phone; the demo's are made up.
    const LIAISONS: [&str; 8] = ["李明", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "孙丽"];
    let n = name.chars().map(|c| c as usize).sum::<usize>();
    let new = NewUnit {
        name: name.into(),
        kind,
        parent_id: parent,
        liaison_name: Some(LIAISONS[n % LIAISONS.len()].into()),
        liaison_phone: Some(format!("0371-6{:07}", n % 10_000_000)),
    };
    let unit = db::transaction(conn, async |conn| directory::service::create_unit(conn, actor, &new).await)
        .await
        .map_err(explain)?;
    Ok((unit.id, true))
}

/// Loads the demo year; safe to run again.
pub async fn load(pool: &db::DbPool) -> Result<Loaded, String> {
    let mut loaded = Loaded::default();
    {
        let mut conn = db::conn(pool).await.map_err(explain)?;
        load_directory(&mut conn, &mut loaded).await?;
    }
    let rows: Vec<Incoming> = SUGGESTIONS
        .iter()
        .enumerate()
        .map(|(i, s)| Incoming {
            line: i + 1,
            row: Ok(ImportRow {
                source: Source::Npc,
                year: 2023,
                external_no: s.external_no.into(),
                content: SyncedSuggestion {
                    session_label: Some(SESSION.into()),
                    title: s.title.into(),
                    body: s.body.into(),
                    category: Some(s.category.into()),
                    keywords: vec![],
                    proposer: Some(s.proposer.into()),
                    co_signers: s.co_signers.iter().map(|c| c.to_string()).collect(),
                    is_key: s.is_key,
                    received_on: chrono::NaiveDate::parse_from_str(s.received_on, "%Y-%m-%d").ok().and_then(Day::new),
                },
            }),
        })
        .collect();
    let report = suggestions::service::import(pool, &Actor::system("demo"), rows).await.map_err(explain)?;
    if report.rejected > 0 {
        let rejected: Vec<_> = report.rows.iter().filter(|r| !r.errors.is_empty()).collect();
        return Err(format!("demo suggestions rejected: {rejected:?}"));
    }
    loaded.suggestions_created = report.created + report.updated;
    loaded.suggestions_unchanged = report.unchanged;
    let mut conn = db::conn(pool).await.map_err(explain)?;
    loaded.suggestions_assigned = assign_year(&mut conn).await?;
    Ok(loaded)
}

/// Assigns each suggestion of the year as the report describes, unless it is assigned
/// already: the bureau leads or splits with its section, or co-handles with its section
/// under another lead unit. The responsible leader is 张副局长 (`fenguan`); key suggestions
/// are supervised by 刘局长 (`juzhang`).
async fn assign_year(conn: &mut AsyncPgConnection) -> Result<usize, String> {
    let actor = Actor::system("demo");
    let text = |e: diesel::result::Error| e.to_string();
    let unit_id = async |conn: &mut AsyncPgConnection, name: &str| -> Result<Uuid, String> {
        Ok(directory::queries::unit_by_name(conn, name).await.map_err(text)?.ok_or(format!("no unit {name}"))?.id)
    };
    let user_id = async |conn: &mut AsyncPgConnection, username: &str| -> Result<Uuid, String> {
        let filter = crate::directory::model::UserFilter { q: Some(QueryText(username.into())), ..Default::default() };
        let found = directory::queries::users(conn, &filter, None, 200).await.map_err(text)?;
        found.into_iter().find(|u| u.username == username).map(|u| u.id).ok_or(format!("no user {username}"))
    };
    let bureau = unit_id(conn, BUREAU).await?;
    let (leader, head) = (user_id(conn, "fenguan").await?, user_id(conn, "juzhang").await?);
    let liaisons = [("建设工程管理科", user_id(conn, "jsgc").await?), ("耕地保护科", user_id(conn, "gdbh").await?)];
    let keys: Vec<crate::suggestions::queries::Key> =
        SUGGESTIONS.iter().map(|s| (Source::Npc, 2023, s.external_no.to_string())).collect();
    let ids = crate::suggestions::queries::ids_by_keys(conn, &keys).await.map_err(text)?;
    let assigned_on = chrono::NaiveDate::parse_from_str(ASSIGNED_ON, "%Y-%m-%d").map_err(|e| e.to_string())?;
    let mut assigned = 0;
    for (s, key) in SUGGESTIONS.iter().zip(&keys) {
        let id = *ids.get(key).ok_or(format!("suggestion {} missing", s.external_no))?;
        if !crate::assignments::queries::of_suggestions(conn, &[id]).await.map_err(text)?.is_empty() {
            continue;
        }
        let (role, section, lead, co): (_, _, _, &[&str]) = match s.handling {
            Handling::Lead { section, co } => (HandlingRole::Lead, section, None, co),
            Handling::Split(section) => (HandlingRole::Split, section, None, &[]),
            Handling::Co { lead, section } => (HandlingRole::Co, section, Some(lead), &[]),
        };
        let ours = UnitAssignment {
            unit_id: bureau,
            role,
            section_id: Some(unit_id(conn, section).await?),
            leader_id: Some(leader),
            liaison_id: liaisons.iter().find(|l| l.0 == section).map(|l| l.1),
        };
        let mut units = Vec::new();
        if let Some(lead) = lead {
            let lead_unit = unit_id(conn, lead).await?;
            units.push(UnitAssignment {
                unit_id: lead_unit,
                role: HandlingRole::Lead,
                section_id: None,
                leader_id: None,
                liaison_id: None,
            });
        }
        units.push(ours);
        for name in co {
            let unit_id = unit_id(conn, name).await?;
            units.push(UnitAssignment {
                unit_id,
                role: HandlingRole::Co,
                section_id: None,
                leader_id: None,
                liaison_id: None,
            });
        }
        let new = NewAssignments {
            suggestion_id: id,
            assigned_on: Some(Day(assigned_on)),
            round: None,
            units,
            supervisor_id: s.is_key.then_some(head),
        };
        let today = crate::calendar::Today::default().date();
        let assign = async |conn: &mut AsyncPgConnection| assigning::assign(conn, &actor, &new, today).await;
        db::transaction(conn, assign).await.map_err(explain)?;
        assigned += 1;
    }
    Ok(assigned)
}

/// Units, accounts and deputies.
async fn load_directory(conn: &mut AsyncPgConnection, loaded: &mut Loaded) -> Result<(), String> {
    let actor = Actor::system("demo");
    let mut units: HashMap<&str, Uuid> = HashMap::new();
    let (bureau, new) = unit(conn, &actor, BUREAU, UnitKind::Bureau, None).await?;
    units.insert(BUREAU, bureau);
    loaded.units += new as usize;
    for name in SECTIONS {
        let (id, new) = unit(conn, &actor, name, UnitKind::Section, Some(bureau)).await?;
        units.insert(name, id);
        loaded.units += new as usize;
    }
    for name in EXTERNAL {
        let (id, new) = unit(conn, &actor, name, UnitKind::External, None).await?;
        units.insert(name, id);
        loaded.units += new as usize;
    }

    let mut accounts: Vec<NewUser> = ACCOUNTS
        .iter()
        .map(|(username, display, role, unit_name)| NewUser {
            username: username.to_string(),
            display_name: display.to_string(),
            kind: UserKind::Person,
            roles: vec![*role],
            unit_id: unit_name.and_then(|n| units.get(n).copied()),
            is_head: *username == "juzhang",
            password: Some(DEMO_PASSWORD.into()),
        })
        .collect();
    accounts.push(NewUser {
        username: "municipal-sync".into(),
        display_name: "市人大建议系统".into(),
        kind: UserKind::Service,
        roles: vec![Role::Sync],
        unit_id: None,
        is_head: false,
        password: None,
    });
    let mut user_ids: HashMap<String, Uuid> = HashMap::new();
    for new in accounts {
        let filter =
            crate::directory::model::UserFilter { q: Some(QueryText(new.username.clone())), ..Default::default() };
        let existing = directory::queries::users(conn, &filter, None, 200).await.map_err(|e| e.to_string())?;
        if let Some(u) = existing.into_iter().find(|u| u.username == new.username) {
            user_ids.insert(new.username.clone(), u.id);
            continue;
        }
        let service_account = new.kind == UserKind::Service;
        let prepared = directory::service::prepare_user(conn, &new).await.map_err(explain)?;
        let created = db::transaction(conn, async |conn| directory::service::create_user(conn, &actor, prepared).await)
            .await
            .map_err(explain)?;
        if service_account {
            // A known secret, so that the README can show the sync job's token request.
            let hash = directory::service::hash_secret(DEMO_SYNC_SECRET.into()).await.map_err(explain)?;
            directory::queries::set_secret_hash(conn, created.user.id, &hash).await.map_err(|e| e.to_string())?;
        }
        user_ids.insert(new.username.clone(), created.user.id);
        loaded.accounts += 1;
    }

    for (name, delegation) in DEPUTIES {
        let existing = directory::queries::deputy_ids_by_name(conn, Body::Npc, &[name.to_string()])
            .await
            .map_err(|e| e.to_string())?;
        if existing.contains_key(*name) {
            continue;
        }
        let user_id = (*name == "杨国哲").then(|| user_ids.get("yangguozhe").copied()).flatten();
        let new = NewDeputy {
            body: Body::Npc,
            name: name.to_string(),
            delegation: Some(delegation.to_string()),
            phone: Some(format!("1380000{:04}", name.chars().map(|c| c as u32).sum::<u32>() % 10_000)),
            email: None,
            address: None,
            confidential: false,
            user_id,
        };
        db::transaction(conn, async |conn| directory::service::create_deputy(conn, &actor, &new).await)
            .await
            .map_err(explain)?;
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_is_as_the_report_says() {
        assert_eq!(SUGGESTIONS.len(), 13);
        let count = |f: fn(&Handling) -> bool| SUGGESTIONS.iter().filter(|s| f(&s.handling)).count();
        assert_eq!(count(|h| matches!(h, Handling::Lead { .. })), 3);
        assert_eq!(count(|h| matches!(h, Handling::Split(_))), 2);
        assert_eq!(count(|h| matches!(h, Handling::Co { .. })), 8);
        let named = |no: &str| SUGGESTIONS.iter().find(|s| s.external_no == no).unwrap();
        assert_eq!((named("183050").title, named("183050").proposer), ("关于合理设置公交站点的建议", "杨国哲"));
        assert_eq!((named("183175").title, named("183175").proposer), ("关于加强黄河流域生态保护与修复的建议", "曹孟"));
        assert_eq!((named("183075").title, named("183075").proposer), ("关于进一步保障粮食安全的建议", "陈少军"));
        for s in SUGGESTIONS {
            let sections: Vec<&str> = match s.handling {
                Handling::Lead { section, co } => {
                    assert!(co.iter().all(|u| EXTERNAL.contains(u)), "{co:?}");
                    vec![section]
                }
                Handling::Split(x) => vec![x],
                Handling::Co { lead, section } => {
                    assert!(EXTERNAL.contains(&lead), "{lead}");
                    vec![section]
                }
            };
            assert!(sections.iter().all(|x| SECTIONS.contains(x)), "{sections:?}");
            for name in std::iter::once(&s.proposer).chain(s.co_signers.iter()) {
                assert!(DEPUTIES.iter().any(|(d, _)| d == name), "{name}");
            }
        }
    }
}
