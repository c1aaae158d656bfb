// Baseline helper for bench_redis_scale.sh on a cluster, where one MGET cannot span slots:
// reads session keys (one a line, as `redis-cli --scan` prints them) from stdin, GETs them from
// one node in pipelined batches of 1000 with the redis package of tests/e2e, and prints each
// session's user_id, one a line (to be counted by the caller, e.g. with awk).
// Usage: redis-cli -p PORT --scan --pattern 'sess:*' | node users_from_keys.mjs redis://127.0.0.1:PORT
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { createClient } = require('redis');

const [url] = process.argv.slice(2);
const client = createClient({ url });
client.on('error', (error) => {
    console.error(`users_from_keys: ${error.message}`);
    process.exit(1);
});
await client.connect();

let batch = [];
let out = [];
async function drain() {
    const values = await Promise.all(batch.map((key) => client.get(key)));
    batch = [];
    for (const value of values) {
        if (value === null) continue;
        try {
            out.push(String(JSON.parse(value).user_id ?? ''));
        } catch {
            out.push('');
        }
    }
    if (out.length >= 10000) {
        process.stdout.write(out.join('\n') + '\n');
        out = [];
    }
}
for await (const line of createInterface({ input: process.stdin })) {
    if (line) batch.push(line);
    if (batch.length >= 1000) await drain();
}
if (batch.length) await drain();
if (out.length) process.stdout.write(out.join('\n') + '\n');
await client.quit();
