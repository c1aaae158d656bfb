#!/usr/bin/env node
// Fills a DynamoDB(-compatible) endpoint, e.g. a local dynalite, with demo sessions for
// SessionDesk. Creates the table `account-sessions` in the dynamodb-gds layout (hash key `id`,
// PAY_PER_REQUEST, GSI `users-sessions` on `user_id`, KEYS_ONLY) unless it exists, then logs
// users in through the real express-session + connect-dynamodb app in
// tests/e2e/app_dynamodb.mjs, so every item is exactly what that stack writes: `id` =
// "sess:<sid>", `sess` = the session JSON, `expires` in epoch seconds, top-level `user_id`.
//
// Usage: node scripts/demo-fill-dynamodb.mjs ENDPOINT [TABLE]
//        e.g. node scripts/demo-fill-dynamodb.mjs http://127.0.0.1:4567
// Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (dummies do for dynalite), region
// from AWS_REGION (default eu-west-2). Needs tests/e2e/node_modules:  npm ci --prefix tests/e2e

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The AWS SDK's notice that future versions will need a newer Node.js is not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const E2E_DIR = new URL('../tests/e2e/', import.meta.url);
const NPM_COMMAND = 'npm ci --prefix tests/e2e';
const DEFAULT_TABLE = 'account-sessions';
const USER_INDEX = 'users-sessions';
const SEED = 20240612;
const USER_COUNT = 30;

const FIRST_NAMES = [
  'amara', 'benjamin', 'carys', 'dev', 'eilidh', 'farah', 'gabriel', 'hamish', 'imogen', 'jonah',
  'kiran', 'layla', 'malik', 'niamh', 'owen', 'poppy', 'rhys', 'saoirse', 'tomasz', 'ursula',
  'victor', 'willow', 'xavier', 'yasmin', 'zain', 'alfie', 'bea', 'callum', 'delphine', 'emeka',
];
const LAST_NAMES = [
  'ahmed', 'baker', 'campbell', 'doyle', 'edwards', 'fraser', 'gill', 'hughes', 'iqbal', 'jenkins',
  'kelly', 'lloyd', 'macdonald', 'nowak', "o'brien", 'price', 'quinn', 'reid', 'singh', 'turner',
];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'service.example.gov.uk'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
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
  const users = [];
  for (let i = 0; i < count; i++) {
    const email = `${FIRST_NAMES[i % FIRST_NAMES.length]}.${pick(LAST_NAMES)}@${pick(DOMAINS)}`;
    users.push({ email, sessions: 1 + Math.floor(rand() * 3) }); // 1-3 devices each
  }
  return users;
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
}

async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

// Creates the table in the dynamodb-gds layout and waits until it and its index are ACTIVE.
// An existing table is kept as it is (its sessions too).
async function ensureTable(endpoint, table) {
  const require = createRequire(new URL('package.json', E2E_DIR));
  const c = require('@aws-sdk/client-dynamodb');
  const db = new c.DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || 'eu-west-2',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'demo',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'demo',
    },
    maxAttempts: 3,
  });
  try {
    const S = (name) => ({ AttributeName: name, AttributeType: 'S' });
    const hash = (name) => [{ AttributeName: name, KeyType: 'HASH' }];
    let created = true;
    try {
      await db.send(new c.CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [S('id'), S('user_id')],
        KeySchema: hash('id'),
        GlobalSecondaryIndexes: [{
          IndexName: USER_INDEX, KeySchema: hash('user_id'), Projection: { ProjectionType: 'KEYS_ONLY' },
        }],
      }));
    } catch (err) {
      if (err.name !== 'ResourceInUseException') throw err;
      created = false;
    }
    for (let i = 0; ; i++) {
      const { Table } = await db.send(new c.DescribeTableCommand({ TableName: table }));
      if (Table.TableStatus === 'ACTIVE' &&
          (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) break;
      if (i >= 200) throw new Error(`table ${table} did not become ACTIVE`);
      await sleep(50);
    }
    return created;
  } finally {
    db.destroy();
  }
}

function argsOrUsage() {
  const [endpoint, table = DEFAULT_TABLE] = process.argv.slice(2);
  if (!endpoint || endpoint.startsWith('-') || process.argv.length > 4) {
    console.error('usage: node scripts/demo-fill-dynamodb.mjs ENDPOINT [TABLE], e.g. http://127.0.0.1:4567');
    process.exit(2);
  }
  return { endpoint, table };
}

async function main() {
  const { endpoint, table } = argsOrUsage();
  if (!existsSync(new URL('node_modules/connect-dynamodb/package.json', E2E_DIR))) {
    console.error(`demo-fill-dynamodb: ${fileURLToPath(new URL('node_modules', E2E_DIR))} is missing; run: ${NPM_COMMAND}`);
    process.exit(1);
  }
  const started = performance.now();
  const created = await ensureTable(endpoint, table);

  const { startApp } = await import(new URL('app_dynamodb.mjs', E2E_DIR));
  const app = await startApp({ endpoint, table, port: 0, secret: 'sessiondesk-demo-secret' });
  let sessions = 0;
  try {
    const baseUrl = `http://127.0.0.1:${app.port}`;
    const rand = random(SEED);
    const users = demoUsers(USER_COUNT, rand);
    const plans = users.map((u) => Array.from({ length: u.sessions }, () =>
      [USER_AGENTS[Math.floor(rand() * USER_AGENTS.length)], documentationIp(rand)]));
    // Users log in side by side, each one's devices one after another.
    await Promise.all(users.map(async (u, i) => {
      for (const [agent, ip] of plans[i]) {
        await login(baseUrl, u.email, agent, ip);
        sessions++;
      }
    }));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`demo-fill-dynamodb: ${users.length} users, ${sessions} sessions written by ` +
      `connect-dynamodb to table ${table}${created ? ' (created, GSI ' + USER_INDEX + ')' : ''} ` +
      `at ${endpoint} in ${seconds} s`);
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(`demo-fill-dynamodb: ${err.name}: ${err.message}`);
  process.exit(1);
});
