import { Alert, Button, Card, Group, Menu, NumberInput, SegmentedControl, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertCircle, IconFilterPlus } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { datasetQueries, type ColumnRef, type Dataset, type Split } from '../../api/datasets';
import { errorMessage } from '../../api/client';
import type { ColumnType } from '../../api/types';
import { useApi } from '../../auth/AuthProvider';
import { FILTER_KINDS, FilterEditor } from './FilterEditor';
import { addFilter, buildModel, removeFilter, updateFilter } from './model';
import { PreviewTable, QualityPanel } from './Panels';
import { useDebouncedModel } from './useDebouncedModel';

const num = (v: string | number) => (typeof v === 'number' ? v : v === '' ? undefined : Number(v));

/** The split of the training data: a time holdout (the default), strict windows, or random. */
export function SplitEditor({ split, onChange }: { split: Split; onChange: (s: Split) => void }) {
  return (
    <Stack gap="xs">
      <SegmentedControl
        size="xs"
        value={split.kind}
        data={[
          { value: 'time_holdout', label: 'Last days held out' },
          { value: 'strict_time', label: 'Time windows' },
          { value: 'random', label: 'Random' },
        ]}
        onChange={(v) => {
          if (v === 'time_holdout') onChange({ kind: v, holdout_days: 30 });
          else if (v === 'strict_time') onChange({ kind: v, train_days: 180, val_days: 30, test_days: 30 });
          else onChange({ kind: 'random', train_percent: 80, val_percent: 10, seed: 1 });
        }}
        data-testid="split-kind"
      />
      <Group gap="sm">
        {split.kind === 'time_holdout' && (
          <NumberInput label="Test days (the latest)" size="xs" w={170} min={1} value={split.holdout_days ?? ''} onChange={(v) => onChange({ ...split, holdout_days: num(v) })} />
        )}
        {split.kind === 'strict_time' && (
          <>
            <NumberInput label="Train days" size="xs" w={110} min={1} value={split.train_days ?? ''} onChange={(v) => onChange({ ...split, train_days: num(v) })} />
            <NumberInput label="Validation days" size="xs" w={120} min={0} value={split.val_days ?? ''} onChange={(v) => onChange({ ...split, val_days: num(v) })} />
            <NumberInput label="Test days" size="xs" w={110} min={1} value={split.test_days ?? ''} onChange={(v) => onChange({ ...split, test_days: num(v) })} />
          </>
        )}
        {split.kind === 'random' && (
          <>
            <NumberInput label="Train %" size="xs" w={100} min={1} max={99} value={split.train_percent ?? ''} onChange={(v) => onChange({ ...split, train_percent: num(v) })} />
            <NumberInput label="Validation %" size="xs" w={110} min={0} max={98} value={split.val_percent ?? ''} onChange={(v) => onChange({ ...split, val_percent: num(v) })} />
            <NumberInput label="Seed" size="xs" w={100} value={split.seed ?? ''} onChange={(v) => onChange({ ...split, seed: num(v) })} />
          </>
        )}
      </Group>
    </Stack>
  );
}

/** The numbered filter summary, as the server words it. */
export function FilterSummary({ summary }: { summary: string[] }) {
  if (summary.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No filters: every joined row is kept.
      </Text>
    );
  }
  return (
    <Stack gap={4} data-testid="filter-summary">
      {summary.map((s) => (
        <Text key={s} size="sm" data-testid="filter-summary-item">
          {s}
        </Text>
      ))}
    </Stack>
  );
}

/**
 * A live panel of the draft: its error, a placeholder until the first answer, then the answer,
 * dimmed while a newer one is on its way (`data-updating` says so, for tests too).
 */
function Live<T>({
  q,
  pending,
  testId,
  children,
}: {
  q: { data?: T; error: unknown; isError: boolean; isFetching: boolean };
  /** The draft changed and the debounced model has not caught up yet. */
  pending: boolean;
  testId: string;
  children: (d: T) => React.ReactNode;
}) {
  const updating = pending || q.isFetching;
  return (
    <div data-testid={testId} data-updating={updating} style={{ opacity: updating && q.data !== undefined ? 0.55 : 1, transition: 'opacity 150ms' }}>
      <LiveBody q={q}>{children}</LiveBody>
    </div>
  );
}

function LiveBody<T>({ q, children }: { q: { data?: T; error: unknown; isError: boolean }; children: (d: T) => React.ReactNode }) {
  if (q.isError) {
    return (
      <Alert color="orange" variant="light" icon={<IconAlertCircle size={16} />} p="xs">
        <Text size="sm">{errorMessage(q.error)}</Text>
      </Alert>
    );
  }
  if (q.data === undefined) return <Skeleton h={90} />;
  return <>{children(q.data)}</>;
}

/**
 * Step 4: the filters (numbered as the summary numbers them), the split, and the live numbered
 * summary, quality score and preview of the draft.
 */
export function FiltersStep({
  dataset,
  onChange,
  typeOf,
  fieldError,
}: {
  dataset: Dataset;
  onChange: (d: Dataset) => void;
  typeOf: (c: ColumnRef) => ColumnType | undefined;
  /** The message of the last save's error when it names `field` or a field under it. */
  fieldError: (field: string) => string | undefined;
}) {
  const api = useApi();
  const [seed, setSeed] = useState(1);
  const current = buildModel({ ...dataset, name: dataset.name || 'draft' });
  const model = useDebouncedModel(current, 500);
  const pending = JSON.stringify(current) !== JSON.stringify(model);
  const compiled = useQuery(datasetQueries.compile(api, model));
  const quality = useQuery(datasetQueries.qualityOf(api, model));
  const preview = useQuery(datasetQueries.previewOf(api, model, seed));
  const filters = dataset.filters ?? [];
  const filterError = (i: number) => fieldError(`filters[${i}]`);

  return (
    <Stack gap="md">
      <Group align="flex-start" gap="md" wrap="nowrap">
        <Stack gap="sm" style={{ flex: 1, minWidth: 0 }}>
          {filters.length === 0 && (
            <Card withBorder p="md">
              <Text size="sm" c="dimmed">
                No filters yet. Filters keep the rows that matter: a recent window, the products that make most of the revenue,
                customers who buy more than once.
              </Text>
            </Card>
          )}
          {filters.map((f, i) => (
            <FilterEditor
              key={i}
              dataset={dataset}
              index={i}
              filter={f}
              typeOf={typeOf}
              onChange={(nf) => onChange(updateFilter(dataset, i, nf))}
              onRemove={() => onChange(removeFilter(dataset, i))}
              error={filterError(i)}
            />
          ))}
          <Menu position="bottom-start" width={320}>
            <Menu.Target>
              <Button variant="light" leftSection={<IconFilterPlus size={16} />} w="fit-content" data-testid="add-filter">
                Add a filter
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              {FILTER_KINDS.map((k) => (
                <Menu.Item key={k.value} onClick={() => onChange(addFilter(dataset, k.value))} data-testid={`add-filter-${k.value}`}>
                  <Text size="sm" fw={500}>
                    {k.label}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {k.hint}
                  </Text>
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
          <Card withBorder p="sm">
            <Text fw={600} size="sm" mb={4}>
              Training split
            </Text>
            <Text size="xs" c="dimmed" mb="xs">
              How training keeps rows apart to measure the model. Holding out the latest days matches what production sees.
            </Text>
            <SplitEditor split={dataset.split} onChange={(split) => onChange({ ...dataset, split })} />
            {fieldError('split') && (
              <Text size="xs" c="red" mt={4}>
                {fieldError('split')}
              </Text>
            )}
          </Card>
        </Stack>
        <Stack w={380} gap="md" style={{ flexShrink: 0 }}>
          <Card withBorder p="sm">
            <Text fw={600} size="sm" mb="xs">
              Filters in order
            </Text>
            <Live q={compiled} pending={pending} testId="live-summary">{(c) => <FilterSummary summary={c.filter_summary ?? []} />}</Live>
          </Card>
          <Card withBorder p="sm">
            <Text fw={600} size="sm" mb="xs">
              Data quality
            </Text>
            <Live q={quality} pending={pending} testId="live-quality">{(r) => <QualityPanel report={r} compact />}</Live>
          </Card>
        </Stack>
      </Group>
      <Card withBorder p="sm">
        <Text fw={600} size="sm" mb="xs">
          Preview
        </Text>
        <Live q={preview} pending={pending} testId="live-preview">{(p) => <PreviewTable preview={p} onNewSample={() => setSeed((s) => s + 1)} loading={preview.isFetching} />}</Live>
      </Card>
    </Stack>
  );
}
