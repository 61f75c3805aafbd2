import { Alert, Button, Group, Stack, Stepper } from '@mantine/core';
import { IconAlertCircle, IconArrowLeft, IconArrowRight, IconPlayerPlay } from '@tabler/icons-react';
import { useState } from 'react';
import { ApiError, errorMessage } from '../../../api/client';
import { useJobMutation } from '../../../api/queries';
import type { JobView } from '../../../api/types';
import { fieldError } from '../../../lib/fieldErrors';
import { draftOf, jobPatchBody, newJobBody, type Draft } from '../JobEditor';
import { DatabaseSourceFields, FileSourceFields } from '../JobSourceStep';
import { useRunJobNow } from '../useRunJobNow';
import { ConnectionStep, useNameCheck } from './ConnectionStep';
import { DestinationStep } from './DestinationStep';
import { LoadStep } from './LoadStep';
import { ReviewStep } from './ReviewStep';

export const STEPS = [
  { label: 'Connection', description: 'Source and name' },
  { label: 'Data', description: 'Tables or files' },
  { label: 'Load strategy', description: 'What each run loads' },
  { label: 'Destination', description: 'Table and columns' },
  { label: 'Schedule', description: 'And review' },
];

/** Step 2 says what it holds for the kind of job. */
const DATA_STEP = {
  file: { label: 'Files', description: 'Folder, pattern, schema' },
  database: { label: 'Table', description: 'Columns and rows' },
};

/** The step whose form shows an API error about `field` (a JSON path of the job body). */
export function stepOfField(field: string): number {
  if (field === 'name' || field === 'source_type' || field.endsWith('connection_id')) return 0;
  if (/^(pattern$|file\.|database\.(schema|table|columns)$)/.test(field)) return 1;
  if (/^(load_mode|merge_keys|schema_evolution|database\.)/.test(field)) return 2;
  if (/^(dest\.|dataset$|table$)/.test(field)) return 3;
  return 4;
}

/** Fields the steps show an error under; an error about any other field is shown above the step. */
const AT_FIELD =
  /^(name|source_type|file\.(connection_id|prefix|pattern|format|subfolders|mode)|pattern|database\.(connection_id|schema|table|timestamp_column|historical_start|lookback_minutes)|load_mode|merge_keys|schema_evolution|dest\.(dataset|table|lineage|partition|partition\.column|cluster_by|columns\[\d+\]\.(name|type))|dataset|table|schedule\..+)$/;

const invalid = (field: string, message: string) => new ApiError('invalid', message, 400, field);

/** What keeps the user on a step, as an error at its field (null: the step may be left). */
function stepProblem(step: number, d: Draft, nameTaken: string | undefined): ApiError | null {
  if (step === 0) {
    if (!d.name.trim()) return invalid('name', 'Give the job a name.');
    if (nameTaken) return invalid('name', nameTaken);
    if (d.kind === 'database' && !d.db.connectionId) return invalid('database.connection_id', 'Choose the connection to read.');
  }
  if (step === 1) {
    if (d.kind === 'file' && !d.file.pattern.trim()) return invalid('file.pattern', 'Give a file name pattern, such as orders_*.csv.');
    if (d.kind === 'database' && !d.db.table) return invalid('database.table', 'Choose the table to load.');
  }
  if (step === 2 && d.kind === 'file' && d.loadMode === 'merge' && !d.mergeKeys.trim()) return invalid('merge_keys', 'Name the columns that identify a row.');
  return null;
}

/** The 5-step job wizard (spec A5): new jobs of every kind, and edits of a job. */
export function JobWizard({ job, onDone }: { job: JobView | null; onDone: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(job));
  const [step, setStepNow] = useState(0);
  // The furthest step shown: its header may be clicked again (a job being edited: every step).
  const [reached, setReached] = useState(job ? STEPS.length - 1 : 0);
  const setStep = (s: number) => {
    setStepNow(s);
    setReached((r) => Math.max(r, s));
  };
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [andRun, setAndRun] = useState(false);
  const save = useJobMutation<Draft, JobView>((api, v) => (job ? api.updateJob(job.id, jobPatchBody(job, v)) : api.createJob(newJobBody(v))));
  const { runNow, isPending: starting } = useRunJobNow();
  const nameCheck = useNameCheck(d.name, job);
  const update = (f: (old: Draft) => Draft) => {
    setD(f);
    setProblem(null);
    if (save.isError) save.reset();
  };
  const set = (p: Partial<Draft>) => update((old) => ({ ...old, ...p }));
  const err = problem ?? save.error;
  const fe = fieldError(err);
  const aboveStep = err && (!fe || !AT_FIELD.test(fe.field));
  const destLocked = !!job?.last_run;
  const nameTaken = nameCheck.data && !nameCheck.data.available ? nameCheck.data.message : undefined;

  /** Whether steps from..to-1 may be passed; the first that may not is shown with its problem. */
  const passable = (from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const p = stepProblem(s, d, nameTaken);
      if (p) {
        setStep(s);
        setProblem(p);
        return false;
      }
    }
    return true;
  };
  // Forward moves check the steps passed over; going back is always allowed.
  const go = (to: number) => {
    if (!passable(step, to)) return;
    setProblem(null);
    setStep(to);
  };
  const submit = (run: boolean) => {
    if (!passable(0, STEPS.length)) return;
    setAndRun(run);
    save.mutate(d, {
      onSuccess: (saved) => (run ? runNow({ id: saved.id, name: saved.name }) : onDone()),
      onError: (e) => {
        const f = fieldError(e);
        if (f && AT_FIELD.test(f.field)) setStep(stepOfField(f.field));
      },
    });
  };
  const setFile = (f: Partial<Draft['file']>) => update((old) => ({ ...old, file: { ...old.file, ...f } }));
  const setDb = (db: Partial<Draft['db']>) => update((old) => ({ ...old, db: { ...old.db, ...db } }));
  const last = step === STEPS.length - 1;

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (job || last) submit(false);
        else go(step + 1);
      }}
      data-testid="job-wizard"
      data-step={step}
    >
      <Stepper active={step} onStepClick={go} size="sm" mb="lg" data-testid="job-stepper">
        {STEPS.map((s, i) => (
          <Stepper.Step key={s.label} {...(i === 1 ? DATA_STEP[d.kind] : s)} allowStepSelect={i <= reached} data-testid={`job-step-tab-${i}`} />
        ))}
      </Stepper>
      <Stack gap="md" mih={360} data-testid={`job-step-${step}`}>
        {aboveStep && (
          <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="job-editor-error">
            {errorMessage(err)}
          </Alert>
        )}
        {step === 0 && <ConnectionStep draft={d} set={set} job={job} err={err} check={nameCheck} />}
        {step === 1 &&
          (d.kind === 'file' ? (
            <FileSourceFields value={d.file} set={setFile} err={err} fixed={!!job} />
          ) : (
            <DatabaseSourceFields value={d.db} set={setDb} err={err} fixed={destLocked} />
          ))}
        {step === 2 && <LoadStep draft={d} set={set} setDb={setDb} job={job} err={err} locked={destLocked} />}
        {step === 3 && <DestinationStep draft={d} set={set} err={err} locked={destLocked} />}
        {step === 4 && <ReviewStep draft={d} set={set} job={job} err={err} />}
      </Stack>
      <Group justify="space-between" mt="lg">
        <Button variant="default" onClick={step === 0 ? onDone : () => go(step - 1)} leftSection={step === 0 ? undefined : <IconArrowLeft size={16} />} data-testid="job-back">
          {step === 0 ? 'Cancel' : 'Back'}
        </Button>
        <Group gap="sm">
          {job && (
            <Button type="submit" variant={last ? 'filled' : 'default'} loading={save.isPending} data-testid="job-save">
              Save changes
            </Button>
          )}
          {!last && (
            <Button onClick={() => go(step + 1)} rightSection={<IconArrowRight size={16} />} data-testid="job-next">
              Next
            </Button>
          )}
          {!job && last && (
            <>
              <Button variant="default" type="submit" loading={save.isPending && !andRun} data-testid="job-save">
                Create
              </Button>
              <Button leftSection={<IconPlayerPlay size={16} />} loading={(save.isPending && andRun) || starting} onClick={() => submit(true)} data-testid="job-save-run">
                Create and run now
              </Button>
            </>
          )}
        </Group>
      </Group>
    </form>
  );
}
