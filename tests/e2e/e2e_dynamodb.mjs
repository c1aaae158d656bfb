// End-to-end: sessions written by a real express-session + connect-dynamodb app into
// dynalite (a local DynamoDB), administered by sessiondesk-cli with the dynamodb-gds
// layout (id "sess:<sid>", JSON `sess`, `expires`, top-level `user_id`, GSI
// users-sessions), checked by asking the app whether each cookie is still logged in.
//
// Needs: SESSIONDESK_CLI=<path to the CLI> and tests/e2e/node_modules with dynalite,
// connect-dynamodb and @aws-sdk/client-dynamodb (npm ci --prefix tests/e2e). Any of
// them missing is a failure, never a skip.
//
// Run: SESSIONDESK_CLI=build/app/sessiondesk-cli node --test tests/e2e/e2e_dynamodb.mjs

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  assertExit, describeRun, awsEnv as harnessAwsEnv, epochMs, login, meStatus, parseJson, requireCli, requireModules,
  runProcess, startApp as startExpressApp, startDynalite as harnessStartDynalite, stop,
} from './harness.mjs';
const REQUIRED_MODULES = ['dynalite', 'connect-dynamodb', '@aws-sdk/client-dynamodb', 'express-session'];
const TABLE = 'sessions';
const REGION = 'eu-west-2';
const GSI = 'users-sessions';
const SCHEMA = 'dynamodb-gds';
// Outside the layout (no "sess:" prefix). It carries bob's user_id, so the GSI returns
// it for bob too: neither logout-user nor destroy-all may touch it.
const OUTSIDE_ITEM = { id: { S: 'other:keep' }, user_id: { S: 'bob' }, note: { S: 'keep me' } };
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

async function createTable(db) {
  const { CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  await db.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'user_id', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: GSI,
          KeySchema: [{ AttributeName: 'user_id', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  const { Table } = await db.send(new DescribeTableCommand({ TableName: TABLE }));
  assert.equal(Table.TableStatus, 'ACTIVE', `table ${TABLE} is ${Table.TableStatus}`);
  assert.equal(Table.GlobalSecondaryIndexes?.[0]?.IndexStatus, 'ACTIVE', `GSI ${GSI} is not ACTIVE`);
}

function startApp(dir, endpoint) {
  return startExpressApp('app_dynamodb.mjs', awsEnv(dir, {
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

describe('express-session + connect-dynamodb (dynalite) administered by sessiondesk-cli', () => {
  const state = { dir: null, dynalite: null, app: null, db: null, ddb: null, cli: null, sessions: {}, loggedOut: new Set() };
  const cli = (...args) => runCli(state.cli, state.dir, state.dynalite.endpoint, args);
  const all = () => Object.values(state.sessions).flat();
  const alive = (user) => state.sessions[user].filter((s) => !state.loggedOut.has(s));

  async function getItem(id) {
    const { GetItemCommand } = state.ddb;
    const { Item } = await state.db.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }));
    return Item;
  }

  async function allIds() {
    const { ScanCommand } = state.ddb;
    const ids = [];
    let ExclusiveStartKey;
    do {
      const page = await state.db.send(new ScanCommand({ TableName: TABLE, ProjectionExpression: 'id', ConsistentRead: true, ExclusiveStartKey }));
      ids.push(...page.Items.map((item) => item.id.S));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return ids.sort();
  }

  // ids the GSI lists for `user`.
  async function indexIds(user) {
    const { QueryCommand } = state.ddb;
    const ids = [];
    let ExclusiveStartKey;
    do {
      const page = await state.db.send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: GSI,
          KeyConditionExpression: 'user_id = :u',
          ExpressionAttributeValues: { ':u': { S: user } },
          ExclusiveStartKey,
        }),
      );
      ids.push(...page.Items.map((item) => item.id.S));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return ids.sort();
  }

  const sessionIds = (sessions) => sessions.map((s) => `sess:${s.sid}`).sort();

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
    state.dir = mkdtempSync(path.join(tmpdir(), 'sessiondesk-e2e-dynamodb-'));
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

  it('starts with every session logged in, in the dynamodb-gds layout', async () => {
    await expectLoggedOut();
    const now = Date.now() / 1000;
    for (const [user, sessions] of Object.entries(state.sessions)) {
      const expected = sessionIds(sessions);
      if (user === 'bob') expected.push(OUTSIDE_ITEM.id.S);
      assert.deepEqual(await indexIds(user), expected.sort(), `GSI ${GSI} for ${user}`);
      for (const s of sessions) {
        const item = await getItem(`sess:${s.sid}`);
        assert.ok(item, `item sess:${s.sid} missing`);
        assert.equal(item.user_id?.S, user, `top-level user_id of sess:${s.sid}`);
        assert.equal(JSON.parse(item.sess.S).user_id, user, `sess JSON of sess:${s.sid}`);
        const expires = Number(item.expires?.N);
        assert.ok(expires > now && expires <= now + 7201, `expires of sess:${s.sid}: ${item.expires?.N}`);
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
    assert.equal(await getItem(`sess:${victim.sid}`), undefined, 'session item still exists');
    assert.deepEqual(await indexIds('alice'), sessionIds(alive('alice')), `GSI ${GSI} for alice`);
  });

  it('logout-user bob logs out both of his sessions only', async () => {
    assertExit(await cli('logout-user', 'bob'), 0);
    await expectLoggedOut(...state.sessions.bob);
    assert.deepEqual(await indexIds('bob'), [OUTSIDE_ITEM.id.S], `GSI ${GSI} for bob`);
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
    assert.ok(await getItem(`sess:${carol.sid}`), 'session item of carol was deleted');
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
