# Decodes Marshal-encoded session values with Ruby itself, for tests/frameworks/record.mjs.
# stdin: a JSON array of base64 strings; stdout: a JSON array of the values in the neutral form
# of tests/frameworks/README.md ({"$class": ..., "$value": ...} for anything JSON lacks).
# Only ever given values this project's own apps just wrote; Marshal.load must never see
# untrusted bytes.
require 'json'
require 'base64'
require 'time'

def neutral(value)
  case value
  when nil, true, false, Integer, Float then value
  when String
    text = value.dup.force_encoding(Encoding::UTF_8)
    text.valid_encoding? ? text : { '$class' => 'bytes', '$value' => Base64.strict_encode64(value) }
  when Symbol then { '$class' => 'Symbol', '$value' => value.to_s }
  when Array then value.map { |item| neutral(item) }
  when Hash then value.to_h { |key, item| [key.is_a?(String) ? key : key.inspect, neutral(item)] }
  when Time then { '$class' => 'Time', '$value' => value.iso8601(9) }
  else { '$class' => value.class.name, '$value' => value.inspect }
  end
end

values = JSON.parse($stdin.read).map { |encoded| neutral(Marshal.load(Base64.strict_decode64(encoded))) }
puts JSON.generate(values)
