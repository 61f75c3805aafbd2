import { describe, expect, it } from 'vitest';
import { ApiClient } from './client';
import { keys, queries } from './queries';
import { run } from '../test/fixtures';
import { FAST_POLL_MS } from '../lib/polling';

const api = new ApiClient({ baseUrl: '/api', getToken: () => null, fetch: () => Promise.reject(new Error('no fetch in this test')) });

/** Whether `key` is under `prefix` (what invalidateQueries matches). */
const under = (key: readonly unknown[], prefix: readonly unknown[]) => prefix.every((p, i) => key[i] === p);

describe('query keys', () => {
  it('puts every query a write must refresh under the prefix that write invalidates', () => {
    const cases: [string, readonly unknown[], readonly unknown[]][] = [
      ['runs list', queries.runs(api).queryKey, keys.runs],
      ['runs summary', queries.runsSummary(api, 24).queryKey, keys.runs],
      ['one run', queries.run(api, 'rn_1').queryKey, keys.runs],
      ["a run's rejects", queries.rejects(api, 'rn_1').queryKey, keys.run('rn_1')],
      ["a run's log", queries.runLog(api, run({ id: 'rn_1' })).queryKey, keys.run('rn_1')],
      ['the ETL dashboard', queries.dashboard(api, 30).queryKey, keys.runs],
      ['jobs', queries.jobs(api).queryKey, keys.jobs],
      ['tables of a dataset', queries.tables(api, 'raw_data').queryKey, keys.tables],
      ['one table', queries.table(api, 'raw_data', 'orders').queryKey, keys.tableList('raw_data')],
      ['users', queries.users(api).queryKey, keys.users],
      ['connections', queries.connections(api).queryKey, keys.connections],
      ['one connection', queries.connection(api, 'cn_1').queryKey, keys.connections],
      ["a connection's schemas", queries.sourceSchemas(api, 'cn_1').queryKey, keys.connection('cn_1')],
      ["a connection's tables", queries.sourceTables(api, 'cn_1', 'public').queryKey, keys.connection('cn_1')],
      ['a source table', queries.sourceTable(api, 'cn_1', 'public', 'orders').queryKey, keys.connection('cn_1')],
      ["a connection's files", queries.sourceFiles(api, 'cn_1', '', '*.csv').queryKey, keys.connection('cn_1')],
    ];
    expect(cases.filter(([, key, prefix]) => !under(key, prefix)).map(([name]) => name)).toEqual([]);
  });

  it('keeps apart what must not be refreshed together', () => {
    expect(under(queries.run(api, 'rn_1').queryKey, keys.run('rn_2'))).toBe(false);
    expect(under(queries.sourceTables(api, 'cn_1', '').queryKey, keys.connection('cn_2'))).toBe(false);
    expect(under(queries.runsSummary(api, 24).queryKey, keys.run('summary'))).toBe(false);
    expect(queries.runsSummary(api, 24).queryKey).not.toEqual(queries.runsSummary(api, 1).queryKey);
    expect(queries.schedulePreview(api, { type: 'daily', time: '07:15' }).queryKey).not.toEqual(
      queries.schedulePreview(api, { type: 'daily', time: '07:30' }).queryKey,
    );
  });
});

describe('run log', () => {
  it('refreshes while the run is pending or running, and not once it has finished', () => {
    const interval = (status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled') =>
      queries.runLog(api, run({ id: 'rn_1', status })).refetchInterval;
    expect([interval('pending'), interval('running'), interval('completed'), interval('failed'), interval('cancelled')]).toEqual([
      FAST_POLL_MS,
      FAST_POLL_MS,
      false,
      false,
      false,
    ]);
  });

  it("keeps the run's lines on screen while the log at its new status loads, never another run's", () => {
    const placeholder = queries.runLog(api, run({ id: 'rn_1', status: 'completed' })).placeholderData as (prev: unknown) => unknown;
    const mine = { run_id: 'rn_1', lines: [], dropped: 0 };
    expect([placeholder(mine), placeholder({ ...mine, run_id: 'rn_2' }), placeholder(undefined)]).toEqual([mine, undefined, undefined]);
  });

  it('is fetched again when the run changes status (its last lines at the end)', () => {
    expect(queries.runLog(api, run({ id: 'rn_1', status: 'running' })).queryKey).not.toEqual(
      queries.runLog(api, run({ id: 'rn_1', status: 'completed' })).queryKey,
    );
  });
});
