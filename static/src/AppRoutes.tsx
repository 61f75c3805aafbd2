import { Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AREAS } from './areas';
import { useAuth } from './auth/AuthProvider';
import { AppLayout } from './components/AppLayout';
import { ComingNextPage } from './pages/ComingNextPage';
import { ConnectionDetailPage } from './pages/connections/ConnectionDetailPage';
import { ConnectionsPage } from './pages/connections/ConnectionsPage';
import { DashboardPage } from './pages/etl/DashboardPage';
import { JobsPage } from './pages/etl/JobsPage';
import { RunDetailPage } from './pages/etl/RunDetailPage';
import { RunsPage } from './pages/etl/RunsPage';
import { TableDetailPage } from './pages/etl/TableDetailPage';
import { TablesPage } from './pages/etl/TablesPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { UsersPage } from './pages/settings/UsersPage';

// The datasets area (React Flow, Recharts) loads on first visit, in its own chunk.
const DatasetRoutes = lazy(() => import('./pages/datasets/DatasetRoutes'));

function RequireAuth({ children }: { children: React.ReactNode }) {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) {
    const next = location.pathname + location.search;
    const to = next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
    return <Navigate to={to} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/etl" replace />} />
        <Route path="etl">
          <Route index element={<RunsPage />} />
          <Route path="runs/:runId" element={<RunDetailPage />} />
          <Route path="dashboard" element={<DashboardPage />} />
          <Route path="jobs" element={<JobsPage />} />
          <Route path="tables" element={<TablesPage />} />
          <Route path="tables/:dataset/:name" element={<TableDetailPage />} />
        </Route>
        <Route path="connections">
          <Route index element={<ConnectionsPage />} />
          <Route path=":id" element={<ConnectionDetailPage />} />
        </Route>
        <Route
          path="datasets/*"
          element={
            <Suspense fallback={<Skeleton h={240} />}>
              <DatasetRoutes />
            </Suspense>
          }
        />
        <Route path="settings">
          <Route index element={<Navigate to="/settings/users" replace />} />
          <Route path="users" element={<UsersPage />} />
        </Route>
        {AREAS.filter((a) => !a.ready).map((a) => (
          <Route key={a.key} path={a.path.slice(1) + '/*'} element={<ComingNextPage area={a} />} />
        ))}
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
