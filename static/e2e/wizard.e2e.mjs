#!/usr/bin/env node
// The job wizard's browser flows (issue 7), against a running platform and the test services:
//
//   pg-incremental  a table seeded in PostgreSQL → Connections: a PostgreSQL connection, tested →
//                   Jobs → New job through the 5 steps (connection card, table with its columns,
//                   the watermark column, backfill "All rows", review) → "Create and run now" →
//                   the run page shows it complete with every seeded row → rows added in
//                   PostgreSQL → Run now → only the new rows load
//   bucket-latest   two CSV files in an Azurite container, the second written later →
//                   an Azure Blob connection → a file job in latest-only mode (the checklist marks
//                   the newest file; the destination grid renames a column) → "Create and run now"
//                   → the table holds the newest file's rows, with the renamed column
//
// Each step saves a screenshot (wizard-*.png). Environment: B2B_E2E_URL, B2B_E2E_EMAIL,
// B2B_E2E_PASSWORD (as chain.e2e.mjs), B2B_POSTGRES_DSN and B2B_AZURITE_BLOB_URL (the test
// services; without them the flows are skipped, or fail under B2B_REQUIRE_SERVICES=1),
// B2B_E2ESEED_BIN (default bin/e2eseed of the repository: it seeds the table and the blobs),
// B2B_E2E_WIZARD_FLOWS (default both), B2B_CHROMIUM, B2B_E2E_SCREENSHOTS, B2B_E2E_TIMEOUT_S (60).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { StepError, env } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ALL_FLOWS = ['pg-incremental', 'bucket-latest'];
const AZURITE_ACCOUNT = 'devstoreaccount1';
// Azurite's published development key (not a secret).
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const log = (msg) => console.log(`[wizard ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main() {
  const baseUrl = env('B2B_E2E_URL').replace(/\/+$/, '');
  const email = env('B2B_E2E_EMAIL');
  const password = env('B2B_E2E_PASSWORD');
  const timeoutMs = Number(env('B2B_E2E_TIMEOUT_S', '60')) * 1000;
  const seedBin = resolve(env('B2B_E2ESEED_BIN', join(HERE, '..', '..', 'bin', 'e2eseed')));
  const flows = new Set(env('B2B_E2E_WIZARD_FLOWS', ALL_FLOWS.join(',')).split(',').map((f) => f.trim()).filter(Boolean));
  const required = process.env.B2B_REQUIRE_SERVICES === '1';
  const pgDsn = process.env.B2B_POSTGRES_DSN ?? '';
  const blobUrl = (process.env.B2B_AZURITE_BLOB_URL ?? '').replace(/\/+$/, '');
  for (const [flow, have, what] of [
    ['pg-incremental', pgDsn, 'B2B_POSTGRES_DSN'],
    ['bucket-latest', blobUrl, 'B2B_AZURITE_BLOB_URL'],
  ]) {
    if (!flows.has(flow) || have) continue;
    if (required) throw new StepError(`the ${flow} flow needs ${what} (the test services: scripts/test-services.sh)`);
    log(`skipping ${flow}: ${what} is not set`);
    flows.delete(flow);
  }
  if (flows.size === 0) return;
  if (!existsSync(seedBin)) throw new StepError(`${seedBin} not found: go build -o bin/e2eseed ./tools/e2eseed`);
  const seed = (args, input) => execFileSync(seedBin, args, { input: input ?? '', stdio: ['pipe', 'inherit', 'inherit'] });
  const exe = env('B2B_CHROMIUM', '/usr/bin/chromium');
  const shots = resolve(env('B2B_E2E_SCREENSHOTS', join(HERE, 'screenshots')));
  mkdirSync(shots, { recursive: true });
  const suffix = Date.now().toString(36);
  const started = Date.now();

  const profile = mkdtempSync(join(tmpdir(), 'b2b-e2e-wizard-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  let n = 0;
  const shot = async (name) => {
    const p = join(shots, `wizard-${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: p, fullPage: true });
  };
  let stepName = '';
  const step = async (name, fn) => {
    stepName = name;
    log(name);
    await fn();
  };
  const next = async (to) => {
    await page.getByTestId('job-next').click();
    await page.getByTestId(`job-step-${to}`).waitFor();
  };

  /** Connections → New connection of `type` with `fields` (test ids) and `secrets`; tests it; answers its id. */
  const newConnection = async (type, name, fields, secrets) => {
    await page.getByTestId('nav-connections').click();
    await page.waitForURL(/\/connections\/?$/);
    await page.getByTestId('connection-new').click();
    await page.getByTestId(`pick-${type}`).click();
    await page.getByTestId('connection-name').fill(name);
    for (const [k, v] of Object.entries(fields)) await page.getByTestId(`connection-${k}`).fill(v);
    for (const [k, v] of Object.entries(secrets)) await page.getByTestId(`secret-${k}`).fill(v);
    await page.getByTestId('connection-test').click();
    const res = page.getByTestId('connection-test-result');
    await res.waitFor({ timeout: 30000 });
    if ((await res.getAttribute('data-ok')) !== 'true') throw new StepError(`the ${type} connection test failed: ${(await page.getByTestId('connection-test-message').innerText()).trim()}`);
    await shot(`${type}-connection-tested`);
    await page.getByTestId('connection-save').click();
    const row = page.locator(`[data-testid="connection-row"][data-name="${name}"]`);
    await row.waitFor();
    return row.getAttribute('data-connection-id');
  };

  /** Jobs → New job: the name and the connection card (step 1 of the wizard). */
  const newJob = async (name, connId) => {
    await page.getByTestId('nav-etl-jobs').click();
    await page.waitForURL(/\/etl\/jobs\/?$/);
    await page.getByTestId('job-new').click();
    await page.getByTestId('job-name').fill(name);
    await page.getByTestId(`pick-source-${connId}`).click();
    // The live check answers once typing pauses.
    await page.locator('[data-testid="job-name"][data-check="available"]').waitFor();
  };

  /** Waits on the run page for a terminal status; answers the rows loaded. */
  const runOutcome = async (want) => {
    await page.waitForURL(/\/etl\/runs\/[^/]+$/);
    const badge = page.getByTestId('stage-timeline');
    await badge.waitFor();
    await page.locator('[data-testid="run-status"][data-status="completed"], [data-testid="run-status"][data-status="failed"], [data-testid="run-status"][data-status="partial"]').first().waitFor({ timeout: timeoutMs });
    const status = await page.getByTestId('run-status').first().getAttribute('data-status');
    await shot(`run-${want}`);
    if (status !== 'completed') {
      const err = (await page.getByTestId('run-error').count()) ? (await page.getByTestId('run-error').innerText()).trim() : '';
      throw new StepError(`the run ended ${status}${err ? `: ${err}` : ''}`);
    }
    const loaded = page.locator('[data-testid="stat"][data-stat="rows-loaded"] [data-testid="stat-value"]');
    return Number((await loaded.innerText()).replace(/[^0-9]/g, ''));
  };

  const cleanups = [];
  try {
    await step('sign in', async () => {
      await page.goto(baseUrl + '/', { waitUntil: 'domcontentloaded' });
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('tenant-name').waitFor();
    });

    if (flows.has('pg-incremental')) {
      const t0 = Date.now();
      const table = `e2e_orders_${suffix}`;
      const dsn = new URL(pgDsn);
      await step(`seed public.${table} with 5 rows in PostgreSQL`, async () => {
        seed([
          'sql',
          '-dsn',
          pgDsn,
          `CREATE TABLE public.${table} (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), updated_at timestamptz NOT NULL);
           CREATE INDEX ON public.${table} (updated_at);
           INSERT INTO public.${table} (customer, amount, updated_at)
             SELECT 'C' || g, g * 10.5, now() - (g || ' hours')::interval FROM generate_series(1, 5) g;`,
        ]);
        cleanups.push(() => seed(['sql', '-dsn', pgDsn, `DROP TABLE IF EXISTS public.${table}`]));
      });
      let connId = '';
      await step('a PostgreSQL connection to the test server, tested', async () => {
        connId = await newConnection(
          'postgresql',
          `Shop ${suffix}`,
          { host: dsn.hostname, port: dsn.port || '5432', database: dsn.pathname.replace(/^\//, '') || 'postgres', username: decodeURIComponent(dsn.username) },
          dsn.password ? { password: decodeURIComponent(dsn.password) } : {},
        );
      });
      const jobName = `Orders ${suffix}`;
      await step('wizard step 1: the connection card and a free name', async () => {
        await newJob(jobName, connId);
        await shot('pg-step1-connection');
        await next(1);
      });
      await step('wizard step 2: the table with its columns and row count', async () => {
        await page.getByTestId('job-db-schema').selectOption('public');
        await page.locator(`[data-testid="job-db-table"] option[value="${table}"]`).waitFor({ state: 'attached' });
        await page.getByTestId('job-db-table').selectOption(table);
        const cols = page.getByTestId('job-db-column');
        await page.getByTestId('job-db-columns').waitFor();
        const names = await cols.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-name')));
        if (names.join(',') !== 'id,customer,amount,updated_at') throw new StepError(`the table shows columns ${names.join(', ')}`);
        await shot('pg-step2-table');
        await next(2);
      });
      await step('wizard step 3: append on the watermark column, all rows', async () => {
        const ts = page.getByTestId('job-db-timestamp');
        await page.waitForFunction(() => document.querySelector('[data-testid="job-db-timestamp"]')?.value !== '', undefined, { timeout: 5000 }).catch(() => {});
        if ((await ts.inputValue()) !== 'updated_at') await ts.selectOption('updated_at');
        await page.getByTestId('load-mode-append').click();
        await page.getByTestId('job-db-backfill').getByText('All rows', { exact: true }).click();
        await shot('pg-step3-load');
        await next(3);
      });
      await step('wizard step 4: the destination', async () => {
        await page.getByTestId('job-table').fill(table);
        await page.locator('[data-testid="job-dest-grid"], [data-testid="job-dest-error"]').first().waitFor();
        await shot('pg-step4-destination');
        await next(4);
      });
      await step('wizard step 5: review, Create and run now → the run loads the 5 rows', async () => {
        const review = (await page.getByTestId('job-review').innerText()).replace(/\s+/g, ' ');
        if (!review.includes('updated_at, first run: all rows')) throw new StepError(`the review reads "${review}"`);
        await shot('pg-step5-review');
        await page.getByTestId('job-save-run').click();
        const loaded = await runOutcome('pg-first');
        if (loaded !== 5) throw new StepError(`the first run loaded ${loaded} rows, want 5`);
      });
      await step('3 rows added in PostgreSQL → Run now loads only them', async () => {
        seed(['sql', '-dsn', pgDsn, `INSERT INTO public.${table} (customer, amount, updated_at) SELECT 'N' || g, g, now() + (g || ' seconds')::interval FROM generate_series(1, 3) g;`]);
        await page.getByTestId('nav-etl-jobs').click();
        const row = page.locator(`[data-testid="job-row"][data-job-name="${jobName}"]`);
        await row.getByTestId('job-run').click();
        const loaded = await runOutcome('pg-second');
        if (loaded !== 3) throw new StepError(`the second run loaded ${loaded} rows, want only the 3 new ones`);
      });
      log(`pg-incremental took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    if (flows.has('bucket-latest')) {
      const t0 = Date.now();
      const cont = `e2e-latest-${suffix}`;
      await step(`seed two files in the Azurite container ${cont}, the second one later`, async () => {
        seed(['blob', '-url', blobUrl, '-container', cont, '-name', 'exports/prices_1.csv'], 'sku,price\nA,1.5\nB,2.5\nC,3.5\n');
        // Modification times have a resolution of a second: the second file is the newest.
        await new Promise((r) => setTimeout(r, 1200));
        seed(['blob', '-url', blobUrl, '-container', cont, '-name', 'exports/prices_2.csv'], 'sku,price\nA,1.75\nD,4.25\n');
      });
      let connId = '';
      await step('an Azure Blob connection to the container, tested', async () => {
        connId = await newConnection(
          'azure_blob',
          `Exports ${suffix}`,
          { bucket_url: `azblob://${cont}`, account: AZURITE_ACCOUNT, endpoint: blobUrl },
          { azure_account_key: AZURITE_KEY },
        );
      });
      const table = `prices_${suffix}`;
      await step('wizard: a latest-only file job; the checklist marks the newest file', async () => {
        await newJob(`Prices ${suffix}`, connId);
        await next(1);
        await page.getByTestId('job-prefix').fill('exports/');
        await page.getByTestId('job-pattern').fill('prices_*.csv');
        await page.getByTestId('file-mode-latest').click();
        await page.locator('[data-testid="job-files"][data-count="2"]').waitFor();
        const files = await page.getByTestId('job-file').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-key')}:${r.getAttribute('data-skipped')}`));
        if (files.join(',') !== 'exports/prices_2.csv:false,exports/prices_1.csv:true') throw new StepError(`the checklist reads ${files.join(', ')}`);
        await shot('bucket-step2-files');
        await next(2);
        await page.getByTestId('job-load-mode-latest').waitFor();
        await next(3);
        await page.getByTestId('job-table').fill(table);
        // The grid reads the newest file: price is renamed to unit_price for the table.
        const price = page.locator('[data-testid="dest-column"][data-source="price"]');
        await price.waitFor();
        await price.getByTestId('dest-name').fill('unit_price');
        await shot('bucket-step4-destination');
        await next(4);
        await shot('bucket-step5-review');
      });
      await step('Create and run now → the newest file’s 2 rows are the table', async () => {
        await page.getByTestId('job-save-run').click();
        const loaded = await runOutcome('bucket');
        if (loaded !== 2) throw new StepError(`the run loaded ${loaded} rows, want the newest file's 2`);
        await page.getByTestId('nav-etl-tables').click();
        const row = page.locator(`[data-testid="table-row"][data-table-name="${table}"]`);
        await row.waitFor();
        const rows = Number(await row.getAttribute('data-num-rows'));
        if (rows !== 2) throw new StepError(`table ${table} has ${rows} rows, want 2`);
        await row.click();
        await page.getByTestId('schema-table').waitFor();
        const cols = await page.getByTestId('schema-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-column-name')));
        if (!cols.includes('unit_price') || cols.includes('price')) throw new StepError(`the table's columns are ${cols.join(', ')}: the grid's rename of price did not reach it`);
        await shot('bucket-table');
      });
      log(`bucket-latest took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    if (pageErrors.length) throw new StepError(`the page threw: ${pageErrors.join('; ')}`);
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    await shot('failed').catch(() => {});
    throw new StepError(`step "${stepName}": ${e instanceof Error ? e.message : e}`);
  } finally {
    for (const c of cleanups) {
      try {
        c();
      } catch {
        // best effort
      }
    }
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`E2E FAILED: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
