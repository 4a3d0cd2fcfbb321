// Drives Debian's chromium through the wallboard: logs in through the page, opens /wall,
// posts events with an API token, waits until the numbers on the wall change, and saves a
// screenshot. Run by crates/ccpulse/tests/wall_browser.rs.
// Then a supervisor of queue vip sees the floor cut to vip, and an analyst lands on explore.
//   node e2e/wall.mjs URL USER PASSWORD TOKEN TENANT SUPERVISOR ANALYST PASSWORD2 SCREENSHOT
import { chromium } from "playwright-core";

const [url, user, password, token, tenant, supervisor, analyst, password2, shot] = process.argv.slice(2);
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${url}/wall?tenant=${tenant}`);
  // Not signed in: the wall sends us to the login page.
  await page.waitForURL(/\/login/, { timeout: 15000 });
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.click("#login-button");
  await page.waitForURL(/\/wall/, { timeout: 15000 });
  const waiting = page.locator('#overall [data-value="waiting"]');
  await waiting.waitFor({ timeout: 15000 });
  const before = (await waiting.textContent())?.trim();
  if (before !== "0") fail(`expected nobody waiting at first, the wall shows ${before}`);
  const label = (await page.locator('#overall [data-metric="waiting"] .label').textContent())?.trim();
  if (label !== "排队数") fail(`expected the zh-CN label 排队数, got ${label}`);

  const now = Date.now();
  const at = (ms) => new Date(now + ms).toISOString();
  const events = [
    { id: "b1", type: "agent_state", agent: "1001", state: "logged_in", queue: "vip", at: at(-60000) },
    { id: "b2", type: "queued", contact_id: "wall-1", queue: "vip", at: at(-5000) },
    { id: "b3", type: "queued", contact_id: "wall-2", queue: "vip", at: at(-4000) },
    { id: "b4", type: "queued", contact_id: "wall-3", queue: "general", at: at(-3000) },
    { id: "b5", type: "queued", contact_id: "wall-4", queue: "general", at: at(-2000) },
    { id: "b6", type: "abandoned", contact_id: "wall-4", at: at(-1000) },
    // An outbound call of the outbound queue, connected and ended.
    { id: "o1", type: "arrived", contact_id: "out-1", direction: "outbound", queue: "outbound", at: at(-50000) },
    { id: "o2", type: "answered", contact_id: "out-1", agent: "2001", at: at(-45000) },
    { id: "o3", type: "ended", contact_id: "out-1", at: at(-15000) },
    // Names come from the data: shown as text, never run as markup.
    { id: "b7", type: "agent_state", agent: '<img src=x onerror="window.__xss=1">', state: "break", reason: "lunch<b>", queue: "vip", at: at(-30000) },
  ];
  // An alert rule over a figure of now: its banner says the condition and the value now.
  const rule = await fetch(`${url}/api/v1/alerts/rules?tenant=${tenant}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ id: "queue-building", when: "waiting > 1" }),
  });
  if (rule.status !== 201) fail(`adding the rule: ${rule.status} ${await rule.text()}`);
  const res = await fetch(`${url}/api/v1/events?tenant=${tenant}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  if (res.status !== 202) fail(`posting events: ${res.status} ${await res.text()}`);

  // Pushed over the event stream: the wall changes without a reload.
  await page.waitForFunction(
    () => document.querySelector('#overall [data-value="waiting"]')?.textContent?.trim() === "3",
    null,
    { timeout: 10000 },
  );
  await page.waitForFunction(
    () => document.querySelector('#overall [data-value="abandoned"]')?.textContent?.trim() === "1",
    null,
    { timeout: 10000 },
  );
  await page.locator('[data-scope="queue:vip"]').waitFor({ timeout: 10000 });
  const idle = (await page.locator('#agent-counts [data-state="idle"] b').textContent())?.trim();
  if (idle !== "1") fail(`expected 1 idle agent, the wall shows ${idle}`);
  // Agents on break counted by their reason.
  const lunch = (await page.locator('#agent-counts [data-break="lunch<b>"] b').textContent())?.trim();
  if (lunch !== "1") fail(`expected 1 agent on break for lunch<b>, the wall shows ${lunch}`);
  const rows = await page.locator("#agents tbody").textContent();
  if (!rows?.includes('<img src=x onerror="window.__xss=1">')) fail(`the agent's name is not shown as text: ${rows}`);
  const injected = await page.evaluate(() => [document.querySelectorAll("#agents img, #agent-counts b b").length, window.__xss]);
  if (injected[0] !== 0 || injected[1] !== undefined) fail(`markup from the data ran on the wall: ${injected}`);
  // The tiles add up on their face: offered = answered + abandoned + self-service + other.
  const num = async (sel) => Number(((await page.locator(sel).textContent()) ?? "").replace(/[^0-9.]/g, ""));
  const offered = await num('#overall [data-value="offered"]');
  const parts = [];
  for (const k of ["answered", "abandoned", "self_service", "other_inbound"]) parts.push(await num(`#overall [data-value="${k}"]`));
  if (offered !== parts.reduce((a, b) => a + b, 0)) fail(`offered ${offered} is not the sum of ${parts}`);
  const sum = (await page.locator('[data-sum="offered"]').textContent())?.replace(/\s/g, "");
  if (sum !== `=${parts.join("+")}`) fail(`the offered tile's sum reads ${sum}`);
  // Each tile says what it counts (the catalog's words and definition) and opens explore.
  const answeredLabel = (await page.locator('#overall [data-metric="answered"] .label').textContent())?.trim();
  if (answeredLabel !== "人工接通量") fail(`the answered tile should use the catalog's label 人工接通量, got ${answeredLabel}`);
  const def = await page.locator('#overall [data-metric="abandoned"]').getAttribute("title");
  if (!def?.includes("进入队列后未被接起")) fail(`the abandoned tile's definition: ${def}`);
  const href = await page.locator('#overall [data-metric="offered"]').getAttribute("href");
  if (!href?.includes("/explore?") || !href.includes("metrics=offered") || !href.includes("period=today")) fail(`the offered tile links to ${href}`);
  // The outbound queue shows what it dials, not inbound zeros.
  await page.locator('[data-scope="queue:outbound"] [data-value="outbound"]').waitFor({ timeout: 10000 });
  const dialled = (await page.locator('[data-scope="queue:outbound"] [data-value="outbound"]').textContent())?.trim();
  if (dialled !== "1") fail(`the outbound queue shows ${dialled} dialled`);
  // Every mark is labelled: the agents of a queue by state, in words.
  const idleMini = (await page.locator('[data-scope="queue:vip"] .mini[data-state="idle"]').textContent())?.trim();
  if (idleMini !== "空闲 1") fail(`vip's idle agents read ${idleMini}`);
  // The clock is the tenant's.
  const clockZone = await page.locator("#clock").getAttribute("data-zone");
  if (clockZone !== "Asia/Shanghai") fail(`the clock's zone is ${clockZone}`);
  // The alert banner: the rule's condition and the figure now.
  await page.waitForFunction(
    () => document.querySelector('#alerts [data-rule="queue-building"]')?.textContent?.includes("waiting > 1"),
    null,
    { timeout: 10000 },
  );
  const banner = (await page.locator('#alerts [data-rule="queue-building"]').textContent())?.trim();
  if (!banner?.includes("(当前 3)")) fail(`the alert banner reads ${banner}`);
  // A long agent name is cut, not squeezing the table out of its panel.
  const spill = await page.evaluate(() => {
    const t = document.getElementById("agents");
    return t ? t.scrollWidth - t.parentElement.clientWidth : 0;
  });
  if (spill > 1) fail(`the agents table is ${spill} px wider than its panel`);
  // The trend chart is drawn.
  await page.locator("#trend canvas").waitFor({ timeout: 10000 });
  await page.screenshot({ path: shot, fullPage: false });

  // A phone: everything in one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) {
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 8)
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join(".")} right=${Math.round(e.getBoundingClientRect().right)}`),
    );
    fail(`on a 390 px phone the wall is ${overflow} px too wide: ${wide.join(", ")}`);
  }
  await page.screenshot({ path: shot.replace(/\.png$/, "-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1920, height: 1080 });

  // English on request.
  await page.click('[data-lang="en"]');
  const en = (await page.locator('#overall [data-metric="waiting"] .label').textContent())?.trim();
  if (en !== "Waiting") fail(`expected the English label, got ${en}`);
  const badge = (await page.locator("#conn").textContent())?.trim();
  if (badge !== "● Live") fail(`the live badge in English reads ${badge}`);
  const enAnswered = (await page.locator('#overall [data-metric="answered"] .label').textContent())?.trim();
  if (enAnswered !== "Answered") fail(`the English catalog label: ${enAnswered}`);

  // A supervisor of queue vip: the same floor cut to vip (2 waiting, no other queue's tile).
  const signIn = async (name) => {
    const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await p.goto(`${url}/login`);
    await p.fill("#user", name);
    await p.fill("#password", password2);
    await p.click("#login-button");
    return p;
  };
  const sup = await signIn(supervisor);
  await sup.waitForURL(/\/wall/, { timeout: 15000 });
  await sup.goto(`${url}/wall?tenant=${tenant}`);
  await sup.waitForFunction(
    () => document.querySelector('#overall [data-value="waiting"]')?.textContent?.trim() === "2",
    null,
    { timeout: 10000 },
  );
  await sup.locator('[data-scope="queue:vip"]').waitFor({ timeout: 10000 });
  if ((await sup.locator('[data-scope="queue:general"]').count()) !== 0) fail("the supervisor of vip sees queue general");
  await sup.screenshot({ path: shot.replace(/\.png$/, "-vip.png"), fullPage: false });
  // An analyst has no floor: signed in, they land on explore.
  const an = await signIn(analyst);
  await an.waitForURL(/\/explore/, { timeout: 15000 });
  // An account that only posts events is told so at sign-in, not shown a blank page.
  const pbx = await signIn("pbx");
  await pbx.waitForFunction(() => (document.getElementById("login-error")?.textContent ?? "").includes("ingest"), null, { timeout: 10000 });
  console.log("wall ok");
} finally {
  await browser.close();
}
