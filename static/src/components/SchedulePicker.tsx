import { Alert, Badge, Group, Loader, NativeSelect, NumberInput, Paper, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconAlertCircle, IconCalendarEvent } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { errorMessage } from '../api/client';
import { queries } from '../api/queries';
import type { ScheduleType } from '../api/types';
import { useApi } from '../auth/AuthProvider';
import { errorFor, fieldError } from '../lib/fieldErrors';
import { buildSpec, DAYS_OF_WEEK, SCHEDULE_TYPES, timeZones, type ScheduleDraft } from '../lib/schedule';

/** "Wed, 3 Dec 2026, 06:00" (short: "Wed, 3 Dec, 06:00") in the schedule's zone. */
export function formatFireTime(iso: string, timeZone?: string, short = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: short ? undefined : 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
      timeZone,
    }).format(d);
  } catch {
    return d.toISOString();
  }
}

const DAYS_OF_MONTH = Array.from({ length: 28 }, (_, i) => String(i + 1));

/**
 * Edits a job schedule: manual, hourly, daily, weekly, monthly or cron, in an IANA zone. As the
 * user edits it asks POST /api/schedules/preview (debounced) and shows the label and the next fire
 * times, or the server's message at the field it names.
 */
export function SchedulePicker({
  value,
  onChange,
  debounceMs = 300,
  serverError,
}: {
  value: ScheduleDraft;
  onChange: (d: ScheduleDraft) => void;
  debounceMs?: number;
  /** A save's 400 naming a schedule field, shown like a preview error. */
  serverError?: unknown;
}) {
  const api = useApi();
  const spec = useMemo(() => buildSpec(value), [value]);
  const [debounced] = useDebouncedValue(spec, debounceMs);
  const preview = useQuery(queries.schedulePreview(api, debounced));
  const zones = useMemo(() => timeZones(value.timeZone), [value.timeZone]);
  const set = (patch: Partial<ScheduleDraft>) => onChange({ ...value, ...patch });

  const err = preview.isError ? preview.error : serverError;
  const fe = fieldError(err);
  const at = (field: string) => errorFor(err, `schedule.${field}`);
  const general = err && (!fe || !fe.field.startsWith('schedule.') || !['minute', 'time', 'day_of_week', 'day_of_month', 'cron', 'time_zone'].includes(fe.field.slice(9)));
  const stale = JSON.stringify(spec) !== JSON.stringify(debounced) || preview.isFetching;

  return (
    <Stack gap="sm" data-testid="schedule-picker">
      <SegmentedControl
        fullWidth
        data={SCHEDULE_TYPES}
        value={value.type}
        onChange={(t) => set({ type: t as ScheduleType })}
        data-testid="schedule-type"
      />
      {value.type !== 'manual' && (
        <Group grow align="flex-start">
          {value.type === 'hourly' && (
            <NumberInput
              label="Minute past the hour"
              min={0}
              max={59}
              clampBehavior="none"
              allowDecimal={false}
              value={value.minute}
              onChange={(v) => set({ minute: typeof v === 'number' ? v : Number(v) || 0 })}
              error={at('minute')}
              data-testid="schedule-minute"
            />
          )}
          {value.type === 'weekly' && (
            <NativeSelect
              label="Day"
              data={DAYS_OF_WEEK}
              value={value.dayOfWeek}
              onChange={(e) => set({ dayOfWeek: e.currentTarget.value as ScheduleDraft['dayOfWeek'] })}
              error={at('day_of_week')}
              data-testid="schedule-day-of-week"
            />
          )}
          {value.type === 'monthly' && (
            <NativeSelect
              label="Day of the month"
              description="1-28, so every month has it"
              data={DAYS_OF_MONTH}
              value={String(value.dayOfMonth)}
              onChange={(e) => set({ dayOfMonth: Number(e.currentTarget.value) })}
              error={at('day_of_month')}
              data-testid="schedule-day-of-month"
            />
          )}
          {(value.type === 'daily' || value.type === 'weekly' || value.type === 'monthly') && (
            <TextInput
              label="Time"
              type="time"
              value={value.time}
              onChange={(e) => set({ time: e.currentTarget.value })}
              error={at('time')}
              data-testid="schedule-time"
            />
          )}
          {value.type === 'cron' && (
            <TextInput
              label="Cron expression"
              description="minute hour day-of-month month day-of-week"
              placeholder="*/30 9-17 * * MON-FRI"
              classNames={{ input: 'mono' }}
              value={value.cron}
              onChange={(e) => set({ cron: e.currentTarget.value })}
              error={at('cron')}
              data-testid="schedule-cron"
            />
          )}
          <Select
            label="Time zone"
            searchable
            data={zones}
            value={value.timeZone}
            onChange={(z) => z && set({ timeZone: z })}
            error={at('time_zone')}
            nothingFoundMessage="No such zone"
            maxDropdownHeight={240}
            allowDeselect={false}
            data-testid="schedule-time-zone"
          />
        </Group>
      )}
      <Paper withBorder p="sm" radius="md" bg="var(--mantine-color-gray-0)" data-testid="schedule-preview" data-state={err ? 'error' : preview.data ? 'ok' : 'loading'}>
        {err ? (
          <Alert color="red" variant="transparent" p={0} icon={<IconAlertCircle size={16} />} data-testid="schedule-error">
            <Text size="sm">{general ? (fe ? fe.message : errorMessage(err)) : 'Fix the highlighted field to see the next runs.'}</Text>
          </Alert>
        ) : preview.data ? (
          <Stack gap={6}>
            <Group gap="xs">
              <IconCalendarEvent size={16} />
              <Text size="sm" fw={600} data-testid="schedule-label">
                {preview.data.label}
              </Text>
              {preview.data.cron && (
                <Badge variant="light" color="gray" className="mono" tt="none" data-testid="schedule-cron-badge">
                  {preview.data.cron}
                </Badge>
              )}
              {stale && <Loader size={12} />}
            </Group>
            {value.type === 'manual' ? (
              <Text size="xs" c="dimmed">
                Runs only when files are dropped or you press Run now.
              </Text>
            ) : (preview.data.next_runs ?? []).length > 0 ? (
              <Stack gap={2} data-testid="schedule-next-runs">
                <Text size="xs" c="dimmed" fw={600} tt="uppercase">
                  Next runs
                </Text>
                {(preview.data.next_runs ?? []).map((t) => (
                  <Text key={t} size="sm" className="mono" data-testid="schedule-next-run">
                    {formatFireTime(t, preview.data.time_zone || undefined)}
                  </Text>
                ))}
              </Stack>
            ) : null}
          </Stack>
        ) : (
          <Group gap="xs">
            <Loader size={14} />
            <Text size="sm" c="dimmed">
              Checking the schedule…
            </Text>
          </Group>
        )}
      </Paper>
    </Stack>
  );
}
