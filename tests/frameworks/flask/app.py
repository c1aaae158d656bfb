"""A small Flask app whose sessions live in Redis through Flask-Session, with Flask-Login.

Debian 12's python3-flask-session is 0.3.2: keys "session:<uuid4>", values pickled with the
default protocol, SETEX with PERMANENT_SESSION_LIFETIME (Flask's default, 31 days). The cookie
"session" carries the id signed with itsdangerous (SESSION_USE_SIGNER).

Run with Debian's interpreter (the packages live there, not in a pyenv python):
    REDIS_URL=redis://127.0.0.1:6379 PORT=0 /usr/bin/python3 app.py
It prints "LISTENING <port>" on stdout once it accepts connections.
"""

import base64
import datetime
import hashlib
import json
import os
import secrets
import signal
import sys
from pathlib import Path

import redis
from flask import Flask, jsonify, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_session import Session
from werkzeug.serving import make_server

USERS = json.loads((Path(__file__).parent.parent / "users.json").read_text())["users"]
USERS_BY_NAME = {u["name"]: u for u in USERS}
USERS_BY_ID = {str(u["id"]): u for u in USERS}


class User(UserMixin):
    def __init__(self, record):
        self.record = record

    def get_id(self):
        return str(self.record["id"])


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(claims: dict) -> str:
    """A token-shaped string (header.payload.signature), valid nowhere."""
    header = base64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fixture-key-1"}).encode())
    return f"{header}.{base64url(json.dumps(claims).encode())}.{base64url(secrets.token_bytes(32))}"


def create_app(redis_url: str, secret: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret,
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis.from_url(redis_url),
        SESSION_USE_SIGNER=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    Session(app)
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id):
        record = USERS_BY_ID.get(user_id)
        return User(record) if record else None

    @app.get("/")
    def home():
        # The login page: like Flask-WTF rendering a form, it keeps a CSRF token in the
        # anonymous visitor's session (Flask-WTF's shape: 40 hex characters).
        session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        return jsonify(csrf_token=session["csrf_token"])

    @app.post("/login")
    def login():
        body = request.get_json(silent=True) or {}
        name = str(body.get("user", "")).strip()
        if not name:
            return jsonify(error='field "user" is required'), 400
        record = USERS_BY_NAME.get(name)
        if record is None:
            return jsonify(error=f"no such user: {name}"), 404
        login_user(User(record))
        now = datetime.datetime.now(datetime.timezone.utc)
        epoch = int(now.timestamp())
        session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        session["login_at"] = now
        session["user_agent"] = request.headers.get("User-Agent")
        session["ip"] = request.remote_addr
        # The token dict an OAuth client (e.g. Authlib) keeps in the session.
        session["oauth_token"] = {
            "access_token": fake_jwt({"iss": "https://id.example.com", "sub": str(record["id"]), "iat": epoch,
                                      "exp": epoch + 3600, "scope": "openid email profile"}),
            "token_type": "Bearer",
            "refresh_token": base64url(secrets.token_bytes(48)),
            "expires_in": 3600,
            "expires_at": epoch + 3600,
        }
        return jsonify(user_id=name, session_user=str(record["id"]))

    @app.get("/me")
    def me():
        if not current_user.is_authenticated:
            return jsonify(error="not logged in"), 401
        return jsonify(user_id=current_user.record["name"], email=current_user.record["email"])

    @app.post("/logout")
    def logout():
        logout_user()
        session.clear()
        return "", 204

    return app


def main():
    app = create_app(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"),
                     os.environ.get("SESSION_SECRET") or secrets.token_hex(32))
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), app)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
