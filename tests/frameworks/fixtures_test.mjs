// Checks the committed session fixtures (tests/fixtures/sessions/*.json) against the facts of
// shared/research/formats.md — key pattern, cookie -> key mapping, first bytes of the value, TTL,
// user field — and checks that record.mjs --check notices a changed shape. No server needed.
//
// Run: node --test tests/frameworks/fixtures_test.mjs
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';

import { FRAMEWORK_NAMES } from './frameworks.mjs';
import { classify, compareShapes, fixturePath, readable, shapeOf } from './record.mjs';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const sha256hex = (text) => createHash('sha256').update(text).digest('hex');

// What formats.md (and each app's documented settings) say a fixture must show.
//   key: every session key; cookie: the cookie value; ttlSeconds: the TTL it is written with
//   (null: no expiry); encodings: the value encodings of session keys; keyOf: cookie -> key.
const EXPECTED = {
  express: {
    key: /^sess:[A-Za-z0-9_-]{32}$/,
    cookie: /^s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%_-]+$/,
    ttlSeconds: 7200, // the app's cookie maxAge; connect-redis derives the TTL from cookie.expires
    encodings: ['json'],
    keyOf: (cookie) => `sess:${decodeURIComponent(cookie).slice(2, 34)}`,
  },
  rack: {
    key: /^rack:session:2::[0-9a-f]{64}$/,
    cookie: /^[0-9a-f]{64}$/, // plain Rack: SecureRandom.hex(32)
    ttlSeconds: null, // no expire_after: plain SET, never expires
    encodings: ['marshal 4.8'],
    keyOf: (cookie) => `rack:session:2::${sha256hex(cookie)}`,
  },
  rails: {
    key: /^session:2::[0-9a-f]{64}$/, // namespace from the servers URL path
    cookie: /^[0-9a-f]{32}$/, // Rails: SecureRandom.hex(16)
    ttlSeconds: 90 * 60, // expire_after
    encodings: ['marshal 4.8'],
    keyOf: (cookie) => `session:2::${sha256hex(cookie)}`,
  },
  php: {
    key: /^PHPREDIS_SESSION:[0-9a-v]{26}$/, // Debian's php.ini: 26 characters, 5 bits each
    cookie: /^[0-9a-v]{26}$/,
    ttlSeconds: 1440, // session.gc_maxlifetime
    encodings: ['php', 'empty'],
    keyOf: (cookie) => `PHPREDIS_SESSION:${cookie}`,
  },
  'php-serialize': {
    key: /^PHPREDIS_SESSION:[0-9a-v]{26}$/,
    cookie: /^[0-9a-v]{26}$/,
    ttlSeconds: 1440,
    encodings: ['php_serialize'],
    keyOf: (cookie) => `PHPREDIS_SESSION:${cookie}`,
  },
  flask: {
    key: new RegExp(`^session:${UUID}$`), // Flask-Session <= 0.5: uuid4 ids
    cookie: new RegExp(`^${UUID}\\.[A-Za-z0-9_-]+$`), // itsdangerous-signed id
    ttlSeconds: 31 * 24 * 3600, // PERMANENT_SESSION_LIFETIME
    encodings: ['pickle protocol 4'],
    keyOf: (cookie) => `session:${cookie.slice(0, 36)}`,
  },
  django: {
    key: /^[a-z0-9]{32}$/, // django-redis-sessions with its default empty prefix
    cookie: /^[a-z0-9]{32}$/,
    ttlSeconds: 1209600, // SESSION_COOKIE_AGE
    encodings: ['django-signed'],
    keyOf: (cookie) => cookie,
  },
  'django-cache': {
    key: /^:1:django\.contrib\.sessions\.cache[a-z0-9]{32}$/,
    cookie: /^[a-z0-9]{32}$/,
    ttlSeconds: 1209600,
    encodings: ['pickle protocol 4'],
    keyOf: (cookie) => `:1:django.contrib.sessions.cache${cookie}`,
  },
};

const load = (name) => JSON.parse(readFileSync(fixturePath(name), 'utf8'));
const encodingOf = (entry) => (entry.variant ? `${entry.encoding} ${entry.variant}` : entry.encoding);

describe('committed session fixtures match formats.md', () => {
  it('has one expectation per framework and a fixture for each', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), [...FRAMEWORK_NAMES].sort());
    for (const name of FRAMEWORK_NAMES) assert.ok(existsSync(fixturePath(name)), `${fixturePath(name)} is missing`);
  });

  for (const name of FRAMEWORK_NAMES) {
    describe(name, () => {
      const expected = EXPECTED[name];
      const fixture = existsSync(fixturePath(name)) ? load(name) : null;
      const keyEntry = (key) => fixture.keys.find((k) => k.key === key);

      it('is a complete recording of this framework', () => {
        assert.ok(fixture, 'fixture missing');
        assert.equal(fixture.framework, name);
        assert.equal(fixture.fixture_format, 1);
        const logins = fixture.sessions.filter((s) => s.user);
        assert.deepEqual(logins.map((s) => s.user), ['alice', 'bob', 'alice', 'carol']);
        assert.ok(Object.values(fixture.versions).every((v) => typeof v === 'string' && v.length), JSON.stringify(fixture.versions));
      });

      it('maps every cookie to its key, as formats.md §10 says', () => {
        for (const session of fixture.sessions.filter((s) => s.cookie)) {
          assert.match(session.cookie, expected.cookie, `${session.label}: cookie`);
          assert.equal(session.key, expected.keyOf(session.cookie), `${session.label}: key of the cookie`);
          if (session.user) assert.ok(keyEntry(session.key), `${session.label}: ${session.key} not recorded`);
        }
      });

      it('keeps sessions under the documented key pattern, encoding and TTL', () => {
        const sessionKeys = fixture.keys.filter((k) => k.session);
        assert.ok(sessionKeys.length >= 4);
        for (const entry of sessionKeys) {
          assert.match(entry.key, expected.key, `${entry.session}: key`);
          assert.equal(entry.type, 'string', `${entry.session}: type`);
          assert.ok(expected.encodings.includes(encodingOf(entry)), `${entry.session}: encoding ${encodingOf(entry)}`);
          if (expected.ttlSeconds === null) {
            assert.equal(entry.ttl_ms, -1, `${entry.session}: expected no expiry`);
          } else {
            assert.ok(entry.ttl_ms <= expected.ttlSeconds * 1000 && entry.ttl_ms > expected.ttlSeconds * 1000 - 15_000,
              `${entry.session}: TTL ${entry.ttl_ms} ms, expected about ${expected.ttlSeconds} s`);
          }
          const value = Buffer.from(entry.value_base64, 'base64');
          assert.equal(entry.value_readable, readable(value));
          assert.deepEqual(classify(value), { encoding: entry.encoding, ...(entry.variant ? { variant: entry.variant } : {}) });
        }
      });

      it("stores each login's user in the framework's user field", () => {
        for (const session of fixture.sessions.filter((s) => s.user)) {
          const decoded = keyEntry(session.key).decoded;
          assert.deepEqual(decoded[fixture.user_field], session.user_id, `${session.label}: ${fixture.user_field}`);
        }
        const anonymous = fixture.sessions.filter((s) => !s.user && s.stored);
        for (const session of anonymous) assert.ok(!(fixture.user_field in keyEntry(session.key).decoded), `${session.label} has a user`);
      });

      it('holds a token for the masking tests', () => {
        const logged = keyEntry(fixture.sessions[0].key);
        assert.match(JSON.stringify(logged.decoded), /"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"/, 'no JWT-shaped token');
      });
    });
  }

  it('django: the signed strings decode (base64, zlib when prefixed by ".") to the recorded values', () => {
    const fixture = load('django');
    const stored = fixture.keys.filter((k) => k.session);
    assert.ok(stored.some((k) => k.value_readable.startsWith('.')), 'expected a compressed signed string');
    assert.ok(stored.some((k) => !k.value_readable.startsWith('.')), 'expected an uncompressed signed string');
    for (const entry of stored) {
      const [payload] = Buffer.from(entry.value_base64, 'base64').toString('ascii').split(':');
      const bytes = Buffer.from(payload.replace(/^\./, ''), 'base64url');
      const json = payload.startsWith('.') ? inflateSync(bytes) : bytes;
      assert.deepEqual(JSON.parse(json.toString('utf8')), entry.decoded, entry.session);
    }
  });
});

describe('record.mjs --check compares shapes', () => {
  const original = load('php');
  const mutate = (change) => {
    const copy = structuredClone(original);
    change(copy);
    return compareShapes(shapeOf(original), shapeOf(copy));
  };

  it('finds no difference between a fixture and itself, nor in ids, values and small TTL drift', () => {
    assert.deepEqual(mutate(() => {}), []);
    assert.deepEqual(
      mutate((f) => {
        f.keys[0].ttl_ms -= 3000;
        f.keys[0].decoded.csrf_token = 'another token';
      }),
      [],
    );
  });

  it('reports a changed TTL, encoding, field set, field type and key pattern', () => {
    const differences = mutate((f) => {
      f.keys[0].ttl_ms = 1800 * 1000;
      f.keys[1].encoding = 'php_serialize';
      delete f.keys[2].decoded.csrf_token;
      f.keys[3].decoded.user_id = '3';
      f.keys[4].key = `sf_s${f.keys[4].key}`;
    });
    const expected = [
      /key alice#1: TTL was \d+ ms, now 1800000 ms/,
      /key bob#1: encoding was "php", now "php_serialize"/,
      /key alice#2: field csrf_token is gone/,
      /key carol#1: field user_id was integer, now string/,
      /key anonymous GET \/: pattern was "PHPREDIS_SESSION:<sid>", now "sf_sPHPREDIS_SESSION:<sid>"/,
    ];
    for (const pattern of expected) assert.ok(differences.some((d) => pattern.test(d)), `${pattern} not in:\n${differences.join('\n')}`);
  });

  it('reports a key that appears and a session no longer stored', () => {
    const differences = mutate((f) => {
      f.keys.push({ ...f.keys[0], session: null, key: `PHPREDIS_SESSION:${f.sessions[0].sid}_LOCK` });
      f.sessions[5].stored = false;
    });
    assert.ok(differences.some((d) => d.includes('PHPREDIS_SESSION:<sid>_LOCK: 0 in the fixture, 1 now')), differences.join('\n'));
    assert.ok(differences.some((d) => d.includes('session anonymous GET /me: stored was true, now false')), differences.join('\n'));
  });
});
