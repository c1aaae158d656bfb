// A small but realistic express app whose sessions live in DynamoDB through
// express-session + connect-dynamodb (v3, @aws-sdk/client-dynamodb): items keyed by
// `id` = "sess:<sid>", the session as a JSON string in `sess`, `expires` in epoch
// seconds. `specialKeys` copies the session's user_id to a top-level `user_id`
// attribute, so a `users-sessions` GSI on user_id can find every session of a user
// (the GOV.UK layout SessionDesk calls dynamodb-gds). The table must exist: create it
// with that GSI first (connect-dynamodb would otherwise create one without it).
//
// Run directly:  DYNAMODB_ENDPOINT=http://127.0.0.1:4567 DYNAMODB_TABLE=sessions PORT=0 \
//                SESSION_SECRET=... node app_dynamodb.mjs
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (dummies work against
// dynalite), region from AWS_REGION (default eu-west-2).
// It prints "LISTENING <port>" on stdout once it accepts connections.
// Import it:     const app = await startApp({ endpoint, table, port, secret }); ... await app.close();

import connectDynamoDB from 'connect-dynamodb';
import session from 'express-session';

import { buildSessionApp, dynamoClientFor, runIfMain, serve } from './appkit.mjs';

export { COOKIE_NAME, SESSION_MAX_AGE_MS } from './appkit.mjs';
export const SESSION_PREFIX = 'sess:';
export const USER_ATTRIBUTE = 'user_id';

const DynamoDBStore = connectDynamoDB(session);

export async function startApp({ endpoint, table = 'sessions', region, port = 0, secret }) {
  const client = await dynamoClientFor({ endpoint, table, region });
  // The GSI follows the item, so there is no separate per-user index to maintain.
  const store = new DynamoDBStore({
    client,
    table,
    prefix: SESSION_PREFIX,
    hashKey: 'id',
    specialKeys: [{ name: USER_ATTRIBUTE, type: 'S' }],
  });
  return serve(buildSessionApp({ store, secret }), port, client, () => client.destroy());
}

await runIfMain(import.meta.url, startApp, {
  endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
  table: process.env.DYNAMODB_TABLE ?? 'sessions',
});
