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
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NPM_COMMAND = 'npm ci --prefix tests/e2e';
const USER_INDEX = 'user-sessions:{user}';
const PROCESS_TIMEOUT_MS = 20_000;
const OUTSIDE_KEYS = { 'other:keep': 'keep me', sessx: 'not a session', 'cache:sess:1': 'cached' };

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function requireNodeModules() {
  const marker = path.join(HERE, 'node_modules', 'connect-redis', 'package.json');
  if (!existsSync(marker)) {
    throw new Error(`${path.join(HERE, 'node_modules')} is missing; run from the repository root: ${NPM_COMMAND}`);
  }
}

function requireCli() {
  const cli = process.env.SESSIONDESK_CLI;
  if (!cli) throw new Error('SESSIONDESK_CLI is not set; point it at the built sessiondesk-cli binary');
  try {
    accessSync(cli, constants.X_OK);
  } catch {
    throw new Error(`SESSIONDESK_CLI=${cli} is not an executable file; build the project first`);
  }
  return cli;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// Resolves with the first stdout line matching `pattern`; rejects if the process
// fails to start, exits first, or stays silent for PROCESS_TIMEOUT_MS.
function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    const output = [];
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => finish(new Error(`${what} not ready after ${PROCESS_TIMEOUT_MS} ms:\n${tail()}`)), PROCESS_TIMEOUT_MS);
    const tail = () => output.slice(-15).join('\n');
    const onError = (err) => finish(new Error(`${what} could not be started: ${err.message}`));
    const onExit = (code, signal) => finish(new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready:\n${tail()}`));
    const finish = (err, value) => {
      clearTimeout(timer);
      child.off('error', onError);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      if (err) reject(err);
      else resolve(value);
    };
    child.stderr.on('data', (chunk) => output.push(String(chunk).trimEnd()));
    child.once('error', onError);
    child.once('exit', onExit);
    lines.on('line', (line) => {
      output.push(line);
      const match = line.match(pattern);
      if (match) finish(null, match);
    });
  });
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

async function startApp(redisPort) {
  const env = {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: '0',
    SESSION_SECRET: 'e2e-secret-not-for-production',
  };
  const child = track(spawn(process.execPath, [path.join(HERE, 'app.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, port] = await waitForLine(child, /^LISTENING (\d+)$/, 'express app');
  child.stdout.resume();
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function runCli(cli, redisPort, args) {
  const all = ['--store', `redis://127.0.0.1:${redisPort}`, '--user-index', USER_INDEX, ...args];
  return new Promise((resolve, reject) => {
    const child = track(spawn(cli, all, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, command: `sessiondesk-cli ${all.join(' ')}` });
    });
  });
}

function describeRun(run) {
  return `${run.command}\nexit ${run.code}${run.signal ? ` (signal ${run.signal})` : ''}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

function assertExit(run, expected) {
  assert.equal(run.code, expected, `expected exit ${expected}:\n${describeRun(run)}`);
}

function parseJson(run) {
  try {
    return JSON.parse(run.stdout);
  } catch (err) {
    assert.fail(`stdout is not JSON (${err.message}):\n${describeRun(run)}`);
  }
}

// expires_at as ISO-8601 text or epoch seconds/milliseconds.
function epochMs(value) {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  return Date.parse(value);
}

// Cookie value as the browser sends it, e.g. "s%3A<sid>.<signature>".
function cookieValue(response) {
  const header = response.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  assert.ok(header, `no connect.sid cookie in the login response (status ${response.status})`);
  return header.slice('connect.sid='.length).split(';')[0];
}

function sessionIdOf(cookie) {
  const match = decodeURIComponent(cookie).match(/^s:([^.]+)\./);
  assert.ok(match, `unexpected cookie format: ${cookie}`);
  return match[1];
}

async function login(baseUrl, user) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  assert.equal(response.status, 200, `login of ${user} failed: ${await response.text()}`);
  const cookie = cookieValue(response);
  return { user, cookie, sid: sessionIdOf(cookie) };
}

async function meStatus(baseUrl, session) {
  const response = await fetch(`${baseUrl}/me`, { headers: { cookie: `connect.sid=${session.cookie}` } });
  const body = await response.json();
  if (response.status === 200) assert.equal(body.user_id, session.user, 'GET /me answered for the wrong user');
  return response.status;
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
