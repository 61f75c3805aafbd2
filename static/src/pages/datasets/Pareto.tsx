import { Alert, Group, Skeleton, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Area, AreaChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { datasetQueries, type Dataset, type Entity, type Pareto } from '../../api/datasets';
import { errorMessage } from '../../api/client';
import { useApi } from '../../auth/AuthProvider';
import { formatCount } from '../../lib/format';
import { paretoCut, paretoModel } from './model';
import { useDebouncedModel } from './useDebouncedModel';

/** The chart's points: share of entities (x, %) against share of revenue (y, %). */
export function paretoSeries(p: Pareto): { x: number; y: number; rank: number; key: string }[] {
  const n = Math.max(1, p.entities);
  return [{ x: 0, y: 0, rank: 0, key: '' }, ...(p.points ?? []).map((pt) => ({ x: (pt.rank / n) * 100, y: pt.share * 100, rank: pt.rank, key: pt.key }))];
}

/** The Pareto curve of `entity` by revenue, with the cut a top-share filter of `percent` makes. */
export function ParetoChart({ pareto, percent, entity }: { pareto: Pareto; percent: number; entity: Entity }) {
  const data = paretoSeries(pareto);
  const cut = paretoCut(pareto.points ?? [], percent);
  const word = entity === 'product' ? 'products' : 'customers';
  const cutX = cut ? (cut.rank / Math.max(1, pareto.entities)) * 100 : 0;
  return (
    <Stack gap={4} data-testid="pareto-chart">
      <Text size="xs" c="dimmed" data-testid="pareto-caption">
        {cut
          ? `Keeps about ${formatCount(cut.rank)} of ${formatCount(pareto.entities)} ${word} (${cutX.toFixed(1)}%), which make ${(cut.share * 100).toFixed(1)}% of revenue.`
          : `No ${word} with revenue.`}
      </Text>
      <div style={{ width: '100%', height: 180 }}>
        <ResponsiveContainer initialDimension={{ width: 480, height: 180 }}>
          <AreaChart data={data} margin={{ top: 8, right: 12, bottom: 4, left: -12 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#eceef3" />
            <XAxis dataKey="x" type="number" domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} fontSize={11} />
            <YAxis domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} fontSize={11} />
            <Tooltip
              formatter={(v) => [`${Number(v).toFixed(1)}% of revenue`, '']}
              labelFormatter={(v) => `top ${Number(v).toFixed(1)}% of ${word}`}
            />
            <Area type="monotone" dataKey="y" stroke="var(--mantine-color-brand-6)" fill="var(--mantine-color-brand-1)" strokeWidth={2} isAnimationActive={false} />
            {cut && <ReferenceLine x={cutX} stroke="var(--mantine-color-orange-6)" strokeDasharray="4 3" />}
            <ReferenceLine y={percent} stroke="var(--mantine-color-orange-6)" strokeDasharray="4 3" />
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </Stack>
  );
}

/** Loads the Pareto curve of the draft (its other filters applied) and draws it. */
export function ParetoPanel({ dataset, entity, percent }: { dataset: Dataset; entity: Entity; percent: number }) {
  const api = useApi();
  const model = useDebouncedModel(paretoModel(dataset, entity));
  const q = useQuery(datasetQueries.pareto(api, model, entity));
  if (q.isError) {
    return (
      <Alert color="gray" variant="light" p="xs">
        <Text size="xs">{errorMessage(q.error)}</Text>
      </Alert>
    );
  }
  if (!q.data) {
    return (
      <Group>
        <Skeleton h={180} />
      </Group>
    );
  }
  return <ParetoChart pareto={q.data} percent={percent} entity={entity} />;
}
