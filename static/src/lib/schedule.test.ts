import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { errorFor, fieldError } from './fieldErrors';
import { buildSpec, defaultDraft, draftFromSpec, timeZones, type ScheduleDraft } from './schedule';

const base: ScheduleDraft = { ...defaultDraft('Europe/Warsaw'), minute: 15, time: '08:30', dayOfWeek: 'fri', dayOfMonth: 28, cron: ' */30 9-17 * * MON-FRI ' };

describe('buildSpec', () => {
  it.each([
    ['manual', { type: 'manual' }],
    ['hourly', { type: 'hourly', minute: 15, time_zone: 'Europe/Warsaw' }],
    ['daily', { type: 'daily', time: '08:30', time_zone: 'Europe/Warsaw' }],
    ['weekly', { type: 'weekly', day_of_week: 'fri', time: '08:30', time_zone: 'Europe/Warsaw' }],
    ['monthly', { type: 'monthly', day_of_month: 28, time: '08:30', time_zone: 'Europe/Warsaw' }],
    ['cron', { type: 'cron', cron: '*/30 9-17 * * MON-FRI', time_zone: 'Europe/Warsaw' }],
  ] as const)('%s sets only its own fields', (type, want) => {
    expect(buildSpec({ ...base, type })).toEqual(want);
  });

  it('falls back to UTC without a zone', () => {
    expect(buildSpec({ ...base, type: 'daily', timeZone: '' })).toEqual({ type: 'daily', time: '08:30', time_zone: 'UTC' });
  });

  it('round-trips through draftFromSpec', () => {
    for (const type of ['hourly', 'daily', 'weekly', 'monthly', 'cron'] as const) {
      const spec = buildSpec({ ...base, type });
      expect(buildSpec(draftFromSpec(spec, 'Asia/Tokyo'))).toEqual(spec);
    }
    expect(draftFromSpec(null, 'Asia/Tokyo')).toMatchObject({ type: 'manual', timeZone: 'Asia/Tokyo' });
  });
});

describe('timeZones', () => {
  it('lists UTC first and includes the current value', () => {
    const z = timeZones('Mars/Olympus');
    expect(z[0]).toBe('UTC');
    expect(z).toContain('Mars/Olympus');
  });
});

describe('fieldError', () => {
  it.each([
    ['schedule.time: "25:00" is not a time between 00:00 and 23:59', 'schedule.time', '"25:00" is not a time between 00:00 and 23:59'],
    ['connection: port: must be 1-65535', 'port', 'Must be 1-65535'],
    ['file.pattern: is required (a glob on the file name, such as orders_*.csv)', 'file.pattern', 'Is required (a glob on the file name, such as orders_*.csv)'],
  ])('%s', (msg, field, text) => {
    expect(fieldError(new ApiError('invalid', msg, 400))).toEqual({ field, message: text });
    expect(errorFor(new ApiError('invalid', msg, 400), 'other', field)).toBe(text);
  });

  it('takes the field the API names, for any kind', () => {
    expect(fieldError(new ApiError('invalid', '"25:00" is not a time', 400, 'schedule.time'))).toEqual({
      field: 'schedule.time',
      message: '"25:00" is not a time',
    });
    expect(fieldError(new ApiError('conflict', 'a job named "orders" already exists', 409, 'name'))).toEqual({
      field: 'name',
      message: 'A job named "orders" already exists',
    });
    expect(errorFor(new ApiError('invalid', 'must be 1-65535', 400, 'port'), 'port')).toBe('Must be 1-65535');
  });

  it('ignores other errors', () => {
    expect(fieldError(new ApiError('conflict', 'name: taken', 409))).toBeNull();
    expect(fieldError(new ApiError('invalid', 'etl: job jb_1 is paused', 400))).toBeNull();
    expect(fieldError(new ApiError('invalid', 'connection test failed: cannot reach the server', 400))).toBeNull();
  });
});
