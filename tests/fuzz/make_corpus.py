"""Writes the fuzz seeds: /usr/bin/python3 tests/fuzz/make_corpus.py

Seeds are small valid values, one type (or one opcode) per file, so that the fuzzer starts from
every branch of each decoder:
  corpus/rubymarshal  Marshal.dump of each Ruby type (ruby, with active_support), plus the
                      values of tests/data/codecs/ruby
  corpus/pickle       pickle.dumps of each Python type at protocols 0, 2 and 5, hand-made
                      opcode sequences CPython 3 no longer writes (INST, OBJ, STRING, PERSID,
                      EXT1/2/4, NEXT_BUFFER), plus tests/data/codecs/pickle
  corpus/msgpack      msgpack.packb of each type (python3-msgpack), the 32-bit forms by hand,
                      plus tests/data/codecs/msgpack
  corpus/decodevalue  a few of each of the above, JSON sessions and plain text
Needs ruby, ruby-activesupport and python3-msgpack (Debian packages).
"""
import collections
import datetime
import decimal
import glob
import hashlib
import os
import pickle
import shutil
import subprocess
import sys

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "codecs")
CORPUS = os.path.join(HERE, "corpus")


def write(codec, data, name=None):
    directory = os.path.join(CORPUS, codec)
    os.makedirs(directory, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def copy_data(codec, pattern):
    for path in sorted(glob.glob(os.path.join(DATA, pattern))):
        with open(path, "rb") as f:
            write(codec, f.read(), "data-" + os.path.basename(path))


RUBY = r'''
require "active_support"
require "active_support/hash_with_indifferent_access"
require "active_support/time"
require "bigdecimal"
require "date"
require "set"
Point = Struct.new(:x, :y)
class Thing; def initialize; @a = 1; @b = "x"; end; end
module Mixin; end
class Str < String; end
extended = Object.new.extend(Mixin)
s = "shared"
loop_list = []; loop_list << loop_list
values = [nil, true, false, 0, 5, -5, 300, -300, 70000, 2**31, 2**70, -(2**70), 1.5,
          Float::INFINITY, -Float::INFINITY, Float::NAN, "utf8 \u00e9", "bin\xff".b,
          "ascii".encode("US-ASCII"), "caf\u00e9".encode("ISO-8859-1"), :sym, [:a, :a],
          :"\u00e9", [1, [2, [3]]], {"a" => 1, :b => [2]}, Hash.new(0).merge!("k" => 1),
          Point.new(1, 2), Thing.new, /re+/im, String, Kernel, extended, Str.new("s"),
          BigDecimal("1.5"), Date.new(2024, 1, 2), 1..2, Rational(1, 3), Set[1],
          Time.at(1700000000, 5, :usec).utc, Time.at(1700000000, 7, :nsec).localtime("-05:00"),
          ActiveSupport::HashWithIndifferentAccess.new("user_id" => 1),
          Time.use_zone("UTC") { Time.zone.at(0) }, [s, s], loop_list,
          {"warden.user.user.key" => [[42], "$2a$12$abcdefghijklmnopqrstuv"]}]
values.each { |v| $stdout.write([Marshal.dump(v)].pack("m0") + "\n") }
'''


def ruby_seeds():
    out = subprocess.run(["ruby", "-e", RUBY], check=True, capture_output=True, text=True)
    import base64
    for line in out.stdout.split():
        write("rubymarshal", base64.b64decode(line))
    copy_data("rubymarshal", "ruby/*.marshal")


class Thing:
    def __init__(self):
        self.a = 1
        self.b = "x"


class Tagged(list):
    pass


def pickle_seeds():
    loop = []
    loop.append(loop)
    shared = ["s"]
    values = [None, True, False, 0, 255, 65535, -1, 2**31, 2**64, -2**100, 1.5, float("nan"),
              "t\u00e9xt\n\\", b"\x00b", bytearray(b"ba"), (), (1,), (1, 2), (1, 2, 3),
              (1, 2, 3, 4), [], [1, "a"], {}, {"a": 1, 2: [3]}, {1, 2}, frozenset([3]),
              datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
              datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc), datetime.date(2024, 1, 2),
              datetime.time(1, 2, 3, 4), datetime.timedelta(1, 2, 3), decimal.Decimal("1.5"),
              collections.OrderedDict(a=1), collections.defaultdict(int, b=2), Thing(),
              Tagged([1]), Thing, len, [shared, shared], loop,
              {"_user_id": "42", "_fresh": True}, {"_auth_user_id": "7"}]
    for value in values:
        for protocol in (0, 2, 5):
            write("pickle", pickle.dumps(value, protocol=protocol))
    hand_made = [
        b"(I01\nI00\nI-7\nI99999999999999999999\nL12L\ntp0\n.",
        b"(F1.5\nF-inf\nl.",
        b"(S'a\\'b'\nS\"q\"\nS'\\x41\\101\\n'\nl.",
        b"(V\\u00e9\\U0001f600\nl.",
        b"(lp0\nI1\nag0\na.",
        b"(ifoo\nBar\np0\n(dp1\nS'a'\nI1\nsb.",
        b"(cfoo\nBar\nI5\no.",
        b"Pperson:1\n.",
        b"\x80\x02X\x01\x00\x00\x00iQ.",
        b"\x80\x02(\x82\x01\x83\x01\x02\x84\x01\x02\x03\x04l.",
        b"\x80\x05(\x97\x98\x97l.",
        b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8f(K\x01\x90.",
        b"\x80\x02K\x01K\x020(K\x03K\x04" b"12\x86.",
        b"\x80\x04K\x07\x94r\x05\x00\x00\x00" b"0j\x05\x00\x00\x00h\x00\x86.",
        b"\x80\x04\x8c\x03foo\x8c\x03Bar\x93K\x01\x85}\x8c\x01kK\x02s\x92.",
        b"cos\nsystem\n(S'echo'\ntR.",
        b"\x80\x02\x8b\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80.",
    ]
    for data in hand_made:
        write("pickle", data)
    copy_data("pickle", "pickle/*.pickle")


def be32(n):
    return n.to_bytes(4, "big")


def msgpack_seeds():
    values = [{}, {"a": 1}, {"_user_id": "42", "_permanent": True}, {1: 2, b"k": None},
              {(1, 2): 1.5}, [0, 127, 128, 256, 65536, 2**32, 2**64 - 1, -1, -33, -129, -32769,
                              -2**31 - 1, -2**63], [1.5, float("inf")], "s" * 40, "t" * 300,
              b"b", b"c" * 300, [None, True, False], {"d": {"e": [1, [2]]}},
              msgpack.ExtType(1, b"x"), msgpack.ExtType(2, b"xy"), msgpack.ExtType(3, b"abcd"),
              msgpack.ExtType(4, b"12345678"), msgpack.ExtType(5, b"0123456789abcdef"),
              msgpack.ExtType(6, b"odd"), msgpack.ExtType(7, b"z" * 300),
              msgpack.Timestamp(1700000000), msgpack.Timestamp(1700000000, 5000),
              msgpack.Timestamp(-1, 1)]
    for value in values:
        write("msgpack", msgpack.packb(value))
    write("msgpack", msgpack.packb([0.1], use_single_float=True))
    hand_made = [b"\xdb" + be32(2) + b"hi", b"\xc6" + be32(1) + b"z",
                 b"\xdd" + be32(2) + b"\x01\x02", b"\xdf" + be32(1) + b"\xa1a\x01",
                 b"\xc9" + be32(2) + b"\x05xy", b"\x80"]
    for data in hand_made:
        write("msgpack", data)
    copy_data("msgpack", "msgpack/*.msgpack")


def decodevalue_seeds():
    for codec in ("rubymarshal", "pickle", "msgpack"):
        for path in sorted(glob.glob(os.path.join(CORPUS, codec, "data-*")))[:6]:
            shutil.copy(path, os.path.join(CORPUS, "decodevalue", codec + "-" + os.path.basename(path)))
    for data in [b'{"cookie":{"originalMaxAge":86400000,"expires":"2024-05-01T12:00:00.000Z"},'
                 b'"passport":{"user":"42"},"created":1700000000}',
                 b'{"user_id":7,"accessToken":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","ua":"curl"}',
                 b'[1,2,{"a":null}]', b"plain text", b"(not a pickle).", b"\x00\x01binary"]:
        write("decodevalue", data)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    os.makedirs(os.path.join(CORPUS, "decodevalue"))
    ruby_seeds()
    pickle_seeds()
    msgpack_seeds()
    decodevalue_seeds()


if __name__ == "__main__":
    sys.exit(main())
