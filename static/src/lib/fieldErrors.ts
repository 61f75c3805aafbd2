import { ApiError } from '../api/client';

/**
 * The field an API error is about and its text for people: the `field` of the error answer, or, from
 * older servers, a message that starts with its field ("schedule.time: \"25:00\" is not a time",
 * "connection: port: must be 1-65535"). Answers null for other errors.
 */
export function fieldError(err: unknown): { field: string; message: string } | null {
  if (!(err instanceof ApiError)) return null;
  if (err.field) return { field: err.field, message: err.message.charAt(0).toUpperCase() + err.message.slice(1) };
  if (err.kind !== 'invalid') return null;
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
