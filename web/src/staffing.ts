// The staffing page: a day's plan for a queue (forecast calls, required, scheduled and
// logged-in agents per interval), how good the forecast was, and the plan as a workbook.
import "./style.css";
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { applyLabels, bindLangSwitch, currentLang, t } from "./i18n";
import { api, bindLogout, esc, renderNav, tenants, type TenantInfo } from "./common";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

interface Interval {
  start: string;
  calls: number;
  aht_s: number | null;
  required_agents: number;
  service_level: number | null;
  asa_s: number | null;
  abandon_rate: number | null;
  occupancy: number | null;
  scheduled_agents: number;
  actual_calls: number | null;
  logged_in_agents: number | null;
}
interface Accuracy {
  mape_interval: number | null;
  wape_interval: number | null;
  mape_day: number | null;
  wape_day: number | null;
  days: number;
  weeks: number;
}
interface Plan {
  queue: string;
  date: string;
  model: string;
  model_note: string;
  patience_s: number | null;
  special_day: { name: string; factor: number } | null;
  backtest: Accuracy | null;
  totals: { calls: number; required_agent_hours: number; scheduled_agent_hours: number; peak_required_agents: number };
  intervals: Interval[];
}

let tenant = "";
let tenantList: TenantInfo[] = [];
let last: Plan | null = null;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const charts: Record<string, echarts.ECharts> = {};

/** Today in the tenant's zone, YYYY-MM-DD. */
function today(): string {
  const tz = tenantList.find((x) => x.name === tenant)?.timezone ?? "Asia/Shanghai";
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function pct(v: number | null | undefined): string {
  return v == null ? "–" : `${(v * 100).toFixed(1)}%`;
}

function num(v: number | null | undefined, digits = 1): string {
  return v == null ? "–" : v.toFixed(digits);
}

/** The queues with agent requests in the last 12 weeks, busiest first. */
async function loadQueues(): Promise<void> {
  const since = new Date(Date.now() - 84 * 86400e3).toISOString().slice(0, 10);
  const q = new URLSearchParams({ tenant, metrics: "agent_requests", by: "queue", from: since });
  const r = await api<{ rows: Array<{ queue: string | null; agent_requests: number }> }>(`/api/v1/kpi?${q.toString()}`);
  const queues = r.rows
    .filter((x) => x.queue && x.agent_requests > 0)
    .sort((a, b) => b.agent_requests - a.agent_requests)
    .map((x) => x.queue as string);
  const asked = new URLSearchParams(location.search).get("queue");
  $("queue").innerHTML = queues
    .map((x) => `<option${x === asked ? " selected" : ""}>${esc(x)}</option>`)
    .join("");
}

function params(format?: string): URLSearchParams {
  const v = (id: string) => ($(id) as HTMLInputElement).value.trim();
  const q = new URLSearchParams({
    tenant,
    queue: v("queue"),
    date: v("date"),
    target_sl: String(Number(v("target_sl")) / 100),
    threshold: v("threshold"),
    shrinkage: String(Number(v("shrinkage")) / 100),
    max_occupancy: String(Number(v("max_occupancy")) / 100),
    interval: v("interval"),
    lang: currentLang(),
  });
  const patience = v("patience");
  if (patience) q.set("patience", patience);
  if (format) q.set("format", format);
  return q;
}

function renderSummary(p: Plan): void {
  const model = p.patience_s != null ? `Erlang A · ${t("patience")} ${p.patience_s.toFixed(0)} s` : "Erlang C";
  const b = p.backtest;
  const chips = [
    [t("forecast_calls"), p.totals.calls.toFixed(0)],
    [t("peak_required"), String(p.totals.peak_required_agents)],
    [t("required_hours"), p.totals.required_agent_hours.toFixed(1)],
    [t("scheduled_hours"), p.totals.scheduled_agent_hours.toFixed(1)],
    [`${t("forecast_error")} · ${t("per_interval")} (WAPE)`, pct(b?.wape_interval)],
    [`${t("forecast_error")} · ${t("per_day")} (WAPE)`, pct(b?.wape_day)],
  ];
  $("summary").innerHTML =
    `<div class="chips">${chips.map(([k, v]) => `<div class="chip"><span>${esc(k)}</span><b>${esc(v)}</b></div>`).join("")}</div>` +
    `<p class="hint">${esc(model)}${p.special_day ? ` · ${esc(t("special_day"))}: ${esc(p.special_day.name)} ×${p.special_day.factor}` : ""}` +
    (b ? ` · ${esc(t("backtest_of"))} ${b.days} ${esc(t("days"))} (MAPE ${pct(b.mape_interval)} / ${pct(b.mape_day)})` : ` · ${esc(t("no_backtest"))}`) +
    `</p>`;
}

function chart(id: string): echarts.ECharts {
  charts[id] ??= echarts.init($(id));
  return charts[id];
}

function renderCharts(p: Plan): void {
  // The hours with anything to show; the night's empty intervals would squeeze the day.
  const rows = p.intervals.filter((i) => i.calls >= 0.05 || i.required_agents > 0 || (i.actual_calls ?? 0) > 0);
  const x = rows.map((i) => i.start);
  const base = {
    tooltip: { trigger: "axis" },
    legend: { textStyle: { color: "#cbd5e1" } },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: x, axisLabel: { color: "#94a3b8" } },
    yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#94a3b8" }, splitLine: { lineStyle: { color: "#1e293b" } } },
  };
  chart("calls-chart").setOption(
    {
      ...base,
      series: [
        { name: t("forecast_calls"), type: "line", smooth: true, data: rows.map((i) => Number(i.calls.toFixed(2))) },
        { name: t("actual_calls"), type: "bar", data: rows.map((i) => i.actual_calls) },
      ],
    },
    true,
  );
  chart("agents-chart").setOption(
    {
      ...base,
      series: [
        { name: t("required_agents"), type: "line", step: "start", data: rows.map((i) => i.required_agents) },
        { name: t("scheduled_agents"), type: "line", step: "start", lineStyle: { type: "dashed" }, data: rows.map((i) => i.scheduled_agents) },
        { name: t("logged_in_agents"), type: "bar", data: rows.map((i) => i.logged_in_agents) },
      ],
    },
    true,
  );
}

function renderTable(p: Plan): void {
  const head = ["interval", "forecast_calls", "aht", "required_agents", "service_level", "asa", "abandon_rate", "occupancy", "scheduled_agents", "actual_calls", "logged_in_agents"];
  const rows = p.intervals.filter((i) => i.calls >= 0.05 || i.required_agents > 0 || (i.actual_calls ?? 0) > 0);
  $("plan").innerHTML =
    `<thead><tr>${head.map((h, i) => `<th${i > 0 ? ' class="num"' : ""}>${esc(t(h))}</th>`).join("")}</tr></thead><tbody>` +
    rows
      .map(
        (i) =>
          `<tr><td>${esc(i.start)}</td><td class="num">${num(i.calls, 2)}</td><td class="num">${num(i.aht_s, 0)}</td>` +
          `<td class="num"><b>${i.required_agents}</b></td><td class="num">${pct(i.service_level)}</td><td class="num">${num(i.asa_s, 1)}</td>` +
          `<td class="num">${pct(i.abandon_rate)}</td><td class="num">${pct(i.occupancy)}</td><td class="num">${i.scheduled_agents}</td>` +
          `<td class="num">${i.actual_calls ?? "–"}</td><td class="num">${num(i.logged_in_agents, 1)}</td></tr>`,
      )
      .join("") +
    `</tbody>`;
}

async function renderPlan(): Promise<void> {
  const err = $("error");
  err.hidden = true;
  ($("xlsx") as HTMLAnchorElement).href = `/api/v1/staffing?${params("xlsx").toString()}`;
  history.replaceState(null, "", `/staffing?${new URLSearchParams({ tenant, queue: ($("queue") as HTMLSelectElement).value }).toString()}`);
  try {
    last = await api<Plan>(`/api/v1/staffing?${params().toString()}`);
    renderSummary(last);
    renderCharts(last);
    renderTable(last);
  } catch (e) {
    err.textContent = (e as Error).message;
    err.hidden = false;
    last = null;
    $("summary").innerHTML = "";
    $("plan").innerHTML = "";
    Object.values(charts).forEach((c) => c.clear());
  }
}

async function start(): Promise<void> {
  applyLabels();
  bindLogout();
  const tl = await tenants(new URLSearchParams(location.search).get("tenant"));
  tenant = tl.current;
  tenantList = tl.list;
  renderNav("staffing", tenant);
  $("tenant").innerHTML = tl.list.map((x) => `<option${x.name === tenant ? " selected" : ""}>${esc(x.name)}</option>`).join("");
  ($("date") as HTMLInputElement).value = new URLSearchParams(location.search).get("date") ?? today();
  $("tenant").addEventListener("change", async () => {
    tenant = ($("tenant") as HTMLSelectElement).value;
    renderNav("staffing", tenant);
    await loadQueues();
    await renderPlan();
  });
  bindLangSwitch(() => {
    renderNav("staffing", tenant);
    void renderPlan();
  });
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    void renderPlan();
  });
  $("queue").addEventListener("change", () => void renderPlan());
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  await loadQueues();
  await renderPlan();
  document.body.dataset.ready = "true";
}

void start();
