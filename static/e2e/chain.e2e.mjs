#!/usr/bin/env node
// End-to-end chain through the SPA in headless Chromium (Debian's chromium, driven by
// playwright-core): sign in → ETL → upload a file → wait for its run to complete → open the
// loaded table → check schema and preview rows. Screenshots of every step go to
// e2e/screenshots/. Exits non-zero with a clear message on the first failure.
//
// Environment:
//   B2B_E2E_URL       base URL of the app, e.g. http://127.0.0.1:18080 (required)
//   B2B_E2E_EMAIL     user to sign in as, an editor or admin (required)
//   B2B_E2E_PASSWORD  its password (required)
//   B2B_E2E_FILE      CSV or .csv.gz file to upload (required)
//   B2B_E2E_TABLE     expected table name (default: the file name sanitised, e.g. online_retail)
//   B2B_E2E_TENANT    expected tenant name in the header (default: any non-empty name)
//   B2B_E2E_TIMEOUT_S seconds to wait for the run to complete (default 120)
//   B2B_E2E_ACCEPT_PARTIAL=1  also accept a run that ends "partial" (loaded with some rejects)
//   B2B_CHROMIUM      chromium executable (default /usr/bin/chromium)
//   B2B_E2E_SCREENSHOTS  screenshot folder (default e2e/screenshots)

import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));

class StepError extends Error {}

function env(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (def === undefined) throw new StepError(`environment variable ${name} is required`);
    return def;
  }
  return v;
}

/** Same rules as the platform: non-word → _, collapse, trim, leading digit → col_, lower-case. */
export function sanitiseName(s) {
  let n = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (/^[0-9]/.test(n)) n = 'col_' + n;
  if (!n) n = 'column';
  return n.slice(0, 300).replace(/_+$/, '').toLowerCase();
}

export function expectedTableName(file) {
  const stem = basename(file)
    .replace(/\.(gz|gzip|bz2|zst)$/i, '')
    .replace(/\.(csv|tsv|txt|json|jsonl|ndjson|parquet)$/i, '');
  return sanitiseName(stem);
}

const log = (msg) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main() {
  const baseUrl = env('B2B_E2E_URL').replace(/\/+$/, '');
  const email = env('B2B_E2E_EMAIL');
  const password = env('B2B_E2E_PASSWORD');
  const file = resolve(env('B2B_E2E_FILE'));
  if (!existsSync(file) || !statSync(file).isFile()) throw new StepError(`B2B_E2E_FILE ${file} is not a file`);
  const table = env('B2B_E2E_TABLE', expectedTableName(file));
  const tenantWanted = process.env.B2B_E2E_TENANT ?? '';
  const timeoutS = Number(env('B2B_E2E_TIMEOUT_S', '120'));
  const acceptPartial = process.env.B2B_E2E_ACCEPT_PARTIAL === '1';
  const exe = env('B2B_CHROMIUM', '/usr/bin/chromium');
  if (!existsSync(exe)) throw new StepError(`chromium not found at ${exe} (apt-get install -y chromium, or set B2B_CHROMIUM)`);
  const shots = resolve(env('B2B_E2E_SCREENSHOTS', join(HERE, 'screenshots')));
  mkdirSync(shots, { recursive: true });

  const profile = mkdtempSync(join(tmpdir(), 'b2b-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  let n = 0;
  const shot = async (name) => {
    const p = join(shots, `${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: p, fullPage: true });
    log(`screenshot ${p}`);
  };
  let stepName = '';
  const step = async (name, fn) => {
    stepName = name;
    log(name);
    await fn();
  };

  try {
    await step('open the app and expect the sign-in form', async () => {
      await page.goto(baseUrl + '/', { waitUntil: 'domcontentloaded' });
      await page.getByTestId('login-email').waitFor();
      await shot('login');
    });

    await step('a wrong password shows an error', async () => {
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password + '-wrong');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      await shot('login-error');
    });

    await step(`sign in as ${email}`, async () => {
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('tenant-name').waitFor();
      const tenant = (await page.getByTestId('tenant-name').innerText()).trim();
      if (!tenant) throw new StepError('the header shows no tenant name');
      if (tenantWanted && tenant !== tenantWanted) throw new StepError(`tenant header is "${tenant}", want "${tenantWanted}"`);
      const shownEmail = (await page.getByTestId('user-email').innerText()).trim();
      if (shownEmail.toLowerCase() !== email.toLowerCase()) throw new StepError(`header shows user "${shownEmail}", want "${email}"`);
      log(`signed in; tenant "${tenant}", role ${(await page.getByTestId('user-role').innerText()).trim()}`);
    });

    await step('go to ETL runs', async () => {
      await page.getByTestId('nav-etl-runs').click();
      await page.waitForURL(/\/etl\/?$/);
      await page.getByTestId('upload-dropzone').waitFor().catch(() => {
        throw new StepError('no upload control on the ETL page: is the user an editor?');
      });
      // Wait for the list (rows or the empty state) before taking stock of existing runs.
      await page.locator('[data-testid="run-row"], [data-testid="runs-empty"]').first().waitFor();
      await shot('etl-runs');
    });

    const before = new Set(await page.getByTestId('run-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id'))));
    let objectName = '';
    await step(`upload ${basename(file)} (${statSync(file).size} bytes)`, async () => {
      await page.getByTestId('upload-input').setInputFiles(file);
      const status = page.getByTestId('upload-status').first();
      await status.waitFor();
      await page.waitForFunction(
        () => {
          const el = document.querySelector('[data-testid="upload-status"]');
          return el && el.getAttribute('data-state') !== 'uploading';
        },
        null,
        { timeout: 120000 },
      );
      const state = await status.getAttribute('data-state');
      if (state !== 'done') throw new StepError(`upload failed: ${(await status.innerText()).trim()}`);
      objectName = (await status.getAttribute('data-object-name')) ?? '';
      log(`uploaded as object "${objectName}"`);
      await shot('uploaded');
    });

    let runId = '';
    await step(`wait up to ${timeoutS} s for the new run to complete`, async () => {
      const deadline = Date.now() + timeoutS * 1000;
      const stem = basename(file);
      let last = '';
      let sawActive = false;
      while (Date.now() < deadline) {
        const rows = await page.getByTestId('run-row').evaluateAll((els) =>
          els.map((r) => ({
            id: r.getAttribute('data-run-id'),
            status: r.getAttribute('data-status'),
            object: r.getAttribute('data-object-name') ?? '',
            loaded: Number(r.getAttribute('data-rows-loaded') ?? 0),
          })),
        );
        const mine = rows.find(
          (r) => !before.has(r.id) && (r.object === objectName || r.object.endsWith('/' + objectName) || r.object.endsWith(stem)),
        );
        if (mine) {
          runId = mine.id;
          const now = `${mine.status} (${mine.loaded} rows loaded)`;
          if (now !== last) log(`run ${mine.id}: ${now}`);
          last = now;
          if ((mine.status === 'pending' || mine.status === 'running') && !sawActive) {
            sawActive = true;
            await shot('run-in-progress');
          }
          if (mine.status === 'completed' || (acceptPartial && mine.status === 'partial')) {
            if (!(mine.loaded > 0)) throw new StepError(`run ${mine.id} completed but loaded ${mine.loaded} rows`);
            break;
          }
          if (mine.status === 'failed' || mine.status === 'partial' || mine.status === 'cancelled') {
            await shot('run-not-completed');
            throw new StepError(`run ${mine.id} ended "${mine.status}" instead of "completed"; see the run page ${baseUrl}/etl/runs/${mine.id}`);
          }
        }
        await page.waitForTimeout(1000);
      }
      if (!last.startsWith('completed') && !(acceptPartial && last.startsWith('partial'))) {
        await shot('run-timeout');
        throw new StepError(runId ? `run ${runId} still "${last}" after ${timeoutS} s` : `no new run for ${objectName} appeared within ${timeoutS} s`);
      }
      await shot('run-completed');
    });

    await step('open the run detail', async () => {
      await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).click();
      await page.getByTestId('stage-timeline').waitFor();
      const done = await page.locator('[data-testid="stage"][data-done="true"]').count();
      if (done < 2) throw new StepError(`the stage timeline shows only ${done} finished stages`);
      await shot('run-detail');
    });

    await step(`open Tables and find ${table}`, async () => {
      await page.getByTestId('nav-etl-tables').click();
      await page.waitForURL(/\/etl\/tables\/?$/);
      const row = page.locator(`[data-testid="table-row"][data-table-name="${table}"]`);
      await row.waitFor().catch(async () => {
        const names = await page.getByTestId('table-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-table-name')));
        await shot('tables-missing');
        throw new StepError(`table "${table}" not listed; tables: ${names.join(', ') || '(none)'}`);
      });
      await shot('tables');
      await row.click();
    });

    await step(`check the schema and preview of ${table}`, async () => {
      await page.getByTestId('schema-table').waitFor();
      const cols = await page.getByTestId('schema-row').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-column-name')}:${r.getAttribute('data-column-type')}`));
      if (cols.length === 0) throw new StepError('the schema shows no columns');
      log(`schema: ${cols.join(', ')}`);
      await page.getByTestId('preview-row').first().waitFor().catch(() => {
        throw new StepError('the preview shows no rows');
      });
      const rows = await page.getByTestId('preview-row').count();
      log(`preview: ${rows} rows`);
      await shot('table-detail');
    });

    const relevant = consoleErrors.filter((e) => !/401|Unauthorized|Failed to load resource/.test(e));
    if (relevant.length) log(`browser console errors (not fatal):\n  ${relevant.join('\n  ')}`);
    log('OK: sign-in → upload → run completed → table schema and preview');
  } catch (e) {
    try {
      await shot('failure');
    } catch {
      // page may be gone
    }
    const msg = e instanceof StepError ? e.message : `${e?.message ?? e}`;
    throw new StepError(`step "${stepName}" failed: ${msg}`);
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`\nE2E FAILED: ${e instanceof StepError ? e.message : e?.stack ?? e}`);
    process.exit(1);
  },
);
