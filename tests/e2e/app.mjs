// A small but realistic express app whose sessions live in Redis through
// express-session + connect-redis (prefix "sess:", JSON values, TTL from the
// cookie's maxAge). It also keeps an app-maintained per-user index SET
// "user-sessions:<user>" of session ids, the layout SessionDesk's --user-index uses.
//
// Run directly:  REDIS_URL=redis://127.0.0.1:6379 PORT=0 SESSION_SECRET=... node app.mjs
// It prints "LISTENING <port>" on stdout once it accepts connections.
// Import it:     const app = await startApp({ redisUrl, port, secret }); ... await app.close();

import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';

import { buildSessionApp, runIfMain, serve } from './appkit.mjs';

export { COOKIE_NAME, SESSION_MAX_AGE_MS } from './appkit.mjs';
export const SESSION_PREFIX = 'sess:';

export function userIndexKey(user) {
  return `user-sessions:${user}`;
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
  const app = buildSessionApp({
    store: new RedisStore({ client, prefix: SESSION_PREFIX }),
    secret,
    // The index follows logins and logouts: a new id joins it, the old or destroyed one leaves.
    onLogin: async (previous, current) => {
      if (previous.user) await client.sRem(userIndexKey(previous.user), previous.sid);
      await client.sAdd(userIndexKey(current.user), current.sid);
    },
    onLogout: async (sid, user) => {
      if (user) await client.sRem(userIndexKey(user), sid);
    },
  });
  return serve(app, port, client, () => client.destroy());
}

await runIfMain(import.meta.url, startApp, { redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
