// A small but realistic express app whose sessions live in DynamoDB through
// express-session + @pwrdrvr/dynamodb-session-store (1.1.0, @aws-sdk v3): items keyed by
// `id` = "session#<sid>", the session as a DynamoDB Map in `sess` (written through a
// DynamoDBDocument client, with `lastModified` for its touchAfter logic), `expires` in
// epoch seconds. There is no top-level user attribute and no index: the user id lives
// only at `user_id` inside the Map (the layout SessionDesk calls dynamodb-pwrdrvr).
// The table must exist (hash key `id`, string).
//
// The published 1.1.0 dist calls a bare `__importDefault` (the tslib helper the compiler
// did not emit), so the global shim below has to exist before the module is loaded: it is
// set first, then the store is imported dynamically.
//
// Run directly:  DYNAMODB_ENDPOINT=http://127.0.0.1:4567 DYNAMODB_TABLE=sessions PORT=0 \
//                SESSION_SECRET=... node app_pwrdrvr.mjs
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (dummies work against
// dynalite), region from AWS_REGION (default eu-west-2).
// It prints "LISTENING <port>" on stdout once it accepts connections.
// Import it:     const app = await startApp({ endpoint, table, port, secret }); ... await app.close();

import { randomBytes, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import express from 'express';
import session from 'express-session';

globalThis.__importDefault ??= (m) => (m && m.__esModule ? m : { default: m });
const pwrdrvr = await import('@pwrdrvr/dynamodb-session-store');
const DynamoDBStore = pwrdrvr.DynamoDBStore ?? pwrdrvr.default?.DynamoDBStore;
if (typeof DynamoDBStore !== 'function') {
  throw new Error('@pwrdrvr/dynamodb-session-store does not export DynamoDBStore');
}

export const SESSION_PREFIX = 'session#';
export const SESSION_MAX_AGE_MS = 2 * 60 * 60 * 1000;
export const COOKIE_NAME = 'connect.sid';
export const USER_FIELD = 'user_id';
// Seconds between TTL refreshes on reads (the store caps it at 10% of the cookie maxAge).
export const TOUCH_AFTER_S = 600;

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

function buildApp(client, table, secret) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      name: COOKIE_NAME,
      store: new DynamoDBStore({
        dynamoDBClient: client,
        tableName: table,
        hashKey: 'id',
        prefix: SESSION_PREFIX,
        touchAfter: TOUCH_AFTER_S,
        useStronglyConsistentReads: true,
      }),
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
    // A fresh id on login (no session fixation). No per-user index to maintain: the
    // user id is only inside the session Map.
    await promisify(req.session.regenerate.bind(req.session))();
    Object.assign(req.session, sessionData(user, req));
    await promisify(req.session.save.bind(req.session))();
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
    await promisify(req.session.destroy.bind(req.session))();
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

export async function startApp({ endpoint, table = 'sessions', region, port = 0, secret }) {
  const client = new DynamoDBClient({
    endpoint,
    region: region ?? process.env.AWS_REGION ?? 'eu-west-2',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'dummy-access-key',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'dummy-secret-key',
    },
    maxAttempts: 3,
  });
  // Give up at start if the table is unreachable or missing, with the cause.
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (err) {
    client.destroy();
    throw new Error(`cannot use DynamoDB table ${table} at ${endpoint ?? 'the default endpoint'}: ${err.name}: ${err.message}`);
  }
  const server = await listen(buildApp(client, table, secret), port);
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
    endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    table: process.env.DYNAMODB_TABLE ?? 'sessions',
    port: Number(process.env.PORT ?? 0),
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
  });
  console.log(`LISTENING ${app.port}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => app.close().then(() => process.exit(0)));
  }
}
