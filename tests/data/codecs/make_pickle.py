"""Writes pickle test values: /usr/bin/python3 tests/data/codecs/make_pickle.py OUTDIR

Each NAME.pN.pickle is pickle.dumps(VALUES[NAME], protocol=N); the extra files below are made
as their function says. Classes are defined here (module __main__), so the pickles name
"__main__.Account" and so on; decoding them must never need this file.
"""
import collections
import copyreg
import datetime
import decimal
import io
import os
import pickle
import sys


class Account:
    def __init__(self):
        self.id = 42
        self.email = "ada@example.com"
        self.api_token = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = "two"


class Tagged(list):
    pass


shared = ["shared"]
loop = []
loop.append(loop)
loop_dict = {}
loop_dict["self"] = loop_dict

VALUES = {
    # Flask-Session <= 0.6 pickles dict(session); Flask-Login adds _user_id, _fresh, _id.
    "flask_session": {
        "_permanent": True,
        "_user_id": "42",
        "_fresh": True,
        "_id": "9c1e5b6a0f2d4e7b8a3c5d1e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a"
               "1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c",
        "csrf_token": "5f2c8e1a9b7d3f6e0a4c8b2d6f1e9a3c7b5d0e8f",
        "cart": [{"sku": "A-1", "qty": 2}],
    },
    # Django's cache session backend pickles the session dict itself.
    "django_session": {
        "_auth_user_id": "7",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "b4d2e6f8a0c1e3f5a7b9c0d2e4f6a8b0c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9",
        "_session_expiry": 1209600,
    },
    "types": {
        "none": None, "true": True, "false": False,
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**63 - 1, 2**64,
                 -2**100],
        "floats": [1.5, -0.0, float("inf"), float("-inf"), float("nan"), 1e300],
        "text": "caf\u00e9 \u2603 \U0001F600 line\nbreak back\\slash \x00 nul",
        "bytes": b"\x00\x01binary\xff",
        "bytearray": bytearray(b"mutable"),
        "tuple": (1, "two", (3,)),
        "empty": [(), [], {}, "", b""],
        "set": {1, 2, 3},
        "frozenset": frozenset(["x"]),
        "nested": {"a": {"b": {"c": [1, [2, [3]]]}}},
        "keys": {1: "int key", (1, 2): "tuple key", None: "none key", b"k": "bytes key"},
        "datetime": datetime.datetime(2024, 5, 1, 12, 34, 56, 789012),
        "aware": datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone(
            datetime.timedelta(hours=2))),
        "utc": datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2024, 2, 29),
        "time": datetime.time(23, 59, 58, 5),
        "timedelta": datetime.timedelta(days=2, seconds=3723, microseconds=6),
        "decimal": decimal.Decimal("12.50"),
        "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
        "default": collections.defaultdict(list, {"k": [1]}),
        "object": Account(),
        "slotted": Slotted(),
        "subclass": Tagged([1, 2]),
        "class_ref": Account,
        "function_ref": os.path.join,
    },
    "links": {"first": shared, "second": shared, "loop": loop, "loop_dict": loop_dict},
}


class WithPersistentIds(pickle.Pickler):
    def persistent_id(self, obj):
        return "row:%d" % obj.id if isinstance(obj, Account) else None


def persistent(protocol):
    buffer = io.BytesIO()
    WithPersistentIds(buffer, protocol=protocol).dump({"owner": Account()})
    return buffer.getvalue()


def extension_codes():
    copyreg.add_extension("__main__", "Account", 0xF1)        # EXT1
    copyreg.add_extension("__main__", "Slotted", 0xF1F2)      # EXT2
    copyreg.add_extension("__main__", "Tagged", 0x7FFFFF01)   # EXT4
    try:
        return pickle.dumps([Account, Slotted, Tagged], protocol=2)
    finally:
        copyreg.remove_extension("__main__", "Account", 0xF1)
        copyreg.remove_extension("__main__", "Slotted", 0xF1F2)
        copyreg.remove_extension("__main__", "Tagged", 0x7FFFFF01)


def out_of_band_buffers():
    data = [pickle.PickleBuffer(b"out of band"), pickle.PickleBuffer(bytearray(b"writable"))]
    return pickle.dumps(data, protocol=5, buffer_callback=lambda buffer: False)


def in_band_buffers():
    data = [pickle.PickleBuffer(b"in band"), pickle.PickleBuffer(bytearray(b"writable"))]
    return pickle.dumps(data, protocol=5)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, value in VALUES.items():
        for protocol in range(0, 6):
            pickled = value
            if protocol < 2 and isinstance(value, dict) and "slotted" in value:
                # Objects with __slots__ need protocol 2 or later.
                pickled = {k: v for k, v in value.items() if k != "slotted"}
            with open(os.path.join(out, "%s.p%d.pickle" % (name, protocol)), "wb") as f:
                f.write(pickle.dumps(pickled, protocol=protocol))
    extras = {
        "persistent.p0.pickle": persistent(0),
        "persistent.p2.pickle": persistent(2),
        "extension_codes.p2.pickle": extension_codes(),
        "buffers_out_of_band.p5.pickle": out_of_band_buffers(),
        "buffers_in_band.p5.pickle": in_band_buffers(),
    }
    for name, data in extras.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
