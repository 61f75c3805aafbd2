import {
  ActionIcon,
  AppShell,
  Badge,
  Box,
  Burger,
  Button,
  Divider,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Stack,
  Text,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBuilding, IconChevronDown, IconDevicesOff, IconLogout, IconUserCircle, IconUsers } from '@tabler/icons-react';
import { errorMessage } from '../api/client';
import { Link, Outlet, useLocation } from 'react-router';
import { AREAS, ETL_SECTIONS, type Area } from '../areas';
import { useAuth, useSession } from '../auth/AuthProvider';
import { Logo } from './Logo';

const GROUPS: { label: string; keys: string[] }[] = [
  { label: 'Data', keys: ['connections', 'etl', 'datasets'] },
  { label: 'Modeling', keys: ['features', 'models', 'experiments', 'training'] },
  { label: 'Serving', keys: ['endpoints'] },
];

const ROLE_COLORS: Record<string, string> = { admin: 'grape', editor: 'brand', viewer: 'gray' };

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const session = useSession();
  const { logout, logoutAll } = useAuth();
  const signOutEverywhere = () =>
    logoutAll().catch((err: unknown) =>
      notifications.show({ color: 'red', title: 'Could not sign out everywhere', message: errorMessage(err) }),
    );
  const { pathname } = useLocation();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
      styles={{
        main: { background: 'var(--app-bg)' },
        header: { borderBottom: '1px solid var(--app-border)' },
        navbar: { borderRight: '1px solid var(--app-border)' },
      }}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <UnstyledButton component={Link} to="/etl" aria-label="b2brecs home">
              <Logo compactBelow="sm" />
            </UnstyledButton>
            <Divider orientation="vertical" my={14} />
            <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
              <IconBuilding size={16} stroke={1.7} color="var(--mantine-color-gray-6)" style={{ flex: 'none' }} />
              <Text fw={600} size="sm" data-testid="tenant-name" truncate maw={{ base: 120, sm: 260 }}>
                {session.tenant.name}
              </Text>
            </Group>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton data-testid="user-menu" aria-label="Account menu">
                  <Group gap={6} wrap="nowrap">
                    <IconUserCircle size={18} stroke={1.6} color="var(--mantine-color-gray-6)" />
                    <Text size="sm" c="dimmed" data-testid="user-email" truncate maw={240} visibleFrom="sm">
                      {session.user.email}
                    </Text>
                    <IconChevronDown size={14} color="var(--mantine-color-gray-6)" />
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>Signed in as {session.user.email}</Menu.Label>
                <Menu.Item leftSection={<IconLogout size={15} />} onClick={() => void logout()}>
                  Sign out
                </Menu.Item>
                <Menu.Item
                  color="red"
                  leftSection={<IconDevicesOff size={15} />}
                  onClick={() => void signOutEverywhere()}
                  data-testid="logout-all"
                >
                  Sign out everywhere
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Badge color={ROLE_COLORS[session.user.role] ?? 'gray'} data-testid="user-role" tt="capitalize">
              {session.user.role}
            </Badge>
            <Button
              variant="subtle"
              color="gray"
              size="xs"
              leftSection={<IconLogout size={15} />}
              onClick={() => void logout()}
              data-testid="logout"
              visibleFrom="sm"
            >
              Sign out
            </Button>
            <Tooltip label="Sign out">
              <ActionIcon
                variant="subtle"
                color="gray"
                onClick={() => void logout()}
                aria-label="Sign out"
                data-testid="logout-compact"
                hiddenFrom="sm"
              >
                <IconLogout size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm">
        <AppShell.Section grow component={ScrollArea}>
          <Stack gap="md" data-testid="nav">
            {GROUPS.map((g) => (
              <Box key={g.label}>
                <Text className="nav-section-label" px="sm" mb={4}>
                  {g.label}
                </Text>
                {g.keys.map((k) => {
                  const area = AREAS.find((a) => a.key === k)!;
                  return <AreaNavLink key={k} area={area} pathname={pathname} onNavigate={close} />;
                })}
              </Box>
            ))}
          </Stack>
        </AppShell.Section>
        {session.user.role === 'admin' && (
          <AppShell.Section pb="xs">
            <Text className="nav-section-label" px="sm" mb={4}>
              Settings
            </Text>
            <NavLink
              component={Link}
              to="/settings/users"
              label="Team"
              description="Users and roles"
              leftSection={<IconUsers size={18} stroke={1.6} />}
              active={pathname.startsWith('/settings/users')}
              onClick={close}
              data-testid="nav-team"
              className="nav-child"
            />
          </AppShell.Section>
        )}
        <AppShell.Section>
          <Divider mb="xs" />
          <Text size="xs" c="dimmed" px="sm">
            b2brecs · v{__APP_VERSION__}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Box maw={1280} mx="auto">
          <Outlet />
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}

function AreaNavLink({ area, pathname, onNavigate }: { area: Area; pathname: string; onNavigate: () => void }) {
  const Icon = area.icon;
  const inArea = pathname === area.path || pathname.startsWith(area.path + '/');
  if (area.key === 'etl') {
    return (
      <NavLink
        label={area.label}
        leftSection={<Icon size={18} stroke={1.6} />}
        active={inArea}
        variant="subtle"
        defaultOpened
        childrenOffset={28}
        data-testid="nav-etl"
        className="nav-parent"
      >
        {ETL_SECTIONS.map((s) => {
          const active =
            s.key === 'runs'
              ? pathname === '/etl' || pathname.startsWith('/etl/runs')
              : pathname === s.path || pathname.startsWith(s.path + '/');
          return (
            <NavLink
              key={s.key}
              component={Link}
              to={s.path}
              label={s.label}
              active={active}
              onClick={onNavigate}
              data-testid={`nav-etl-${s.key}`}
              className="nav-child"
            />
          );
        })}
      </NavLink>
    );
  }
  return (
    <NavLink
      component={Link}
      to={area.path}
      label={area.label}
      leftSection={<Icon size={18} stroke={1.6} />}
      rightSection={
        area.ready ? undefined : (
          <Badge size="xs" variant="light" color="gray" radius="sm">
            Soon
          </Badge>
        )
      }
      active={inArea}
      onClick={onNavigate}
      data-testid={`nav-${area.key}`}
      className="nav-child"
    />
  );
}
