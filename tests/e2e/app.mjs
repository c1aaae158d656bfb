// A small but realistic express app whose sessions live in Redis through
// express-session + connect-redis (prefix "sess:", JSON values, TTL from the
// cookie's maxAge). It also keeps an app-maintained per-user index SET
// "user-sessions:<user>" of session ids, the layout SessionDesk's --user-index uses.
//
// Run directly:  REDIS_URL=redis://127.0.0.1:6379 PORT=0 SESSION_SECRET=... node app.mjs
// It prints "LISTENING <port>" on stdout once it accepts connections.
// Import it:     const app = await startApp({ redisUrl, port, secret }); ... await app.close();

import { randomBytes, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';

export const SESSION_PREFIX = 'sess:';
export const SESSION_MAX_AGE_MS = 2 * 60 * 60 * 1000;
export const COOKIE_NAME = 'connect.sid';

export function userIndexKey(user) {
  return `user-sessions:${user}`;
}

function base64url(value) {
  return Buffer.from(value).toString('base64url');
}

// Token-shaped strings (header.payload.signature); never valid anywhere.
function fakeJwt(claims) {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'demo-key-1' }));
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
}

function displayName(user) {
  const local = user.split('@')[0];
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join(' ');
}

function sessionData(user, req) {
  const now = Math.floor(Date.now() / 1000);
  const email = user.includes('@') ? user : `${user}@example.com`;
  const common = { iss: 'https://id.example.com', sub: user, aud: 'sessiondesk-demo', iat: now };
  return {
    user_id: user,
    user: {
      email,
      name: displayName(user),
      tokens: {
        accessToken: fakeJwt({ ...common, exp: now + 3600, scope: 'openid email profile' }),
        refreshToken: randomBytes(48).toString('base64url'),
        idToken: fakeJwt({ ...common, exp: now + 3600, email, nonce: randomUUID() }),
      },
    },
    csrfSecret: randomBytes(18).toString('base64url'),
    loginAt: new Date().toISOString(),
    device: { userAgent: req.get('user-agent') ?? null, ip: req.ip },
  };
}

function buildApp(client, secret) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      name: COOKIE_NAME,
      store: new RedisStore({ client, prefix: SESSION_PREFIX }),
      secret,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: SESSION_MAX_AGE_MS, httpOnly: true, sameSite: 'lax' },
    }),
  );

  app.post('/login', async (req, res) => {
    const user = String(req.body?.user ?? '').trim();
    if (!user) {
      res.status(400).json({ error: 'field "user" is required' });
      return;
    }
    // A fresh id on login (no session fixation); forget the old id in its index.
    const previous = { sid: req.sessionID, user: req.session.user_id };
    await promisify(req.session.regenerate.bind(req.session))();
    if (previous.user) await client.sRem(userIndexKey(previous.user), previous.sid);
    Object.assign(req.session, sessionData(user, req));
    await promisify(req.session.save.bind(req.session))();
    await client.sAdd(userIndexKey(user), req.sessionID);
    res.json({ user_id: user });
  });

  app.get('/me', (req, res) => {
    if (!req.session.user_id) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    const { email, name } = req.session.user ?? {};
    res.json({ user_id: req.session.user_id, email, name });
  });

  app.post('/logout', async (req, res) => {
    const { sessionID: sid } = req;
    const user = req.session.user_id;
    await promisify(req.session.destroy.bind(req.session))();
    if (user) await client.sRem(userIndexKey(user), sid);
    res.clearCookie(COOKIE_NAME, { path: '/' });
    res.status(204).end();
  });

  return app;
}

function listen(app, port) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1');
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

export async function startApp({ redisUrl, port = 0, secret }) {
  // Give up if Redis is unreachable at start (connect() rejects with the cause);
  // once up, keep reconnecting like a real app would.
  let ready = false;
  const where = redisUrl.replace(/\/\/[^@/]*@/, '//');
  const reconnectStrategy = (retries, cause) =>
    !ready && retries >= 3 ? new Error(`cannot reach Redis at ${where}: ${cause.message}`) : Math.min(100 * 2 ** retries, 2000);
  const client = createClient({ url: redisUrl, socket: { reconnectStrategy } });
  client.on('error', (err) => ready && console.error(`app: redis client error: ${err.message}`));
  await client.connect();
  ready = true;
  const server = await listen(buildApp(client, secret), port);
  return {
    port: server.address().port,
    client,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      client.destroy();
    },
  };
}

function isMain() {
  return process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
}

if (isMain()) {
  const app = await startApp({
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: Number(process.env.PORT ?? 0),
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
  });
  console.log(`LISTENING ${app.port}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => app.close().then(() => process.exit(0)));
  }
}
