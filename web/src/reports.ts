// The reports page: make any report (or a saved view's) for a period in the browser, and the
// schedules with the files they produced, to open or download.
import "./style.css";
import { applyLabels, bindLangSwitch, currentLang, t } from "./i18n";
import { api, bindLogout, esc, renderNav, tenants } from "./common";

interface Schedule {
  id: string;
  report: string;
  every: string;
  day: number;
  at: string;
  format: string;
  lang: string;
}
interface Run {
  schedule: string;
  period: string;
  path: string;
  generated_at: string;
}

let tenant = "";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function lastMonth(): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

async function renderReports(): Promise<void> {
  const templates = await api<{ templates: Array<{ name: string }> }>(`/api/v1/templates?tenant=${encodeURIComponent(tenant)}`);
  const kinds: Array<[string, string]> = [
    ["operations", t("op_report")],
    ["scorecard", t("scorecard")],
    ["quality", t("quality")],
    ...templates.templates.map((x): [string, string] => [`template:${x.name}`, `${t("templates")}: ${x.name}`]),
  ];
  $("report").innerHTML = kinds.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join("");
  const r = await api<{ schedules: Schedule[]; reports: Run[] }>(`/api/v1/reports?tenant=${encodeURIComponent(tenant)}`);
  $("schedules").innerHTML = r.schedules.length
    ? `<thead><tr><th>id</th><th>${t("report")}</th><th>${t("every")}</th><th>${t("format")}</th></tr></thead><tbody>${r.schedules
        .map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(s.report)}</td><td>${esc(s.every)} · ${esc(s.at)}</td><td>${esc(s.format)}</td></tr>`)
        .join("")}</tbody>`
    : `<tbody><tr><td class="empty">${t("nothing_yet")}</td></tr></tbody>`;
  $("runs").innerHTML = r.reports.length
    ? `<thead><tr><th>${t("schedules")}</th><th>${t("period")}</th><th>${t("generated_at")}</th><th></th></tr></thead><tbody>${r.reports
        .map((run) => {
          const q = new URLSearchParams({ tenant, schedule: run.schedule, period: run.period });
          return `<tr><td>${esc(run.schedule)}</td><td>${esc(run.period)}</td><td>${esc(run.generated_at)}</td><td><a href="/api/v1/reports/file?${esc(q.toString())}">${t("download")}</a></td></tr>`;
        })
        .join("")}</tbody>`
    : `<tbody><tr><td class="empty">${t("nothing_yet")}</td></tr></tbody>`;
}

async function start(): Promise<void> {
  applyLabels();
  bindLogout();
  const tl = await tenants(new URLSearchParams(location.search).get("tenant"));
  tenant = tl.current;
  renderNav("reports", tenant);
  $("tenant").innerHTML = tl.list.map((x) => `<option${x.name === tenant ? " selected" : ""}>${esc(x.name)}</option>`).join("");
  $("tenant").addEventListener("change", () => {
    tenant = ($("tenant") as HTMLSelectElement).value;
    renderNav("reports", tenant);
    void renderReports();
  });
  ($("period") as HTMLInputElement).value = lastMonth();
  bindLangSwitch(() => {
    renderNav("reports", tenant);
    void renderReports();
  });
  $("generate").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({
      tenant,
      report: ($("report") as HTMLSelectElement).value,
      period: ($("period") as HTMLInputElement).value.trim(),
      format: ($("format") as HTMLSelectElement).value,
      lang: currentLang(),
    });
    window.open(`/api/v1/reports/generate?${q.toString()}`, "_blank");
  });
  await renderReports();
  document.body.dataset.ready = "true";
}

void start();
