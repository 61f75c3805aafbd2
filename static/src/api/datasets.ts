// The datasets routes (docs/api.md, "Datasets"): typed calls, query keys and queryOptions factories.
//
// The shapes follow shared/datasets' JSON. They are typed here until tools/tsgen lists the datasets
// types; every field name below is a JSON name of that package.

import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/AuthProvider';
import type { ApiClient } from './client';
import type { ColumnType } from './types';

export interface TableRef {
  dataset: string;
  table: string;
}

/** A column of one of the dataset's tables, the table named by its name alone. */
export interface ColumnRef {
  table: string;
  column: string;
}

export type JoinType = 'inner' | 'left';

export interface Join {
  left: ColumnRef;
  right: ColumnRef;
  type: JoinType;
}

export type ColumnRole = 'customer_id' | 'product_id' | 'timestamp' | 'revenue' | 'quantity' | 'category' | 'other';

export interface SelectedColumn extends ColumnRef {
  alias?: string;
  role?: ColumnRole | '';
}

export type FilterKind = 'date' | 'category' | 'numeric' | 'top_share' | 'entity_metric';
export type Entity = 'product' | 'customer';
export type NumericOp = 'between' | 'gt' | 'lt' | 'eq';

export interface Filter {
  kind: FilterKind;
  column?: ColumnRef;
  include_nulls?: boolean;
  last_days?: number;
  start?: string;
  end?: string;
  mode?: 'include' | 'exclude';
  values?: string[];
  op?: NumericOp;
  value?: number;
  min?: number;
  max?: number;
  entity?: Entity;
  percent?: number;
  metric?: 'transactions' | 'revenue';
}

export type SplitKind = 'time_holdout' | 'strict_time' | 'random';

export interface Split {
  kind: SplitKind;
  holdout_days?: number;
  train_days?: number;
  val_days?: number;
  test_days?: number;
  train_percent?: number;
  val_percent?: number;
  seed?: number;
}

/** A dataset's configuration (what is saved; no data is copied). */
export interface Dataset {
  name: string;
  description?: string;
  primary_table: TableRef;
  secondary_tables?: TableRef[];
  joins?: Join[];
  columns?: SelectedColumn[];
  filters?: Filter[];
  split: Split;
}

export interface OutputColumn {
  name: string;
  type: ColumnType;
  role?: ColumnRole | '';
}

export interface DatasetView extends Dataset {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  created_by?: string;
  updated_by?: string;
  output_columns?: OutputColumn[] | null;
  filter_summary: string[] | null;
  experiments_count: number;
  /** Why the dataset no longer compiles (a table or column was removed). */
  problem?: string;
}

export interface QueryParam {
  name: string;
  type: 'string' | 'int64' | 'float64' | 'bool' | 'timestamp' | 'null';
  value: unknown;
}

export interface Query {
  sql: string;
  params: QueryParam[] | null;
}

export interface SQLSet {
  bigquery: Query;
  duckdb: Query;
  training_bigquery?: Query;
  training_duckdb?: Query;
  training_problem?: string;
}

export interface DatasetVersion {
  dataset_id: string;
  version: number;
  model: Dataset;
  sql: SQLSet;
  created_at: string;
  created_by?: string;
}

export interface Preview {
  columns: OutputColumn[];
  rows: unknown[][] | null;
  total: number;
  seed: number;
  version?: number;
}

export interface ValueCount {
  value: string | null;
  count: number;
}

export interface ColumnStats {
  name: string;
  type: ColumnType;
  role?: ColumnRole | '';
  count: number;
  nulls: number;
  null_share: number;
  distinct: number;
  uniqueness: number;
  min?: unknown;
  max?: unknown;
  mean?: number;
  p25?: number;
  p50?: number;
  p75?: number;
  top?: ValueCount[] | null;
}

export interface Stats {
  rows: number;
  columns: ColumnStats[];
  version?: number;
  computed_at: string;
  cached: boolean;
}

export interface QualityIssue {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  value: number;
  threshold: number;
}

export interface QualityReport {
  score: number;
  issues: QualityIssue[] | null;
  measures: Record<string, number | string | boolean | null>;
  thresholds: Record<string, number>;
  version?: number;
}

export type Confidence = 'high' | 'medium' | 'low';

export interface JoinSuggestion {
  left: ColumnRef;
  right: ColumnRef;
  score: number;
  confidence: Confidence;
  reasons: string[] | null;
}

export interface RoleSuggestion {
  column: ColumnRef;
  role: ColumnRole;
  score: number;
  confidence: Confidence;
  reasons: string[] | null;
}

export interface Compiled {
  sql: SQLSet;
  output_columns: OutputColumn[] | null;
  filter_summary: string[] | null;
}

/** One point of a Pareto curve: the entity of that rank and the share of revenue up to it. */
export interface ParetoPoint {
  rank: number;
  key: string;
  revenue: number;
  share: number;
}

/** The curve a top-share filter is chosen from (the other filters applied). */
export interface Pareto {
  entity: Entity;
  entities: number;
  points: ParetoPoint[] | null;
}

export interface UpdateResult {
  dataset: DatasetView;
  new_version: boolean;
}

export type Dialect = 'duckdb' | 'bigquery';

const enc = encodeURIComponent;

/** The dataset routes over an ApiClient. */
export const datasetsApi = {
  async list(api: ApiClient, signal?: AbortSignal): Promise<DatasetView[]> {
    const r = await api.request<{ datasets: DatasetView[] | null }>('GET', '/datasets', { signal });
    return r?.datasets ?? [];
  },
  get: (api: ApiClient, id: string, signal?: AbortSignal) => api.request<DatasetView>('GET', `/datasets/${enc(id)}`, { signal }),
  create: (api: ApiClient, d: Dataset) => api.request<DatasetView>('POST', '/datasets', { json: d }),
  update: (api: ApiClient, id: string, d: Dataset, ifVersion?: number) =>
    api.request<UpdateResult>('PUT', `/datasets/${enc(id)}`, { json: { ...d, if_version: ifVersion } }),
  remove: (api: ApiClient, id: string) => api.request<void>('DELETE', `/datasets/${enc(id)}`),
  async versions(api: ApiClient, id: string, signal?: AbortSignal): Promise<DatasetVersion[]> {
    const r = await api.request<{ versions: DatasetVersion[] | null }>('GET', `/datasets/${enc(id)}/versions`, { signal });
    return r?.versions ?? [];
  },
  version: (api: ApiClient, id: string, n: number, signal?: AbortSignal) =>
    api.request<DatasetVersion>('GET', `/datasets/${enc(id)}/versions/${n}`, { signal }),
  preview: (api: ApiClient, id: string, seed: number, limit: number, signal?: AbortSignal) =>
    api.request<Preview>('GET', `/datasets/${enc(id)}/preview`, { query: { seed, limit }, signal }),
  stats: (api: ApiClient, id: string, refresh = false, signal?: AbortSignal) =>
    api.request<Stats>('GET', `/datasets/${enc(id)}/stats`, { query: { refresh: refresh ? 'true' : undefined }, signal }),
  quality: (api: ApiClient, id: string, signal?: AbortSignal) =>
    api.request<QualityReport>('GET', `/datasets/${enc(id)}/quality`, { signal }),
  sql: (api: ApiClient, id: string, dialect: Dialect, training: boolean, version?: number, signal?: AbortSignal) =>
    api.request<Query>('GET', `/datasets/${enc(id)}/sql`, {
      query: { dialect, training: training ? 'true' : undefined, version },
      signal,
    }),
  compile: (api: ApiClient, d: Dataset, signal?: AbortSignal) => api.request<Compiled>('POST', '/datasets/compile', { json: { dataset: d }, signal }),
  previewOf: (api: ApiClient, d: Dataset, seed: number, limit: number, signal?: AbortSignal) =>
    api.request<Preview>('POST', '/datasets/preview', { json: { dataset: d, seed, limit }, signal }),
  qualityOf: (api: ApiClient, d: Dataset, signal?: AbortSignal) =>
    api.request<QualityReport>('POST', '/datasets/quality', { json: { dataset: d }, signal }),
  pareto: (api: ApiClient, d: Dataset, entity: Entity, points: number, signal?: AbortSignal) =>
    api.request<Pareto>('POST', '/datasets/pareto', { json: { dataset: d, entity, points }, signal }),
  async joinSuggestions(api: ApiClient, left: TableRef, right: TableRef, signal?: AbortSignal): Promise<JoinSuggestion[]> {
    const r = await api.request<{ suggestions: JoinSuggestion[] | null }>('POST', '/datasets/join-suggestions', { json: { left, right }, signal });
    return r?.suggestions ?? [];
  },
  async roleSuggestions(api: ApiClient, tables: TableRef[], signal?: AbortSignal): Promise<RoleSuggestion[]> {
    const r = await api.request<{ suggestions: RoleSuggestion[] | null }>('POST', '/datasets/role-suggestions', { json: { tables }, signal });
    return r?.suggestions ?? [];
  },
  tableStats: (api: ApiClient, t: TableRef, refresh = false, signal?: AbortSignal) =>
    api.request<Stats>('GET', `/tables/${enc(t.dataset)}/${enc(t.table)}/stats`, { query: { refresh: refresh ? 'true' : undefined }, signal }),
};

/** Query keys of the datasets area; `datasetKeys.all` is the prefix of every one. */
export const datasetKeys = {
  all: ['datasets'] as const,
  one: (id: string) => ['datasets', 'id', id] as const,
  versions: (id: string) => ['datasets', 'id', id, 'versions'] as const,
  version: (id: string, n: number) => ['datasets', 'id', id, 'versions', n] as const,
  preview: (id: string, seed: number, limit: number) => ['datasets', 'id', id, 'preview', seed, limit] as const,
  stats: (id: string) => ['datasets', 'id', id, 'stats'] as const,
  quality: (id: string) => ['datasets', 'id', id, 'quality'] as const,
  sql: (id: string, dialect: Dialect, training: boolean, version?: number) => ['datasets', 'id', id, 'sql', dialect, training, version ?? 0] as const,
  model: (what: 'preview' | 'quality' | 'compile' | 'pareto', d: Dataset, extra: string | number = 0) => ['datasets', 'model', what, JSON.stringify(d), extra] as const,
  joins: (l: TableRef, r: TableRef) => ['datasets', 'joins', l.dataset, l.table, r.dataset, r.table] as const,
  roles: (tables: TableRef[]) => ['datasets', 'roles', JSON.stringify(tables)] as const,
  tableStats: (t: TableRef) => ['datasets', 'table-stats', t.dataset, t.table] as const,
};

/** queryOptions factories of the datasets routes. */
export const datasetQueries = {
  list: (api: ApiClient) => queryOptions({ queryKey: datasetKeys.all, queryFn: ({ signal }) => datasetsApi.list(api, signal) }),
  one: (api: ApiClient, id: string) => queryOptions({ queryKey: datasetKeys.one(id), queryFn: ({ signal }) => datasetsApi.get(api, id, signal) }),
  versions: (api: ApiClient, id: string) =>
    queryOptions({ queryKey: datasetKeys.versions(id), queryFn: ({ signal }) => datasetsApi.versions(api, id, signal) }),
  version: (api: ApiClient, id: string, n: number) =>
    queryOptions({ queryKey: datasetKeys.version(id, n), queryFn: ({ signal }) => datasetsApi.version(api, id, n, signal), staleTime: Infinity }),
  preview: (api: ApiClient, id: string, seed: number, limit = 50) =>
    queryOptions({
      queryKey: datasetKeys.preview(id, seed, limit),
      queryFn: ({ signal }) => datasetsApi.preview(api, id, seed, limit, signal),
      placeholderData: keepPreviousData,
    }),
  stats: (api: ApiClient, id: string) => queryOptions({ queryKey: datasetKeys.stats(id), queryFn: ({ signal }) => datasetsApi.stats(api, id, false, signal) }),
  quality: (api: ApiClient, id: string) =>
    queryOptions({ queryKey: datasetKeys.quality(id), queryFn: ({ signal }) => datasetsApi.quality(api, id, signal) }),
  sql: (api: ApiClient, id: string, dialect: Dialect, training: boolean, version?: number) =>
    queryOptions({
      queryKey: datasetKeys.sql(id, dialect, training, version),
      queryFn: ({ signal }) => datasetsApi.sql(api, id, dialect, training, version, signal),
      retry: false,
    }),
  previewOf: (api: ApiClient, d: Dataset, seed: number, limit = 20) =>
    queryOptions({
      queryKey: datasetKeys.model('preview', d, seed),
      queryFn: ({ signal }) => datasetsApi.previewOf(api, d, seed, limit, signal),
      placeholderData: keepPreviousData,
      retry: false,
    }),
  qualityOf: (api: ApiClient, d: Dataset) =>
    queryOptions({
      queryKey: datasetKeys.model('quality', d),
      queryFn: ({ signal }) => datasetsApi.qualityOf(api, d, signal),
      placeholderData: keepPreviousData,
      retry: false,
    }),
  compile: (api: ApiClient, d: Dataset) =>
    queryOptions({
      queryKey: datasetKeys.model('compile', d),
      queryFn: ({ signal }) => datasetsApi.compile(api, d, signal),
      placeholderData: keepPreviousData,
      retry: false,
    }),
  pareto: (api: ApiClient, d: Dataset, entity: Entity, points = 100) =>
    queryOptions({
      queryKey: datasetKeys.model('pareto', d, `${entity}:${points}`),
      queryFn: ({ signal }) => datasetsApi.pareto(api, d, entity, points, signal),
      placeholderData: keepPreviousData,
      retry: false,
      staleTime: 60000,
    }),
  joinSuggestions: (api: ApiClient, l: TableRef, r: TableRef) =>
    queryOptions({
      queryKey: datasetKeys.joins(l, r),
      queryFn: ({ signal }) => datasetsApi.joinSuggestions(api, l, r, signal),
      staleTime: 60000,
      retry: false,
    }),
  roleSuggestions: (api: ApiClient, tables: TableRef[]) =>
    queryOptions({
      queryKey: datasetKeys.roles(tables),
      queryFn: ({ signal }) => datasetsApi.roleSuggestions(api, tables, signal),
      staleTime: 60000,
      retry: false,
    }),
  tableStats: (api: ApiClient, t: TableRef) =>
    queryOptions({ queryKey: datasetKeys.tableStats(t), queryFn: ({ signal }) => datasetsApi.tableStats(api, t, false, signal), staleTime: 60000 }),
};

export function useDatasets() {
  return useQuery(datasetQueries.list(useApi()));
}

export function useDataset(id: string, enabled = true) {
  return useQuery({ ...datasetQueries.one(useApi(), id), enabled: enabled && !!id });
}

/** A dataset write; once done, every datasets query is refreshed. */
export function useDatasetWrite<TVars, TOut>(fn: (api: ApiClient, v: TVars) => Promise<TOut>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: TVars) => fn(api, v),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: datasetKeys.all });
    },
  });
}
