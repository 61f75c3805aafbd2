import { ActionIcon, Badge, Card, Checkbox, Group, NumberInput, SegmentedControl, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { datasetQueries, type ColumnRef, type Dataset, type Entity, type Filter, type NumericOp } from '../../api/datasets';
import type { ColumnType } from '../../api/types';
import { useApi } from '../../auth/AuthProvider';
import { colKey, filterColumnChoices, tablesOf } from './model';
import { ParetoPanel } from './Pareto';

export const FILTER_KINDS: { value: Filter['kind']; label: string; hint: string }[] = [
  { value: 'date', label: 'Date window', hint: 'The last N days, or between two dates' },
  { value: 'category', label: 'Category values', hint: 'Keep or drop rows with some values' },
  { value: 'numeric', label: 'Numeric range', hint: 'Between, greater, less or equal' },
  { value: 'top_share', label: 'Top N% by revenue', hint: 'Products or customers making N% of revenue' },
  { value: 'entity_metric', label: 'Customer or product activity', hint: 'At least N transactions, or a spend range' },
];

const DATE_TYPES: ReadonlySet<string> = new Set(['DATE', 'TIMESTAMP', 'DATETIME']);
const NUMBER_TYPES: ReadonlySet<string> = new Set(['INT64', 'FLOAT64', 'NUMERIC']);

/** Which column types a row filter of `kind` can be about. */
export function fitsKind(kind: Filter['kind'], type: ColumnType | undefined): boolean {
  if (!type) return true;
  if (kind === 'date') return DATE_TYPES.has(type);
  if (kind === 'numeric') return NUMBER_TYPES.has(type);
  if (kind === 'category') return type === 'STRING' || type === 'INT64' || type === 'BOOL';
  return true;
}

const num = (v: string | number) => (typeof v === 'number' ? v : v === '' ? undefined : Number(v));

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" fw={500}>
        {label}
      </Text>
      {children}
    </Stack>
  );
}

const ENTITY_LABELS: Record<Entity, string> = { product: 'Products', customer: 'Customers' };

/** Products or customers, `first` on the left. */
function EntityPicker({ label, value, first, onChange }: { label: string; value: Entity; first: Entity; onChange: (e: Entity) => void }) {
  const order: Entity[] = first === 'product' ? ['product', 'customer'] : ['customer', 'product'];
  return (
    <Field label={label}>
      <SegmentedControl size="xs" value={value} data={order.map((e) => ({ value: e, label: ENTITY_LABELS[e] }))} onChange={(v) => onChange(v as Entity)} />
    </Field>
  );
}

/** One filter of the list: its number, its kind's fields and a remove button. */
export function FilterEditor({
  dataset,
  index,
  filter,
  typeOf,
  onChange,
  onRemove,
  error,
}: {
  dataset: Dataset;
  index: number;
  filter: Filter;
  typeOf: (c: ColumnRef) => ColumnType | undefined;
  onChange: (f: Filter) => void;
  onRemove: () => void;
  /** The API's message about this filter, shown under it. */
  error?: string;
}) {
  const kind = FILTER_KINDS.find((k) => k.value === filter.kind)!;
  const api = useApi();
  // A category filter offers the column's most frequent values (the table's statistics).
  const table = filter.column ? tablesOf(dataset).find((t) => t.table === filter.column!.table) : undefined;
  const stats = useQuery({ ...datasetQueries.tableStats(api, table ?? { dataset: '', table: '' }), enabled: filter.kind === 'category' && !!table });
  const topValues = (stats.data?.columns.find((c) => c.name === filter.column?.column)?.top ?? [])
    .map((v) => v.value)
    .filter((v): v is string => v !== null);
  const choices = filterColumnChoices(dataset, index).filter((c) => fitsKind(filter.kind, typeOf(c)));
  const columnSelect = (
    <Select
      label="Column"
      size="xs"
      data={choices.map((c) => ({ value: colKey(c), label: `${c.alias || c.column} (${c.table})` }))}
      value={filter.column ? colKey(filter.column) : null}
      onChange={(v) => {
        const c = choices.find((x) => colKey(x) === v);
        if (c) onChange({ ...filter, column: { table: c.table, column: c.column } });
      }}
      placeholder={choices.length ? 'Choose a column' : 'No free column of this type'}
      data-testid="filter-column"
      w={220}
    />
  );
  const nulls = (
    <Checkbox
      size="xs"
      label="Keep rows with no value"
      checked={!!filter.include_nulls}
      onChange={(e) => onChange({ ...filter, include_nulls: e.currentTarget.checked })}
      mt={22}
    />
  );

  let body: ReactNode;
  switch (filter.kind) {
    case 'date': {
      const rolling = filter.last_days !== undefined;
      body = (
        <Group align="flex-start" gap="sm">
          {columnSelect}
          <Field label="Window">
            <SegmentedControl
              size="xs"
              value={rolling ? 'rolling' : 'fixed'}
              data={[
                { value: 'rolling', label: 'Last N days' },
                { value: 'fixed', label: 'Fixed dates' },
              ]}
              onChange={(v) =>
                onChange(v === 'rolling' ? { kind: 'date', column: filter.column, last_days: 180 } : { kind: 'date', column: filter.column, start: '', end: '' })
              }
            />
          </Field>
          {rolling ? (
            <NumberInput
              label="Days"
              size="xs"
              w={110}
              min={1}
              value={filter.last_days}
              onChange={(v) => onChange({ ...filter, last_days: num(v) ?? 0 })}
              data-testid="filter-last-days"
            />
          ) : (
            <>
              <TextInput label="From" type="date" size="xs" value={filter.start ?? ''} onChange={(e) => onChange({ ...filter, start: e.currentTarget.value })} />
              <TextInput label="To" type="date" size="xs" value={filter.end ?? ''} onChange={(e) => onChange({ ...filter, end: e.currentTarget.value })} />
            </>
          )}
        </Group>
      );
      break;
    }
    case 'category':
      body = (
        <Stack gap="xs">
          <Group align="flex-start" gap="sm">
            {columnSelect}
            <Field label="Rows with these values">
              <SegmentedControl
                size="xs"
                value={filter.mode ?? 'include'}
                data={[
                  { value: 'include', label: 'Keep' },
                  { value: 'exclude', label: 'Drop' },
                ]}
                onChange={(v) => onChange({ ...filter, mode: v as 'include' | 'exclude' })}
              />
            </Field>
            {nulls}
          </Group>
          <TagsInput
            size="xs"
            label="Values"
            placeholder={topValues.length ? 'Pick or type values' : 'Type a value and press Enter'}
            data={topValues}
            value={filter.values ?? []}
            onChange={(values) => onChange({ ...filter, values })}
          />
        </Stack>
      );
      break;
    case 'numeric': {
      const op = filter.op ?? 'between';
      body = (
        <Group align="flex-start" gap="sm">
          {columnSelect}
          <Select
            label="Condition"
            size="xs"
            w={130}
            data={[
              { value: 'between', label: 'between' },
              { value: 'gt', label: 'greater than' },
              { value: 'lt', label: 'less than' },
              { value: 'eq', label: 'equal to' },
            ]}
            value={op}
            onChange={(v) => onChange({ kind: 'numeric', column: filter.column, include_nulls: filter.include_nulls, op: (v ?? 'between') as NumericOp })}
          />
          {op === 'between' ? (
            <>
              <NumberInput label="Min" size="xs" w={110} value={filter.min ?? ''} onChange={(v) => onChange({ ...filter, min: num(v) })} />
              <NumberInput label="Max" size="xs" w={110} value={filter.max ?? ''} onChange={(v) => onChange({ ...filter, max: num(v) })} />
            </>
          ) : (
            <NumberInput label="Value" size="xs" w={110} value={filter.value ?? ''} onChange={(v) => onChange({ ...filter, value: num(v) })} />
          )}
          {nulls}
        </Group>
      );
      break;
    }
    case 'top_share':
      body = (
        <Stack gap="xs">
          <Group align="flex-start" gap="sm">
            <EntityPicker label="Of" value={filter.entity ?? 'product'} first="product" onChange={(entity) => onChange({ ...filter, entity })} />
            <NumberInput
              label="Share of revenue (%)"
              size="xs"
              w={150}
              min={1}
              max={100}
              value={filter.percent}
              onChange={(v) => onChange({ ...filter, percent: num(v) ?? 0 })}
              data-testid="filter-percent"
            />
          </Group>
          <ParetoPanel dataset={dataset} entity={filter.entity ?? 'product'} percent={filter.percent ?? 0} />
        </Stack>
      );
      break;
    case 'entity_metric':
      body = (
        <Group align="flex-start" gap="sm">
          <EntityPicker label="Keep" value={filter.entity ?? 'customer'} first="customer" onChange={(entity) => onChange({ ...filter, entity })} />
          <Select
            label="whose"
            size="xs"
            w={170}
            data={[
              { value: 'transactions', label: 'number of transactions' },
              { value: 'revenue', label: 'total revenue' },
            ]}
            value={filter.metric ?? 'transactions'}
            onChange={(v) => onChange({ ...filter, metric: (v ?? 'transactions') as 'transactions' | 'revenue' })}
          />
          <NumberInput label="is at least" size="xs" w={110} value={filter.min ?? ''} onChange={(v) => onChange({ ...filter, min: num(v) })} />
          <NumberInput label="and at most" size="xs" w={110} value={filter.max ?? ''} onChange={(v) => onChange({ ...filter, max: num(v) })} />
        </Group>
      );
      break;
  }

  return (
    <Card withBorder p="sm" data-testid="filter-card" data-kind={filter.kind}>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Group gap={8}>
          <Badge variant="filled" radius="xl" size="md" circle>
            {index + 1}
          </Badge>
          <Text fw={600} size="sm">
            {kind.label}
          </Text>
        </Group>
        <ActionIcon variant="subtle" color="red" aria-label={`Remove filter ${index + 1}`} onClick={onRemove}>
          <IconTrash size={16} />
        </ActionIcon>
      </Group>
      {body}
      {error && (
        <Text size="xs" c="red" mt={6} data-testid="filter-error">
          {error}
        </Text>
      )}
    </Card>
  );
}
