import { describe, expect, it } from 'vitest';
import type { DestinationColumn } from '../../../api/jobWizard';
import type { JobView } from '../../../api/types';
import { JOBS } from '../../../test/fixtures';
import { draftOf, jobPatchBody, newJobBody } from '../JobEditor';
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

describe('job bodies', () => {
  const db: JobView = {
    ...JOBS[0],
    id: 'jb_db',
    source_type: 'postgresql',
    file: { prefix: '', pattern: '' },
    database: { connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'updated_at' },
    load_mode: 'append',
    last_run: null,
    dest: { dataset: 'raw_data', table: 'orders' },
  };

  it('a snapshot has no watermark column, whatever was chosen before', () => {
    const d = { ...draftOf(db), loadMode: 'truncate' as const };
    expect(newJobBody(d).database).toEqual({ connection_id: 'cn_pg', schema: 'public', table: 'orders' });
  });

  it('patches the destination with the grid settings when they change, and nothing else', () => {
    const d = { ...draftOf(db), destColumns: [{ source: 'id', name: 'order_id' }], lineage: false, clusterBy: ['order_id'] };
    expect(jobPatchBody(db, d)).toEqual({
      dest: { dataset: 'raw_data', table: 'orders', columns: [{ source: 'id', name: 'order_id' }], lineage: false, cluster_by: ['order_id'] },
    });
    expect(jobPatchBody(db, draftOf(db))).toEqual({});
  });

  it('reads the grid settings of a saved job back', () => {
    const saved: JobView = { ...db, dest: { dataset: 'raw_data', table: 'orders', lineage: false, partition: { column: 'updated_at', granularity: 'day' }, cluster_by: ['id'] } };
    const d = draftOf(saved);
    expect([d.lineage, d.partition, d.clusterBy]).toEqual([false, 'updated_at', ['id']]);
    expect(jobPatchBody(saved, d)).toEqual({});
  });
});
