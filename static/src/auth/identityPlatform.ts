// Sign-in with Identity Platform, for a cloud deployment: Terraform writes
// the settings into config.js (window.B2B_CONFIG.auth, see
// terraform/modules/tenant/web.tf). The Firebase Auth SDK signs the user in
// (email and password, or Google) and hands out the ID token the API checks
// (issuer, audience, expiry, a verified email that is a user of the tenant).
// The SDK is loaded only when a deployment asks for it, so the local build's
// start-up does not pay for it.

import type { Auth, User as FirebaseUser } from 'firebase/auth';

export interface IdentityPlatformConfig {
  mode: 'identity-platform';
  apiKey: string;
  authDomain: string;
  projectId: string;
  providers?: string[];
}

/** The Identity Platform settings of this deployment, or null (local sign-in). */
export function identityPlatformConfig(): IdentityPlatformConfig | null {
  const auth = typeof window !== 'undefined' ? window.B2B_CONFIG?.auth : undefined;
  if (!auth || auth.mode !== 'identity-platform' || !auth.apiKey || !auth.projectId) return null;
  return {
    mode: 'identity-platform',
    apiKey: auth.apiKey,
    authDomain: auth.authDomain || `${auth.projectId}.firebaseapp.com`,
    projectId: auth.projectId,
    providers: auth.providers ?? ['password'],
  };
}

/** An ID token and when it expires (RFC 3339). */
export interface IdToken {
  token: string;
  expiresAt: string;
}

/** What the app needs of Identity Platform; tests give their own. */
export interface IdentityPlatform {
  signInWithPassword(email: string, password: string): Promise<IdToken>;
  signInWithGoogle(): Promise<IdToken>;
  /** Calls back with each new ID token (the SDK refreshes it before it expires), null when signed out. */
  onToken(cb: (t: IdToken | null) => void): () => void;
  signOut(): Promise<void>;
  readonly providers: string[];
}

/** Words for the SDK's errors that a user can act on. */
export function signInErrorMessage(err: unknown): string {
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
  switch (code) {
    case 'auth/invalid-credential':
    case 'auth/wrong-password':
    case 'auth/user-not-found':
    case 'auth/invalid-email':
      return 'Email or password is incorrect.';
    case 'auth/too-many-requests':
      return 'Too many attempts. Wait a few minutes, then try again.';
    case 'auth/user-disabled':
      return 'This account is disabled. Ask your administrator.';
    case 'auth/popup-closed-by-user':
    case 'auth/cancelled-popup-request':
      return 'Sign-in was cancelled.';
    case 'auth/popup-blocked':
      return 'The browser blocked the sign-in window. Allow pop-ups for this site and try again.';
    case 'auth/network-request-failed':
      return 'The sign-in service could not be reached. Check your connection and try again.';
    default:
      return 'Sign-in failed. Try again, or ask your administrator.';
  }
}

async function tokenOf(u: FirebaseUser): Promise<IdToken> {
  const r = await u.getIdTokenResult();
  return { token: r.token, expiresAt: new Date(r.expirationTime).toISOString() };
}

/** Identity Platform through the Firebase Auth SDK (loaded on first use). */
export function firebaseIdentityPlatform(cfg: IdentityPlatformConfig): IdentityPlatform {
  let authPromise: Promise<{ auth: Auth; mod: typeof import('firebase/auth') }> | null = null;
  const load = () => {
    authPromise ??= (async () => {
      const [{ initializeApp }, mod] = await Promise.all([import('firebase/app'), import('firebase/auth')]);
      const app = initializeApp({ apiKey: cfg.apiKey, authDomain: cfg.authDomain, projectId: cfg.projectId });
      // The tab's session only, like the local sign-in.
      const auth = mod.initializeAuth(app, { persistence: mod.browserSessionPersistence, popupRedirectResolver: mod.browserPopupRedirectResolver });
      return { auth, mod };
    })();
    return authPromise;
  };
  return {
    providers: cfg.providers ?? ['password'],
    async signInWithPassword(email, password) {
      const { auth, mod } = await load();
      const cred = await mod.signInWithEmailAndPassword(auth, email, password);
      return tokenOf(cred.user);
    },
    async signInWithGoogle() {
      const { auth, mod } = await load();
      const cred = await mod.signInWithPopup(auth, new mod.GoogleAuthProvider());
      return tokenOf(cred.user);
    },
    onToken(cb) {
      let stop: (() => void) | null = null;
      let cancelled = false;
      void load().then(({ auth, mod }) => {
        if (cancelled) return;
        stop = mod.onIdTokenChanged(auth, (u) => {
          if (!u) cb(null);
          else void tokenOf(u).then(cb, () => cb(null));
        });
      });
      return () => {
        cancelled = true;
        stop?.();
      };
    },
    async signOut() {
      const { auth, mod } = await load();
      await mod.signOut(auth);
    },
  };
}
