import { describe, expect, it } from 'vitest';
import { run } from '../test/fixtures';
import { baseName, rowsRead, runDurationSeconds, runPhase, statusMeta } from './runs';

describe('runs helpers', () => {
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
      runPhase(run({ status: 'running', progress: null, stages: { init_completed_at: '2026-01-01T00:00:00Z' } })).label,
    ).toBe('Validating');
  });

  it('uses live progress for rows read while running', () => {
    expect(rowsRead(run({ status: 'running', rows_read: 0, progress: { rows_read: 1200, phase: 'extraction' } }))).toBe(1200);
    expect(rowsRead(run({ status: 'completed', rows_read: 900, progress: { rows_read: 1200, phase: 'done' } }))).toBe(900);
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
