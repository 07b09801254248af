// The console in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// against the real `payplan serve` with the example run recorded: each role signs in through the
// form, every number of a statement is checked against the API's, a participant cannot open
// another's statement, an auditor replays, and every page passes axe-core with no serious or
// critical violation. Screenshots of each page go to target/console-screenshots/.
//
// Run by .ci/test after `cargo test` built the binary: `npm test --prefix tests/console`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { chromium } from "playwright-core";

const repo = path.resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
const binary = process.env.PAYPLAN_BIN ?? path.join(target, "debug", "payplan");
const shots = path.join(target, "console-screenshots");
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const roles = ["designer", "payroll", "auditor", "admin", "participant"];
const token = (role) => `browser-token-${role}`;

let server;
let base;
let browser;
let run;
let examplePlan;

/** A call to the API as `role`. */
async function api(method, route, role, body) {
  const response = await fetch(base + route, {
    method,
    headers: { Authorization: `Bearer ${token(role)}`, "Content-Type": "application/json" },
    body,
  });
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "payplan-console-"));
  let config = "";
  for (const role of roles) {
    const hash = createHash("sha256").update(token(role)).digest("hex");
    config += `[[token]]\nname = "${role}-browser"\nrole = "${role}"\nsha256 = "sha256:${hash}"\n`;
    if (role === "participant") config += `participant = "p001"\n`;
  }
  fs.writeFileSync(path.join(dir, "payplan.toml"), config);
  server = spawn(binary, ["--store", path.join(dir, "s.db"), "serve", "--listen", "127.0.0.1:0", "--config", path.join(dir, "payplan.toml")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once("line", resolve);
    server.once("exit", (code) => reject(new Error(`payplan serve exited with ${code}`)));
  });
  base = first.replace(/^listening on /, "").trim();
  // The example plan and period, recorded by payroll.
  const plan = fs.readFileSync(path.join(repo, "examples/plan.toml"), "utf8");
  const files = {};
  for (const [, name] of plan.matchAll(/^script = "(.*)"$/gm)) {
    files[name] = { text: fs.readFileSync(path.join(repo, "examples", name), "utf8") };
  }
  const published = await api("POST", "/v1/plans", "designer", JSON.stringify({ plan, files }));
  const period = fs.readFileSync(path.join(repo, "examples/period-2026-03.json"));
  examplePlan = published.hash;
  run = (await api("POST", `/v1/plans/${published.hash}/runs`, "payroll", period)).run.seq;
  fs.mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** A fresh browser page signed in as `role` through the form. */
async function signIn(role, locale = "en-US") {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(base + "/console");
  assert.match(page.url(), /\/console\/sign-in$/, "an unsigned visitor is sent to sign in");
  await page.getByLabel(/Token|令牌/).fill(token(role));
  await page.getByRole("button", { name: /Sign in|登录/ }).click();
  await page.waitForLoadState("load");
  return page;
}

/** Asserts axe-core finds no serious or critical violation on the page, and saves a screenshot. */
async function check(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => (await window.axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  const bad = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad)}`);
}

test("the sign-in page", async () => {
  const page = await browser.newPage();
  await page.goto(base + "/console/sign-in");
  await check(page, "sign-in");
  await page.close();
});

test("payroll reads the runs and a statement whose every number is the API's", async () => {
  const page = await signIn("payroll");
  assert.match(page.url(), /\/console\/runs$/);
  await check(page, "runs");
  await page.getByRole("link", { name: String(run), exact: true }).click();
  await check(page, "run");
  for (const who of ["p001", "p002", "p003"]) {
    await page.goto(`${base}/console/runs/${run}/participants/${who}`);
    const statement = await api("GET", `/v1/runs/${run}/participants/${who}`, "payroll");
    const amounts = await page.locator("[data-amount]").allTextContents();
    assert.deepEqual(amounts, statement.payouts.map((p) => p.amount), who);
    assert.deepEqual(await page.locator("[data-total]").allTextContents(), [statement.total], who);
    const credits = await api("GET", `/v1/runs/${run}/participants/${who}/credits`, "payroll");
    assert.deepEqual(await page.locator("[data-credit]").allTextContents(), credits.credits.map((c) => c.credit), who);
    for (const line of statement.payouts) {
      assert.ok((await page.content()).includes(line.component), `${who}: ${line.component}`);
    }
    if (who === "p001") await check(page, "statement");
  }
  // The CSV download holds the same lines.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download CSV" }).click();
  const csv = fs.readFileSync(await (await download).path(), "utf8");
  const statement = await api("GET", `/v1/runs/${run}/participants/p003`, "payroll");
  assert.equal(csv.trim().split("\n")[0], "participant,policy,component,amount,explain");
  for (const line of statement.payouts) assert.ok(csv.includes(`p003,${line.policy},${line.component},${line.amount},`), line.component);
  await page.context().close();
});

test("target progress, the PK board and the champions wall show the API's standings", async () => {
  const page = await signIn("payroll");
  const standings = await api("GET", `/v1/runs/${run}/standings`, "payroll");
  await page.goto(`${base}/console/runs/${run}`);
  await page.getByRole("link", { name: "Target progress" }).click();
  await page.waitForLoadState("load");
  const rows = page.locator("table").nth(1).locator("tbody tr");
  assert.equal(await rows.count(), standings.participants.length);
  const attainments = (await page.locator("table").nth(1).locator("[data-attainment]").allTextContents()).filter((a) => a !== "–");
  const sorted = [...attainments].sort((a, b) => parseFloat(b) - parseFloat(a));
  assert.deepEqual(attainments, sorted, "by attainment, highest first");
  assert.equal(await page.locator("table").nth(1).locator("[role=img] svg").count(), standings.participants.length);
  await check(page, "progress");
  await page.getByRole("link", { name: "Sales" }).first().click();
  await page.waitForLoadState("load");
  assert.match(page.url(), /sort=sales/);
  await page.goto(`${base}/console/runs/${run}/pk`);
  assert.deepEqual(await page.locator("[data-prize]").allTextContents(), standings.groups.map((g) => g.prize));
  await check(page, "pk-board");
  await page.context().close();
});

test("a participant opens their own statement and no one else's", async () => {
  const page = await signIn("participant");
  await check(page, "participant-home");
  await page.getByRole("link", { name: String(run), exact: true }).click();
  assert.match(page.url(), new RegExp(`/console/runs/${run}/participants/p001$`));
  const own = await api("GET", `/v1/runs/${run}/participants/p001`, "participant");
  assert.deepEqual(await page.locator("[data-total]").allTextContents(), [own.total]);
  await check(page, "participant-statement");
  for (const route of [`/console/runs/${run}/participants/p002`, "/console/runs", `/console/runs/${run}`]) {
    const response = await page.goto(base + route);
    assert.equal(response.status(), 403, route);
  }
  await check(page, "participant-forbidden");
  // The champions wall is everyone's.
  const wall = await api("GET", `/v1/runs/${run}/champions`, "participant");
  const response = await page.goto(`${base}/console/runs/${run}/champions`);
  assert.equal(response.status(), 200);
  const first = await page.locator("[data-champion]").first().getAttribute("data-champion");
  assert.equal(first, wall.period.by_sales[0].id);
  await check(page, "champions");
  await page.context().close();
});

test("an auditor replays a run and verifies the chain", async () => {
  const page = await signIn("auditor");
  await page.goto(`${base}/console/runs/${run}`);
  await page.getByRole("button", { name: "Replay" }).click();
  await page.waitForLoadState("load");
  assert.equal(await page.locator("[data-matches]").getAttribute("data-matches"), "true");
  await check(page, "replay");
  await page.goto(`${base}/console/runs/${run}`);
  await page.getByRole("button", { name: "Verify the chain" }).click();
  await page.waitForLoadState("load");
  assert.equal(await page.locator("[data-ok]").getAttribute("data-ok"), "true");
  await check(page, "verify");
  await page.context().close();
});

test("a designer lands on the plans and opens the what-if of two versions", async () => {
  const plan = fs.readFileSync(path.join(repo, "examples/plan.toml"), "utf8").replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.09 }");
  const files = {};
  for (const [, name] of plan.matchAll(/^script = "(.*)"$/gm)) {
    files[name] = { text: fs.readFileSync(path.join(repo, "examples", name), "utf8") };
  }
  const richer = (await api("POST", "/v1/plans", "designer", JSON.stringify({ plan, files }))).hash;
  const designer = await signIn("designer");
  assert.match(designer.url(), /\/console\/plans$/);
  assert.ok((await designer.content()).includes("example"), "the published example plan is listed");
  await check(designer, "plans");
  await designer.locator(`a[href="/console/plans/${richer}"]`).click();
  await designer.waitForLoadState("load");
  const policies = await api("GET", `/v1/plans/${richer}/policies`, "designer");
  assert.deepEqual(await designer.locator("[data-policy]").evaluateAll((s) => s.map((x) => x.dataset.policy)), policies.map((p) => p.id));
  await check(designer, "plan");
  await designer.goBack();
  await designer.locator("#run").fill(String(run));
  await designer.locator("#plan").selectOption(richer);
  await designer.locator("form[action='/console/whatif'] button").click();
  await designer.waitForLoadState("load");
  const w = await api("GET", `/v1/runs/${run}/whatif?plan=${richer}`, "designer");
  assert.equal(await designer.locator("[data-total-delta]").textContent(), w.totals.delta);
  assert.ok(w.gainers > 0);
  await check(designer, "whatif");

  // A large run's what-if is made in the background: while it is, the page says so (and passes
  // axe), then it reloads itself until it shows the API's figures. (Reloading it from here as
  // well raced its own reload: an aborted navigation.)
  const large = execFileSync(binary, ["gen", "--participants", "5000", "--seed", "9"], { maxBuffer: 1 << 28 });
  const largeRun = (await api("POST", `/v1/plans/${examplePlan}/runs`, "payroll", large)).run.seq;
  const waiting = await signIn("designer");
  await waiting.goto(`${base}/console/whatif?run=${largeRun}&plan=${richer}`);
  if ((await waiting.locator("[data-pending]").count()) > 0) {
    assert.equal(await waiting.locator("[role=status]").count(), 1);
    await check(waiting, "whatif-pending");
  }
  await waiting.locator("[data-total-delta]").waitFor({ timeout: 120_000 });
  const wl = await api("GET", `/v1/runs/${largeRun}/whatif?plan=${richer}`, "designer");
  assert.equal(await waiting.locator("[data-total-delta]").textContent(), wl.totals.delta);
  await waiting.context().close();

  // The gate: a quarter's first two months paid and closed under the series plan, then a
  // version with a higher cap gated on them from the plans page.
  const seriesPlan = (version) => {
    const text = fs.readFileSync(path.join(repo, "examples/series/plan.toml"), "utf8").replace('version = "1"', `version = "${version}"`);
    const scripts = {};
    for (const [, name] of text.matchAll(/^script = "(.*)"$/gm)) {
      scripts[name] = { text: fs.readFileSync(path.join(repo, "examples/series", name), "utf8") };
    }
    return JSON.stringify({ plan: version === "1" ? text : text.replace("period = 12000", "period = 20000"), files: scripts });
  };
  const paid = (await api("POST", "/v1/plans", "designer", seriesPlan("1"))).hash;
  const higher = (await api("POST", "/v1/plans", "designer", seriesPlan("2"))).hash;
  for (const month of ["2026-01", "2026-02"]) {
    const body = fs.readFileSync(path.join(repo, `examples/series/${month}.json`));
    const recorded = await api("POST", `/v1/plans/${paid}/runs`, "payroll", body);
    await api("POST", `/v1/periods/${month}/close`, "payroll", JSON.stringify({ run: recorded.run.seq }));
  }
  await designer.goto(base + "/console/plans");
  await designer.locator("#gate-plan").selectOption(higher);
  await designer.locator("#gate-series").fill("FY2026");
  await designer.locator("form[action='/console/gate'] button").click();
  await designer.waitForLoadState("load");
  const g = await api("POST", `/v1/plans/${higher}/gate`, "designer", JSON.stringify({ series: "FY2026" }));
  assert.equal(await designer.locator("[data-gate-delta]").textContent(), g.totals.delta);
  assert.deepEqual(await designer.locator("[data-period]").evaluateAll((r) => r.map((x) => x.dataset.period)), g.periods.map((p) => p.period));
  await check(designer, "gate");
  await designer.context().close();
});

test("an admin lands on the runs", async () => {
  const admin = await signIn("admin");
  assert.match(admin.url(), /\/console\/runs$/);
  await admin.context().close();
});

test("a Chinese browser gets the console in Chinese", async () => {
  const page = await signIn("payroll", "zh-CN");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.ok((await page.content()).includes("运行记录"));
  await check(page, "runs-zh");
  await page.context().close();
  // An English browser switches on the page it is on, and stays switched.
  const english = await signIn("payroll");
  await english.goto(`${base}/console/runs/${run}`);
  await english.getByRole("link", { name: "中文" }).click();
  assert.equal(new URL(english.url()).pathname, `/console/runs/${run}`);
  assert.equal(await english.getAttribute("html", "lang"), "zh-CN");
  await english.goto(`${base}/console/runs`);
  assert.equal(await english.getAttribute("html", "lang"), "zh-CN");
  await english.context().close();
});
