import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/AuthProvider';
import { runPollInterval, runsPollInterval } from '../lib/polling';
import { uploadFile, type Transfer, type UploadProgress } from '../lib/upload';
import { ApiError } from './client';
import type { NewUser, Run, User } from './types';

export const queryKeys = {
  runs: ['runs'] as const,
  run: (id: string) => ['runs', id] as const,
  rejects: (id: string) => ['runs', id, 'rejects'] as const,
  jobs: ['jobs'] as const,
  tables: (dataset: string) => ['tables', dataset] as const,
  table: (dataset: string, name: string) => ['tables', dataset, name] as const,
  users: ['users'] as const,
  jobView: (id: string) => ['jobs', id] as const,
  connections: ['connections'] as const,
  connection: (id: string) => ['connections', id] as const,
};

/** Retry transient and network failures twice; never retry 4xx answers. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError) {
    if (error.kind !== 'transient' && error.kind !== 'network' && error.kind !== 'internal') return false;
  }
  return failureCount < 2;
}

export function useRuns(opts: { boostUntil?: number } = {}) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.runs,
    queryFn: ({ signal }) => api.listRuns({ limit: 50 }, signal),
    refetchInterval: (q) => runsPollInterval(q.state.data, Date.now(), opts.boostUntil ?? 0),
    refetchIntervalInBackground: false,
  });
}

export function useRun(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useQuery({
    queryKey: queryKeys.run(id),
    queryFn: ({ signal }) => api.getRun(id, signal),
    initialData: () => qc.getQueryData<Run[]>(queryKeys.runs)?.find((r) => r.id === id),
    initialDataUpdatedAt: () => qc.getQueryState(queryKeys.runs)?.dataUpdatedAt,
    refetchInterval: (q) => runPollInterval(q.state.data),
  });
}

export function useRejects(id: string, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.rejects(id),
    queryFn: () => api.listRejects(id, 100),
    enabled,
  });
}

export function useJobs() {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.jobs, queryFn: () => api.listJobs(), refetchInterval: 30000 });
}

export function useTables(dataset = 'raw_data') {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.tables(dataset), queryFn: () => api.listTables(dataset) });
}

export function useTable(dataset: string, name: string) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.table(dataset, name), queryFn: () => api.getTable(dataset, name, 20) });
}

export function useUploadFile() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, onProgress, transfer }: { file: File; onProgress?: (p: UploadProgress) => void; transfer?: Transfer }) =>
      uploadFile(api, file, { onProgress, transfer }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.runs });
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
      qc.setQueryData<Run[]>(queryKeys.runs, (old) =>
        [...runs, ...(old ?? []).filter((r) => !ids.has(r.id))].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)),
      );
      for (const r of runs) qc.setQueryData(queryKeys.run(r.id), r);
      void qc.invalidateQueries({ queryKey: queryKeys.runs });
      void qc.invalidateQueries({ queryKey: queryKeys.jobs });
    },
  });
}

export function useUsers(enabled = true) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.users, queryFn: () => api.listUsers(), enabled });
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
      qc.setQueryData<User[]>(queryKeys.users, (old) => (old ? [...old.filter((x) => x.id !== created.id), created] : [created]));
      void qc.invalidateQueries({ queryKey: queryKeys.users });
    },
  });
}

/** GET /api/jobs/{id} of every listed job: the schedule label and next fire times the list lacks. */
export function useJobViews(ids: string[]) {
  const api = useApi();
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: queryKeys.jobView(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => api.getJobView(id, signal),
      staleTime: 15000,
    })),
  });
}

/** Job writes refresh the list and every job view. */
export function useJobMutation<TVars>(fn: (api: ReturnType<typeof useApi>, v: TVars) => Promise<unknown>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: TVars) => fn(api, v),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.jobs });
    },
  });
}

export function useConnections() {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.connections, queryFn: () => api.listConnections() });
}

export function useConnection(id: string) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.connection(id), queryFn: () => api.getConnection(id) });
}

/** Connection writes refresh the list and the detail. */
export function useConnectionMutation<TVars, TOut>(fn: (api: ReturnType<typeof useApi>, v: TVars) => Promise<TOut>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: TVars) => fn(api, v),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.connections });
    },
  });
}
