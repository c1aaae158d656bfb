// What the three express test apps (app.mjs, app_dynamodb.mjs, app_pwrdrvr.mjs) share: the
// session a login writes, the /login, /me and /logout routes, listening on loopback, a
// DynamoDB client for dynalite, and running an app file directly. Each app only brings its
// session store and, for Redis, the per-user index it maintains.

import { randomBytes, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import express from 'express';
import session from 'express-session';

export const SESSION_MAX_AGE_MS = 2 * 60 * 60 * 1000;
export const COOKIE_NAME = 'connect.sid';
export const USER_FIELD = 'user_id';

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

// What a login stores: the user id, profile, tokens and CSRF secret (which SessionDesk must
// mask), login time and device.
function sessionData(user, req) {
  const now = Math.floor(Date.now() / 1000);
  const email = user.includes('@') ? user : `${user}@example.com`;
  const common = { iss: 'https://id.example.com', sub: user, aud: 'sessiondesk-demo', iat: now };
  return {
    [USER_FIELD]: user,
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

// An express app with sessions in `store`. `onLogin(previous, current)` and
// `onLogout(sid, user)` let an app keep its own per-user index in step.
export function buildSessionApp({ store, secret, onLogin = async () => {}, onLogout = async () => {} }) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      name: COOKIE_NAME,
      store,
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
    // A fresh id on login (no session fixation).
    const previous = { sid: req.sessionID, user: req.session[USER_FIELD] };
    await promisify(req.session.regenerate.bind(req.session))();
    Object.assign(req.session, sessionData(user, req));
    await promisify(req.session.save.bind(req.session))();
    await onLogin(previous, { sid: req.sessionID, user });
    res.json({ user_id: user });
  });

  app.get('/me', (req, res) => {
    if (!req.session[USER_FIELD]) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    const { email, name } = req.session.user ?? {};
    res.json({ user_id: req.session[USER_FIELD], email, name });
  });

  app.post('/logout', async (req, res) => {
    const { sessionID: sid } = req;
    const user = req.session[USER_FIELD];
    await promisify(req.session.destroy.bind(req.session))();
    await onLogout(sid, user);
    res.clearCookie(COOKIE_NAME, { path: '/' });
    res.status(204).end();
  });

  return app;
}

// Listens on 127.0.0.1 and resolves to a handle whose close() also runs `closeClient`.
export async function serve(app, port, client, closeClient) {
  const server = await new Promise((resolve, reject) => {
    const listening = app.listen(port, '127.0.0.1');
    listening.once('listening', () => resolve(listening));
    listening.once('error', reject);
  });
  return {
    port: server.address().port,
    client,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      closeClient();
    },
  };
}

// A DynamoDB client for `endpoint` (dynalite accepts the dummy credentials) that has checked
// the table exists; throws with the cause otherwise.
export async function dynamoClientFor({ endpoint, table, region }) {
  const client = new DynamoDBClient({
    endpoint,
    region: region ?? process.env.AWS_REGION ?? 'eu-west-2',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'dummy-access-key',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'dummy-secret-key',
    },
    maxAttempts: 3,
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (err) {
    client.destroy();
    throw new Error(`cannot use DynamoDB table ${table} at ${endpoint ?? 'the default endpoint'}: ${err.name}: ${err.message}`);
  }
  return client;
}

// When the file at `moduleUrl` is the program node runs: start it with `options` plus PORT
// and SESSION_SECRET from the environment, print "LISTENING <port>", stop on SIGINT/SIGTERM.
export async function runIfMain(moduleUrl, startApp, options) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(realpathSync(process.argv[1])).href) return;
  const app = await startApp({
    ...options,
    port: Number(process.env.PORT ?? 0),
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
  });
  console.log(`LISTENING ${app.port}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => app.close().then(() => process.exit(0)));
  }
}
