import { describe, expect, it, vi } from 'vitest';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { ApiClient, ApiError, kindForStatus, parseErrorResponse } from './client';

function client(routes: Parameters<typeof fakeFetch>[0], token: string | null = 'tok-abc') {
  const f = fakeFetch(routes);
  const onUnauthenticated = vi.fn();
  const api = new ApiClient({ getToken: () => token, onUnauthenticated, fetch: f.fetch });
  return { api, calls: f.calls, onUnauthenticated };
}

describe('ApiClient', () => {
  it('sends the bearer token on authenticated calls', async () => {
    const { api, calls } = client({ 'GET /api/jobs': { jobs: [] } });
    await expect(api.listJobs()).resolves.toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe('Bearer tok-abc');
    expect(calls[0].headers.accept).toBe('application/json');
  });

  it('asks the runs summary for a window in hours and answers its counts as sent', async () => {
    const summary = {
      windowStart: '2026-11-25T12:00:00Z',
      windowEnd: '2026-11-26T12:00:00Z',
      active: 1,
      completed: 20,
      failed: 2,
      rowsLoaded: 541909,
      rowsRejected: 8,
    };
    const { api, calls } = client({ 'GET /api/runs/summary': summary });
    await expect(api.runsSummary(24)).resolves.toEqual(summary);
    expect(calls.map((c) => `${c.method} ${c.path}${c.search}`)).toEqual(['GET /api/runs/summary?hours=24']);
  });

  it('answers the job list as views, with schedules and next runs', async () => {
    const view = { id: 'jb_1', name: 'orders', schedule: { label: 'Daily 07:15' }, next_runs: ['2026-12-02T07:15:00Z'] };
    const { api } = client({ 'GET /api/jobs': { jobs: [view] } });
    const [job] = await api.listJobs();
    expect(job.schedule.label).toBe('Daily 07:15');
    expect(job.next_runs).toEqual(['2026-12-02T07:15:00Z']);
  });

  it('sends no Authorization header on login, and posts JSON', async () => {
    const { api, calls } = client({
      'POST /api/auth/login': { token: 't', expires_at: '2999-01-01T00:00:00Z', user: { email: 'a@b' }, tenant: { name: 'T' } },
    });
    const r = await api.login('a@b.test', 'pw');
    expect(r.token).toBe('t');
    expect(calls[0].headers.authorization).toBeUndefined();
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(calls[0].body))).toEqual({ email: 'a@b.test', password: 'pw' });
  });

  it('builds query strings and skips empty parameters', async () => {
    const { api, calls } = client({ 'GET /api/runs': { runs: [] } });
    await api.listRuns({ limit: 10, status: 'running' });
    expect(calls[0].search).toBe('?limit=10&status=running');
    await api.listRuns();
    expect(calls[1].search).toBe('?limit=50');
  });

  it('encodes path segments', async () => {
    const { api, calls } = client({ 'GET /api/tables/raw_data/a%20b': { table: {}, preview: { columns: [], rows: [] } } });
    await api.getTable('raw_data', 'a b');
    expect(calls[0].path).toBe('/api/tables/raw_data/a%20b');
    expect(calls[0].search).toBe('?limit=20');
  });

  it('reads the field an error names, and 429 as rate_limited', async () => {
    const e1 = await parseErrorResponse(
      jsonResponse(400, { error: { kind: 'invalid', message: '"25:00" is not a time', field: 'schedule.time' } }),
    );
    expect(e1).toMatchObject({ kind: 'invalid', message: '"25:00" is not a time', field: 'schedule.time', status: 400 });
    const e2 = await parseErrorResponse(new Response('slow down', { status: 429 }));
    expect(e2).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(e2.field).toBeUndefined();
    const e3 = await parseErrorResponse(jsonResponse(429, { error: { kind: 'rate_limited', message: 'too many failed sign-ins: wait 30 seconds before trying again' } }));
    expect(e3).toMatchObject({ kind: 'rate_limited', message: 'too many failed sign-ins: wait 30 seconds before trying again' });
  });

  it('ends sessions: its own everywhere, and a user\'s (admin)', async () => {
    const { api, calls } = client({
      'POST /api/auth/logout-all': new Response(null, { status: 204 }),
      'DELETE /api/users/u_1/sessions': new Response(null, { status: 204 }),
    });
    await api.logoutAll();
    await api.endUserSessions('u_1');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/auth/logout-all', 'DELETE /api/users/u_1/sessions']);
  });

  it('parses error bodies into {kind, message}', async () => {
    const { api } = client({
      'GET /api/runs/rn_x': jsonResponse(404, { error: { kind: 'not_found', message: 'run rn_x not found' } }),
    });
    const err = await api.getRun('rn_x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'not_found', message: 'run rn_x not found', status: 404 });
  });

  it('falls back to the status when the error body is not JSON', async () => {
    const { api } = client({ 'GET /api/jobs': new Response('<html>Bad gateway</html>', { status: 503 }) });
    const err = await api.listJobs().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', status: 503 });
    expect((err as ApiError).message).toMatch(/temporarily unavailable/i);
  });

  it('ends the session on 401 from an authenticated call', async () => {
    const { api, onUnauthenticated } = client({
      'GET /api/runs': jsonResponse(401, { error: { kind: 'unauthenticated', message: 'token expired' } }),
    });
    await expect(api.listRuns()).rejects.toMatchObject({ kind: 'unauthenticated', message: 'token expired' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
    expect(onUnauthenticated.mock.calls[0][0]).toBeInstanceOf(ApiError);
  });

  it('does not end the session when the login itself answers 401', async () => {
    const { api, onUnauthenticated } = client({
      'POST /api/auth/login': jsonResponse(401, { error: { kind: 'unauthenticated', message: 'bad credentials' } }),
    });
    await expect(api.login('a', 'b')).rejects.toMatchObject({ kind: 'unauthenticated', message: 'bad credentials' });
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('does not end the session on 403', async () => {
    const { api, onUnauthenticated } = client({
      'POST /api/jobs/jb_1/runs': jsonResponse(403, { error: { kind: 'permission', message: 'editors only' } }),
    });
    await expect(api.startJobRun('jb_1')).rejects.toMatchObject({ kind: 'permission', status: 403 });
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('reports a network failure as kind "network"', async () => {
    const api = new ApiClient({
      getToken: () => 't',
      fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch,
    });
    await expect(api.listJobs()).rejects.toMatchObject({ kind: 'network', status: 0 });
  });

  it('uploads a file as multipart field "file"', async () => {
    const { api, calls } = client({ 'POST /api/files': jsonResponse(202, { object: { bucket: 'b', name: 'x.csv', size: 3 } }) });
    const file = new File(['a,b\n1,2\n'], 'x.csv', { type: 'text/csv' });
    const r = await api.uploadFile(file);
    expect(r.object.name).toBe('x.csv');
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers['content-type']).toBeUndefined(); // the browser adds the boundary
    const form = calls[0].body as FormData;
    expect(form).toBeInstanceOf(FormData);
    const sent = form.get('file') as File;
    expect(sent.name).toBe('x.csv');
    expect(sent.size).toBe(8);
    expect(await readText(sent)).toBe('a,b\n1,2\n');
  });

  it('starts a job run, accepting a Run or {"runs":[Run]}', async () => {
    const a = client({ 'POST /api/jobs/jb_1/runs': jsonResponse(202, { id: 'rn_9', status: 'pending' }) });
    await expect(a.api.startJobRun('jb_1')).resolves.toMatchObject({ id: 'rn_9' });
    expect(a.calls[0].method).toBe('POST');
    const b = client({ 'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [{ id: 'rn_8', status: 'pending' }] }) });
    await expect(b.api.startJobRun('jb_1')).resolves.toMatchObject({ id: 'rn_8' });
  });

  it('answers every run of a job start, and fails when none started', async () => {
    const a = client({ 'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [{ id: 'r1' }, { id: 'r2' }] }) });
    await expect(a.api.startJobRuns('jb_1')).resolves.toMatchObject([{ id: 'r1' }, { id: 'r2' }]);
    const b = client({ 'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [] }) });
    await expect(b.api.startJobRuns('jb_1')).rejects.toMatchObject({ kind: 'internal', message: 'The server started no run.' });
  });

  it('lists and creates users', async () => {
    const u = { id: 'u1', tenant_id: 't', email: 'n@x.test', name: 'N', role: 'viewer', created_at: '2026-01-01T00:00:00Z' };
    const { api, calls } = client({ 'GET /api/users': { users: null }, 'POST /api/users': jsonResponse(201, u) });
    await expect(api.listUsers()).resolves.toEqual([]);
    await expect(api.createUser({ email: 'n@x.test', name: 'N', role: 'viewer', password: 'long-enough-pw' })).resolves.toEqual(u);
    expect(calls[1].method).toBe('POST');
    expect(calls[1].headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(calls[1].body))).toEqual({ email: 'n@x.test', name: 'N', role: 'viewer', password: 'long-enough-pw' });
  });

  it('answers undefined for 204', async () => {
    const { api } = client({ 'POST /api/auth/logout': new Response(null, { status: 204 }) });
    await expect(api.logout()).resolves.toBeUndefined();
  });

  it('treats missing lists as empty', async () => {
    const { api } = client({ 'GET /api/tables': { tables: null }, 'GET /api/runs/r/rejects': {} });
    await expect(api.listTables()).resolves.toEqual([]);
    await expect(api.listRejects('r')).resolves.toEqual({ rejects: [], total: 0 });
  });
});

describe('error kinds', () => {
  it.each([
    [400, 'invalid'],
    [401, 'unauthenticated'],
    [403, 'permission'],
    [404, 'not_found'],
    [409, 'conflict'],
    [415, 'unsupported'],
    [422, 'unsupported'],
    [501, 'unsupported'],
    [503, 'transient'],
    [500, 'internal'],
    [418, 'internal'],
  ])('status %i → %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });

  it('prefers the body kind, ignores unknown kinds', async () => {
    const e1 = await parseErrorResponse(jsonResponse(400, { error: { kind: 'conflict', message: 'dup' } }));
    expect(e1).toMatchObject({ kind: 'conflict', message: 'dup' });
    const e2 = await parseErrorResponse(jsonResponse(400, { error: { kind: 'weird', message: 'm' } }));
    expect(e2).toMatchObject({ kind: 'invalid', message: 'm' });
  });
});

function readText(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsText(b);
  });
}

describe('deployment config', () => {
  it('uses the apiBase from config.js when set, /api otherwise', () => {
    const w = window as Window;
    w.B2B_CONFIG = { apiBase: 'https://api.example.test/api/' };
    try {
      const c = new ApiClient({ getToken: () => null });
      expect(c.url('/runs')).toBe('https://api.example.test/api/runs');
    } finally {
      w.B2B_CONFIG = {};
    }
    expect(new ApiClient({ getToken: () => null }).url('/runs')).toBe('/api/runs');
  });
});
