import { ActionIcon, Alert, Box, Card, Group, SegmentedControl, SimpleGrid, Text, Tooltip } from '@mantine/core';
import { IconEye, IconInbox, IconRefresh } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useRuns, useRunsSummary } from '../../api/queries';
import type { Run } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { RunsTable } from '../../components/RunsTable';
import { StatTile } from '../../components/StatTile';
import { Empty, ErrorState } from '../../components/States';
import { errorMessage } from '../../api/client';
import { UploadDropzone } from '../../components/UploadDropzone';
import { formatCompactCount, formatRelative } from '../../lib/format';
import { FAST_POLL_MS, SLOW_POLL_MS, UPLOAD_BOOST_MS } from '../../lib/polling';
import { isActive } from '../../lib/runs';
import { useNow } from '../../lib/useNow';

type Filter = 'all' | 'active' | 'problems';

/** The window of the summary tiles. */
const SUMMARY_HOURS = 24;

export function RunsPage() {
  const session = useSession();
  const writer = canWrite(session.user.role);
  const [boostUntil, setBoostUntil] = useState(0);
  const runs = useRuns({ boostUntil });
  const [filter, setFilter] = useState<Filter>('all');
  const anyActive = runs.data?.some(isActive) ?? false;
  const now = useNow(1000);

  const shown = useMemo(() => filterRuns(runs.data, filter), [runs.data, filter]);
  const live = anyActive || now < boostUntil;
  const summary = useRunsSummary(SUMMARY_HOURS, runs.data);
  const s = summary.data;

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'ETL' }, { label: 'Runs' }]}
        title="Runs"
        description="Every load into the warehouse. Dropping a file starts a run; new file names get a job of their own."
        actions={
          <Group gap="xs">
            <Text size="xs" c="dimmed" data-testid="runs-updated">
              {live ? (
                <Box component="span" c="blue.7" fw={500}>
                  ● Live
                </Box>
              ) : null}{' '}
              {runs.dataUpdatedAt ? `Updated ${formatRelative(new Date(runs.dataUpdatedAt).toISOString(), now)}` : ''}
            </Text>
            <Tooltip label="Refresh">
              <ActionIcon
                variant="default"
                size="lg"
                aria-label="Refresh runs"
                onClick={() => void runs.refetch()}
                loading={runs.isFetching && !runs.isLoading}
              >
                <IconRefresh size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        }
      />

      <SimpleGrid cols={{ base: 2, md: 4 }} mb="lg" spacing="md" data-testid="runs-summary" data-state={s ? 'ok' : summary.isError ? 'error' : 'loading'}>
        <StatTile id="active" label="Running now" value={s && String(s.active)} tone={s && s.active > 0 ? 'blue' : undefined} />
        <StatTile id="completed" label={`Completed · ${SUMMARY_HOURS} h`} value={s && String(s.completed)} tone="teal" />
        <StatTile id="failed" label={`Failed · ${SUMMARY_HOURS} h`} value={s && String(s.failed)} tone={s && s.failed > 0 ? 'red' : undefined} />
        <StatTile
          id="rows-loaded"
          label={`Rows loaded · ${SUMMARY_HOURS} h`}
          value={s && formatCompactCount(s.rowsLoaded)}
          hint={s && s.rowsRejected > 0 ? `${formatCompactCount(s.rowsRejected)} rejected` : undefined}
        />
      </SimpleGrid>
      {summary.isError && !s && (
        <Text size="xs" c="red" mt={-8} mb="md" data-testid="runs-summary-error">
          The counts of the last {SUMMARY_HOURS} hours could not be loaded: {errorMessage(summary.error)}
        </Text>
      )}

      {writer ? (
        <Card mb="lg" data-testid="upload-card">
          <Text fw={600} mb={4}>
            Upload a file
          </Text>
          <Text size="sm" c="dimmed" mb="md">
            Files land in your drop area and are loaded into <code>raw_data</code>; the run shows up below.
          </Text>
          <UploadDropzone runs={runs.data} onUploaded={() => setBoostUntil(Date.now() + UPLOAD_BOOST_MS)} />
        </Card>
      ) : (
        <Alert mb="lg" color="gray" variant="light" icon={<IconEye size={18} />} data-testid="read-only-note">
          You have read-only access. Ask an editor to upload files or start runs.
        </Alert>
      )}

      <Card p={0}>
        <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
          <Text fw={600}>Recent runs</Text>
          <SegmentedControl
            size="xs"
            value={filter}
            onChange={(v) => setFilter(v as Filter)}
            data={[
              { value: 'all', label: 'All' },
              { value: 'active', label: 'Active' },
              { value: 'problems', label: 'Failed or partial' },
            ]}
            data-testid="runs-filter"
          />
        </Group>
        {runs.isError && !runs.data ? (
          <Box p="lg">
            <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
          </Box>
        ) : runs.data && shown.length === 0 ? (
          <Empty
            icon={IconInbox}
            testId="runs-empty"
            title={filter === 'all' ? 'No runs yet' : 'No runs match this filter'}
            description={
              filter === 'all'
                ? writer
                  ? 'Upload a CSV file above to load your first table.'
                  : 'Runs appear here once an editor uploads a file.'
                : 'Try another filter.'
            }
          />
        ) : (
          <RunsTable runs={runs.data ? shown : undefined} loading={runs.isLoading} now={now} writer={writer} />
        )}
      </Card>
      <Text size="xs" c="dimmed" mt="xs">
        Refreshes every {(live ? FAST_POLL_MS : SLOW_POLL_MS) / 1000} s.
      </Text>
    </>
  );
}

export function filterRuns(runs: Run[] | undefined, filter: Filter): Run[] {
  const list = runs ?? [];
  if (filter === 'active') return list.filter(isActive);
  if (filter === 'problems') return list.filter((r) => r.status === 'failed' || r.status === 'partial');
  return list;
}
