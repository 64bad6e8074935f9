// Drives the dlopbox status page in a real browser (Debian's headless Chromium through playwright-core):
// loads the page, makes a change in the master, sees it arrive in the live feed, sees the replica catch up,
// finds it in the history and in the master tree, and saves screenshots. Exit code 0 = all seen.
// Run by Dlopbox.Tests (LivePageBrowserTests); settings come from the environment:
//   PAGE_URL, MASTER_DIR, ARTIFACT_DIR, CLIENT_NAME, CHROMIUM (default /usr/bin/chromium), TIMEOUT_MS.
import { chromium } from 'playwright-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const pageUrl = required('PAGE_URL');
const masterDir = required('MASTER_DIR');
const artifactDir = required('ARTIFACT_DIR');
const clientName = process.env.CLIENT_NAME || 'client-1';
const timeout = Number(process.env.TIMEOUT_MS || 60000);

function required(name) {
  const value = process.env[name];
  if (!value) { console.error(`live-page: ${name} is not set`); process.exit(2); }
  return value;
}

function step(message) { console.log(`live-page: ${message}`); }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // No GPU, no sandbox (CI runs as root), nothing fetched from the network behind the test's back.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-default-apps', '--disable-extensions', '--no-first-run'],
});
const problems = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  // A policy violation or a script error is a failure even when the page still looks right.
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  await page.goto(pageUrl);
  await page.locator('#connection[data-state="live"]').waitFor();
  step('page loaded, live feed connected');

  // A few changes, the last one checked all the way through.
  const dir = `browser-${randomUUID().slice(0, 8)}`;
  const name = 'hello from the browser test.txt';
  const path = `${dir}/${name}`;
  const content = 'This file was written by the browser test while the page was open.\n';
  await mkdir(join(masterDir, dir, 'notes'), { recursive: true });
  await writeFile(join(masterDir, dir, 'notes', 'todo.md'), '# todo\n- watch the feed\n');
  await writeFile(join(masterDir, dir, name), content);
  step(`wrote ${path} in the master`);

  const row = page.locator('#feed tbody tr', { has: page.locator('td.path', { hasText: path }) }).first();
  await row.waitFor();
  const kind = (await row.locator('.kind').textContent()).trim();
  const size = (await row.locator('td.num').textContent()).trim();
  if (kind !== 'write') throw new Error(`the feed shows kind '${kind}' for ${path}`);
  if (size !== `${Buffer.byteLength(content)} B`) throw new Error(`the feed shows size '${size}' for ${path}`);
  step(`the feed shows it: ${kind}, ${size}`);

  const client = page.locator(`#clients tbody tr[data-client="${clientName}"]`);
  await client.locator('.insync').waitFor();
  step(`${clientName} shows in sync`);

  await page.locator('#history-form input[name="prefix"]').fill(dir);
  await page.locator('#history-form button[type="submit"]').click();
  await page.locator('#history-results tbody td.path', { hasText: path }).first().waitFor();
  step('the history search finds it');

  await page.locator('#tree-reload').click();
  const folder = page.locator('#tree-root > li > details > summary', { hasText: `${dir}/` });
  await folder.click();
  const link = page.locator('#tree-root a', { hasText: name });
  await link.waitFor();
  const href = await link.getAttribute('href');
  const served = await page.request.get(href);
  if (served.status() !== 200 || (await served.text()) !== content) {
    throw new Error(`the tree links ${path} to ${href}, which answered ${served.status()}`);
  }
  step(`the master tree links it to ${href}`);

  await mkdir(artifactDir, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifactDir, 'live-page.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(artifactDir, 'live-page-phone.png'), fullPage: false });
  step(`screenshots saved in ${artifactDir}`);

  if (problems.length) throw new Error(`the page reported errors:\n  ${problems.join('\n  ')}`);
  console.log('live-page: ok');
} catch (error) {
  console.error(`live-page: FAILED: ${error.message}`);
  for (const problem of problems) console.error(`live-page: ${problem}`);
  if (page) {
    await mkdir(artifactDir, { recursive: true }).catch(() => {});
    await page.screenshot({ path: join(artifactDir, 'live-page-failure.png'), fullPage: true }).catch(() => {});
    await writeFile(join(artifactDir, 'live-page-failure.html'), await page.content().catch(() => '')).catch(() => {});
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
