#pragma once

// A minimal, strict JSON reader (RFC 8259) for the model file's header: no
// NaN or Infinity literals, no comments, no trailing commas, no duplicate
// keys, UTF-8 checked, nesting bounded. Python's json module wrote the
// header; this reads it back without any dependency beyond the standard
// library. Malformed text throws std::invalid_argument naming the byte where
// it went wrong.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fastdnn {

struct JsonValue {
  enum class Type { null, boolean, number, string, array, object };

  Type type = Type::null;
  bool boolean = false;
  double number = 0.0;
  // A number written without fraction or exponent is an integer (Python's
  // json reads it as an int); `integer` holds it when it fits 64 bits.
  bool is_integer = false;
  bool integer_fits = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in the text's order

  // The member named `key` of an object, or null when there is none.
  const JsonValue* find(const std::string& key) const;
};

// The value `text` holds, which must be one JSON value and nothing else.
JsonValue parse_json(const char* text, size_t size);

}  // namespace fastdnn
