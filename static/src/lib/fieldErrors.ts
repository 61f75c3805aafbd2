import { ApiError } from '../api/client';

/**
 * Splits an API 400 message that names its field ("schedule.time: \"25:00\" is not a time",
 * "connection: port: must be 1-65535", "file.pattern: is required") into the field path and the
 * text for people. Answers null for other errors.
 */
export function fieldError(err: unknown): { field: string; message: string } | null {
  if (!(err instanceof ApiError) || err.kind !== 'invalid') return null;
  const m = /^(?:connection: )?([a-z_]+(?:\.[a-z_]+)*): (.+)$/s.exec(err.message);
  if (!m || m[1] === 'etl' || m[1] === 'connection') return null;
  const text = m[2].trim();
  return { field: m[1], message: text.charAt(0).toUpperCase() + text.slice(1) };
}

/** The message for `field` (or one of `aliases`) when `err` names it. */
export function errorFor(err: unknown, field: string, ...aliases: string[]): string | undefined {
  const fe = fieldError(err);
  if (!fe) return undefined;
  return fe.field === field || aliases.includes(fe.field) ? fe.message : undefined;
}
