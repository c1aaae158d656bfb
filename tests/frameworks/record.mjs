#!/usr/bin/env node
// Records what real web frameworks write to Redis, as committed test fixtures.
//
//   node tests/frameworks/record.mjs [FRAMEWORK...]          writes tests/fixtures/sessions/<name>.json
//   node tests/frameworks/record.mjs --check [FRAMEWORK...]  records into a temporary directory and
//                                                            fails when the SHAPE differs from the
//                                                            committed fixture
//   --out DIR   write the recordings to DIR instead;   --list   print the framework names
//
// For each framework: a throwaway redis-server on a free 127.0.0.1 port, the framework's app
// (tests/frameworks/frameworks.mjs), logins of alice, bob, alice again and carol with different
// browsers, two anonymous requests (the login page, GET /me), then every key in Redis with its
// type, TTL and value, each session value also decoded by the framework's own language. The
// recording is then verified against the app itself: every login's cookie maps to a key that
// holds the user in the framework's user field, GET /me answers 200 for each login and 401
// without one, deleting the keys of one session (what a revoke does) logs out exactly that
// session, and the framework's own logout removes the session's key. Fixture format and shape rules: tests/frameworks/README.md.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  FRAMEWORK_NAMES, HERE, REPO_ROOT, RedisClient, USER_AGENTS, deleteSessionKeys, framework,
  frameworkVersions, requireFramework, startFramework, startRedis, stop,
} from './frameworks.mjs';

export const FIXTURE_DIR = path.join(REPO_ROOT, 'tests/fixtures/sessions');
export const FIXTURE_FORMAT = 1;
// Remaining TTLs are read right after the logins; a recording may take a few seconds longer.
export const TTL_TOLERANCE_MS = 15_000;
const PYTHON = process.env.SESSIONDESK_PYTHON ?? '/usr/bin/python3';

const LOGINS = [
  { label: 'alice#1', user: 'alice', userAgent: USER_AGENTS[0] },
  { label: 'bob#1', user: 'bob', userAgent: USER_AGENTS[1] },
  { label: 'alice#2', user: 'alice', userAgent: USER_AGENTS[2] },
  { label: 'carol#1', user: 'carol', userAgent: USER_AGENTS[3] },
];
const ANONYMOUS = [
  { label: 'anonymous GET /', path: '/' },
  { label: 'anonymous GET /me', path: '/me' },
];

// --- value classification and readable forms ---------------------------------------------------

// Printable ASCII as is, everything else as \xNN (and the backslash doubled).
export function readable(bytes) {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

// The value encoding as told by its first bytes (formats.md §9), with the variant a decoder
// cares about (pickle protocol, Marshal version).
export function classify(bytes) {
  if (bytes.length === 0) return { encoding: 'empty' };
  const text = bytes.toString('latin1');
  if (bytes[0] === 0x04 && bytes[1] === 0x08) return { encoding: 'marshal', variant: '4.8' };
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return { encoding: 'pickle', variant: `protocol ${bytes[1]}` };
  if (bytes.subarray(0, 4).equals(Buffer.from([0xac, 0xed, 0x00, 0x05]))) return { encoding: 'java' };
  if (/^[{[]/.test(text)) return { encoding: 'json' };
  if (/^a:\d+:\{/.test(text)) return { encoding: 'php_serialize' };
  if (/^\.?[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]+$/.test(text)) return { encoding: 'django-signed' };
  if (/^[^|;:{}"]+\|[aObisdNrR]/.test(text)) return { encoding: 'php' };
  if ((bytes[0] >= 0x80 && bytes[0] <= 0x8f) || bytes[0] === 0xde || bytes[0] === 0xdf) return { encoding: 'msgpack' };
  return { encoding: /^[\x20-\x7e\r\n\t]*$/.test(text) ? 'text' : 'binary' };
}

// The type name of a value in the neutral decoded form (README.md).
export function neutralType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return typeof value.$class === 'string' ? `$class:${value.$class}` : 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return typeof value;
}

// --- decoding with the framework's own language ------------------------------------------------

function decodeWith(encoding, values) {
  if (values.length === 0) return [];
  const input = JSON.stringify(values.map((v) => v.toString('base64')));
  const run = (command, args) => JSON.parse(execFileSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 << 20, stdio: 'pipe' }));
  switch (encoding) {
    case 'json':
      return values.map((v) => JSON.parse(v.toString('utf8')));
    case 'marshal':
      return run('ruby', [path.join(HERE, 'rack/decode.rb')]);
    case 'php':
    case 'php_serialize':
      return run('php', [path.join(HERE, 'php/decode.php'), encoding]);
    case 'pickle':
    case 'django-signed':
      return run(PYTHON, [path.join(HERE, 'decode.py'), encoding]);
    default:
      throw new Error(`no decoder for encoding ${encoding}`);
  }
}

// --- reading Redis ----------------------------------------------------------------------------

async function readKey(redis, key) {
  const type = (await redis.command('TYPE', key)).toString();
  const ttlMs = await redis.command('PTTL', key);
  const entry = { key: readable(key), key_base64: key.toString('base64'), type, ttl_ms: ttlMs };
  const b64 = (b) => b.toString('base64');
  switch (type) {
    case 'string': {
      const value = await redis.command('GET', key);
      Object.assign(entry, { value_base64: b64(value), value_readable: readable(value), ...classify(value) });
      entry.raw = value;
      break;
    }
    case 'hash': {
      const flat = await redis.command('HGETALL', key);
      const pairs = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push({ field_base64: b64(flat[i]), field: readable(flat[i]), value_base64: b64(flat[i + 1]), ...classify(flat[i + 1]) });
      entry.fields = pairs.sort((a, b) => a.field_base64.localeCompare(b.field_base64));
      break;
    }
    case 'set': {
      const members = (await redis.command('SMEMBERS', key)).sort(Buffer.compare);
      entry.members = members.map((m) => ({ member_base64: b64(m), member: readable(m) }));
      break;
    }
    case 'zset': {
      const flat = await redis.command('ZRANGE', key, '0', '-1', 'WITHSCORES');
      entry.members = [];
      for (let i = 0; i < flat.length; i += 2) entry.members.push({ member_base64: b64(flat[i]), member: readable(flat[i]), score: flat[i + 1].toString() });
      break;
    }
    case 'list': {
      const items = await redis.command('LRANGE', key, '0', '-1');
      entry.items = items.map((item) => ({ value_base64: b64(item), value_readable: readable(item), ...classify(item) }));
      break;
    }
    default:
      break;
  }
  return entry;
}

async function serverVersion(redis) {
  const info = (await redis.command('INFO', 'server')).toString();
  return info.match(/^redis_version:(\S+)/m)?.[1] ?? 'unknown';
}

// --- one recording ------------------------------------------------------------------------------

export async function record(name) {
  const spec = framework(name);
  requireFramework(name);
  const dir = mkdtempSync(path.join(tmpdir(), `sessiondesk-record-${name}-`));
  const state = { redisServer: null, app: null, redis: null };
  try {
    state.redisServer = await startRedis(dir);
    state.app = await startFramework(name, { redisUrl: state.redisServer.url });
    state.redis = await RedisClient.connect(state.redisServer.port);
    const { app, redis } = state;

    const sessions = [];
    for (const login of LOGINS) {
      sessions.push({ label: login.label, ...(await app.login(login.user, { userAgent: login.userAgent })) });
    }
    for (const visit of ANONYMOUS.filter((v) => spec.loginPage !== false || v.path !== '/')) {
      const result = await app.visit(visit.path, { userAgent: USER_AGENTS[0] });
      assert.ok(result.status === 200 || result.status === 401, `${name}: ${visit.label} answered ${result.status}`);
      const none = { user: null, userId: null, userAgent: USER_AGENTS[0], cookie: null, sid: null, key: null, legacyKeys: [] };
      sessions.push({ label: visit.label, ...(result.session ?? none) });
    }

    // Snapshot every key before anything else touches the store.
    const entries = [];
    for (const key of await redis.scanAll()) entries.push(await readKey(redis, key));
    const byKey = new Map(entries.map((e) => [e.key_base64, e]));
    const entryOf = (session) => (session.key ? byKey.get(Buffer.from(session.key).toString('base64')) : undefined);

    // Decode each session's value with the framework's own language.
    const sessionEntries = [...new Set(sessions.map(entryOf).filter((e) => e && e.type === 'string'))];
    const decoded = decodeWith(spec.encoding, sessionEntries.map((e) => e.raw));
    sessionEntries.forEach((entry, i) => (entry.decoded = decoded[i]));

    const problems = [];
    for (const session of sessions) {
      const entry = entryOf(session);
      session.stored = Boolean(entry);
      if (session.user === null) continue;
      if (!entry) {
        problems.push(`${session.label}: the cookie maps to key ${session.key}, which is not in Redis`);
        continue;
      }
      try {
        assert.deepEqual(entry.decoded?.[spec.userKey], session.userId);
      } catch {
        problems.push(`${session.label}: ${spec.userKey} is ${JSON.stringify(entry.decoded?.[spec.userKey])}, expected ${JSON.stringify(session.userId)}`);
      }
    }

    // The app must agree: logged in with each login's cookie, not without one; deleting the
    // keys of one session (a revoke) logs out exactly that session.
    for (const session of sessions.filter((s) => s.cookie)) {
      const status = await app.meStatus(session);
      const expected = session.user ? 200 : 401;
      if (status !== expected) problems.push(`${session.label}: GET /me answered ${status}, expected ${expected}`);
    }
    const [victim, ...others] = sessions.filter((s) => s.user);
    const deleted = await deleteSessionKeys(redis, victim);
    if (deleted < 1) problems.push(`${victim.label}: deleting ${victim.key} removed nothing`);
    const afterRevoke = await app.meStatus(victim);
    if (afterRevoke !== 401) problems.push(`${victim.label}: still logged in (GET /me ${afterRevoke}) after its keys were deleted`);
    for (const session of others) {
      const status = await app.meStatus(session);
      if (status !== 200) problems.push(`${session.label}: logged out (GET /me ${status}) by the revoke of ${victim.label}`);
    }

    // The framework's own logout removes the session's key. (Checked before the next request:
    // Flask-Session 0.3 writes a fresh anonymous session under the same id when the cookie
    // comes back.)
    const leaving = others[0];
    await app.logout(leaving);
    if ((await redis.command('EXISTS', leaving.key)) !== 0) problems.push(`${leaving.label}: ${leaving.key} still exists after POST /logout`);
    const left = await app.meStatus(leaving);
    if (left !== 401) problems.push(`${leaving.label}: still logged in (GET /me ${left}) after POST /logout`);

    const versions = { ...frameworkVersions(name), 'redis-server': await serverVersion(redis) };
    return { fixture: buildFixture(name, spec, versions, sessions, entries, entryOf), problems };
  } finally {
    state.redis?.close();
    await state.app?.stop();
    await stop(state.redisServer?.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildFixture(name, spec, versions, sessions, entries, entryOf) {
  // Keys in session order first (each once), then every other key bytewise.
  const ordered = [];
  const labelOf = new Map();
  for (const session of sessions) {
    const entry = entryOf(session);
    if (entry && !labelOf.has(entry)) {
      labelOf.set(entry, session.label);
      ordered.push(entry);
    }
  }
  ordered.push(...entries.filter((e) => !labelOf.has(e)));
  const keys = ordered.map((entry) => {
    const { raw, ...fields } = entry;
    return { session: labelOf.get(entry) ?? null, ...fields };
  });
  return {
    fixture_format: FIXTURE_FORMAT,
    framework: name,
    title: spec.title,
    recorded_by: `node tests/frameworks/record.mjs ${name}`,
    recorded_at: new Date().toISOString(),
    versions,
    app_secret: spec.env?.SESSION_SECRET ?? null,
    cookie_name: spec.cookieName,
    user_field: spec.userKey,
    encoding: spec.encoding,
    sessions: sessions.map((s) => ({
      label: s.label,
      user: s.user,
      user_id: s.userId,
      user_agent: s.userAgent ?? null,
      cookie: s.cookie,
      sid: s.sid,
      key: s.key,
      legacy_keys: s.legacyKeys ?? [],
      stored: s.stored,
    })),
    keys,
  };
}

// --- shape comparison -----------------------------------------------------------------------------

// What must stay the same from one recording to the next: per key, its pattern (session ids,
// their sha256 and user names replaced by placeholders), type, value encoding, TTL (compared
// with a tolerance) and, for session values, the top-level fields with their types.
export function shapeOf(fixture) {
  const sids = fixture.sessions.filter((s) => s.sid).map((s) => s.sid);
  const users = [...new Set(fixture.sessions.map((s) => s.user).filter(Boolean))];
  const pattern = (text) => {
    let out = text;
    for (const sid of sids) {
      out = out.split(sid).join('<sid>');
    }
    out = out.replace(/\b[0-9a-f]{64}\b/g, (hex) => (sids.some((sid) => sha256(sid) === hex) ? '<sha256(sid)>' : hex));
    for (const user of users) out = out.replace(new RegExp(`(?<![A-Za-z0-9])${user}(?![A-Za-z0-9])`, 'g'), '<user>');
    return out;
  };
  const keys = fixture.keys.map((entry) => {
    const shape = { id: entry.session ?? pattern(entry.key), pattern: pattern(entry.key), type: entry.type, ttl_ms: entry.ttl_ms };
    if (entry.encoding) shape.encoding = entry.variant ? `${entry.encoding} ${entry.variant}` : entry.encoding;
    if (entry.decoded && typeof entry.decoded === 'object') {
      shape.fields = Object.fromEntries(Object.entries(entry.decoded).map(([k, v]) => [k, neutralType(v)]).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    if (entry.fields) shape.hash = entry.fields.map((f) => `${pattern(f.field)}: ${f.encoding}`).sort();
    if (entry.members) shape.members = entry.members.map((m) => pattern(m.member)).sort();
    if (entry.items) shape.items = entry.items.map((i) => i.encoding);
    return shape;
  });
  const sessions = fixture.sessions.map((s) => ({ id: s.label, stored: s.stored, pattern: s.key === null ? null : pattern(s.key), cookie: s.cookie === null ? null : 'set' }));
  return { keys, sessions };
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

function groupById(list) {
  const groups = new Map();
  for (const item of list) {
    if (!groups.has(item.id)) groups.set(item.id, []);
    groups.get(item.id).push(item);
  }
  return groups;
}

const show = (value) => JSON.stringify(value);

// Differences between two shapes, as sentences; empty when they match.
export function compareShapes(expected, actual) {
  const differences = [];
  const compareGroups = (what, expectedList, actualList, compareOne) => {
    const want = groupById(expectedList);
    const got = groupById(actualList);
    for (const id of new Set([...want.keys(), ...got.keys()])) {
      const a = want.get(id) ?? [];
      const b = got.get(id) ?? [];
      if (a.length !== b.length) {
        differences.push(`${what} ${id}: ${a.length} in the fixture, ${b.length} now`);
        continue;
      }
      const key = (x) => show({ ...x, ttl_ms: undefined });
      a.sort((x, y) => key(x).localeCompare(key(y)));
      b.sort((x, y) => key(x).localeCompare(key(y)));
      a.forEach((x, i) => compareOne(id, x, b[i]));
    }
  };
  compareGroups('session', expected.sessions, actual.sessions, (id, a, b) => {
    for (const field of ['stored', 'pattern', 'cookie']) {
      if (a[field] !== b[field]) differences.push(`session ${id}: ${field} was ${show(a[field])}, now ${show(b[field])}`);
    }
  });
  compareGroups('key', expected.keys, actual.keys, (id, a, b) => {
    for (const field of ['pattern', 'type', 'encoding']) {
      if (a[field] !== b[field]) differences.push(`key ${id}: ${field} was ${show(a[field])}, now ${show(b[field])}`);
    }
    const noExpiry = (t) => t < 0;
    if (noExpiry(a.ttl_ms) !== noExpiry(b.ttl_ms) || Math.abs(a.ttl_ms - b.ttl_ms) > TTL_TOLERANCE_MS) {
      differences.push(`key ${id}: TTL was ${a.ttl_ms} ms, now ${b.ttl_ms} ms`);
    }
    for (const field of ['hash', 'members', 'items']) {
      if (show(a[field]) !== show(b[field])) differences.push(`key ${id}: ${field} was ${show(a[field])}, now ${show(b[field])}`);
    }
    const fa = a.fields ?? {};
    const fb = b.fields ?? {};
    for (const f of Object.keys(fa).filter((f) => !(f in fb))) differences.push(`key ${id}: field ${f} is gone`);
    for (const f of Object.keys(fb).filter((f) => !(f in fa))) differences.push(`key ${id}: new field ${f} (${fb[f]})`);
    for (const f of Object.keys(fa).filter((f) => f in fb && fa[f] !== fb[f])) differences.push(`key ${id}: field ${f} was ${fa[f]}, now ${fb[f]}`);
  });
  return differences;
}

export function versionChanges(expected, actual) {
  return Object.keys({ ...expected, ...actual })
    .filter((k) => expected[k] !== actual[k])
    .map((k) => `${k} ${expected[k] ?? '(none)'} -> ${actual[k] ?? '(none)'}`);
}

export function fixturePath(name, dir = FIXTURE_DIR) {
  return path.join(dir, `${name}.json`);
}

export function writeFixture(file, fixture) {
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
}

// --- command line ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { check: false, out: null, names: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--out') options.out = argv[++i];
    else if (arg === '--list') options.list = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}; see --help`);
    else options.names.push(arg);
  }
  if (options.out === undefined) throw new Error('--out needs a directory');
  for (const name of options.names) framework(name); // throws on an unknown name, listing the known ones
  if (options.names.length === 0) options.names = FRAMEWORK_NAMES;
  return options;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`record.mjs: ${err.message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 8).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    return;
  }
  if (options.list) {
    console.log(FRAMEWORK_NAMES.join('\n'));
    return;
  }
  const outDir = options.out ?? (options.check ? mkdtempSync(path.join(tmpdir(), 'sessiondesk-fixtures-')) : FIXTURE_DIR);
  mkdirSync(outDir, { recursive: true });
  let passed = 0;
  let failed = 0;
  for (const name of options.names) {
    const started = Date.now();
    const failures = [];
    const notes = [];
    try {
      const { fixture, problems } = await record(name);
      failures.push(...problems);
      writeFixture(fixturePath(name, outDir), fixture);
      if (options.check) {
        const committed = fixturePath(name);
        if (!existsSync(committed)) {
          failures.push(`no committed fixture ${path.relative(REPO_ROOT, committed)}; record it with: node tests/frameworks/record.mjs ${name}`);
        } else {
          const expected = JSON.parse(readFileSync(committed, 'utf8'));
          failures.push(...compareShapes(shapeOf(expected), shapeOf(fixture)));
          notes.push(...versionChanges(expected.versions, fixture.versions).map((v) => `version changed: ${v}`));
        }
      }
    } catch (err) {
      // Assertion and set-up errors say what failed; the stack only helps when debugging.
      failures.push(process.env.RECORD_DEBUG ? err.stack : err.message);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const note of notes) console.log(`  note: ${note}`);
    if (failures.length) {
      failed += 1;
      console.log(`not ok ${name} (${seconds} s)`);
      for (const failure of failures) console.log(`  - ${failure.replace(/\n/g, '\n    ')}`);
    } else {
      passed += 1;
      console.log(`ok ${name} (${seconds} s)${options.check ? '' : ` -> ${path.relative(REPO_ROOT, fixturePath(name, outDir))}`}`);
    }
  }
  const recorded = readdirSync(outDir).length > 0;
  if (options.check && failed && recorded) {
    console.log(`The live recordings are in ${outDir}; if a change is expected, re-record with: node tests/frameworks/record.mjs NAME`);
  } else if (options.check && !options.out) {
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`record.mjs: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  await main();
}
