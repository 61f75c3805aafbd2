import { UnstyledButton } from '@mantine/core';
import type { ReactNode } from 'react';

/** A selectable card (a source, a load strategy): outlined in the brand colour when chosen. */
export function ChoiceCard({ selected, disabled, onClick, testId, children }: { selected: boolean; disabled?: boolean; onClick: () => void; testId: string; children: ReactNode }) {
  return (
    <UnstyledButton
      className="type-card"
      disabled={disabled}
      onClick={onClick}
      aria-pressed={selected}
      style={{
        borderColor: selected ? 'var(--mantine-color-brand-6)' : undefined,
        boxShadow: selected ? '0 0 0 1px var(--mantine-color-brand-6)' : undefined,
        opacity: disabled && !selected ? 0.5 : 1,
      }}
      data-testid={testId}
      data-selected={selected}
    >
      {children}
    </UnstyledButton>
  );
}
