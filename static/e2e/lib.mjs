// What the browser end-to-end scripts share: the error a failed step throws
// (printed without a stack) and reading their settings from the environment.

/** A step of a flow failed: its message says what was expected and what was found. */
export class StepError extends Error {}

/** The environment variable name, or def when it is unset or empty; a StepError naming it when required. */
export function env(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (def === undefined) throw new StepError(`environment variable ${name} is required`);
    return def;
  }
  return v;
}
