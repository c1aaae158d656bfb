// End-to-end, for every framework app of tests/frameworks/: real logins through the framework,
// then sessiondesk-cli with its default layout ("auto": it must detect the framework):
//   - the sessions are listed under the right user with the TTL the framework set,
//   - `show <cookie as the browser got it>` finds the session and decodes it, secrets masked,
//   - `revoke <cookie>` makes the framework answer 401 for exactly that cookie,
//   - `logout-user` and `destroy-all` log out exactly who they should, and keys outside the
//     layout survive.
// Spring Session has no Debian package and so no app here: its sessions are written by this test
// exactly as shared/research/formats.md §2 describes (RedisIndexedSessionRepository: hashes of
// JDK-serialized values from tests/data/codecs/java/, shadow keys, per-minute expiry sets, the
// principal index), and the checks look at the keys Spring would look at.
//
// Each framework starts once (with its own redis-server). A missing framework, package, CLI or
// redis-server fails the test with a sentence naming it; nothing is skipped.
//
// Run: SESSIONDESK_CLI=build/app/sessiondesk-cli node --test tests/frameworks/e2e_frameworks.mjs
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { describeRun, assertExit, parseJson, requireCli, runProcess } from '../e2e/harness.mjs';
import { REPO_ROOT, RedisClient, USER_AGENTS, framework, startFramework, startRedis, stop } from './frameworks.mjs';

// The preset each app must be detected as.
const SCHEMAS = {
  express: 'connect-redis',
  rack: 'rack',
  rails: 'rails',
  php: 'phpredis',
  'php-serialize': 'phpredis',
  flask: 'flask-session',
  django: 'django-redis-sessions',
  'django-cache': 'django-cache',
};

// Frameworks whose cookie value is the session id itself.
const PLAIN_COOKIE = new Set(['php', 'php-serialize', 'django', 'django-cache']);

// Keys of no session layout, with values that must be intact after every destructive command.
const OUTSIDE_KEYS = {
  'other:keep': 'keep me',
  'cache:session:1': 'cached page',
  'PHPREDIS_SESSIONS_REPORT': 'report',
  'rack:cache:x': 'rack cache',
  ':1:django.contrib.cache.other': 'django cache',
};

// What SessionDesk shows as the user: the first scalar of the framework's user field
// (Devise's [[42], "salt"] is user "42").
function shownUser(value) {
  return Array.isArray(value) ? shownUser(value[0]) : String(value);
}

// The session id SessionDesk lists for a key: the key without the layout's prefix.
const PREFIXES = {
  'connect-redis': 'sess:',
  rack: 'rack:session:',
  rails: 'session:',
  phpredis: 'PHPREDIS_SESSION:',
  'flask-session': 'session:',
  'django-redis-sessions': '',
  'django-cache': ':1:django.contrib.sessions.cache',
  'spring-session-indexed': 'spring:session:sessions:',
};
const listedId = (schema, key) => key.slice(PREFIXES[schema].length);

// The express app also keeps a per-user index of its own (a SET per user); SessionDesk is told
// about it as an operator would be.
const EXTRA_ARGS = { express: ['--user-index', 'user-sessions:{user}'] };

function cliRunner(state, name) {
  return (...args) =>
    runProcess(state.cli, ['--store', state.redis.url, '--audit-log', state.auditLog, ...(EXTRA_ARGS[name] ?? []), ...args]);
}

async function outsidersIntact(redis) {
  for (const [key, value] of Object.entries(OUTSIDE_KEYS)) {
    const stored = await redis.command('GET', key);
    assert.equal(stored?.toString(), value, `the key ${key} outside the layout changed`);
  }
}

for (const name of Object.keys(SCHEMAS)) {
  const schema = SCHEMAS[name];
  describe(`${name}: sessions of the real framework administered by sessiondesk-cli`, () => {
    const state = { dir: null, redis: null, app: null, client: null, cli: null, auditLog: null, sessions: [], loggedOut: new Set() };
    const cli = cliRunner(state, name);
    const uid = (user) => shownUser(framework(name).userIdOf(user));

    // Marks `sessions` as logged out, then asks the framework about every session made.
    async function expectLoggedOut(...sessions) {
      for (const s of sessions) state.loggedOut.add(s);
      const expected = state.sessions.map((s) => [s.user, s.cookie, state.loggedOut.has(s) ? 401 : 200]);
      const actual = [];
      for (const s of state.sessions) actual.push([s.user, s.cookie, await state.app.meStatus(s)]);
      assert.deepEqual(actual, expected);
    }

    before(async () => {
      state.cli = requireCli();
      state.dir = mkdtempSync(path.join(tmpdir(), `sessiondesk-e2e-${name}-`));
      state.auditLog = path.join(state.dir, 'audit.log');
      state.redis = await startRedis(state.dir);
      state.app = await startFramework(name, { redisUrl: state.redis.url });
      state.client = await RedisClient.connect(state.redis.port);
      for (const [key, value] of Object.entries(OUTSIDE_KEYS)) await state.client.command('SET', key, value);
      const logins = [['alice', 0], ['bob', 1], ['alice', 2], ['carol', 3]];
      for (const [user, agent] of logins) state.sessions.push(await state.app.login(user, { userAgent: USER_AGENTS[agent] }));
    });

    after(async () => {
      state.client?.close();
      await state.app?.stop();
      await stop(state.redis?.child);
      if (state.dir) rmSync(state.dir, { recursive: true, force: true });
    });

    it(`detects ${schema} and lists each user's sessions with the framework's TTL`, async () => {
      const users = await cli('--json', 'users');
      assertExit(users, 0);
      assert.match(users.stderr, new RegExp(`^Layout ${schema} \\(detected from `, 'm'), describeRun(users));
      const counts = Object.fromEntries(parseJson(users).map((u) => [u.user, u.sessions]));
      assert.deepEqual(counts, { [uid('alice')]: 2, [uid('bob')]: 1, [uid('carol')]: 1 });

      const sessions = await cli('--json', 'sessions', '--user', uid('alice'));
      assertExit(sessions, 0);
      const listed = parseJson(sessions);
      const alice = state.sessions.filter((s) => s.user === 'alice');
      assert.deepEqual(listed.map((s) => s.id).sort(), alice.map((s) => listedId(schema, s.key)).sort());
      for (const row of listed) {
        const key = alice.find((s) => listedId(schema, s.key) === row.id).key;
        const ttl = Number(await state.client.command('TTL', key));
        if (ttl === -1) assert.equal(row.ttl_seconds, null, `${key} never expires`);
        else assert.ok(Math.abs(row.ttl_seconds - ttl) <= 2, `${key}: TTL ${row.ttl_seconds} s listed, ${ttl} s in Redis`);
        assert.equal(row.user, uid('alice'));
      }
    });

    it('show <cookie> finds the session and decodes it with secrets masked', async () => {
      const [alice, bob] = state.sessions;
      const shown = await cli('--json', 'show', alice.cookie);
      assertExit(shown, 0);
      const detail = parseJson(shown);
      assert.equal(detail.id, listedId(schema, alice.key));
      assert.equal(detail.user, uid('alice'));
      assert.equal(detail.masked, true);
      // A plain cookie (PHP, Django) is the session id itself, and is said to be one.
      assert.match(detail.matched, PLAIN_COOKIE.has(name) ? /^session id → session / : /^cookie .* → session /);
      assert.ok(detail.started_at, 'the login time is shown');
      assert.match(detail.device ?? '', /127\.0\.0\.1/);
      // Every app stores an OAuth-style token (a JWT) and a CSRF token: none may be printed.
      assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(shown.stdout), `a token is shown unmasked:\n${shown.stdout}`);
      assert.ok(shown.stdout.includes('••••••'), 'nothing is masked');

      // The whole Cookie header as a browser sends it, another cookie first.
      const header = `Cookie: _ga=GA1.2.3.4; ${framework(name).cookieName}=${bob.cookie}; theme=dark`;
      const byHeader = await cli('--json', 'show', header);
      assertExit(byHeader, 0);
      assert.equal(parseJson(byHeader).user, uid('bob'));
    });

    it('revoke <cookie> makes the framework log out exactly that session', async () => {
      const [alice1] = state.sessions;
      const revoked = await cli('revoke', alice1.cookie);
      assertExit(revoked, 0);
      assert.match(revoked.stdout, new RegExp(`→ session .*, user ${uid('alice')}`), describeRun(revoked));
      for (const key of [alice1.key, ...alice1.legacyKeys]) assert.equal(Number(await state.client.command('EXISTS', key)), 0, key);
      await expectLoggedOut(alice1);
      await outsidersIntact(state.client);
    });

    it('logout-user logs out exactly that user', async () => {
      const run = await cli('--json', 'logout-user', uid('alice'));
      assertExit(run, 0);
      assert.equal(parseJson(run).revoked.length, 1); // alice's second session
      await expectLoggedOut(...state.sessions.filter((s) => s.user === 'alice'));
      await outsidersIntact(state.client);
    });

    it('destroy-all logs everyone out and keeps the keys outside the layout', async () => {
      const info = parseJson(await cli('--json', 'info'));
      assert.equal(info.schema, schema);
      const run = await cli('--json', 'destroy-all', '--confirm', info.target);
      assertExit(run, 0);
      assert.ok(parseJson(run).destroyed >= 2, describeRun(run));
      // Looked at before the apps are asked again: PHP starts a new, empty session under an
      // unknown cookie id.
      const left = (await state.client.scanAll()).map((k) => k.toString()).sort();
      assert.deepEqual(left, Object.keys(OUTSIDE_KEYS).sort());
      await expectLoggedOut(...state.sessions);
      await outsidersIntact(state.client);
    });
  });
}

// --- Spring Session (no app: written as formats.md §2 describes) ----------------------------

const JAVA = path.join(REPO_ROOT, 'tests/data/codecs/java');
const javaFile = (file) => readFileSync(path.join(JAVA, file));
// java.lang.String as ObjectOutputStream writes it alone: magic, TC_STRING, u16 length, UTF-8.
function javaString(text) {
  const bytes = Buffer.from(text, 'utf8');
  const head = Buffer.from([0xac, 0xed, 0x00, 0x05, 0x74, bytes.length >> 8, bytes.length & 0xff]);
  return Buffer.concat([head, bytes]);
}
// The recorded java.lang.Long with another value (its last 8 bytes).
function javaLong(value) {
  const bytes = Buffer.from(javaFile('spring-lastAccessedTime.ser'));
  bytes.writeBigInt64BE(BigInt(value), bytes.length - 8);
  return bytes;
}
const PRINCIPAL_ATTRIBUTE = 'sessionAttr:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME';
const PRINCIPAL_INDEX = 'spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:';

describe('Spring Session (RedisIndexedSessionRepository, written as formats.md §2 describes)', () => {
  const state = { dir: null, redis: null, client: null, cli: null, auditLog: null, sessions: [] };
  const cli = cliRunner(state);
  const timeout = 1800;
  const lastAccess = Date.now() - 30_000;
  const bucket = `spring:session:expirations:${(Math.floor((lastAccess + timeout * 1000) / 60000) + 1) * 60000}`;
  const keysOf = (s) => ({ hash: `spring:session:sessions:${s.id}`, shadow: `spring:session:sessions:expires:${s.id}` });
  const exists = async (key) => Number(await state.client.command('EXISTS', key)) === 1;
  const members = async (key) => (await state.client.command('SMEMBERS', key)).map((m) => m.toString()).sort();

  before(async () => {
    state.cli = requireCli();
    state.dir = mkdtempSync(path.join(tmpdir(), 'sessiondesk-e2e-spring-'));
    state.auditLog = path.join(state.dir, 'audit.log');
    state.redis = await startRedis(state.dir);
    state.client = await RedisClient.connect(state.redis.port);
    for (const [key, value] of Object.entries(OUTSIDE_KEYS)) await state.client.command('SET', key, value);
    const users = ['alice@example.com', 'bob@example.com', 'alice@example.com'];
    for (const [i, user] of users.entries()) {
      const id = `7c1d0a52-0000-4000-8000-00000000000${i}`;
      const { hash, shadow } = keysOf({ id });
      const fields = [
        'creationTime', javaLong(lastAccess - 600_000), 'lastAccessedTime', javaLong(lastAccess),
        'maxInactiveInterval', javaFile('spring-maxInactiveInterval.ser'), 'sessionAttr:_csrf', javaFile('spring-csrf.ser'),
        PRINCIPAL_ATTRIBUTE, javaString(user),
      ];
      if (i === 0) fields.push('sessionAttr:SPRING_SECURITY_CONTEXT', javaFile('spring-security-context.ser'));
      await state.client.command('HSET', hash, ...fields);
      await state.client.command('EXPIRE', hash, String(timeout + 300));
      await state.client.command('SET', shadow, '', 'EX', String(timeout));
      await state.client.command('SADD', bucket, `expires:${id}`);
      await state.client.command('EXPIRE', bucket, String(timeout + 300));
      await state.client.command('SADD', PRINCIPAL_INDEX + user, id);
      // The SESSION cookie: base64 of the id (DefaultCookieSerializer.useBase64Encoding).
      state.sessions.push({ user, id, cookie: Buffer.from(id).toString('base64') });
    }
  });

  after(async () => {
    state.client?.close();
    await stop(state.redis?.child);
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });

  it('is detected, listed by principal with the shadow key TTL, and shown by its SESSION cookie', async () => {
    const users = await cli('--json', 'users');
    assertExit(users, 0);
    assert.match(users.stderr, /^Layout spring-session-indexed \(detected from /m);
    assert.deepEqual(parseJson(users), [{ user: 'alice@example.com', sessions: 2 }, { user: 'bob@example.com', sessions: 1 }]);
    const sessions = parseJson(await cli('--json', 'sessions', '--user', 'alice@example.com'));
    assert.equal(sessions.length, 2);
    for (const row of sessions) assert.ok(row.ttl_seconds <= timeout && row.ttl_seconds > timeout - 60, `TTL ${row.ttl_seconds}`);
    const shown = await cli('--json', 'show', `SESSION=${state.sessions[0].cookie}`);
    assertExit(shown, 0);
    const detail = parseJson(shown);
    assert.equal(detail.id, state.sessions[0].id);
    assert.equal(detail.user, 'alice@example.com');
    assert.equal(detail.started_at, new Date(lastAccess - 600_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    assert.ok(!shown.stdout.includes('secrethash'), 'the principal\'s password hash is shown');
  });

  it('revoke <cookie> removes the index entry, the expiry entry, the shadow key and the hash', async () => {
    const [first, , third] = state.sessions;
    const run = await cli('revoke', first.cookie);
    assertExit(run, 0);
    assert.ok(!(await exists(keysOf(first).hash)));
    assert.ok(!(await exists(keysOf(first).shadow)));
    assert.deepEqual(await members(PRINCIPAL_INDEX + first.user), [third.id]);
    assert.ok(!(await members(bucket)).includes(`expires:${first.id}`));
    assert.ok(await exists(keysOf(third).hash));
    assert.ok(await exists(keysOf(third).shadow));
  });

  it('logout-user and destroy-all remove exactly the layout\'s keys', async () => {
    const bob = state.sessions[1];
    assertExit(await cli('logout-user', 'bob@example.com'), 0);
    assert.ok(!(await exists(keysOf(bob).hash)));
    assert.ok(!(await exists(PRINCIPAL_INDEX + bob.user)));
    assert.ok(await exists(keysOf(state.sessions[2]).hash));
    const info = parseJson(await cli('--json', 'info'));
    assertExit(await cli('destroy-all', '--confirm', info.target), 0);
    const left = (await state.client.scanAll()).map((k) => k.toString()).sort();
    assert.deepEqual(left, Object.keys(OUTSIDE_KEYS).sort());
    await outsidersIntact(state.client);
  });
});
