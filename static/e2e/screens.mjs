#!/usr/bin/env node
// Screenshots of the screens the e2e chain does not visit, against the mock server, for design
// review: runs (with the server's 24 h tiles), jobs, a partial run with rejects, a failed run and its re-run
// (running and done, with its log), the ETL dashboard (30 and 7 days), the BigQuery and Firestore
// connection forms, a "coming next" area, the viewer's
// read-only runs page, the admin's Team page (also phone-sized), a missing page and a phone-sized
// runs page. Output: e2e/screenshots/screen-*.png
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { MOCK_PASSWORD, startMockServer } from './mock-server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const out = join(HERE, 'screenshots');
mkdirSync(out, { recursive: true });
// B2B_SCREENS_DIST: a build elsewhere than dist/ (npx vite build --outDir /tmp/spa-build).
const srv = await startMockServer({ port: 0, distDir: process.env.B2B_SCREENS_DIST || join(HERE, '..', 'dist') });
const profile = mkdtempSync(join(tmpdir(), 'b2b-screens-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.B2B_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] ?? (await ctx.newPage());
page.setDefaultTimeout(10000);
const shot = async (name) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `screen-${name}.png`), fullPage: true });
  console.log(`screen-${name}.png`);
};
const login = async (email) => {
  await page.goto(srv.url + '/login');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(MOCK_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('tenant-name').waitFor();
};
try {
  await login('editor@acme.test');
  await page.locator('[data-testid="runs-summary"][data-state="ok"]').waitFor();
  await page.getByTestId('run-row').first().waitFor();
  await shot('runs');
  await page.getByTestId('nav-etl-jobs').click();
  await page.getByTestId('job-row').first().waitFor();
  await shot('jobs');
  await page.getByTestId('nav-etl-runs').click();
  await page.locator('[data-testid="run-row"][data-status="partial"]').click();
  await page.getByTestId('reject-row').first().waitFor();
  await page.getByTestId('log-line').first().waitFor();
  await shot('run-partial');
  await page.goBack();
  await page.locator('[data-testid="run-row"][data-status="failed"]').first().click();
  await page.getByTestId('stage-timeline').waitFor();
  await page.getByTestId('log-line').first().waitFor();
  await shot('run-failed');
  // Re-run: the new run's page, "re-run of", its log growing while it runs.
  await page.getByTestId('run-rerun').click();
  await page.getByTestId('run-retry-of').waitFor();
  await page.locator('[data-testid="log-line"][data-stage="extraction"]').first().waitFor();
  await shot('run-retry-running');
  await page.locator('[data-testid="log-line"][data-stage="load"]').waitFor({ timeout: 15000 });
  await shot('run-retry-done');
  await page.getByTestId('nav-etl-dashboard').click();
  await page.locator('[data-testid="dashboard"][data-state="ok"]').waitFor();
  await page.getByTestId('failures-chart').waitFor();
  await shot('dashboard');
  await page.getByText('7 days').click();
  await page.locator('[data-testid="dashboard"][data-days="7"]').waitFor();
  await shot('dashboard-7-days');
  await page.getByTestId('nav-connections').click();
  await page.getByTestId('connection-new').click();
  await page.getByTestId('pick-bigquery').click();
  await page.getByTestId('connection-name').fill('Public data');
  await page.getByTestId('connection-project').fill('acme-prod');
  await page.getByTestId('connection-data_project').fill('bigquery-public-data');
  await page.getByTestId('connection-test').click();
  await page.getByTestId('connection-test-result').waitFor();
  await shot('connection-bigquery');
  await page.keyboard.press('Escape');
  await page.getByTestId('connection-new').click();
  await page.getByTestId('pick-firestore').click();
  await page.getByTestId('connection-form').waitFor();
  await shot('connection-firestore');
  await page.keyboard.press('Escape');
  await page.getByTestId('nav-models').click();
  await page.getByTestId('coming-next').waitFor();
  await shot('coming-next');
  await page.goto(srv.url + '/no/such/page');
  await page.getByTestId('not-found').waitFor();
  await shot('not-found');
  await page.goto(srv.url + '/etl/tables/raw_data/nope');
  await page.getByTestId('error-state').waitFor();
  await shot('table-missing');
  await page.getByTestId('logout').click();
  await page.getByTestId('login-email').waitFor();
  await login('admin@acme.test');
  await page.getByTestId('nav-team').click();
  await page.getByTestId('user-row').first().waitFor();
  await page.getByTestId('invite-email').fill('nia@acme.test');
  await page.getByTestId('invite-name').fill('Nia New');
  await page.getByTestId('invite-password').fill('short');
  await shot('team');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('mobile-team');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByTestId('logout').click();
  await page.getByTestId('login-email').waitFor();
  await login('viewer@acme.test');
  await page.getByTestId('nav-etl-runs').click();
  await page.getByTestId('read-only-note').waitFor();
  await shot('viewer-runs');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('mobile-runs');
} finally {
  await ctx.close();
  await srv.close();
  rmSync(profile, { recursive: true, force: true });
}
