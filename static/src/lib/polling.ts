import type { Run } from '../api/types';
import { isActive } from './runs';

/** Poll every 2 s while a run moves, every 15 s when all is still. */
export const FAST_POLL_MS = 2000;
export const SLOW_POLL_MS = 15000;
/** After an upload, poll fast this long even before the new run shows up. */
export const UPLOAD_BOOST_MS = 30000;

/**
 * The refetch interval of the runs list: fast while any run is pending or running, or while a
 * fresh upload is expected to produce a run (now < boostUntil); slow otherwise.
 */
export function runsPollInterval(runs: readonly Run[] | undefined, now = Date.now(), boostUntil = 0): number {
  if (runs?.some(isActive)) return FAST_POLL_MS;
  if (now < boostUntil) return FAST_POLL_MS;
  return SLOW_POLL_MS;
}

/** The refetch interval of one run: fast while it moves, none once it has finished. */
export function runPollInterval(run: Run | undefined): number | false {
  if (!run) return FAST_POLL_MS;
  return isActive(run) ? FAST_POLL_MS : false;
}
