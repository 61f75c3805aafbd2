import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeFetch } from '../../test/fakeApi';
import { session, TABLE } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const base = { 'GET /api/auth/me': { user: session().user, tenant: session().tenant } };

describe('Tables', () => {
  it('lists tables and opens one with its schema and preview', async () => {
    const { fetch, calls } = fakeFetch({
      ...base,
      'GET /api/tables': { tables: [TABLE] },
      'GET /api/tables/raw_data/online_retail': {
        table: TABLE,
        preview: { columns: TABLE.schema, rows: [['536365', 6, 2.55], ['536366', null, 1.85]] },
      },
    });
    renderApp({ path: '/etl/tables', session: session(), fetch });
    const row = await screen.findByTestId('table-row');
    expect(row).toHaveAttribute('data-table-name', 'online_retail');
    expect(row).toHaveTextContent('541,909');
    expect(row).toHaveTextContent('44.8');
    expect(calls.find((c) => c.path === '/api/tables')!.search).toBe('?dataset=raw_data');

    await userEvent.click(row);
    const schemaRows = await screen.findAllByTestId('schema-row');
    expect(schemaRows.map((r) => r.getAttribute('data-column-name'))).toEqual(['invoiceno', 'quantity', 'unitprice']);
    expect(within(schemaRows[1]).getByText('INT64')).toBeInTheDocument();
    expect(within(schemaRows[2]).getByText('Required')).toBeInTheDocument();
    const preview = screen.getAllByTestId('preview-row');
    expect(preview).toHaveLength(2);
    expect(preview[1]).toHaveTextContent('NULL');
    expect(calls.find((c) => c.path === '/api/tables/raw_data/online_retail')!.search).toBe('?limit=20');
  });

  it('shows a not-found message for a missing table', async () => {
    const { fetch } = fakeFetch(base);
    renderApp({ path: '/etl/tables/raw_data/ghost', session: session(), fetch });
    expect(await screen.findByTestId('error-state')).toHaveAttribute('data-kind', 'not_found');
  });
});
