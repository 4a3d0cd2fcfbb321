// The explore page: any cut of the history (metrics by a time bucket or a dimension, a
// dimension across the columns, filters, a period, compared with the one before or a year
// before), a chart and a table where every number opens the contacts it counted, one
// contact's card with its timeline, templates, and exports. The whole view lives in the URL.
import "./style.css";
import * as echarts from "echarts/core";
import { BarChart, HeatmapChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { applyLabels, bindLangSwitch, currentLang, t } from "./i18n";
import { api, bindLogout, esc, renderNav, tenants, type TenantInfo } from "./common";
import { bucketRange, compareRange, intersect, PRESETS, presetRange, todayIn, type Range } from "./periods";

echarts.use([BarChart, HeatmapChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

interface MetricInfo {
  name: string;
  zh: string;
  en: string;
  unit: string;
  formula: string | null;
  drill: boolean;
}
interface ByInfo {
  name: string;
  zh: string;
  en: string;
}
interface CatalogInfo {
  metrics: MetricInfo[];
  buckets: ByInfo[];
  dimensions: ByInfo[];
}
type Row = Record<string, string | number | null>;
interface KpiAnswer {
  rows: Row[];
}
interface Drilled {
  total: number;
  rows: Row[];
}
interface Template {
  name: string;
  owner: string;
  shared: boolean;
  view: { metrics: string; by?: string; filters?: string[]; period?: string; chart?: string; pivot?: string };
}

const BUCKETS = new Set(["15min", "30min", "hour", "day", "week", "month", "quarter", "year"]);
const DRILL_COLUMNS = ["id", "time", "channel", "queue", "agent", "customer", "outcome", "exit_reason", "wait_s", "talk_s", "survey_score"];
const DEFAULT_METRICS = "offered,answered,abandoned,answer_rate,service_level,asa";

/** The page's state, read from and written to the URL. */
const S = {
  tenant: "",
  metrics: [] as string[],
  by: "day",
  pivot: "",
  period: "this_month",
  from: "",
  to: "",
  filters: [] as string[],
  cmp: "",
  chart: "auto",
  // The drill-down open: metric, part, the cell's filters and range, page and order.
  dm: "",
  dp: "numerator",
  df: [] as string[],
  dfrom: "",
  dto: "",
  off: 0,
  sort: "",
  // The contact whose card is open.
  c: "",
};

let catalog: CatalogInfo = { metrics: [], buckets: [], dimensions: [] };
let tenantList: TenantInfo[] = [];
let chart: echarts.ECharts | null = null;
let answer: Row[] = [];
let total: Row | null = null;
let compared: Row[] | null = null;
let comparedTotal: Row | null = null;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function readUrl(): void {
  const q = new URLSearchParams(location.search);
  S.tenant = q.get("tenant") ?? "";
  S.metrics = (q.get("metrics") ?? DEFAULT_METRICS).split(",").filter(Boolean);
  S.by = q.get("by") ?? "day";
  S.pivot = q.get("pivot") ?? "";
  S.period = q.get("period") ?? "this_month";
  S.from = q.get("from") ?? "";
  S.to = q.get("to") ?? "";
  S.filters = q.getAll("filter");
  S.cmp = q.get("cmp") ?? "";
  S.chart = q.get("chart") ?? "auto";
  S.dm = q.get("dm") ?? "";
  S.dp = q.get("dp") ?? "numerator";
  S.df = q.getAll("df");
  S.dfrom = q.get("dfrom") ?? "";
  S.dto = q.get("dto") ?? "";
  S.off = Number(q.get("off") ?? 0) || 0;
  S.sort = q.get("sort") ?? "";
  S.c = q.get("c") ?? "";
}

function writeUrl(): void {
  const q = new URLSearchParams();
  const set = (k: string, v: string) => {
    if (v) q.set(k, v);
  };
  set("tenant", S.tenant);
  q.set("metrics", S.metrics.join(","));
  q.set("by", S.by);
  set("pivot", S.pivot);
  q.set("period", S.period);
  if (S.period === "custom") {
    set("from", S.from);
    set("to", S.to);
  }
  S.filters.forEach((f) => q.append("filter", f));
  set("cmp", S.cmp);
  if (S.chart !== "auto") q.set("chart", S.chart);
  if (S.dm) {
    q.set("dm", S.dm);
    if (S.dp !== "numerator") q.set("dp", S.dp);
    S.df.forEach((f) => q.append("df", f));
    set("dfrom", S.dfrom);
    set("dto", S.dto);
    if (S.off) q.set("off", String(S.off));
    set("sort", S.sort);
  }
  set("c", S.c);
  const lang = new URLSearchParams(location.search).get("lang");
  if (lang) q.set("lang", lang);
  history.replaceState(null, "", `${location.pathname}?${q.toString()}`);
}

function zone(): string {
  return tenantList.find((x) => x.name === S.tenant)?.timezone ?? "Asia/Shanghai";
}

function range(): Range {
  if (S.period === "custom" && S.from && S.to) return { from: S.from, to: S.to };
  return presetRange(S.period === "custom" ? "this_month" : S.period, todayIn(zone())) as Range;
}

function metricInfo(name: string): MetricInfo | undefined {
  return catalog.metrics.find((m) => m.name === name.split("[")[0]);
}

function label(x: { zh: string; en: string } | undefined, fallback: string): string {
  if (!x) return fallback;
  return currentLang() === "en" ? x.en : x.zh;
}

function byLabel(name: string): string {
  return label([...catalog.buckets, ...catalog.dimensions].find((b) => b.name === name), name);
}

function fmt(metric: string, v: unknown): string {
  if (v === null || v === undefined || v === "") return "–";
  const n = Number(v);
  const unit = metricInfo(metric)?.unit;
  if (unit === "ratio") return `${(n * 100).toFixed(1)}%`;
  if (unit === "count") return Number.isInteger(n) ? n.toLocaleString() : n.toFixed(1);
  return n.toFixed(1);
}

/** The change from `before` to `now`: points for a ratio, percent otherwise. */
function change(metric: string, now: unknown, before: unknown): string {
  if (now === null || before === null || now === undefined || before === undefined) return "–";
  const a = Number(now);
  const b = Number(before);
  if (metricInfo(metric)?.unit === "ratio") {
    const p = (a - b) * 100;
    return `${p >= 0 ? "+" : ""}${p.toFixed(1)}pt`;
  }
  if (b === 0) return "–";
  const p = ((a - b) / Math.abs(b)) * 100;
  return `${p >= 0 ? "+" : ""}${p.toFixed(1)}%`;
}

function kpiQuery(r: Range, by: string[], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ tenant: S.tenant, metrics: S.metrics.join(","), from: r.from, to: r.to, lang: currentLang(), ...extra });
  if (by.length) q.set("by", by.join(","));
  if (by.some((b) => BUCKETS.has(b))) q.set("fill", "true");
  S.filters.forEach((f) => q.append("filter", f));
  return q.toString();
}

function byItems(): string[] {
  return [S.by, S.pivot].filter((b) => b && b !== "none");
}

function showError(e: unknown): void {
  const el = $("error");
  el.hidden = false;
  el.textContent = e instanceof Error ? e.message : String(e);
}

/** Numbers the views asked for: an answer to any but the newest is dropped (controls changed
 *  quickly send several, and they may come back in any order). */
let asked = 0;

async function run(): Promise<void> {
  writeUrl();
  updateExports();
  $("error").hidden = true;
  const mine = ++asked;
  const r = range();
  const by = byItems();
  try {
    const cmp = compareRange(r, S.period, S.cmp);
    const [main, all, before, beforeAll] = await Promise.all([
      api<KpiAnswer>(`/api/v1/kpi?${kpiQuery(r, by)}`),
      by.length ? api<KpiAnswer>(`/api/v1/kpi?${kpiQuery(r, [])}`) : Promise.resolve(null),
      cmp ? api<KpiAnswer>(`/api/v1/kpi?${kpiQuery(cmp, by)}`) : Promise.resolve(null),
      cmp && by.length ? api<KpiAnswer>(`/api/v1/kpi?${kpiQuery(cmp, [])}`) : Promise.resolve(null),
    ]);
    if (mine !== asked) return;
    answer = main.rows;
    total = all ? (all.rows[0] ?? null) : null;
    compared = before ? before.rows : null;
    comparedTotal = beforeAll ? (beforeAll.rows[0] ?? null) : null;
  } catch (e) {
    if (mine !== asked) return;
    answer = [];
    total = null;
    compared = null;
    comparedTotal = null;
    showError(e);
  }
  renderTable();
  renderChart();
  await renderInsight(r);
  if (S.dm) await loadDrill();
  if (S.c) await openCard(S.c);
}

/** How strong a rank correlation is, in words. */
function strength(rho: number): string {
  const a = Math.abs(rho);
  const zh = currentLang() !== "en";
  if (a < 0.1) return zh ? "几乎无关" : "no real link";
  const size = a < 0.3 ? (zh ? "弱" : "weak") : a < 0.5 ? (zh ? "中度" : "moderate") : zh ? "强" : "strong";
  if (zh) return `${size}${rho < 0 ? "负" : "正"}相关：等待越久，评价${rho < 0 ? "越低" : "越高"}`;
  return `${size} ${rho < 0 ? "negative" : "positive"} link: the longer the wait, the ${rho < 0 ? "lower" : "higher"} the score`;
}

/** Cut by wait band, the page says how strongly the wait goes with the survey answer
 *  (Spearman's rho over the same range and filters, computed by the server). */
async function renderInsight(r: Range): Promise<void> {
  const el = $("insight");
  if (!byItems().includes("wait_band")) {
    el.hidden = true;
    return;
  }
  const q = new URLSearchParams({ tenant: S.tenant, metrics: "wait_satisfaction_correlation,wait_satisfaction_pairs", from: r.from, to: r.to });
  S.filters.forEach((f) => q.append("filter", f));
  try {
    const a = await api<KpiAnswer>(`/api/v1/kpi?${q}`);
    const row = a.rows[0] ?? {};
    const rho = row["wait_satisfaction_correlation"];
    const n = Number(row["wait_satisfaction_pairs"] ?? 0);
    const zh = currentLang() !== "en";
    el.textContent =
      typeof rho === "number"
        ? `${zh ? "等待时长与满意度" : "Wait and satisfaction"}: Spearman ρ = ${rho.toFixed(2)} (n = ${n.toLocaleString()}), ${strength(rho)}.`
        : zh
          ? `等待时长与满意度：样本不足（n = ${n}）。`
          : `Wait and satisfaction: too few surveyed waits (n = ${n}).`;
    el.hidden = false;
  } catch {
    el.hidden = true;
  }
}

/** The row of the compared period that matches `row`: same keys for dimensions, same place
 *  for time buckets. */
function comparedRow(row: Row, i: number): Row | undefined {
  if (!compared) return undefined;
  if (BUCKETS.has(S.by)) return compared[i];
  return compared.find((c) => byItems().every((b) => c[b] === row[b]));
}

function cellAttrs(metric: string, row: Row | null): string {
  const info = metricInfo(metric);
  if (!info?.drill) return "";
  const keys = row ? byItems().map((b) => row[b]) : [];
  if (keys.some((k) => k === null || k === undefined)) return "";
  return ` class="num cell" tabindex="0" data-metric="${esc(metric)}" data-keys="${esc(JSON.stringify(keys))}"`;
}

function renderTable(): void {
  const table = $("table");
  if (!answer.length) {
    table.innerHTML = `<tbody><tr><td class="empty">${t("no_data")}</td></tr></tbody>`;
    return;
  }
  if (S.pivot) {
    renderCrossTab(table);
    return;
  }
  const head = [`<th>${esc(byLabel(S.by))}</th>`];
  for (const m of S.metrics) {
    const info = metricInfo(m);
    head.push(`<th title="${esc(info?.formula ?? "")}">${esc(label(info, m))}</th>`);
    if (compared) head.push(`<th>${t("previous")}</th><th>${t("change")}</th>`);
  }
  const line = (row: Row, i: number | null) => {
    const before = i === null ? (comparedTotal ?? undefined) : comparedRow(row, i);
    const cells = S.metrics.map((m) => {
      const v = `<td${cellAttrs(m, i === null ? null : row) || ' class="num"'}>${fmt(m, row[m])}</td>`;
      if (!compared) return v;
      return `${v}<td class="num muted">${fmt(m, before?.[m])}</td><td class="num">${change(m, row[m], before?.[m])}</td>`;
    });
    const key = i === null ? t("total") : String(row[S.by] ?? "–");
    return `<tr${i === null ? ' class="total"' : ""}><th scope="row">${esc(key)}</th>${cells.join("")}</tr>`;
  };
  const body = answer.map((r, i) => line(r, i));
  if (total) body.push(line(total, null));
  table.innerHTML = `<thead><tr>${head.join("")}</tr></thead><tbody>${body.join("")}</tbody>`;
}

/** The pivot's values in order: numbers (hours, weekdays) by size, names as the rows came. */
function pivotValues(): Array<string | number | null> {
  const values = [...new Set(answer.map((r) => r[S.pivot]))];
  return values.every((v) => typeof v === "number") ? (values as number[]).sort((a, b) => a - b) : values;
}

/** The first metric with the rows' item down and the pivot across. */
function renderCrossTab(table: HTMLElement): void {
  const m = S.metrics[0];
  const cols = pivotValues();
  const rows = [...new Set(answer.map((r) => r[S.by]))];
  const at = new Map(answer.map((r) => [JSON.stringify([r[S.by], r[S.pivot]]), r]));
  const head = `<tr><th>${esc(byLabel(S.by))} \\ ${esc(byLabel(S.pivot))} · ${esc(label(metricInfo(m), m))}</th>${cols
    .map((c) => `<th>${esc(c ?? "–")}</th>`)
    .join("")}</tr>`;
  const body = rows
    .map((rk) => {
      const cells = cols.map((ck) => {
        const row = at.get(JSON.stringify([rk, ck]));
        return row ? `<td${cellAttrs(m, row) || ' class="num"'}>${fmt(m, row[m])}</td>` : `<td class="num">–</td>`;
      });
      return `<tr><th scope="row">${esc(rk ?? "–")}</th>${cells.join("")}</tr>`;
    })
    .join("");
  table.innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
}

function chartKind(): string {
  if (S.chart !== "auto") return S.chart;
  if (S.pivot) return "heatmap";
  return BUCKETS.has(S.by) ? "line" : "bar";
}

function renderChart(): void {
  const el = $("chart");
  chart ??= echarts.init(el);
  chart.off("click");
  const axis = { axisLabel: { color: "#94a3b8" }, splitLine: { lineStyle: { color: "#1e293b" } } };
  const kind = chartKind();
  const base = { animation: false, textStyle: { color: "#cbd5e1" }, tooltip: { trigger: kind === "line" || kind === "bar" ? "axis" : "item" } };
  if (!answer.length) {
    chart.setOption({ ...base, title: { text: t("no_data") }, series: [] }, true);
    return;
  }
  if (kind === "heatmap" && S.pivot) {
    const m = S.metrics[0];
    const xs = pivotValues().map((v) => String(v ?? "–"));
    const ys = [...new Set(answer.map((r) => String(r[S.by] ?? "–")))];
    const data = answer.map((r) => [xs.indexOf(String(r[S.pivot] ?? "–")), ys.indexOf(String(r[S.by] ?? "–")), r[m] === null ? "-" : Number(r[m])]);
    const values = answer.map((r) => Number(r[m])).filter((v) => Number.isFinite(v));
    chart.setOption(
      {
        ...base,
        grid: { left: 90, right: 20, top: 20, bottom: 70 },
        xAxis: { type: "category", data: xs, ...axis },
        yAxis: { type: "category", data: ys, inverse: true, ...axis },
        visualMap: { min: Math.min(0, ...values), max: Math.max(1, ...values), calculable: true, orient: "horizontal", left: "center", bottom: 0, textStyle: { color: "#cbd5e1" } },
        series: [{ name: label(metricInfo(m), m), type: "heatmap", data }],
      },
      true,
    );
    chart.on("click", (p) => {
      const [x, y] = p.value as [number, number];
      const row = answer.find((r) => String(r[S.pivot] ?? "–") === xs[x] && String(r[S.by] ?? "–") === ys[y]);
      if (row) void openDrill(m, byItems().map((b) => row[b]));
    });
    return;
  }
  const cats = answer.map((r) => String(r[S.by] ?? "–"));
  if (kind === "pie") {
    const m = S.metrics[0];
    chart.setOption(
      { ...base, legend: { textStyle: { color: "#cbd5e1" } }, series: [{ type: "pie", radius: "65%", data: answer.map((r, i) => ({ name: cats[i], value: r[m] })) }] },
      true,
    );
    chart.on("click", (p) => void openDrill(m, [answer[p.dataIndex][S.by]]));
    return;
  }
  const ratio = (m: string) => metricInfo(m)?.unit === "ratio";
  chart.setOption(
    {
      ...base,
      legend: { textStyle: { color: "#cbd5e1" } },
      grid: { left: 50, right: 50, top: 40, bottom: 40 },
      xAxis: { type: "category", data: cats, axisLabel: { color: "#94a3b8" } },
      yAxis: [
        { type: "value", minInterval: 1, ...axis },
        { type: "value", min: 0, max: 1, axisLabel: { color: "#94a3b8", formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: { show: false } },
      ],
      series: S.metrics.map((m) => ({
        name: label(metricInfo(m), m),
        type: ratio(m) ? "line" : kind,
        yAxisIndex: ratio(m) ? 1 : 0,
        data: answer.map((r) => (r[m] === null ? null : Number(r[m]))),
      })),
    },
    true,
  );
  chart.on("click", (p) => {
    const m = S.metrics[p.seriesIndex ?? 0];
    void openDrill(m, [answer[p.dataIndex][S.by]]);
  });
}

/** The contacts behind a cell: its keys become filters (dimensions) or a range (buckets). */
async function openDrill(metric: string, keys: Array<string | number | null>): Promise<void> {
  if (!metricInfo(metric)?.drill || keys.some((k) => k === null || k === undefined)) return;
  let r = range();
  const filters: string[] = [];
  byItems().forEach((b, i) => {
    if (BUCKETS.has(b)) {
      const br = bucketRange(b, String(keys[i]));
      if (br) r = intersect(br, r);
    } else {
      filters.push(`${b}=${keys[i]}`);
    }
  });
  S.dm = metric;
  S.dp = "numerator";
  S.df = filters;
  S.dfrom = r.from;
  S.dto = r.to;
  S.off = 0;
  S.sort = "";
  S.c = "";
  writeUrl();
  await loadDrill();
  $("drill").scrollIntoView({ behavior: "instant" as ScrollBehavior, block: "start" });
}

function drillQuery(extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ tenant: S.tenant, metric: S.dm, part: S.dp, from: S.dfrom, to: S.dto, limit: "50", offset: String(S.off), lang: currentLang(), ...extra });
  if (S.sort) q.set("sort", S.sort);
  [...S.filters, ...S.df].forEach((f) => q.append("filter", f));
  return q.toString();
}

async function loadDrill(): Promise<void> {
  const panel = $("drill");
  panel.hidden = false;
  const info = metricInfo(S.dm);
  const where = [...S.df, `${S.dfrom} – ${S.dto}`].join(" · ");
  $("drill-title").textContent = `${t("contacts_of")}: ${label(info, S.dm)} (${t(S.dp)}) · ${where}`;
  $("drill-csv").setAttribute("href", `/api/v1/contacts?${drillQuery({ format: "csv", limit: "10000", offset: "0" })}`);
  $("drill-xlsx").setAttribute("href", `/api/v1/contacts?${drillQuery({ format: "xlsx", limit: "10000", offset: "0" })}`);
  const table = $("drill-table");
  try {
    const d = await api<Drilled>(`/api/v1/contacts?${drillQuery()}`);
    const head = DRILL_COLUMNS.map((c) => {
      const mark = S.sort === c ? " ▲" : S.sort === `-${c}` ? " ▼" : "";
      return `<th data-sort="${c}" class="sortable">${esc(c)}${mark}</th>`;
    }).join("");
    const body = d.rows
      .map(
        (r) =>
          `<tr class="contact-row" data-id="${esc(r.id)}" tabindex="0">${DRILL_COLUMNS.map((c) => {
            const v = r[c];
            const num = typeof v === "number";
            return `<td${num ? ' class="num"' : ""}>${esc(v === null ? "" : num ? (v as number).toFixed(1) : v)}</td>`;
          }).join("")}</tr>`,
      )
      .join("");
    table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
    const last = Math.min(S.off + d.rows.length, d.total);
    $("drill-count").textContent = `${d.total ? S.off + 1 : 0}–${last} ${t("of_total")} ${d.total}`;
    $("drill-count").dataset.total = String(d.total);
    ($("drill-prev") as HTMLButtonElement).disabled = S.off === 0;
    ($("drill-next") as HTMLButtonElement).disabled = last >= d.total;
  } catch (e) {
    table.innerHTML = `<tbody><tr><td class="error">${esc(e instanceof Error ? e.message : e)}</td></tr></tbody>`;
    $("drill-count").textContent = "";
  }
}

async function openCard(id: string): Promise<void> {
  S.c = id;
  writeUrl();
  const c = await api<{ contact: Row; order: string[]; timeline: Array<{ at: string; kind: string; event?: unknown }>; timeline_source: string }>(
    `/api/v1/contacts/${encodeURIComponent(id)}?tenant=${encodeURIComponent(S.tenant)}`,
  );
  $("card-title").textContent = `${t("contact")} ${id}`;
  $("card-fields").innerHTML = c.order
    .filter((k) => c.contact[k] !== null)
    .map((k) => {
      const v = c.contact[k];
      return `<tr><th>${esc(k)}</th><td>${esc(typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : v)}</td></tr>`;
    })
    .join("");
  // Moments in the tenant's time, as the table's `time` is.
  const local = (at: string) => new Date(at).toLocaleString(currentLang(), { timeZone: zone(), hour12: false });
  $("card-timeline").innerHTML = c.timeline
    .map((m) => `<li data-kind="${esc(m.kind)}"><time datetime="${esc(m.at)}">${esc(local(m.at))}</time> <b>${esc(m.kind)}</b></li>`)
    .join("");
  $("card").hidden = false;
}

function updateExports(): void {
  const r = range();
  $("export-csv").setAttribute("href", `/api/v1/kpi?${kpiQuery(r, byItems(), { format: "csv" })}`);
  $("export-xlsx").setAttribute("href", `/api/v1/kpi?${kpiQuery(r, byItems(), { format: "xlsx" })}`);
}

function renderFilters(): void {
  $("filter-list").innerHTML = S.filters
    .map((f, i) => `<span class="chip" data-filter="${esc(f)}">${esc(f)} <button data-remove="${i}" aria-label="remove">×</button></span>`)
    .join("");
}

function option(value: string, text: string, selected = false): string {
  return `<option value="${esc(value)}"${selected ? " selected" : ""}>${esc(text)}</option>`;
}

function renderControls(): void {
  $("metrics").innerHTML = catalog.metrics
    .map((m) => `<option value="${esc(m.name)}" title="${esc(m.formula ?? "")}"${S.metrics.includes(m.name) ? " selected" : ""}>${esc(label(m, m.name))}</option>`)
    .join("");
  const items = [...catalog.buckets, ...catalog.dimensions];
  $("by").innerHTML = items.map((b) => option(b.name, label(b, b.name), b.name === S.by)).join("");
  $("pivot").innerHTML = option("", t("none"), !S.pivot) + catalog.dimensions.map((b) => option(b.name, label(b, b.name), b.name === S.pivot)).join("");
  $("period").innerHTML = PRESETS.map((p) => option(p, t(p), p === S.period)).join("");
  $("filter-key").innerHTML = catalog.dimensions.map((b) => option(b.name, label(b, b.name))).join("");
  $("compare").innerHTML = option("", t("none"), !S.cmp) + option("prev", t("cmp_prev"), S.cmp === "prev") + option("yoy", t("cmp_yoy"), S.cmp === "yoy");
  $("chart-kind").innerHTML = ["auto", "line", "bar", "heatmap", "pie"].map((k) => option(k, t(k), k === S.chart)).join("");
  $("custom").hidden = S.period !== "custom";
  const r = range();
  ($("from") as HTMLInputElement).value = S.from || r.from;
  ($("to") as HTMLInputElement).value = S.to || r.to;
  renderFilters();
}

async function loadTemplates(): Promise<void> {
  const list = await api<{ templates: Template[] }>(`/api/v1/templates?tenant=${encodeURIComponent(S.tenant)}`);
  $("template-list").innerHTML =
    option("", t("open_template")) +
    list.templates.map((x) => `<option value="${esc(JSON.stringify(x.view))}">${esc(x.name)}${x.shared ? " ☆" : ""}</option>`).join("");
}

function bind(): void {
  const sel = (id: string) => $<HTMLSelectElement>(id);
  sel("metrics").addEventListener("change", () => {
    S.metrics = [...sel("metrics").selectedOptions].map((o) => o.value);
    if (!S.metrics.length) S.metrics = ["offered"];
    void run();
  });
  sel("by").addEventListener("change", () => {
    S.by = sel("by").value;
    void run();
  });
  sel("pivot").addEventListener("change", () => {
    S.pivot = sel("pivot").value;
    void run();
  });
  sel("period").addEventListener("change", () => {
    S.period = sel("period").value;
    $("custom").hidden = S.period !== "custom";
    if (S.period === "custom") {
      const r = presetRange("this_month", todayIn(zone())) as Range;
      S.from = S.from || r.from;
      S.to = S.to || r.to;
    }
    void run();
  });
  for (const id of ["from", "to"]) {
    $(id).addEventListener("change", () => {
      S.from = ($("from") as HTMLInputElement).value;
      S.to = ($("to") as HTMLInputElement).value;
      void run();
    });
  }
  $("filter-add").addEventListener("click", () => {
    const v = ($("filter-value") as HTMLInputElement).value.trim();
    if (!v) return;
    S.filters.push(`${sel("filter-key").value}=${v}`);
    ($("filter-value") as HTMLInputElement).value = "";
    renderFilters();
    void run();
  });
  $("filter-list").addEventListener("click", (e) => {
    const i = (e.target as HTMLElement).dataset.remove;
    if (i === undefined) return;
    S.filters.splice(Number(i), 1);
    renderFilters();
    void run();
  });
  sel("compare").addEventListener("change", () => {
    S.cmp = sel("compare").value;
    void run();
  });
  sel("chart-kind").addEventListener("change", () => {
    S.chart = sel("chart-kind").value;
    writeUrl();
    renderChart();
  });
  const openCell = (e: Event) => {
    const td = (e.target as HTMLElement).closest<HTMLElement>("td.cell");
    if (td) void openDrill(td.dataset.metric ?? "", JSON.parse(td.dataset.keys ?? "[]"));
  };
  $("table").addEventListener("click", openCell);
  $("table").addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter") openCell(e);
  });
  $("drill-table").addEventListener("click", (e) => {
    const th = (e.target as HTMLElement).closest<HTMLElement>("th[data-sort]");
    if (th) {
      const f = th.dataset.sort ?? "";
      S.sort = S.sort === f ? `-${f}` : f;
      S.off = 0;
      writeUrl();
      void loadDrill();
      return;
    }
    const tr = (e.target as HTMLElement).closest<HTMLElement>("tr.contact-row");
    if (tr?.dataset.id) void openCard(tr.dataset.id);
  });
  $("drill-prev").addEventListener("click", () => {
    S.off = Math.max(0, S.off - 50);
    writeUrl();
    void loadDrill();
  });
  $("drill-next").addEventListener("click", () => {
    S.off += 50;
    writeUrl();
    void loadDrill();
  });
  for (const part of ["numerator", "denominator"]) {
    $(`drill-${part}`).addEventListener("click", () => {
      S.dp = part;
      S.off = 0;
      writeUrl();
      void loadDrill();
    });
  }
  $("drill-close").addEventListener("click", () => {
    S.dm = "";
    $("drill").hidden = true;
    writeUrl();
  });
  $("card-close").addEventListener("click", () => {
    S.c = "";
    $("card").hidden = true;
    writeUrl();
  });
  sel("template-list").addEventListener("change", () => {
    if (!sel("template-list").value) return;
    const v = JSON.parse(sel("template-list").value) as Template["view"];
    const by = (v.by ?? "").split(",").filter((b) => b && b !== v.pivot);
    S.metrics = v.metrics.split(",");
    S.by = by[0] ?? "day";
    S.pivot = v.pivot ?? "";
    S.filters = v.filters ?? [];
    S.period = v.period ?? S.period;
    S.chart = v.chart ?? "auto";
    S.dm = "";
    $("drill").hidden = true;
    renderControls();
    void run();
  });
  $("template-save").addEventListener("click", async () => {
    const name = ($("template-name") as HTMLInputElement).value.trim();
    if (!name) return;
    const view = { metrics: S.metrics.join(","), by: byItems().join(","), filters: S.filters, period: S.period, chart: S.chart, pivot: S.pivot || undefined };
    try {
      await api(`/api/v1/templates?tenant=${encodeURIComponent(S.tenant)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, shared: ($("template-shared") as HTMLInputElement).checked, view }),
      });
      $("template-status").textContent = `${t("saved")}: ${name}`;
      await loadTemplates();
    } catch (e) {
      $("template-status").textContent = e instanceof Error ? e.message : String(e);
    }
  });
  sel("tenant").addEventListener("change", () => {
    S.tenant = sel("tenant").value;
    S.dm = "";
    renderNav("explore", S.tenant);
    void loadTemplates();
    void run();
  });
  window.addEventListener("resize", () => chart?.resize());
}

async function start(): Promise<void> {
  readUrl();
  applyLabels();
  bindLogout();
  const tl = await tenants(S.tenant || null);
  tenantList = tl.list;
  S.tenant = tl.current;
  renderNav("explore", S.tenant);
  $("tenant").innerHTML = tenantList.map((x) => option(x.name, x.name, x.name === S.tenant)).join("");
  catalog = await api<CatalogInfo>(`/api/v1/metrics?tenant=${encodeURIComponent(S.tenant)}`);
  renderControls();
  bind();
  bindLangSwitch(() => {
    renderControls();
    renderNav("explore", S.tenant);
    void run();
  });
  await loadTemplates();
  await run();
  document.body.dataset.ready = "true";
}

void start();
