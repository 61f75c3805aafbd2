#!/usr/bin/env node
// End-to-end flows through the SPA in headless Chromium (Debian's chromium, driven by
// playwright-core). Screenshots of every step go to e2e/screenshots/. Exits non-zero with a
// clear message on the first failure.
//
//   chain        sign in → ETL → upload a file → its run completes → open the loaded table →
//                schema and preview rows
//   bad-input    a CSV with a row of too many fields → run ends "partial", 2 loaded, 1 rejected →
//                the rejects table shows line 3 and the field count
//   unsupported  notes.xlsx → the upload is refused before any byte moves, naming the file
//   jobs         Jobs → Run now on the file's auto-created job → no rows loaded again (a new
//                skipped run, or the earlier run with a "nothing new" note); then the same
//                file uploaded again → a new run that loads 0 rows, marked "Skipped: unchanged"
//   schedules    Jobs → New job: a file job with a daily schedule (the preview shows its label and
//                next runs) → the list shows the label and the next run → pause (Paused) → resume
//                → delete
//   connections  Connections → New connection → PostgreSQL → Test against 127.0.0.1:1 shows the
//                failure message → save without testing → listed → detail → delete
//   users        (admin) Team → a duplicate email is refused inline → invite a viewer → sign in
//                as the viewer: read-only note instead of the upload zone, no Run now, no Team
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
//   B2B_E2E_FLOWS     comma-separated flows to run after sign-in (default: all of the above;
//                     "chain" alone for the mock server)

import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { StepError, env } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

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

const ALL_FLOWS = ['chain', 'bad-input', 'unsupported', 'jobs', 'schedules', 'connections', 'users'];

const log = (msg) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Reads the run rows of the runs table. */
async function runRows(page) {
  return page.getByTestId('run-row').evaluateAll((els) =>
    els.map((r) => ({
      id: r.getAttribute('data-run-id'),
      status: r.getAttribute('data-status'),
      object: r.getAttribute('data-object-name') ?? '',
      table: r.getAttribute('data-dest-table') ?? '',
      read: Number(r.getAttribute('data-rows-read') ?? 0),
      loaded: Number(r.getAttribute('data-rows-loaded') ?? 0),
      rejected: Number(r.getAttribute('data-rows-rejected') ?? 0),
      skipped: r.getAttribute('data-skipped') === 'true',
    })),
  );
}

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
  const flows = new Set(env('B2B_E2E_FLOWS', ALL_FLOWS.join(',')).split(',').map((f) => f.trim()).filter(Boolean));
  for (const f of flows) if (!ALL_FLOWS.includes(f)) throw new StepError(`unknown flow "${f}" in B2B_E2E_FLOWS (known: ${ALL_FLOWS.join(', ')})`);
  if (flows.has('jobs') && !flows.has('chain')) throw new StepError('the "jobs" flow needs the "chain" flow (it re-runs the file the chain loads)');
  const exe = env('B2B_CHROMIUM', '/usr/bin/chromium');
  if (!existsSync(exe)) throw new StepError(`chromium not found at ${exe} (apt-get install -y chromium, or set B2B_CHROMIUM)`);
  const shots = resolve(env('B2B_E2E_SCREENSHOTS', join(HERE, 'screenshots')));
  mkdirSync(shots, { recursive: true });
  const started = Date.now();

  // Small input files of the bad-input and unsupported flows.
  const work = mkdtempSync(join(tmpdir(), 'b2b-e2e-files-'));
  const suffix = Date.now().toString(36);
  const badCsv = join(work, `bad_rows_${suffix}.csv`);
  writeFileSync(badCsv, 'sku,qty,price\nA-100,2,3.50\nB-200,1,2.00,extra\nC-300,4,1.25\n');
  const xlsx = join(work, 'notes.xlsx');
  writeFileSync(xlsx, Buffer.from('PK\u0003\u0004 not really a workbook\n'));

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

  const signIn = async (who, pw) => {
    await page.getByTestId('login-email').fill(who);
    await page.getByTestId('login-password').fill(pw);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('tenant-name').waitFor();
    const shownEmail = (await page.getByTestId('user-email').innerText()).trim();
    if (shownEmail.toLowerCase() !== who.toLowerCase()) throw new StepError(`header shows user "${shownEmail}", want "${who}"`);
    return (await page.getByTestId('user-role').innerText()).trim().toLowerCase();
  };
  const signOut = async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-email').waitFor();
  };

  const openRuns = async () => {
    await page.getByTestId('nav-etl-runs').click();
    await page.waitForURL(/\/etl\/?$/);
    // Wait for the list (rows or the empty state) before taking stock of existing runs.
    await page.locator('[data-testid="run-row"], [data-testid="runs-empty"]').first().waitFor();
  };

  /** Uploads a file through the upload control; answers the object name the server kept. */
  /** Uploads a file through the upload zone; answers its finished status row (done or error). */
  const uploadStatus = async (path) => {
    const before = await page.getByTestId('upload-status').count();
    await page.getByTestId('upload-input').setInputFiles(path);
    await page.waitForFunction(
      (n) => {
        const els = document.querySelectorAll('[data-testid="upload-status"]');
        return els.length > n && els[0].getAttribute('data-state') !== 'uploading';
      },
      before,
      { timeout: 120000 },
    );
    return page.getByTestId('upload-status').first();
  };
  const upload = async (path) => {
    const status = await uploadStatus(path);
    const state = await status.getAttribute('data-state');
    if (state !== 'done') throw new StepError(`upload of ${basename(path)} failed: ${(await status.innerText()).trim()}`);
    const name = (await status.getAttribute('data-object-name')) ?? '';
    log(`uploaded ${basename(path)} as object "${name}"`);
    return name;
  };

  /**
   * Waits on the runs page for a run of objectName that is not in `before` to finish; answers
   * its row. `onActive` runs once when it is first seen pending or running.
   */
  const waitForRun = async (objectName, before, { onActive } = {}) => {
    const deadline = Date.now() + timeoutS * 1000;
    let last = '';
    let sawActive = false;
    let mine;
    while (Date.now() < deadline) {
      mine = (await runRows(page)).find(
        (r) => !before.has(r.id) && (r.object === objectName || r.object.endsWith('/' + objectName)),
      );
      if (mine) {
        const now = `${mine.status} (${mine.loaded} rows loaded, ${mine.rejected} rejected)`;
        if (now !== last) log(`run ${mine.id}: ${now}`);
        last = now;
        if (mine.status === 'pending' || mine.status === 'running') {
          if (!sawActive && onActive) await onActive(mine);
          sawActive = true;
        } else {
          return mine;
        }
      }
      await page.waitForTimeout(500);
    }
    await shot('run-timeout');
    throw new StepError(mine ? `run ${mine.id} still "${last}" after ${timeoutS} s` : `no new run for ${objectName} appeared within ${timeoutS} s`);
  };
  const knownRunIds = async () => new Set((await runRows(page)).map((r) => r.id));
  const openRun = async (id) => {
    await page.locator(`[data-testid="run-row"][data-run-id="${id}"]`).click();
    await page.waitForURL(new RegExp(`/etl/runs/${id}$`));
    await page.getByTestId('stage-timeline').waitFor();
  };
  const tableRows = async (name) => {
    await page.getByTestId('nav-etl-tables').click();
    await page.waitForURL(/\/etl\/tables\/?$/);
    const row = page.locator(`[data-testid="table-row"][data-table-name="${name}"]`);
    await row.waitFor().catch(async () => {
      const names = await page.getByTestId('table-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-table-name')));
      await shot('tables-missing');
      throw new StepError(`table "${name}" not listed; tables: ${names.join(', ') || '(none)'}`);
    });
    return { row, numRows: Number(await row.getAttribute('data-num-rows')) };
  };

  let role = '';
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
      role = await signIn(email, password);
      const tenant = (await page.getByTestId('tenant-name').innerText()).trim();
      if (!tenant) throw new StepError('the header shows no tenant name');
      if (tenantWanted && tenant !== tenantWanted) throw new StepError(`tenant header is "${tenant}", want "${tenantWanted}"`);
      log(`signed in; tenant "${tenant}", role ${role}`);
    });

    await step('go to ETL runs', async () => {
      await openRuns();
      await page.getByTestId('upload-dropzone').waitFor().catch(() => {
        throw new StepError('no upload control on the ETL page: is the user an editor?');
      });
      await shot('etl-runs');
    });

    // ---- chain: upload → completed → table
    let loadedRows = 0;
    let objectName = '';
    if (flows.has('chain')) {
      const before = await knownRunIds();
      await step(`upload ${basename(file)} (${statSync(file).size} bytes)`, async () => {
        objectName = await upload(file);
        await shot('uploaded');
      });

      let runId = '';
      await step(`wait up to ${timeoutS} s for the new run to complete`, async () => {
        const mine = await waitForRun(objectName, before, { onActive: () => shot('run-in-progress') });
        runId = mine.id;
        const ok = mine.status === 'completed' || (acceptPartial && mine.status === 'partial');
        if (!ok) {
          await shot('run-not-completed');
          throw new StepError(`run ${mine.id} ended "${mine.status}" instead of "completed"; see the run page ${baseUrl}/etl/runs/${mine.id}`);
        }
        if (!(mine.loaded > 0)) throw new StepError(`run ${mine.id} completed but loaded ${mine.loaded} rows`);
        loadedRows = mine.loaded;
        await shot('run-completed');
      });

      await step('open the run detail', async () => {
        await openRun(runId);
        const done = await page.locator('[data-testid="stage"][data-done="true"]').count();
        if (done < 2) throw new StepError(`the stage timeline shows only ${done} finished stages`);
        await shot('run-detail');
      });

      await step(`open Tables and find ${table}`, async () => {
        const { row, numRows } = await tableRows(table);
        if (numRows !== loadedRows) throw new StepError(`table ${table} has ${numRows} rows, the run loaded ${loadedRows}`);
        await shot('tables');
        await row.click();
      });

      await step(`check the schema and preview of ${table}`, async () => {
        await page.getByTestId('schema-table').waitFor();
        const cols = await page
          .getByTestId('schema-row')
          .evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-column-name')}:${r.getAttribute('data-column-type')}`));
        if (cols.length === 0) throw new StepError('the schema shows no columns');
        log(`schema: ${cols.join(', ')}`);
        await page
          .getByTestId('preview-row')
          .first()
          .waitFor()
          .catch(() => {
            throw new StepError('the preview shows no rows');
          });
        const rows = await page.getByTestId('preview-row').count();
        log(`preview: ${rows} rows`);
        await shot('table-detail');
      });
    }

    // ---- bad input: a row with an extra field is rejected, the others load
    if (flows.has('bad-input')) {
      let run;
      await step(`upload ${basename(badCsv)} with a malformed line 3`, async () => {
        await openRuns();
        const before = await knownRunIds();
        const name = await upload(badCsv);
        run = await waitForRun(name, before);
        if (run.status !== 'partial') throw new StepError(`run ${run.id} ended "${run.status}", want "partial"`);
        if (run.loaded !== 2 || run.rejected !== 1) {
          throw new StepError(`run ${run.id} loaded ${run.loaded} and rejected ${run.rejected} rows, want 2 and 1`);
        }
        await shot('bad-input-runs');
      });
      await step('the run detail lists line 3 as rejected, with the field count', async () => {
        await openRun(run.id);
        await page.getByTestId('reject-row').first().waitFor();
        const rejects = await page.getByTestId('reject-row').evaluateAll((rs) =>
          rs.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.innerText.trim())),
        );
        if (rejects.length !== 1) throw new StepError(`the rejects table has ${rejects.length} rows, want 1: ${JSON.stringify(rejects)}`);
        const [line, , reason, raw] = rejects[0];
        if (line !== '3') throw new StepError(`the reject is on line ${line}, want 3`);
        if (!/field/i.test(reason) || !/\b3\b/.test(reason) || !/\b4\b/.test(reason)) {
          throw new StepError(`the reject reason "${reason}" does not give the field count (3 expected, 4 found)`);
        }
        if (!raw.includes('B-200')) throw new StepError(`the reject's raw line is "${raw}", want the B-200 row`);
        const loaded = (await page.getByTestId('run-counts').innerText()).replace(/\s+/g, ' ');
        if (!/Rows loaded 2\b/.test(loaded) || !/Rows rejected 1\b/.test(loaded)) throw new StepError(`run counts read "${loaded}"`);
        log(`reject: line ${line}: ${reason}`);
        await shot('bad-input-rejects');
      });
    }

    // ---- unsupported file type: refused before any byte moves
    if (flows.has('unsupported')) {
      await step('upload notes.xlsx, which the loader does not read: the upload is refused, naming .xlsx', async () => {
        await openRuns();
        const before = await knownRunIds();
        const status = await uploadStatus(xlsx);
        const state = await status.getAttribute('data-state');
        const msg = (await status.innerText()).replace(/\s+/g, ' ').trim();
        if (state !== 'error') throw new StepError(`the upload of notes.xlsx ended "${state}", want it refused`);
        if (!msg.includes('.xlsx') && !msg.includes('notes.xlsx')) throw new StepError(`the refusal "${msg}" does not name the file`);
        if (!/CSV/.test(msg)) throw new StepError(`the refusal "${msg}" does not say which files can be uploaded`);
        await page.waitForTimeout(1500);
        const started = (await runRows(page)).filter((r) => !before.has(r.id) && r.object.endsWith('notes.xlsx'));
        if (started.length) throw new StepError(`a refused upload started run ${started[0].id}`);
        log(`refused: ${msg}`);
        await shot('unsupported-refused');
      });
    }

    // ---- jobs: Run now on an unchanged file loads nothing again
    if (flows.has('jobs')) {
      let jobRow;
      await step(`open ETL → Jobs and find the auto-created job of ${table}`, async () => {
        await page.getByTestId('nav-etl-jobs').click();
        await page.waitForURL(/\/etl\/jobs\/?$/);
        jobRow = page.locator(`[data-testid="job-row"][data-dest-table="${table}"]`);
        await jobRow.waitFor();
        if ((await jobRow.getByTestId('job-auto-created').count()) !== 1) throw new StepError(`the ${table} job is not marked as auto-created`);
        await shot('jobs');
      });
      await step('Run now answers no new load', async () => {
        await page.getByTestId('nav-etl-runs').click();
        await page.locator('[data-testid="run-row"]').first().waitFor();
        const before = await knownRunIds();
        await page.getByTestId('nav-etl-jobs').click();
        await jobRow.getByTestId('job-run').click();
        await page.waitForURL(/\/etl\/runs\/[^/]+$/);
        const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
        await page.getByTestId('stage-timeline').waitFor();
        if (before.has(runId)) {
          // The server answered the run of this object version that already exists.
          const note = (await page.getByTestId('run-now-earlier').innerText()).trim();
          if (!/no new run/i.test(note)) throw new StepError(`the "nothing new" note reads "${note}"`);
          log(`Run now: no new run; the earlier run ${runId} is shown with a note`);
        } else {
          await page.waitForSelector('[data-testid="run-status"][data-status="completed"]', { timeout: timeoutS * 1000 });
          const reason = (await page.getByTestId('run-skipped').innerText()).trim();
          if (!/unchanged/i.test(reason)) throw new StepError(`the new run ${runId} shows skip reason "${reason}", want "unchanged …"`);
          log(`Run now: new run ${runId} skipped: ${reason.replace(/\s+/g, ' ')}`);
        }
        const counts = (await page.getByTestId('run-counts').innerText()).replace(/\s+/g, ' ');
        await shot('job-run-now');
        if (!before.has(runId) && !/Rows loaded 0\b/.test(counts)) throw new StepError(`the skipped run's counts read "${counts}"`);
      });
      await step(`upload ${basename(file)} again: a new run that loads nothing, marked unchanged`, async () => {
        await openRuns();
        const before = await knownRunIds();
        const name = await upload(file);
        const run = await waitForRun(name, before);
        if (run.status !== 'completed' || run.loaded !== 0 || !run.skipped) {
          throw new StepError(`the re-upload's run ${run.id} is ${run.status} with ${run.loaded} rows loaded (skipped=${run.skipped}), want completed, 0, skipped`);
        }
        const label = (await page.locator(`[data-testid="run-row"][data-run-id="${run.id}"] [data-testid="run-skipped"]`).innerText()).trim();
        if (!/unchanged/i.test(label)) throw new StepError(`the runs list marks the skipped run "${label}"`);
        await shot('rerun-skipped-runs');
        await openRun(run.id);
        const reason = (await page.getByTestId('run-skipped').innerText()).trim();
        if (!/unchanged/i.test(reason) || !reason.includes(basename(name))) throw new StepError(`the skip reason reads "${reason}"`);
        await shot('rerun-skipped-detail');
      });
      await step(`${table} still has ${loadedRows} rows`, async () => {
        const { numRows } = await tableRows(table);
        if (numRows !== loadedRows) throw new StepError(`table ${table} has ${numRows} rows after the re-runs, want ${loadedRows}`);
      });
    }

    // ---- schedules: create a file job with a daily schedule, pause and resume it, delete it
    if (flows.has('schedules')) {
      const jobName = `daily_orders_${suffix}`;
      const row = page.locator(`[data-testid="job-row"][data-job-name="${jobName}"]`);
      const openMenu = async (item) => {
        await row.getByTestId('job-menu').click();
        await page.getByTestId(item).click();
      };
      await step('Jobs → New job: a daily file job, previewed as the user edits', async () => {
        await page.getByTestId('nav-etl-jobs').click();
        await page.waitForURL(/\/etl\/jobs\/?$/);
        await page.getByTestId('job-new').click();
        await page.getByTestId('job-name').fill(jobName);
        // The wizard: the drop folder (chosen), its files, load strategy, destination, schedule.
        await page.getByTestId('job-next').click();
        await page.getByTestId('job-pattern').fill(`${jobName}_*.csv`);
        for (let i = 0; i < 3; i++) await page.getByTestId('job-next').click();
        await page.getByTestId('schedule-label').waitFor();
        await page.getByTestId('schedule-type').getByText('Daily', { exact: true }).click();
        await page.getByTestId('schedule-time').fill('07:15');
        await page.waitForFunction(() => /^Daily 07:15/.test(document.querySelector('[data-testid="schedule-label"]')?.textContent ?? ''));
        const next = await page.getByTestId('schedule-next-run').count();
        if (next < 3) throw new StepError(`the schedule preview lists ${next} next runs, want at least 3`);
        await shot('job-editor-daily');
      });
      await step('a bad cron is refused at the field', async () => {
        await page.getByTestId('schedule-type').getByText('Cron', { exact: true }).click();
        await page.getByTestId('schedule-cron').fill('61 * * * *');
        await page.locator('[data-testid="schedule-preview"][data-state="error"]').waitFor();
        await shot('job-editor-cron-error');
        await page.getByTestId('schedule-type').getByText('Daily', { exact: true }).click();
        await page.waitForFunction(() => /^Daily 07:15/.test(document.querySelector('[data-testid="schedule-label"]')?.textContent ?? ''));
      });
      await step('save it: the list shows the schedule label and the next run', async () => {
        await page.getByTestId('job-save').click();
        await row.waitFor();
        await row.getByTestId('job-next-run').waitFor();
        const label = (await row.getByTestId('job-schedule-label').innerText()).trim();
        if (!/^Daily 07:15/.test(label)) throw new StepError(`the job's schedule reads "${label}"`);
        const next = (await row.getByTestId('job-next-run').innerText()).trim();
        if (!/^Next .*07:15/.test(next)) throw new StepError(`the job's next run reads "${next}"`);
        log(`job ${jobName}: ${label}; ${next}`);
        await shot('jobs-scheduled');
        await row.getByTestId('job-open').click();
        const detail = (await page.getByTestId('job-detail-schedule').innerText()).trim();
        if (!/^Daily 07:15/.test(detail)) throw new StepError(`the job detail's schedule reads "${detail}"`);
        await page.getByTestId('job-detail-next-runs').waitFor();
        await page.waitForTimeout(500); // the drawer slides in
        await shot('job-detail');
        await page.keyboard.press('Escape');
        await page.getByTestId('job-detail-schedule').waitFor({ state: 'detached' });
      });
      await step('pause it, then resume it', async () => {
        await openMenu('job-pause');
        await page.locator(`[data-testid="job-row"][data-job-name="${jobName}"][data-enabled="false"]`).waitFor();
        await row.getByTestId('job-paused').waitFor();
        await page.waitForFunction((n) => document.querySelector(`[data-job-name="${n}"] [data-testid="job-next-run"]`)?.textContent === 'Paused', jobName);
        await shot('jobs-paused');
        await openMenu('job-resume');
        await page.locator(`[data-testid="job-row"][data-job-name="${jobName}"][data-enabled="true"]`).waitFor();
        await page.waitForFunction((n) => /^Next /.test(document.querySelector(`[data-job-name="${n}"] [data-testid="job-next-run"]`)?.textContent ?? ''), jobName);
      });
      await step('edit it to weekly, then delete it', async () => {
        await openMenu('job-edit');
        await page.getByTestId('job-step-tab-4').click();
        await page.getByTestId('schedule-type').getByText('Weekly', { exact: true }).click();
        await page.getByTestId('schedule-day-of-week').selectOption('wed');
        await page.waitForFunction(() => /^Weekly Wed 07:15/.test(document.querySelector('[data-testid="schedule-label"]')?.textContent ?? ''));
        await shot('job-editor-edit-weekly');
        await page.getByTestId('job-save').click();
        await page.waitForFunction((n) => /^Weekly Wed 07:15/.test(document.querySelector(`[data-job-name="${n}"] [data-testid="job-schedule-label"]`)?.textContent ?? ''), jobName);
        await openMenu('job-delete');
        await shot('job-delete-confirm');
        await page.getByTestId('job-delete-confirm').click();
        await row.waitFor({ state: 'detached' });
      });
    }

    // ---- connections: a PostgreSQL connection that cannot be reached
    if (flows.has('connections')) {
      const connName = `Unreachable PG ${suffix}`;
      const row = page.locator(`[data-testid="connection-row"][data-name="${connName}"]`);
      await step('open Connections and New connection', async () => {
        await page.getByTestId('nav-connections').click();
        await page.waitForURL(/\/connections\/?$/);
        await page.locator('[data-testid="connection-row"], [data-testid="connections-empty"]').first().waitFor();
        await shot('connections');
        await page.getByTestId('connection-new').click();
        await page.getByTestId('connection-type-picker').waitFor();
        await shot('connection-types');
      });
      await step('PostgreSQL at 127.0.0.1:1: the test fails with a message', async () => {
        await page.getByTestId('pick-postgresql').click();
        await page.getByTestId('connection-name').fill(connName);
        await page.getByTestId('connection-host').fill('127.0.0.1');
        await page.getByTestId('connection-port').fill('1');
        await page.getByTestId('connection-database').fill('shop');
        await page.getByTestId('connection-username').fill('etl');
        await page.getByTestId('secret-password').fill('not-a-real-password');
        await page.getByTestId('connection-test').click();
        const res = page.getByTestId('connection-test-result');
        await res.waitFor({ timeout: 30000 });
        if ((await res.getAttribute('data-ok')) !== 'false') throw new StepError('the test of 127.0.0.1:1 did not fail');
        const msg = (await page.getByTestId('connection-test-message').innerText()).trim();
        if (!msg) throw new StepError('the failed test shows no message');
        if (msg.includes('not-a-real-password')) throw new StepError('the test message contains the password');
        if (/^[a-z]+:/.test(msg)) throw new StepError(`the test message starts with an internal prefix: ${msg}`);
        log(`test failed as expected: ${msg}`);
        await shot('connection-test-failed');
      });
      await step('save without testing: listed with its location', async () => {
        await page.getByTestId('connection-save').click();
        await row.waitFor();
        const loc = (await row.getByTestId('connection-location').innerText()).trim();
        if (loc !== '127.0.0.1:1/shop') throw new StepError(`the connection's location reads "${loc}"`);
        if ((await row.getByTestId('connection-type').getAttribute('data-type')) !== 'postgresql') throw new StepError('the connection is not shown as PostgreSQL');
        await shot('connections-list');
      });
      await step('open it: details with the password set, discovery says it cannot connect', async () => {
        await row.click();
        await page.waitForURL(/\/connections\/[^/]+$/);
        await page.getByTestId('connection-details').waitFor();
        const pw = (await page.getByTestId('detail-secret-password').innerText()).trim();
        if (pw !== 'set') throw new StepError(`the password shows "${pw}", want "set"`);
        await page.getByTestId('error-state').waitFor({ timeout: 30000 });
        await shot('connection-detail');
        await page.getByTestId('connection-detail-edit').click();
        await page.getByTestId('secret-set-password').waitFor();
        await shot('connection-edit');
        await page.keyboard.press('Escape');
      });
      await step('delete it', async () => {
        await page.getByTestId('connection-detail-delete').click();
        await page.getByTestId('connection-delete-confirm').click();
        await page.waitForURL(/\/connections\/?$/);
        await row.waitFor({ state: 'detached' });
        await shot('connections-after-delete');
      });
    }

    // ---- users: invite a viewer and sign in as them
    if (flows.has('users')) {
      if (role !== 'admin') throw new StepError(`the users flow needs an admin; ${email} is ${role}`);
      const viewerEmail = `viewer-${suffix}@e2e.test`;
      const viewerPassword = `Viewer-${suffix}-pw!`;
      await step('open Team and see the admin listed', async () => {
        await page.getByTestId('nav-team').click();
        await page.waitForURL(/\/settings\/users$/);
        const me = page.locator(`[data-testid="user-row"][data-email="${email.toLowerCase()}"]`);
        await me.waitFor();
        if ((await me.getAttribute('data-role')) !== 'admin') throw new StepError(`${email} is listed as ${await me.getAttribute('data-role')}`);
      });
      await step('inviting an existing email is refused at the email field', async () => {
        await page.getByTestId('invite-email').fill(email);
        await page.getByTestId('invite-password').fill(viewerPassword);
        await page.getByTestId('invite-submit').click();
        const err = (await page.getByTestId('invite-email-error').innerText()).trim();
        if (err !== 'A user with this email exists.') throw new StepError(`the duplicate email shows "${err}"`);
        if ((await page.getByTestId('invite-success').count()) !== 0) throw new StepError('the duplicate shows a success message');
        await shot('users-duplicate');
      });
      await step(`invite ${viewerEmail} as a viewer`, async () => {
        await page.getByTestId('invite-email').fill(viewerEmail);
        await page.getByTestId('invite-name').fill('Vera Viewer');
        await page.getByTestId('invite-role').selectOption('viewer');
        await page.getByTestId('invite-password').fill(viewerPassword);
        await page.getByTestId('invite-submit').click();
        await page.getByTestId('invite-success').waitFor();
        const row = page.locator(`[data-testid="user-row"][data-email="${viewerEmail}"]`);
        await row.waitFor();
        if ((await row.getAttribute('data-role')) !== 'viewer') throw new StepError(`${viewerEmail} is listed as ${await row.getAttribute('data-role')}`);
        if (!(await row.innerText()).includes('Vera Viewer')) throw new StepError('the new user has not got the name given');
        await shot('users-invited');
      });
      await step(`sign out and sign in as ${viewerEmail}`, async () => {
        await signOut();
        const r = await signIn(viewerEmail, viewerPassword);
        if (r !== 'viewer') throw new StepError(`the header shows role "${r}", want viewer`);
      });
      await step('the viewer sees a read-only runs page, no Run now and no Team', async () => {
        await openRuns();
        await page.getByTestId('read-only-note').waitFor();
        if ((await page.getByTestId('upload-dropzone').count()) !== 0) throw new StepError('the viewer sees the upload zone');
        if ((await page.getByTestId('nav-team').count()) !== 0) throw new StepError('the viewer sees the Team entry');
        await shot('viewer-runs');
        await page.getByTestId('nav-etl-jobs').click();
        await page.getByTestId('job-row').first().waitFor();
        if ((await page.getByTestId('job-run').count()) !== 0) throw new StepError('the viewer sees "Run now"');
        await shot('viewer-jobs');
        await page.goto(baseUrl + '/settings/users');
        await page.getByTestId('forbidden').waitFor();
        await shot('viewer-team-forbidden');
      });
      await step('the viewer signs out', async () => {
        await signOut();
      });
    }

    const relevant = consoleErrors.filter((e) => !/401|403|409|Unauthorized|Failed to load resource/.test(e));
    if (relevant.length) log(`browser console errors (not fatal):\n  ${relevant.join('\n  ')}`);
    log(`OK: ${[...flows].join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`\nE2E FAILED: ${e instanceof StepError ? e.message : e?.stack ?? e}`);
    process.exit(1);
  },
);
