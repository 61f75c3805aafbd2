import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AREAS } from '../areas';
import { fakeFetch } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';

describe('navigation', () => {
  it('has every product area, and unbuilt ones show a "coming next" page', async () => {
    const { fetch } = fakeFetch({
      'GET /api/auth/me': { user: session().user, tenant: session().tenant },
      'GET /api/runs': { runs: [] },
    });
    renderApp({ path: '/etl', session: session(), fetch });
    for (const key of ['connections', 'etl', 'datasets', 'features', 'models', 'experiments', 'training', 'endpoints']) {
      expect(await screen.findByTestId(`nav-${key}`)).toBeInTheDocument();
    }
    for (const key of ['runs', 'dashboard', 'jobs', 'tables']) expect(screen.getByTestId(`nav-etl-${key}`)).toBeInTheDocument();

    for (const area of AREAS.filter((a) => !a.ready)) {
      await userEvent.click(screen.getByTestId(`nav-${area.key}`));
      const page = await screen.findByTestId('coming-next');
      expect(page).toHaveAttribute('data-area', area.key);
      expect(page).toHaveTextContent(area.plans[0]);
    }
  });
});
