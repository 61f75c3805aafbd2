import { Badge, Group, Loader, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconCircleCheck, IconFolderDown, type Icon } from '@tabler/icons-react';
import { queries, useConnections } from '../../../api/queries';
import type { Connection, FileMode, JobView } from '../../../api/types';
import { useApi } from '../../../auth/AuthProvider';
import { errorFor } from '../../../lib/fieldErrors';
import { locationOf, typeSpec } from '../../connections/connectionTypes';
import type { Draft } from '../JobEditor';
import { isBucket } from '../JobSourceStep';
import { ChoiceCard } from './ChoiceCard';

/**
 * The live name check: asks the server once typing pauses whether the name is free (a job keeps
 * its own name). A failed check (an older server) says nothing; create checks again.
 */
export function useNameCheck(name: string, job: JobView | null) {
  const api = useApi();
  const [debounced] = useDebouncedValue(name.trim(), 350);
  const own = !!job && debounced.toLowerCase() === job.name.toLowerCase();
  const q = useQuery({ ...queries.jobNameCheck(api, debounced, job?.id ?? ''), enabled: debounced !== '' && !own });
  const current = debounced === name.trim() && !own;
  return { data: current ? q.data : undefined, checking: q.isFetching || debounced !== name.trim() };
}

/** A connection card's id: the drop folder is ''. */
interface Choice {
  id: string;
  kind: Draft['kind'];
  label: string;
  sub: string;
  icon: Icon;
  color: string;
  type: string;
}

function choices(conns: Connection[]): Choice[] {
  const drop: Choice = { id: '', kind: 'file', label: 'Drop folder', sub: 'Files you upload or drop start a run at once', icon: IconFolderDown, color: 'brand', type: 'drop' };
  return [
    drop,
    ...conns.map((c) => {
      const s = typeSpec(c.type);
      return { id: c.id, kind: isBucket(c) ? ('file' as const) : ('database' as const), label: c.name, sub: `${s.label} · ${locationOf(c)}`, icon: s.icon, color: s.color, type: c.type };
    }),
  ];
}

const chosenId = (d: Draft) => (d.kind === 'database' ? d.db.connectionId : d.file.connectionId);

/** Step 1: where the data comes from (cards) and the job's name, checked as it is typed. */
export function ConnectionStep({
  draft: d,
  set,
  job,
  err,
  check,
}: {
  draft: Draft;
  set: (p: Partial<Draft>) => void;
  job: JobView | null;
  err: unknown;
  check: ReturnType<typeof useNameCheck>;
}) {
  const conns = useConnections();
  const all = choices(conns.data ?? []);
  const selected = chosenId(d);
  const pick = (c: Choice) => {
    if (c.kind === 'file') {
      set({ kind: 'file', file: { ...d.file, connectionId: c.id, sample: '', ...(c.id ? {} : { subfolders: false, mode: 'all' as FileMode }) } });
    } else {
      set({ kind: 'database', db: { ...d.db, connectionId: c.id, sourceType: c.type, schema: '', table: '', timestampColumn: '' } });
    }
  };
  const taken = check.data && !check.data.available ? check.data.message : undefined;
  const nameError = errorFor(err, 'name') ?? taken;
  const connError = errorFor(err, 'file.connection_id', 'database.connection_id', 'source_type');
  return (
    <Stack gap="lg">
      <TextInput
        label="Job name"
        description="Unique among your jobs; the destination table is named after it unless you choose one"
        placeholder="Orders from the shop"
        required
        maxLength={100}
        value={d.name}
        onChange={(e) => set({ name: e.currentTarget.value })}
        error={nameError}
        rightSection={check.checking && d.name.trim() ? <Loader size={14} /> : check.data?.available ? <IconCircleCheck size={18} color="var(--mantine-color-teal-6)" /> : undefined}
        data-testid="job-name"
        data-check={check.checking ? 'checking' : check.data ? (check.data.available ? 'available' : 'taken') : 'none'}
        data-autofocus
      />
      {check.data?.available && !nameError && (
        <Text size="xs" c="teal" mt={-12} data-testid="job-name-available">
          The name is free.
        </Text>
      )}
      <Stack gap={6}>
        <Text size="sm" fw={500}>
          Where the data comes from
        </Text>
        {connError && (
          <Text size="xs" c="red" data-testid="job-connection-error">
            {connError}
          </Text>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm" data-testid="job-connection" aria-invalid={connError ? 'true' : undefined}>
          {all.map((c) => {
            const on = c.id === selected && (c.id !== '' || d.kind === 'file');
            const I = c.icon;
            return (
              <ChoiceCard key={c.id || 'drop'} selected={on} disabled={!!job && !on} onClick={() => pick(c)} testId={`pick-source-${c.id || 'drop'}`}>
                <Group wrap="nowrap" gap="sm" align="flex-start">
                  <I size={26} stroke={1.5} color={`var(--mantine-color-${c.color}-6)`} />
                  <Stack gap={2} style={{ minWidth: 0 }}>
                    <Group gap={6}>
                      <Text fw={600} size="sm" truncate>
                        {c.label}
                      </Text>
                      {on && (
                        <Badge size="xs" variant="light">
                          Selected
                        </Badge>
                      )}
                    </Group>
                    <Text size="xs" c="dimmed" truncate>
                      {c.sub}
                    </Text>
                  </Stack>
                </Group>
              </ChoiceCard>
            );
          })}
        </SimpleGrid>
        {job && (
          <Text size="xs" c="dimmed">
            The source of a job is fixed once it is created.
          </Text>
        )}
      </Stack>
    </Stack>
  );
}
