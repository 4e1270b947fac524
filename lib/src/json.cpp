#include "dirtyscope/json.hpp"

#include <cmath>
#include <cstdio>

namespace dirtyscope {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_ << ',';
  first_.back() = false;
  newline();
}

void JsonWriter::newline() {
  if (indent_ <= 0) return;
  out_ << '\n' << std::string(first_.size() * static_cast<size_t>(indent_), ' ');
}

JsonWriter& JsonWriter::close(char c) {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) newline();
  out_ << c;
  return *this;
}

JsonWriter& JsonWriter::open(char c) {
  separate();
  out_ << c;
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  out_ << '"' << escape(k) << (indent_ > 0 ? "\": " : "\":");
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view v) {
  separate();
  out_ << '"' << escape(v) << '"';
  return *this;
}
JsonWriter& JsonWriter::value(double v) {
  separate();
  if (!std::isfinite(v)) {
    out_ << "null";  // JSON has no NaN/Inf
  } else {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.9g", v);
    out_ << buf;
  }
  return *this;
}
std::string JsonWriter::escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace dirtyscope
