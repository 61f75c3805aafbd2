import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCell,
  formatCompactCount,
  formatCount,
  formatDateTime,
  formatDuration,
  formatRelative,
  formatTime,
  secondsBetween,
} from './format';

const sp = (s: string) => s.replace(/\u00a0/g, ' ');

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [0.42, '0.4 s'],
    [1, '1 s'],
    [9.96, '10 s'],
    [12, '12 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [185, '3 min 5 s'],
    [3600, '1 h'],
    [3725, '1 h 2 min'],
    [86400, '1 d'],
    [90061, '1 d 1 h'],
  ])('%f s → %s', (s, want) => {
    expect(sp(formatDuration(s))).toBe(want);
  });

  it.each([null, undefined, -1, Number.NaN])('%s → dash', (v) => {
    expect(formatDuration(v as number)).toBe('—');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [7611818, '7.3 MB'],
    [150 * 1024 * 1024, '150 MB'],
    [3 * 1024 ** 3, '3 GB'],
  ])('%i → %s', (n, want) => {
    expect(sp(formatBytes(n))).toBe(want);
  });

  it('dashes missing or negative sizes', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(-5)).toBe('—');
  });
});

describe('row counts', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [541909, '541,909'],
    [1234567.4, '1,234,567'],
  ])('formatCount(%f) = %s', (n, want) => {
    expect(formatCount(n)).toBe(want);
  });

  it.each([
    [999, '999'],
    [1234, '1.2K'],
    [4372, '4.4K'],
    [541909, '542K'],
    [2_500_000, '2.5M'],
    [3_000_000_000, '3B'],
  ])('formatCompactCount(%i) = %s', (n, want) => {
    expect(formatCompactCount(n)).toBe(want);
  });

  it('dashes missing counts', () => {
    expect(formatCount(undefined)).toBe('—');
    expect(formatCompactCount(null)).toBe('—');
  });
});

describe('dates', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('formats date-times and times in a given zone', () => {
    expect(formatDateTime('2026-11-26T16:31:20Z', { timeZone: 'UTC' })).toBe('26 Nov 2026, 16:31:20');
    expect(formatDateTime('2026-11-26T16:31:20Z', { timeZone: 'Europe/Berlin' })).toBe('26 Nov 2026, 17:31:20');
    expect(formatTime('2026-11-26T16:31:20Z', { timeZone: 'UTC' })).toBe('16:31:20');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
    expect(formatDateTime('0001-01-01T00:00:00Z')).toBe('—'); // Go's zero time means unset
    expect(formatRelative('0001-01-01T00:00:00Z', now)).toBe('—');
  });

  it.each([
    ['2026-11-26T12:00:00Z', 'just now'],
    ['2026-11-26T12:00:20Z', 'just now'], // slight clock skew
    ['2026-11-26T11:59:30Z', '30 s ago'],
    ['2026-11-26T11:57:00Z', '3 min ago'],
    ['2026-11-26T09:00:00Z', '3 h ago'],
    ['2026-11-22T12:00:00Z', '4 d ago'],
  ])('formatRelative(%s) = %s', (iso, want) => {
    expect(sp(formatRelative(iso, now))).toBe(want);
  });

  it('falls back to the date for old timestamps', () => {
    expect(formatRelative('2026-01-01T00:00:00Z', now, { timeZone: 'UTC' })).toBe('1 Jan 2026, 00:00:00');
  });

  it('measures seconds between timestamps', () => {
    expect(secondsBetween('2026-11-26T12:00:00Z', '2026-11-26T12:01:30Z')).toBe(90);
    expect(secondsBetween('2026-11-26T11:59:50Z', null, now)).toBe(10);
    expect(secondsBetween(null, '2026-11-26T12:00:00Z')).toBeNull();
  });
});

describe('formatCell', () => {
  it('shows nulls, objects and scalars', () => {
    expect(formatCell(null)).toBe('NULL');
    expect(formatCell(undefined)).toBe('NULL');
    expect(formatCell(3.5)).toBe('3.5');
    expect(formatCell(false)).toBe('false');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
  });
});
