import { Badge, Button, Card, Group, List, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconArrowRight, IconCircleCheck } from '@tabler/icons-react';
import { Link } from 'react-router';
import type { Area } from '../areas';
import { PageHeader } from '../components/PageHeader';

/** A tidy placeholder for an area of the product that is not built yet. */
export function ComingNextPage({ area }: { area: Area }) {
  const Icon = area.icon;
  return (
    <>
      <PageHeader crumbs={[{ label: area.label }]} title={area.label} badge={<Badge color="gray">Coming next</Badge>} />
      <Card padding="xl" data-testid="coming-next" data-area={area.key} maw={760}>
        <Group align="flex-start" gap="lg" wrap="nowrap">
          <ThemeIcon size={56} radius="xl" variant="light">
            <Icon size={28} stroke={1.5} />
          </ThemeIcon>
          <Stack gap="sm">
            <Title order={2}>{area.summary}</Title>
            <Text c="dimmed" size="sm">
              This area is being built. When it ships, you will be able to:
            </Text>
            <List
              spacing={8}
              size="sm"
              icon={
                <ThemeIcon size={20} radius="xl" color="teal" variant="light">
                  <IconCircleCheck size={14} />
                </ThemeIcon>
              }
            >
              {area.plans.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
            <Group mt="sm">
              <Button component={Link} to="/etl" variant="light" rightSection={<IconArrowRight size={16} />}>
                Go to ETL
              </Button>
            </Group>
          </Stack>
        </Group>
      </Card>
    </>
  );
}
