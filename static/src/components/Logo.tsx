import { Group, Text } from '@mantine/core';

export function Logo({ size = 28, compactBelow }: { size?: number; compactBelow?: 'xs' | 'sm' }) {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="var(--mantine-color-brand-6)" />
        <path
          d="M9 22V10h6.5a3.5 3.5 0 0 1 0 7H9m6.5 0 4.5 5"
          stroke="#fff"
          strokeWidth="2.6"
          fill="none"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      <Text fw={700} size="lg" style={{ letterSpacing: '-0.02em' }} visibleFrom={compactBelow}>
        b2brecs
      </Text>
    </Group>
  );
}
