import { useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient } from '../api/client';
import { firebaseIdentityPlatform, identityPlatformConfig, type IdentityPlatform, type IdToken } from './identityPlatform';
import { loadSession, saveSession, type Session } from './session';

export interface AuthContextValue {
  session: Session | null;
  api: ApiClient;
  login: (email: string, password: string) => Promise<Session>;
  /** Sign-in with Google (Identity Platform deployments that offer it), else undefined. */
  loginWithGoogle?: () => Promise<Session>;
  /** Whether sign-in goes through Identity Platform (a cloud deployment). */
  identityPlatform: boolean;
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
  /** Identity Platform sign-in; default: from config.js (null in local mode). */
  identity?: IdentityPlatform | null;
}

function defaultIdentity(): IdentityPlatform | null {
  const cfg = identityPlatformConfig();
  return cfg ? firebaseIdentityPlatform(cfg) : null;
}

export function AuthProvider({ children, makeClient, initialSession, identity: identityProp }: AuthProviderProps) {
  const queryClient = useQueryClient();
  const [identity] = useState<IdentityPlatform | null>(() => (identityProp !== undefined ? identityProp : defaultIdentity()));
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

  // Identity Platform: the ID token is the bearer token; the API says who
  // it is (GET /api/me). An identity that is no user of the tenant is
  // signed out again.
  const startIdentitySession = useCallback(
    async (t: IdToken) => {
      tokenRef.current = t.token;
      try {
        const me = await api.me();
        const s: Session = { token: t.token, expiresAt: t.expiresAt, user: me.user, tenant: me.tenant };
        queryClient.clear();
        setSession(s);
        return s;
      } catch (err) {
        tokenRef.current = null;
        await identity?.signOut().catch(() => undefined);
        throw err;
      }
    },
    [api, identity, queryClient, setSession],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      if (identity) return startIdentitySession(await identity.signInWithPassword(email, password));
      const r = await api.login(email, password);
      const s: Session = { token: r.token, expiresAt: r.expires_at, user: r.user, tenant: r.tenant };
      queryClient.clear();
      setSession(s);
      return s;
    },
    [api, identity, queryClient, setSession, startIdentitySession],
  );

  const loginWithGoogle = useMemo(
    () =>
      identity?.providers.includes('google.com')
        ? async () => startIdentitySession(await identity.signInWithGoogle())
        : undefined,
    [identity, startIdentitySession],
  );

  const logout = useCallback(async () => {
    try {
      if (identity) await identity.signOut();
      else await api.logout();
    } catch {
      // The token may already be gone server-side; signing out locally is what matters.
    }
    endSession(false);
  }, [api, identity, endSession]);

  const logoutAll = useCallback(async () => {
    await api.logoutAll();
    await identity?.signOut().catch(() => undefined);
    endSession(false);
  }, [api, identity, endSession]);

  // Identity Platform refreshes the ID token before it expires: use the new
  // one; a sign-out elsewhere (or a token that cannot be refreshed) ends the
  // session here.
  const signedIn = session !== null;
  useEffect(() => {
    if (!identity || !signedIn) return;
    return identity.onToken((t) => {
      if (!tokenRef.current) return;
      if (!t) {
        endSession(true);
        return;
      }
      if (t.token === tokenRef.current) return;
      tokenRef.current = t.token;
      setSessionState((prev) => {
        if (!prev) return prev;
        const next = { ...prev, token: t.token, expiresAt: t.expiresAt };
        saveSession(next);
        return next;
      });
    });
  }, [identity, signedIn, endSession]);

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
    () => ({ session, api, login, loginWithGoogle, identityPlatform: identity !== null, logout, logoutAll }),
    [session, api, login, loginWithGoogle, identity, logout, logoutAll],
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
