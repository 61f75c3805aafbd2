#!/usr/bin/env node
// Builds the SPA if needed, starts the mock API on a free port and runs the e2e chain against it.
//   npm run e2e:mock            (uses e2e/fixtures/online_retail.csv unless B2B_E2E_FILE is set)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOCK_PASSWORD, startMockServer } from './mock-server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

if (!existsSync(join(ROOT, 'dist', 'index.html')) || process.env.B2B_E2E_REBUILD === '1') {
  console.log('[e2e:mock] building the SPA (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const srv = await startMockServer({ port: 0, distDir: join(ROOT, 'dist'), runSeconds: 6 });
console.log(`[e2e:mock] mock server on ${srv.url}`);

const child = spawn(process.execPath, [join(HERE, 'chain.e2e.mjs')], {
  stdio: 'inherit',
  env: {
    ...process.env,
    B2B_E2E_URL: srv.url,
    B2B_E2E_EMAIL: 'editor@acme.test',
    B2B_E2E_PASSWORD: MOCK_PASSWORD,
    B2B_E2E_FILE: process.env.B2B_E2E_FILE || join(HERE, 'fixtures', 'online_retail.csv'),
    B2B_E2E_TENANT: 'Acme Wholesale Ltd',
    // The mock has no loader, users or skip logic: only the upload → table chain is real there.
    B2B_E2E_FLOWS: process.env.B2B_E2E_FLOWS || 'chain',
  },
});
const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 1 : 0))));
await srv.close();
process.exit(code);
