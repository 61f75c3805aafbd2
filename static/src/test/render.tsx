import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { ApiClient } from '../api/client';
import { AppProviders } from '../AppProviders';
import { AppRoutes } from '../AppRoutes';
import type { IdentityPlatform } from '../auth/identityPlatform';
import type { Session } from '../auth/session';

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
}

/** Renders the whole app (or `children`) at `path` with a fake fetch behind the API client. */
export function renderApp(opts: {
  path?: string;
  session?: Session | null;
  fetch: typeof fetch;
  children?: ReactNode;
  /** Identity Platform sign-in (a cloud deployment); none by default. */
  identity?: IdentityPlatform | null;
}) {
  const queryClient = testQueryClient();
  const makeClient = (o: ConstructorParameters<typeof ApiClient>[0]) => new ApiClient({ ...o, fetch: opts.fetch });
  const utils = render(
    <MemoryRouter initialEntries={[opts.path ?? '/']}>
      <AppProviders queryClient={queryClient} auth={{ makeClient, initialSession: opts.session ?? null, identity: opts.identity ?? null }}>
        {opts.children ?? <AppRoutes />}
      </AppProviders>
    </MemoryRouter>,
  );
  return { ...utils, queryClient };
}
