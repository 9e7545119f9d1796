//! The dashboard's HTML (督办看板) and its sign-in page: server-rendered, no JavaScript,
//! every datum escaped, charts as `data:` images; the Content-Security-Policy allows
//! nothing else.

use crate::db::enums::DueState;
use crate::supervision::charts;
use crate::supervision::model::{NextSteps, Rate, Stats, UnitScores};
use crate::supervision::queries::{OpenHandling, Unpublished};
use crate::supervision::rules::percent;

/// The pages' Content-Security-Policy: their own inline style, `data:` images, forms
/// posted to this service only, no framing elsewhere.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; \
                        base-uri 'none'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#1d2733;background:#f4f6f9}\
header{background:#1f4e79;color:#fff;padding:.8rem 1.2rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}\
header h1{font-size:1.2rem;margin:0;flex:1}header form{margin:0}main{padding:1rem 1.2rem;max-width:72rem;margin:auto}\
section{background:#fff;border-radius:6px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}\
h2{font-size:1.05rem;margin:.2rem 0 .8rem}.rates{display:flex;flex-wrap:wrap;gap:.8rem}\
.rate{flex:1 1 9rem;border:1px solid #d9e1ea;border-radius:6px;padding:.6rem}.rate b{display:block;font-size:1.5rem}\
.rate small{color:#5b6b7c}table{border-collapse:collapse;width:100%;font-size:.92rem}\
th,td{border-bottom:1px solid #e3e8ee;padding:.35rem .5rem;text-align:left}th{background:#eef3f8}\
.overdue{color:#b00020;font-weight:600}.due_soon{color:#9a6700}.charts{display:flex;flex-wrap:wrap;gap:.5rem}\
.charts img{max-width:100%;flex:1 1 20rem}textarea{width:100%;min-height:8rem;font:inherit}\
button,input,select{font:inherit}.error{color:#b00020}label{display:block;margin:.5rem 0}";

fn esc(s: &str) -> String {
    ammonia::clean_text(s)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// What the dashboard shows.
pub struct View<'a> {
    pub year: i32,
    pub user: &'a str,
    pub csrf: &'a str,
    pub stats: &'a Stats,
    pub scores: &'a UnitScores,
    pub open: &'a [(OpenHandling, DueState)],
    /// Signed replies whose publication is overdue or due soon, with the date.
    pub publications: &'a [(Unpublished, chrono::NaiveDate, DueState)],
    pub next_steps: &'a NextSteps,
    /// May write the next steps (the office).
    pub can_write: bool,
    /// The charts, as SVG documents with their titles.
    pub charts: Vec<(String, String)>,
}

fn due_label(state: &DueState) -> (&'static str, &'static str) {
    match state {
        DueState::Overdue => ("overdue", "已逾期"),
        DueState::DueSoon => ("due_soon", "临期"),
        _ => ("", "正常"),
    }
}

fn rate_box(name: &str, r: &Rate) -> String {
    format!(
        "<div class=\"rate\">{}<b>{}</b><small>{} / {}</small></div>",
        esc(name),
        percent(r),
        r.numerator,
        r.denominator
    )
}

/// The dashboard page.
pub fn dashboard(v: &View) -> String {
    let s = v.stats;
    let mut b = format!(
        "<header><h1>建议提案办理督办看板</h1>\
         <form method=\"get\" action=\"/dashboard\"><label style=\"display:inline\">年度 \
         <input type=\"number\" name=\"year\" min=\"1949\" max=\"2200\" value=\"{}\" style=\"width:6rem\"></label> \
         <button type=\"submit\">查看</button></form>\
         <span>{}</span>\
         <form method=\"post\" action=\"/dashboard/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">退出</button></form></header><main>",
        v.year,
        esc(v.user),
        esc(v.csrf)
    );
    b += &format!(
        "<section><h2>{}年 总体情况：共{}件（主办{}件、分办{}件、协办{}件），已答复{}件，逾期未办{}件</h2><div class=\"rates\">",
        v.year, s.total, s.by_role.lead, s.by_role.split, s.by_role.co, s.answered, s.overdue
    );
    for (name, r) in [
        ("办结率", &s.rates.completion),
        ("满意率（结果）", &s.rates.satisfaction_result),
        ("满意率（工作）", &s.rates.satisfaction_work),
        ("按期答复率", &s.rates.on_time),
        ("办前沟通率", &s.rates.contact),
        ("面商率", &s.rates.face_to_face),
    ] {
        b += &rate_box(name, r);
    }
    b += "</div></section>";

    b += "<section><h2>逾期与临期</h2>";
    if v.open.is_empty() {
        b += "<p>目前没有逾期或临期的办理事项。</p>";
    } else {
        b += "<table><thead><tr><th>建议编号</th><th>标题</th><th>承办单位</th><th>办理方式</th><th>办理期限</th><th>状态</th></tr></thead><tbody>";
        for (h, state) in v.open {
            let (class, label) = due_label(state);
            b += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{label}</td></tr>",
                esc(&h.external_no),
                esc(&h.title),
                esc(&h.unit),
                h.role.as_str(),
                h.due_on
            );
        }
        b += "</tbody></table>";
    }
    b += "</section>";

    if !v.publications.is_empty() {
        b += "<section><h2>待公开答复（政务公开）</h2><table><thead><tr><th>建议编号</th><th>标题</th>\
              <th>答复单位</th><th>答复日期</th><th>公开期限</th><th>状态</th></tr></thead><tbody>";
        for (r, due, state) in v.publications {
            let (class, label) = due_label(state);
            b += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{due}</td><td class=\"{class}\">{label}</td></tr>",
                esc(&r.external_no),
                esc(&r.title),
                esc(&r.unit),
                r.signed_on
            );
        }
        b += "</tbody></table></section>";
    }

    let w = v.scores.weights;
    b += &format!(
        "<section><h2>各承办单位办理进度与考评（权重：按期{}%、沟通{}%、满意{}%）</h2>\
         <table><thead><tr><th>单位</th><th>件数</th><th>按期答复</th><th>办前沟通</th><th>满意</th><th>得分</th></tr></thead><tbody>",
        w.on_time, w.contact, w.satisfaction
    );
    for u in &v.scores.units {
        let part = |r: &Rate| format!("{}（{}/{}）", percent(r), r.numerator, r.denominator);
        b += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&u.unit),
            u.handled,
            part(&u.on_time),
            part(&u.contact),
            part(&u.satisfaction),
            u.score.map_or("—".to_string(), |x| format!("{x:.1}"))
        );
    }
    b += "</tbody></table></section><section><h2>统计图</h2><div class=\"charts\">";
    for (title, svg) in &v.charts {
        b += &format!("<img alt=\"{}\" src=\"{}\">", esc(title), charts::data_uri(svg));
    }
    b += "</div></section>";

    b += &format!("<section><h2>{}年办理情况报告：下步打算</h2>", v.year);
    if v.can_write {
        b += &format!(
            "<form method=\"post\" action=\"/dashboard/next-steps\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"year\" value=\"{}\">\
             <input type=\"hidden\" name=\"version\" value=\"{}\">\
             <textarea name=\"text\" aria-label=\"下步打算\">{}</textarea>\
             <p><button type=\"submit\">保存</button></p></form>",
            esc(v.csrf),
            v.year,
            v.next_steps.version,
            esc(&v.next_steps.text)
        );
    } else if v.next_steps.text.is_empty() {
        b += "<p>（尚未撰写。）</p>";
    } else {
        b += &format!("<p style=\"white-space:pre-wrap\">{}</p>", esc(&v.next_steps.text));
    }
    b += "</section></main>";
    page(&format!("{}年建议提案办理督办看板", v.year), &b)
}

/// The sign-in page: username and password, the double-submit token, and what went wrong.
pub fn sign_in(csrf: &str, error: Option<&str>) -> String {
    let error = error.map(|e| format!("<p class=\"error\">{}</p>", esc(e))).unwrap_or_default();
    page(
        "登录督办看板",
        &format!(
            "<header><h1>建议提案办理督办看板</h1></header><main><section><h2>登录</h2>{error}\
             <form method=\"post\" action=\"/dashboard/login\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label>用户名 <input name=\"username\" autocomplete=\"username\" required></label>\
             <label>密码 <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
             <button type=\"submit\">登录</button></form></section></main>",
            esc(csrf)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::model::ScoreWeights;

    #[test]
    fn the_page_escapes_what_the_data_says_and_carries_the_csrf_token() {
        let stats = Stats { total: 1, ..Default::default() };
        let scores =
            UnitScores { year: Some(2024), from: None, to: None, weights: ScoreWeights::default(), units: vec![] };
        let open = vec![(
            OpenHandling {
                assignment_id: uuid::Uuid::nil(),
                external_no: "241036".into(),
                title: "关于<script>alert(1)</script>的建议".into(),
                unit: "不动产登记科".into(),
                role: crate::db::enums::HandlingRole::Lead,
                due_on: chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
            },
            DueState::Overdue,
        )];
        let next =
            NextSteps { year: 2024, text: "</textarea><b>x".into(), version: 3, updated_by: None, updated_at: None };
        let html = dashboard(&View {
            year: 2024,
            user: "办公室",
            csrf: "abc123",
            stats: &stats,
            scores: &scores,
            open: &open,
            publications: &[(
                Unpublished {
                    reply_id: uuid::Uuid::nil(),
                    external_no: "241037".into(),
                    title: "关于公开<b>的建议".into(),
                    unit: "建设工程管理科".into(),
                    source: crate::db::enums::Source::Npc,
                    signed_on: chrono::NaiveDate::from_ymd_opt(2024, 5, 6).unwrap(),
                },
                chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
                DueState::DueSoon,
            )],
            next_steps: &next,
            can_write: true,
            charts: vec![],
        });
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("</textarea><b>") && html.contains("name=\"version\" value=\"3\""));
        assert_eq!(html.matches("name=\"csrf\" value=\"abc123\"").count(), 2, "both forms");
        assert!(html.contains("class=\"overdue\">已逾期"));
        assert!(html.contains("待公开答复") && html.contains("2024-06-03</td><td class=\"due_soon\">临期"));
        assert!(!html.contains("公开<b>"));
        assert!(sign_in("t", Some("用户名或密码错误")).contains("用户名或密码错误"));
    }
}
