// Helper for tests/bench/bench_dynamodb.sh: runs dynalite, and creates and fills the benchmark
// table in the dynamodb-gds layout (`id` = "sess:<sid>", `sess` = the express-session JSON as
// a string, `expires` = epoch seconds, top-level `user_id`, GSI `users-sessions` on user_id).
// Uses dynalite and @aws-sdk/client-dynamodb from tests/e2e (npm ci --prefix tests/e2e).
//
// Usage:
//   node tests/bench/dynamodb_fill.mjs serve [PORT]
//       dynalite in this process on 127.0.0.1 (PORT 0 or none: a free port picked by the
//       kernel); prints "Listening at http://127.0.0.1:PORT" once it accepts connections and
//       runs until SIGTERM/SIGINT. BENCH_LATENCY_MS=N in the environment holds every request
//       N ms before dynalite sees it (timers, no CPU), standing in for the round trip to a
//       DynamoDB region; dynalite itself answers in well under a millisecond of network time.
//   node tests/bench/dynamodb_fill.mjs fill ENDPOINT TABLE SESSIONS USERS [IN_FLIGHT]
//       (re)creates TABLE with the GSI and writes SESSIONS items for USERS users with
//       BatchWriteItem (25 items each, IN_FLIGHT requests at once, default 16), retrying
//       UnprocessedItems; prints one line: items, average item size, requests, seconds.
//   node tests/bench/dynamodb_fill.mjs count ENDPOINT TABLE
//       prints the number of items (Scan, Select COUNT, all pages).
// Credentials: any (dynalite does not check them); the environment's are used when set.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const [command, ...args] = process.argv.slice(2);

function usage() {
  console.error('usage: node tests/bench/dynamodb_fill.mjs serve [PORT]\n' +
    '       node tests/bench/dynamodb_fill.mjs fill ENDPOINT TABLE SESSIONS USERS [IN_FLIGHT]\n' +
    '       node tests/bench/dynamodb_fill.mjs count ENDPOINT TABLE');
  process.exit(2);
}

function client(endpoint) {
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || 'eu-west-2',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'bench',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'bench',
    },
    maxAttempts: 10,
  });
}

async function serve(port) {
  const dynalite = require('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.on('error', (error) => {
    console.error(`dynalite error: ${error.message}`);
    process.exit(3);
  });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
  const latency = Number(process.env.BENCH_LATENCY_MS || 0);
  if (latency > 0) {
    const handlers = server.listeners('request');
    server.removeAllListeners('request');
    server.on('request', (request, response) => setTimeout(() => {
      for (const handler of handlers) handler.call(server, request, response);
    }, latency));
  }
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    console.log(`Listening at http://${address.address}:${address.port}`);
  });
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function sid(length = 32) { // url-safe, like uid-safe(24)
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[bytes[i] & 63];
  return s;
}

// DynamoDB's item size: attribute names + values (numbers approximated by their digits).
function itemSize(item) {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += name.length + Buffer.byteLength(value.S ?? value.N);
  return size;
}

// An express-session (cookie + application fields) of about 520 bytes, so that with the
// other attributes an item is about 650 bytes.
function makeItem(i, users, nowSeconds) {
  const user = `user${i % users}@example.org`;
  const expires = nowSeconds + 7200;
  const sess = {
    cookie: {
      originalMaxAge: 7200000, expires: new Date(expires * 1000).toISOString(), secure: true,
      httpOnly: true, path: '/', sameSite: 'lax',
    },
    user_id: user,
    loginAt: 1764000000000 + i,
    csrfSecret: sid(24),
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
      'Chrome/131.0.0.0 Safari/537.36',
    prefs: { lang: 'en-GB', theme: i % 2 ? 'dark' : 'light', tz: 'Europe/London' },
    flash: {},
    cart: { items: [{ sku: `SKU-${i % 997}`, qty: 1 + (i % 3) }], currency: 'GBP' },
    returnTo: '/account/settings/security?tab=sessions&from=email',
  };
  return {
    id: { S: `sess:${sid()}` },
    sess: { S: JSON.stringify(sess) },
    expires: { N: String(expires) },
    user_id: { S: user },
  };
}

async function createTable(db, table) {
  const c = require('@aws-sdk/client-dynamodb');
  try {
    await db.send(new c.DeleteTableCommand({ TableName: table }));
  } catch (error) {
    if (error.name !== 'ResourceNotFoundException') throw error;
  }
  for (let i = 0; ; i++) { // deleteTableMs 0: gone on the next tick
    try {
      await db.send(new c.DescribeTableCommand({ TableName: table }));
    } catch (error) {
      if (error.name === 'ResourceNotFoundException') break;
      throw error;
    }
    if (i > 200) throw new Error(`table ${table} was not deleted`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const S = (name) => ({ AttributeName: name, AttributeType: 'S' });
  const hash = (name) => [{ AttributeName: name, KeyType: 'HASH' }];
  await db.send(new c.CreateTableCommand({
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [S('id'), S('user_id')],
    KeySchema: hash('id'),
    GlobalSecondaryIndexes: [{
      IndexName: 'users-sessions', KeySchema: hash('user_id'),
      Projection: { ProjectionType: 'KEYS_ONLY' },
    }],
  }));
  for (let i = 0; ; i++) {
    const { Table } = await db.send(new c.DescribeTableCommand({ TableName: table }));
    if (Table.TableStatus === 'ACTIVE' &&
        (Table.GlobalSecondaryIndexes || []).every((g) => g.IndexStatus === 'ACTIVE')) break;
    if (i > 200) throw new Error(`table ${table} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function fill(endpoint, table, sessions, users, inFlight) {
  const { BatchWriteItemCommand } = require('@aws-sdk/client-dynamodb');
  const db = client(endpoint);
  await createTable(db, table);
  const t0 = process.hrtime.bigint();
  const nowSeconds = Math.floor(Date.now() / 1000);
  let next = 0;
  let bytes = 0;
  let requests = 0;
  async function worker() {
    while (next < sessions) {
      const end = Math.min(sessions, next + 25);
      let pending = [];
      for (; next < end; next++) {
        const item = makeItem(next, users, nowSeconds);
        bytes += itemSize(item);
        pending.push({ PutRequest: { Item: item } });
      }
      for (let round = 0; pending.length > 0; round++) {
        if (round > 50) throw new Error('BatchWriteItem kept returning UnprocessedItems');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
        requests++;
        const reply = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = reply.UnprocessedItems?.[table] ?? [];
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.destroy();
  console.log(`${sessions} items for ${users} users, ${Math.round(bytes / sessions)} B/item avg, ` +
    `${requests} BatchWriteItem requests (${inFlight} in flight), ${seconds.toFixed(3)} s`);
}

async function count(endpoint, table) {
  const { ScanCommand } = require('@aws-sdk/client-dynamodb');
  const db = client(endpoint);
  let total = 0;
  let ExclusiveStartKey;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey }));
    total += page.Count;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  db.destroy();
  console.log(total);
}

try {
  if (command === 'serve' && args.length <= 1) {
    await serve(Number(args[0] ?? 0));
  } else if (command === 'fill' && args.length >= 4 && args.length <= 5) {
    const [endpoint, table, sessions, users, inFlight = '16'] = args;
    await fill(endpoint, table, Number(sessions), Number(users), Number(inFlight));
  } else if (command === 'count' && args.length === 2) {
    await count(...args);
  } else {
    usage();
  }
} catch (error) {
  console.error(`dynamodb_fill ${command}: ${error.name}: ${error.message}`);
  process.exit(1);
}
