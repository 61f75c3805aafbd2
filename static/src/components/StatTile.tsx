import { Card, Group, Text } from '@mantine/core';

/**
 * A number with its label on a card (the runs page's tiles, a run's counts). A missing value
 * (loading, or failed) shows a dash.
 */
export function StatTile({
  id,
  label,
  value,
  tone,
  hint,
  size = 24,
}: {
  /** data-stat, for tests and the e2e chain. */
  id: string;
  label: string;
  value: string | undefined;
  /** A Mantine color for the number. */
  tone?: string;
  /** A short note beside the number. */
  hint?: string;
  size?: number;
}) {
  return (
    <Card padding="md" data-testid="stat" data-stat={id}>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Group gap={8} align="baseline" wrap="nowrap">
        <Text fz={size} fw={650} c={tone ? `${tone}.7` : undefined} className="tabular" mt={2} data-testid="stat-value">
          {value ?? '–'}
        </Text>
        {hint && (
          <Text size="xs" c="orange.8">
            {hint}
          </Text>
        )}
      </Group>
    </Card>
  );
}
