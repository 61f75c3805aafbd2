import { ActionIcon, Alert, Box, Card, Group, SegmentedControl, SimpleGrid, Text, Tooltip } from '@mantine/core';
import { IconEye, IconInbox, IconRefresh } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useRuns } from '../../api/queries';
import type { Run } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { RunsTable } from '../../components/RunsTable';
import { Empty, ErrorState } from '../../components/States';
import { UploadDropzone } from '../../components/UploadDropzone';
import { formatCompactCount, formatRelative } from '../../lib/format';
import { FAST_POLL_MS, SLOW_POLL_MS, UPLOAD_BOOST_MS } from '../../lib/polling';
import { isActive } from '../../lib/runs';
import { useNow } from '../../lib/useNow';

type Filter = 'all' | 'active' | 'problems';

export function RunsPage() {
  const session = useSession();
  const writer = canWrite(session.user.role);
  const [boostUntil, setBoostUntil] = useState(0);
  const runs = useRuns({ boostUntil });
  const [filter, setFilter] = useState<Filter>('all');
  const anyActive = runs.data?.some(isActive) ?? false;
  const now = useNow(1000);

  const shown = useMemo(() => filterRuns(runs.data, filter), [runs.data, filter]);
  const stats = useMemo(() => summarise(runs.data ?? [], now), [runs.data, now]);
  const live = anyActive || now < boostUntil;

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

      <SimpleGrid cols={{ base: 2, md: 4 }} mb="lg" spacing="md">
        <Stat label="Running now" value={String(stats.active)} tone={stats.active > 0 ? 'blue' : undefined} />
        <Stat label="Completed · 24 h" value={String(stats.completed)} tone="teal" />
        <Stat label="Failed · 24 h" value={String(stats.failed)} tone={stats.failed > 0 ? 'red' : undefined} />
        <Stat label="Rows loaded · 24 h" value={formatCompactCount(stats.rowsLoaded)} />
      </SimpleGrid>

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
          <RunsTable runs={runs.data ? shown : undefined} loading={runs.isLoading} now={now} />
        )}
      </Card>
      <Text size="xs" c="dimmed" mt="xs">
        Refreshes every {(live ? FAST_POLL_MS : SLOW_POLL_MS) / 1000} s.
      </Text>
    </>
  );
}

function Stat({ label, value, tone }: { label: string; value: string; tone?: string }) {
  return (
    <Card padding="md">
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={24} fw={650} c={tone ? `${tone}.7` : undefined} className="tabular" mt={2}>
        {value}
      </Text>
    </Card>
  );
}

export function filterRuns(runs: Run[] | undefined, filter: Filter): Run[] {
  const list = runs ?? [];
  if (filter === 'active') return list.filter(isActive);
  if (filter === 'problems') return list.filter((r) => r.status === 'failed' || r.status === 'partial');
  return list;
}

function summarise(runs: Run[], now: number) {
  const since = now - 24 * 3600 * 1000;
  const recent = runs.filter((r) => Date.parse(r.completed_at ?? r.created_at) >= since);
  return {
    active: runs.filter(isActive).length,
    completed: recent.filter((r) => r.status === 'completed').length,
    failed: recent.filter((r) => r.status === 'failed').length,
    rowsLoaded: recent.reduce((n, r) => n + (r.rows_loaded ?? 0), 0),
  };
}
