//! Channel efficiency (seed 001 服务渠道效能分析): per service channel (IVR self service, voice
//! bot, agent, chat, ...) its requests, resolution rate in the channel, satisfaction, AHT and
//! its share of the cost, from the center's costs per request in `standards.toml`.

use ccpulse_metrics::{ByItem, Catalog, Dimension};
use ccpulse_model::TenantId;
use ccpulse_store::Store;
use serde_json::{json, Value};

use crate::doc::{Cell, Chart, ChartKind, Column, Fmt, Section, Table};
use crate::query::Ask;
use crate::{Lang, Period, ReportError};

/// The figures asked per channel.
const METRICS: &str = "channel_requests,resolution_rate,satisfaction,aht";

/// One service channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub channel: String,
    pub requests: f64,
    pub resolution_rate: Option<f64>,
    pub satisfaction: Option<f64>,
    pub aht: Option<f64>,
    /// What one request costs here, when the center has said.
    pub unit_cost: Option<f64>,
}

impl ChannelRow {
    /// Requests x the cost of one.
    pub fn cost(&self) -> Option<f64> {
        self.unit_cost.map(|c| c * self.requests)
    }
}

/// Every service channel of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelsView {
    pub tenant: String,
    pub period: String,
    pub lang: Lang,
    /// By requests, most first.
    pub rows: Vec<ChannelRow>,
}

/// A channel's name for people.
pub fn channel_words(channel: &str, lang: Lang) -> String {
    let (zh, en) = match channel {
        "ivr" => ("IVR自助", "IVR self service"),
        "voice_bot" => ("智能语音", "Voice bot"),
        "agent" => ("人工坐席", "Agent"),
        "chat" => ("在线客服", "Chat"),
        "email" => ("邮件", "Email"),
        "video" => ("视频", "Video"),
        other => (other, other),
    };
    lang.pick(zh, en).to_owned()
}

/// The channels of `tenant` over `period` (of the contacts in `scope`).
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    scope: &[ccpulse_metrics::Filter],
    lang: Lang,
) -> Result<ChannelsView, ReportError> {
    let metrics: Vec<&str> = METRICS.split(',').collect();
    let asked = Ask::new(store, catalog, tenant).scoped(scope).by(
        &metrics,
        Some(ByItem::Dimension(Dimension::ServiceChannel)),
        period,
        &[],
        false,
    )?;
    let costs = store.standards(catalog, tenant)?.channel_cost;
    let mut rows: Vec<ChannelRow> = asked
        .into_iter()
        .filter_map(|(channel, f)| {
            let channel = channel?;
            Some(ChannelRow {
                unit_cost: costs.get(&channel).copied(),
                channel,
                requests: f.get("channel_requests").unwrap_or(0.0),
                resolution_rate: f.get("resolution_rate"),
                satisfaction: f.get("satisfaction"),
                aht: f.get("aht"),
            })
        })
        // A channel that served only outbound contacts took no requests.
        .filter(|r| r.requests > 0.0)
        .collect();
    rows.sort_by(|a, b| {
        b.requests
            .total_cmp(&a.requests)
            .then_with(|| a.channel.cmp(&b.channel))
    });
    Ok(ChannelsView {
        tenant: tenant.to_string(),
        period: period.label.clone(),
        lang,
        rows,
    })
}

impl ChannelsView {
    /// Every channel's cost over all channels' (when every channel's cost is known).
    pub fn cost_share(&self, row: &ChannelRow) -> Option<f64> {
        let costs: Option<Vec<f64>> = self.rows.iter().map(ChannelRow::cost).collect();
        let total: f64 = costs?.iter().sum();
        (total > 0.0).then(|| row.cost().unwrap_or(0.0) / total)
    }

    /// Every request over all channels'.
    pub fn request_share(&self, row: &ChannelRow) -> Option<f64> {
        let total: f64 = self.rows.iter().map(|r| r.requests).sum();
        (total > 0.0).then(|| row.requests / total)
    }

    /// `{"tenant", "period", "channels": [{channel, label, requests, request_share,
    /// resolution_rate, satisfaction, aht, unit_cost, cost, cost_share}], "costs_known"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "tenant": self.tenant, "period": self.period,
            "costs_known": self.rows.iter().all(|r| r.unit_cost.is_some()),
            "channels": self.rows.iter().map(|r| json!({
                "channel": r.channel, "label": channel_words(&r.channel, self.lang),
                "requests": r.requests, "request_share": self.request_share(r),
                "resolution_rate": r.resolution_rate, "satisfaction": r.satisfaction,
                "aht": r.aht, "unit_cost": r.unit_cost, "cost": r.cost(),
                "cost_share": self.cost_share(r),
            })).collect::<Vec<_>>(),
        })
    }

    /// The channels as a report section: the table and a pie of the requests.
    pub fn section(&self) -> Section {
        let lang = self.lang;
        let t = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        let known = self.rows.iter().all(|r| r.unit_cost.is_some());
        let mut paragraphs = vec![t(
            "各服务渠道的请求量、渠道内解决率（不转其他渠道或人工即解决）、满意度、平均处理时长与成本占比：",
            "Each service channel's requests, resolution in the channel (without a transfer to another channel or an agent), satisfaction, handle time and share of the cost:",
        )];
        if !known {
            paragraphs.push(t(
                "成本占比需要各渠道的单次服务成本：在 standards.toml 的 [租户.channel_cost] 中设置（如 agent = 12.5）。",
                "The cost share needs each channel's cost per request: set it in standards.toml under [TENANT.channel_cost] (e.g. agent = 12.5).",
            ));
        }
        Section {
            heading: t("服务渠道效能", "Channel efficiency"),
            paragraphs,
            table: Some(Table {
                columns: vec![
                    Column::new(t("服务渠道", "Channel"), Fmt::Text),
                    Column::new(t("请求量", "Requests"), Fmt::Int),
                    Column::new(t("请求占比", "Share of requests"), Fmt::Percent),
                    Column::new(t("渠道解决率", "Resolution rate"), Fmt::Percent),
                    Column::new(t("满意度", "Satisfaction"), Fmt::Percent),
                    Column::new(t("平均处理时长（秒）", "AHT (s)"), Fmt::Dec2),
                    Column::new(t("成本占比", "Cost share"), Fmt::Percent),
                ],
                rows: self
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Text(channel_words(&r.channel, lang)),
                            Cell::Num(r.requests),
                            Cell::opt(self.request_share(r)),
                            Cell::opt(r.resolution_rate),
                            Cell::opt(r.satisfaction),
                            Cell::opt(r.aht),
                            Cell::opt(self.cost_share(r)),
                        ]
                    })
                    .collect(),
                total: None,
            }),
            charts: if self.rows.is_empty() {
                Vec::new()
            } else {
                vec![Chart {
                    kind: ChartKind::Pie,
                    title: t("各渠道请求量", "Requests by channel"),
                    categories: 0,
                    values: vec![1],
                }]
            },
            sheet: Some(t("服务渠道", "Channels")),
        }
    }

    /// A line per channel.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "channel",
            "requests",
            "request_share",
            "resolution_rate",
            "satisfaction",
            "aht",
            "unit_cost",
            "cost",
            "cost_share",
        ])?;
        let n = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for r in &self.rows {
            w.write_record([
                r.channel.clone(),
                r.requests.to_string(),
                n(self.request_share(r)),
                n(r.resolution_rate),
                n(r.satisfaction),
                n(r.aht),
                n(r.unit_cost),
                n(r.cost()),
                n(self.cost_share(r)),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
