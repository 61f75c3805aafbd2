import { Route, Routes } from 'react-router';
import { DatasetDetailPage } from './DatasetDetailPage';
import { DatasetsPage } from './DatasetsPage';
import { DatasetWizardPage } from './DatasetWizardPage';

/** The routes under /datasets (AppRoutes loads them lazily, in their own chunk). */
export default function DatasetRoutes() {
  return (
    <Routes>
      <Route index element={<DatasetsPage />} />
      <Route path="new" element={<DatasetWizardPage />} />
      <Route path=":id" element={<DatasetDetailPage />} />
      <Route path=":id/edit" element={<DatasetWizardPage />} />
    </Routes>
  );
}
