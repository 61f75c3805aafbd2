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
  object: { bucket: string; name: string; size: number };
}

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
