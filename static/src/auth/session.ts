import type { Role, Tenant, User } from '../api/types';

export interface Session {
  token: string;
  expiresAt: string;
  user: User;
  tenant: Tenant;
}

const KEY = 'b2brecs.session';

export function loadSession(storage: Storage | undefined = safeStorage()): Session | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s?.token || !s.user || !s.tenant) return null;
    if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) {
      storage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null, storage: Storage | undefined = safeStorage()): void {
  if (!storage) return;
  try {
    if (s) storage.setItem(KEY, JSON.stringify(s));
    else storage.removeItem(KEY);
  } catch {
    // Storage full or blocked: the session still lives in memory.
  }
}

function safeStorage(): Storage | undefined {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : undefined;
  } catch {
    return undefined;
  }
}

/** Editors and admins write (upload, run); viewers only read. */
export function canWrite(role: Role | undefined): boolean {
  return role === 'editor' || role === 'admin';
}
