"""A small Django app (settings, URLs and views in one file) whose sessions live in Redis.

    DJANGO_SESSION_BACKEND=redis-sessions  django-redis-sessions (Debian's
        python3-django-redis-sessions): key = the session key (SESSION_REDIS prefix, default
        empty; DJANGO_REDIS_PREFIX sets one), value = Django's signed string
        "<base64 JSON>:<timestamp>:<signature>", SETEX with SESSION_COOKIE_AGE (2 weeks).
    DJANGO_SESSION_BACKEND=cache  django.contrib.sessions.backends.cache on django-redis
        (python3-django-redis): key ":1:django.contrib.sessions.cache<session key>", value the
        session dict pickled by django-redis, SET ... PX.

Users are real django.contrib.auth users in an in-memory SQLite database created at start
(Django's own migrations; nothing is written to disk). CSRF_USE_SESSIONS keeps the CSRF token
in the session ("_csrftoken"), so the login page gives an anonymous visitor a session.

Run with Debian's interpreter:
    REDIS_URL=redis://127.0.0.1:6379 PORT=0 DJANGO_SESSION_BACKEND=redis-sessions /usr/bin/python3 app.py
It prints "LISTENING <port>" on stdout once it accepts connections.
"""

import base64
import json
import os
import secrets
import signal
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings

USERS = json.loads((Path(__file__).parent.parent / "users.json").read_text())["users"]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
BACKEND = os.environ.get("DJANGO_SESSION_BACKEND", "redis-sessions")

if BACKEND == "redis-sessions":
    session_settings = {
        "SESSION_ENGINE": "redis_sessions.session",
        "SESSION_REDIS": {"url": REDIS_URL, "prefix": os.environ.get("DJANGO_REDIS_PREFIX", "")},
    }
elif BACKEND == "cache":
    session_settings = {
        "SESSION_ENGINE": "django.contrib.sessions.backends.cache",
        "CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}},
    }
else:
    sys.exit(f"app.py: DJANGO_SESSION_BACKEND must be redis-sessions or cache, not {BACKEND}")

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY=os.environ.get("SESSION_SECRET") or secrets.token_hex(32),
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    # A shared-cache in-memory database: it lives as long as the process (Django never closes
    # an in-memory SQLite connection).
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": "file:sessiondesk-fixture-auth?mode=memory&cache=shared"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
    CSRF_USE_SESSIONS=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    **session_settings,
)
django.setup()

from django.contrib.auth import login as auth_login  # noqa: E402  (needs settings first)
from django.contrib.auth import logout as auth_logout  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django.views.decorators.http import require_GET, require_POST  # noqa: E402


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(claims: dict) -> str:
    """A token-shaped string (header.payload.signature), valid nowhere."""
    header = base64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fixture-key-1"}).encode())
    return f"{header}.{base64url(json.dumps(claims).encode())}.{base64url(secrets.token_bytes(32))}"


@require_GET
def home(request):
    # The login page: the form's CSRF token goes into the (anonymous) session.
    return JsonResponse({"csrf_token": get_token(request)})


@csrf_exempt  # a JSON API login; the session still gets Django's rotated CSRF token
@require_POST
def login(request):
    try:
        name = str(json.loads(request.body or b"{}").get("user", "")).strip()
    except (ValueError, AttributeError):
        name = ""
    if not name:
        return JsonResponse({"error": 'field "user" is required'}, status=400)
    user = User.objects.filter(username=name).first()
    if user is None:
        return JsonResponse({"error": f"no such user: {name}"}, status=404)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = timezone.now()
    epoch = int(now.timestamp())
    request.session["login_at"] = now.isoformat()
    request.session["user_agent"] = request.META.get("HTTP_USER_AGENT")
    request.session["ip"] = request.META.get("REMOTE_ADDR")
    request.session["oauth_token"] = {
        "access_token": fake_jwt({"iss": "https://id.example.com", "sub": str(user.pk), "iat": epoch,
                                  "exp": epoch + 3600, "scope": "openid email profile"}),
        "token_type": "Bearer",
        "refresh_token": base64url(secrets.token_bytes(48)),
        "expires_at": epoch + 3600,
    }
    return JsonResponse({"user_id": name, "session_user": str(user.pk)})


@require_GET
def me(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not logged in"}, status=401)
    return JsonResponse({"user_id": request.user.username, "email": request.user.email})


@csrf_exempt
@require_POST
def logout(request):
    auth_logout(request)
    return HttpResponse(status=204)


urlpatterns = [path("", home), path("login", login), path("me", me), path("logout", logout)]


def create_users():
    call_command("migrate", verbosity=0, interactive=False)
    for record in USERS:
        user = User(pk=record["id"], username=record["name"], email=record["email"])
        # Accounts that sign in through an identity provider (the session's oauth_token) have no
        # password of their own; it also spares a PBKDF2 run per user at every start.
        user.set_unusable_password()
        user.save()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    from django.core.wsgi import get_wsgi_application

    create_users()
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), get_wsgi_application(),
                         handler_class=QuietHandler)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
