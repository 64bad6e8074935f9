// Finds the trace of one file change in the Aspire dashboard (Debian's headless Chromium through
// playwright-core): logs in with the dashboard's token URL, writes one file into the master, waits for it in
// a replica, then finds that change's trace on the trace list (the watcher's root span "detect write"; the
// master is fresh, so it is the only one), opens /traces/detail/<traceId>, checks that the spans come from
// the watcher, the Interface and both clients (the services' own span names), and saves a screenshot.
// Exit code 0 = all seen. Run by Dlopbox.AppHost.Tests (DashboardTraceTests); settings come from the
// environment:
//   LOGIN_URL, MASTER_DIR, REPLICA_DIR, ARTIFACT_DIR, SCREENSHOT (extra copy), CHROMIUM, TIMEOUT_MS.
import { chromium } from 'playwright-core';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const loginUrl = required('LOGIN_URL');
const masterDir = required('MASTER_DIR');
const replicaDir = required('REPLICA_DIR');
const artifactDir = required('ARTIFACT_DIR');
const screenshotCopy = process.env.SCREENSHOT || '';
const timeout = Number(process.env.TIMEOUT_MS || 90000);
const resources = ['watcher', 'interface', 'client-a', 'client-b'];
// The services' own spans of a write (WatcherTelemetry, InterfaceTelemetry, ClientTelemetry).
const spans = ['detect write', 'send batch', 'append write', 'apply write'];

function required(name) {
  const value = process.env[name];
  if (!value) { console.error(`dashboard-trace: ${name} is not set`); process.exit(2); }
  return value;
}

function step(message) { console.log(`dashboard-trace: ${message}`); }

async function until(what, check, interval = 500) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-default-apps', '--disable-extensions', '--no-first-run'],
});
let page;
try {
  // Wide: the waterfall's span names and resource column need the room to be readable in the screenshot.
  const context = await browser.newContext({ viewport: { width: 1680, height: 1000 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);

  // The token URL sets the dashboard's auth cookie and redirects to the resources page.
  await page.goto(loginUrl);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  step(`logged in (${new URL(page.url()).pathname})`);

  const name = `dashboard-${randomUUID().slice(0, 8)}.txt`;
  const content = `One file change, traced from the watcher through the Interface to the clients (${new Date().toISOString()}).\n`;
  await writeFile(join(masterDir, name), content);
  step(`wrote ${name} in the master`);
  await until(`${name} in ${replicaDir}`, async () => (await readFile(join(replicaDir, name), 'utf8').catch(() => '')) === content);
  step(`${name} arrived in ${replicaDir}`);

  // The trace list, filtered by name: the row of the watcher's "detect write" root span. Its name cell's
  // label holds the full trace id ("Name: watcher: detect write\nTrace Id: …").
  const origin = new URL(page.url()).origin;
  const traceId = await until('the trace of the change on /traces', async () => {
    await page.goto(`${origin}/traces`);
    await page.locator('fluent-text-input[name="traces-search"] input, input[name="traces-search"], fluent-text-input[name="traces-search"]').first().click();
    await page.keyboard.type('detect write');
    const cells = page.locator('[role="gridcell"][aria-label^="Name: watcher: detect write"]');
    try {
      await cells.first().waitFor({ timeout: 5000 });
    } catch { return null; }
    const ids = [...new Set((await cells.evaluateAll((cs) => cs.map((c) => c.getAttribute('aria-label'))))
      .map((label) => /Trace Id: ([0-9a-f]{32})/.exec(label)?.[1]).filter(Boolean))];
    if (ids.length !== 1) throw new Error(`expected one "detect write" trace (one file written), found ${ids.length}: ${ids.join(', ')}`);
    return ids[0];
  }, 2000);
  step(`trace ${traceId} on the trace list`);

  // The detail page: every span of the change, until the clients' spans have arrived too (each service
  // exports on its own schedule). Resource names stand alone only in the waterfall's Resource column.
  await until('the spans of watcher, interface, client-a and client-b on the detail page', async () => {
    await page.goto(`${origin}/traces/detail/${traceId}`);
    try {
      await page.getByText('detect write', { exact: true }).first().waitFor({ timeout: 5000 });
    } catch { return false; }
    const missing = [];
    for (const r of resources) if (await page.getByText(r, { exact: true }).count() === 0) missing.push(r);
    for (const s of spans) if (await page.getByText(s, { exact: true }).count() === 0) missing.push(`"${s}"`);
    if (missing.length) { step(`not yet on the detail page: ${missing.join(', ')}`); return false; }
    return true;
  }, 2000);
  step(`the detail page shows spans of ${resources.join(', ')}: ${spans.join(', ')}`);

  // The picture without the banner about the missing developer certificate (the http profile has none).
  await page.getByRole('button', { name: /close|dismiss/i }).first().click({ timeout: 2000 }).catch(() => {});
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(1000);

  await mkdir(artifactDir, { recursive: true });
  const shot = join(artifactDir, 'dashboard-trace.png');
  await page.screenshot({ path: shot, fullPage: false });
  if (screenshotCopy) await copyFile(shot, screenshotCopy);
  step(`screenshot ${shot}${screenshotCopy ? ` and ${screenshotCopy}` : ''}`);
  step('ok');
} catch (error) {
  console.error(`dashboard-trace: FAILED: ${error.message}`);
  if (page) {
    await mkdir(artifactDir, { recursive: true });
    await page.screenshot({ path: join(artifactDir, 'dashboard-trace-failure.png'), fullPage: true }).catch(() => {});
    await writeFile(join(artifactDir, 'dashboard-trace-failure.html'), await page.content().catch(() => '')).catch(() => {});
    console.error(`dashboard-trace: page ${page.url()}; screenshot and HTML in ${artifactDir}`);
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
