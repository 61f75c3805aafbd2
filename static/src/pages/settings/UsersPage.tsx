import {
  Alert,
  Avatar,
  Badge,
  Box,
  Button,
  Card,
  Grid,
  Group,
  NativeSelect,
  PasswordInput,
  Popover,
  Progress,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconCheck, IconDevicesOff, IconDice5, IconLock, IconUserPlus, IconUsers } from '@tabler/icons-react';
import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import { useCreateUser, useEndUserSessions, useUsers } from '../../api/queries';
import type { Role, User } from '../../api/types';
import { useAuth, useSession } from '../../auth/AuthProvider';
import { PageHeader } from '../../components/PageHeader';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { fieldError } from '../../lib/fieldErrors';
import { formatDateTime, formatRelative } from '../../lib/format';
import { MIN_PASSWORD_LENGTH, generatePassword, passwordLength, passwordStrength, serverMessage } from '../../lib/password';
import { useNow } from '../../lib/useNow';

export const ROLE_COLORS: Record<string, string> = { admin: 'grape', editor: 'brand', viewer: 'gray' };

const ROLES: { value: Role; label: string }[] = [
  { value: 'viewer', label: 'Viewer: reads runs, jobs and tables' },
  { value: 'editor', label: 'Editor: also uploads files and starts runs' },
  { value: 'admin', label: 'Admin: also manages users' },
];

const CRUMBS = [{ label: 'Settings' }, { label: 'Team' }];

export function UsersPage() {
  const session = useSession();
  const admin = session.user.role === 'admin';
  const users = useUsers(admin);
  const now = useNow(30000);

  if (!admin || (users.error instanceof ApiError && users.error.kind === 'permission')) {
    return (
      <>
        <PageHeader crumbs={CRUMBS} title="Team" />
        <Card p={0}>
          <Empty
            icon={IconLock}
            testId="forbidden"
            title="Only admins can manage the team"
            description={
              admin
                ? errorMessage(users.error)
                : `You are signed in as ${session.user.role === 'editor' ? 'an editor' : 'a viewer'}. Ask an admin of ${session.tenant.name} to invite people or change roles.`
            }
          />
        </Card>
      </>
    );
  }

  const list = users.data ? sortUsers(users.data) : undefined;
  return (
    <>
      <PageHeader
        crumbs={CRUMBS}
        title="Team"
        description={`People who can sign in to ${session.tenant.name}. Viewers read, editors also load data, admins also manage the team.`}
        badge={
          list ? (
            <Badge variant="light" color="gray" size="lg" data-testid="users-count">
              {list.length} {list.length === 1 ? 'user' : 'users'}
            </Badge>
          ) : undefined
        }
      />
      <Grid gap="lg" align="flex-start">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Card p={0}>
            <DataTable
              testId="users-table"
              minWidth={620}
              tableProps={{ verticalSpacing: 'sm' }}
              columns={userColumns(session.user.id, now)}
              rows={list}
              rowKey={(u) => u.id}
              loading={users.isLoading}
              error={users.error}
              onRetry={() => void users.refetch()}
              rowProps={(u) => ({ 'data-testid': 'user-row', 'data-email': u.email, 'data-role': u.role })}
              empty={<Empty icon={IconUsers} testId="users-empty" title="No users yet" description="Invite the first one with the form." />}
            />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <InviteForm />
        </Grid.Col>
      </Grid>
    </>
  );
}

/** The columns of the team list; `meId` marks the signed-in user, `now` dates the invitations. */
function userColumns(meId: string, now: number): DataColumn<User>[] {
  return [
    {
      key: 'name',
      header: 'Name',
      cell: (user) => (
        <Group gap="sm" wrap="nowrap">
          <Avatar size={30} radius="xl" color={ROLE_COLORS[user.role] ?? 'gray'} name={user.name || user.email} />
          <Text size="sm" fw={500} truncate maw={200}>
            {user.name || '—'}
          </Text>
          {user.id === meId && (
            <Badge size="xs" variant="outline" color="gray">
              You
            </Badge>
          )}
          {user.disabled && (
            <Badge size="xs" color="red">
              Disabled
            </Badge>
          )}
        </Group>
      ),
    },
    {
      key: 'email',
      header: 'Email',
      cell: (user) => (
        <Text size="sm" truncate maw={260}>
          {user.email}
        </Text>
      ),
    },
    {
      key: 'role',
      header: 'Role',
      cell: (user) => (
        <Badge color={ROLE_COLORS[user.role] ?? 'gray'} tt="capitalize" data-testid="user-role-badge">
          {user.role}
        </Badge>
      ),
    },
    {
      key: 'added',
      header: 'Added',
      td: () => ({ style: { whiteSpace: 'nowrap' } }),
      cell: (user) => (
        <Tooltip label={formatDateTime(user.created_at)}>
          <Text size="sm" c="dimmed">
            {formatRelative(user.created_at, now)}
          </Text>
        </Tooltip>
      ),
    },
    { key: 'actions', header: '', align: 'right', cell: (user) => user.id !== meId && <EndSessionsButton user={user} /> },
  ];
}

/** Signs a user out on every device, after a confirmation (a lost laptop, someone leaving). */
function EndSessionsButton({ user }: { user: User }) {
  const [opened, setOpened] = useState(false);
  const end = useEndUserSessions();
  const who = user.name || user.email;
  const confirm = () =>
    end.mutate(user.id, {
      onSuccess: () => {
        setOpened(false);
        notifications.show({
          color: 'teal',
          icon: <IconCheck size={16} />,
          title: 'Sessions ended',
          message: `${who} is signed out on every device and must sign in again.`,
        });
      },
    });
  return (
    <Popover
      opened={opened}
      onChange={(o) => {
        setOpened(o);
        if (!o) end.reset();
      }}
      position="bottom-end"
      withArrow
      shadow="md"
    >
      <Popover.Target>
        <Button
          variant="subtle"
          color="gray"
          size="compact-xs"
          leftSection={<IconDevicesOff size={14} />}
          onClick={() => setOpened((o) => !o)}
          data-testid="end-sessions"
        >
          End sessions
        </Button>
      </Popover.Target>
      <Popover.Dropdown maw={280} data-testid="end-sessions-confirm">
        <Stack gap="xs">
          <Text size="sm">
            Sign {who} out on every device? They can sign in again with their password.
          </Text>
          {end.isError && (
            <Text size="xs" c="red" data-testid="end-sessions-error">
              {errorMessage(end.error)}
            </Text>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" size="xs" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button color="red" size="xs" loading={end.isPending} onClick={confirm} data-testid="end-sessions-ok">
              End sessions
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

/** Admins first, then editors, then viewers; by name within a role. */
export function sortUsers(users: User[]): User[] {
  const rank: Record<string, number> = { admin: 0, editor: 1, viewer: 2 };
  return [...users].sort(
    (a, b) => (rank[a.role] ?? 3) - (rank[b.role] ?? 3) || (a.name || a.email).localeCompare(b.name || b.email),
  );
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface FieldErrors {
  email?: string;
  password?: string;
}

/**
 * Checks an invitation. The initial password is required for local sign-in;
 * with Identity Platform (passwordOptional) it may be left empty, and the user
 * is mailed a link to set their own.
 */
export function validateInvite(v: { email: string; password: string }, passwordOptional = false): FieldErrors {
  const errors: FieldErrors = {};
  const email = v.email.trim().toLowerCase();
  if (!email) errors.email = 'Enter an email address.';
  else if (!EMAIL_RE.test(email)) errors.email = 'This is not an email address.';
  const skip = passwordOptional && v.password === '';
  if (!skip && passwordLength(v.password) < MIN_PASSWORD_LENGTH) errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  return errors;
}

function InviteForm() {
  const create = useCreateUser();
  const { identityPlatform } = useAuth();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<{ kind: string; message: string } | null>(null);
  const [created, setCreated] = useState<User | null>(null);
  const strength = useMemo(() => passwordStrength(password), [password]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setServerError(null);
    setCreated(null);
    // Duplicate emails are left to the server, which knows every tenant's users (409).
    const errs = validateInvite({ email, password }, identityPlatform);
    setErrors(errs);
    if (errs.email || errs.password) return;
    create.mutate(
      { email: email.trim(), name: name.trim(), role, ...(password ? { password } : {}) },
      {
        onSuccess: (u) => {
          setCreated(u);
          setEmail('');
          setName('');
          setPassword('');
          setShowPassword(false);
          notifications.show({ color: 'teal', title: 'User invited', message: `${u.email} can now sign in as ${u.role}.` });
        },
        onError: (err) => {
          const kind = err instanceof ApiError ? err.kind : 'internal';
          if (kind === 'conflict') {
            // Shown at the email field only: that is what to change.
            setErrors({ email: 'A user with this email exists.' });
            return;
          }
          const fe = fieldError(err);
          if (fe && (fe.field === 'password' || fe.field === 'email')) {
            setErrors({ [fe.field]: fe.message });
            return;
          }
          const message = err instanceof ApiError && kind === 'invalid' ? serverMessage(err.message) : errorMessage(err);
          // A message about one field goes under it; anything else above the button.
          if (kind === 'invalid' && /password/i.test(message)) setErrors({ password: message });
          else if (kind === 'invalid' && /email/i.test(message)) setErrors({ email: message });
          else setServerError({ kind, message });
        },
      },
    );
  };

  return (
    <Card data-testid="invite-card">
      <Group gap="xs" mb={4}>
        <IconUserPlus size={18} stroke={1.7} />
        <Text fw={600}>Invite user</Text>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        {identityPlatform
          ? 'Set an initial password and share it privately, or leave it empty: they get an email with a link to set their own.'
          : 'They sign in with this email and the initial password you set; share it with them privately.'}
      </Text>
      <form onSubmit={submit} noValidate data-testid="invite-form">
        <Stack gap="sm">
          <TextInput
            label="Email"
            placeholder="name@company.com"
            type="email"
            autoComplete="off"
            required
            value={email}
            onChange={(e) => {
              setEmail(e.currentTarget.value);
              if (errors.email) setErrors({ ...errors, email: undefined });
            }}
            error={errors.email}
            errorProps={{ 'data-testid': 'invite-email-error' }}
            data-testid="invite-email"
          />
          <TextInput
            label="Name"
            placeholder="Optional: defaults to the part before @"
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="invite-name"
          />
          <NativeSelect
            label="Role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
            data={ROLES}
            data-testid="invite-role"
          />
          <Box>
            <PasswordInput
              label={identityPlatform ? 'Initial password (optional)' : 'Initial password'}
              placeholder="Type or generate one"
              autoComplete="new-password"
              required={!identityPlatform}
              value={password}
              visible={showPassword}
              onVisibilityChange={setShowPassword}
              onChange={(e) => {
                setPassword(e.currentTarget.value);
                if (errors.password) setErrors({ ...errors, password: undefined });
              }}
              error={errors.password}
              errorProps={{ 'data-testid': 'invite-password-error' }}
              data-testid="invite-password"
              inputWrapperOrder={['label', 'input', 'error', 'description']}
            />
            {password && (
              <Progress
                value={Math.max((strength.score / 4) * 100, 6)}
                color={strength.color}
                size={4}
                mt={6}
                aria-label={`Password strength: ${strength.label}`}
              />
            )}
            <Group justify="space-between" mt={6} gap="xs" wrap="nowrap" align="flex-start">
              <Text size="xs" c="dimmed" data-testid="password-strength" data-score={password ? strength.score : ''}>
                {password ? (
                  <>
                    <Text span size="xs" fw={600} c={`${strength.color}.8`}>
                      {strength.label}
                      {strength.hint ? '.' : ''}
                    </Text>{' '}
                    {strength.hint}
                  </>
                ) : (
                  `At least ${MIN_PASSWORD_LENGTH} characters; longer, with mixed characters, is stronger.`
                )}
              </Text>
              <Button
                variant="subtle"
                size="compact-xs"
                leftSection={<IconDice5 size={14} />}
                data-testid="invite-generate"
                onClick={() => {
                  setPassword(generatePassword(16));
                  setShowPassword(true);
                  setErrors({ ...errors, password: undefined });
                }}
                style={{ flex: 'none' }}
              >
                Generate
              </Button>
            </Group>
          </Box>

          {serverError && (
            <Alert
              color="red"
              variant="light"
              icon={<IconAlertCircle size={18} />}
              data-testid="invite-error"
              data-kind={serverError.kind}
              p="sm"
            >
              <Text size="sm">{serverError.message}</Text>
            </Alert>
          )}
          {created && (
            <Alert color="teal" variant="light" icon={<IconCheck size={18} />} data-testid="invite-success" p="sm">
              <Text size="sm">
                <b>{created.email}</b> was added as {created.role}. They can sign in now.
              </Text>
            </Alert>
          )}
          <Group justify="flex-end">
            <Button type="submit" leftSection={<IconUserPlus size={16} />} loading={create.isPending} data-testid="invite-submit">
              Invite user
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
