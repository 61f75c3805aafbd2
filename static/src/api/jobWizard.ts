// The job wizard's routes (docs/api.md, "Jobs"): the live name check and the destination grid.
//
// The shapes are the Go types tools/tsgen generates (jobs.NameCheck, Destination, ...). They are
// typed here until the generated ones are committed; then this file re-exports them.

import type { ColumnType, Dest, NewJob } from './types';

/** GET /api/jobs/name-check: whether a job name can be taken (the same rules as create). */
export interface NameCheck {
  name: string;
  available: boolean;
  /** Why not, for people ("" when it can). */
  message: string;
}

/** A destination column as the user set it: "" name or type keeps the default. */
export interface ColumnOverride {
  source: string;
  name?: string;
  type?: ColumnType;
}

export interface Partition {
  column: string;
  granularity: 'day';
}

/** Dest with the destination grid's settings (fixed once the job has run, like the table). */
export interface WizardDest extends Dest {
  columns?: ColumnOverride[];
  /** false drops _b2b_source_file and _b2b_loaded_at (nil: true); _b2b_run_id always stays. */
  lineage?: boolean;
  partition?: Partition;
  cluster_by?: string[];
}

export type WizardJob = Omit<NewJob, 'dest'> & { dest: WizardDest };

/** POST /api/jobs/destination: what a job draft would load; `object` is the file to sample (file jobs). */
export interface DestinationRequest {
  job: WizardJob;
  object?: string;
}

export type ColumnMode = 'NULLABLE' | 'REQUIRED';

export interface DestinationColumn {
  /** "" for lineage columns. */
  source: string;
  name: string;
  default_name: string;
  type: ColumnType;
  default_type: ColumnType;
  allowed_types: ColumnType[] | null;
  mode: ColumnMode;
  lineage: boolean;
}

export interface ChangedColumn {
  name: string;
  table_type: ColumnType;
  source_type: ColumnType;
}

export interface Compatibility {
  compatible: boolean;
  added: string[] | null;
  missing: string[] | null;
  changed: ChangedColumn[] | null;
  message: string;
}

export interface Destination {
  table_exists: boolean;
  columns: DestinationColumn[] | null;
  compatibility: Compatibility;
  partition_candidates: string[] | null;
  warehouse: 'duckdb' | 'bigquery';
}
