// Writes RESP that fills Redis with express-session + connect-redis sessions, for
// `redis-cli --pipe`: `sess:<32-char sid>` JSON strings of about 600 bytes with `SET ... EX`,
// spread round-robin over the users, and optionally the application's per-user index SETs
// (`user-sessions:<user>`). Deterministic for a given --seed.
//
// Standalone: one stream to stdout (or --out FILE).
//   node redis_fill.mjs --sessions 1000000 --users 100000 [--index] [--out FILE]
// Cluster: one file per master, each key in the file of the master that owns its hash slot, so
// that each file can be piped to its own node:
//   node redis_fill.mjs ... --cluster 0-5460=A.resp,5461-10922=B.resp,10923-16383=C.resp
// Also --ttl SECONDS (7200) and --seed N (1).
import { createWriteStream } from 'node:fs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const at = args.indexOf(`--${name}`);
    return at < 0 ? fallback : args[at + 1];
};
const sessions = Number(option('sessions', 1000000));
const users = Number(option('users', 100000));
const ttl = Number(option('ttl', 7200));
const withIndex = args.includes('--index');
const clusterSpec = option('cluster', '');
let seed = Number(option('seed', 1)) >>> 0;

// xorshift32: fast and reproducible; the ids only need to look like uid-safe's.
function random() {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
}
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function sid() {
    let s = '';
    for (let i = 0; i < 32; i++) s += alphabet[random() & 63];
    return s;
}

// Redis Cluster's key slot: CRC16/XMODEM of the key (or its {hash tag}) modulo 16384.
const crcTable = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    crcTable[i] = crc;
}
function keySlot(key) {
    let bytes = Buffer.from(key);
    const open = bytes.indexOf(0x7b);
    if (open >= 0) {
        const close = bytes.indexOf(0x7d, open + 1);
        if (close > open + 1) bytes = bytes.subarray(open + 1, close);
    }
    let crc = 0;
    for (const b of bytes) crc = ((crc << 8) ^ crcTable[((crc >> 8) ^ b) & 0xff]) & 0xffff;
    return crc & 16383;
}

// Output streams: one for standalone, one per slot range for a cluster.
const outputs = [];
const slotOutput = new Int16Array(16384).fill(-1);
function makeStream(path) {
    return { stream: path ? createWriteStream(path) : process.stdout, chunks: [], size: 0 };
}
if (clusterSpec) {
    for (const part of clusterSpec.split(',')) {
        const [range, path] = part.split('=');
        const [from, to] = range.split('-').map(Number);
        outputs.push(makeStream(path));
        for (let slot = from; slot <= to; slot++) slotOutput[slot] = outputs.length - 1;
    }
    if (slotOutput.includes(-1)) throw new Error('--cluster must cover every slot 0-16383');
} else {
    outputs.push(makeStream(option('out', '')));
}

function resp(argv) {
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    return s;
}
async function emit(key, command) {
    const out = outputs[clusterSpec ? slotOutput[keySlot(key)] : 0];
    out.chunks.push(command);
    out.size += command.length;
    if (out.size >= 1 << 20) await flush(out);
}
function flush(out) {
    const data = out.chunks.join('');
    out.chunks = [];
    out.size = 0;
    return new Promise(resolve => (out.stream.write(data) ? resolve() : out.stream.once('drain', resolve)));
}

const expires = new Date(Date.now() + ttl * 1000).toISOString();
const agents = [
    'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
];
const index = withIndex ? Array.from({ length: users }, () => []) : null;
for (let i = 0; i < sessions; i++) {
    const u = i % users;
    const id = sid();
    const user = `user${u}@example.org`;
    const value = JSON.stringify({
        cookie: { originalMaxAge: ttl * 1000, expires, secure: true, httpOnly: true, path: '/', sameSite: 'lax' },
        user_id: user,
        passport: { user },
        loginAt: 1764000000000 + i,
        lastSeenAt: 1764000000000 + i * 7,
        ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        userAgent: agents[i % agents.length],
        csrfSecret: sid().slice(0, 24),
        flash: {},
        prefs: { lang: 'en', theme: i % 2 ? 'dark' : 'light', tz: 'Europe/Berlin' },
        cart: { items: (i % 5) + 1, currency: 'EUR', updatedAt: 1764000000000 + i },
    });
    const key = `sess:${id}`;
    await emit(key, resp(['SET', key, value, 'EX', String(ttl)]));
    if (index) index[u].push(id);
}
if (index) {
    for (let u = 0; u < users; u++) {
        const key = `user-sessions:user${u}@example.org`;
        if (index[u].length) await emit(key, resp(['SADD', key, ...index[u]]));
    }
}
for (const out of outputs) {
    await flush(out);
    if (out.stream !== process.stdout) await new Promise(resolve => out.stream.end(resolve));
}
