import type { DayOfWeek, ScheduleSpec, ScheduleType } from '../api/types';

/** The schedule picker's editable state: every type's fields, so switching type keeps what was typed. */
export interface ScheduleDraft {
  type: ScheduleType;
  minute: number;
  time: string;
  dayOfWeek: DayOfWeek;
  dayOfMonth: number;
  cron: string;
  timeZone: string;
}

export const SCHEDULE_TYPES: { value: ScheduleType; label: string }[] = [
  { value: 'manual', label: 'Manual' },
  { value: 'hourly', label: 'Hourly' },
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'cron', label: 'Cron' },
];

export const DAYS_OF_WEEK: { value: DayOfWeek; label: string }[] = [
  { value: 'mon', label: 'Monday' },
  { value: 'tue', label: 'Tuesday' },
  { value: 'wed', label: 'Wednesday' },
  { value: 'thu', label: 'Thursday' },
  { value: 'fri', label: 'Friday' },
  { value: 'sat', label: 'Saturday' },
  { value: 'sun', label: 'Sunday' },
];

/** The browser's IANA zone, UTC when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** IANA zones for the select: the runtime's list when it has one, with `extra` (the current value) and UTC included. */
export function timeZones(extra?: string): string[] {
  let zones: string[] = [];
  try {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  const set = new Set(zones);
  set.add('UTC');
  if (extra) set.add(extra);
  return [...set].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}

export function defaultDraft(timeZone = browserTimeZone()): ScheduleDraft {
  return { type: 'manual', minute: 0, time: '06:00', dayOfWeek: 'mon', dayOfMonth: 1, cron: '0 6 * * *', timeZone };
}

/** The ScheduleSpec the API takes for a draft: only the fields of its type are set. */
export function buildSpec(d: ScheduleDraft): ScheduleSpec {
  const tz = d.timeZone || 'UTC';
  switch (d.type) {
    case 'manual':
      return { type: 'manual' };
    case 'hourly':
      return { type: 'hourly', minute: d.minute, time_zone: tz };
    case 'daily':
      return { type: 'daily', time: d.time, time_zone: tz };
    case 'weekly':
      return { type: 'weekly', day_of_week: d.dayOfWeek, time: d.time, time_zone: tz };
    case 'monthly':
      return { type: 'monthly', day_of_month: d.dayOfMonth, time: d.time, time_zone: tz };
    case 'cron':
      return { type: 'cron', cron: d.cron.trim(), time_zone: tz };
  }
}

/** A draft for an existing spec (a job's ScheduleView.spec), filling the other types' fields with defaults. */
export function draftFromSpec(spec: ScheduleSpec | null | undefined, fallbackZone = browserTimeZone()): ScheduleDraft {
  const d = defaultDraft(fallbackZone);
  if (!spec) return d;
  return {
    type: spec.type ?? 'manual',
    minute: spec.minute ?? d.minute,
    time: spec.time ?? d.time,
    dayOfWeek: DAYS_OF_WEEK.find((w) => w.value === spec.day_of_week)?.value ?? d.dayOfWeek,
    dayOfMonth: spec.day_of_month ?? d.dayOfMonth,
    cron: spec.cron ?? d.cron,
    timeZone: spec.time_zone || (spec.type === 'manual' ? fallbackZone : 'UTC'),
  };
}
