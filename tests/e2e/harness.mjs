// Shared by the end-to-end tests: child processes that are always cleaned up, waiting on a
// ready line (never a fixed sleep), running the CLI, and the express apps' login and /me.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const NPM_COMMAND = 'npm ci --prefix tests/e2e';
export const PROCESS_TIMEOUT_MS = 20_000;

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function requireModules(names) {
  for (const name of names) {
    const marker = path.join(HERE, 'node_modules', name, 'package.json');
    if (!existsSync(marker)) {
      throw new Error(`${name} is missing from ${path.join(HERE, 'node_modules')}; run from the repository root: ${NPM_COMMAND}`);
    }
  }
}

export function requireCli() {
  const cli = process.env.SESSIONDESK_CLI;
  if (!cli) throw new Error('SESSIONDESK_CLI is not set; point it at the built sessiondesk-cli binary');
  try {
    accessSync(cli, constants.X_OK);
  } catch {
    throw new Error(`SESSIONDESK_CLI=${cli} is not an executable file; build the project first`);
  }
  return cli;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// Resolves with the first stdout line matching `pattern`; rejects if the process
// fails to start, exits first, or stays silent for PROCESS_TIMEOUT_MS.
export function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    const output = [];
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => finish(new Error(`${what} not ready after ${PROCESS_TIMEOUT_MS} ms:\n${tail()}`)), PROCESS_TIMEOUT_MS);
    const tail = () => output.slice(-15).join('\n');
    const onError = (err) => finish(new Error(`${what} could not be started: ${err.message}`));
    const onExit = (code, signal) => finish(new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready:\n${tail()}`));
    const finish = (err, value) => {
      clearTimeout(timer);
      child.off('error', onError);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      if (err) reject(err);
      else resolve(value);
    };
    child.stderr.on('data', (chunk) => output.push(String(chunk).trimEnd()));
    child.once('error', onError);
    child.once('exit', onExit);
    lines.on('line', (line) => {
      output.push(line);
      const match = line.match(pattern);
      if (match) finish(null, match);
    });
  });
}

// Starts one of the express apps (it prints "LISTENING <port>").
export async function startApp(script, env) {
  const child = track(spawn(process.execPath, [path.join(HERE, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, port] = await waitForLine(child, /^LISTENING (\d+)$/, 'express app');
  child.stdout.resume();
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// Runs sessiondesk-cli to completion and collects what it printed.
export function runProcess(cli, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cli, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const shown = args.map((a) => (/[?&#{}]/.test(a) ? `'${a}'` : a)).join(' ');
      resolve({ code, signal, stdout, stderr, command: `sessiondesk-cli ${shown}` });
    });
  });
}

export function describeRun(run) {
  return `${run.command}\nexit ${run.code}${run.signal ? ` (signal ${run.signal})` : ''}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

export function assertExit(run, expected) {
  assert.equal(run.code, expected, `expected exit ${expected}:\n${describeRun(run)}`);
}

export function parseJson(run) {
  try {
    return JSON.parse(run.stdout);
  } catch (err) {
    assert.fail(`stdout is not JSON (${err.message}):\n${describeRun(run)}`);
  }
}

// expires_at as ISO-8601 text or epoch seconds/milliseconds.
export function epochMs(value) {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  return Date.parse(value);
}

// Cookie value as the browser sends it, e.g. "s%3A<sid>.<signature>".
function cookieValue(response) {
  const header = response.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  assert.ok(header, `no connect.sid cookie in the login response (status ${response.status})`);
  return header.slice('connect.sid='.length).split(';')[0];
}

function sessionIdOf(cookie) {
  const match = decodeURIComponent(cookie).match(/^s:([^.]+)\./);
  assert.ok(match, `unexpected cookie format: ${cookie}`);
  return match[1];
}

export async function login(baseUrl, user) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  assert.equal(response.status, 200, `login of ${user} failed: ${await response.text()}`);
  const cookie = cookieValue(response);
  return { user, cookie, sid: sessionIdOf(cookie) };
}

export async function meStatus(baseUrl, session) {
  const response = await fetch(`${baseUrl}/me`, { headers: { cookie: `connect.sid=${session.cookie}` } });
  const body = await response.json();
  if (response.status === 200) assert.equal(body.user_id, session.user, 'GET /me answered for the wrong user');
  return response.status;
}

// --- DynamoDB (dynalite) -------------------------------------------------------------------

const AWS_ENV_DROPPED = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];

// Dummy credentials in `region`, and nothing of the machine's own AWS set-up.
export function awsEnv(dir, region, extra = {}) {
  const env = { ...process.env };
  for (const name of AWS_ENV_DROPPED) delete env[name];
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLEE2E',
    AWS_SECRET_ACCESS_KEY: 'e2e-secret-key-not-for-production',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    ...extra,
  };
}

// dynalite in a child process (its CLI has no --host option, so through its API),
// in memory, on a port the kernel picks on 127.0.0.1 — no free-port race.
const DYNALITE_SCRIPT = `
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => console.log('DYNALITE ' + server.address().port));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
`;

export async function startDynalite(env) {
  const child = track(spawn(process.execPath, ['-e', DYNALITE_SCRIPT], { cwd: HERE, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, port] = await waitForLine(child, /^DYNALITE (\d+)$/, 'dynalite');
  child.stdout.resume();
  return { child, port: Number(port), endpoint: `http://127.0.0.1:${port}` };
}
