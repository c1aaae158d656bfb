#!/usr/bin/python3
"""Records Django signed session strings for tst_codecs_django with Debian's python3-django and
python3-django-redis-sessions: SessionStore.encode() is exactly what django-redis-sessions stores
(SETEX key age encode(session_dict)). Run from this folder: /usr/bin/python3 gen.py"""
from unittest import mock

import django
from django.conf import settings

settings.configure(SECRET_KEY="sessiondesk-test-secret-not-used-anywhere-else",
                   INSTALLED_APPS=["django.contrib.sessions"])
django.setup()

from django.core import signing  # noqa: E402
from redis_sessions.session import SessionStore  # noqa: E402

SIGNED_AT = 1764508763  # 2025-11-30T13:19:23Z

logged_in = {
    "_auth_user_id": "42",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "_auth_user_hash": "3f0c3c1d6d0e0c2b0e8a9f5d7b6c5a4e3d2c1b0a9f8e7d6c5b4a3928170615f4",
    "cart": [{"sku": "A-1", "qty": 2}, {"sku": "B-22", "qty": 1}],
    "note": "Zoë ✓ 日本 😀",
    "visits": 3,
    "ratio": 0.5,
    "flag": True,
    "nothing": None,
    "history": ["/page/%d" % i for i in range(40)],  # compresses well
}

with mock.patch("django.core.signing.time.time", return_value=SIGNED_AT + 0.25):
    store = SessionStore()
    outputs = {
        "compressed.txt": store.encode(logged_in),
        "small.txt": store.encode({"_auth_user_id": "7"}),
        "list.txt": signing.dumps(["not", "a", "dict"], compress=True),
        "legacy.txt": store._legacy_encode({"_auth_user_id": "9", "legacy": True}),
    }

for name, value in outputs.items():
    with open(name, "w", encoding="ascii") as out:
        out.write(value)
with open("version.txt", "w") as out:
    out.write("Django %s\n" % django.get_version())
