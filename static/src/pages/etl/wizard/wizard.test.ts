import { describe, expect, it } from 'vitest';
import type { DestinationColumn } from '../../../api/jobWizard';
import { globMatch } from '../JobSourceStep';
import { withOverride } from './DestinationStep';
import { stepOfField } from './JobWizard';

describe('globMatch', () => {
  it.each([
    ['orders_*.csv', 'orders_1.csv', true],
    ['orders_*.csv', 'orders_.csv', true],
    ['orders_*.csv', 'orders_1.csv.gz', false],
    ['orders_?.csv', 'orders_12.csv', false],
    ['*.csv', 'sub/a.csv', false],
    ['a+b(1).csv', 'a+b(1).csv', true],
    ['[ab].csv', 'b.csv', true],
    ['', 'anything', true],
  ])('%s on %s: %s', (pattern, name, want) => {
    expect(globMatch(pattern, name)).toBe(want);
  });
});

const COL: DestinationColumn = {
  source: 'Order ID',
  name: 'order_id',
  default_name: 'order_id',
  type: 'INT64',
  default_type: 'INT64',
  allowed_types: ['INT64', 'STRING'],
  mode: 'NULLABLE',
  lineage: false,
};

describe('withOverride', () => {
  it('keeps only what differs from the defaults, and drops an entry back at them', () => {
    const renamed = withOverride([], COL, { name: 'order_no' });
    expect(renamed).toEqual([{ source: 'Order ID', name: 'order_no' }]);
    const typed = withOverride(renamed, COL, { type: 'STRING' });
    expect(typed).toEqual([{ source: 'Order ID', name: 'order_no', type: 'STRING' }]);
    expect(withOverride(typed, COL, { name: 'order_id', type: 'INT64' })).toEqual([]);
  });
});

describe('stepOfField', () => {
  it.each([
    ['name', 0],
    ['file.connection_id', 0],
    ['database.connection_id', 0],
    ['file.pattern', 1],
    ['pattern', 1],
    ['database.table', 1],
    ['database.timestamp_column', 2],
    ['merge_keys', 2],
    ['dest.columns[2].type', 3],
    ['dest.lineage', 3],
    ['schedule.time', 4],
  ])('%s is on step %i', (field, step) => {
    expect(stepOfField(field)).toBe(step);
  });
});
