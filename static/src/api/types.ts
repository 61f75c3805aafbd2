// Types of the b2brecs HTTP API v1 (docs/api.md).

export type Role = 'viewer' | 'editor' | 'admin';

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface User {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
  /** Disabled users cannot sign in (the server may omit it). */
  disabled?: boolean;
}

/** Body of POST /api/users. */
export interface NewUser {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  user: User;
  tenant: Tenant;
}

export interface MeResponse {
  user: User;
  tenant: Tenant;
}

export type ColumnType =
  | 'STRING'
  | 'INT64'
  | 'FLOAT64'
  | 'NUMERIC'
  | 'BOOL'
  | 'DATE'
  | 'TIMESTAMP'
  | 'DATETIME'
  | 'TIME'
  | 'JSON'
  | 'BYTES'
  | (string & {});

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface Table {
  dataset: string;
  name: string;
  schema: Column[];
  num_rows: number;
  num_bytes: number;
  created: string | null;
  modified: string | null;
}

export interface TablePreview {
  columns: Column[];
  rows: unknown[][];
}

export interface TableDetailResponse {
  table: Table;
  preview: TablePreview;
}

export type LoadMode = 'append' | 'truncate' | 'merge';

export type RunStatus = 'pending' | 'running' | 'completed' | 'partial' | 'failed' | 'cancelled';

export type RunTrigger = 'file_drop' | 'manual' | 'schedule' | 'retry';

export interface Job {
  id: string;
  name: string;
  source_type: 'file' | (string & {});
  file: { prefix: string; pattern: string; format: string } | null;
  dest: { dataset: string; table: string };
  load_mode: LoadMode;
  schedule: { cron: string; time_zone: string } | null;
  auto_created: boolean;
  enabled: boolean;
  created_at: string;
  last_run: { id: string; status: RunStatus; completed_at: string | null } | null;
}

export interface StorageObject {
  bucket: string;
  name: string;
  generation?: string | number;
  size: number;
}

export interface RunStages {
  init_completed_at: string | null;
  validation_completed_at: string | null;
  extraction_started_at: string | null;
  extraction_completed_at: string | null;
  loading_started_at: string | null;
  loading_completed_at: string | null;
}

export type RunErrorType = 'init' | 'validation' | 'extraction' | 'load' | 'unknown' | '';

export interface Run {
  id: string;
  job_id: string;
  job_name: string;
  status: RunStatus;
  trigger: RunTrigger;
  object: StorageObject | null;
  dest: { dataset: string; table: string };
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  stages: Partial<RunStages> | null;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  bytes_processed: number;
  duration_seconds: number;
  progress: { rows_read: number; phase: string } | null;
  error_type: RunErrorType | null;
  error_message: string;
  /** Set when the run loaded nothing on purpose, e.g. "unchanged: ..."; the server may omit it. */
  skipped_reason?: string;
  /** The encoding a file was read in: "utf-8", or "windows-1252" when detected as latin-1 / windows-1252. */
  encoding?: string;
}

export interface Reject {
  line: number;
  column?: string;
  reason: string;
  raw?: string;
}

export interface RejectsResponse {
  rejects: Reject[];
  total: number;
}

export interface UploadResponse {
  object: UploadObject;
}

export interface UploadObject {
  bucket: string;
  name: string;
  size: number;
}

/** What POST /api/uploads is asked: the file to upload. */
export interface UploadTicketRequest {
  name: string;
  size: number;
  content_type?: string;
}

/** Local platform: the file goes through the API (multipart POST of `field` to `url`). */
export interface DirectUploadTicket {
  mode: 'direct';
  method: string;
  url: string;
  field: string;
  max_bytes: number;
  object: UploadObject;
}

/**
 * Cloud: the file goes straight to the drop bucket. `method` (POST) on the signed `url` with exactly
 * `headers` starts a resumable session (answered with its URI in Location); the bytes go there with PUT.
 */
export interface SignedUploadTicket {
  mode: 'signed';
  resumable: boolean;
  method: string;
  url: string;
  headers: Record<string, string>;
  expires: string;
  max_bytes: number;
  object: UploadObject;
}

export type UploadTicket = DirectUploadTicket | SignedUploadTicket;

export interface DropFile {
  name: string;
  size: number;
  modified: string;
}

export interface RunsQuery {
  limit?: number;
  job_id?: string;
  status?: RunStatus;
}

// --- schedules and job editing (docs/api.md: ScheduleSpec, ScheduleView, NewJob, JobPatch, JobView)

export type ScheduleType = 'manual' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'cron';
export type DayOfWeek = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface ScheduleSpec {
  type: ScheduleType;
  minute?: number;
  time?: string;
  day_of_week?: DayOfWeek;
  day_of_month?: number;
  cron?: string;
  time_zone?: string;
}

export interface ScheduleView {
  spec: ScheduleSpec;
  cron: string;
  time_zone: string;
  label: string;
  paused: boolean;
}

export interface SchedulePreview {
  spec: ScheduleSpec;
  cron: string;
  time_zone: string;
  label: string;
  next_runs: string[] | null;
}

/** GET /api/jobs/{id} and the answers of POST/PATCH/pause/resume. */
export interface JobView extends Omit<Job, 'schedule'> {
  merge_keys?: string[];
  schedule: ScheduleView;
  next_runs: string[] | null;
}

export interface NewJob {
  name: string;
  file: { prefix: string; pattern: string; format: string };
  dest: { dataset?: string; table?: string };
  load_mode: LoadMode;
  merge_keys?: string[];
  schedule?: ScheduleSpec;
  enabled?: boolean;
}

export interface JobPatch {
  name?: string;
  pattern?: string;
  schedule?: ScheduleSpec;
  enabled?: boolean;
  dest?: { dataset: string; table: string };
  load_mode?: LoadMode;
  merge_keys?: string[];
}

// --- connections (docs/api.md "Connections")

export type ConnectionType = 'postgresql' | 'mysql' | 'mariadb' | 'gcs' | 's3' | 'azure_blob' | 'bigquery' | 'firestore';

export type SecretField = 'password' | 'service_account_json' | 'aws_secret_access_key' | 'azure_account_key' | 'azure_sas_token';

/** The place a connection describes; every field but name and type is optional and omitted when empty. */
export interface ConnectionFields {
  name: string;
  type: ConnectionType;
  description?: string;
  host?: string;
  port?: number;
  database?: string;
  schema?: string;
  username?: string;
  sslmode?: string;
  bucket_url?: string;
  prefix?: string;
  region?: string;
  access_key_id?: string;
  account?: string;
  endpoint?: string;
  project?: string;
  dataset?: string;
}

export interface Connection extends ConnectionFields {
  id: string;
  tenant_id: string;
  enabled: boolean;
  secret_fields: SecretField[] | null;
  has_secret: boolean;
  last_test_status?: 'success' | 'failed' | '';
  last_test_message?: string;
  last_test_at?: string | null;
  last_used_at?: string | null;
  created_at: string;
  updated_at: string;
  jobs_count: number;
}

export type SecretValues = Partial<Record<SecretField, string>>;

export interface NewConnection extends ConnectionFields {
  enabled?: boolean;
  secret?: SecretValues;
  test_first?: boolean;
}

export type ConnectionPatch = Partial<Omit<ConnectionFields, 'type'>> & {
  enabled?: boolean;
  secret?: SecretValues;
  test?: boolean;
};

export interface SourceTableItem {
  name: string;
  rows?: number;
  rows_exact?: boolean;
  size?: number;
  last_modified?: string;
}

export interface TestResult {
  ok: boolean;
  message: string;
  server_version?: string;
  schema?: string;
  tables: SourceTableItem[] | null;
  duplicate_of?: string;
}

export interface SaveConnectionResponse {
  connection: Connection;
  test?: TestResult;
  duplicate_of?: string;
  affected_jobs_count?: number;
}

export interface SourceColumn {
  name: string;
  original_name: string;
  name_changed?: boolean;
  source_type: string;
  type: string;
  confidence?: 'high' | 'medium';
  warning?: string;
  nullable: boolean;
  primary_key?: boolean;
  temporal?: boolean;
  samples?: string[] | null;
}

export interface TableMeta {
  schema: string;
  table: string;
  columns: SourceColumn[];
  total_rows?: number;
  rows_exact?: boolean;
  recommended?: { timestamp_column?: string; timestamp_reason?: string; primary_key?: string[] | null };
}

export interface SourceFile {
  key: string;
  name: string;
  size: number;
  last_modified: string;
}
