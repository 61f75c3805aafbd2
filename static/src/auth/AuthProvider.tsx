import { useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/client';
import { loadSession, saveSession, type Session } from './session';

export interface AuthContextValue {
  session: Session | null;
  api: ApiClient;
  login: (email: string, password: string) => Promise<Session>;
  logout: () => Promise<void>;
  /** Ends every session of the user on the server (all devices), then here; rejects when the server did not. */
  logoutAll: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export interface AuthProviderProps {
  children: ReactNode;
  /** For tests: a client factory and a starting session. */
  makeClient?: (opts: ConstructorParameters<typeof ApiClient>[0]) => ApiClient;
  initialSession?: Session | null;
}

export function AuthProvider({ children, makeClient, initialSession }: AuthProviderProps) {
  const queryClient = useQueryClient();
  const [session, setSessionState] = useState<Session | null>(() =>
    initialSession !== undefined ? initialSession : loadSession(),
  );
  const tokenRef = useRef<string | null>(session?.token ?? null);

  const setSession = useCallback((s: Session | null) => {
    tokenRef.current = s?.token ?? null;
    saveSession(s);
    setSessionState(s);
  }, []);

  const endSession = useCallback(
    (expired: boolean) => {
      if (!tokenRef.current) return;
      setSession(null);
      queryClient.clear();
      if (expired) {
        notifications.show({
          id: 'session-expired',
          color: 'yellow',
          title: 'Signed out',
          message: 'Your session has expired. Please sign in again.',
        });
      }
    },
    [queryClient, setSession],
  );

  const api = useMemo(
    () =>
      (makeClient ?? ((o) => new ApiClient(o)))({
        getToken: () => tokenRef.current,
        onUnauthenticated: () => endSession(true),
      }),
    [makeClient, endSession],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      const r = await api.login(email, password);
      const s: Session = { token: r.token, expiresAt: r.expires_at, user: r.user, tenant: r.tenant };
      queryClient.clear();
      setSession(s);
      return s;
    },
    [api, queryClient, setSession],
  );

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The token may already be gone server-side; signing out locally is what matters.
    }
    endSession(false);
  }, [api, endSession]);

  const logoutAll = useCallback(async () => {
    await api.logoutAll();
    endSession(false);
  }, [api, endSession]);

  // Refresh who we are once per session start (role or tenant name may have changed).
  const token = session?.token;
  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    api
      .me()
      .then((me) => {
        if (cancelled || tokenRef.current !== token) return;
        setSessionState((prev) => {
          if (!prev) return prev;
          const next = { ...prev, user: me.user, tenant: me.tenant };
          saveSession(next);
          return next;
        });
      })
      .catch(() => {
        // 401 already ended the session through onUnauthenticated; others are transient.
      });
    return () => {
      cancelled = true;
    };
  }, [api, token]);

  // Expire the session locally at expires_at.
  const expiresAt = session?.expiresAt;
  useEffect(() => {
    if (!expiresAt) return;
    const ms = Date.parse(expiresAt) - Date.now();
    if (Number.isNaN(ms)) return;
    const id = window.setTimeout(() => endSession(true), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => window.clearTimeout(id);
  }, [expiresAt, endSession]);

  const value = useMemo<AuthContextValue>(
    () => ({ session, api, login, logout, logoutAll }),
    [session, api, login, logout, logoutAll],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}

export function useApi(): ApiClient {
  return useAuth().api;
}

/** The signed-in session; only for screens behind <RequireAuth>. */
export function useSession(): Session {
  const { session } = useAuth();
  if (!session) throw new Error('no session');
  return session;
}
