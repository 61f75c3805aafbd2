#!/usr/bin/env node
// The datasets flow in headless Chromium against the real platform (scripts/e2e.sh runs it):
//
//   setup   a fresh data directory whose warehouse holds the Online Retail sample split by SQL
//           (e2e/fixtures/datasets.sql, run by tools/duckdbsql) into raw_data.invoice_lines and
//           raw_data.products; the platform (recs) started on it
//   flow    sign in → Datasets (empty) → New dataset → name → invoice_lines primary, products
//           joined → schema: roles pre-filled from the suggestions, revenue set to the line
//           amount, a join drawn between two columns' dots (then removed), the suggested
//           stock_code join accepted, the product description ticked →
//           filters: the last 180 days and the top 80% of products by revenue (its Pareto chart)
//           → the numbered summary, the live preview and the quality score → create → the
//           detail page (columns with roles, preview with its row count, a new sample, the same
//           quality score, statistics of the 8 columns, the BigQuery SQL) → edit to the top 70%:
//           version 2, its diff with version 1 → the list shows it
//
// Screenshots (list, tables, schema and filters steps, detail tabs) go to e2e/screenshots/datasets-*.png.
//
// Environment:
//   B2B_E2E_FILE       the Online Retail CSV (.csv.gz) (required)
//   B2B_RECS_BIN       the recs binary (default bin/recs of the repository)
//   B2B_DUCKDBSQL_BIN  the tools/duckdbsql binary (default bin/duckdbsql of the repository)
//   B2B_STATIC_DIR     the built SPA (default dist)
//   B2B_E2E_DATASETS_PORT  port of the platform (default 18081)
//   B2B_CHROMIUM       chromium executable (default /usr/bin/chromium)
//   B2B_E2E_SCREENSHOTS  screenshot folder (default e2e/screenshots)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { StepError, env } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

const log = (msg) => console.log(`[e2e datasets ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Creates the warehouse by SQL and starts the platform on it; answers its URL, credentials and a stop function. */
async function startPlatform() {
  const file = resolve(env('B2B_E2E_FILE'));
  const recs = resolve(ROOT, env('B2B_RECS_BIN', 'bin/recs'));
  const sqlTool = resolve(ROOT, env('B2B_DUCKDBSQL_BIN', 'bin/duckdbsql'));
  const staticDir = resolve(HERE, '..', env('B2B_STATIC_DIR', 'dist'));
  const port = Number(env('B2B_E2E_DATASETS_PORT', '18081'));
  for (const [what, p] of [
    ['B2B_E2E_FILE', file],
    ['B2B_RECS_BIN', recs],
    ['B2B_DUCKDBSQL_BIN', sqlTool],
  ]) {
    if (!existsSync(p)) throw new StepError(`${what} ${p} does not exist`);
  }
  const data = mkdtempSync(join(tmpdir(), 'b2b-e2e-datasets-'));
  const warehouse = join(data, 'warehouse.duckdb');
  const t0 = Date.now();
  const sql = spawnSync(sqlTool, ['-db', warehouse, '-var', `file=${file}`, join(HERE, 'fixtures', 'datasets.sql')], { encoding: 'utf8' });
  if (sql.status !== 0) {
    rmSync(data, { recursive: true, force: true });
    throw new StepError(`the warehouse setup failed: ${sql.stderr || sql.stdout || sql.error}`);
  }
  log(`warehouse split by SQL into invoice_lines and products in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const email = 'admin@e2e.test';
  const password = `e2e-${randomBytes(9).toString('hex')}`;
  const logFile = join(data, 'recs.log');
  const proc = spawn(recs, [], {
    env: {
      ...process.env,
      B2B_DATA_DIR: data,
      B2B_ADDR: `127.0.0.1:${port}`,
      B2B_ADMIN_EMAIL: email,
      B2B_ADMIN_PASSWORD: password,
      B2B_STATIC_DIR: staticDir,
      B2B_WAREHOUSE_URL: `duckdb://${warehouse}`,
    },
    stdio: ['ignore', openSync(logFile, 'w'), openSync(logFile, 'a')],
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) throw new StepError(`recs exited; its log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      if ((await fetch(url + '/api/health')).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new StepError(`recs did not answer /api/health within 30 s; its log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`platform on ${url}`);
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      await new Promise((r) => (exited ? r() : proc.on('exit', r)));
    }
    if (process.exitCode) log(`recs log (tail):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    rmSync(data, { recursive: true, force: true });
  };
  return { url, email, password, stop };
}

async function main() {
  const exe = env('B2B_CHROMIUM', '/usr/bin/chromium');
  if (!existsSync(exe)) throw new StepError(`chromium not found at ${exe} (apt-get install -y chromium, or set B2B_CHROMIUM)`);
  const shots = resolve(env('B2B_E2E_SCREENSHOTS', join(HERE, 'screenshots')));
  mkdirSync(shots, { recursive: true });
  const started = Date.now();
  const platform = await startPlatform();

  const profile = mkdtempSync(join(tmpdir(), 'b2b-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30000);
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  const shot = async (name) => {
    await page.waitForTimeout(300);
    const p = join(shots, `datasets-${name}.png`);
    await page.screenshot({ path: p, fullPage: true });
    log(`screenshot ${p}`);
  };
  let stepName = '';
  const step = async (name, fn) => {
    stepName = name;
    log(name);
    await fn();
  };
  const column = (table, name) => page.locator(`[data-testid="schema-table"][data-table-name="${table}"] [data-testid="schema-column"][data-column="${name}"]`);

  try {
    await step('sign in', async () => {
      await page.goto(platform.url + '/login');
      await page.getByTestId('login-email').fill(platform.email);
      await page.getByTestId('login-password').fill(platform.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('tenant-name').waitFor();
    });

    await step('open Datasets: none yet', async () => {
      await page.getByTestId('nav-datasets').click();
      await page.waitForURL(/\/datasets\/?$/);
      await page.getByTestId('datasets-empty').waitFor();
    });

    await step('new dataset: name, then invoice_lines as the primary table and products joined', async () => {
      await page.getByTestId('dataset-new').click();
      await page.getByTestId('dataset-name').fill('Retail: recent best sellers');
      await page.getByTestId('wizard-next').click();
      const row = (t) => page.locator(`[data-testid="wizard-table"][data-table-name="${t}"]`);
      await row('invoice_lines').waitFor();
      const rows = (await row('invoice_lines').innerText()).replace(/\s+/g, ' ');
      if (!rows.includes('541,909')) throw new StepError(`the invoice_lines row shows "${rows}", want its 541,909 rows`);
      await row('invoice_lines').getByTestId('primary-radio').check();
      await row('products').getByTestId('secondary-checkbox').check();
      await shot('tables');
      await page.getByTestId('wizard-next').click();
    });

    await step('schema: roles suggested, revenue on the amount, a drawn join removed, the suggested join accepted', async () => {
      await page.getByTestId('schema-canvas').waitFor();
      // The pickers are pre-filled from the server's suggestions.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="schema-column"][data-role="customer_id"]').length === 1);
      for (const [col, role] of [
        ['customer_id', 'customer_id'],
        ['stock_code', 'product_id'],
        ['invoice_date', 'timestamp'],
      ]) {
        const got = await column('invoice_lines', col).getAttribute('data-role');
        if (got !== role) throw new StepError(`invoice_lines.${col} has the role "${got}", want the suggested "${role}"`);
      }
      // Revenue: the line amount, not the unit price.
      await column('invoice_lines', 'amount').getByTestId('role-select').click();
      await page.getByRole('option', { name: 'Revenue', exact: true }).click();
      await page.waitForFunction(() => document.querySelector('[data-testid="schema-column"][data-column="amount"]')?.getAttribute('data-role') === 'revenue');
      const unitPrice = await column('invoice_lines', 'unit_price').getAttribute('data-role');
      if (unitPrice === 'revenue') throw new StepError('unit_price kept the revenue role after amount took it');
      await column('products', 'description').getByTestId('column-checkbox').check();

      const suggestion = page.getByTestId('join-suggestion').first();
      await suggestion.waitFor();
      const text = (await suggestion.innerText()).replace(/\s+/g, ' ');
      if (!/invoice_lines\.stock_code.*products\.stock_code|products\.stock_code.*invoice_lines\.stock_code/.test(text) || !text.includes('high')) {
        throw new StepError(`the first join suggestion is "${text}", want invoice_lines.stock_code = products.stock_code with high confidence`);
      }
      // A join drawn between two columns' dots: a wrong one first (removed), then the suggested one accepted.
      await column('invoice_lines', 'invoice_no').locator('.react-flow__handle.source').dragTo(column('products', 'description').locator('.react-flow__handle.target'));
      await page.locator('[data-testid="join-row"][data-join="invoice_lines.invoice_no=products.description"]').waitFor();
      await page.locator('.react-flow__edge').first().waitFor();
      await page.locator('[data-testid="join-row"]').getByRole('button', { name: 'Remove join' }).click();
      await page.locator('[data-testid="join-row"]').waitFor({ state: 'detached' });
      await suggestion.getByTestId('accept-join').click();
      await page.locator('[data-testid="join-row"][data-join="invoice_lines.stock_code=products.stock_code"]').waitFor();
      await page.locator('.react-flow__edge').first().waitFor();
      await page.getByText('Left: keep all').click();
      await shot('schema');
      await page.getByTestId('wizard-next').click();
    });

    await step('filters: last 180 days and the top 80% of products by revenue', async () => {
      await page.getByTestId('add-filter').click();
      await page.getByTestId('add-filter-date').click();
      const days = await page.getByTestId('filter-last-days').inputValue();
      if (days !== '180') throw new StepError(`the date filter starts at ${days} days, want 180`);
      await page.getByTestId('add-filter').click();
      await page.getByTestId('add-filter-top_share').click();
      const percent = await page.getByTestId('filter-percent').inputValue();
      if (percent !== '80') throw new StepError(`the top-share filter starts at ${percent}%, want 80`);
      await page.getByTestId('pareto-chart').waitFor();
      const caption = await page.getByTestId('pareto-caption').innerText();
      if (!/Keeps about [\d,]+ of [\d,]+ products/.test(caption)) throw new StepError(`the Pareto caption reads "${caption}"`);
      log(`pareto: ${caption}`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="filter-summary-item"]').length === 2);
      const summary = await page.getByTestId('filter-summary-item').allInnerTexts();
      log(`summary: ${summary.join(' | ')}`);
      if (!summary[0].startsWith('1.') || !summary[1].startsWith('2.')) throw new StepError(`the summary is not numbered: ${summary.join(' | ')}`);
    });

    let previewTotal = 0;
    let score = 0;
    await step('the live preview and the quality score', async () => {
      // Both panels follow the draft: wait until they show the model with both filters.
      for (const id of ['live-preview', 'live-quality']) await page.locator(`[data-testid="${id}"][data-updating="false"]`).waitFor();
      await page.getByTestId('dataset-preview-row').first().waitFor();
      previewTotal = Number((await page.getByTestId('preview-total').innerText()).replace(/[^\d]/g, ''));
      if (!(previewTotal > 0 && previewTotal < 541909)) throw new StepError(`the preview counts ${previewTotal} rows, want fewer than the 541,909 of the table`);
      score = Number(await page.getByTestId('quality-score').innerText());
      if (!(score >= 0 && score <= 100)) throw new StepError(`the quality score is "${score}"`);
      log(`preview: ${previewTotal} rows in all; quality score ${score}`);
      await shot('filters');
    });

    await step('create the dataset: its page shows the columns with roles, the preview and the score', async () => {
      await page.getByTestId('wizard-save').click();
      await page.waitForURL(/\/datasets\/[^/]+$/);
      await page.getByTestId('output-columns').waitFor();
      const roles = await page.getByTestId('output-column').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-role')).filter(Boolean));
      for (const r of ['customer_id', 'product_id', 'timestamp', 'revenue']) {
        if (!roles.includes(r)) throw new StepError(`the dataset's columns have the roles ${roles.join(', ')}: ${r} is missing`);
      }
      const version = await page.getByTestId('dataset-version').innerText();
      if (version.trim() !== 'v1') throw new StepError(`the new dataset is at "${version}", want v1`);
      await shot('detail');

      await page.getByTestId('tab-preview').click();
      await page.getByTestId('dataset-preview-row').first().waitFor();
      const total = Number((await page.getByTestId('preview-total').innerText()).replace(/[^\d]/g, ''));
      if (total !== previewTotal) throw new StepError(`the saved dataset counts ${total} rows, the wizard's preview ${previewTotal}`);
      const first = await page.getByTestId('dataset-preview-row').first().innerText();
      await page.getByTestId('new-sample').click();
      await page.locator('[data-testid="dataset-preview"][data-seed="2"]').waitFor();
      const again = await page.getByTestId('dataset-preview-row').first().innerText();
      if (again === first) throw new StepError('a new sample shows the same first row');
      await shot('detail-preview');

      await page.getByTestId('tab-quality').click();
      await page.getByTestId('quality-panel').waitFor();
      const saved = Number(await page.getByTestId('quality-score').innerText());
      if (saved !== score) throw new StepError(`the saved dataset scores ${saved}, the wizard showed ${score}`);
      await shot('detail-quality');

      await page.getByRole('tab', { name: 'Statistics' }).click();
      await page.getByTestId('stat-card').first().waitFor();
      const cards = await page.getByTestId('stat-card').count();
      if (cards !== 8) throw new StepError(`the statistics show ${cards} columns, want the dataset's 8`);
      await shot('detail-statistics');

      await page.getByRole('tab', { name: 'SQL' }).click();
      const sqlText = page.getByTestId('sql-text');
      await sqlText.waitFor();
      await page.getByText('BigQuery', { exact: true }).click();
      await page.waitForFunction(() => document.querySelector('[data-testid="sql-text"]')?.textContent?.includes('`raw_data`.`invoice_lines`'));
      await shot('detail-sql');
    });

    await step('edit: the top 70% instead makes version 2, and the versions tab shows the change', async () => {
      await page.getByTestId('dataset-edit').click();
      await page.getByTestId('dataset-name').waitFor();
      for (let i = 0; i < 3; i++) await page.getByTestId('wizard-next').click();
      await page.getByTestId('filter-percent').fill('70');
      await page.getByTestId('wizard-save').click();
      await page.waitForURL(/\/datasets\/[^/]+$/);
      await page.locator('[data-testid="dataset-version"]', { hasText: 'v2' }).waitFor();
      await page.getByRole('tab', { name: 'Versions' }).click();
      await page.getByTestId('version-row').first().waitFor();
      const rows = await page.getByTestId('version-row').count();
      if (rows !== 2) throw new StepError(`the versions tab lists ${rows} versions, want 2`);
      const diff = page.getByTestId('version-diff');
      await diff.waitFor();
      const changed = await diff.locator('[data-op="-"], [data-op="+"]').allInnerTexts();
      if (!changed.some((l) => l.includes('"percent": 80')) || !changed.some((l) => l.includes('"percent": 70'))) {
        throw new StepError(`the diff of versions 1 and 2 reads: ${changed.join(' | ')}`);
      }
      await shot('detail-versions');
    });

    await step('the list shows the dataset', async () => {
      await page.getByTestId('nav-datasets').click();
      const row = page.getByTestId('dataset-row');
      await row.waitFor();
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      if (!text.includes('invoice_lines + products') || !text.includes('v2')) throw new StepError(`the list row reads "${text}"`);
      await shot('list');
    });

    const relevant = consoleErrors.filter((e) => !/401|403|409|Failed to load resource/.test(e));
    if (relevant.length) log(`browser console errors (not fatal):\n  ${relevant.join('\n  ')}`);
    log(`OK in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    await shot('failure').catch(() => {});
    process.exitCode = 1;
    throw new StepError(`step "${stepName}" failed: ${e instanceof StepError ? e.message : (e?.message ?? e)}`);
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`\nE2E FAILED: ${e instanceof StepError ? e.message : (e?.stack ?? e)}`);
    process.exit(1);
  },
);
