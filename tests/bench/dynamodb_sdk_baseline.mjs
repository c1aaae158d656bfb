// Baseline for tests/bench/bench_dynamodb.sh: what a user would write with
// @aws-sdk/client-dynamodb (tests/e2e pins it; npm ci --prefix tests/e2e), one request at a time.
//
//   users:   Scan every page in turn (projecting user_id and expires), count the unexpired
//            sessions of each user in a Map; prints "<users> users, <sessions> sessions".
//   destroy: Scan every page in turn projecting the key, keeping every key in memory, then
//            BatchWriteItem DeleteRequests 25 at a time, one after the other, sending
//            UnprocessedItems again until none is left; prints how many were deleted.
//
// Only items whose id starts with the prefix (default "sess:") are counted or deleted. Each
// run ends with one line "requests: N (Scan S, BatchWriteItem B, attempts incl. SDK retries A)".
// Usage: node tests/bench/dynamodb_sdk_baseline.mjs users|destroy ENDPOINT TABLE [PREFIX]
// Region from AWS_REGION (default eu-west-2); credentials from the environment (dynalite
// accepts any).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { DynamoDBClient, ScanCommand, BatchWriteItemCommand } = require('@aws-sdk/client-dynamodb');

const [mode, endpoint, table, prefix = 'sess:'] = process.argv.slice(2);
if (!['users', 'destroy'].includes(mode) || !endpoint || !table) {
  console.error('usage: node tests/bench/dynamodb_sdk_baseline.mjs users|destroy ENDPOINT TABLE [PREFIX]');
  process.exit(2);
}

const db = new DynamoDBClient({
  endpoint,
  region: process.env.AWS_REGION || 'eu-west-2',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'bench',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'bench',
  },
});

// Counting: commands sent, and HTTP attempts (inside the SDK's retry loop).
const sent = { Scan: 0, BatchWriteItem: 0 };
let attempts = 0;
db.middlewareStack.add((next) => (args) => { attempts++; return next(args); },
  { step: 'finalizeRequest', priority: 'low', name: 'benchCountAttempts' });
async function send(command) {
  sent[command.constructor.name.replace(/Command$/, '')]++;
  return db.send(command);
}

async function* scanPages(ProjectionExpression, ExpressionAttributeNames) {
  let ExclusiveStartKey;
  do {
    const page = await send(new ScanCommand({
      TableName: table, ProjectionExpression, ExpressionAttributeNames, ExclusiveStartKey,
    }));
    yield page.Items ?? [];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

async function users() {
  const now = Date.now() / 1000;
  const counts = new Map();
  let sessions = 0;
  for await (const items of scanPages('id, user_id, #e', { '#e': 'expires' })) {
    for (const item of items) {
      if (!item.id?.S?.startsWith(prefix)) continue;
      if (item.expires?.N !== undefined && Number(item.expires.N) <= now) continue;
      const user = item.user_id?.S ?? '(none)';
      counts.set(user, (counts.get(user) ?? 0) + 1);
      sessions++;
    }
  }
  console.log(`${counts.size} users, ${sessions} sessions`);
}

async function destroy() {
  const keys = [];
  for await (const items of scanPages('id')) {
    for (const item of items) if (item.id?.S?.startsWith(prefix)) keys.push({ id: item.id });
  }
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 25) {
    let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    const size = pending.length;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** round)));
      const reply = await send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = reply.UnprocessedItems?.[table] ?? [];
    }
    deleted += size;
  }
  console.log(`deleted ${deleted} of ${keys.length} keys`);
}

try {
  await (mode === 'users' ? users() : destroy());
  console.log(`requests: ${sent.Scan + sent.BatchWriteItem} (Scan ${sent.Scan}, ` +
    `BatchWriteItem ${sent.BatchWriteItem}, attempts incl. SDK retries ${attempts})`);
} catch (error) {
  console.error(`dynamodb_sdk_baseline ${mode}: ${error.name}: ${error.message}`);
  process.exit(1);
} finally {
  db.destroy();
}
