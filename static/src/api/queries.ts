import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useApi } from '../auth/AuthProvider';
import { FAST_POLL_MS, runPollInterval, runsPollInterval, SLOW_POLL_MS } from '../lib/polling';
import { isActive } from '../lib/runs';
import { uploadFile, type Transfer, type UploadProgress } from '../lib/upload';
import { ApiError, type ApiClient } from './client';
import type { DestinationRequest } from './jobWizard';
import type { DetectRequest, NewUser, Run, ScheduleSpec, User } from './types';

/**
 * Query keys. A key is a prefix of the keys under it: invalidating `keys.runs` refreshes the list,
 * the summary, every run and its rejects; `keys.connection(id)` the connection and what is browsed
 * through it. Only the factories below build keys for reading; writes invalidate these prefixes.
 */
export const keys = {
  runs: ['runs'] as const,
  runsSummary: (hours: number) => ['runs', 'summary', hours] as const,
  run: (id: string) => ['runs', 'id', id] as const,
  rejects: (id: string) => ['runs', 'id', id, 'rejects'] as const,
  /** A run's log at a status of the run: a change of status (its end) fetches the log again. */
  runLog: (id: string, status: string) => ['runs', 'id', id, 'logs', status] as const,
  /** Under `runs`: a cancel or re-run refreshes it. */
  dashboard: (days: number) => ['runs', 'dashboard', days] as const,
  jobs: ['jobs'] as const,
  tables: ['tables'] as const,
  tableList: (dataset: string) => ['tables', dataset] as const,
  table: (dataset: string, name: string) => ['tables', dataset, name] as const,
  users: ['users'] as const,
  connections: ['connections'] as const,
  connection: (id: string) => ['connections', id] as const,
  sourceSchemas: (id: string) => ['connections', id, 'schemas'] as const,
  sourceTables: (id: string, schema: string) => ['connections', id, 'tables', schema] as const,
  sourceTable: (id: string, schema: string, table: string) => ['connections', id, 'table', schema, table] as const,
  sourceFiles: (id: string, prefix: string, pattern: string) => ['connections', id, 'files', prefix, pattern] as const,
  dropFiles: ['drop-files'] as const,
  detectFile: (id: string, req: DetectRequest) => ['connections', id, 'detect', JSON.stringify(req)] as const,
  schedulePreview: (spec: ScheduleSpec) => ['schedule-preview', JSON.stringify(spec)] as const,
  /** Under `jobs`: a created or renamed job refreshes the checks. */
  jobNameCheck: (name: string, jobId: string) => ['jobs', 'name-check', name, jobId] as const,
  jobDestination: (req: DestinationRequest) => ['jobs', 'destination', JSON.stringify(req)] as const,
};

/** The latest runs the runs page lists. */
export const RUNS_LIMIT = 50;

/**
 * queryOptions factories: the one place a query's key, fetch and refresh policy are said. Use them
 * with useQuery/useQueries/prefetchQuery/getQueryData (which they type).
 */
export const queries = {
  runs: (api: ApiClient, boostUntil = 0) =>
    queryOptions({
      queryKey: keys.runs,
      queryFn: ({ signal }) => api.listRuns({ limit: RUNS_LIMIT }, signal),
      refetchInterval: (q) => runsPollInterval(q.state.data, Date.now(), boostUntil),
      refetchIntervalInBackground: false,
    }),
  runsSummary: (api: ApiClient, hours = 24) =>
    queryOptions({
      queryKey: keys.runsSummary(hours),
      queryFn: ({ signal }) => api.runsSummary(hours, signal),
      refetchInterval: SLOW_POLL_MS,
      refetchIntervalInBackground: false,
    }),
  run: (api: ApiClient, id: string) =>
    queryOptions({
      queryKey: keys.run(id),
      queryFn: ({ signal }) => api.getRun(id, signal),
      refetchInterval: (q) => runPollInterval(q.state.data),
    }),
  rejects: (api: ApiClient, id: string) =>
    queryOptions({ queryKey: keys.rejects(id), queryFn: () => api.listRejects(id, 100) }),
  /** The run's log, refreshed while the run is pending or running. */
  runLog: (api: ApiClient, run: Run) =>
    queryOptions({
      queryKey: keys.runLog(run.id, run.status),
      queryFn: ({ signal }) => api.runLog(run.id, signal),
      // The lines so far stay on screen while the log at the new status loads.
      placeholderData: (prev) => (prev?.run_id === run.id ? prev : undefined),
      refetchInterval: isActive(run) ? FAST_POLL_MS : false,
      refetchIntervalInBackground: false,
    }),
  dashboard: (api: ApiClient, days: number) =>
    queryOptions({
      queryKey: keys.dashboard(days),
      queryFn: ({ signal }) => api.etlDashboard(days, signal),
      placeholderData: keepPreviousData,
      refetchInterval: SLOW_POLL_MS * 4,
      refetchIntervalInBackground: false,
    }),
  jobs: (api: ApiClient) =>
    queryOptions({ queryKey: keys.jobs, queryFn: ({ signal }) => api.listJobs(signal), refetchInterval: 30000 }),
  tables: (api: ApiClient, dataset = 'raw_data') =>
    queryOptions({ queryKey: keys.tableList(dataset), queryFn: () => api.listTables(dataset) }),
  table: (api: ApiClient, dataset: string, name: string) =>
    queryOptions({ queryKey: keys.table(dataset, name), queryFn: () => api.getTable(dataset, name, 20) }),
  users: (api: ApiClient) => queryOptions({ queryKey: keys.users, queryFn: () => api.listUsers() }),
  connections: (api: ApiClient) => queryOptions({ queryKey: keys.connections, queryFn: () => api.listConnections() }),
  connection: (api: ApiClient, id: string) =>
    queryOptions({ queryKey: keys.connection(id), queryFn: () => api.getConnection(id) }),
  sourceSchemas: (api: ApiClient, id: string) =>
    queryOptions({ queryKey: keys.sourceSchemas(id), queryFn: () => api.listSourceSchemas(id), retry: false }),
  sourceTables: (api: ApiClient, id: string, schema: string) =>
    queryOptions({ queryKey: keys.sourceTables(id, schema), queryFn: () => api.listSourceTables(id, schema || undefined), retry: false }),
  sourceTable: (api: ApiClient, id: string, schema: string, table: string) =>
    queryOptions({ queryKey: keys.sourceTable(id, schema, table), queryFn: () => api.describeSourceTable(id, schema, table), retry: false }),
  sourceFiles: (api: ApiClient, id: string, prefix: string, pattern: string) =>
    queryOptions({
      queryKey: keys.sourceFiles(id, prefix, pattern),
      queryFn: () => api.listSourceFiles(id, prefix || undefined, pattern || undefined),
      retry: false,
    }),
  /** The drop folder's files (a new job's file checklist). */
  dropFiles: (api: ApiClient) => queryOptions({ queryKey: keys.dropFiles, queryFn: () => api.listFiles(), retry: false }),
  /** Schema detection of a file: read-only, so a query keyed on the file and its format options. */
  detectFile: (api: ApiClient, id: string, req: DetectRequest) =>
    queryOptions({
      queryKey: keys.detectFile(id, req),
      queryFn: ({ signal }) => api.detectFile(id, req, signal),
      placeholderData: keepPreviousData,
      retry: false,
      staleTime: 60000,
    }),
  /** Whether a job name is free; a check already answered is not asked again for a while. */
  jobNameCheck: (api: ApiClient, name: string, jobId = '') =>
    queryOptions({
      queryKey: keys.jobNameCheck(name, jobId),
      queryFn: ({ signal }) => api.checkJobName(name, jobId, signal),
      retry: false,
      staleTime: 10000,
    }),
  /** The destination grid of a draft job: read-only, so a query keyed on the draft. */
  jobDestination: (api: ApiClient, req: DestinationRequest) =>
    queryOptions({
      queryKey: keys.jobDestination(req),
      queryFn: ({ signal }) => api.previewDestination(req, signal),
      placeholderData: keepPreviousData,
      retry: false,
      staleTime: 30000,
    }),
  schedulePreview: (api: ApiClient, spec: ScheduleSpec) =>
    queryOptions({
      queryKey: keys.schedulePreview(spec),
      queryFn: ({ signal }) => api.previewSchedule(spec, signal),
      placeholderData: keepPreviousData,
      retry: false,
      staleTime: 60000,
    }),
};

/** Retry transient and network failures twice; never retry 4xx answers. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError) {
    if (error.kind !== 'transient' && error.kind !== 'network' && error.kind !== 'internal') return false;
  }
  return failureCount < 2;
}

export function useRuns(opts: { boostUntil?: number } = {}) {
  return useQuery(queries.runs(useApi(), opts.boostUntil ?? 0));
}

/**
 * The server's run counts over the last `hours` hours. Besides its slow poll (runs beyond the
 * listed ones), it is fetched again as soon as a listed run starts, changes status or finishes.
 */
export function useRunsSummary(hours: number, runs: readonly Run[] | undefined) {
  const qc = useQueryClient();
  const statuses = runs?.map((r) => `${r.id}:${r.status}`).join(',');
  const seen = useRef(statuses);
  useEffect(() => {
    if (statuses === undefined || statuses === seen.current) return;
    if (seen.current !== undefined) void qc.invalidateQueries({ queryKey: keys.runsSummary(hours) });
    seen.current = statuses;
  }, [statuses, hours, qc]);
  return useQuery(queries.runsSummary(useApi(), hours));
}

/** One run, shown at once from the runs list when it is there. */
export function useRun(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  const list = queries.runs(api);
  return useQuery({
    ...queries.run(api, id),
    initialData: () => qc.getQueryData(list.queryKey)?.find((r) => r.id === id),
    initialDataUpdatedAt: () => qc.getQueryState(list.queryKey)?.dataUpdatedAt,
  });
}

export function useRejects(id: string, enabled: boolean) {
  return useQuery({ ...queries.rejects(useApi(), id), enabled });
}

export function useRunLog(run: Run) {
  return useQuery(queries.runLog(useApi(), run));
}

export function useEtlDashboard(days: number) {
  return useQuery(queries.dashboard(useApi(), days));
}

/**
 * Cancels a run or runs it again (`op`); the answered run is put in the cache at once and every
 * run query refreshed.
 */
export function useRunAction(op: 'cancel' | 'retry') {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => (op === 'cancel' ? api.cancelRun(id) : api.retryRun(id)),
    onSuccess: (r) => {
      qc.setQueryData(queries.run(api, r.id).queryKey, r);
      void qc.invalidateQueries({ queryKey: keys.runs });
      void qc.invalidateQueries({ queryKey: keys.jobs });
    },
  });
}

export function useJobs() {
  return useQuery(queries.jobs(useApi()));
}

export function useTables(dataset = 'raw_data') {
  return useQuery(queries.tables(useApi(), dataset));
}

export function useTable(dataset: string, name: string) {
  return useQuery(queries.table(useApi(), dataset, name));
}

export function useUsers(enabled = true) {
  return useQuery({ ...queries.users(useApi()), enabled });
}

export function useConnections() {
  return useQuery(queries.connections(useApi()));
}

export function useConnection(id: string) {
  return useQuery(queries.connection(useApi(), id));
}

export function useUploadFile() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, onProgress, transfer }: { file: File; onProgress?: (p: UploadProgress) => void; transfer?: Transfer }) =>
      uploadFile(api, file, { onProgress, transfer }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.runs });
    },
  });
}

/** Starts a job; answers every run the server returned (new, skipped or earlier ones). */
export function useStartJobRun() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => api.startJobRuns(jobId),
    onSuccess: (runs) => {
      const ids = new Set(runs.map((r) => r.id));
      qc.setQueryData(queries.runs(api).queryKey, (old: Run[] | undefined) =>
        [...runs, ...(old ?? []).filter((r) => !ids.has(r.id))].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)),
      );
      for (const r of runs) qc.setQueryData(queries.run(api, r.id).queryKey, r);
      void qc.invalidateQueries({ queryKey: keys.runs });
      void qc.invalidateQueries({ queryKey: keys.jobs });
    },
  });
}

/** Ends every session of a user (admin): their devices must sign in again. */
export function useEndUserSessions() {
  const api = useApi();
  return useMutation({ mutationFn: (userId: string) => api.endUserSessions(userId) });
}

export function useCreateUser() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (u: NewUser) => api.createUser(u),
    onSuccess: (created) => {
      qc.setQueryData(queries.users(api).queryKey, (old: User[] | undefined) => (old ? [...old.filter((x) => x.id !== created.id), created] : [created]));
      void qc.invalidateQueries({ queryKey: keys.users });
    },
  });
}

/** A write that, once done, refreshes every query under `prefix` (a key of `keys`). */
function useWrite<TVars, TOut>(prefix: readonly unknown[], fn: (api: ApiClient, v: TVars) => Promise<TOut>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: TVars) => fn(api, v),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: prefix });
    },
  });
}

/** Job writes refresh the job list. */
export function useJobMutation<TVars, TOut = unknown>(fn: (api: ApiClient, v: TVars) => Promise<TOut>) {
  return useWrite(keys.jobs, fn);
}

/** Connection writes refresh the list, the details and what is browsed through them. */
export function useConnectionMutation<TVars, TOut>(fn: (api: ApiClient, v: TVars) => Promise<TOut>) {
  return useWrite(keys.connections, fn);
}
