//! The report's and the dashboard's charts, as SVG (plotters; the text is left to the
//! reader's fonts, so Chinese labels need none here): counts by role, class, unit and month.

use plotters::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::supervision::model::Stats;

/// What a chart counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Suggestions by the bureau's role (主办, 分办, 协办).
    Role,
    /// The bureau's signed replies by class (A, B, C, D).
    Class,
    /// Suggestions by handling section.
    Unit,
    /// Answers by month.
    Month,
}

impl ChartKind {
    pub const ALL: [ChartKind; 4] = [ChartKind::Role, ChartKind::Class, ChartKind::Unit, ChartKind::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Role => "role",
            ChartKind::Class => "class",
            ChartKind::Unit => "unit",
            ChartKind::Month => "month",
        }
    }

    /// The chart's title and bars, from the figures.
    pub fn bars(self, s: &Stats) -> (String, Vec<(String, i64)>) {
        let listed = |list: &[crate::supervision::model::Count], suffix: &str| {
            list.iter()
                .map(|c| (if c.key.is_empty() { "未定".to_string() } else { format!("{}{suffix}", c.key) }, c.count))
                .collect()
        };
        match self {
            ChartKind::Role => (
                "按办理方式".into(),
                vec![("主办".into(), s.by_role.lead), ("分办".into(), s.by_role.split), ("协办".into(), s.by_role.co)],
            ),
            ChartKind::Class => ("答复类别".into(), listed(&s.by_class, "类")),
            ChartKind::Unit => ("按承办科室".into(), listed(&s.by_unit, "")),
            ChartKind::Month => ("按月答复".into(), listed(&s.by_month, "")),
        }
    }
}

/// A bar chart as an SVG document.
pub fn bar_svg(title: &str, bars: &[(String, i64)]) -> Result<String, AppError> {
    let fail = |e: &dyn std::fmt::Display| AppError::internal(format!("chart: {e}"));
    let mut svg = String::new();
    {
        let width = (120 + 70 * bars.len() as u32).clamp(360, 960);
        let root = SVGBackend::with_string(&mut svg, (width, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let top = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
        let n = bars.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(40)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0..top + top / 8 + 1)
            .map_err(|e| fail(&e))?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => bars.get(*i as usize).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&label)
            .y_desc("件")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| fail(&e))?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(RGBColor(0x2f, 0x6f, 0xb3).filled())
                    .margin(12)
                    .data(bars.iter().enumerate().map(|(i, b)| (i as i32, b.1))),
            )
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The chart as an `<img>` for a page: a `data:` URI, which a Content-Security-Policy
/// admits with `img-src data:` and in which an SVG runs nothing.
pub fn data_uri(svg: &str) -> String {
    use base64::Engine;
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_bar_per_count_and_escapes_its_labels() {
        let svg = bar_svg("按承办科室", &[("建设工程管理科".into(), 4), ("<耕地>&保护科".into(), 2)]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains("按承办科室") && svg.contains("建设工程管理科"));
        assert!(svg.contains("&lt;耕地&gt;&amp;保护科") && !svg.contains("<耕地>"));
        let bars = svg.matches("<rect").count();
        assert!(bars >= 3, "the background and two bars: {bars}");
        // No bars at all still draws an empty chart.
        assert!(bar_svg("按月答复", &[]).unwrap().contains("按月答复"));
    }
}
