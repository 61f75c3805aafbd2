import { describe, expect, it } from 'vitest';
import { run } from '../test/fixtures';
import { FAST_POLL_MS, runPollInterval, runsPollInterval, SLOW_POLL_MS } from './polling';

describe('runsPollInterval', () => {
  const now = 1_000_000;
  it('polls every 2 s while a run is pending or running', () => {
    expect(FAST_POLL_MS).toBe(2000);
    expect(runsPollInterval([run({ status: 'completed' }), run({ status: 'running' })], now)).toBe(2000);
    expect(runsPollInterval([run({ status: 'pending' })], now)).toBe(2000);
  });

  it('polls slowly when every run has finished, or there are none', () => {
    expect(SLOW_POLL_MS).toBeGreaterThan(FAST_POLL_MS);
    for (const status of ['completed', 'partial', 'failed', 'cancelled'] as const) {
      expect(runsPollInterval([run({ status })], now)).toBe(SLOW_POLL_MS);
    }
    expect(runsPollInterval([], now)).toBe(SLOW_POLL_MS);
    expect(runsPollInterval(undefined, now)).toBe(SLOW_POLL_MS);
  });

  it('polls fast right after an upload, before the new run appears', () => {
    expect(runsPollInterval([run({ status: 'completed' })], now, now + 5000)).toBe(FAST_POLL_MS);
    expect(runsPollInterval([run({ status: 'completed' })], now, now - 1)).toBe(SLOW_POLL_MS);
  });
});

describe('runPollInterval', () => {
  it('polls a moving run and stops once it has finished', () => {
    expect(runPollInterval(run({ status: 'running' }))).toBe(FAST_POLL_MS);
    expect(runPollInterval(undefined)).toBe(FAST_POLL_MS);
    expect(runPollInterval(run({ status: 'failed' }))).toBe(false);
  });
});
