// The framework apps under tests/frameworks/ (and the express app of tests/e2e/), behind one
// interface: start one against a Redis URL, log users in, probe GET /me with the cookie that
// framework set, and map that cookie to the Redis keys the framework keeps the session under.
//
//   import { startRedis, startFramework } from '../frameworks/frameworks.mjs';
//   const redis = await startRedis(dir);
//   const app = await startFramework('django', { redisUrl: redis.url });
//   const session = await app.login('alice');      // { user, userId, cookie, sid, key, ... }
//   await app.meStatus(session);                    // 200, or 401 once the session is revoked
//   await app.stop(); await stop(redis.child);
//
// Every app speaks the same protocol: env REDIS_URL and PORT (0 = any free port), "LISTENING
// <port>" on stdout when ready, POST /login with JSON {"user": NAME} (200 with {user_id:
// NAME}), GET /me (200 {user_id: NAME} or 401), POST /logout, and GET / (the login page, which
// gives an anonymous visitor a session in the frameworks that do so).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, requireModules, stop, track, waitForLine } from '../e2e/harness.mjs';

export { stop } from '../e2e/harness.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const USERS = JSON.parse(readFileSync(path.join(HERE, 'users.json'), 'utf8')).users;
// Fixed so that recorded cookies and Django/Flask signatures can be checked; never a real secret.
export const APP_SECRET = 'sessiondesk-fixture-secret-not-for-production';
// Debian's interpreter: the python3-* packages live there, not in a pyenv python on PATH.
const PYTHON = process.env.SESSIONDESK_PYTHON ?? '/usr/bin/python3';

const sha256hex = (text) => createHash('sha256').update(text).digest('hex');
const userRecord = (name) => USERS.find((u) => u.name === name);

function rackSession(namespace) {
  // Rack::Session::SessionId: the cookie carries the public id; the store writes under
  // "2::" + sha256hex(public id) and, on delete, also removes the legacy key of the public id.
  return (cookie) => ({
    sid: cookie,
    key: `${namespace}:2::${sha256hex(cookie)}`,
    legacyKeys: [`${namespace}:${cookie}`],
  });
}

// What each framework needs, how to start it, and where its sessions live.
//   packages: Debian packages (versions recorded); commands: executables that must exist, each
//   with the Debian package that brings it; runtime: the command printing the language version;
//   sessionOf(cookie): { sid, key, legacyKeys } for the cookie value the browser got;
//   userKey: the session field holding the user; userIdOf(name): the value stored there;
//   encoding: how values are decoded (tests/frameworks/record.mjs).
export const FRAMEWORKS = {
  express: {
    title: 'express-session + connect-redis (npm), the app of tests/e2e/app.mjs',
    command: () => [process.execPath, path.join(REPO_ROOT, 'tests/e2e/app.mjs')],
    env: { SESSION_SECRET: APP_SECRET },
    npmModules: ['express', 'express-session', 'connect-redis', 'redis'],
    cookieName: 'connect.sid',
    sessionOf(cookie) {
      const match = decodeURIComponent(cookie).match(/^s:([^.]+)\./);
      assert.ok(match, `unexpected connect.sid cookie: ${cookie}`);
      return { sid: match[1], key: `sess:${match[1]}`, legacyKeys: [] };
    },
    userKey: 'user_id',
    userIdOf: (name) => name,
    encoding: 'json',
    loginPage: false, // the app has no GET / (tests/e2e/app.mjs is shared with the e2e tests)
  },
  rack: {
    title: 'Rack::Session::Redis (redis-rack) with Warden, Devise-style user key, no expire_after',
    command: () => ['ruby', path.join(HERE, 'rack/app.rb')],
    env: { SESSION_STORE: 'rack' },
    commands: { ruby: 'ruby' },
    runtime: ['ruby', ['-e', 'print RUBY_VERSION']],
    packages: ['ruby-rack', 'ruby-webrick', 'ruby-warden', 'ruby-redis', 'ruby-redis-store', 'ruby-redis-rack'],
    cookieName: 'rack.session',
    sessionOf: rackSession('rack:session'),
    userKey: 'warden.user.user.key',
    userIdOf: (name) => [[userRecord(name).id], userRecord(name).salt],
    encoding: 'marshal',
  },
  rails: {
    title: 'ActionDispatch::Session::RedisStore (redis-actionpack) with Warden, expire_after 90 min',
    command: () => ['ruby', path.join(HERE, 'rack/app.rb')],
    env: { SESSION_STORE: 'actionpack' },
    commands: { ruby: 'ruby' },
    runtime: ['ruby', ['-e', 'print RUBY_VERSION']],
    packages: [
      'ruby-rack', 'ruby-webrick', 'ruby-warden', 'ruby-redis', 'ruby-redis-store', 'ruby-redis-rack',
      'ruby-actionpack', 'ruby-redis-actionpack',
    ],
    cookieName: '_sessiondesk_session',
    sessionOf: rackSession('session'),
    userKey: 'warden.user.user.key',
    userIdOf: (name) => [[userRecord(name).id], userRecord(name).salt],
    encoding: 'marshal',
  },
  php: {
    title: 'PHP built-in server + phpredis session handler, serialize_handler php',
    command: () => ['bash', path.join(HERE, 'php/run.sh')],
    env: { PHP_SERIALIZE_HANDLER: 'php' },
    commands: { php: 'php-cli' },
    runtime: ['php', ['-r', 'echo PHP_VERSION;']],
    packages: ['php8.2-cli', 'php8.2-redis'],
    cookieName: 'PHPSESSID',
    sessionOf: (cookie) => ({ sid: cookie, key: `PHPREDIS_SESSION:${cookie}`, legacyKeys: [] }),
    userKey: 'user_id',
    userIdOf: (name) => userRecord(name).id,
    encoding: 'php',
    retryStart: true,
  },
  'php-serialize': {
    title: 'PHP built-in server + phpredis session handler, serialize_handler php_serialize',
    command: () => ['bash', path.join(HERE, 'php/run.sh')],
    env: { PHP_SERIALIZE_HANDLER: 'php_serialize' },
    commands: { php: 'php-cli' },
    runtime: ['php', ['-r', 'echo PHP_VERSION;']],
    packages: ['php8.2-cli', 'php8.2-redis'],
    cookieName: 'PHPSESSID',
    sessionOf: (cookie) => ({ sid: cookie, key: `PHPREDIS_SESSION:${cookie}`, legacyKeys: [] }),
    userKey: 'user_id',
    userIdOf: (name) => userRecord(name).id,
    encoding: 'php_serialize',
    retryStart: true,
  },
  flask: {
    title: 'Flask + Flask-Session (pickle) + Flask-Login, signed session id cookie',
    command: () => [PYTHON, path.join(HERE, 'flask/app.py')],
    env: { SESSION_SECRET: APP_SECRET },
    commands: { [PYTHON]: 'python3' },
    runtime: [PYTHON, ['-c', 'import platform; print(platform.python_version(), end="")']],
    packages: ['python3-flask', 'python3-flask-session', 'python3-flask-login', 'python3-redis'],
    cookieName: 'session',
    sessionOf(cookie) {
      // itsdangerous Signer: "<sid>.<signature>"; the store key uses the bare sid.
      const sid = cookie.slice(0, cookie.lastIndexOf('.'));
      return { sid, key: `session:${sid}`, legacyKeys: [] };
    },
    userKey: '_user_id',
    userIdOf: (name) => String(userRecord(name).id),
    encoding: 'pickle',
  },
  django: {
    title: 'Django + django-redis-sessions (signed JSON strings), django.contrib.auth',
    command: () => [PYTHON, path.join(HERE, 'django/app.py')],
    env: { SESSION_SECRET: APP_SECRET, DJANGO_SESSION_BACKEND: 'redis-sessions' },
    commands: { [PYTHON]: 'python3' },
    runtime: [PYTHON, ['-c', 'import platform; print(platform.python_version(), end="")']],
    packages: ['python3-django', 'python3-django-redis-sessions', 'python3-redis'],
    cookieName: 'sessionid',
    sessionOf: (cookie) => ({ sid: cookie, key: cookie, legacyKeys: [] }),
    userKey: '_auth_user_id',
    userIdOf: (name) => String(userRecord(name).id),
    encoding: 'django-signed',
  },
  'django-cache': {
    title: 'Django cache session backend on django-redis (pickle), django.contrib.auth',
    command: () => [PYTHON, path.join(HERE, 'django/app.py')],
    env: { SESSION_SECRET: APP_SECRET, DJANGO_SESSION_BACKEND: 'cache' },
    commands: { [PYTHON]: 'python3' },
    runtime: [PYTHON, ['-c', 'import platform; print(platform.python_version(), end="")']],
    packages: ['python3-django', 'python3-django-redis', 'python3-redis'],
    cookieName: 'sessionid',
    sessionOf: (cookie) => ({ sid: cookie, key: `:1:django.contrib.sessions.cache${cookie}`, legacyKeys: [] }),
    userKey: '_auth_user_id',
    userIdOf: (name) => String(userRecord(name).id),
    encoding: 'pickle',
  },
};

export const FRAMEWORK_NAMES = Object.keys(FRAMEWORKS);

export function framework(name) {
  const spec = FRAMEWORKS[name];
  if (!spec) throw new Error(`unknown framework "${name}"; known: ${FRAMEWORK_NAMES.join(', ')}`);
  return spec;
}

function commandExists(command) {
  if (command.includes('/')) return existsSync(command);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, command)));
}

// Debian package versions, or null for a package that is not installed.
export function debianVersions(packages) {
  const versions = {};
  for (const pkg of packages) {
    try {
      const out = execFileSync('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const [status, version] = out.split('\t');
      versions[pkg] = status.endsWith('installed') && !status.includes('not-installed') ? version : null;
    } catch {
      versions[pkg] = null;
    }
  }
  return versions;
}

// The versions a recording depends on, e.g. { "deb:python3-flask": "2.2.2-3", ... }.
export function frameworkVersions(name) {
  const spec = framework(name);
  const versions = {};
  for (const [pkg, version] of Object.entries(debianVersions(spec.packages ?? []))) versions[`deb:${pkg}`] = version;
  for (const module of spec.npmModules ?? []) {
    const file = path.join(REPO_ROOT, 'tests/e2e/node_modules', module, 'package.json');
    versions[`npm:${module}`] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null;
  }
  if (spec.npmModules) versions.node = process.versions.node;
  if (spec.runtime) {
    const [command, args] = spec.runtime;
    versions[path.basename(command)] = execFileSync(command, args, { encoding: 'utf8' }).trim();
  }
  return versions;
}

// Throws one sentence naming what is missing and how to install it.
export function requireFramework(name) {
  const spec = framework(name);
  const missingCommands = Object.entries(spec.commands ?? {}).filter(([command]) => !commandExists(command));
  const missingPackages = Object.entries(debianVersions(spec.packages ?? [])).filter(([, v]) => v === null).map(([p]) => p);
  if (missingCommands.length || missingPackages.length) {
    const what = [...missingCommands.map(([c]) => `command ${c}`), ...missingPackages.map((p) => `Debian package ${p}`)];
    const install = [...new Set([...missingCommands.map(([, pkg]) => pkg), ...missingPackages])];
    throw new Error(`${name}: ${what.join(', ')} missing; run scripts/install-deps.sh (or apt-get install -y ${install.join(' ')})`);
  }
  if (spec.npmModules) requireModules(spec.npmModules);
}

// A throwaway redis-server on a free 127.0.0.1 port, nothing persisted (in `dir`).
export async function startRedis(dir) {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  let lastError;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const child = track(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitForLine(child, /Ready to accept connections/, `redis-server (${binary}) on port ${port}`);
      child.stdout.resume();
      return { child, port, url: `redis://127.0.0.1:${port}` };
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      if (/could not be started/.test(err.message)) break; // not installed: retrying cannot help
    }
  }
  throw lastError;
}

// Cookie value as the browser would send it back (the last Set-Cookie for `name` wins).
export function cookieFrom(response, name) {
  const headers = response.headers.getSetCookie().map((h) => h.trim()).filter((h) => h.startsWith(`${name}=`));
  if (headers.length === 0) return null;
  const value = headers.at(-1).slice(name.length + 1).split(';')[0];
  return value === '' ? null : value;
}

export const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
];

// A started framework app; see the header for the protocol.
class FrameworkApp {
  constructor(name, child, port) {
    this.name = name;
    this.spec = framework(name);
    this.child = child;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  // The session a cookie value stands for: { cookie, sid, key, legacyKeys }.
  sessionOfCookie(cookie) {
    return { cookie, ...this.spec.sessionOf(cookie) };
  }

  // Logs `user` in with a fresh browser (no cookie); returns the session the framework made.
  async login(user, { userAgent = USER_AGENTS[0] } = {}) {
    const response = await fetch(`${this.baseUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent },
      body: JSON.stringify({ user }),
    });
    const body = await response.text();
    assert.equal(response.status, 200, `${this.name}: login of ${user} failed (${response.status}): ${body}`);
    const cookie = cookieFrom(response, this.spec.cookieName);
    assert.ok(cookie, `${this.name}: no ${this.spec.cookieName} cookie in the login response of ${user}`);
    return { user, userId: this.spec.userIdOf(user), userAgent, ...this.sessionOfCookie(cookie) };
  }

  // An anonymous request (no cookie); returns the session it was given, or null without one.
  async visit(pathname, { userAgent = USER_AGENTS[0] } = {}) {
    const response = await fetch(`${this.baseUrl}${pathname}`, { headers: { 'user-agent': userAgent } });
    await response.arrayBuffer();
    const cookie = cookieFrom(response, this.spec.cookieName);
    return { status: response.status, session: cookie ? { user: null, userId: null, userAgent, ...this.sessionOfCookie(cookie) } : null };
  }

  // GET /me with the session's cookie: 200 (asserting it is that session's user) or 401.
  async meStatus(session) {
    const response = await fetch(`${this.baseUrl}/me`, { headers: { cookie: `${this.spec.cookieName}=${session.cookie}` } });
    const body = await response.json();
    if (response.status === 200) assert.equal(body.user_id, session.user, `${this.name}: GET /me answered for the wrong user`);
    else assert.equal(response.status, 401, `${this.name}: GET /me answered ${response.status}: ${JSON.stringify(body)}`);
    return response.status;
  }

  async logout(session) {
    const response = await fetch(`${this.baseUrl}/logout`, { method: 'POST', headers: { cookie: `${this.spec.cookieName}=${session.cookie}` } });
    await response.arrayBuffer();
    assert.equal(response.status, 204, `${this.name}: logout answered ${response.status}`);
  }

  stop() {
    return stop(this.child);
  }
}

// Starts framework `name` against `redisUrl`; resolves once it prints "LISTENING <port>".
export async function startFramework(name, { redisUrl, port = 0, env = {} } = {}) {
  const spec = framework(name);
  requireFramework(name);
  const [command, ...args] = spec.command();
  const attempts = spec.retryStart && port === 0 ? 5 : 1;
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const childEnv = { ...process.env, ...spec.env, ...env, REDIS_URL: redisUrl, PORT: String(port) };
    const child = track(spawn(command, args, { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const [, listening] = await waitForLine(child, /^LISTENING (\d+)$/, `${name} app (${[command, ...args].join(' ')})`);
      child.stdout.resume();
      child.stderr.resume();
      return new FrameworkApp(name, child, Number(listening));
    } catch (err) {
      lastError = err;
      await stop(child);
    }
  }
  throw lastError;
}

// --- a minimal binary-safe Redis client (RESP2), enough to record and revoke ------------------

export class RedisClient {
  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RedisClient(socket));
      });
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.pending = [];
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection to redis-server closed')));
  }

  failAll(err) {
    for (const { reject } of this.pending.splice(0)) reject(err);
  }

  // Each argument a string or Buffer; resolves with Buffers, numbers, arrays or null.
  command(...args) {
    const parts = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, name: String(args[0]) });
      this.socket.write(Buffer.concat(parts));
    });
  }

  drain() {
    while (this.pending.length) {
      const parsed = parseReply(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const { resolve, reject, name } = this.pending.shift();
      if (parsed.value instanceof Error) reject(new Error(`redis ${name}: ${parsed.value.message}`));
      else resolve(parsed.value);
    }
  }

  close() {
    this.socket.end();
  }

  // Every key, by SCAN (never KEYS), as Buffers sorted bytewise.
  async scanAll() {
    const keys = new Map();
    let cursor = '0';
    do {
      const [next, batch] = await this.command('SCAN', cursor, 'COUNT', '1000');
      cursor = next.toString();
      for (const key of batch) keys.set(key.toString('base64'), key);
    } while (cursor !== '0');
    return [...keys.values()].sort(Buffer.compare);
  }
}

function parseReply(buffer, start) {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return null;
  const kind = String.fromCharCode(buffer[start]);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: Buffer.from(line), end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.subarray(next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items = [];
      let offset = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, offset);
        if (!item) return null;
        items.push(item.value);
        offset = item.end;
      }
      return { value: items, end: offset };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(kind)}`);
  }
}

// Deletes the keys a framework itself deletes on logout (as SessionDesk's revoke must), so the
// next GET /me with that cookie answers 401. Returns how many keys existed.
export async function deleteSessionKeys(redis, session) {
  return redis.command('DEL', session.key, ...session.legacyKeys);
}
