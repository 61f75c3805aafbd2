import { describe, expect, it } from 'vitest';
import { run, stages } from '../test/fixtures';
import { baseName, encodingLabel, hasTable, rowsRead, runDurationSeconds, runPhase, skippedLabel, skippedReason, skippedRunId, skippedSentence, startOutcome, statusMeta } from './runs';

describe('runs helpers', () => {
  it('links a table only when the run loaded rows', () => {
    expect(hasTable(run({ rows_loaded: 3 }))).toBe(true);
    expect(hasTable(run({ status: 'failed', rows_loaded: 0, rows_rejected: 5 }))).toBe(false);
  });

  it('labels file encodings', () => {
    expect(encodingLabel('utf-8')).toBe('UTF-8');
    expect(encodingLabel('windows-1252')).toBe('windows-1252 (latin-1)');
    expect(encodingLabel(undefined)).toBe('—');
  });

  it('maps statuses to labels and colours', () => {
    expect(statusMeta('completed')).toEqual({ label: 'Completed', color: 'teal' });
    expect(statusMeta('failed').color).toBe('red');
    expect(statusMeta('partial').color).toBe('yellow');
    expect(statusMeta('mystery')).toEqual({ label: 'mystery', color: 'gray' });
  });

  it('derives the phase of a running run', () => {
    expect(runPhase(run({ status: 'pending' }))).toEqual({ label: 'Queued', percent: 2 });
    expect(runPhase(run({ status: 'running', progress: { rows_read: 5, phase: 'loading' } })).label).toBe('Loading');
    expect(
      runPhase(run({ status: 'running', progress: { rows_read: 0, phase: '' }, stages: stages({ init_completed_at: '2026-01-01T00:00:00Z' }) })).label,
    ).toBe('Validating');
  });

  it('uses live progress for rows read while running', () => {
    expect(rowsRead(run({ status: 'running', rows_read: 0, progress: { rows_read: 1200, phase: 'extraction' } }))).toBe(1200);
    expect(rowsRead(run({ status: 'completed', rows_read: 900, progress: { rows_read: 1200, phase: 'load' } }))).toBe(900);
  });

  it('measures running runs from started_at to now', () => {
    const now = Date.parse('2026-11-26T12:00:10Z');
    const r = run({ status: 'running', started_at: '2026-11-26T12:00:00Z', completed_at: null, duration_seconds: 0 });
    expect(runDurationSeconds(r, now)).toBe(10);
    expect(runDurationSeconds(run({ duration_seconds: 19 }), now)).toBe(19);
    expect(runDurationSeconds(run({ status: 'pending', started_at: null, completed_at: null, duration_seconds: 0 }), now)).toBeNull();
  });

  it('takes the base name of an object', () => {
    expect(baseName('drop/acme/online_retail.csv.gz')).toBe('online_retail.csv.gz');
    expect(baseName('x.csv')).toBe('x.csv');
    expect(baseName(null)).toBe('');
  });
});

describe('skips and Run now outcomes', () => {
  it('reads skip reasons and labels them', () => {
    expect(skippedReason(run({ skipped_reason: undefined }))).toBe('');
    expect(skippedReason(run({ skipped_reason: ' unchanged: same content ' }))).toBe('unchanged: same content');
    expect(skippedLabel('unchanged: the same content of a.csv was loaded by run r_1')).toBe('unchanged');
    expect(skippedLabel('nothing to do here')).toBe('skipped');
    expect(skippedSentence('unchanged: the same content of a.csv was loaded by run r_1f')).toBe('The same content of a.csv was loaded by run r_1f');
    expect(skippedSentence('nothing to do here')).toBe('Nothing to do here');
    expect(skippedRunId('unchanged: the same content of a.csv was loaded by run r_1f')).toBe('r_1f');
    expect(skippedRunId('nothing to do')).toBe('');
    expect(skippedRunId('loaded by run rn_done')).toBe('rn_done');
  });

  it('tells new runs from earlier ones the server answered again', () => {
    const clickedAt = Date.parse('2026-11-26T12:00:00Z');
    const fresh = run({ id: 'new', status: 'pending', created_at: '2026-11-26T12:00:01Z', completed_at: null });
    const freshSkipped = run({ id: 'skip', status: 'completed', created_at: '2026-11-26T11:59:59Z', skipped_reason: 'unchanged: x' });
    const known = run({ id: 'known', status: 'completed', created_at: '2026-11-26T11:59:30Z' });
    const old = run({ id: 'old', status: 'completed', created_at: '2026-11-26T10:00:00Z' });
    const oldButRunning = run({ id: 'slow', status: 'running', created_at: '2026-11-26T10:00:00Z', completed_at: null });
    const out = startOutcome([fresh, freshSkipped, known, old, oldButRunning], clickedAt, new Set(['known']));
    expect(out.started.map((r) => r.id)).toEqual(['new', 'skip', 'slow']);
    expect(out.earlier.map((r) => r.id)).toEqual(['known', 'old']);
  });
});
