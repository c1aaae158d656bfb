#!/usr/bin/env node
// Fills more databases of the demo's redis-server with the sessions of other frameworks, so
// that the demo shows what SessionDesk reads beyond express:
//   db 1  Rails (redis-actionpack, Marshal)       the sessions recorded from the real framework
//   db 2  PHP (phpredis, php serialize handler)   the real app when php-cli and php-redis are
//   db 3  Flask-Session (pickle) + Flask-Login    installed (tests/frameworks/, logins through
//   db 4  Django (django-redis-sessions)          HTTP), else the recorded sessions
//   db 5  Spring Session (indexed repository)     written as shared formats describe it, with
//                                                 JDK-serialized values (tests/data/codecs/java/)
// The recorded sessions are tests/fixtures/sessions/*.json, made by tests/frameworks/record.mjs
// from the same apps. The Rails app always writes database 0 (its URL names it), where the demo
// keeps the express sessions, so Rails comes from its recording.
//
// Usage: node scripts/demo-fill-frameworks.mjs REDIS_URL
// Prints one line per database: "db N  <framework>  <how>  <count> sessions".
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  REPO_ROOT, RedisClient, USERS, USER_AGENTS, requireFramework, startFramework, stop,
} from '../tests/frameworks/frameworks.mjs';

const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures/sessions');
const JAVA = path.join(REPO_ROOT, 'tests/data/codecs/java');

const DATABASES = [
  { db: 1, name: 'rails', title: 'Rails (redis-actionpack)', live: false },
  { db: 2, name: 'php', title: 'PHP (phpredis)', live: true },
  { db: 3, name: 'flask', title: 'Flask-Session', live: true },
  { db: 4, name: 'django', title: 'Django (django-redis-sessions)', live: true },
];
export const SPRING_DB = 5;

async function select(client, db) {
  await client.command('SELECT', String(db));
}

async function loadFixture(client, name) {
  const fixture = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  let sessions = 0;
  for (const key of fixture.keys) {
    const bytes = Buffer.from(key.key_base64, 'base64');
    if (key.type === 'string') await client.command('SET', bytes, Buffer.from(key.value_base64, 'base64'));
    else if (key.type === 'set') await client.command('SADD', bytes, ...key.members);
    else continue;
    if (key.ttl_ms > 0) await client.command('PEXPIRE', bytes, String(key.ttl_ms));
    if (key.session) sessions += 1;
  }
  return sessions;
}

// Logs each demo user in a few times with different browsers through the real app.
async function fillLive(name, url) {
  const app = await startFramework(name, { redisUrl: url });
  try {
    let sessions = 0;
    for (const [i, user] of USERS.map((u) => u.name).entries()) {
      for (let n = 0; n <= i % 3; n += 1) {
        await app.login(user, { userAgent: USER_AGENTS[(i + n) % USER_AGENTS.length] });
        sessions += 1;
      }
    }
    return sessions;
  } finally {
    await app.stop();
  }
}

// --- Spring Session: what RedisIndexedSessionRepository writes for a logged-in session ------

const javaFile = (file) => readFileSync(path.join(JAVA, file));
function javaString(text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([0xac, 0xed, 0x00, 0x05, 0x74, bytes.length >> 8, bytes.length & 0xff]), bytes]);
}
function javaLong(value) {
  const bytes = Buffer.from(javaFile('spring-lastAccessedTime.ser'));
  bytes.writeBigInt64BE(BigInt(value), bytes.length - 8);
  return bytes;
}

async function fillSpring(client) {
  const principalAttribute = 'sessionAttr:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME';
  const index = 'spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:';
  const timeout = 1800;
  const people = ['alice@example.com', 'bob@example.com', 'alice@example.com', 'carol@example.com', 'dave@example.com'];
  for (const [i, user] of people.entries()) {
    const id = `3f6c2a10-${String(i).padStart(4, '0')}-4a5b-9c8d-7e6f5a4b3c2d`;
    const lastAccess = Date.now() - (i + 1) * 97_000;
    const fields = [
      'creationTime', javaLong(lastAccess - (i + 1) * 1_800_000), 'lastAccessedTime', javaLong(lastAccess),
      'maxInactiveInterval', javaFile('spring-maxInactiveInterval.ser'), 'sessionAttr:_csrf', javaFile('spring-csrf.ser'),
      principalAttribute, javaString(user),
    ];
    if (user === 'alice@example.com' && i === 0) fields.push('sessionAttr:SPRING_SECURITY_CONTEXT', javaFile('spring-security-context.ser'));
    const remaining = Math.max(60, timeout - Math.round((Date.now() - lastAccess) / 1000));
    const bucket = `spring:session:expirations:${(Math.floor((lastAccess + timeout * 1000) / 60000) + 1) * 60000}`;
    await client.command('HSET', `spring:session:sessions:${id}`, ...fields);
    await client.command('EXPIRE', `spring:session:sessions:${id}`, String(remaining + 300));
    await client.command('SET', `spring:session:sessions:expires:${id}`, '', 'EX', String(remaining));
    await client.command('SADD', bucket, `expires:${id}`);
    await client.command('EXPIRE', bucket, String(remaining + 300));
    await client.command('SADD', index + user, id);
  }
  return people.length;
}

async function main() {
  const url = (process.argv[2] ?? process.env.REDIS_URL ?? '').replace(/\/+$/, '');
  const match = url.match(/^redis:\/\/([^/:]+):(\d+)$/);
  if (!match) {
    console.error('usage: node scripts/demo-fill-frameworks.mjs redis://HOST:PORT');
    process.exit(2);
  }
  const client = await RedisClient.connect(Number(match[2]), match[1]);
  try {
    for (const { db, name, title, live } of DATABASES) {
      let how = 'recorded from the real framework';
      let sessions;
      let ready = false;
      if (live) {
        try {
          requireFramework(name);
          ready = true;
        } catch (err) {
          how = `recorded (${err.message.split(';')[0]})`;
        }
      }
      if (ready) {
        sessions = await fillLive(name, `${url}/${db}`);
        how = 'logged in through the real app';
      } else {
        await select(client, db);
        sessions = await loadFixture(client, name);
      }
      console.log(`db ${db}  ${title.padEnd(32)} ${how}: ${sessions} sessions`);
    }
    await select(client, SPRING_DB);
    const spring = await fillSpring(client);
    console.log(`db ${SPRING_DB}  ${'Spring Session (indexed)'.padEnd(32)} written as the repository does: ${spring} sessions`);
  } finally {
    client.close();
  }
}

main().catch((err) => {
  console.error(`demo-fill-frameworks: ${err.message}`);
  process.exit(1);
});
