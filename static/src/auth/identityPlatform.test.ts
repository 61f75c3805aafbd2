import { afterEach, describe, expect, it } from 'vitest';
import { identityPlatformConfig, signInErrorMessage } from './identityPlatform';

describe('identityPlatformConfig', () => {
  afterEach(() => {
    delete window.B2B_CONFIG;
  });

  it('is null in local mode (no auth settings in config.js)', () => {
    expect(identityPlatformConfig()).toBeNull();
    window.B2B_CONFIG = { apiBase: '/api' };
    expect(identityPlatformConfig()).toBeNull();
    window.B2B_CONFIG = { auth: { mode: 'local' } };
    expect(identityPlatformConfig()).toBeNull();
  });

  it('reads the settings Terraform writes', () => {
    // The shape of local.web_config in terraform/modules/tenant/web.tf.
    window.B2B_CONFIG = {
      apiBase: '/api',
      auth: { mode: 'identity-platform', apiKey: 'AIza-test', authDomain: 'acme-recs.firebaseapp.com', projectId: 'acme-recs', providers: ['password', 'google.com'] },
    };
    expect(identityPlatformConfig()).toEqual({
      mode: 'identity-platform',
      apiKey: 'AIza-test',
      authDomain: 'acme-recs.firebaseapp.com',
      projectId: 'acme-recs',
      providers: ['password', 'google.com'],
    });
  });

  it('needs a key and a project, and defaults the auth domain and providers', () => {
    window.B2B_CONFIG = { auth: { mode: 'identity-platform', projectId: 'p' } };
    expect(identityPlatformConfig()).toBeNull();
    window.B2B_CONFIG = { auth: { mode: 'identity-platform', apiKey: 'k', projectId: 'p' } };
    expect(identityPlatformConfig()).toMatchObject({ authDomain: 'p.firebaseapp.com', providers: ['password'] });
  });
});

describe('signInErrorMessage', () => {
  it.each([
    ['auth/invalid-credential', 'Email or password is incorrect.'],
    ['auth/too-many-requests', 'Too many attempts. Wait a few minutes, then try again.'],
    ['auth/user-disabled', 'This account is disabled. Ask your administrator.'],
    ['auth/popup-blocked', 'The browser blocked the sign-in window. Allow pop-ups for this site and try again.'],
    ['auth/internal-error', 'Sign-in failed. Try again, or ask your administrator.'],
  ])('%s', (code, want) => {
    expect(signInErrorMessage({ code, message: 'Firebase: Error (' + code + ').' })).toBe(want);
  });

  it('never shows the SDK text', () => {
    expect(signInErrorMessage(new Error('Firebase: something internal'))).not.toMatch(/Firebase/);
  });
});
