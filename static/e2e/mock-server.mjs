#!/usr/bin/env node
// A small in-memory stand-in for the b2brecs API (docs/api.md) that also serves the built SPA
// from dist/ with an index.html fallback. For development and for proving the e2e script; the
// real server is the Go binary. It checks what it receives: bearer tokens, roles, the multipart
// field name, and answers errors as {"error":{"kind","message"}}.
//
//   node e2e/mock-server.mjs [--port 18080] [--dist dist]
//
// Users (password "demo-pass"): editor@acme.test (editor), viewer@acme.test (viewer),
// admin@acme.test (admin).

import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
export const MOCK_PASSWORD = 'demo-pass';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

/** Sanitisation of names as the platform does it (spec: non-word → _, collapse, trim, col_ prefix, lower). */
export function sanitiseName(s) {
  let n = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (/^[0-9]/.test(n)) n = 'col_' + n;
  if (!n) n = 'column';
  n = n.slice(0, 300).replace(/_+$/, '');
  return n.toLowerCase();
}

/** "online_retail.csv.gz" → "online_retail". */
export function tableNameForFile(fileName) {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(/(\.(gz|gzip|bz2|zst))?$/i, '').replace(/\.(csv|tsv|txt|json|jsonl|ndjson|parquet)$/i, '');
  return sanitiseName(stem);
}

function sanitiseFileName(name) {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '') || 'upload';
}

class HttpError extends Error {
  constructor(status, kind, message) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

// --- CSV helpers (RFC 4180 quoting)
function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function inferType(values) {
  const vs = values.filter((v) => v !== '');
  if (vs.length === 0) return 'STRING';
  if (vs.every((v) => /^-?\d+$/.test(v))) return 'INT64';
  if (vs.every((v) => /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v))) return 'FLOAT64';
  if (vs.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?/.test(v))) return 'TIMESTAMP';
  if (vs.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'DATE';
  if (vs.every((v) => /^(true|false)$/i.test(v))) return 'BOOL';
  return 'STRING';
}

function convert(v, type) {
  if (v === '') return null;
  if (type === 'INT64') return Number(v);
  if (type === 'FLOAT64') return Number(v);
  if (type === 'BOOL') return /^true$/i.test(v);
  if (type === 'TIMESTAMP') return v.replace(' ', 'T') + (v.length <= 16 ? ':00' : '') + 'Z';
  return v;
}

/** Reads a CSV body: schema, first rows, good row count and rejects. */
function analyseCsv(buf, fileName) {
  let data = buf;
  if (/\.gz$/i.test(fileName) || (buf[0] === 0x1f && buf[1] === 0x8b)) data = gunzipSync(buf);
  const text = data.toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new HttpError(400, 'invalid', 'The file is empty.');
  const header = parseCsvLine(lines[0]);
  const names = header.map(sanitiseName);
  const sample = [];
  let good = 0;
  const rejects = [];
  for (let i = 1; i < lines.length; i++) {
    const f = parseCsvLine(lines[i]);
    if (f.length !== header.length) {
      if (rejects.length < 500)
        rejects.push({
          line: i + 1,
          column: '',
          reason: `expected ${header.length} fields, found ${f.length}`,
          raw: lines[i].slice(0, 200),
        });
      else rejects.push(null);
      continue;
    }
    good++;
    if (sample.length < 200) sample.push(f);
  }
  const types = names.map((_, j) => inferType(sample.map((r) => r[j])));
  const schema = names.map((name, j) => ({ name, type: types[j], nullable: true }));
  const preview = sample.slice(0, 100).map((r) => r.map((v, j) => convert(v, types[j])));
  return { schema, preview, rowsRead: lines.length - 1, rowsLoaded: good, rejects, bytes: data.length };
}

/** Splits a multipart/form-data body into parts. */
function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!m) throw new HttpError(400, 'invalid', 'Expected a multipart/form-data body.');
  const boundary = Buffer.from('--' + (m[1] ?? m[2]).trim());
  const parts = [];
  let pos = buf.indexOf(boundary);
  while (pos !== -1) {
    const start = pos + boundary.length;
    if (buf.slice(start, start + 2).toString() === '--') break;
    const headerEnd = buf.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) break;
    const headers = buf.slice(start + 2, headerEnd).toString('utf8');
    const next = buf.indexOf(boundary, headerEnd + 4);
    if (next === -1) break;
    const body = buf.slice(headerEnd + 4, next - 2); // strip CRLF before boundary
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    parts.push({ name, filename, body });
    pos = next;
  }
  return parts;
}

function iso(t) {
  return new Date(t).toISOString();
}

function emptyStages() {
  return {
    init_completed_at: null,
    validation_completed_at: null,
    extraction_started_at: null,
    extraction_completed_at: null,
    loading_started_at: null,
    loading_completed_at: null,
  };
}

/** The schedule of a job without one, as job views show it (jobs are answered as views). */
const MANUAL = {
  schedule: { spec: { type: 'manual' }, cron: '', time_zone: '', label: 'Manual', paused: false },
  next_runs: null,
};

/** GET /api/runs/summary: run counts over the last `hours` hours. */
function runsSummary(runs, hours, now = Date.now()) {
  const start = now - hours * 3600e3;
  const ended = runs.filter((r) => r.completed_at && Date.parse(r.completed_at) >= start);
  const sum = (f) => ended.reduce((n, r) => n + (r[f] ?? 0), 0);
  return {
    windowStart: new Date(start).toISOString(),
    windowEnd: new Date(now).toISOString(),
    active: runs.filter((r) => r.status === 'pending' || r.status === 'running').length,
    completed: ended.filter((r) => r.status !== 'failed').length,
    failed: ended.filter((r) => r.status === 'failed').length,
    rowsLoaded: sum('rows_loaded'),
    rowsRejected: sum('rows_rejected'),
  };
}

/** GET /api/etl/dashboard: the runs that finished in the last `days` days, in all and per job. */
function etlDashboard(runs, days, now = Date.now()) {
  const start = now - days * 86400e3;
  const stats = (rs) => {
    const succeeded = rs.filter((r) => r.status === 'completed' || r.status === 'partial').length;
    const failed = rs.filter((r) => r.status === 'failed');
    const started = rs.filter((r) => r.started_at);
    const failures = {};
    for (const r of failed) failures[r.error_type || 'unknown'] = (failures[r.error_type || 'unknown'] ?? 0) + 1;
    return {
      runs: rs.length,
      succeeded,
      failed: failed.length,
      cancelled: rs.filter((r) => r.status === 'cancelled').length,
      success_rate: succeeded + failed.length ? succeeded / (succeeded + failed.length) : null,
      rows_loaded: rs.reduce((n, r) => n + (r.rows_loaded ?? 0), 0),
      mean_duration_seconds: started.length ? started.reduce((n, r) => n + (r.duration_seconds ?? 0), 0) / started.length : 0,
      failures_by_error_type: failures,
    };
  };
  const ended = runs.filter((r) => r.completed_at && Date.parse(r.completed_at) >= start);
  const byJob = new Map();
  for (const r of ended) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
  const jobs = [...byJob.entries()]
    .map(([id, rs]) => ({ job_id: id, job_name: rs[0].job_name, ...stats(rs) }))
    .sort((a, b) => b.runs - a.runs || a.job_name.localeCompare(b.job_name));
  return { days, window_start: new Date(start).toISOString(), window_end: new Date(now).toISOString(), ...stats(ended), jobs };
}

/** Appends a line to a run's log (GET /api/runs/{id}/logs), as the platform's run log does. */
function logLine(state, run, level, stage, message, counts, time = new Date().toISOString()) {
  const lines = state.logs.get(run.id) ?? [];
  lines.push({ seq: lines.length + 1, time, level, stage, message, ...(counts ? { counts } : {}) });
  state.logs.set(run.id, lines);
}

/** The log a finished seeded run would have written. */
function seedLog(state, run) {
  const t = (stamp) => stamp ?? run.completed_at;
  const file = run.object?.name ?? 'the source';
  logLine(state, run, 'info', 'init', `run started (${run.trigger.replace('_', ' ')}) for ${file}`, undefined, run.started_at);
  logLine(state, run, 'info', 'validation', `read the header of ${file}: 5 columns`, undefined, t(run.stages.init_completed_at));
  if (run.status === 'failed') {
    logLine(state, run, 'error', run.error_type || 'extraction', run.error_message, { rows_read: run.rows_read }, run.completed_at);
    return;
  }
  if (run.status === 'cancelled') {
    logLine(state, run, 'warn', 'extraction', 'cancelled by a user: nothing was loaded', { rows_read: run.rows_read }, run.completed_at);
    return;
  }
  logLine(state, run, 'info', 'extraction', 'extraction started', undefined, t(run.stages.extraction_started_at));
  if (run.rows_rejected > 0) {
    logLine(state, run, 'warn', 'extraction', `${run.rows_rejected} rows rejected (see the rejected rows)`, { rows_read: run.rows_read, rows_rejected: run.rows_rejected }, t(run.stages.extraction_completed_at));
  }
  logLine(state, run, 'info', 'extraction', `extracted ${run.rows_read} rows into 1 staged part`, { rows_read: run.rows_read, bytes: run.bytes_processed }, t(run.stages.extraction_completed_at));
  logLine(state, run, 'info', 'load', `loaded ${run.rows_loaded} rows into ${run.dest.dataset}.${run.dest.table}`, { rows_loaded: run.rows_loaded }, t(run.stages.loading_completed_at));
}

/** Creates the in-memory state with a couple of seeded jobs, runs and tables. */
function seed() {
  const now = Date.now();
  const tenant = { id: 'tn_acme', name: 'Acme Wholesale Ltd', created_at: iso(now - 40 * 86400e3) };
  const users = ['editor', 'viewer', 'admin'].map((role, i) => ({
    id: `us_${role}`,
    tenant_id: tenant.id,
    email: `${role}@acme.test`,
    name: ['Erin Editor', 'Victor Viewer', 'Ada Admin'][i],
    role,
    created_at: tenant.created_at,
  }));
  const state = { tenant, users, tokens: new Map(), jobs: [], runs: [], tables: new Map(), rejects: new Map(), logs: new Map(), files: [], timers: new Set() };

  const customersSchema = [
    { name: 'customer_id', type: 'INT64', nullable: false },
    { name: 'company', type: 'STRING', nullable: true },
    { name: 'country', type: 'STRING', nullable: true },
    { name: 'segment', type: 'STRING', nullable: true },
    { name: 'created_at', type: 'TIMESTAMP', nullable: true },
  ];
  const companies = ['Northwind Traders', 'Contoso Retail', 'Fabrikam Supplies', 'Tailspin Gifts', 'Wide World Importers', 'Adventure Works'];
  const customerRows = companies.map((c, i) => [12340 + i, c, ['United Kingdom', 'France', 'Germany', 'Netherlands', 'EIRE', 'Spain'][i], i % 2 ? 'Retail' : 'Horeca', iso(now - (30 - i) * 86400e3)]);
  state.tables.set('raw_data.customers', {
    dataset: 'raw_data',
    name: 'customers',
    schema: customersSchema,
    num_rows: 4372,
    num_bytes: 312_448,
    created: iso(now - 9 * 86400e3),
    modified: iso(now - 3 * 3600e3),
    preview: customerRows,
  });

  const jobCustomers = {
    id: 'jb_customers',
    name: 'customers',
    source_type: 'file',
    file: { prefix: 'drop/', pattern: 'customers*.csv', format: 'csv' },
    dest: { dataset: 'raw_data', table: 'customers' },
    load_mode: 'truncate',
    schedule: {
      spec: { type: 'daily', time: '02:00', time_zone: 'Europe/London' },
      cron: '0 2 * * *',
      time_zone: 'Europe/London',
      label: 'Daily 02:00 Europe/London',
      paused: false,
    },
    next_runs: [1, 2, 3].map((d) => iso(Math.floor(now / 86400e3 + d) * 86400e3 + 2 * 3600e3)),
    auto_created: false,
    enabled: true,
    created_at: iso(now - 9 * 86400e3),
    last_run: null,
  };
  const jobProducts = {
    id: 'jb_products',
    name: 'products',
    source_type: 'file',
    file: { prefix: 'drop/', pattern: 'products.csv', format: 'csv' },
    dest: { dataset: 'raw_data', table: 'products' },
    load_mode: 'append',
    ...MANUAL,
    auto_created: true,
    enabled: true,
    created_at: iso(now - 2 * 86400e3),
    last_run: null,
  };
  state.jobs.push(jobCustomers, jobProducts);

  const mk = (job, status, minsAgo, durS, counts, extra = {}) => {
    const created = now - minsAgo * 60e3;
    const started = created + 800;
    const done = started + durS * 1000;
    const st = {
      init_completed_at: iso(started + durS * 50),
      validation_completed_at: iso(started + durS * 100),
      extraction_started_at: iso(started + durS * 110),
      extraction_completed_at: iso(started + durS * 600),
      loading_started_at: iso(started + durS * 610),
      loading_completed_at: iso(done - 200),
    };
    if (status === 'failed' || status === 'cancelled') {
      st.extraction_completed_at = null;
      st.loading_started_at = null;
      st.loading_completed_at = null;
    }
    const run = {
      id: 'rn_' + randomUUID().slice(0, 12),
      job_id: job.id,
      job_name: job.name,
      status,
      trigger: extra.trigger ?? 'file_drop',
      object: { bucket: 'acme-drop', name: extra.objectName ?? `drop/${job.name}.csv`, generation: String(created), size: extra.size ?? 48_211 },
      dest: job.dest,
      created_at: iso(created),
      started_at: iso(started),
      completed_at: iso(done),
      stages: st,
      rows_read: counts[0],
      rows_loaded: counts[1],
      rows_rejected: counts[2],
      bytes_processed: extra.size ?? 48_211,
      duration_seconds: durS,
      rows_per_second: durS > 0 ? counts[0] / durS : 0,
      progress: { rows_read: counts[0], phase: 'done' },
      error_type: extra.error_type ?? '',
      error_message: extra.error_message ?? '',
      skipped_reason: '',
    };
    state.runs.push(run);
    job.last_run = { id: run.id, status: run.status, completed_at: run.completed_at };
    seedLog(state, run);
    return run;
  };
  // A month of nightly customer loads (two failed at the load, one cancelled) for the dashboard.
  for (let d = 29; d >= 2; d--) {
    const load = d === 17 || d === 8;
    const cancelled = d === 12;
    mk(jobCustomers, load ? 'failed' : cancelled ? 'cancelled' : 'completed', d * 1440 + 60, 3 + (d % 5) * 0.7, load || cancelled ? [4300 + d, 0, 0] : [4300 + d, 4300 + d, 0], {
      trigger: 'schedule',
      size: 310_000 + d * 40,
      objectName: `drop/customers_day${30 - d}.csv`,
      ...(load ? { error_type: 'load', error_message: 'The warehouse did not answer in time; nothing was loaded. The next run loads the file again.' } : {}),
    });
  }
  mk(jobCustomers, 'completed', 60 * 26, 4.2, [4372, 4372, 0], { trigger: 'schedule', size: 312_448, objectName: 'drop/customers_2024-11.csv' });
  const failed = mk(jobProducts, 'failed', 95, 1.7, [0, 0, 0], {
    objectName: 'drop/products.csv',
    size: 9_120,
    error_type: 'extraction',
    error_message: 'CSV header has 7 columns but the table products expects 8: column "unit_price" is missing.',
  });
  const partial = mk(jobCustomers, 'partial', 42, 5.9, [4380, 4372, 8], { trigger: 'manual', size: 313_002, objectName: 'drop/customers_2024-12.csv' });
  state.rejects.set(failed.id, []);
  state.rejects.set(
    partial.id,
    Array.from({ length: 8 }, (_, i) => ({
      line: 118 + i * 431,
      column: i % 3 === 0 ? 'customer_id' : i % 3 === 1 ? 'created_at' : '',
      reason: i % 3 === 0 ? 'cannot parse "C1234" as INT64' : i % 3 === 1 ? 'cannot parse "31/02/2024" as TIMESTAMP' : 'expected 5 fields, found 6',
      raw: `${i % 3 === 0 ? 'C1234' : 12400 + i},"Shop ${i}, Ltd",United Kingdom,Retail,${i % 3 === 1 ? '31/02/2024' : '2024-02-01 10:00:00'}`,
    })),
  );
  state.runs.sort((a, b) => b.created_at.localeCompare(a.created_at));
  return state;
}

export function createMockApi(opts = {}) {
  const state = seed();
  const speed = opts.runSeconds ?? 6; // how long a simulated run takes

  const json = (res, status, body) => {
    const s = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(s);
  };

  const auth = (req, minRole) => {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(h);
    const sess = m ? state.tokens.get(m[1]) : undefined;
    if (!sess) throw new HttpError(401, 'unauthenticated', 'Missing or invalid token.');
    if (Date.parse(sess.expires_at) < Date.now()) throw new HttpError(401, 'unauthenticated', 'Token expired.');
    const user = state.users.find((u) => u.id === sess.userId);
    const rank = { viewer: 0, editor: 1, admin: 2 };
    if (rank[user.role] < rank[minRole]) throw new HttpError(403, 'permission', `This needs the ${minRole} role.`);
    return user;
  };

  const readBody = (req, limit = 200 * 1024 * 1024) =>
    new Promise((resolveBody, reject) => {
      const chunks = [];
      let n = 0;
      req.on('data', (c) => {
        n += c.length;
        if (n > limit) {
          reject(new HttpError(400, 'invalid', 'Body too large.'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolveBody(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const laterAll = (ms, fn) => {
    const t = setTimeout(() => {
      state.timers.delete(t);
      fn();
    }, ms);
    state.timers.add(t);
  };

  /** Walks a run through its stages over `speed` seconds; a cancelled run stops where it is. */
  const simulate = (run, job, analysis) => {
    const step = (speed * 1000) / 8;
    const total = analysis?.rowsRead ?? 0;
    const at = () => new Date().toISOString();
    const later = (ms, fn) => laterAll(ms, () => run.status !== 'cancelled' && fn());
    const log = (level, stage, message, counts) => logLine(state, run, level, stage, message, counts);
    later(step, () => {
      run.status = 'running';
      run.started_at = at();
      run.progress = { rows_read: 0, phase: 'init' };
      log('info', 'init', `run started (${run.trigger.replace('_', ' ')}) for ${run.object?.name ?? 'the source'}`);
    });
    later(step * 2, () => {
      run.stages.init_completed_at = at();
      run.progress.phase = 'validation';
      if (!analysis) {
        run.status = 'failed';
        run.error_type = 'validation';
        run.error_message = 'Only CSV files (optionally .gz) are understood by the mock server.';
        log('error', 'validation', run.error_message);
        run.completed_at = at();
        run.duration_seconds = (Date.parse(run.completed_at) - Date.parse(run.started_at)) / 1000;
        job.last_run = { id: run.id, status: run.status, completed_at: run.completed_at };
      }
    });
    if (!analysis) return;
    later(step * 3, () => {
      run.stages.validation_completed_at = at();
      run.stages.extraction_started_at = at();
      run.progress = { rows_read: Math.round(total * 0.2), phase: 'extraction' };
      log('info', 'validation', `read the header: ${analysis.schema.length} columns`);
      log('info', 'extraction', 'extraction started');
    });
    later(step * 4, () => (run.progress.rows_read = Math.round(total * 0.55)));
    later(step * 5, () => {
      run.progress = { rows_read: total, phase: 'extraction' };
      run.rows_read = total;
      run.stages.extraction_completed_at = at();
      if (analysis.rejects.length > 0) {
        log('warn', 'extraction', `${analysis.rejects.length} rows rejected (see the rejected rows)`, { rows_read: total, rows_rejected: analysis.rejects.length });
      }
      log('info', 'extraction', `extracted ${total} rows into 1 staged part`, { rows_read: total, bytes: analysis.bytes });
    });
    later(step * 6, () => {
      run.stages.loading_started_at = at();
      run.progress.phase = 'loading';
    });
    later(step * 7.5, () => {
      const done = at();
      run.stages.loading_completed_at = done;
      run.completed_at = done;
      run.rows_loaded = analysis.rowsLoaded;
      run.rows_rejected = analysis.rejects.length;
      run.bytes_processed = analysis.bytes;
      run.progress = { rows_read: total, phase: 'done' };
      run.status = analysis.rejects.length > 0 ? 'partial' : 'completed';
      run.duration_seconds = (Date.parse(done) - Date.parse(run.started_at)) / 1000;
      run.rows_per_second = run.duration_seconds > 0 ? total / run.duration_seconds : 0;
      log('info', 'load', `loaded ${analysis.rowsLoaded} rows into ${job.dest.dataset}.${job.dest.table}`, { rows_loaded: analysis.rowsLoaded });
      state.rejects.set(run.id, analysis.rejects.filter(Boolean));
      job.last_run = { id: run.id, status: run.status, completed_at: done };
      const key = `${job.dest.dataset}.${job.dest.table}`;
      const prev = state.tables.get(key);
      state.tables.set(key, {
        dataset: job.dest.dataset,
        name: job.dest.table,
        schema: analysis.schema,
        num_rows: (job.load_mode === 'append' && prev ? prev.num_rows : 0) + analysis.rowsLoaded,
        num_bytes: (job.load_mode === 'append' && prev ? prev.num_bytes : 0) + analysis.bytes,
        created: prev?.created ?? done,
        modified: done,
        preview: analysis.preview,
      });
    });
  };

  const startRun = (job, trigger, object, analysis, retryOf = '') => {
    const run = {
      id: 'rn_' + randomUUID().slice(0, 12),
      job_id: job.id,
      job_name: job.name,
      status: 'pending',
      trigger,
      object,
      dest: job.dest,
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      stages: emptyStages(),
      rows_read: 0,
      rows_loaded: 0,
      rows_rejected: 0,
      bytes_processed: 0,
      duration_seconds: 0,
      progress: { rows_read: 0, phase: 'pending' },
      error_type: '',
      error_message: '',
      skipped_reason: '',
      rows_per_second: 0,
      ...(retryOf ? { retry_of: retryOf } : {}),
    };
    state.runs.unshift(run);
    job.last_run = { id: run.id, status: run.status, completed_at: null };
    simulate(run, job, analysis);
    return run;
  };

  const lastAnalysis = new Map(); // job id → analysis of its latest file, for manual re-runs

  async function route(req, res, url) {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    let m;

    if (p === '/api/health' && method === 'GET') return json(res, 200, { status: 'ok', version: 'mock' });

    if (p === '/api/auth/login' && method === 'POST') {
      let body;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      } catch {
        throw new HttpError(400, 'invalid', 'Body is not JSON.');
      }
      if (typeof body.email !== 'string' || typeof body.password !== 'string') throw new HttpError(400, 'invalid', 'email and password are required.');
      const user = state.users.find((u) => u.email === body.email.toLowerCase());
      if (!user || body.password !== MOCK_PASSWORD) throw new HttpError(401, 'unauthenticated', 'Invalid email or password.');
      const token = randomUUID();
      const expires_at = new Date(Date.now() + 8 * 3600e3).toISOString();
      state.tokens.set(token, { userId: user.id, expires_at });
      return json(res, 200, { token, expires_at, user, tenant: state.tenant });
    }

    if (p === '/api/auth/me' && method === 'GET') {
      const user = auth(req, 'viewer');
      return json(res, 200, { user, tenant: state.tenant });
    }
    if (p === '/api/auth/logout' && method === 'POST') {
      auth(req, 'viewer');
      state.tokens.delete(req.headers.authorization.slice(7));
      res.writeHead(204);
      return res.end();
    }
    if (p === '/api/tenants/current' && method === 'GET') {
      auth(req, 'viewer');
      return json(res, 200, state.tenant);
    }

    if (p === '/api/users' && method === 'GET') {
      auth(req, 'admin');
      return json(res, 200, { users: state.users });
    }
    if (p === '/api/users' && method === 'POST') {
      auth(req, 'admin');
      let body;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      } catch {
        throw new HttpError(400, 'invalid', 'invalid JSON body');
      }
      const email = String(body.email ?? '').trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new HttpError(400, 'invalid', 'tenancy: invalid email address');
      if (!['admin', 'editor', 'viewer'].includes(body.role)) throw new HttpError(400, 'invalid', `tenancy: unknown role "${body.role}" (want admin, editor or viewer)`);
      if (Array.from(String(body.password ?? '')).length < 10) throw new HttpError(400, 'invalid', 'tenancy: password must have at least 10 characters');
      if (state.users.some((u) => u.email === email)) throw new HttpError(409, 'conflict', 'tenancy: a user with this email already exists in the tenant');
      const user = {
        id: 'us_' + randomUUID().slice(0, 8),
        tenant_id: state.tenant.id,
        email,
        name: String(body.name ?? '').trim() || email.split('@')[0],
        role: body.role,
        created_at: new Date().toISOString(),
      };
      state.users.push(user);
      return json(res, 201, user);
    }

    if (p === '/api/jobs' && method === 'GET') {
      auth(req, 'viewer');
      return json(res, 200, { jobs: state.jobs });
    }
    if ((m = /^\/api\/jobs\/([^/]+)$/.exec(p)) && method === 'GET') {
      auth(req, 'viewer');
      const job = state.jobs.find((j) => j.id === decodeURIComponent(m[1]));
      if (!job) throw new HttpError(404, 'not_found', 'No such job.');
      return json(res, 200, job);
    }
    if ((m = /^\/api\/jobs\/([^/]+)\/runs$/.exec(p)) && method === 'POST') {
      auth(req, 'editor');
      const job = state.jobs.find((j) => j.id === decodeURIComponent(m[1]));
      if (!job) throw new HttpError(404, 'not_found', 'No such job.');
      const prevRun = state.runs.find((r) => r.job_id === job.id && r.object);
      return json(res, 202, startRun(job, 'manual', prevRun?.object ?? null, lastAnalysis.get(job.id)));
    }

    if (p === '/api/runs' && method === 'GET') {
      auth(req, 'viewer');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 500);
      const jobId = url.searchParams.get('job_id');
      const status = url.searchParams.get('status');
      const runs = state.runs.filter((r) => (!jobId || r.job_id === jobId) && (!status || r.status === status)).slice(0, limit);
      return json(res, 200, { runs });
    }
    if (p === '/api/runs/summary' && method === 'GET') {
      auth(req, 'viewer');
      const hours = Number(url.searchParams.get('hours') ?? 24);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) throw new HttpError(400, 'invalid', 'hours must be a whole number from 1 to 744.');
      return json(res, 200, runsSummary(state.runs, hours));
    }
    if ((m = /^\/api\/runs\/([^/]+)$/.exec(p)) && method === 'GET') {
      auth(req, 'viewer');
      const run = state.runs.find((r) => r.id === decodeURIComponent(m[1]));
      if (!run) throw new HttpError(404, 'not_found', 'No such run.');
      return json(res, 200, run);
    }
    if ((m = /^\/api\/runs\/([^/]+)\/(logs|cancel|retry|rejects\/download)$/.exec(p))) {
      const op = m[2];
      const wanted = op === 'logs' || op === 'rejects/download' ? 'GET' : 'POST';
      if (method !== wanted) throw new HttpError(405, 'invalid', `${method} is not allowed here.`);
      auth(req, wanted === 'GET' ? 'viewer' : 'editor');
      const run = state.runs.find((r) => r.id === decodeURIComponent(m[1]));
      if (!run) throw new HttpError(404, 'not_found', 'There is no such run.');
      const active = run.status === 'pending' || run.status === 'running';
      if (op === 'logs') return json(res, 200, { run_id: run.id, lines: state.logs.get(run.id) ?? [], dropped: 0 });
      if (op === 'cancel') {
        if (!active) throw new HttpError(409, 'conflict', `This run has finished (${run.status}); there is nothing to cancel.`);
        if (run.stages.loading_started_at) throw new HttpError(409, 'conflict', `This run is loading into ${run.dest.dataset}.${run.dest.table} already and cannot be cancelled.`);
        run.status = 'cancelled';
        run.completed_at = new Date().toISOString();
        run.duration_seconds = run.started_at ? (Date.parse(run.completed_at) - Date.parse(run.started_at)) / 1000 : 0;
        logLine(state, run, 'warn', run.progress.phase === 'pending' ? 'init' : run.progress.phase, 'cancelled by a user: nothing was loaded');
        const job = state.jobs.find((j) => j.id === run.job_id);
        if (job) job.last_run = { id: run.id, status: run.status, completed_at: run.completed_at };
        return json(res, 200, run);
      }
      if (op === 'retry') {
        if (active) throw new HttpError(409, 'conflict', 'This run has not finished yet; re-run it once it has.');
        const job = state.jobs.find((j) => j.id === run.job_id);
        if (!job) throw new HttpError(404, 'not_found', 'The job of this run was deleted.');
        // Without the file's analysis (a seeded run), the re-run loads what the run read.
        const table = state.tables.get(`${job.dest.dataset}.${job.dest.table}`);
        const analysis = lastAnalysis.get(job.id) ?? {
          rowsRead: run.rows_read,
          rowsLoaded: run.rows_read,
          rejects: [],
          bytes: run.bytes_processed,
          schema: table?.schema ?? [],
          preview: table?.preview ?? [],
        };
        return json(res, 202, startRun(job, 'retry', run.object, analysis, run.id));
      }
      const format = url.searchParams.get('format') ?? 'csv';
      if (format !== 'csv' && format !== 'jsonl') throw new HttpError(400, 'invalid', 'format must be csv or jsonl.');
      const rejects = state.rejects.get(run.id) ?? [];
      const q = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
      const body =
        format === 'csv'
          ? ['line,column,reason,raw', ...rejects.map((r) => [r.line, r.column ?? '', r.reason, r.raw].map(q).join(','))].join('\n') + '\n'
          : rejects.map((r) => JSON.stringify(r) + '\n').join('');
      res.writeHead(200, {
        'Content-Type': format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        'Content-Disposition': `attachment; filename="${run.id}-rejects.${format}"`,
      });
      return void res.end(body);
    }
    if (p === '/api/etl/dashboard' && method === 'GET') {
      auth(req, 'viewer');
      const days = Number(url.searchParams.get('days') ?? 30);
      if (!Number.isInteger(days) || days < 1 || days > 365) throw new HttpError(400, 'invalid', 'days must be a whole number from 1 to 365.');
      return json(res, 200, etlDashboard(state.runs, days));
    }
    if ((m = /^\/api\/runs\/([^/]+)\/rejects$/.exec(p)) && method === 'GET') {
      auth(req, 'viewer');
      const run = state.runs.find((r) => r.id === decodeURIComponent(m[1]));
      if (!run) throw new HttpError(404, 'not_found', 'No such run.');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000);
      const all = state.rejects.get(run.id) ?? [];
      return json(res, 200, { rejects: all.slice(0, limit), total: run.rows_rejected });
    }

    if (p === '/api/uploads' && method === 'POST') {
      // The local platform's upload ticket: the file goes through POST /api/files.
      auth(req, 'editor');
      let body;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      } catch {
        throw new HttpError(400, 'invalid', 'The body is not valid JSON.');
      }
      const name = sanitiseFileName(String(body.name ?? ''));
      if (!name) throw new HttpError(400, 'invalid', 'Give the name of the file to upload.');
      const object = { bucket: 'acme-drop', name, size: Number(body.size) || 0 };
      return json(res, 200, { mode: 'direct', method: 'POST', url: '/api/files', field: 'file', max_bytes: 2 ** 31, object });
    }
    if (p === '/api/files' && method === 'POST') {
      auth(req, 'editor');
      const body = await readBody(req);
      const parts = parseMultipart(body, req.headers['content-type']);
      const part = parts.find((x) => x.name === 'file' && x.filename !== undefined);
      if (!part) throw new HttpError(400, 'invalid', 'The multipart form needs a "file" field.');
      const name = sanitiseFileName(part.filename);
      const object = { bucket: 'acme-drop', name, size: part.body.length };
      state.files = state.files.filter((f) => f.name !== name);
      state.files.push({ name, size: part.body.length, modified: new Date().toISOString() });
      let analysis = null;
      if (/\.csv(\.gz)?$/i.test(name)) {
        try {
          analysis = analyseCsv(part.body, name);
        } catch (e) {
          analysis = null;
        }
      }
      const table = tableNameForFile(name);
      let job = state.jobs.find((j) => j.dest.table === table);
      if (!job) {
        job = {
          id: 'jb_' + randomUUID().slice(0, 8),
          name: table,
          source_type: 'file',
          file: { prefix: '', pattern: name, format: /\.csv/i.test(name) ? 'csv' : extname(name).slice(1) },
          dest: { dataset: 'raw_data', table },
          load_mode: 'truncate',
          ...MANUAL,
          auto_created: true,
          enabled: true,
          created_at: new Date().toISOString(),
          last_run: null,
        };
        state.jobs.push(job);
      }
      if (analysis) lastAnalysis.set(job.id, analysis);
      // The drop event starts the run a moment later, as the real platform does.
      laterAll(300, () => startRun(job, 'file_drop', { ...object, generation: String(Date.now()) }, analysis));
      return json(res, 202, { object });
    }
    if (p === '/api/files' && method === 'GET') {
      auth(req, 'viewer');
      return json(res, 200, { files: state.files });
    }

    // Connections: none saved; a test answers as a reachable source would (the screens' forms).
    if (p === '/api/connections' && method === 'GET') {
      auth(req, 'viewer');
      return json(res, 200, { connections: [] });
    }
    if (p === '/api/connections/test' && method === 'POST') {
      auth(req, 'editor');
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      if (!body.project && (body.type === 'bigquery' || body.type === 'firestore')) {
        throw new HttpError(400, 'invalid', 'Give the Google Cloud project.');
      }
      const where = body.type === 'bigquery' ? body.data_project || body.project : body.project;
      return json(res, 200, { ok: true, message: `connected to ${where}`, tables: [{ name: 'orders', rows: 120_000 }, { name: 'products', rows: 4_100 }] });
    }

    if (p === '/api/tables' && method === 'GET') {
      auth(req, 'viewer');
      const ds = url.searchParams.get('dataset') ?? 'raw_data';
      const tables = [...state.tables.values()].filter((t) => t.dataset === ds).map(({ preview, ...t }) => t);
      return json(res, 200, { tables });
    }
    if ((m = /^\/api\/tables\/([^/]+)\/([^/]+)$/.exec(p)) && method === 'GET') {
      auth(req, 'viewer');
      const t = state.tables.get(`${decodeURIComponent(m[1])}.${decodeURIComponent(m[2])}`);
      if (!t) throw new HttpError(404, 'not_found', 'No such table.');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 20) || 20, 100);
      const { preview, ...table } = t;
      return json(res, 200, { table, preview: { columns: table.schema, rows: preview.slice(0, limit) } });
    }

    throw new HttpError(404, 'not_found', `No route ${method} ${p}.`);
  }

  const handleApi = async (req, res, url) => {
    try {
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      await route(req, res, url);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      const kind = e instanceof HttpError ? e.kind : 'internal';
      if (!(e instanceof HttpError)) console.error('mock-server:', e);
      if (!res.headersSent) json(res, status, { error: { kind, message: e.message } });
    }
  };

  return {
    state,
    handleApi,
    close() {
      for (const t of state.timers) clearTimeout(t);
      state.timers.clear();
    },
  };
}

/** Starts the server; resolves to { url, close }. */
export function startMockServer({ port = 0, host = '127.0.0.1', distDir = resolve(HERE, '..', 'dist'), log = false, ...apiOpts } = {}) {
  const api = createMockApi(apiOpts);
  const root = resolve(distDir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (log) console.log(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname.startsWith('/api/') || url.pathname === '/api') return void api.handleApi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405);
      return res.end();
    }
    let file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(400);
      return res.end();
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return res.end('dist/index.html is missing: run `npm run build` first.');
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    const cache = file.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': cache });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const url = `http://${host}:${addr.port}`;
      resolveStart({
        url,
        api,
        close: () =>
          new Promise((r) => {
            api.close();
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

// CLI
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (flag, def) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : def;
  };
  const srv = await startMockServer({ port: Number(get('--port', 18080)), distDir: get('--dist', resolve(HERE, '..', 'dist')), log: args.includes('--log') });
  console.log(`mock b2brecs API and SPA on ${srv.url} (users editor@acme.test / viewer@acme.test, password ${MOCK_PASSWORD})`);
  const stop = async () => {
    await srv.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
