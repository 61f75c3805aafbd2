import type { Run, RunStatus, RunTrigger } from '../api/types';
import { parseTime } from './format';

export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>(['pending', 'running']);

export function isActive(run: Pick<Run, 'status'>): boolean {
  return ACTIVE_STATUSES.has(run.status);
}

/** A run that can be run again from the UI: it ended without loading everything, and has a job. */
export function canRerun(run: Pick<Run, 'status' | 'job_id'>): boolean {
  return !!run.job_id && (run.status === 'failed' || run.status === 'cancelled' || run.status === 'partial');
}

export interface StatusMeta {
  label: string;
  color: string;
}

export const STATUS_META: Record<RunStatus, StatusMeta> = {
  pending: { label: 'Pending', color: 'gray' },
  running: { label: 'Running', color: 'blue' },
  completed: { label: 'Completed', color: 'teal' },
  partial: { label: 'Partial', color: 'yellow' },
  failed: { label: 'Failed', color: 'red' },
  cancelled: { label: 'Cancelled', color: 'gray' },
};

export function statusMeta(status: string): StatusMeta {
  return STATUS_META[status as RunStatus] ?? { label: status || 'Unknown', color: 'gray' };
}

export const TRIGGER_LABELS: Record<RunTrigger, string> = {
  file_drop: 'File drop',
  manual: 'Manual',
  schedule: 'Schedule',
  retry: 'Retry',
};

export function triggerLabel(t: string): string {
  return TRIGGER_LABELS[t as RunTrigger] ?? t;
}

/** Phases of a run in order, with a rough share of the work done when the phase starts. */
const PHASES: { key: string; label: string; at: number }[] = [
  { key: 'init', label: 'Initialising', at: 5 },
  { key: 'validation', label: 'Validating', at: 15 },
  { key: 'extraction', label: 'Extracting', at: 30 },
  { key: 'loading', label: 'Loading', at: 70 },
  { key: 'load', label: 'Loading', at: 70 },
  { key: 'finalizing', label: 'Finalising', at: 95 },
];

/** Where a running run is, from its progress phase or, lacking one, its stage timestamps. */
export function runPhase(run: Run): { label: string; percent: number } {
  if (run.status === 'pending') return { label: 'Queued', percent: 2 };
  const phase = run.progress?.phase?.toLowerCase() ?? '';
  const known = PHASES.find((p) => phase.startsWith(p.key));
  if (known) return { label: known.label, percent: known.at };
  const s = run.stages ?? {};
  if (s.loading_started_at) return { label: 'Loading', percent: 70 };
  if (s.extraction_started_at) return { label: 'Extracting', percent: 30 };
  if (s.validation_completed_at) return { label: 'Validated', percent: 25 };
  if (s.init_completed_at) return { label: 'Validating', percent: 15 };
  return { label: phase ? phase[0].toUpperCase() + phase.slice(1) : 'Starting', percent: 5 };
}

/** Rows read so far: the live progress counter while running, the final count afterwards. */
export function rowsRead(run: Run): number {
  if (isActive(run)) return Math.max(run.progress?.rows_read ?? 0, run.rows_read ?? 0);
  return run.rows_read ?? 0;
}

/** Duration in seconds: the server's figure when finished, else measured from started_at to now. */
export function runDurationSeconds(run: Run, now = Date.now()): number | null {
  if (!isActive(run) && run.duration_seconds > 0) return run.duration_seconds;
  const start = run.started_at ?? (isActive(run) ? null : run.created_at);
  if (!start) return null;
  const a = parseTime(start);
  const b = run.completed_at ? parseTime(run.completed_at) : now;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return Math.max(0, (b - a) / 1000);
}

/**
 * Whether the run's destination table can be linked: only a run that loaded rows is sure to have
 * one (a failed run, or one that rejected every row, may have created none).
 */
export function hasTable(run: Pick<Run, 'rows_loaded'>): boolean {
  return run.rows_loaded > 0;
}

/** How a run's file encoding reads, e.g. "windows-1252 (latin-1)". */
export function encodingLabel(encoding: string | undefined): string {
  if (!encoding) return '—';
  if (encoding === 'windows-1252' || encoding === 'iso-8859-1') return `${encoding} (latin-1)`;
  return encoding.toUpperCase() === 'UTF-8' ? 'UTF-8' : encoding;
}

/** The file name without its folders: "drop/acme/online_retail.csv.gz" → "online_retail.csv.gz". */
export function baseName(path: string | null | undefined): string {
  if (!path) return '';
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

/** The reason a run loaded nothing on purpose ("unchanged: …"), or "" when it was not skipped. */
export function skippedReason(run: Pick<Run, 'skipped_reason'>): string {
  return (run.skipped_reason ?? '').trim();
}

/** A short label for a skip reason: its first word before ":" ("unchanged"), or "skipped". */
export function skippedLabel(reason: string): string {
  const head = reason.split(':')[0].trim();
  return head && head.length <= 24 && !head.includes(' ') ? head : 'skipped';
}

export interface StartOutcome {
  /** Runs the request created (some may already be finished as skipped). */
  started: Run[];
  /** Earlier runs the server answered because that version of the object was already run. */
  earlier: Run[];
}

/**
 * Sorts the runs POST /api/jobs/{id}/runs answered into new ones and earlier ones. The server
 * answers the existing run when a version of an object was already run; such a run is one the
 * page already knew (`known`: the runs list, the job's last run) or was created well before the
 * click (allowing two minutes of clock skew).
 */
export function startOutcome(runs: Run[], clickedAt: number, known: ReadonlySet<string> = new Set()): StartOutcome {
  const out: StartOutcome = { started: [], earlier: [] };
  for (const r of runs) {
    const created = parseTime(r.created_at);
    const old = known.has(r.id) || (!isActive(r) && !Number.isNaN(created) && created < clickedAt - 120_000);
    (old ? out.earlier : out.started).push(r);
  }
  return out;
}

/**
 * A skip reason as a sentence, without its label: "unchanged: the same content of a.csv was
 * loaded by run r_1" → "The same content of a.csv was loaded by run r_1".
 */
export function skippedSentence(reason: string): string {
  const label = skippedLabel(reason);
  const rest = label !== 'skipped' && reason.startsWith(label + ':') ? reason.slice(label.length + 1).trim() : reason.trim();
  return rest ? rest[0].toUpperCase() + rest.slice(1) : reason;
}

/** The run a skip reason points at ("… loaded by run r_1"), or "". */
export function skippedRunId(reason: string): string {
  return /\bby run ([A-Za-z0-9_-]+)/.exec(reason)?.[1] ?? '';
}
