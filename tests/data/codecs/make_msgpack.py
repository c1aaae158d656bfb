"""Writes MessagePack test values with Debian's python3-msgpack:
/usr/bin/python3 tests/data/codecs/make_msgpack.py OUTDIR

Each NAME.msgpack is msgpack.packb(VALUES[NAME], **OPTIONS.get(NAME, {})). The packer always
picks the shortest form, so the 32-bit lengths (str32, bin32, array32, map32, ext32) are made by
hand in tests/unit/tst_codecs_msgpack.cpp instead of as 64 KiB files here.
"""
import datetime
import os
import sys

import msgpack

VALUES = {
    # Flask-Session 0.7+ (msgspec) stores dict(session) as one map.
    "flask_session": {
        "_permanent": True,
        "_user_id": "42",
        "_fresh": True,
        "_id": "9c1e5b6a0f2d4e7b8a3c5d1e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a",
        "csrf_token": "5f2c8e1a9b7d3f6e0a4c8b2d6f1e9a3c7b5d0e8f",
    },
    "ints": [0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1,
             -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63],
    "floats": [1.5, -0.0, float("inf"), float("nan"), 1e300],
    "float32": [1.5, 0.1],
    "strings": ["", "a" * 31, "b" * 32, "c" * 255, "d" * 256, "caf\u00e9 \u2603"],
    "binary": [b"", b"\x00\xff", b"x" * 256],
    "containers": {"fixarray": list(range(15)), "array16": list(range(16)),
                   "fixmap": {str(i): i for i in range(15)},
                   "map16": {str(i): i for i in range(16)}},
    "nil_bools": [None, True, False],
    "extensions": [msgpack.ExtType(5, b"\x01"), msgpack.ExtType(6, b"ab"),
                   msgpack.ExtType(7, b"abcd"), msgpack.ExtType(8, b"abcdefgh"),
                   msgpack.ExtType(9, b"a" * 16), msgpack.ExtType(10, b"abc"),
                   msgpack.ExtType(11, b"z" * 300)],
    "timestamps": [msgpack.Timestamp(1700000000), msgpack.Timestamp(1700000000, 123456000),
                   msgpack.Timestamp(-1, 500), msgpack.Timestamp(2**34 + 5, 7)],
    "keys": {1: "int key", -2: "negative key", b"raw": "bin key", None: "nil key",
             False: "bool key", 1.5: "float key", (1, 2): "array key"},
}
OPTIONS = {"float32": {"use_single_float": True}}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, value in VALUES.items():
        with open(os.path.join(out, name + ".msgpack"), "wb") as f:
            f.write(msgpack.packb(value, **OPTIONS.get(name, {})))


if __name__ == "__main__":
    main()
