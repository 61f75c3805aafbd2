import { ActionIcon, Badge, Button, Card, Group, Stack, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconDatabase, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { datasetKeys, datasetsApi, useDatasets, type DatasetView } from '../../api/datasets';
import { useApi, useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { Empty } from '../../components/States';
import { formatCount, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';

/** "an experiment", "3 experiments". */
export function experimentsText(n: number): string {
  return n === 1 ? 'an experiment' : `${formatCount(n)} experiments`;
}

/** "lines + products": the dataset's tables, the primary first. */
export function tablesLabel(d: DatasetView): string {
  return [d.primary_table.table, ...(d.secondary_tables ?? []).map((t) => t.table)].join(' + ');
}

export function DatasetsPage() {
  const datasets = useDatasets();
  const api = useApi();
  const session = useSession();
  const writer = canWrite(session.user.role);
  const navigate = useNavigate();
  const now = useNow(30000);
  const [deleting, setDeleting] = useState<DatasetView | null>(null);
  const rows = datasets.data ? [...datasets.data].sort((a, b) => a.name.localeCompare(b.name)) : undefined;

  const columns: DataColumn<DatasetView>[] = [
    {
      key: 'name',
      header: 'Name',
      cell: (d) => (
        <Stack gap={2}>
          <Group gap={6} wrap="nowrap">
            <Text size="sm" fw={600}>
              {d.name}
            </Text>
            {d.problem && (
              <Tooltip label={d.problem} multiline w={320}>
                <IconAlertTriangle size={16} color="var(--mantine-color-orange-6)" aria-label="Problem" />
              </Tooltip>
            )}
          </Group>
          {d.description && (
            <Text size="xs" c="dimmed" lineClamp={1}>
              {d.description}
            </Text>
          )}
        </Stack>
      ),
    },
    { key: 'tables', header: 'Tables', cell: (d) => <Text size="sm">{tablesLabel(d)}</Text> },
    {
      key: 'version',
      header: 'Version',
      align: 'right',
      cell: (d) => (
        <Badge variant="light" color="gray" radius="sm">
          v{d.version}
        </Badge>
      ),
    },
    {
      key: 'filters',
      header: 'Filters',
      cell: (d) => {
        const summary = d.filter_summary ?? [];
        if (summary.length === 0) return <Text size="sm" c="dimmed">None</Text>;
        return (
          <Tooltip label={summary.join('\n')} multiline w={420} style={{ whiteSpace: 'pre-line' }}>
            <Stack gap={0} maw={340}>
              <Text size="sm">{summary.length === 1 ? '1 filter' : `${summary.length} filters`}</Text>
              <Text size="xs" c="dimmed" lineClamp={1}>
                {summary.map((x) => x.replace(/^\d+\.\s*/, '')).join(' · ')}
              </Text>
            </Stack>
          </Tooltip>
        );
      },
    },
    {
      key: 'updated',
      header: 'Updated',
      cell: (d) => (
        <Tooltip label={formatDateTime(d.updated_at)}>
          <Text size="sm">{formatRelative(d.updated_at, now)}</Text>
        </Tooltip>
      ),
    },
    {
      key: 'experiments',
      header: 'Experiments',
      align: 'right',
      cell: (d) => <Text size="sm" className="tabular">{formatCount(d.experiments_count)}</Text>,
    },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: '',
      align: 'right',
      width: 48,
      cell: (d) => (
        <ActionIcon
          variant="subtle"
          color="red"
          aria-label={`Delete ${d.name}`}
          data-testid="dataset-delete"
          onClick={(e) => {
            e.stopPropagation();
            setDeleting(d);
          }}
        >
          <IconTrash size={16} />
        </ActionIcon>
      ),
    });
  }

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'Datasets' }]}
        title="Datasets"
        description="Joined, filtered views of your warehouse tables that models train on. A dataset is configuration only: no data is copied, and every change that alters its SQL is kept as a version."
        actions={
          writer && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => navigate('/datasets/new')} data-testid="dataset-new">
              New dataset
            </Button>
          )
        }
      />
      <Card p={0}>
        <DataTable
          testId="datasets-table"
          columns={columns}
          rows={rows}
          rowKey={(d) => d.id}
          loading={datasets.isLoading}
          error={datasets.error}
          onRetry={() => void datasets.refetch()}
          onOpen={(d) => navigate(`/datasets/${encodeURIComponent(d.id)}`)}
          rowProps={(d) => ({ 'data-testid': 'dataset-row', 'data-dataset-id': d.id, 'data-name': d.name })}
          minWidth={820}
          empty={
            <Empty
              icon={IconDatabase}
              testId="datasets-empty"
              title="No datasets yet"
              description="Pick the tables your orders live in, join them, mark the customer, product and time columns, and filter."
              action={
                writer && (
                  <Button leftSection={<IconPlus size={16} />} onClick={() => navigate('/datasets/new')}>
                    New dataset
                  </Button>
                )
              }
            />
          }
        />
      </Card>
      <ConfirmDelete
        target={deleting}
        title="Delete dataset"
        testId="dataset-delete"
        message={(d) => (
          <>
            Delete <b>{d.name}</b> and its {d.version === 1 ? 'version' : `${d.version} versions`}? The warehouse tables stay as they are.
            {d.experiments_count > 0 && <> It is used by {experimentsText(d.experiments_count)}, so the delete will be refused.</>}
          </>
        )}
        onDelete={(d) => datasetsApi.remove(api, d.id)}
        invalidate={[datasetKeys.all]}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}
