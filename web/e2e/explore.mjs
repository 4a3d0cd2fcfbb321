// Drives Debian's chromium through the explore page as a manager would: signs in, builds a
// cross-tab (abandons by queue and hour of day), clicks a cell, checks that the contacts
// listed are as many as the cell said, opens one contact's card and timeline, saves the view
// as a template, reloads the page from its URL and finds the same view and drill-down, and
// exports. Run by crates/ccpulse/tests/explore_browser.rs.
//   node e2e/explore.mjs URL USER PASSWORD TENANT FROM TO SCREENSHOT
import { chromium } from "playwright-core";

const [url, user, password, tenant, from, to, shot] = process.argv.slice(2);
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const started = Date.now();
  await page.goto(`${url}/explore?tenant=${tenant}&period=custom&from=${from}&to=${to}`);
  await page.waitForURL(/\/login/, { timeout: 15000 });
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.click("#login-button");
  await page.waitForURL(/\/explore/, { timeout: 15000 });
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  console.log(`first render after sign-in: ${Date.now() - started} ms`);
  const metricsLabel = (await page.locator('[data-i18n="metrics"]').first().textContent())?.trim();
  if (metricsLabel !== "指标") fail(`expected the zh-CN label 指标, got ${metricsLabel}`);

  // Build the cross-tab through the controls: abandoned, by queue, hour of day across.
  await page.selectOption("#metrics", ["abandoned"]);
  await page.selectOption("#by", "queue");
  await page.selectOption("#pivot", "hour_of_day");
  await page.waitForFunction(() => document.querySelector("#table thead th")?.textContent?.includes("\\"), null, { timeout: 15000 });
  await page.locator("#chart canvas").waitFor({ timeout: 10000 });
  // The worst cell: the most abandons.
  const cells = page.locator("#table td.cell");
  const n = await cells.count();
  if (n === 0) fail("the cross-tab has no clickable cells");
  let worst = 0;
  let worstValue = -1;
  for (let i = 0; i < n; i++) {
    const v = Number((await cells.nth(i).textContent())?.replace(/,/g, ""));
    if (v > worstValue) {
      worstValue = v;
      worst = i;
    }
  }
  if (worstValue <= 0) fail(`no abandons in the cross-tab (worst ${worstValue})`);
  await cells.nth(worst).click();
  await page.waitForFunction(() => document.querySelector("#drill-count")?.dataset.total !== undefined, null, { timeout: 15000 });
  const total = Number(await page.locator("#drill-count").getAttribute("data-total"));
  if (total !== worstValue) fail(`the cell says ${worstValue} abandons, its drill-down lists ${total}`);
  const outcomes = await page.locator("#drill-table tbody tr td:nth-child(7)").allTextContents();
  if (outcomes.length !== Math.min(total, 50) || outcomes.some((o) => !o.startsWith("abandon") && o !== "timeout"))
    fail(`the drilled contacts are not the abandoned ones: ${outcomes.join(",")}`);
  const masked = await page.locator("#drill-table tbody tr td:nth-child(6)").first().textContent();
  if (masked && !masked.includes("*")) fail(`a customer number is shown unmasked to a viewer: ${masked}`);

  // One contact: its card and timeline.
  await page.locator("#drill-table tbody tr.contact-row").first().click();
  await page.locator("#card:not([hidden]) #card-timeline li").first().waitFor({ timeout: 10000 });
  const kinds = await page.locator("#card-timeline li b").allTextContents();
  if (!kinds.includes("queued")) fail(`the timeline has no queued moment: ${kinds.join(",")}`);
  await page.screenshot({ path: shot.replace(/\.png$/, "-card.png") });
  await page.click("#card-close");

  // Save the view as a template; then reload the page from its URL.
  await page.fill("#template-name", "abandons by queue and hour");
  await page.check("#template-shared");
  await page.click("#template-save");
  await page.waitForFunction(() => document.querySelector("#template-status")?.textContent?.includes("abandons by queue and hour"), null, { timeout: 10000 });
  const link = page.url();
  if (!link.includes("pivot=hour_of_day") || !link.includes("dm=abandoned")) fail(`the URL does not hold the view: ${link}`);
  const table = await page.locator("#table").innerText();
  await page.goto(link);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  const again = await page.locator("#table").innerText();
  if (again !== table) fail("the view reloaded from its URL is not the same table");
  const reopened = Number(await page.locator("#drill-count").getAttribute("data-total"));
  if (reopened !== total) fail(`the drill-down reopened from the URL lists ${reopened}, not ${total}`);

  // The saved template opens the view from a fresh page.
  await page.goto(`${url}/explore?tenant=${tenant}&period=custom&from=${from}&to=${to}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  const option = await page.locator("#template-list option", { hasText: "abandons by queue and hour" }).getAttribute("value");
  await page.selectOption("#template-list", option);
  await page.waitForFunction(() => new URL(location.href).searchParams.get("pivot") === "hour_of_day", null, { timeout: 10000 });
  await page.waitForFunction((t) => document.querySelector("#table")?.innerText === t, table, { timeout: 10000 });

  // Compared with the period before: each metric gets the compared value and the change.
  await page.selectOption("#pivot", "");
  await page.selectOption("#compare", "prev");
  await page.waitForFunction(() => [...document.querySelectorAll("#table thead th")].some((th) => th.textContent === "对比值"), null, { timeout: 10000 });
  const totalRow = await page.locator("#table tr.total td").count();
  if (totalRow !== 3) fail(`expected the total row's value, compared value and change, got ${totalRow} cells`);
  await page.selectOption("#compare", "");
  await page.selectOption("#pivot", "hour_of_day");
  await page.waitForFunction((t) => document.querySelector("#table")?.innerText === t, table, { timeout: 10000 });

  // Exports answer files.
  const csv = await page.locator("#export-csv").getAttribute("href");
  const res = await page.request.get(`${url}${csv}`);
  if (!res.ok() || !(await res.text()).startsWith("queue,hour_of_day,abandoned")) fail(`CSV export: ${res.status()}`);
  await page.screenshot({ path: shot, fullPage: true });

  // Satisfaction by wait band, and how strong the link is, as the server computes it.
  await page.goto(`${url}/explore?tenant=${tenant}&period=custom&from=${from}&to=${to}&metrics=avg_rating,satisfaction&by=wait_band`);
  await page.waitForSelector("#insight:not([hidden])", { timeout: 15000 });
  const insight = await page.locator("#insight").textContent();
  const api = await page.request.get(`${url}/api/v1/kpi?tenant=${tenant}&from=${from}&to=${to}&metrics=wait_satisfaction_correlation,wait_satisfaction_pairs`);
  const row = (await api.json()).rows[0];
  const rho = row.wait_satisfaction_correlation;
  if (typeof rho !== "number" || !insight.includes(`ρ = ${rho.toFixed(2)}`) || !insight.includes(`n = ${row.wait_satisfaction_pairs.toLocaleString()}`)) {
    fail(`the wait-satisfaction line says "${insight}", the API ${JSON.stringify(row)}`);
  }
  const bands = await page.locator("#table tbody tr th").allTextContents();
  if (bands[0] !== "0-10") fail(`wait bands in order from 0-10, got ${bands}`);

  // English on request.
  await page.click('[data-lang="en"]');
  const en = (await page.locator('[data-i18n="metrics"]').first().textContent())?.trim();
  if (en !== "Metrics") fail(`expected the English label, got ${en}`);
  // Navigation to the other pages.
  await page.click('#nav a[data-page="reports"]');
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  const options = await page.locator("#report option").allTextContents();
  if (!options.some((o) => o.includes("abandons by queue and hour"))) fail(`the reports page does not offer the template: ${options}`);
  if (errors.length) fail(`page errors: ${errors.join("; ")}`);
  console.log("explore ok");
} finally {
  await browser.close();
}
