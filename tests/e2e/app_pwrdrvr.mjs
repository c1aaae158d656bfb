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

import { buildSessionApp, dynamoClientFor, runIfMain, serve } from './appkit.mjs';

globalThis.__importDefault ??= (m) => (m && m.__esModule ? m : { default: m });
const pwrdrvr = await import('@pwrdrvr/dynamodb-session-store');
const DynamoDBStore = pwrdrvr.DynamoDBStore ?? pwrdrvr.default?.DynamoDBStore;
if (typeof DynamoDBStore !== 'function') {
  throw new Error('@pwrdrvr/dynamodb-session-store does not export DynamoDBStore');
}

export { COOKIE_NAME, SESSION_MAX_AGE_MS, USER_FIELD } from './appkit.mjs';
export const SESSION_PREFIX = 'session#';
// Seconds between TTL refreshes on reads (the store caps it at 10% of the cookie maxAge).
export const TOUCH_AFTER_S = 600;

export async function startApp({ endpoint, table = 'sessions', region, port = 0, secret }) {
  const client = await dynamoClientFor({ endpoint, table, region });
  // No per-user index to maintain: the user id is only inside the session Map.
  const store = new DynamoDBStore({
    dynamoDBClient: client,
    tableName: table,
    hashKey: 'id',
    prefix: SESSION_PREFIX,
    touchAfter: TOUCH_AFTER_S,
    useStronglyConsistentReads: true,
  });
  return serve(buildSessionApp({ store, secret }), port, client, () => client.destroy());
}

await runIfMain(import.meta.url, startApp, {
  endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
  table: process.env.DYNAMODB_TABLE ?? 'sessions',
});
