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
  alerts: Array<{ rule: string; since: string }>;
}

const RATIOS = new Set(["answer_rate", "service_level", "satisfaction", "answered_within_15s", "answered_within_30s"]);
const SECONDS = new Set(["asa", "aht", "longest_wait"]);

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


function tile(key: string, value: unknown, score?: number, big = false): string {
  return `<div class="tile ${scoreClass(score)} ${big ? "big" : ""}" data-metric="${key}">
      <div class="label">${t(key)}</div>
      <div class="value" data-value="${key}">${fmt(key, value)}</div>
    </div>`;
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
    tile("offered", today.offered ?? 0),
    tile("answered", today.answered ?? 0),
    tile("abandoned", today.abandoned ?? 0),
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
      const label = prefix === "channel:" ? t(name) : name;
      return `<div class="card ${scoreClass(scores.service_level)}" data-scope="${esc(k)}">
        <div class="card-head"><span class="name">${esc(label)}</span>
          <span class="sl" title="${t("service_level")}">${fmt("service_level", today.service_level)}</span></div>
        <div class="card-row">
          <span><b data-value="waiting">${now.waiting ?? 0}</b> ${t("waiting")}</span>
          <span><b>${fmt("longest_wait", now.longest_wait ?? 0)}</b> ${t("longest_wait")}</span>
        </div>
        <div class="card-row small">
          <span>${t("offered")} <b>${fmt("offered", today.offered ?? 0)}</b></span>
          <span>${t("answered")} <b>${fmt("answered", today.answered ?? 0)}</b></span>
          <span>${t("abandoned")} <b>${fmt("abandoned", today.abandoned ?? 0)}</b></span>
        </div>
        ${prefix === "queue:" ? `<div class="card-row small agents-mini">
          <span class="dot idle"></span>${now.agents_idle ?? 0}
          <span class="dot busy"></span>${now.agents_on_call ?? 0}
          <span class="dot acw"></span>${now.agents_wrap_up ?? 0}
          <span class="dot break"></span>${now.agents_break ?? 0}</div>` : ""}
      </div>`;
    });
  document.getElementById(target)!.innerHTML = cards.join("") || `<div class="empty">–</div>`;
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
  table.tHead!.innerHTML = `<tr><th>${t("agent")}</th><th>${t("state")}</th><th>${t("queue")}</th><th>${t("time_in_state")}</th><th>${t("handled")}</th><th>${t("aht")}</th></tr>`;
  const elapsed = (Date.now() - loadedAt) / 1000;
  const rows = [...snap.agents].sort((a, b) => a.agent.localeCompare(b.agent, undefined, { numeric: true }));
  table.tBodies[0].innerHTML = rows.length
    ? rows
        .map((a) => {
          const state = a.state === "logged_in" ? "idle" : a.state;
          const reason = a.reason ? ` · ${esc(a.reason)}` : "";
          return `<tr class="${esc(state)}"><td>${esc(a.agent)}</td><td><span class="dot ${esc(state)}"></span>${esc(t(state))}${reason}</td>
            <td>${esc(a.queue)}</td><td class="num" data-since="${a.time_in_state}">${duration(a.time_in_state + elapsed)}</td>
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
      legend: { textStyle: { color: "#cbd5e1" }, data: [t("offered"), t("answered"), t("abandoned"), t("service_level")] },
      grid: { left: 40, right: 44, top: 36, bottom: 28 },
      xAxis: { type: "category", data: slots, axisLabel: { color: "#94a3b8" } },
      yAxis: [
        { type: "value", axisLabel: { color: "#94a3b8" }, splitLine: { lineStyle: { color: "#1e293b" } } },
        { type: "value", min: 0, max: 1, axisLabel: { color: "#94a3b8", formatter: (v: number) => `${v * 100}%` }, splitLine: { show: false } },
      ],
      series: [
        { name: t("offered"), type: "bar", data: series("offered"), itemStyle: { color: "#60a5fa" } },
        { name: t("answered"), type: "bar", data: series("answered"), itemStyle: { color: "#34d399" } },
        { name: t("abandoned"), type: "bar", data: series("abandoned"), itemStyle: { color: "#f87171" } },
        { name: t("service_level"), type: "line", yAxisIndex: 1, data: series("service_level"), smooth: true, itemStyle: { color: "#fbbf24" } },
      ],
    },
    true,
  );
}

function renderAlerts(snap: Snapshot) {
  const el = document.getElementById("alerts")!;
  el.hidden = snap.alerts.length === 0;
  el.innerHTML = snap.alerts
    .map((a) => `<div class="alert" data-rule="${esc(a.rule)}">⚠ ${t("alert_firing")}: ${esc(a.rule)}</div>`)
    .join("");
}

function render() {
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
  const conn = document.getElementById("conn")!;
  stream = new EventSource(`/api/v1/live/stream?tenant=${encodeURIComponent(tenant)}`);
  stream.onopen = () => {
    conn.textContent = `● ${t("live")}`;
    conn.className = "conn ok";
  };
  stream.onerror = () => {
    conn.textContent = t("reconnecting");
    conn.className = "conn lost";
  };
  for (const ev of ["floor", "today", "alert", "snapshot"]) {
    stream.addEventListener(ev, scheduleRefetch);
  }
}

async function start() {
  applyLabels();
  bindLangSwitch(render);
  const tenants = await api<{ tenants: Array<{ name: string }> }>("/api/v1/tenants");
  const select = document.getElementById("tenant") as HTMLSelectElement;
  if (!tenant) tenant = tenants.tenants.find((x) => x.name === "demo")?.name ?? tenants.tenants[0]?.name ?? "default";
  const names = tenants.tenants.map((x) => x.name);
  if (!names.includes(tenant)) names.push(tenant);
  select.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join("");
  select.value = tenant;
  select.addEventListener("change", () => {
    tenant = select.value;
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
  // Clocks tick locally; figures come from the server.
  setInterval(() => {
    const lang = currentLang();
    document.getElementById("clock")!.textContent = new Date().toLocaleTimeString(lang);
    const elapsed = (Date.now() - loadedAt) / 1000;
    document.querySelectorAll<HTMLElement>("[data-since]").forEach((td) => {
      td.textContent = duration(Number(td.dataset.since) + elapsed);
    });
  }, 1000);
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
