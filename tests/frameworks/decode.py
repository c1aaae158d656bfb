"""Decodes Python-written session values with Python itself, for tests/frameworks/record.mjs.

argv[1]: "pickle" (Flask-Session <= 0.6, Django's cache backend) or "django-signed"
(django-redis-sessions: Django's signed string, read without checking the signature).
stdin: a JSON array of base64 strings; stdout: a JSON array of the values in the neutral form
of tests/frameworks/README.md. pickle.loads runs code named by the data, so this is only ever
given values this project's own apps just wrote.
"""

import base64
import datetime
import json
import pickle
import sys
import zlib


def neutral(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$class": "bytes", "$value": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (list, tuple)):
        return [neutral(item) for item in value]
    if isinstance(value, dict):
        return {key if isinstance(key, str) else repr(key): neutral(item) for key, item in value.items()}
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        kind = type(value)
        return {"$class": f"{kind.__module__}.{kind.__qualname__}", "$value": value.isoformat()}
    kind = type(value)
    return {"$class": f"{kind.__module__}.{kind.__qualname__}", "$value": repr(value)}


def django_signed(data: bytes):
    # "<payload>:<timestamp>:<signature>"; a payload starting with "." is zlib-compressed.
    payload = data.decode("ascii").rsplit(":", 2)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def main():
    decode = {"pickle": pickle.loads, "django-signed": django_signed}[sys.argv[1]]
    values = [neutral(decode(base64.b64decode(item))) for item in json.load(sys.stdin)]
    json.dump(values, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
