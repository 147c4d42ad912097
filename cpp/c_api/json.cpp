#include "c_api/json.h"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace fastdnn {

namespace {

// Deeper than any header fastdnn writes, shallow enough that the recursion
// never nears the stack's end.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(const char* text, size_t size) : text_(text), size_(size) {}

  JsonValue document() {
    JsonValue value = parse_value(0);
    skip_whitespace();
    if (position_ != size_) fail("text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw std::invalid_argument(problem + " at byte " + std::to_string(position_));
  }

  bool at_end() const { return position_ >= size_; }
  char peek() const { return at_end() ? '\0' : text_[position_]; }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[position_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++position_;
    }
  }

  void expect_word(const char* word) {
    for (const char* c = word; *c != '\0'; ++c) {
      if (peek() != *c) fail("an unknown literal");
      ++position_;
    }
  }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
    skip_whitespace();
    JsonValue value;
    switch (peek()) {
      case '{':
        parse_object(value, depth);
        break;
      case '[':
        parse_array(value, depth);
        break;
      case '"':
        value.type = JsonValue::Type::string;
        value.string = parse_string();
        break;
      case 't':
        expect_word("true");
        value.type = JsonValue::Type::boolean;
        value.boolean = true;
        break;
      case 'f':
        expect_word("false");
        value.type = JsonValue::Type::boolean;
        break;
      case 'n':
        expect_word("null");
        break;
      default:
        parse_number(value);
    }
    return value;
  }

  void parse_object(JsonValue& value, int depth) {
    value.type = JsonValue::Type::object;
    ++position_;  // '{'
    skip_whitespace();
    if (peek() == '}') {
      ++position_;
      return;
    }
    while (true) {
      skip_whitespace();
      if (peek() != '"') fail("an object key that is not a string");
      std::string key = parse_string();
      if (value.find(key) != nullptr) fail("the key '" + key + "' twice in one object");
      skip_whitespace();
      if (peek() != ':') fail("a missing ':' after an object key");
      ++position_;
      value.object.emplace_back(std::move(key), parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
      } else if (peek() == '}') {
        ++position_;
        return;
      } else {
        fail("a missing ',' or '}' in an object");
      }
    }
  }

  void parse_array(JsonValue& value, int depth) {
    value.type = JsonValue::Type::array;
    ++position_;  // '['
    skip_whitespace();
    if (peek() == ']') {
      ++position_;
      return;
    }
    while (true) {
      value.array.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
      } else if (peek() == ']') {
        ++position_;
        return;
      } else {
        fail("a missing ',' or ']' in an array");
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void parse_number(JsonValue& value) {
    const size_t start = position_;
    if (peek() == '-') ++position_;
    if (peek() == '0') {
      ++position_;
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++position_;
    } else {
      fail("an unexpected character");
    }
    bool integer = true;
    if (peek() == '.') {
      integer = false;
      ++position_;
      if (!is_digit(peek())) fail("a number without digits after '.'");
      while (is_digit(peek())) ++position_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      ++position_;
      if (peek() == '+' || peek() == '-') ++position_;
      if (!is_digit(peek())) fail("a number without digits in its exponent");
      while (is_digit(peek())) ++position_;
    }
    // from_chars reads the C locale's numbers whatever the program's locale,
    // correctly rounded; out of range it leaves `number` alone.
    const char* first = text_ + start;
    const char* last = text_ + position_;
    value.type = JsonValue::Type::number;
    value.is_integer = integer;
    const auto as_double = std::from_chars(first, last, value.number);
    if (as_double.ec == std::errc::result_out_of_range) {
      // Python reads such a number as ±inf, or ±0 when it underflows: only
      // a negative exponent makes a number written in JSON that small.
      const std::string written(first, last);
      const bool underflow =
          written.find("e-") != std::string::npos || written.find("E-") != std::string::npos;
      const double magnitude = underflow ? 0.0 : HUGE_VAL;
      value.number = *first == '-' ? -magnitude : magnitude;
    }
    if (integer) {
      const auto as_integer = std::from_chars(first, last, value.integer);
      value.integer_fits = as_integer.ec == std::errc() && as_integer.ptr == last;
    }
  }

  unsigned parse_hex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("a \\u escape without four hex digits");
      }
      ++position_;
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // One UTF-8 encoded character copied from the text, checked to be
  // well-formed (no overlong forms, no surrogates, nothing past U+10FFFF).
  void copy_utf8_character(std::string& out) {
    const auto lead = static_cast<unsigned char>(text_[position_]);
    int continuation;
    unsigned code, minimum;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1, code = lead & 0x1F, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2, code = lead & 0x0F, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3, code = lead & 0x07, minimum = 0x10000;
    } else {
      fail("text that is not UTF-8");
    }
    const size_t start = position_++;
    for (int i = 0; i < continuation; ++i) {
      const auto byte = static_cast<unsigned char>(peek());
      if (at_end() || (byte & 0xC0) != 0x80) fail("text that is not UTF-8");
      code = (code << 6) | (byte & 0x3F);
      ++position_;
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      fail("text that is not UTF-8");
    }
    out.append(text_ + start, position_ - start);
  }

  std::string parse_string() {
    ++position_;  // '"'
    std::string out;
    while (true) {
      if (at_end()) fail("a string without its closing quote");
      const char c = text_[position_];
      if (c == '"') {
        ++position_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("a control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        copy_utf8_character(out);
        continue;
      }
      ++position_;
      if (c != '\\') {
        out += c;
        continue;
      }
      const char escape = peek();
      ++position_;
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = parse_hex4();
          if (code >= 0xDC00 && code <= 0xDFFF) fail("a lone low surrogate");
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (peek() != '\\') fail("a lone high surrogate");
            ++position_;
            if (peek() != 'u') fail("a lone high surrogate");
            ++position_;
            const unsigned low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("a lone high surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default:
          --position_;
          fail("an unknown escape in a string");
      }
    }
  }

  const char* text_;
  size_t size_;
  size_t position_ = 0;
};

}  // namespace

const JsonValue* JsonValue::find(const std::string& key) const {
  for (const auto& member : object) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

JsonValue parse_json(const char* text, size_t size) {
  return Parser(text, size).document();
}

}  // namespace fastdnn
