// End-to-end: sessions written by a real express-session + connect-redis app,
// administered by sessiondesk-cli, checked by asking the app whether each cookie
// is still logged in.
//
// Needs: redis-server on PATH (or REDIS_SERVER), SESSIONDESK_CLI=<path to the CLI>,
// and tests/e2e/node_modules (npm ci --prefix tests/e2e). Any of them missing is a
// failure, never a skip.
//
// Run: SESSIONDESK_CLI=build/app/sessiondesk-cli node --test tests/e2e/e2e_express.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  assertExit, describeRun, epochMs, freePort, login, meStatus, parseJson, requireCli, requireModules, runProcess,
  startApp as startExpressApp, stop, track, waitForLine,
} from './harness.mjs';
const USER_INDEX = 'user-sessions:{user}';
const OUTSIDE_KEYS = { 'other:keep': 'keep me', sessx: 'not a session', 'cache:sess:1': 'cached' };

function requireNodeModules() {
  requireModules(['connect-redis', 'express-session', 'redis']);
}

async function startRedis(dir) {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  let lastError;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const child = track(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitForLine(child, /Ready to accept connections/, `redis-server (${binary}) on port ${port}`);
      child.stdout.resume();
      return { child, port };
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      if (/could not be started/.test(err.message)) break; // not on PATH: retrying cannot help
    }
  }
  throw lastError;
}

function startApp(redisPort) {
  return startExpressApp('app.mjs', {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: '0',
    SESSION_SECRET: 'e2e-secret-not-for-production',
  });
}

function runCli(cli, redisPort, args) {
  return runProcess(cli, ['--store', `redis://127.0.0.1:${redisPort}`, '--user-index', USER_INDEX, ...args]);
}

describe('express-session + connect-redis administered by sessiondesk-cli', () => {
  const state = { dir: null, redis: null, app: null, db: null, cli: null, sessions: {}, loggedOut: new Set() };
  const cli = (...args) => runCli(state.cli, state.redis.port, args);
  const all = () => Object.values(state.sessions).flat();
  const alive = (user) => state.sessions[user].filter((s) => !state.loggedOut.has(s));

  // Marks `sessions` as logged out, then asserts GET /me for every session ever
  // created: 401 for the logged-out ones, 200 for the rest.
  async function expectLoggedOut(...sessions) {
    for (const s of sessions) state.loggedOut.add(s);
    const expected = all().map((s) => [s.user, s.sid, state.loggedOut.has(s) ? 401 : 200]);
    const actual = await Promise.all(all().map(async (s) => [s.user, s.sid, await meStatus(state.app.baseUrl, s)]));
    assert.deepEqual(actual, expected);
  }

  before(async () => {
    requireNodeModules();
    state.cli = requireCli();
    const { createClient } = await import('redis');
    state.dir = mkdtempSync(path.join(tmpdir(), 'sessiondesk-e2e-'));
    state.redis = await startRedis(state.dir);
    state.app = await startApp(state.redis.port);
    state.db = createClient({ url: `redis://127.0.0.1:${state.redis.port}` });
    await state.db.connect();

    for (const [user, count] of [['alice', 3], ['bob', 2], ['carol', 1]]) {
      state.sessions[user] = [];
      for (let i = 0; i < count; i += 1) state.sessions[user].push(await login(state.app.baseUrl, user));
    }
    for (const [key, value] of Object.entries(OUTSIDE_KEYS)) await state.db.set(key, value);
  });

  after(async () => {
    await state.db?.close().catch(() => {});
    await stop(state.app?.child);
    await stop(state.redis?.child);
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });

  it('starts with every session logged in and indexed', async () => {
    await expectLoggedOut();
    for (const [user, sessions] of Object.entries(state.sessions)) {
      const members = (await state.db.sMembers(`user-sessions:${user}`)).sort();
      assert.deepEqual(members, sessions.map((s) => s.sid).sort(), `index of ${user}`);
      for (const s of sessions) assert.ok((await state.db.ttl(`sess:${s.sid}`)) > 0, `sess:${s.sid} has a TTL`);
    }
  });

  it('revoke <cookie> logs out exactly that session and drops it from the index', async () => {
    const victim = state.sessions.alice[0];
    assertExit(await cli('revoke', victim.cookie), 0);
    await expectLoggedOut(victim);
    assert.equal(await state.db.exists(`sess:${victim.sid}`), 0, 'session key still exists');
    const members = await state.db.sMembers('user-sessions:alice');
    assert.ok(!members.includes(victim.sid), `index still lists ${victim.sid}: ${members}`);
    assert.deepEqual(members.sort(), alive('alice').map((s) => s.sid).sort(), 'index of alice');
  });

  it('logout-user bob logs out both of his sessions only', async () => {
    assertExit(await cli('logout-user', 'bob'), 0);
    await expectLoggedOut(...state.sessions.bob);
    assert.equal(await state.db.exists('user-sessions:bob'), 0, 'index of bob still has members');
  });

  it('--json sessions --user alice lists her two remaining sessions', async () => {
    const run = await cli('--json', 'sessions', '--user', 'alice');
    assertExit(run, 0);
    const rows = parseJson(run);
    assert.ok(Array.isArray(rows), `expected an array:\n${run.stdout}`);
    assert.equal(rows.length, 2, `expected 2 sessions:\n${run.stdout}`);
    assert.deepEqual(rows.map((r) => r.id).sort(), alive('alice').map((s) => s.sid).sort());
    for (const row of rows) {
      for (const field of ['id', 'user', 'ttl_seconds', 'expires_at', 'size_bytes']) {
        assert.ok(field in row, `field ${field} missing in ${JSON.stringify(row)}`);
      }
      assert.equal(row.user, 'alice');
      assert.ok(row.ttl_seconds > 0 && row.ttl_seconds <= 7200, `ttl_seconds ${row.ttl_seconds}`);
      assert.ok(row.size_bytes > 100, `size_bytes ${row.size_bytes}`);
      const expiresMs = epochMs(row.expires_at);
      assert.ok(expiresMs > Date.now() && expiresMs <= Date.now() + 7201_000, `expires_at ${row.expires_at}`);
    }
  });

  it('--json users counts alice 2, carol 1 and no bob', async () => {
    const run = await cli('--json', 'users');
    assertExit(run, 0);
    const rows = parseJson(run);
    assert.ok(Array.isArray(rows), `expected an array:\n${run.stdout}`);
    const counts = Object.fromEntries(rows.map((r) => [r.user, r.sessions]));
    assert.equal(counts.alice, 2, run.stdout);
    assert.equal(counts.carol, 1, run.stdout);
    assert.ok(!('bob' in counts), `bob still listed:\n${run.stdout}`);
  });

  it('destroy-all --dry-run counts without deleting', async () => {
    const plain = await cli('destroy-all', '--dry-run');
    assertExit(plain, 0);
    assert.match(plain.stdout, /\b3\b/, `count 3 not printed:\n${describeRun(plain)}`);
    const run = await cli('--json', 'destroy-all', '--dry-run');
    assertExit(run, 0);
    const result = parseJson(run);
    assert.equal(result.dry_run, true, run.stdout);
    assert.equal(result.sessions, 3, run.stdout);
    await expectLoggedOut();
  });

  it('destroy-all --confirm with the wrong target is refused', async () => {
    const keysBefore = (await state.db.keys('*')).sort();
    const run = await cli('destroy-all', '--confirm', 'wrong-target');
    assertExit(run, 4);
    assert.deepEqual((await state.db.keys('*')).sort(), keysBefore);
    await expectLoggedOut();
  });

  it('--read-only revoke is refused', async () => {
    const run = await cli('--read-only', 'revoke', state.sessions.carol[0].cookie);
    assertExit(run, 4);
    await expectLoggedOut();
  });

  it('destroy-all --confirm <target> logs everyone out and keeps keys outside the layout', async () => {
    const run = await cli('destroy-all', '--confirm', `127.0.0.1:${state.redis.port}/0`);
    assertExit(run, 0);
    await expectLoggedOut(...all());
    assert.deepEqual(await state.db.keys('sess:*'), [], 'session keys left behind');
    for (const [key, value] of Object.entries(OUTSIDE_KEYS)) {
      assert.equal(await state.db.get(key), value, `${key} changed or deleted`);
    }
  });
});
