import { Alert, Badge, Button, Card, Checkbox, Group, Radio, Skeleton, Stack, Stepper, Table, Text, Textarea, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconArrowLeft, IconArrowRight, IconDeviceFloppy } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import { datasetsApi, useDataset, useDatasetWrite, type ColumnRef, type Dataset, type RoleSuggestion, type UpdateResult } from '../../api/datasets';
import { useTables } from '../../api/queries';
import type { Table as WarehouseTable } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { ErrorState } from '../../components/States';
import { fieldError as apiFieldError } from '../../lib/fieldErrors';
import { formatCount } from '../../lib/format';
import { FiltersStep } from './FiltersStep';
import { buildModel, colKey, datasetOf, emptyDataset, placeOfField, setPrimary, stepOfField, stepProblem, tablesOf, toggleSecondary, type Step } from './model';
import { SchemaStep } from './SchemaStep';

/** The warehouse dataset the wizard picks tables from (where the ETL loads them). */
export const TABLES_DATASET = 'raw_data';

const STEPS = [
  { label: 'Info', description: 'Name and purpose' },
  { label: 'Tables', description: 'Primary and secondary' },
  { label: 'Schema', description: 'Columns, roles, joins' },
  { label: 'Filters', description: 'Rows, split, preview' },
];

/** What the user is told after a save: the version, and whether the change made a new one. */
export function savedMessage(name: string, version: number, editing: boolean, newVersion: boolean): string {
  if (!editing) return `${name} is at version ${version}.`;
  return newVersion ? `${name} is now at version ${version}; experiments keep the version they used.` : `${name} is still at version ${version}: the name and description do not change its SQL.`;
}

/** What the user is told about a failed save: a field's message goes next to it, the rest on top. */
export function saveErrorText(err: unknown, editing: boolean): string {
  if (err instanceof ApiError && err.kind === 'conflict' && editing && !err.field) {
    return `${err.message} Someone saved this dataset after you opened it: open it again to see their change, then make yours.`;
  }
  return errorMessage(err);
}

function TablesStep({
  dataset,
  onChange,
  tables,
  fieldError,
}: {
  dataset: Dataset;
  onChange: (d: Dataset) => void;
  tables: WarehouseTable[];
  fieldError: (field: string) => string | undefined;
}) {
  const secondary = new Set((dataset.secondary_tables ?? []).map((t) => t.table));
  const errorOf = (name: string) => {
    if (dataset.primary_table.table === name) return fieldError('primary_table');
    const i = (dataset.secondary_tables ?? []).findIndex((t) => t.table === name);
    return i >= 0 ? fieldError(`secondary_tables[${i}]`) : undefined;
  };
  if (tables.length === 0) {
    return (
      <Alert color="blue" variant="light">
        No tables in the warehouse yet: load data through ETL first.
      </Alert>
    );
  }
  return (
    <Card withBorder p={0}>
      <Table verticalSpacing="sm" data-testid="wizard-tables">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={90}>Primary</Table.Th>
            <Table.Th w={90}>Joined</Table.Th>
            <Table.Th>Table</Table.Th>
            <Table.Th ta="right">Columns</Table.Th>
            <Table.Th ta="right">Rows</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tables.map((t) => {
            const ref = { dataset: t.dataset, table: t.name };
            const primary = dataset.primary_table.table === t.name;
            return (
              <Table.Tr key={t.name} data-testid="wizard-table" data-table-name={t.name}>
                <Table.Td>
                  <Radio checked={primary} onChange={() => onChange(setPrimary(dataset, ref))} aria-label={`${t.name} is the primary table`} data-testid="primary-radio" />
                </Table.Td>
                <Table.Td>
                  <Checkbox
                    checked={secondary.has(t.name)}
                    disabled={primary}
                    onChange={() => onChange(toggleSecondary(dataset, ref))}
                    aria-label={`Join ${t.name}`}
                    data-testid="secondary-checkbox"
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    <Text size="sm" fw={600}>
                      {t.name}
                    </Text>
                    {primary && <Badge size="xs">primary</Badge>}
                  </Group>
                  {errorOf(t.name) && (
                    <Text size="xs" c="red" data-testid="table-error">
                      {errorOf(t.name)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right" className="tabular">
                  {formatCount(t.schema?.length ?? 0)}
                </Table.Td>
                <Table.Td ta="right" className="tabular">
                  {formatCount(t.num_rows)}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed" p="sm">
        The primary table holds one row per interaction (an invoice line, an order line). Secondary tables add columns to it
        through joins, such as product descriptions or customer segments.
      </Text>
    </Card>
  );
}

/** The 4-step dataset wizard: create (/datasets/new) or edit (/datasets/:id/edit). */
export function DatasetWizardPage() {
  const { id } = useParams();
  const editing = !!id;
  const existing = useDataset(id ?? '', editing);
  const tables = useTables(TABLES_DATASET);
  const navigate = useNavigate();
  const session = useSession();
  const [draft, setDraft] = useState<Dataset>(emptyDataset);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [loaded, setLoaded] = useState(!editing);
  const [step, setStep] = useState<Step>(0);
  const [stepError, setStepError] = useState<string | null>(null);
  const [suggested, setSuggested] = useState<Map<string, RoleSuggestion>>(new Map());

  useEffect(() => {
    if (editing && existing.data && !loaded) {
      setDraft(datasetOf(existing.data));
      setVersion(existing.data.version);
      setLoaded(true);
    }
  }, [editing, existing.data, loaded]);

  const save = useDatasetWrite(
    (api, d: Dataset): Promise<UpdateResult> =>
      editing ? datasetsApi.update(api, id!, d, version) : datasetsApi.create(api, d).then((v) => ({ dataset: v, new_version: true })),
  );
  const saveField = save.error instanceof ApiError ? save.error.field : undefined;
  const fieldError = useCallback(
    (f: string) => {
      if (placeOfField(saveField) !== f) return undefined;
      return apiFieldError(save.error)?.message;
    },
    [saveField, save.error],
  );

  const change = useCallback((d: Dataset) => {
    setDraft(d);
    setStepError(null);
  }, []);
  const onSuggested = useCallback((applied: RoleSuggestion[]) => setSuggested(new Map(applied.map((s) => [colKey(s.column), s]))), []);

  const byName = useMemo(() => new Map((tables.data ?? []).map((t) => [t.name, t])), [tables.data]);
  const typeOf = useCallback((c: ColumnRef) => byName.get(c.table)?.schema?.find((s) => s.name === c.column)?.type, [byName]);
  const used = tablesOf(draft)
    .map((t) => byName.get(t.table))
    .filter((t): t is WarehouseTable => !!t);

  const go = (to: Step) => {
    if (to > step) {
      for (let s = step; s < to; s++) {
        const p = stepProblem(draft, s as Step);
        if (p) {
          setStep(s as Step);
          setStepError(p);
          return;
        }
      }
    }
    setStepError(null);
    setStep(to);
  };
  const submit = () => {
    for (const s of [0, 1, 2] as Step[]) {
      const p = stepProblem(draft, s);
      if (p) {
        setStep(s);
        setStepError(p);
        return;
      }
    }
    save.mutate(buildModel(draft), {
      onSuccess: ({ dataset: v, new_version }) => {
        notifications.show({ color: 'teal', title: editing ? 'Dataset saved' : 'Dataset created', message: savedMessage(v.name, v.version, editing, new_version) });
        navigate(`/datasets/${encodeURIComponent(v.id)}`);
      },
      onError: (err) => {
        const s = stepOfField(err instanceof ApiError ? err.field : undefined);
        if (s !== null) setStep(s);
      },
    });
  };

  if (!canWrite(session.user.role)) {
    return <ErrorState error={new ApiError('permission', 'Only editors and admins can create or change datasets.', 403)} title="Read-only access" />;
  }
  if (editing && existing.isError) return <ErrorState error={existing.error} onRetry={() => void existing.refetch()} />;
  const ready = loaded && !!tables.data;
  const title = editing ? `Edit ${existing.data?.name ?? 'dataset'}` : 'New dataset';
  // A field the wizard has a place for is shown there; any other error above the buttons.
  const inPlace = !!placeOfField(saveField) && stepOfField(saveField) === step;
  const topError = save.isError && !inPlace ? saveErrorText(save.error, editing) : null;

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'Datasets', to: '/datasets' }, ...(editing && existing.data ? [{ label: existing.data.name, to: `/datasets/${id}` }] : []), { label: editing ? 'Edit' : 'New' }]}
        title={title}
        badge={editing && version ? <Badge variant="light" color="gray">editing v{version}</Badge> : undefined}
      />
      <Stepper active={step} onStepClick={(s) => go(s as Step)} size="sm" mb="lg" allowNextStepsSelect={false} data-testid="wizard-stepper">
        {STEPS.map((s) => (
          <Stepper.Step key={s.label} label={s.label} description={s.description} />
        ))}
      </Stepper>
      {tables.isError && <ErrorState error={tables.error} onRetry={() => void tables.refetch()} />}
      {!ready ? (
        <Skeleton h={240} />
      ) : (
        <Stack gap="md" data-testid={`wizard-step-${step}`}>
          {step === 0 && (
            <Card withBorder p="lg" maw={640}>
              <Stack>
                <TextInput
                  label="Name"
                  required
                  value={draft.name}
                  onChange={(e) => change({ ...draft, name: e.currentTarget.value })}
                  placeholder="Retail interactions 2011"
                  error={fieldError('name')}
                  data-testid="dataset-name"
                  autoFocus
                />
                <Textarea
                  label="Description"
                  value={draft.description ?? ''}
                  onChange={(e) => change({ ...draft, description: e.currentTarget.value })}
                  placeholder="What the dataset is for, which rows it keeps"
                  rows={3}
                  error={fieldError('description')}
                />
              </Stack>
            </Card>
          )}
          {step === 1 && <TablesStep dataset={draft} onChange={change} tables={tables.data ?? []} fieldError={fieldError} />}
          {step === 2 && <SchemaStep dataset={draft} onChange={change} tables={used} suggested={suggested} onSuggested={onSuggested} fieldError={fieldError} />}
          {step === 3 && <FiltersStep dataset={draft} onChange={change} typeOf={typeOf} fieldError={fieldError} />}
          {stepError && (
            <Alert color="orange" icon={<IconAlertCircle size={16} />} data-testid="step-error">
              {stepError}
            </Alert>
          )}
          {topError && (
            <Alert color="red" icon={<IconAlertCircle size={16} />} data-testid="save-error">
              {topError}
            </Alert>
          )}
          <Group justify="space-between">
            <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => (step === 0 ? navigate(editing ? `/datasets/${id}` : '/datasets') : go((step - 1) as Step))}>
              {step === 0 ? 'Cancel' : 'Back'}
            </Button>
            {step < 3 ? (
              <Button rightSection={<IconArrowRight size={16} />} onClick={() => go((step + 1) as Step)} data-testid="wizard-next">
                Next
              </Button>
            ) : (
              <Button leftSection={<IconDeviceFloppy size={16} />} onClick={submit} loading={save.isPending} data-testid="wizard-save">
                {editing ? 'Save changes' : 'Create dataset'}
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </>
  );
}
