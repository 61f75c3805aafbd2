import { useDebouncedValue } from '@mantine/hooks';
import { useMemo } from 'react';

/**
 * `value` once it has stopped changing for `ms`, compared by its JSON (a model rebuilt on every
 * render is the same value while its content is), so queries keyed by it are not asked on each
 * keystroke.
 */
export function useDebouncedModel<T>(value: T, ms = 400): T {
  const [json] = useDebouncedValue(JSON.stringify(value), ms);
  return useMemo(() => JSON.parse(json) as T, [json]);
}
