// Drives Debian's chromium through the staffing page as a planner would: signs in, reads the
// day's plan for the busiest queue (figures, the two charts, the table), checks the table
// against the API, asks for a higher service level and gets more agents, downloads the
// workbook and switches to English. Run by crates/ccpulse/tests/staffing_browser.rs.
//   node e2e/staffing.mjs URL USER PASSWORD TENANT SCREENSHOT
import { chromium } from "playwright-core";

const [url, user, password, tenant, shot] = process.argv.slice(2);
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1400 }, acceptDownloads: true });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}/staffing?tenant=${tenant}`);
  await page.waitForURL(/\/login/, { timeout: 15000 });
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.click("#login-button");
  await page.waitForURL(/\/staffing/, { timeout: 15000 });
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  const title = (await page.locator('h1 [data-i18n="staffing"]').textContent())?.trim();
  if (title !== "排班需求") fail(`expected the zh-CN title 排班需求, got ${title}`);
  const error = await page.locator("#error").textContent();
  if (await page.locator("#error").isVisible()) fail(`the plan failed: ${error}`);
  const queue = await page.locator("#queue").inputValue();
  if (!queue) fail("no queue offered");
  const chips = await page.locator("#summary .chip b").allTextContents();
  if (chips.length !== 6) fail(`expected 6 figures, got ${chips.length}`);
  const peak = Number(chips[1]);
  if (!(peak >= 1)) fail(`peak agents required: ${chips[1]}`);
  if (!/%$/.test(chips[5])) fail(`the daily forecast error is not a percentage: ${chips[5]}`);
  for (const id of ["#calls-chart canvas", "#agents-chart canvas"]) await page.locator(id).waitFor({ timeout: 10000 });

  // The table is the API's plan.
  const rows = await page.locator("#plan tbody tr").count();
  if (rows < 10) fail(`only ${rows} intervals in the table`);
  const api = await page.evaluate(async ([t, q]) => {
    const r = await fetch(`/api/v1/staffing?tenant=${t}&queue=${q}&date=${document.getElementById("date").value}`, { headers: { "X-Ccpulse-Request": "1" } });
    return r.json();
  }, [tenant, queue]);
  const busiest = api.intervals.reduce((a, b) => (b.required_agents > a.required_agents ? b : a));
  const row = page.locator("#plan tbody tr", { has: page.locator(`td:first-child:text-is("${busiest.start}")`) });
  const cells = await row.locator("td").allTextContents();
  if (Number(cells[3]) !== busiest.required_agents) fail(`${busiest.start}: table ${cells[3]} agents, API ${busiest.required_agents}`);
  if (Number(cells[8]) < Number(cells[3])) fail(`${busiest.start}: fewer scheduled (${cells[8]}) than required (${cells[3]})`);
  if (peak !== busiest.required_agents) fail(`the peak figure ${peak} is not the busiest interval's ${busiest.required_agents}`);

  // A higher service level needs more agent hours.
  const hours = Number(chips[2]);
  await page.fill("#target_sl", "95");
  await page.click('#ask button[type="submit"]');
  await page.waitForFunction((h) => Number(document.querySelectorAll("#summary .chip b")[2]?.textContent) > h, hours, { timeout: 15000 });

  // The workbook.
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 15000 }), page.click("#xlsx")]);
  const path = await download.path();
  const { statSync } = await import("node:fs");
  if (!path || statSync(path).size < 5000) fail("the workbook is missing or empty");
  if (!download.suggestedFilename().endsWith(".xlsx")) fail(`downloaded ${download.suggestedFilename()}`);

  await page.click('[data-lang="en"]');
  await page.waitForFunction(() => document.querySelector('h1 [data-i18n="staffing"]')?.textContent === "Staffing", null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#plan thead th")?.textContent === "Interval", null, { timeout: 15000 });
  await page.screenshot({ path: shot, fullPage: true });
  if (errors.length) fail(`page errors: ${errors.join("; ")}`);
  console.log(`staffing page: queue ${queue}, peak ${peak} agents, ${rows} intervals`);
} finally {
  await browser.close();
}
