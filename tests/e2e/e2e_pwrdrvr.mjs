// End-to-end: sessions written by a real express-session + @pwrdrvr/dynamodb-session-store
// app into dynalite (a local DynamoDB), administered by sessiondesk-cli with the
// dynamodb-pwrdrvr layout (id "session#<sid>", `sess` a DynamoDB Map with the user at
// `user_id` inside it, `expires` in epoch seconds, no index: per-user lookups scan),
// checked by asking the app whether each cookie is still logged in.
//
// Needs: SESSIONDESK_CLI=<path to the CLI> and tests/e2e/node_modules with dynalite,
// @pwrdrvr/dynamodb-session-store and @aws-sdk/client-dynamodb (npm ci --prefix tests/e2e).
// Any of them missing is a failure, never a skip.
//
// Run: SESSIONDESK_CLI=build/app/sessiondesk-cli node --test tests/e2e/e2e_pwrdrvr.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NPM_COMMAND = 'npm ci --prefix tests/e2e';
const REQUIRED_MODULES = [
  'dynalite',
  '@pwrdrvr/dynamodb-session-store',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  'express',
  'express-session',
];
const PROCESS_TIMEOUT_MS = 20_000;
const TABLE = 'sessions';
const REGION = 'eu-west-2';
const SCHEMA = 'dynamodb-pwrdrvr';
const PREFIX = 'session#';
// Outside the layout (no "session#" prefix) but shaped like a session of bob's, with an
// unexpired `expires`: the scans of logout-user, users and destroy-all must all skip it.
const OUTSIDE_ITEM = {
  id: { S: 'other:keep' },
  expires: { N: String(Math.floor(Date.now() / 1000) + 3600) },
  sess: { M: { user_id: { S: 'bob' }, note: { S: 'keep me' } } },
};
// Dummy credentials (dynalite checks none); no shared config or profile from the host.
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLEE2E',
  AWS_SECRET_ACCESS_KEY: 'e2e-secret-key-not-for-production',
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
};
const AWS_ENV_DROPPED = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function requireNodeModules() {
  for (const name of REQUIRED_MODULES) {
    const marker = path.join(HERE, 'node_modules', name, 'package.json');
    if (!existsSync(marker)) {
      throw new Error(`${name} is missing from ${path.join(HERE, 'node_modules')}; run from the repository root: ${NPM_COMMAND}`);
    }
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

function awsEnv(dir, extra = {}) {
  const env = { ...process.env };
  for (const name of AWS_ENV_DROPPED) delete env[name];
  return {
    ...env,
    ...AWS_ENV,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    ...extra,
  };
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

// dynalite in a child process (its CLI has no --host option, so through its API),
// in memory, on a port the kernel picks on 127.0.0.1 — no free-port race.
const DYNALITE_SCRIPT = `
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => console.log('DYNALITE ' + server.address().port));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
`;

async function startDynalite(dir) {
  const child = track(spawn(process.execPath, ['-e', DYNALITE_SCRIPT], { cwd: HERE, env: awsEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, port] = await waitForLine(child, /^DYNALITE (\d+)$/, 'dynalite');
  child.stdout.resume();
  return { child, port: Number(port), endpoint: `http://127.0.0.1:${port}` };
}

// The table as the store's README creates it: hash key `id` (S), nothing else, no index.
async function createTable(db) {
  const { CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  await db.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const { Table } = await db.send(new DescribeTableCommand({ TableName: TABLE }));
  assert.equal(Table.TableStatus, 'ACTIVE', `table ${TABLE} is ${Table.TableStatus}`);
  assert.equal(Table.GlobalSecondaryIndexes, undefined, `table ${TABLE} unexpectedly has an index`);
}

async function startApp(dir, endpoint) {
  const env = awsEnv(dir, {
    DYNAMODB_ENDPOINT: endpoint,
    DYNAMODB_TABLE: TABLE,
    PORT: '0',
    SESSION_SECRET: 'e2e-secret-not-for-production',
  });
  const child = track(spawn(process.execPath, [path.join(HERE, 'app_pwrdrvr.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
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

function runCli(cli, dir, endpoint, args) {
  const store = `dynamodb://${TABLE}?endpoint=${endpoint}&region=${REGION}`;
  const all = ['--store', store, '--schema', SCHEMA, ...args];
  const env = awsEnv(dir, { SESSIONDESK_AUDIT_LOG: path.join(dir, 'audit.log') });
  return new Promise((resolve, reject) => {
    const child = track(spawn(cli, all, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, command: `sessiondesk-cli ${all.map((a) => (/[?&#]/.test(a) ? `'${a}'` : a)).join(' ')}` });
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

describe('express-session + @pwrdrvr/dynamodb-session-store (dynalite) administered by sessiondesk-cli', () => {
  const state = { dir: null, dynalite: null, app: null, db: null, ddb: null, cli: null, sessions: {}, loggedOut: new Set() };
  const cli = (...args) => runCli(state.cli, state.dir, state.dynalite.endpoint, args);
  const all = () => Object.values(state.sessions).flat();
  const alive = (user) => state.sessions[user].filter((s) => !state.loggedOut.has(s));

  async function getItem(id) {
    const { GetItemCommand } = state.ddb;
    const { Item } = await state.db.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }));
    return Item;
  }

  async function allItems() {
    const { ScanCommand } = state.ddb;
    const items = [];
    let ExclusiveStartKey;
    do {
      const page = await state.db.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey }));
      items.push(...page.Items);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async function allIds() {
    return (await allItems()).map((item) => item.id.S).sort();
  }

  // ids of the items (any prefix) whose sess Map names `user` — what a scan finds.
  async function userIds(user) {
    return (await allItems())
      .filter((item) => item.sess?.M?.user_id?.S === user)
      .map((item) => item.id.S)
      .sort();
  }

  const sessionIds = (sessions) => sessions.map((s) => `${PREFIX}${s.sid}`).sort();

  // Marks `sessions` as logged out, then asserts GET /me for every session ever
  // created: 401 for the logged-out ones, 200 for the rest.
  async function expectLoggedOut(...sessions) {
    for (const s of sessions) state.loggedOut.add(s);
    const expected = all().map((s) => [s.user, s.sid, state.loggedOut.has(s) ? 401 : 200]);
    const actual = await Promise.all(all().map(async (s) => [s.user, s.sid, await meStatus(state.app.baseUrl, s)]));
    assert.deepEqual(actual, expected);
  }

  async function expectOutsideItemKept() {
    assert.deepEqual(await getItem(OUTSIDE_ITEM.id.S), OUTSIDE_ITEM, `${OUTSIDE_ITEM.id.S} changed or deleted`);
  }

  before(async () => {
    requireNodeModules();
    state.cli = requireCli();
    state.ddb = await import('@aws-sdk/client-dynamodb');
    state.dir = mkdtempSync(path.join(tmpdir(), 'sessiondesk-e2e-pwrdrvr-'));
    state.dynalite = await startDynalite(state.dir);
    state.db = new state.ddb.DynamoDBClient({
      endpoint: state.dynalite.endpoint,
      region: REGION,
      credentials: { accessKeyId: AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: AWS_ENV.AWS_SECRET_ACCESS_KEY },
    });
    await createTable(state.db);
    state.app = await startApp(state.dir, state.dynalite.endpoint);

    for (const [user, count] of [['alice', 3], ['bob', 2], ['carol', 1]]) {
      state.sessions[user] = [];
      for (let i = 0; i < count; i += 1) state.sessions[user].push(await login(state.app.baseUrl, user));
    }
    await state.db.send(new state.ddb.PutItemCommand({ TableName: TABLE, Item: OUTSIDE_ITEM }));
  });

  after(async () => {
    state.db?.destroy();
    await stop(state.app?.child);
    await stop(state.dynalite?.child);
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });

  it('starts with every session logged in, in the dynamodb-pwrdrvr layout', async () => {
    await expectLoggedOut();
    const expectedIds = [...sessionIds(all()), OUTSIDE_ITEM.id.S].sort();
    assert.deepEqual(await allIds(), expectedIds, 'items in the table');
    const now = Date.now() / 1000;
    for (const [user, sessions] of Object.entries(state.sessions)) {
      for (const s of sessions) {
        const id = `${PREFIX}${s.sid}`;
        const item = await getItem(id);
        assert.ok(item, `item ${id} missing`);
        assert.ok(item.sess?.M, `sess of ${id} is not a Map: ${JSON.stringify(item.sess)}`);
        assert.equal(item.sess.M.user_id?.S, user, `sess.user_id of ${id}`);
        assert.ok(item.sess.M.lastModified?.S, `sess.lastModified of ${id} missing`);
        assert.equal(item.user_id, undefined, `${id} has a top-level user_id`);
        const expires = Number(item.expires?.N);
        assert.ok(expires > now && expires <= now + 7201, `expires of ${id}: ${item.expires?.N}`);
      }
    }
  });

  it('info names the target TABLE@REGION', async () => {
    const run = await cli('info');
    assertExit(run, 0);
    assert.match(run.stdout, new RegExp(`\\b${TABLE}@${REGION}\\b`), `target not printed:\n${describeRun(run)}`);
  });

  it('revoke <cookie> logs out exactly that session', async () => {
    const victim = state.sessions.alice[0];
    assertExit(await cli('revoke', victim.cookie), 0);
    await expectLoggedOut(victim);
    assert.equal(await getItem(`${PREFIX}${victim.sid}`), undefined, 'session item still exists');
    assert.deepEqual(await userIds('alice'), sessionIds(alive('alice')), 'items of alice');
  });

  it('logout-user bob logs out both of his sessions only (by a scan)', async () => {
    // The CLI notes on stderr that it scans (no index in this layout): not checked.
    const run = await cli('logout-user', 'bob');
    assertExit(run, 0);
    await expectLoggedOut(...state.sessions.bob);
    assert.deepEqual(await userIds('bob'), [OUTSIDE_ITEM.id.S], `items naming bob:\n${describeRun(run)}`);
    await expectOutsideItemKept();
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
    const idsBefore = await allIds();
    const plain = await cli('destroy-all', '--dry-run');
    assertExit(plain, 0);
    assert.match(plain.stdout, /\b3\b/, `count 3 not printed:\n${describeRun(plain)}`);
    const run = await cli('--json', 'destroy-all', '--dry-run');
    assertExit(run, 0);
    const result = parseJson(run);
    assert.equal(result.dry_run, true, run.stdout);
    assert.equal(result.sessions, 3, run.stdout);
    assert.deepEqual(await allIds(), idsBefore);
    await expectLoggedOut();
  });

  it('destroy-all --confirm with the wrong target is refused', async () => {
    const idsBefore = await allIds();
    const run = await cli('destroy-all', '--confirm', 'wrong-target');
    assertExit(run, 4);
    assert.deepEqual(await allIds(), idsBefore);
    await expectLoggedOut();
  });

  it('--read-only revoke is refused', async () => {
    const carol = state.sessions.carol[0];
    const run = await cli('--read-only', 'revoke', carol.cookie);
    assertExit(run, 4);
    assert.ok(await getItem(`${PREFIX}${carol.sid}`), 'session item of carol was deleted');
    await expectLoggedOut();
  });

  it('destroy-all --confirm <target> logs everyone out and keeps items outside the layout', async () => {
    const run = await cli('destroy-all', '--confirm', `${TABLE}@${REGION}`);
    assertExit(run, 0);
    await expectLoggedOut(...all());
    assert.deepEqual(await allIds(), [OUTSIDE_ITEM.id.S], 'items left behind or outside item deleted');
    await expectOutsideItemKept();
  });
});
