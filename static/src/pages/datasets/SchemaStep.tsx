import { ActionIcon, Alert, Badge, Box, Button, Card, Checkbox, Group, SegmentedControl, Select, Stack, Text, Tooltip } from '@mantine/core';
import { IconAlertCircle, IconCheck, IconKey, IconTrash } from '@tabler/icons-react';
import { useQueries, useQuery } from '@tanstack/react-query';
import {
  applyNodeChanges,
  Background,
  ConnectionMode,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { datasetQueries, type ColumnRef, type ColumnRole, type Confidence, type Dataset, type JoinSuggestion, type RoleSuggestion, type TableRef } from '../../api/datasets';
import type { Table } from '../../api/types';
import { useApi } from '../../auth/AuthProvider';
import { formatCount } from '../../lib/format';
import { addJoin, applyRoleSuggestions, colKey, isSelected, joinProblem, removeJoin, roleOf, ROLES, setJoinType, setRole, tablesOf, toggleColumn, unjoinedTables } from './model';

export const CONFIDENCE_COLOR: Record<Confidence, string> = { high: 'teal', medium: 'yellow', low: 'gray' };

interface TableNodeData extends Record<string, unknown> {
  table: Table;
  primary: boolean;
  dataset: Dataset;
  suggested: Map<string, RoleSuggestion>;
  joined: Set<string>;
  /** The API's message about a column, by column key. */
  errors: Map<string, string>;
  onToggle: (c: ColumnRef) => void;
  onRole: (c: ColumnRef, role: ColumnRole | '') => void;
}

type TableNode = Node<TableNodeData, 'table'>;

const handleStyle = { width: 8, height: 8, background: 'var(--mantine-color-brand-5)', border: '1.5px solid white' };

/** A draggable table card: a row per column with its checkbox, type, role picker and join handles. */
const TableCard = memo(function TableCard({ data }: NodeProps<TableNode>) {
  const { table, primary, dataset, suggested, joined, errors, onToggle, onRole } = data;
  return (
    <Card withBorder shadow="sm" p={0} w={430} radius="md" data-testid="schema-table" data-table-name={table.name}>
      <Group
        justify="space-between"
        px="sm"
        py={8}
        className="schema-card-header"
        style={{ borderBottom: '1px solid var(--app-border)', background: primary ? 'var(--mantine-color-brand-0)' : '#fafbfd', cursor: 'grab' }}
      >
        <Group gap={6}>
          <Text fw={700} size="sm">
            {table.name}
          </Text>
          {primary && (
            <Badge size="xs" variant="filled">
              primary
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed" className="tabular">
          {formatCount(table.num_rows)} rows
        </Text>
      </Group>
      <Stack gap={0} py={4}>
        {(table.schema ?? []).map((col) => {
          const ref = { table: table.name, column: col.name };
          const on = isSelected(dataset, ref);
          const role = roleOf(dataset, ref);
          const sug = suggested.get(colKey(ref));
          const error = errors.get(colKey(ref));
          return (
            <Group
              key={col.name}
              gap={6}
              px="sm"
              h={34}
              wrap="nowrap"
              style={{ position: 'relative' }}
              data-testid="schema-column"
              data-column={col.name}
              data-selected={on}
              data-role={role}
            >
              <Handle type="target" position={Position.Left} id={`${col.name}:l`} style={handleStyle} />
              <Checkbox
                size="xs"
                checked={on}
                onChange={() => onToggle(ref)}
                aria-label={`Select ${table.name}.${col.name}`}
                className="nodrag"
                data-testid="column-checkbox"
              />
              <Text size="xs" fw={on ? 600 : 400} c={error ? 'red' : undefined} style={{ flex: 1, minWidth: 0 }} truncate>
                {joined.has(colKey(ref)) && <IconKey size={11} style={{ marginRight: 3, verticalAlign: -1 }} color="var(--mantine-color-brand-6)" />}
                {col.name}
              </Text>
              {error && (
                <Tooltip label={error} multiline w={260} opened>
                  <IconAlertCircle size={14} color="var(--mantine-color-red-6)" aria-label={error} data-testid="column-error" />
                </Tooltip>
              )}
              <Text size="10px" c="dimmed" ff="monospace">
                {col.type}
              </Text>
              <Select
                className="nodrag nowheel"
                size="xs"
                w={140}
                placeholder="Role"
                data={ROLES}
                value={role || null}
                onChange={(v) => onRole(ref, (v ?? '') as ColumnRole | '')}
                clearable
                comboboxProps={{ withinPortal: true }}
                aria-label={`Role of ${table.name}.${col.name}`}
                data-testid="role-select"
                styles={{ input: { height: 24, minHeight: 24, fontSize: 11 } }}
              />
              <Box w={46}>
                {sug && role === sug.role && (
                  <Tooltip label={`Suggested with ${sug.confidence} confidence: ${(sug.reasons ?? []).join('; ')}`} multiline w={260}>
                    <Badge size="xs" variant="light" color={CONFIDENCE_COLOR[sug.confidence]} data-testid="role-confidence" px={4}>
                      {sug.confidence}
                    </Badge>
                  </Tooltip>
                )}
              </Box>
              <Handle type="source" position={Position.Right} id={`${col.name}:r`} style={handleStyle} />
            </Group>
          );
        })}
      </Stack>
    </Card>
  );
});

const nodeTypes = { table: TableCard };

/** Where a table's card starts: the primary on the left, the others in a column to its right. */
function initialPosition(i: number): { x: number; y: number } {
  if (i === 0) return { x: 0, y: 40 };
  return { x: 540 + ((i - 1) % 2) * 480, y: Math.floor((i - 1) / 2) * 340 };
}

const handleColumn = (handle: string | null | undefined) => (handle ?? '').replace(/:[lr]$/, '');

export function SchemaStep({
  dataset,
  onChange,
  tables,
  suggested,
  onSuggested,
  fieldError,
}: {
  dataset: Dataset;
  onChange: (d: Dataset) => void;
  /** The warehouse's tables with their schemas. */
  tables: Table[];
  /** Role suggestions applied so far, by column key (their confidence is shown). */
  suggested: Map<string, RoleSuggestion>;
  onSuggested: (applied: RoleSuggestion[]) => void;
  /** The message of the last save's error about `field` (columns[i], joins[i]). */
  fieldError: (field: string) => string | undefined;
}) {
  const api = useApi();
  const refs = tablesOf(dataset);
  const byName = useMemo(() => new Map(tables.map((t) => [t.name, t])), [tables]);

  // Roles suggested by the server pre-fill the pickers once, when no column has a role.
  const roles = useQuery(datasetQueries.roleSuggestions(api, refs));
  const prefilled = useRef(false);
  const datasetRef = useRef(dataset);
  datasetRef.current = dataset;
  useEffect(() => {
    if (prefilled.current || !roles.data) return;
    prefilled.current = true;
    if ((datasetRef.current.columns ?? []).some((c) => c.role)) return;
    const { dataset: next, applied } = applyRoleSuggestions(datasetRef.current, roles.data);
    onSuggested(applied);
    onChange(next);
  }, [roles.data, onChange, onSuggested]);

  // Join suggestions for every pair of tables.
  const refsKey = JSON.stringify(refs);
  const pairs = useMemo(() => {
    const out: [TableRef, TableRef][] = [];
    refs.forEach((a, i) => refs.slice(i + 1).forEach((b) => out.push([a, b])));
    return out;
  }, [refsKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const joinQueries = useQueries({ queries: pairs.map(([a, b]) => datasetQueries.joinSuggestions(api, a, b)) });
  const joinSuggestions: JoinSuggestion[] = joinQueries
    .flatMap((q) => q.data ?? [])
    .filter((s) => !joinProblem(dataset, s.left, s.right))
    .sort((a, b) => b.score - a.score)
    .slice(0, 8);

  // Where each card is and its measured size (React Flow shows a node once it is measured).
  const [layout, setLayout] = useState<Record<string, Pick<TableNode, 'position' | 'measured'>>>({});
  const onToggle = useCallback((c: ColumnRef) => onChange(toggleColumn(datasetRef.current, c)), [onChange]);
  const onRole = useCallback((c: ColumnRef, role: ColumnRole | '') => onChange(setRole(datasetRef.current, c, role)), [onChange]);
  const errors = new Map<string, string>();
  (dataset.columns ?? []).forEach((c, i) => {
    const m = fieldError(`columns[${i}]`);
    if (m) errors.set(colKey(c), m);
  });
  const joined = useMemo(() => new Set((dataset.joins ?? []).flatMap((j) => [colKey(j.left), colKey(j.right)])), [dataset.joins]);

  const nodes: TableNode[] = refs.flatMap((r, i): TableNode[] => {
    const t = byName.get(r.table);
    if (!t) return [];
    return [
      {
        id: r.table,
        type: 'table' as const,
        position: layout[r.table]?.position ?? initialPosition(i),
        measured: layout[r.table]?.measured,
        dragHandle: '.schema-card-header',
        data: { table: t, primary: i === 0, dataset, suggested, joined, errors, onToggle, onRole },
      },
    ];
  });
  const edges: Edge[] = (dataset.joins ?? []).map((j, i) => ({
    id: `join-${i}`,
    source: j.left.table,
    sourceHandle: `${j.left.column}:r`,
    target: j.right.table,
    targetHandle: `${j.right.column}:l`,
    label: j.type === 'left' ? 'left join' : 'inner join',
    labelBgPadding: [6, 3] as [number, number],
    labelStyle: { fontSize: 11, fontWeight: 600 },
    style: { strokeWidth: 2, stroke: 'var(--mantine-color-brand-6)', strokeDasharray: j.type === 'left' ? '6 4' : undefined },
    markerEnd: { type: MarkerType.ArrowClosed, color: 'var(--mantine-color-brand-6)' },
  }));

  const onNodesChange = useCallback(
    (changes: NodeChange<TableNode>[]) => {
      const changed = applyNodeChanges(changes, nodes);
      setLayout((l) => {
        const next = { ...l };
        for (const n of changed) next[n.id] = { position: n.position, measured: n.measured };
        return next;
      });
    },
    [nodes],
  );
  const [connectError, setConnectError] = useState<string | null>(null);
  const onConnect = useCallback(
    (c: Connection) => {
      const a = { table: c.source, column: handleColumn(c.sourceHandle) };
      const b = { table: c.target, column: handleColumn(c.targetHandle) };
      const problem = joinProblem(datasetRef.current, a, b);
      setConnectError(problem);
      if (!problem) onChange(addJoin(datasetRef.current, a, b, 'inner'));
    },
    [onChange],
  );

  const loose = unjoinedTables(dataset);
  const height = Math.max(420, Math.max(...refs.map((r, i) => initialPosition(i).y + 60 + 34 * (byName.get(r.table)?.schema?.length ?? 0))) + 40);

  return (
    <Group align="flex-start" gap="md" wrap="nowrap">
      <Card p={0} withBorder style={{ flex: 1, minWidth: 0, height }} data-testid="schema-canvas">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onConnect={onConnect}
          connectionMode={ConnectionMode.Loose}
          fitView
          fitViewOptions={{ padding: 0.08, maxZoom: 1 }}
          minZoom={0.3}
          maxZoom={1.5}
          proOptions={{ hideAttribution: true }}
          nodesConnectable
          deleteKeyCode={null}
        >
          <Background gap={18} color="#e3e6ee" />
          <Controls showInteractive={false} position="bottom-left" />
        </ReactFlow>
      </Card>
      <Stack w={330} gap="md" style={{ flexShrink: 0 }}>
        {connectError && (
          <Alert color="orange" icon={<IconAlertCircle size={16} />} withCloseButton onClose={() => setConnectError(null)}>
            {connectError}
          </Alert>
        )}
        {loose.length > 0 && (
          <Alert color="blue" variant="light" data-testid="unjoined">
            Join {loose.join(', ')}: drag from a column's dot to a column of another table, or accept a suggestion.
          </Alert>
        )}
        <Card withBorder p="sm">
          <Text fw={600} size="sm" mb="xs">
            Joins
          </Text>
          {(dataset.joins ?? []).length === 0 ? (
            <Text size="xs" c="dimmed">
              {refs.length > 1 ? 'No joins yet.' : 'One table: nothing to join.'}
            </Text>
          ) : (
            <Stack gap={8}>
              {(dataset.joins ?? []).map((j, i) => (
                <Stack key={i} gap={4} data-testid="join-row" data-join={`${colKey(j.left)}=${colKey(j.right)}`}>
                  <Group justify="space-between" wrap="nowrap" gap={4}>
                    <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {colKey(j.left)} = {colKey(j.right)}
                    </Text>
                    <ActionIcon size="sm" variant="subtle" color="red" aria-label="Remove join" onClick={() => onChange(removeJoin(dataset, i))}>
                      <IconTrash size={14} />
                    </ActionIcon>
                  </Group>
                  {fieldError(`joins[${i}]`) && (
                    <Text size="xs" c="red" data-testid="join-error">
                      {fieldError(`joins[${i}]`)}
                    </Text>
                  )}
                  <SegmentedControl
                    size="xs"
                    value={j.type}
                    onChange={(v) => onChange(setJoinType(dataset, i, v as 'inner' | 'left'))}
                    data={[
                      { value: 'inner', label: 'Inner: matching rows' },
                      { value: 'left', label: 'Left: keep all' },
                    ]}
                    data-testid="join-type"
                  />
                </Stack>
              ))}
            </Stack>
          )}
        </Card>
        {refs.length > 1 && (
          <Card withBorder p="sm" data-testid="join-suggestions">
            <Text fw={600} size="sm" mb="xs">
              Suggested joins
            </Text>
            {joinQueries.some((q) => q.isLoading) ? (
              <Text size="xs" c="dimmed">
                Comparing columns…
              </Text>
            ) : joinSuggestions.length === 0 ? (
              <Text size="xs" c="dimmed">
                No more suggestions.
              </Text>
            ) : (
              <Stack gap={6}>
                {joinSuggestions.map((s) => (
                  <Group key={`${colKey(s.left)}=${colKey(s.right)}`} justify="space-between" wrap="nowrap" gap={6} data-testid="join-suggestion">
                    <Tooltip label={(s.reasons ?? []).join('; ')} multiline w={260} disabled={!s.reasons?.length}>
                      <Stack gap={0} style={{ minWidth: 0 }}>
                        <Text size="xs" ff="monospace" truncate>
                          {colKey(s.left)}
                        </Text>
                        <Text size="xs" ff="monospace" truncate>
                          = {colKey(s.right)}
                        </Text>
                      </Stack>
                    </Tooltip>
                    <Group gap={4} wrap="nowrap">
                      <Badge size="xs" variant="light" color={CONFIDENCE_COLOR[s.confidence]}>
                        {s.confidence}
                      </Badge>
                      <Button
                        size="compact-xs"
                        variant="light"
                        leftSection={<IconCheck size={12} />}
                        onClick={() => onChange(addJoin(dataset, s.left, s.right, 'inner'))}
                        data-testid="accept-join"
                      >
                        Accept
                      </Button>
                    </Group>
                  </Group>
                ))}
              </Stack>
            )}
          </Card>
        )}
        <Text size="xs" c="dimmed">
          Tick the columns the dataset keeps and give the key ones a role: the customer, the product and the time of each row are
          needed for training; revenue enables the top-share filters.
          {(dataset.columns ?? []).length ? '' : ' With no column ticked, the dataset keeps every column of the primary table.'}
        </Text>
      </Stack>
    </Group>
  );
}
