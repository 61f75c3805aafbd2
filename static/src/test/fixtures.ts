import type { Connection, JobView, Run, Stages, Table, Tenant, User } from '../api/types';
import type { Session } from '../auth/session';

export const tenant: Tenant = { id: 'tn_1', name: 'Acme Wholesale Ltd', created_at: '2026-01-01T00:00:00Z' };

export function user(role: User['role'] = 'editor'): User {
  return { id: 'us_1', tenant_id: tenant.id, email: `${role}@acme.test`, name: 'Erin', role, disabled: false, created_at: '2026-01-01T00:00:00Z' };
}

export function session(role: User['role'] = 'editor'): Session {
  return { token: 'tok-123', expiresAt: '2999-01-01T00:00:00Z', user: user(role), tenant };
}

const NOW = Date.parse('2026-11-26T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

/** Stage times: the ones given, null for the others. */
export function stages(done: Partial<Stages> = {}): Stages {
  return {
    init_completed_at: null,
    validation_completed_at: null,
    extraction_started_at: null,
    extraction_completed_at: null,
    loading_started_at: null,
    loading_completed_at: null,
    ...done,
  };
}

export function run(over: Partial<Run> = {}): Run {
  return {
    id: 'rn_1',
    tenant: tenant.id,
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
    rows_per_second: 28521,
    progress: { rows_read: 541909, phase: 'load' },
    error_type: '',
    error_message: '',
    skipped_reason: '',
    attempts: 1,
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
    stages: stages({ init_completed_at: at(5), validation_completed_at: at(4), extraction_started_at: at(4) }),
  }),
  run({ id: 'rn_partial', status: 'partial', job_name: 'customers', rows_read: 4380, rows_loaded: 4372, rows_rejected: 8 }),
  run({ id: 'rn_failed', status: 'failed', job_name: 'products', rows_read: 0, rows_loaded: 0, error_type: 'extraction', error_message: 'bad header' }),
  run({ id: 'rn_done', status: 'completed' }),
];

/** GET /api/jobs answers job views: each with its schedule and next fire times. */
export const JOBS: JobView[] = [
  {
    id: 'jb_1',
    tenant: tenant.id,
    name: 'online_retail',
    source_type: 'file',
    file: { prefix: '', pattern: 'online_retail.csv.gz', format: 'csv' },
    dest: { dataset: 'raw_data', table: 'online_retail' },
    load_mode: 'truncate',
    auto_created: true,
    enabled: true,
    created_at: at(3600),
    last_run: { id: 'rn_done', status: 'completed', completed_at: at(100) },
    schedule: { spec: { type: 'daily', time: '07:15', time_zone: 'UTC' }, cron: '15 7 * * *', time_zone: 'UTC', label: 'Daily 07:15', paused: false },
    next_runs: ['2026-12-02T07:15:00Z', '2026-12-03T07:15:00Z'],
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

/** A saved connection as GET /api/connections answers it; `over` sets its type and place. */
export function connection(over: Partial<Connection> & Pick<Connection, 'id' | 'name' | 'type'>): Connection {
  return {
    tenant_id: tenant.id,
    enabled: true,
    secret_fields: [],
    has_secret: false,
    last_test_status: '',
    last_test_message: '',
    last_test_at: null,
    last_used_at: null,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    jobs_count: 0,
    ...over,
  };
}
