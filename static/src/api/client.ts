import type { Destination, DestinationRequest, NameCheck } from './jobWizard';
import type {
  Connection,
  ConnectionPatch,
  Dashboard,
  DetectRequest,
  Detection,
  DropFile,
  JobPatch,
  JobView,
  NewConnection,
  NewJob,
  SaveConnectionResponse,
  ScheduleSpec,
  SchedulePreview,
  SourceFile,
  SourceTableInfo,
  TableMeta,
  TestResult,
  LoginResponse,
  MeResponse,
  NewUser,
  RejectsResponse,
  Run,
  RunLog,
  RunsQuery,
  RunsSummary,
  Table,
  TableDetailResponse,
  Tenant,
  UploadResponse,
  UploadTicket,
  UploadTicketRequest,
  User,
} from './types';

/** Error kinds of the API (docs/api.md), plus `network` when no answer came back. */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'unsupported'
  | 'transient'
  | 'rate_limited'
  | 'internal'
  | 'network';

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'invalid',
  'unauthenticated',
  'permission',
  'not_found',
  'conflict',
  'unsupported',
  'transient',
  'rate_limited',
  'internal',
  'network',
]);

/** An API failure as the UI shows it: a kind to branch on and a message for people. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  /** The input field the error is about (a JSON path such as `schedule.time`), when the API names one. */
  readonly field?: string;

  constructor(kind: ErrorKind, message: string, status = 0, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    if (field) this.field = field;
  }
}

export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 415: // a request body that is not JSON
    case 422: // an input naming something unsupported (a file type)
    case 501: // an operation this deployment does not do
      return 'unsupported';
    case 429:
      return 'rate_limited';
    case 502:
    case 503:
    case 504:
      return 'transient';
    default:
      return 'internal';
  }
}

const DEFAULT_MESSAGES: Record<ErrorKind, string> = {
  invalid: 'The request was not valid.',
  unauthenticated: 'Your session has expired. Please sign in again.',
  permission: 'You do not have permission to do this.',
  not_found: 'Not found.',
  conflict: 'This conflicts with the current state. Refresh and try again.',
  unsupported: 'This is not supported.',
  transient: 'The service is temporarily unavailable. Try again in a moment.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  internal: 'Something went wrong on the server.',
  network: 'Cannot reach the server. Check your connection.',
};

/** Turns an HTTP error answer into an ApiError, reading `{"error":{"kind","message"}}` when present. */
export async function parseErrorResponse(res: Response): Promise<ApiError> {
  const fallbackKind = kindForStatus(res.status);
  let kind: ErrorKind = fallbackKind;
  let message = '';
  let field: string | undefined;
  try {
    const text = await res.text();
    if (text) {
      try {
        const body = JSON.parse(text) as { error?: { kind?: unknown; message?: unknown; field?: unknown } };
        const err = body?.error;
        if (err && typeof err === 'object') {
          if (typeof err.kind === 'string' && KINDS.has(err.kind)) kind = err.kind as ErrorKind;
          if (typeof err.message === 'string') message = err.message;
          if (typeof err.field === 'string' && err.field) field = err.field;
        }
      } catch {
        // Not JSON (a proxy's HTML page, say): keep the status-derived kind.
      }
    }
  } catch {
    // Body unreadable: keep defaults.
  }
  return new ApiError(kind, message || DEFAULT_MESSAGES[kind], res.status, field);
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface ApiClientOptions {
  /** Prefix of every route; `/api` on the same origin by default. */
  baseUrl?: string;
  /** Returns the bearer token of the current session, or null. */
  getToken: () => string | null;
  /** Called when an authenticated call answers 401: the session is over. */
  onUnauthenticated?: (err: ApiError) => void;
  fetch?: typeof fetch;
}

interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  json?: unknown;
  form?: FormData;
  /** Send without the Authorization header and do not treat 401 as a lost session. */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** A thin typed client of the b2brecs API. */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly getToken: () => string | null;
  private readonly onUnauthenticated?: (err: ApiError) => void;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = (opts.baseUrl ?? configuredApiBase() ?? '/api').replace(/\/+$/, '');
    this.getToken = opts.getToken;
    this.onUnauthenticated = opts.onUnauthenticated;
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: RequestOptions['query']): string {
    let u = this.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
      }
      const qs = params.toString();
      if (qs) u += '?' + qs;
    }
    return u;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts, 'application/json');
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('internal', 'The server sent an answer that is not JSON.', res.status);
    }
  }

  /** A file the API answers (a download), with its name from Content-Disposition or `fallbackName`. */
  async download(path: string, query: RequestOptions['query'], fallbackName: string): Promise<{ blob: Blob; name: string }> {
    const res = await this.send('GET', path, { query }, '*/*');
    const disposition = res.headers.get('Content-Disposition') ?? '';
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
    return { blob: await res.blob(), name };
  }

  /** Sends a request with the session's token; a non-2xx answer throws its ApiError. */
  private async send(method: string, path: string, opts: RequestOptions, accept: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    let body: BodyInit | undefined;
    if (opts.form) {
      body = opts.form; // the browser sets the multipart boundary
    } else if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    if (!opts.anonymous) {
      const token = this.getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
    }

    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path, opts.query), {
        method,
        headers,
        body,
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError('network', DEFAULT_MESSAGES.network);
    }

    if (!res.ok) {
      const err = await parseErrorResponse(res);
      if (res.status === 401 && !opts.anonymous) this.onUnauthenticated?.(err);
      throw err;
    }
    return res;
  }

  // --- auth
  login(email: string, password: string): Promise<LoginResponse> {
    return this.request('POST', '/auth/login', { json: { email, password }, anonymous: true });
  }
  me(): Promise<MeResponse> {
    return this.request('GET', '/auth/me');
  }
  logout(): Promise<void> {
    return this.request('POST', '/auth/logout');
  }
  /** Ends every session of the signed-in user ("sign out everywhere"). */
  logoutAll(): Promise<void> {
    return this.request('POST', '/auth/logout-all');
  }
  currentTenant(): Promise<Tenant> {
    return this.request('GET', '/tenants/current');
  }

  // --- users (admin)
  async listUsers(): Promise<User[]> {
    const r = await this.request<{ users: User[] | null }>('GET', '/users');
    return r?.users ?? [];
  }
  createUser(u: NewUser): Promise<User> {
    return this.request('POST', '/users', { json: u });
  }
  /** Ends every session of a user of the tenant (admin). */
  endUserSessions(userId: string): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(userId)}/sessions`);
  }

  // --- ETL
  /** Every job with its schedule and next fire times (the list answers views: no request per job). */
  async listJobs(signal?: AbortSignal): Promise<JobView[]> {
    const r = await this.request<{ jobs: JobView[] | null }>('GET', '/jobs', { signal });
    return r?.jobs ?? [];
  }
  getJob(id: string, signal?: AbortSignal): Promise<JobView> {
    return this.request('GET', `/jobs/${encodeURIComponent(id)}`, { signal });
  }
  /**
   * Starts a job: the server answers `{"runs":[Run]}`, one run per object the job claims (a bare
   * Run is accepted too). A run may be an earlier one when that version of the object was already
   * run, or finish at once as skipped when its content was already loaded.
   */
  async startJobRuns(jobId: string): Promise<Run[]> {
    const r = await this.request<Run | { runs?: Run[] | null }>('POST', `/jobs/${encodeURIComponent(jobId)}/runs`);
    const runs = r && 'runs' in r ? (r.runs ?? []) : r ? [r as Run] : [];
    if (runs.length === 0) throw new ApiError('internal', 'The server started no run.', 202);
    return runs;
  }
  /** The first run startJobRuns answers. */
  async startJobRun(jobId: string): Promise<Run> {
    return (await this.startJobRuns(jobId))[0];
  }
  async listRuns(q: RunsQuery = {}, signal?: AbortSignal): Promise<Run[]> {
    const r = await this.request<{ runs: Run[] | null }>('GET', '/runs', {
      query: { limit: q.limit ?? 50, job_id: q.job_id, status: q.status },
      signal,
    });
    return r?.runs ?? [];
  }
  /** Run counts over the last `hours` hours, counted by the server over every run of the tenant. */
  runsSummary(hours = 24, signal?: AbortSignal): Promise<RunsSummary> {
    return this.request('GET', '/runs/summary', { query: { hours }, signal });
  }
  getRun(id: string, signal?: AbortSignal): Promise<Run> {
    return this.request('GET', `/runs/${encodeURIComponent(id)}`, { signal });
  }
  async listRejects(runId: string, limit = 100): Promise<RejectsResponse> {
    const r = await this.request<RejectsResponse>('GET', `/runs/${encodeURIComponent(runId)}/rejects`, {
      query: { limit },
    });
    return { rejects: r?.rejects ?? [], total: r?.total ?? 0 };
  }
  /** Cancels a pending or running run (409 with the server's reason otherwise). */
  cancelRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${encodeURIComponent(id)}/cancel`);
  }
  /** Runs a finished run again: the new run, whose `retry_of` is `id`. */
  retryRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${encodeURIComponent(id)}/retry`);
  }
  async runLog(id: string, signal?: AbortSignal): Promise<RunLog> {
    const r = await this.request<RunLog>('GET', `/runs/${encodeURIComponent(id)}/logs`, { signal });
    return { run_id: r?.run_id ?? id, lines: r?.lines ?? [], dropped: r?.dropped ?? 0 };
  }
  /** The run's whole rejects file. */
  downloadRejects(id: string, format: 'csv' | 'jsonl'): Promise<{ blob: Blob; name: string }> {
    return this.download(`/runs/${encodeURIComponent(id)}/rejects/download`, { format }, `${id}-rejects.${format}`);
  }
  /** The ETL dashboard over the last `days` days. */
  async etlDashboard(days: number, signal?: AbortSignal): Promise<Dashboard> {
    const d = await this.request<Dashboard>('GET', '/etl/dashboard', { query: { days }, signal });
    return { ...d, jobs: d.jobs ?? [], failures_by_error_type: d.failures_by_error_type ?? {} };
  }
  /** How to upload a file (checked first: name, size, type); see lib/upload.ts. */
  uploadTicket(req: UploadTicketRequest): Promise<UploadTicket> {
    return this.request('POST', '/uploads', { json: req });
  }
  /** The direct upload through the API (the local platform). */
  uploadFile(file: File): Promise<UploadResponse> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.request('POST', '/files', { form });
  }
  async listFiles(): Promise<DropFile[]> {
    const r = await this.request<{ files: DropFile[] | null }>('GET', '/files');
    return r?.files ?? [];
  }

  createJob(j: NewJob): Promise<JobView> {
    return this.request('POST', '/jobs', { json: j });
  }
  updateJob(id: string, patch: JobPatch): Promise<JobView> {
    return this.request('PATCH', `/jobs/${encodeURIComponent(id)}`, { json: patch });
  }
  deleteJob(id: string): Promise<void> {
    return this.request('DELETE', `/jobs/${encodeURIComponent(id)}`);
  }
  pauseJob(id: string): Promise<JobView> {
    return this.request('POST', `/jobs/${encodeURIComponent(id)}/pause`);
  }
  resumeJob(id: string): Promise<JobView> {
    return this.request('POST', `/jobs/${encodeURIComponent(id)}/resume`);
  }
  /** Forgets a database job's watermark: its next run reads from the historical start again (409 while a run is active). */
  resetWatermark(id: string): Promise<JobView> {
    return this.request('POST', `/jobs/${encodeURIComponent(id)}/reset-watermark`);
  }
  /** Whether `name` is free for a job (`jobId`: the job being edited, whose own name is free). */
  checkJobName(name: string, jobId?: string, signal?: AbortSignal): Promise<NameCheck> {
    return this.request('GET', '/jobs/name-check', { query: { name, job_id: jobId || undefined }, signal });
  }
  /** The columns a draft job would load into its table, with the types each may take, and how they meet an existing table. */
  previewDestination(req: DestinationRequest, signal?: AbortSignal): Promise<Destination> {
    return this.request('POST', '/jobs/destination', { json: req, signal });
  }
  previewSchedule(spec: ScheduleSpec, signal?: AbortSignal): Promise<SchedulePreview> {
    return this.request('POST', '/schedules/preview', { json: spec, signal });
  }

  // --- connections
  async listConnections(): Promise<Connection[]> {
    const r = await this.request<{ connections: Connection[] | null }>('GET', '/connections');
    return r?.connections ?? [];
  }
  getConnection(id: string): Promise<Connection> {
    return this.request('GET', `/connections/${encodeURIComponent(id)}`);
  }
  createConnection(c: NewConnection): Promise<SaveConnectionResponse> {
    return this.request('POST', '/connections', { json: c });
  }
  updateConnection(id: string, patch: ConnectionPatch): Promise<SaveConnectionResponse> {
    return this.request('PATCH', `/connections/${encodeURIComponent(id)}`, { json: patch });
  }
  deleteConnection(id: string): Promise<void> {
    return this.request('DELETE', `/connections/${encodeURIComponent(id)}`);
  }
  testNewConnection(c: NewConnection): Promise<TestResult> {
    return this.request('POST', '/connections/test', { json: c });
  }
  testConnection(id: string): Promise<TestResult> {
    return this.request('POST', `/connections/${encodeURIComponent(id)}/test`);
  }
  async listSourceSchemas(id: string): Promise<string[]> {
    const r = await this.request<{ schemas: string[] | null }>('GET', `/connections/${encodeURIComponent(id)}/schemas`);
    return r?.schemas ?? [];
  }
  async listSourceTables(id: string, schema?: string): Promise<SourceTableInfo[]> {
    const r = await this.request<{ tables: SourceTableInfo[] | null }>('GET', `/connections/${encodeURIComponent(id)}/tables`, {
      query: { schema },
    });
    return r?.tables ?? [];
  }
  describeSourceTable(id: string, schema: string, table: string): Promise<TableMeta> {
    return this.request(
      'GET',
      `/connections/${encodeURIComponent(id)}/tables/${encodeURIComponent(schema)}/${encodeURIComponent(table)}`,
    );
  }
  /** Schema detection of one file of a bucket connection (a bounded sample, never the whole file). */
  detectFile(id: string, req: DetectRequest, signal?: AbortSignal): Promise<Detection> {
    return this.request('POST', `/connections/${encodeURIComponent(id)}/files/detect`, { json: req, signal });
  }
  async listSourceFiles(id: string, prefix?: string, pattern?: string): Promise<SourceFile[]> {
    const r = await this.request<{ files: SourceFile[] | null }>('GET', `/connections/${encodeURIComponent(id)}/files`, {
      query: { prefix, pattern },
    });
    return r?.files ?? [];
  }

  // --- warehouse
  async listTables(dataset = 'raw_data'): Promise<Table[]> {
    const r = await this.request<{ tables: Table[] | null }>('GET', '/tables', { query: { dataset } });
    return r?.tables ?? [];
  }
  getTable(dataset: string, name: string, limit = 20): Promise<TableDetailResponse> {
    return this.request('GET', `/tables/${encodeURIComponent(dataset)}/${encodeURIComponent(name)}`, {
      query: { limit },
    });
  }
}

/** The API base URL a deployment set in config.js, if any. */
export function configuredApiBase(): string | undefined {
  const base = typeof window !== 'undefined' ? window.B2B_CONFIG?.apiBase : undefined;
  return base && base.trim() !== '' ? base : undefined;
}
