// Baseline for tests/bench/bench_redis.sh: what a plain client needs to read every session,
// i.e. SCAN MATCH prefix* COUNT 1000 and, per batch, pipelined PTTL + GET of each key.
// Uses the redis npm package that tests/e2e pins (npm ci --prefix tests/e2e).
// Usage: node tests/bench/scan_read.mjs redis://127.0.0.1:PORT [prefix]
import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { createClient } = require('redis');

const [url, prefix = 'sess:'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node tests/bench/scan_read.mjs redis://127.0.0.1:PORT [prefix]');
  process.exit(2);
}

const client = createClient({ url });
client.on('error', (error) => {
  console.error(`scan_read: ${error.message}`);
  process.exit(1);
});
await client.connect();

let sessions = 0;
let bytes = 0;
for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
  const batch = Array.isArray(keys) ? keys : [keys];
  const replies = await Promise.all(batch.flatMap((key) => [client.pTTL(key), client.get(key)]));
  for (let i = 1; i < replies.length; i += 2) bytes += replies[i] === null ? 0 : replies[i].length;
  sessions += batch.length;
}
await client.quit();
console.log(`${sessions} sessions, ${bytes} bytes read`);
