#!/usr/bin/env node
// Fills a Redis with demo sessions for SessionDesk. The sessions are created by the
// real express-session + connect-redis app in tests/e2e/app.mjs through HTTP logins,
// so keys, JSON and TTLs are exactly what that stack writes; the app also maintains
// the per-user index "user-sessions:<user>". A few odd keys under "sess:" are added
// on purpose: non-UTF-8 bytes, plain text, a hash, and a session without TTL.
//
// Usage: node scripts/demo-fill.mjs [REDIS_URL]      (or REDIS_URL in the environment)
// Needs tests/e2e/node_modules:  npm ci --prefix tests/e2e

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const E2E_DIR = new URL('../tests/e2e/', import.meta.url);
const NPM_COMMAND = 'npm ci --prefix tests/e2e';
const SEED = 20240611;

const FIRST_NAMES = [
  'olivia', 'liam', 'amelia', 'noah', 'isla', 'oliver', 'ava', 'arthur', 'mia', 'leo',
  'ivy', 'george', 'freya', 'theo', 'lily', 'oscar', 'grace', 'harry', 'sophia', 'jack',
  'priya', 'mohammed', 'aisha', 'wei', 'yuki', 'mateo', 'sofia', 'lucas', 'chloe', 'ethan',
  'zara', 'omar', 'nina', 'felix', 'elena', 'samuel', 'hannah', 'daniel', 'maya', 'adam',
];
const LAST_NAMES = [
  'smith', 'jones', 'taylor', 'brown', 'williams', 'wilson', 'johnson', 'davies', 'patel', 'robinson',
  'wright', 'thompson', 'evans', 'walker', 'white', 'roberts', 'green', 'hall', 'wood', 'jackson',
  'khan', 'chen', 'tanaka', 'garcia', 'müller', 'rossi', 'novak', 'kowalski', 'dubois', 'silva',
];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'corp.example.com'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
];

// Small deterministic PRNG (mulberry32) so every fill has the same shape.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function demoUsers(count, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const users = new Map();
  while (users.size < count) {
    const email = `${FIRST_NAMES[users.size % FIRST_NAMES.length]}.${pick(LAST_NAMES)}@${pick(DOMAINS)}`;
    users.set(email, { email, sessions: 1 + Math.floor(rand() * 4) });
  }
  return [...users.values()];
}

function documentationIp(rand) {
  const net = ['192.0.2', '198.51.100', '203.0.113'][Math.floor(rand() * 3)];
  return `${net}.${1 + Math.floor(rand() * 254)}`;
}

async function login(baseUrl, user, userAgent, ip) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent, 'x-forwarded-for': ip },
    body: JSON.stringify({ user }),
  });
  if (response.status !== 200) throw new Error(`login of ${user} failed: HTTP ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  const sid = decodeURIComponent(cookie.split(';')[0].slice('connect.sid='.length)).match(/^s:([^.]+)\./)[1];
  return sid;
}

async function fillSessions(baseUrl, users, rand) {
  const plans = users.map((u) =>
    Array.from({ length: u.sessions }, () => [USER_AGENTS[Math.floor(rand() * USER_AGENTS.length)], documentationIp(rand)]),
  );
  const sids = await Promise.all(
    users.map(async (u, i) => {
      const mine = [];
      for (const [agent, ip] of plans[i]) mine.push(await login(baseUrl, u.email, agent, ip));
      return mine;
    }),
  );
  return sids.flat();
}

async function writeOddKeys(client, prefix) {
  const binary = [
    Buffer.from([0x04, 0x08, 0x7b, 0x06, 0x3a, 0x06, 0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28]),
    Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
  ];
  const keys = [];
  for (const [i, bytes] of binary.entries()) {
    keys.push(`${prefix}binary-${i + 1}`);
    await client.set(keys.at(-1), bytes, { expiration: { type: 'EX', value: 3600 } });
  }
  keys.push(`${prefix}not-json`);
  await client.set(keys.at(-1), 'this is plain text, not a session', { expiration: { type: 'EX', value: 5400 } });
  keys.push(`${prefix}hash-under-prefix`);
  await client.hSet(keys.at(-1), { owner: 'someone else', purpose: 'a hash that merely shares the prefix' });
  return keys;
}

function withoutPassword(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}

function redisUrlFromArgs() {
  const url = process.argv[2] ?? process.env.REDIS_URL;
  if (!url || url.startsWith('-')) {
    console.error('usage: node scripts/demo-fill.mjs REDIS_URL   (or set REDIS_URL), e.g. redis://127.0.0.1:6379/0');
    process.exit(2);
  }
  return url;
}

async function main() {
  const redisUrl = redisUrlFromArgs();
  if (!existsSync(new URL('node_modules/connect-redis/package.json', E2E_DIR))) {
    console.error(`demo-fill: ${fileURLToPath(new URL('node_modules', E2E_DIR))} is missing; run: ${NPM_COMMAND}`);
    process.exit(1);
  }
  const { startApp, SESSION_PREFIX } = await import(new URL('app.mjs', E2E_DIR));

  const started = performance.now();
  const rand = random(SEED);
  const app = await startApp({ redisUrl, port: 0, secret: 'sessiondesk-demo-secret' });
  try {
    const baseUrl = `http://127.0.0.1:${app.port}`;
    const users = demoUsers(40, rand);
    const sids = await fillSessions(baseUrl, users, rand);

    // A kiosk login whose key is made permanent, as with connect-redis disableTTL.
    const kioskSid = await login(baseUrl, 'kiosk.lobby@corp.example.com', USER_AGENTS[0], '192.0.2.200');
    await app.client.persist(`${SESSION_PREFIX}${kioskSid}`);
    const oddKeys = await writeOddKeys(app.client, SESSION_PREFIX);

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `demo-fill: ${users.length + 1} users, ${sids.length + 1} sessions (1 without TTL) ` +
        `and ${oddKeys.length} odd keys under "${SESSION_PREFIX}" written to ${withoutPassword(redisUrl)} in ${seconds} s`,
    );
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(`demo-fill: ${err.message}`);
  process.exit(1);
});
