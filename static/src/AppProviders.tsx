import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { AuthProvider, type AuthProviderProps } from './auth/AuthProvider';
import { theme } from './theme';

export interface AppProvidersProps {
  queryClient: QueryClient;
  children: ReactNode;
  auth?: Omit<AuthProviderProps, 'children'>;
}

export function AppProviders({ queryClient, children, auth }: AppProvidersProps) {
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      {/* Bottom right: toasts never cover the page header and its actions. */}
      <Notifications position="bottom-right" autoClose={4000} limit={3} />
      <QueryClientProvider client={queryClient}>
        <AuthProvider {...auth}>{children}</AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
