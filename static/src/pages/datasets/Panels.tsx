import { Badge, Button, Group, RingProgress, ScrollArea, SimpleGrid, Stack, Table, Text, ThemeIcon } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconCircleX, IconDice5 } from '@tabler/icons-react';
import type { Preview, QualityIssue, QualityReport } from '../../api/datasets';
import { formatCell, formatCount } from '../../lib/format';
import { roleLabel } from './model';

/** A cell for people: timestamps as "2011-12-09 12:50:00" (UTC, as stored), others as formatCell does. */
export function formatValue(v: unknown, type?: string): string {
  if (typeof v === 'string' && (type === 'TIMESTAMP' || type === 'DATETIME')) {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:00)?$/.exec(v);
    if (m) return `${m[1]} ${m[2]}`;
  }
  return formatCell(v);
}

export function scoreColor(score: number): string {
  return score >= 80 ? 'teal' : score >= 50 ? 'yellow' : 'red';
}

const percent = (v: number) => `${(v * 100).toFixed(v < 0.01 && v > 0 ? 2 : 1)}%`;
const plain = (v: number) => (Number.isInteger(v) ? formatCount(v) : v.toFixed(1));

/** A measure or threshold (by its JSON name) for people: shares as percents, others as numbers. */
export function formatMeasure(key: string, v: number): string {
  return /share|sparsity/.test(key) ? percent(v) : plain(v);
}

/** Issues whose value and threshold are shares (docs/api.md, QualityReport). */
const SHARE_ISSUES: ReadonlySet<string> = new Set(['sparse', 'cold_customers', 'cold_products', 'filtered_out', 'duplicate_rows']);

/** An issue's value or threshold for people. */
export function formatIssueValue(code: string, v: number): string {
  return SHARE_ISSUES.has(code) ? percent(v) : plain(v);
}

function IssueRow({ issue }: { issue: QualityIssue }) {
  const error = issue.severity === 'error';
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start" data-testid="quality-issue" data-code={issue.code} data-severity={issue.severity}>
      <ThemeIcon size={20} radius="xl" variant="light" color={error ? 'red' : 'yellow'}>
        {error ? <IconCircleX size={14} /> : <IconAlertTriangle size={14} />}
      </ThemeIcon>
      <Stack gap={0} style={{ flex: 1 }}>
        <Text size="sm">{issue.message}</Text>
        <Text size="xs" c="dimmed">
          {formatIssueValue(issue.code, issue.value)} · threshold {formatIssueValue(issue.code, issue.threshold)}
        </Text>
      </Stack>
    </Group>
  );
}

const MEASURES: { key: string; label: string }[] = [
  { key: 'rows', label: 'Rows' },
  { key: 'customers', label: 'Customers' },
  { key: 'products', label: 'Products' },
  { key: 'interactions_per_customer', label: 'Rows per customer' },
  { key: 'interactions_per_product', label: 'Rows per product' },
  { key: 'span_days', label: 'Days covered' },
];

/** The data-quality report: the 0–100 score as a ring, the key measures and the issues with their thresholds. */
export function QualityPanel({ report, compact = false }: { report: QualityReport; compact?: boolean }) {
  const issues = report.issues ?? [];
  return (
    <Stack gap="sm" data-testid="quality-panel" data-score={report.score}>
      <Group gap="md" wrap="nowrap">
        <RingProgress
          size={compact ? 92 : 120}
          thickness={compact ? 9 : 12}
          roundCaps
          sections={[{ value: report.score, color: scoreColor(report.score) }]}
          label={
            <Stack gap={0} align="center">
              <Text fw={700} size={compact ? 'lg' : 'xl'} data-testid="quality-score" className="tabular">
                {report.score}
              </Text>
              <Text size="10px" c="dimmed">
                of 100
              </Text>
            </Stack>
          }
        />
        <SimpleGrid cols={compact ? 2 : 3} spacing={6} verticalSpacing={4} style={{ flex: 1 }}>
          {MEASURES.map((m) => {
            const v = report.measures[m.key];
            return (
              <Stack key={m.key} gap={0}>
                <Text size="10px" c="dimmed" tt="uppercase" fw={600}>
                  {m.label}
                </Text>
                <Text size="sm" fw={600} className="tabular">
                  {typeof v === 'number' ? formatMeasure(m.key, v) : '—'}
                </Text>
              </Stack>
            );
          })}
        </SimpleGrid>
      </Group>
      {issues.length === 0 ? (
        <Group gap="xs">
          <IconCircleCheck size={18} color="var(--mantine-color-teal-6)" />
          <Text size="sm">No issues: the data passes every check.</Text>
        </Group>
      ) : (
        <Stack gap={8}>
          {issues.map((i) => (
            <IssueRow key={i.code} issue={i} />
          ))}
        </Stack>
      )}
    </Stack>
  );
}

/** The thresholds the report checks, as a table (the detail page's data-quality tab). */
export function ThresholdsTable({ report }: { report: QualityReport }) {
  return (
    <Table withTableBorder fz="sm" data-testid="quality-thresholds">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Check</Table.Th>
          <Table.Th ta="right">Threshold</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {Object.entries(report.thresholds).map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td>{k.replace(/_/g, ' ')}</Table.Td>
            <Table.Td ta="right" className="tabular">
              {formatMeasure(k, v)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** A seeded sample of a dataset's rows with the row count of the whole result and a "new sample" button. */
export function PreviewTable({ preview, onNewSample, loading }: { preview: Preview; onNewSample?: () => void; loading?: boolean }) {
  const rows = preview.rows ?? [];
  return (
    <Stack gap="xs" data-testid="dataset-preview" data-total={preview.total} data-seed={preview.seed}>
      <Group justify="space-between">
        <Text size="sm">
          <b className="tabular" data-testid="preview-total">
            {formatCount(preview.total)}
          </b>{' '}
          rows in all · a sample of {rows.length}
        </Text>
        {onNewSample && (
          <Button size="compact-sm" variant="light" leftSection={<IconDice5 size={14} />} onClick={onNewSample} loading={loading} data-testid="new-sample">
            New sample
          </Button>
        )}
      </Group>
      <ScrollArea type="auto" mah={560}>
        <Table striped fz="xs" miw={Math.max(480, preview.columns.length * 120)} stickyHeader>
          <Table.Thead>
            <Table.Tr>
              {preview.columns.map((c) => (
                <Table.Th key={c.name} style={{ whiteSpace: 'nowrap' }}>
                  <Stack gap={2} align="flex-start">
                    <span>{c.name}</span>
                    {c.role && (
                      <Badge size="xs" variant="light" style={{ flexShrink: 0 }}>
                        {roleLabel(c.role)}
                      </Badge>
                    )}
                  </Stack>
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => (
              <Table.Tr key={i} data-testid="dataset-preview-row">
                {r.map((v, j) => (
                  <Table.Td key={j} className="tabular" c={v === null ? 'dimmed' : undefined} style={{ whiteSpace: 'nowrap' }}>
                    {formatValue(v, preview.columns[j]?.type)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Stack>
  );
}
