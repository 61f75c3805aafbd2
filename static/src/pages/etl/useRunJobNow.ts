import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { errorMessage } from '../../api/client';
import { queries, useStartJobRun } from '../../api/queries';
import { useApi } from '../../auth/AuthProvider';
import { startOutcome } from '../../lib/runs';

/** What the run detail page is told after "Run now" (react-router location state). */
export interface RunNowState {
  runNow: { runId: string; outcome: 'started' | 'earlier'; jobName: string };
}

export function isRunNowState(v: unknown, runId: string): v is RunNowState {
  const s = v as RunNowState | null;
  return !!s && typeof s === 'object' && !!s.runNow && s.runNow.runId === runId;
}

/**
 * "Run now" for a job: starts it, then opens the new run; when the server started nothing new
 * (every object of the job was already run) it opens the earlier run with a note saying so.
 */
export function useRunJobNow() {
  const start = useStartJobRun();
  const qc = useQueryClient();
  const api = useApi();
  const navigate = useNavigate();

  const runNow = (job: { id: string; name: string; lastRunId?: string | null }) => {
    const clickedAt = Date.now();
    const known = new Set((qc.getQueryData(queries.runs(api).queryKey) ?? []).map((r) => r.id));
    if (job.lastRunId) known.add(job.lastRunId);
    start.mutate(job.id, {
      onSuccess: (runs) => {
        const { started, earlier } = startOutcome(runs, clickedAt, known);
        if (started.length === 0) {
          // No toast: the run page says so where the user looks.
          const first = earlier[0];
          const state: RunNowState = { runNow: { runId: first.id, outcome: 'earlier', jobName: job.name } };
          navigate(`/etl/runs/${encodeURIComponent(first.id)}`, { state });
          return;
        }
        if (started.length === 1) {
          const r = started[0];
          const skipped = !!r.skipped_reason;
          notifications.show({
            color: skipped ? 'gray' : 'teal',
            title: skipped ? 'Run skipped' : 'Run started',
            message: skipped ? `${job.name}: nothing changed since the last load.` : `${job.name} is running.`,
          });
          const state: RunNowState = { runNow: { runId: r.id, outcome: 'started', jobName: job.name } };
          navigate(`/etl/runs/${encodeURIComponent(r.id)}`, { state });
          return;
        }
        notifications.show({ color: 'teal', title: `${started.length} runs started`, message: `${job.name}: one run per file.` });
        navigate('/etl');
      },
      onError: (e) => notifications.show({ color: 'red', title: 'Could not start a run', message: errorMessage(e) }),
    });
  };
  return { runNow, isPending: start.isPending };
}
