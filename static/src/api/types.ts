// Types of the b2brecs HTTP API v1 (docs/api.md).
//
// The shapes of Go types come from generated.ts (tools/tsgen; a Go test fails when it is stale).
// This file re-exports them, narrows a few string fields to the values the SPA branches on, and
// types by hand only the answers shared/api builds as maps (envelopes, sign-in, uploads, previews).

import type * as G from './generated';

export type {
  Column,
  ColumnType,
  Confidence,
  ConnectionFields,
  ConnectionType,
  Dashboard,
  DatabaseSource,
  Dest,
  FileMode,
  FileSource,
  Job,
  JobPatch,
  JobStats,
  JobView,
  LoadMode,
  LogLevel,
  LogLine,
  Phase,
  Progress,
  Reject,
  Role,
  Run,
  RunErrorType,
  RunLog,
  RunStats,
  RunStatus,
  RunsSummary,
  RunSummary,
  ScheduleType,
  ScheduleView,
  Schema,
  SchemaEvolution,
  SecretPatch,
  SecretValues,
  SourceColumn,
  SourceFile,
  SourceTableInfo,
  SourceTableItem,
  Stages,
  StorageObject,
  Table,
  TableMeta,
  Tenant,
  TestResult,
  User,
} from './generated';

/**
 * T with the fields of N narrowed: every key of N must be a field of T, and its type must fit the
 * generated one, so a narrowing cannot outlive the Go field it narrows.
 */
type Narrow<T, N extends { [K in keyof N]: K extends keyof T ? T[K] : never }> = Omit<T, keyof N> & N;

export type RunTrigger = G.Trigger;

export type DayOfWeek = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export type { ScheduleSpec } from './generated';

/** The secret fields of a connection ("password", ...). */
export type SecretField = keyof G.SecretValues;

export type Connection = Narrow<
  G.Connection,
  { secret_fields: SecretField[] | null; last_test_status: 'success' | 'failed' | '' }
>;

/** Body of POST /api/connections and /api/connections/test (the server reads missing fields as empty). */
export type NewConnection = Partial<G.NewConnection> & Pick<G.NewConnection, 'name' | 'type'>;

/** Body of PATCH /api/connections/{id}. */
export type ConnectionPatch = Partial<G.ConnectionPatch>;

/** The answer of POST (CreateConnectionResult) and PATCH (UpdateConnectionResult) /api/connections. */
export type SaveConnectionResponse = G.CreateConnectionResult & Partial<Pick<G.UpdateConnectionResult, 'affected_jobs_count'>>;

/** Body of POST /api/jobs: the server fills a missing destination dataset or table. */
export type NewJob = Omit<G.NewJob, 'dest'> & { dest: Partial<G.Dest> };

/** Body of POST /api/users. Without a password (cloud deployments only) the user is mailed a link to set one. */
export interface NewUser {
  email: string;
  name: string;
  role: G.Role;
  password?: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  user: G.User;
  tenant: G.Tenant;
}

export interface MeResponse {
  user: G.User;
  tenant: G.Tenant;
}

export interface TablePreview {
  columns: G.Column[] | null;
  rows: unknown[][] | null;
}

export interface TableDetailResponse {
  table: G.Table;
  preview: TablePreview;
}

export interface RejectsResponse {
  rejects: G.Reject[];
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
  status?: G.RunStatus;
}

export interface SchedulePreview {
  spec: G.ScheduleSpec;
  cron: string;
  time_zone: string;
  label: string;
  next_runs: string[] | null;
}

/** Body and answer of POST /api/connections/{id}/files/detect (generated from connections.DetectRequest/Detection). */
export type DetectRequest = G.DetectRequest;
export type Detection = G.Detection;
/** How a file reads (tabular.Inferred): its columns and the options a load would use. */
export type Inferred = G.Inferred;
/** A detected column of a file (tabular.InferredColumn). */
export type DetectedColumn = G.InferredColumn;
