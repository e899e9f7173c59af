import { fits, HostFollower, type HostState, parseHostList, pickHost } from '../src/db/host-list';
import { synchronousStandbyMissing } from '../src/db/synchronous-standby';

// The libpq host list follower (src/db/host-list.ts) as code: what a URL lists, which host libpq's
// rules pick, and how the follower moves when the host in use stops fitting. A real failover of
// PostgreSQL, through the server: test/failover.test.ts.

const primary: HostState = { standby: false, readOnly: false };
const standby: HostState = { standby: true, readOnly: true };

describe('parseHostList', () => {
  it('splits a libpq host list into one URL per host, keeping user, database and parameters', () => {
    const list = parseHostList(
      'postgresql://app:s3cret@db1:5432,db2:5433,[::1]:5434,db4/heroes?target_session_attrs=read-write&sslmode=disable',
    );
    expect(list.attrs).toBe('read-write');
    expect(list.hosts).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5433 },
      { host: '::1', port: 5434 },
      { host: 'db4', port: 5432 },
    ]);
    expect(list.urls).toEqual([
      'postgresql://app:s3cret@db1:5432/heroes?sslmode=disable',
      'postgresql://app:s3cret@db2:5433/heroes?sslmode=disable',
      'postgresql://app:s3cret@[::1]:5434/heroes?sslmode=disable',
      'postgresql://app:s3cret@db4:5432/heroes?sslmode=disable',
    ]);
    // Each one parses as a URL, which pg (pg-connection-string) and the schema engine need.
    for (const url of list.urls) expect(() => new URL(url)).not.toThrow();
  });

  it('reads a plain URL as a list of one, any session', () => {
    expect(parseHostList('postgres://postgres@127.0.0.1/postgres')).toEqual({
      hosts: [{ host: '127.0.0.1', port: 5432 }],
      attrs: 'any',
      urls: ['postgres://postgres@127.0.0.1:5432/postgres'],
    });
  });

  it('refuses a target_session_attrs libpq does not know', () => {
    expect(() => parseHostList('postgresql://h1,h2/db?target_session_attrs=master')).toThrow(/target_session_attrs/);
  });
});

describe('pickHost: libpq target_session_attrs', () => {
  it('read-write and primary take the first host that is a primary, skipping the unreachable (null)', () => {
    expect(pickHost('read-write', [null, standby, primary])).toBe(2);
    expect(pickHost('primary', [standby, primary, primary])).toBe(1);
    expect(pickHost('read-write', [standby, null])).toBeNull();
  });

  it('prefer-standby takes a standby, else any host that answers; standby takes only a standby', () => {
    expect(pickHost('prefer-standby', [primary, standby])).toBe(1);
    expect(pickHost('prefer-standby', [null, primary])).toBe(1);
    expect(pickHost('standby', [primary, null])).toBeNull();
    expect(pickHost('any', [null, standby])).toBe(1);
  });

  it('read-write refuses a primary whose sessions are read-only (default_transaction_read_only)', () => {
    expect(fits('read-write', { standby: false, readOnly: true })).toBe(false);
    expect(fits('primary', { standby: false, readOnly: true })).toBe(true);
  });
});

describe('HostFollower', () => {
  it('finds the primary at start, stays while it fits, and moves when it is lost and another is promoted', async () => {
    const states: Record<string, HostState | null> = { 'h1:1': primary, 'h2:2': standby };
    const asked: string[] = [];
    const follower = new HostFollower('postgresql://u@h1:1,h2:2/db?target_session_attrs=read-write', {
      intervalMs: 60_000,
      timeoutMs: 100,
      probe: async (url) => {
        const host = new URL(url).host;
        asked.push(host);
        const state = states[host];
        if (!state) throw new Error('ECONNREFUSED');
        return state;
      },
    });
    const moves: string[] = [];
    follower.on('move', (to: { host: string }) => moves.push(to.host));
    await follower.ready();
    expect(follower.url).toBe('postgresql://u@h1:1/db');
    // While the host in use fits, it alone is asked.
    asked.length = 0;
    await follower.check();
    expect(asked).toEqual(['h1:1']);

    // The primary is lost, the standby not yet promoted: nothing fits, the follower stays.
    states['h1:1'] = null;
    await follower.check();
    expect(follower.host).toEqual({ host: 'h1', port: 1 });
    expect(moves).toEqual([]);

    states['h2:2'] = primary;
    await follower.check();
    expect(follower.url).toBe('postgresql://u@h2:2/db');
    expect(moves).toEqual(['h2']);
    follower.stop();
  });

  it('leaves a demoted primary (in recovery again) for the new one', async () => {
    const states: Record<string, HostState> = { 'h1:1': primary, 'h2:2': standby };
    const follower = new HostFollower('postgresql://u@h1:1,h2:2/db?target_session_attrs=primary', {
      intervalMs: 60_000,
      timeoutMs: 100,
      probe: async (url) => states[new URL(url).host]!,
    });
    await follower.ready();
    states['h1:1'] = standby;
    states['h2:2'] = primary;
    await follower.check();
    expect(follower.host.host).toBe('h2');
    follower.stop();
  });
});

describe('synchronousStandbyMissing: what REQUIRE_SYNCHRONOUS_STANDBY refuses', () => {
  it('accepts a named synchronous standby with commits waiting for its flush', () => {
    expect(synchronousStandbyMissing({ names: '*', commit: 'on' })).toBeNull();
    expect(synchronousStandbyMissing({ names: 'FIRST 1 (s1, s2)', commit: 'remote_apply' })).toBeNull();
  });

  it('refuses no standby named, and commits that do not wait for it', () => {
    expect(synchronousStandbyMissing({ names: '', commit: 'on' })).toMatch(/synchronous_standby_names is empty/);
    for (const commit of ['off', 'local', 'remote_write']) {
      expect(synchronousStandbyMissing({ names: '*', commit })).toMatch(/synchronous_commit is/);
    }
  });
});
