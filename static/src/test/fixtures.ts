import type { Job, Run, Table, Tenant, User } from '../api/types';
import type { Session } from '../auth/session';

export const tenant: Tenant = { id: 'tn_1', name: 'Acme Wholesale Ltd', created_at: '2026-01-01T00:00:00Z' };

export function user(role: User['role'] = 'editor'): User {
  return { id: 'us_1', tenant_id: tenant.id, email: `${role}@acme.test`, name: 'Erin', role, created_at: '2026-01-01T00:00:00Z' };
}

export function session(role: User['role'] = 'editor'): Session {
  return { token: 'tok-123', expiresAt: '2999-01-01T00:00:00Z', user: user(role), tenant };
}

const NOW = Date.parse('2026-11-26T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

export function run(over: Partial<Run> = {}): Run {
  return {
    id: 'rn_1',
    job_id: 'jb_1',
    job_name: 'online_retail',
    status: 'completed',
    trigger: 'file_drop',
    object: { bucket: 'drop', name: 'online_retail.csv.gz', generation: '1', size: 7611818 },
    dest: { dataset: 'raw_data', table: 'online_retail' },
    created_at: at(120),
    started_at: at(119),
    completed_at: at(100),
    stages: {
      init_completed_at: at(118),
      validation_completed_at: at(117),
      extraction_started_at: at(117),
      extraction_completed_at: at(105),
      loading_started_at: at(105),
      loading_completed_at: at(100),
    },
    rows_read: 541909,
    rows_loaded: 541909,
    rows_rejected: 0,
    bytes_processed: 47_000_000,
    duration_seconds: 19,
    progress: { rows_read: 541909, phase: 'done' },
    error_type: '',
    error_message: '',
    skipped_reason: '',
    ...over,
  };
}

export const RUNS: Run[] = [
  run({
    id: 'rn_running',
    status: 'running',
    completed_at: null,
    rows_read: 0,
    rows_loaded: 0,
    duration_seconds: 0,
    progress: { rows_read: 120000, phase: 'extraction' },
    stages: { init_completed_at: at(5), validation_completed_at: at(4), extraction_started_at: at(4) },
  }),
  run({ id: 'rn_partial', status: 'partial', job_name: 'customers', rows_read: 4380, rows_loaded: 4372, rows_rejected: 8 }),
  run({ id: 'rn_failed', status: 'failed', job_name: 'products', rows_read: 0, rows_loaded: 0, error_type: 'extraction', error_message: 'bad header' }),
  run({ id: 'rn_done', status: 'completed' }),
];

export const JOBS: Job[] = [
  {
    id: 'jb_1',
    name: 'online_retail',
    source_type: 'file',
    file: { prefix: '', pattern: 'online_retail.csv.gz', format: 'csv' },
    dest: { dataset: 'raw_data', table: 'online_retail' },
    load_mode: 'truncate',
    schedule: null,
    auto_created: true,
    enabled: true,
    created_at: at(3600),
    last_run: { id: 'rn_done', status: 'completed', completed_at: at(100) },
  },
];

export const TABLE: Table = {
  dataset: 'raw_data',
  name: 'online_retail',
  schema: [
    { name: 'invoiceno', type: 'STRING', nullable: true },
    { name: 'quantity', type: 'INT64', nullable: true },
    { name: 'unitprice', type: 'FLOAT64', nullable: false },
  ],
  num_rows: 541909,
  num_bytes: 47_000_000,
  created: at(100),
  modified: at(100),
};
