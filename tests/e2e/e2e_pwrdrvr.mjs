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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  assertExit, describeRun, awsEnv as harnessAwsEnv, epochMs, login, meStatus, parseJson, requireCli, requireModules,
  runProcess, startApp as startExpressApp, startDynalite as harnessStartDynalite, stop,
} from './harness.mjs';
const REQUIRED_MODULES = [
  'dynalite',
  '@pwrdrvr/dynamodb-session-store',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  'express',
  'express-session',
];
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
function requireNodeModules() {
  requireModules(REQUIRED_MODULES);
}

function awsEnv(dir, extra = {}) {
  return harnessAwsEnv(dir, REGION, extra);
}

function startDynalite(dir) {
  return harnessStartDynalite(awsEnv(dir));
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

function startApp(dir, endpoint) {
  return startExpressApp('app_pwrdrvr.mjs', awsEnv(dir, {
    DYNAMODB_ENDPOINT: endpoint,
    DYNAMODB_TABLE: TABLE,
    PORT: '0',
    SESSION_SECRET: 'e2e-secret-not-for-production',
  }));
}

function runCli(cli, dir, endpoint, args) {
  const store = `dynamodb://${TABLE}?endpoint=${endpoint}&region=${REGION}`;
  const env = awsEnv(dir, { SESSIONDESK_AUDIT_LOG: path.join(dir, 'audit.log') });
  return runProcess(cli, ['--store', store, '--schema', SCHEMA, ...args], env);
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
      credentials: { accessKeyId: awsEnv(state.dir).AWS_ACCESS_KEY_ID, secretAccessKey: awsEnv(state.dir).AWS_SECRET_ACCESS_KEY },
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
