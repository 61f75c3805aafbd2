import { Alert, Box, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle, IconBrandGoogle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from '../auth/AuthProvider';
import { signInErrorMessage } from '../auth/identityPlatform';
import { Logo } from '../components/Logo';

/** Only same-app paths are followed after sign-in (no open redirects). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/etl';
  return next;
}

export function LoginPage() {
  const { session, login, loginWithGoogle, identityPlatform } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session && !busy) return <Navigate to={next} replace />;

  const signIn = async (how: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await how();
      navigate(next, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err.kind === 'unauthenticated' && !identityPlatform
            ? 'Email or password is incorrect.'
            : errorMessage(err)
          : signInErrorMessage(err),
      );
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn(() => login(email.trim(), password));
  };

  return (
    <Box mih="100vh" style={{ background: 'linear-gradient(160deg, #eef2ff 0%, #f6f7fb 45%, #f6f7fb 100%)' }}>
      <Center mih="100vh" p="md">
        <Stack w="100%" maw={400} gap="lg">
          <Center>
            <Logo size={34} />
          </Center>
          <Paper withBorder shadow="sm" p="xl" radius="lg">
            <form onSubmit={submit} noValidate data-testid="login-form">
              <Stack gap="md">
                <div>
                  <Title order={2}>Sign in</Title>
                  <Text size="sm" c="dimmed" mt={4}>
                    Turn your order history into product recommendations.
                  </Text>
                </div>
                {error && (
                  <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} data-testid="login-error" py="xs">
                    {error}
                  </Alert>
                )}
                <TextInput
                  label="Email"
                  type="email"
                  autoComplete="username"
                  placeholder="you@company.com"
                  required
                  autoFocus
                  value={email}
                  onChange={(e) => setEmail(e.currentTarget.value)}
                  data-testid="login-email"
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  data-testid="login-password"
                />
                <Button type="submit" fullWidth loading={busy} disabled={!email || !password} data-testid="login-submit" mt="xs">
                  Sign in
                </Button>
                {loginWithGoogle && (
                  <>
                    <Divider label="or" labelPosition="center" />
                    <Button
                      variant="default"
                      fullWidth
                      leftSection={<IconBrandGoogle size={18} />}
                      disabled={busy}
                      onClick={() => void signIn(loginWithGoogle)}
                      data-testid="login-google"
                    >
                      Sign in with Google
                    </Button>
                  </>
                )}
              </Stack>
            </form>
          </Paper>
          <Text size="xs" c="dimmed" ta="center">
            Accounts are managed by your workspace admin.
          </Text>
        </Stack>
      </Center>
    </Box>
  );
}
