import "./style.css";
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { applyLabels, bindLangSwitch, currentLang, t } from "./i18n";
import { api, bindLogout, duration, esc, renderNav } from "./common";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Figures = Record<string, number | null | Record<string, number>>;
interface Scope {
  now?: Record<string, number | Record<string, number>>;
  today?: Figures;
}
interface Agent {
  agent: string;
  state: string;
  reason: string | null;
  queue: string | null;
  since: string;
  time_in_state: number;
  today: { handled: number; aht: number | null } | null;
}
interface Snapshot {
  tenant: string;
  at: string;
  seq: number;
  scopes: Record<string, Scope>;
  agents: Agent[];
  trend: Array<Record<string, number | string | null>>;
  alerts: Array<{ rule: string; since: string; text?: string; value?: number | null }>;
}

/** A metric as the catalog describes it (`GET /api/v1/metrics`). */
interface CatalogMetric {
  name: string;
  zh: string;
  en: string;
  unit: string;
  formula?: string | null;
  formula_zh?: string | null;
}

/** The wall's figures that are catalog metrics: their catalog name and parameters, so the
 * wall, `kpi`, the reports and the catalog say the same words. */
const CATALOG: Record<string, { name: string; params?: Record<string, string> }> = {
  offered: { name: "offered" },
  answered: { name: "answered" },
  abandoned: { name: "abandoned" },
  self_service: { name: "self_service" },
  other_inbound: { name: "other_inbound" },
  outbound: { name: "outbound" },
  outbound_connected: { name: "outbound_connected" },
  outbound_connect_rate: { name: "outbound_connect_rate" },
  avg_talk: { name: "avg_talk" },
  answer_rate: { name: "answer_rate" },
  service_level: { name: "service_level" },
  asa: { name: "asa" },
  aht: { name: "aht" },
  handled: { name: "handled" },
  satisfaction: { name: "satisfaction" },
  answered_within_15s: { name: "answered_within", params: { threshold: "15" } },
  answered_within_30s: { name: "answered_within", params: { threshold: "30" } },
};

let catalog: Record<string, CatalogMetric> = {};
let zone = "";
let connected: boolean | null = null;

/** `{param}` filled from `params`; a tenant setting the wall does not know reads N. */
function fill(text: string, params: Record<string, string> = {}): string {
  return text.replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? "N");
}

/** A figure's label: the catalog's in the wall's language, else the wall's own. */
function label(key: string): string {
  const c = CATALOG[key];
  const m = c ? catalog[c.name] : undefined;
  if (!m) return t(key);
  return fill(currentLang() === "en" ? m.en : m.zh, c.params);
}

/** A figure's definition, for its tooltip: the catalog's formula in the wall's language. */
function definition(key: string): string {
  const c = CATALOG[key];
  const m = c ? catalog[c.name] : undefined;
  if (!m) return t(`def_${key}`);
  const text = currentLang() === "en" ? m.formula : (m.formula_zh ?? m.formula);
  return fill(text ?? "", c.params);
}

/** The explore page on a figure, today (the catalog's figures only). */
function exploreLink(key: string): string | null {
  const c = CATALOG[key];
  if (!c) return null;
  const params = Object.entries(c.params ?? {}).map(([k, v]) => `${k}=${v}`);
  const metric = params.length ? `${c.name}[${params.join(",")}]` : c.name;
  return `/explore?tenant=${encodeURIComponent(tenant)}&metrics=${encodeURIComponent(metric)}&period=today`;
}

const RATIOS = new Set(["answer_rate", "service_level", "satisfaction", "answered_within_15s", "answered_within_30s", "outbound_connect_rate", "abandon_rate"]);
const SECONDS = new Set(["asa", "aht", "longest_wait", "avg_talk"]);

let snapshot: Snapshot | null = null;
let tenant = new URLSearchParams(location.search).get("tenant") ?? "";
let stream: EventSource | null = null;
let chart: echarts.ECharts | null = null;
let refetchTimer: number | null = null;
let loadedAt = Date.now();

function fmt(key: string, v: unknown): string {
  if (v === null || v === undefined) return "–";
  const n = Number(v);
  if (RATIOS.has(key)) return `${(n * 100).toFixed(1)}%`;
  if (SECONDS.has(key)) return duration(n);
  return Number.isInteger(n) ? n.toLocaleString() : n.toFixed(1);
}

function scoreClass(score: number | undefined): string {
  if (score === undefined) return "";
  return score >= 5 ? "good" : score === 4 ? "fair" : score === 3 ? "warn" : "bad";
}


function tile(key: string, value: unknown, score?: number, big = false, sub = ""): string {
  const href = exploreLink(key);
  const tag = href ? "a" : "div";
  return `<${tag} class="tile ${scoreClass(score)} ${big ? "big" : ""}" data-metric="${key}"${href ? ` href="${esc(href)}"` : ""} title="${esc(definition(key))}">
      <div class="label">${esc(label(key))}</div>
      <div class="value" data-value="${key}">${fmt(key, value)}</div>${sub}
    </${tag}>`;
}

function scopeFigures(s: Scope | undefined) {
  const now = (s?.now ?? {}) as Record<string, number>;
  const today = (s?.today ?? {}) as Record<string, number | null>;
  const scores = ((s?.today?.scores as Record<string, number>) ?? {}) as Record<string, number>;
  return { now, today, scores };
}

function renderOverall(s: Scope | undefined) {
  const { now, today, scores } = scopeFigures(s);
  const waitScore = now.waiting > 10 ? 2 : now.waiting > 3 ? 3 : undefined;
  const el = document.getElementById("overall")!;
  el.innerHTML = [
    tile("waiting", now.waiting ?? 0, waitScore, true),
    tile("longest_wait", now.longest_wait ?? 0, now.longest_wait > 60 ? 2 : undefined, true),
    // Offered, then what became of it: the four add up to it.
    tile(
      "offered",
      today.offered ?? 0,
      undefined,
      false,
      `<div class="sum" data-sum="offered">= ${["answered", "abandoned", "self_service", "other_inbound"].map((k) => fmt(k, today[k] ?? 0)).join(" + ")}</div>`,
    ),
    tile("answered", today.answered ?? 0),
    tile("abandoned", today.abandoned ?? 0),
    tile("self_service", today.self_service ?? 0),
    tile("other_inbound", today.other_inbound ?? 0),
    tile("service_level", today.service_level, scores.service_level, true),
    tile("answer_rate", today.answer_rate, scores.answer_rate),
    tile("asa", today.asa, scores.asa),
    tile("aht", today.aht, scores.aht),
    tile("satisfaction", today.satisfaction, scores.satisfaction),
    tile("answered_within_15s", today.answered_within_15s),
    tile("answered_within_30s", today.answered_within_30s),
  ].join("");
}

function renderScopes(prefix: string, target: string, snap: Snapshot) {
  const cards = Object.entries(snap.scopes)
    .filter(([k]) => k.startsWith(prefix) && k.length > prefix.length)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, s]) => {
      const name = k.slice(prefix.length);
      const { now, today, scores } = scopeFigures(s);
      const name_ = prefix === "channel:" ? t(name) : name;
      // A queue that only dials out shows the figures of its direction.
      const outbound = (today.offered ?? 0) === 0 && (today.outbound ?? 0) > 0;
      const head = outbound ? "outbound_connect_rate" : "service_level";
      const figure = (key: string) =>
        `<span title="${esc(definition(key))}">${esc(label(key))} <b data-value="${key}">${fmt(key, today[key] ?? (SECONDS.has(key) || RATIOS.has(key) ? null : 0))}</b></span>`;
      const figures = outbound
        ? ["outbound", "outbound_connected", "avg_talk"]
        : ["offered", "answered", "abandoned"];
      const mini = (state: string, n: unknown) =>
        `<span class="mini" data-state="${state}" title="${esc(t(state))}"><span class="dot ${state}"></span>${esc(t(state))} <b>${n ?? 0}</b></span>`;
      return `<div class="card ${outbound ? "" : scoreClass(scores.service_level)}${outbound ? " outbound" : ""}" data-scope="${esc(k)}">
        <div class="card-head"><span class="name" title="${esc(name_)}">${esc(name_)}</span>
          <span class="sl" data-value="${head}" title="${esc(label(head))}: ${esc(definition(head))}">${fmt(head, today[head])}</span></div>
        <div class="card-row">
          <span title="${esc(definition("waiting"))}"><b data-value="waiting">${now.waiting ?? 0}</b> ${t("waiting")}</span>
          <span title="${esc(definition("longest_wait"))}"><b>${fmt("longest_wait", now.longest_wait ?? 0)}</b> ${t("longest_wait")}</span>
        </div>
        <div class="card-row small">${figures.map(figure).join("")}</div>
        ${prefix === "queue:" ? `<div class="card-row small agents-mini">
          ${mini("idle", now.agents_idle)}${mini("busy", now.agents_on_call)}${mini("acw", now.agents_wrap_up)}${mini("break", now.agents_break)}</div>` : ""}
        ${prefix === "queue:" && now.agents_required !== undefined ? staffingRow(name, now) : ""}
      </div>`;
    });
  document.getElementById(target)!.innerHTML = cards.join("") || `<div class="empty">–</div>`;
}

/** This interval's plan against the floor: agents required now and logged in now; short of
 * the plan shows red, and the row opens the queue's plan. */
function staffingRow(queue: string, now: Record<string, number>): string {
  const required = now.agents_required ?? 0;
  const logged = now.agents_logged_in ?? 0;
  const gap = required - logged;
  const href = `/staffing?tenant=${encodeURIComponent(tenant)}&queue=${encodeURIComponent(queue)}`;
  return `<a class="card-row small staffing-now${gap > 0 ? " short" : ""}" data-gap="${gap}" href="${esc(href)}" title="${esc(t("def_staffing_gap"))}">
      <span>${esc(t("required_now"))} <b data-value="agents_required">${required}</b></span>
      <span>${esc(t("logged_in_now"))} <b data-value="agents_logged_in">${logged}</b></span>
      <span class="gap">${gap > 0 ? `${esc(t("short_by"))} ${gap}` : "✓"}</span></a>`;
}

function renderAgents(snap: Snapshot) {
  const now = (snap.scopes["all"]?.now ?? {}) as Record<string, number>;
  const counts = [
    ["logged_in", now.agents_logged_in],
    ["idle", now.agents_idle],
    ["busy", now.agents_on_call],
    ["acw", now.agents_wrap_up],
    ["break", now.agents_break],
    ["invisible", now.agents_invisible],
  ];
  // Agents on break, by reason.
  const breaks = (snap.scopes["all"]?.now?.breaks ?? {}) as Record<string, number>;
  const reasons = Object.entries(breaks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([reason, n]) =>
        `<div class="count break reason" data-break="${esc(reason)}"><b>${n}</b><span>${t("break")} · ${esc(reason || t("no_reason"))}</span></div>`,
    );
  document.getElementById("agent-counts")!.innerHTML = counts
    .map(([k, v]) => `<div class="count ${k}" data-state="${k}"><b>${v ?? 0}</b><span>${t(String(k))}</span></div>`)
    .concat(reasons)
    .join("");
  const table = document.getElementById("agents") as HTMLTableElement;
  table.tHead!.innerHTML = `<tr><th>${t("agent")}</th><th>${t("state")}</th><th>${t("queue")}</th><th>${t("time_in_state")}</th><th title="${esc(definition("handled"))}">${esc(label("handled"))}</th><th title="${esc(definition("aht"))}">${esc(label("aht"))}</th></tr>`;
  const elapsed = (Date.now() - loadedAt) / 1000;
  const rows = [...snap.agents].sort((a, b) => a.agent.localeCompare(b.agent, undefined, { numeric: true }));
  table.tBodies[0].innerHTML = rows.length
    ? rows
        .map((a) => {
          const state = a.state === "logged_in" ? "idle" : a.state;
          const reason = a.reason ? ` · ${esc(a.reason)}` : "";
          return `<tr class="${esc(state)}"><td class="name" title="${esc(a.agent)}">${esc(a.agent)}</td><td class="state" title="${esc(t(state))}${reason}"><span class="dot ${esc(state)}"></span>${esc(t(state))}${reason}</td>
            <td class="queue" title="${esc(a.queue)}">${esc(a.queue)}</td><td class="num" data-since="${a.time_in_state}">${duration(a.time_in_state + elapsed)}</td>
            <td class="num">${a.today?.handled ?? 0}</td><td class="num">${fmt("aht", a.today?.aht ?? null)}</td></tr>`;
        })
        .join("")
    : `<tr><td colspan="6" class="empty">${t("nobody")}</td></tr>`;
}

function renderTrend(snap: Snapshot) {
  const el = document.getElementById("trend")!;
  chart ??= echarts.init(el);
  const slots = snap.trend.map((r) => String(r.slot ?? "").slice(11, 16));
  const series = (key: string) => snap.trend.map((r) => (r[key] === null ? null : Number(r[key])));
  chart.setOption(
    {
      animation: false,
      textStyle: { color: "#cbd5e1" },
      tooltip: { trigger: "axis" },
      legend: { textStyle: { color: "#cbd5e1" }, data: [label("offered"), label("answered"), label("abandoned"), label("service_level")] },
      grid: { left: 40, right: 44, top: 36, bottom: 28 },
      xAxis: { type: "category", data: slots, axisLabel: { color: "#94a3b8" } },
      yAxis: [
        // Calls are whole: never a fractional tick.
        { type: "value", minInterval: 1, axisLabel: { color: "#94a3b8" }, splitLine: { lineStyle: { color: "#1e293b" } } },
        { type: "value", min: 0, max: 1, axisLabel: { color: "#94a3b8", formatter: (v: number) => `${v * 100}%` }, splitLine: { show: false } },
      ],
      series: [
        { name: label("offered"), type: "bar", data: series("offered"), itemStyle: { color: "#60a5fa" } },
        { name: label("answered"), type: "bar", data: series("answered"), itemStyle: { color: "#34d399" } },
        { name: label("abandoned"), type: "bar", data: series("abandoned"), itemStyle: { color: "#f87171" } },
        { name: label("service_level"), type: "line", yAxisIndex: 1, data: series("service_level"), smooth: true, itemStyle: { color: "#fbbf24" } },
      ],
    },
    true,
  );
}

function renderAlerts(snap: Snapshot) {
  const el = document.getElementById("alerts")!;
  el.hidden = snap.alerts.length === 0;
  el.innerHTML = snap.alerts
    .map((a) => {
      // The condition as written and its figure now: `waiting > 10（当前 14）`.
      const metric = (a.text ?? a.rule).trim().split(/[\s<>=!]/)[0] ?? "";
      const value =
        a.value === null || a.value === undefined
          ? ""
          : ` (${t("now_value")} ${RATIOS.has(metric) ? `${(a.value * 100).toFixed(1)}%` : SECONDS.has(metric) ? duration(a.value) : Number(a.value.toFixed(2)).toLocaleString()})`;
      return `<div class="alert" data-rule="${esc(a.rule)}">⚠ ${t("alert_firing")}: ${esc(a.text ?? a.rule)}${esc(value)}</div>`;
    })
    .join("");
}

/** The connection badge in the wall's language. */
function renderConn() {
  const conn = document.getElementById("conn")!;
  if (connected === null) return;
  conn.textContent = connected ? `● ${t("live")}` : t("reconnecting");
  conn.className = connected ? "conn ok" : "conn lost";
}

function render() {
  renderConn();
  if (!snapshot) return;
  renderOverall(snapshot.scopes["all"]);
  renderScopes("queue:", "queues", snapshot);
  renderScopes("channel:", "channels", snapshot);
  renderAgents(snapshot);
  renderTrend(snapshot);
  renderAlerts(snapshot);
  document.body.dataset.seq = String(snapshot.seq);
}

async function refetch() {
  refetchTimer = null;
  snapshot = await api<Snapshot>(`/api/v1/live?tenant=${encodeURIComponent(tenant)}`);
  loadedAt = Date.now();
  render();
}

function scheduleRefetch() {
  if (refetchTimer === null) refetchTimer = window.setTimeout(() => void refetch(), 250);
}

function connect() {
  stream?.close();
  stream = new EventSource(`/api/v1/live/stream?tenant=${encodeURIComponent(tenant)}`);
  stream.onopen = () => {
    connected = true;
    renderConn();
  };
  stream.onerror = () => {
    connected = false;
    renderConn();
  };
  for (const ev of ["floor", "today", "alert", "snapshot", "staffing"]) {
    stream.addEventListener(ev, scheduleRefetch);
  }
}

async function start() {
  applyLabels();
  bindLangSwitch(render);
  const tenants = await api<{ tenants: Array<{ name: string; timezone: string }> }>("/api/v1/tenants");
  const select = document.getElementById("tenant") as HTMLSelectElement;
  if (!tenant) tenant = tenants.tenants.find((x) => x.name === "demo")?.name ?? tenants.tenants[0]?.name ?? "default";
  // Labels and definitions from the catalog: the wall says what kpi and the reports say.
  const cat = await api<{ metrics: CatalogMetric[] }>(`/api/v1/metrics?tenant=${encodeURIComponent(tenant)}`);
  catalog = Object.fromEntries(cat.metrics.map((m) => [m.name, m]));
  const names = tenants.tenants.map((x) => x.name);
  if (!names.includes(tenant)) names.push(tenant);
  select.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join("");
  select.value = tenant;
  const zoneOf = () => tenants.tenants.find((x) => x.name === tenant)?.timezone ?? "";
  zone = zoneOf();
  select.addEventListener("change", () => {
    tenant = select.value;
    zone = zoneOf();
    renderNav("wall", tenant);
    void refetch();
    connect();
  });
  document.getElementById("fullscreen")!.addEventListener("click", () => void document.documentElement.requestFullscreen?.());
  bindLogout();
  renderNav("wall", tenant);
  window.addEventListener("resize", () => chart?.resize());
  await refetch();
  connect();
  // Clocks tick locally (shown at once, then every second); figures come from the server.
  const tick = () => {
    const lang = currentLang();
    // The tenant's time, as the chart's axis and today's figures are.
    const clock = document.getElementById("clock")!;
    try {
      clock.textContent = new Date().toLocaleTimeString(lang, zone ? { timeZone: zone, hour12: false } : { hour12: false });
    } catch {
      clock.textContent = new Date().toLocaleTimeString(lang, { hour12: false });
    }
    clock.title = zone ? `${t("zone")}: ${zone}` : "";
    clock.dataset.zone = zone;
    const elapsed = (Date.now() - loadedAt) / 1000;
    document.querySelectorAll<HTMLElement>("[data-since]").forEach((td) => {
      td.textContent = duration(Number(td.dataset.since) + elapsed);
    });
  };
  tick();
  setInterval(tick, 1000);
  // A safety net if the stream is down: the floor is re-read every 15 s at the latest.
  setInterval(() => void refetch(), 15000);
}

// A role without the floor (analyst, agent, operator) or a scope it cannot be cut to: the
// server's reason, where the connection state shows.
void start().catch((e: Error) => {
  const conn = document.getElementById("conn");
  if (conn) {
    conn.textContent = e.message;
    conn.className = "conn lost";
  }
});
