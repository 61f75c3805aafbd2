import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  NativeSelect,
  PasswordInput,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { IconAlertCircle, IconAlertTriangle, IconCircleCheck, IconCircleX, IconKey, IconPlugConnected } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { useConnectionMutation } from '../../api/queries';
import type {
  Connection,
  ConnectionPatch,
  ConnectionType,
  NewConnection,
  SaveConnectionResponse,
  SecretField,
  SecretValues,
  TestResult,
} from '../../api/types';
import { useApi } from '../../auth/AuthProvider';
import { errorFor, fieldError } from '../../lib/fieldErrors';
import { formatBytes, formatCount } from '../../lib/format';
import { TYPE_SPECS, typeSpec, type TextField } from './connectionTypes';

export interface SecretInput {
  value: string;
  /** Changed by the user: only touched secrets are sent ("" clears a stored one). */
  touched: boolean;
}

export interface ConnectionDraft {
  type: ConnectionType;
  name: string;
  description: string;
  enabled: boolean;
  fields: Partial<Record<TextField, string>>;
  secrets: Partial<Record<SecretField, SecretInput>>;
}

export function draftOf(c: Connection | null, type: ConnectionType = 'postgresql'): ConnectionDraft {
  const t = c?.type ?? type;
  const fields: ConnectionDraft['fields'] = {};
  for (const f of typeSpec(t).fields) {
    const v = c?.[f.key as keyof Connection];
    fields[f.key] = v === undefined || v === null || v === 0 ? '' : String(v);
  }
  return { type: t, name: c?.name ?? '', description: c?.description ?? '', enabled: c?.enabled ?? true, fields, secrets: {} };
}

function secretsOf(d: ConnectionDraft, creating: boolean): SecretValues | undefined {
  const out: SecretValues = {};
  for (const s of typeSpec(d.type).secrets) {
    const inp = d.secrets[s.key];
    if (!inp?.touched) continue; // untouched: keep what is stored
    if (creating && inp.value === '') continue; // nothing stored to clear
    out[s.key] = inp.value;
  }
  return Object.keys(out).length ? out : undefined;
}

function placeFields(d: ConnectionDraft, creating: boolean): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of typeSpec(d.type).fields) {
    const v = (d.fields[f.key] ?? '').trim();
    if (f.key === 'port') {
      if (v !== '') out.port = Number(v);
      else if (!creating) out.port = 0;
    } else if (v !== '' || !creating) {
      out[f.key] = v;
    }
  }
  return out;
}

/** The body of POST /api/connections (and /test) for a draft: empty fields and untouched secrets left out. */
export function newConnectionBody(d: ConnectionDraft, testFirst = false): NewConnection {
  const body: NewConnection = { name: d.name.trim(), type: d.type, ...placeFields(d, true), enabled: d.enabled };
  if (d.description.trim()) body.description = d.description.trim();
  const secret = secretsOf(d, true);
  if (secret) body.secret = secret;
  if (testFirst) body.test_first = true;
  return body;
}

/** The body of PATCH /api/connections/{id}: changed fields only; secrets only when touched ("" clears). */
export function connectionPatchBody(c: Connection, d: ConnectionDraft, test = false): ConnectionPatch {
  const before = draftOf(c);
  const p: ConnectionPatch = {};
  const after = placeFields(d, false);
  const was = placeFields(before, false);
  for (const [k, v] of Object.entries(after)) if (was[k] !== v) (p as Record<string, unknown>)[k] = v;
  if (d.name.trim() !== before.name) p.name = d.name.trim();
  if (d.description.trim() !== before.description) p.description = d.description.trim();
  if (d.enabled !== before.enabled) p.enabled = d.enabled;
  const secret = secretsOf(d, false);
  if (secret) p.secret = secret;
  if (test) p.test = true;
  return p;
}

/** A type picker: the first step of "New connection". */
export function TypePicker({ onPick }: { onPick: (t: ConnectionType) => void }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" data-testid="connection-type-picker">
      {TYPE_SPECS.map((s) => {
        const I = s.icon;
        return (
          <UnstyledButton key={s.type} className="type-card" onClick={() => onPick(s.type)} data-testid={`pick-${s.type}`}>
            <Group wrap="nowrap" gap="sm" align="flex-start">
              <I size={26} stroke={1.5} color={`var(--mantine-color-${s.color}-6)`} />
              <Stack gap={2}>
                <Group gap={6}>
                  <Text fw={600} size="sm">
                    {s.label}
                  </Text>
                </Group>
                <Text size="xs" c="dimmed">
                  {s.blurb}
                </Text>
              </Stack>
            </Group>
          </UnstyledButton>
        );
      })}
    </SimpleGrid>
  );
}

/** Shows a connection test: ok or failed with the message, the server version and the tables or files found. */
export function TestResultView({ result }: { result: TestResult }) {
  const tables = result.tables ?? [];
  return (
    <Alert
      color={result.ok ? 'green' : 'red'}
      variant="light"
      icon={result.ok ? <IconCircleCheck size={18} /> : <IconCircleX size={18} />}
      title={result.ok ? 'Connection works' : 'Connection failed'}
      data-testid="connection-test-result"
      data-ok={result.ok}
    >
      <Stack gap={6}>
        <Text size="sm" data-testid="connection-test-message">
          {result.message}
        </Text>
        {result.server_version && (
          <Text size="xs" c="dimmed">
            Server {result.server_version}
            {result.schema ? ` · schema ${result.schema}` : ''}
          </Text>
        )}
        {result.ok && (
          <Stack gap={4}>
            <Text size="xs" fw={600}>
              {tables.length === 0 ? 'Nothing found yet' : `${tables.length}${tables.length >= 100 ? '+' : ''} found`}
            </Text>
            <Group gap={4} data-testid="connection-test-tables">
              {tables.slice(0, 12).map((t) => (
                <Badge key={t.name} variant="white" color="gray" tt="none" className="mono">
                  {t.name}
                  {t.rows !== undefined ? ` · ${formatCount(t.rows)} rows` : t.size !== undefined ? ` · ${formatBytes(t.size)}` : ''}
                </Badge>
              ))}
              {tables.length > 12 && (
                <Text size="xs" c="dimmed">
                  and {tables.length - 12} more
                </Text>
              )}
            </Group>
          </Stack>
        )}
      </Stack>
    </Alert>
  );
}

export function DuplicateWarning({ id }: { id: string }) {
  return (
    <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="Possible duplicate" data-testid="connection-duplicate">
      Another connection already points at the same place.{' '}
      <Anchor component={Link} to={`/connections/${encodeURIComponent(id)}`} size="sm">
        Open it
      </Anchor>
    </Alert>
  );
}

/**
 * Creates a connection of `type` (connection null) or edits one. Secret fields start empty and say
 * when a secret is stored; they are sent only when changed.
 */
export function ConnectionForm({
  connection,
  type,
  onSaved,
  onCancel,
}: {
  connection: Connection | null;
  type?: ConnectionType;
  onSaved: (r: SaveConnectionResponse) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const creating = connection === null;
  const [d, setD] = useState<ConnectionDraft>(() => draftOf(connection, type));
  const [testFirst, setTestFirst] = useState(false);
  const [testResult, setTestResult] = useState<TestResult | null>(null);
  const [testError, setTestError] = useState<unknown>(null);
  const [testing, setTesting] = useState(false);
  // The draft the last Test ran on: a save of that same draft was tested.
  const [testedDraft, setTestedDraft] = useState<ConnectionDraft | null>(null);
  const spec = typeSpec(d.type);
  const save = useConnectionMutation<ConnectionDraft, SaveConnectionResponse>((a, v) =>
    creating ? a.createConnection(newConnectionBody(v, testFirst)) : a.updateConnection(connection.id, connectionPatchBody(connection, v, testFirst)),
  );
  const err = save.error ?? testError;
  const fe = fieldError(err);
  const stored = new Set(connection?.secret_fields ?? []);

  const touch = () => {
    if (save.isError) save.reset();
    setTestError(null);
  };
  const setField = (k: TextField, v: string) => {
    setD((o) => ({ ...o, fields: { ...o.fields, [k]: v } }));
    touch();
  };
  const setSecret = (k: SecretField, v: string) => {
    setD((o) => ({ ...o, secrets: { ...o.secrets, [k]: { value: v, touched: true } } }));
    touch();
  };
  const fieldErr = (k: string) => errorFor(err, k, `secret.${k}`);
  const knownFields = new Set<string>(['name', 'description', ...spec.fields.map((f) => f.key), ...spec.secrets.flatMap((s) => [s.key, `secret.${s.key}`])]);
  const general = !!err && (!fe || !knownFields.has(fe.field));

  const runTest = async () => {
    setTesting(true);
    setTestResult(null);
    setTestError(null);
    try {
      const r =
        !creating && Object.keys(connectionPatchBody(connection, d)).length === 0
          ? await api.testConnection(connection.id)
          : await api.testNewConnection(newConnectionBody(d));
      setTestResult(r);
      setTestedDraft(d);
    } catch (e) {
      setTestError(e);
    } finally {
      setTesting(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        // A save of the draft that just passed its Test says so, not "saved without a test".
        save.mutate(d, { onSuccess: (r) => onSaved(!r.test && testResult?.ok && testedDraft === d ? { ...r, test: testResult } : r) });
      }}
      data-testid="connection-form"
      data-type={d.type}
    >
      <Stack gap="md">
        {general && (
          <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="connection-form-error">
            {errorMessage(err)}
          </Alert>
        )}
        <Group grow align="flex-start">
          <TextInput
            label="Name"
            required
            maxLength={100}
            placeholder="Shop database"
            value={d.name}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setD((o) => ({ ...o, name: v }));
              touch();
            }}
            error={fieldErr('name')}
            data-testid="connection-name"
          />
          <TextInput
            label="Description"
            value={d.description}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setD((o) => ({ ...o, description: v }));
              touch();
            }}
            error={fieldErr('description')}
          />
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {spec.fields.map((f) =>
            f.options ? (
              <NativeSelect
                key={f.key}
                label={f.label}
                description={f.description}
                data={f.options.map((o) => ({ value: o, label: o || 'Default' }))}
                value={d.fields[f.key] ?? ''}
                onChange={(e) => setField(f.key, e.currentTarget.value)}
                error={fieldErr(f.key)}
                data-testid={`connection-${f.key}`}
              />
            ) : (
              <TextInput
                key={f.key}
                label={f.label}
                required={f.required}
                placeholder={f.placeholder}
                description={f.description}
                inputMode={f.key === 'port' ? 'numeric' : undefined}
                classNames={f.mono ? { input: 'mono' } : undefined}
                value={d.fields[f.key] ?? ''}
                onChange={(e) => setField(f.key, e.currentTarget.value)}
                error={fieldErr(f.key)}
                data-testid={`connection-${f.key}`}
              />
            ),
          )}
          {spec.secrets.map((s) => {
            const isSet = stored.has(s.key);
            const inp = d.secrets[s.key];
            const cleared = isSet && inp?.touched && inp.value === '';
            const label = (
              <Group gap={6} component="span">
                <IconKey size={12} />
                {s.label}
                {isSet && !inp?.touched && (
                  <Badge size="xs" color="green" variant="light" data-testid={`secret-set-${s.key}`}>
                    set
                  </Badge>
                )}
                {cleared && (
                  <Badge size="xs" color="red" variant="light">
                    will be cleared
                  </Badge>
                )}
              </Group>
            );
            const common = {
              label,
              description: isSet ? 'Stored. Leave untouched to keep it; type to replace it.' : s.description,
              placeholder: isSet ? '•••••••• (set)' : undefined,
              value: inp?.value ?? '',
              error: fieldErr(s.key),
              autoComplete: 'new-password',
              'data-testid': `secret-${s.key}`,
            };
            return (
              <Stack key={s.key} gap={2}>
                {s.multiline ? (
                  <Textarea {...common} rows={3} classNames={{ input: 'mono secret-text' }} onChange={(e) => setSecret(s.key, e.currentTarget.value)} />
                ) : (
                  <PasswordInput {...common} onChange={(e) => setSecret(s.key, e.currentTarget.value)} />
                )}
                {isSet && !cleared && (
                  <Anchor component="button" type="button" size="xs" c="red" style={{ alignSelf: 'flex-start' }} onClick={() => setSecret(s.key, '')} data-testid={`secret-clear-${s.key}`}>
                    Clear the stored value
                  </Anchor>
                )}
              </Stack>
            );
          })}
        </SimpleGrid>
        {spec.notice && (
          <Alert color="blue" variant="light" data-testid="connection-notice">
            {spec.notice}
          </Alert>
        )}
        {!creating && (
          <Switch label="Enabled" description="Jobs cannot use a disabled connection" checked={d.enabled} onChange={(e) => setD((o) => ({ ...o, enabled: e.currentTarget.checked }))} />
        )}
        {testResult && <TestResultView result={testResult} />}
        {testResult?.duplicate_of && testResult.duplicate_of !== connection?.id && <DuplicateWarning id={testResult.duplicate_of} />}
        <Group justify="space-between">
          <Group gap="sm">
            <Button variant="light" leftSection={<IconPlugConnected size={16} />} loading={testing} onClick={() => void runTest()} data-testid="connection-test">
              Test connection
            </Button>
            <Checkbox label={creating ? 'Test before saving' : 'Re-test before saving'} checked={testFirst} onChange={(e) => setTestFirst(e.currentTarget.checked)} data-testid="connection-test-first" />
          </Group>
          <Group gap="sm">
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="connection-save">
              {creating ? 'Save connection' : 'Save changes'}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
