import { Badge, Loader } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconClock, IconPlayerStop, IconX } from '@tabler/icons-react';
import { statusMeta } from '../lib/runs';

const ICONS: Record<string, React.ReactNode> = {
  pending: <IconClock size={12} stroke={2} />,
  completed: <IconCheck size={12} stroke={2.5} />,
  partial: <IconAlertTriangle size={12} stroke={2} />,
  failed: <IconX size={12} stroke={2.5} />,
  cancelled: <IconPlayerStop size={12} stroke={2} />,
};

export function StatusBadge({ status, size = 'md' }: { status: string; size?: 'sm' | 'md' | 'lg' }) {
  const meta = statusMeta(status);
  const icon = status === 'running' ? <Loader size={10} color="blue" type="oval" /> : ICONS[status];
  return (
    <Badge
      color={meta.color}
      size={size}
      leftSection={icon}
      data-testid="run-status"
      data-status={status}
    >
      {meta.label}
    </Badge>
  );
}
