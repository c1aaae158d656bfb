# Writes Ruby Marshal 4.8 test values: ruby tests/data/codecs/make_ruby.rb OUTDIR
# Each file is Marshal.dump of the expression listed beside it (also in the README).
require "active_support"
require "active_support/hash_with_indifferent_access"
require "active_support/time"
require "bigdecimal"
require "date"
require "set"

out = ARGV.fetch(0)
Dir.mkdir(out) unless Dir.exist?(out)

Point = Struct.new(:x, :y)
class Account
  def initialize
    @id = 42
    @email = "ada@example.com"
    @api_token = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
  end
end
module Auditable; end
class TaggedString < String; end
class TaggedList < Array; end

Time.zone = "Europe/Berlin"
shared = "shared string"
shared_list = [1, 2]
loop_list = []
loop_list << loop_list
loop_hash = {}
loop_hash["self"] = loop_hash
extended = Object.new
extended.extend(Auditable)

values = {
  "devise_session" => {
    "session_id" => "3f1c9a7be2d04c5f8a6b1e0d9c7f2a41",
    "warden.user.user.key" => [[42], "$2a$12$K8yH1v5nVqz3bq9Q1wQeXe"],
    "_csrf_token" => "q9WnT2xV8r3LkZ1mB7cY4uH6jD0sF5aE2gP8oN1iR3w=",
    "flash" => {"discard" => [], "flashes" => {"notice" => "Signed in successfully."}}
  },
  "hwia_session" => ActiveSupport::HashWithIndifferentAccess.new(
    "user_id" => 7, "last_seen" => Time.at(1700000000, 250000, :usec).utc,
    "return_to" => "/orders/5"),
  "scalars" => [nil, true, false, 0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65535,
                65536, 2**30 - 1, -(2**30), 2**31, 2**62, 2**64, -(2**70), 1.5, -0.0,
                Float::INFINITY, -Float::INFINITY, Float::NAN, 1.0e100],
  "strings" => ["utf-8 caf\u00e9", "binary \xff\x00".b, "ascii".encode("US-ASCII"),
                "caf\u00e9".encode("ISO-8859-1"), :symbol, :symbol, :"caf\u00e9", ""],
  "time_utc" => Time.at(1700000000, 123456, :usec).utc,
  "time_offset" => Time.at(1700000000, 123456789, :nsec).localtime("+02:00"),
  "time_with_zone" => Time.zone.at(1700000000),
  "objects" => [Point.new(1, "two"), Account.new, /ab+c/ix, String, Kernel, extended,
                TaggedString.new("tagged"), TaggedList.new([1]), BigDecimal("1.5"),
                Date.new(2024, 1, 2), 1..5, Rational(1, 3), Set[1, 2]],
  "hash_default" => Hash.new("fallback").merge!("a" => 1, :b => 2, 3 => "three",
                                                 nil => "nil key", [1, 2] => "array key"),
  "links" => [shared, shared, shared_list, shared_list, loop_list, loop_hash],
}

values.each do |name, value|
  File.binwrite(File.join(out, "#{name}.marshal"), Marshal.dump(value))
end
