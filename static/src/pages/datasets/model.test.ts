import { describe, expect, it } from 'vitest';
import type { Dataset, RoleSuggestion } from '../../api/datasets';
import { diffLines, foldUnchanged, modelText } from './diff';
import { formatValue } from './Panels';
import {
  addFilter,
  addJoin,
  applyRoleSuggestions,
  buildModel,
  emptyDataset,
  filterColumnChoices,
  joinProblem,
  paretoCut,
  paretoModel,
  placeOfField,
  removeJoin,
  setJoinType,
  setPrimary,
  setRole,
  stepOfField,
  stepProblem,
  toggleColumn,
  toggleSecondary,
  unjoinedTables,
  updateFilter,
} from './model';

const lines = { dataset: 'raw_data', table: 'lines' };
const products = { dataset: 'raw_data', table: 'products' };
const stores = { dataset: 'raw_data', table: 'stores' };
const c = (table: string, column: string) => ({ table, column });

/** lines + products, with the lines' customer, product, date and amount selected. */
function draft(): Dataset {
  let d: Dataset = { ...emptyDataset(), name: 'retail' };
  d = setPrimary(d, lines);
  d = toggleSecondary(d, products);
  d = setRole(d, c('lines', 'customer_id'), 'customer_id');
  d = setRole(d, c('lines', 'stock_code'), 'product_id');
  d = setRole(d, c('lines', 'invoice_ts'), 'timestamp');
  d = setRole(d, c('lines', 'amount'), 'revenue');
  d = toggleColumn(d, c('products', 'description'));
  return d;
}

describe('tables', () => {
  it('removing a secondary table drops its columns, joins and filters', () => {
    let d = addJoin(draft(), c('lines', 'stock_code'), c('products', 'code'));
    d = addFilter(d, 'category');
    d = updateFilter(d, 0, { kind: 'category', column: c('products', 'description'), mode: 'include', values: ['cup'] });
    expect(d.filters).toHaveLength(1);
    const out = toggleSecondary(d, products);
    expect(out.secondary_tables).toEqual([]);
    expect(out.joins).toEqual([]);
    expect(out.filters).toEqual([]);
    expect(out.columns!.map((x) => x.column)).toEqual(['customer_id', 'stock_code', 'invoice_ts', 'amount']);
  });

  it('making a secondary table the primary one removes it from the secondary tables', () => {
    const d = setPrimary(draft(), products);
    expect(d.primary_table).toEqual(products);
    expect(d.secondary_tables).toEqual([]);
    expect(d.columns!.map((x) => x.table)).toEqual(['products']);
    // the primary cannot also be a secondary table
    expect(toggleSecondary(d, products)).toBe(d);
  });
});

describe('joins', () => {
  it('orients a drawn join from the joined side and refuses duplicates and self-joins', () => {
    // drawn from products to lines: lines (the primary) becomes the left side
    const d = addJoin(draft(), c('products', 'code'), c('lines', 'stock_code'), 'left');
    expect(d.joins).toEqual([{ left: c('lines', 'stock_code'), right: c('products', 'code'), type: 'left' }]);
    expect(joinProblem(d, c('lines', 'stock_code'), c('products', 'code'))).toBe('These columns are already joined.');
    expect(joinProblem(d, c('products', 'code'), c('lines', 'stock_code'))).toBe('These columns are already joined.');
    expect(joinProblem(d, c('lines', 'a'), c('lines', 'b'))).toBe('A join connects two different tables.');
    expect(joinProblem(d, c('lines', 'a'), c('stores', 'b'))).toBe('Both tables must be part of the dataset.');
    expect(addJoin(d, c('lines', 'stock_code'), c('products', 'code'))).toBe(d);
  });

  it('changes the type, removes joins and reports tables no join reaches', () => {
    let d = toggleSecondary(draft(), stores);
    expect(unjoinedTables(d)).toEqual(['products', 'stores']);
    expect(stepProblem(d, 2)).toMatch(/^Join products, stores/);
    d = addJoin(d, c('lines', 'stock_code'), c('products', 'code'));
    // stores joins products (not the primary): reachable through it
    d = addJoin(d, c('stores', 'id'), c('products', 'store_id'));
    expect(d.joins![1]).toEqual({ left: c('products', 'store_id'), right: c('stores', 'id'), type: 'inner' });
    expect(unjoinedTables(d)).toEqual([]);
    expect(stepProblem(d, 2)).toBeNull();
    d = setJoinType(d, 1, 'left');
    expect(d.joins![1].type).toBe('left');
    d = removeJoin(d, 0);
    expect(d.joins).toHaveLength(1);
    expect(unjoinedTables(d)).toEqual(['products', 'stores']);
  });
});

describe('roles', () => {
  it('a key role belongs to one column; other roles may repeat', () => {
    let d = setRole(draft(), c('products', 'code'), 'product_id');
    expect(d.columns!.filter((x) => x.role === 'product_id').map((x) => x.table)).toEqual(['products']);
    d = setRole(d, c('products', 'description'), 'category');
    d = setRole(d, c('lines', 'country'), 'category');
    expect(d.columns!.filter((x) => x.role === 'category')).toHaveLength(2);
  });

  it('suggestions fill roles not given yet with the best-scored column, once per role', () => {
    const d: Dataset = setRole(setPrimary({ ...emptyDataset(), name: 'x' }, lines), c('lines', 'cust'), 'customer_id');
    const s = (column: string, role: RoleSuggestion['role'], score: number): RoleSuggestion => ({ column: c('lines', column), role, score, confidence: 'high', reasons: [] });
    const { dataset, applied } = applyRoleSuggestions(d, [
      s('customer_id', 'customer_id', 90), // customer already given: skipped
      s('sku', 'product_id', 60),
      s('stock_code', 'product_id', 80),
      s('stock_code', 'category', 70), // stock_code already took product_id
      s('ts', 'timestamp', 50),
    ]);
    expect(applied.map((a) => `${a.column.column}:${a.role}`)).toEqual(['stock_code:product_id', 'ts:timestamp']);
    expect(dataset.columns).toEqual([
      { table: 'lines', column: 'cust', role: 'customer_id' },
      { table: 'lines', column: 'stock_code', role: 'product_id' },
      { table: 'lines', column: 'ts', role: 'timestamp' },
    ]);
  });
});

describe('filters', () => {
  it('a column used by one row filter cannot be chosen for another', () => {
    let d = addFilter(draft(), 'date');
    expect(d.filters![0]).toEqual({ kind: 'date', column: c('lines', 'invoice_ts'), last_days: 180 });
    d = addFilter(d, 'numeric');
    // the date filter took invoice_ts: the second filter cannot choose it
    expect(filterColumnChoices(d, 1).map((x) => x.column)).not.toContain('invoice_ts');
    expect(filterColumnChoices(d, 0).map((x) => x.column)).toContain('invoice_ts');
    const refused = updateFilter(d, 1, { kind: 'numeric', column: c('lines', 'invoice_ts'), op: 'gt', value: 1 });
    expect(refused).toBe(d);
    const ok = updateFilter(d, 1, { kind: 'numeric', column: c('lines', 'amount'), op: 'gt', value: 1 });
    expect(ok.filters![1].column).toEqual(c('lines', 'amount'));
    // top-share filters have no column: any number of them
    const top = addFilter(addFilter(ok, 'top_share'), 'top_share');
    expect(top.filters!.filter((f) => f.kind === 'top_share')).toHaveLength(2);
  });

  it('unselecting a column removes its filter', () => {
    const d = addFilter(draft(), 'date');
    expect(toggleColumn(d, c('lines', 'invoice_ts')).filters).toEqual([]);
  });

  it('the Pareto model leaves out the top-share filters of its entity only', () => {
    let d = addFilter(draft(), 'top_share'); // products 80%
    d = updateFilter(addFilter(d, 'top_share'), 1, { kind: 'top_share', entity: 'customer', percent: 50 });
    expect(paretoModel(d, 'product').filters).toEqual([{ kind: 'top_share', entity: 'customer', percent: 50 }]);
    const points = [
      { rank: 1, share: 0.5 },
      { rank: 2, share: 0.8 },
      { rank: 3, share: 0.95 },
      { rank: 4, share: 1 },
    ];
    // the entity that crosses the share is kept
    expect(paretoCut(points, 60)).toEqual({ rank: 2, share: 0.8 });
    expect(paretoCut(points, 80)).toEqual({ rank: 2, share: 0.8 });
    expect(paretoCut(points, 81)).toEqual({ rank: 3, share: 0.95 });
    expect(paretoCut([], 80)).toBeNull();
  });
});

describe('buildModel', () => {
  it('trims names and leaves out empty aliases, roles and lists', () => {
    let d = draft();
    d = { ...d, name: '  retail ', description: ' ', columns: [...d.columns!, { table: 'products', column: 'code', alias: ' ', role: '' }] };
    const m = buildModel(d);
    expect(m).toEqual({
      name: 'retail',
      primary_table: lines,
      secondary_tables: [products],
      columns: [
        { table: 'lines', column: 'customer_id', role: 'customer_id' },
        { table: 'lines', column: 'stock_code', role: 'product_id' },
        { table: 'lines', column: 'invoice_ts', role: 'timestamp' },
        { table: 'lines', column: 'amount', role: 'revenue' },
        { table: 'products', column: 'description' },
        { table: 'products', column: 'code' },
      ],
      split: { kind: 'time_holdout', holdout_days: 30 },
    });
    expect(Object.keys(m)).not.toContain('joins');
    expect(Object.keys(m)).not.toContain('filters');
  });

  it('maps an API error field to the step that edits it', () => {
    expect(stepOfField('name')).toBe(0);
    expect(stepOfField('secondary_tables[0]')).toBe(1);
    expect(stepOfField('columns[3]')).toBe(2);
    expect(stepOfField('joins[0].right')).toBe(2);
    expect(stepOfField('filters[1].percent')).toBe(3);
    expect(stepOfField('split.holdout_days')).toBe(3);
    expect(stepOfField(undefined)).toBeNull();
    expect(placeOfField('columns[3].alias')).toBe('columns[3]');
    expect(placeOfField('filters[1].percent')).toBe('filters[1]');
    expect(placeOfField('joins[0]')).toBe('joins[0]');
    expect(placeOfField('split.holdout_days')).toBe('split');
    expect(placeOfField('name')).toBe('name');
    // no place for these: shown above the buttons
    expect(placeOfField('columns')).toBeNull();
    expect(placeOfField('names')).toBeNull();
    expect(placeOfField(undefined)).toBeNull();
    expect(stepProblem({ ...draft(), name: ' ' }, 0)).toBe('Give the dataset a name.');
    expect(stepProblem(emptyDataset(), 1)).toBe('Choose the primary table.');
  });
});

describe('formatValue', () => {
  it('shows timestamps without the ISO T and zone, and other values as they are', () => {
    expect(formatValue('2011-12-09T12:50:00Z', 'TIMESTAMP')).toBe('2011-12-09 12:50:00');
    expect(formatValue('2011-12-09T12:50:00.5+00:00', 'DATETIME')).toBe('2011-12-09 12:50:00');
    expect(formatValue('2011-12-09T12:50:00Z', 'STRING')).toBe('2011-12-09T12:50:00Z');
    expect(formatValue(null, 'TIMESTAMP')).toBe('NULL');
    expect(formatValue(2.5, 'FLOAT64')).toBe('2.5');
  });
});

describe('version diff', () => {
  it('diffs two models line by line with sorted keys', () => {
    const a = modelText({ name: 'r', filters: [{ kind: 'date', last_days: 180 }] });
    const b = modelText({ filters: [{ last_days: 90, kind: 'date' }], name: 'r' });
    const d = diffLines(a, b);
    expect(d.filter((l) => l.op !== ' ')).toEqual([
      { op: '-', text: '      "last_days": 180' },
      { op: '+', text: '      "last_days": 90' },
    ]);
    expect(diffLines('x', 'x')).toEqual([{ op: ' ', text: 'x' }]);
    const long = diffLines(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n'), ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h'].join('\n'));
    expect(foldUnchanged(long, 1)).toEqual([
      { skip: 3 },
      { op: ' ', text: 'd' },
      { op: '-', text: 'e' },
      { op: '+', text: 'E' },
      { op: ' ', text: 'f' },
      { skip: 2 },
    ]);
    expect(diffLines('a\nb', 'b\nc')).toEqual([
      { op: '-', text: 'a' },
      { op: ' ', text: 'b' },
      { op: '+', text: 'c' },
    ]);
  });
});
