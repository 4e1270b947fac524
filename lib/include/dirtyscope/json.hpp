// A minimal streaming JSON writer: enough for result files and stats, with
// correct string escaping and no dependency. Commas are handled by the
// writer; `indent` > 0 pretty-prints.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace dirtyscope {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out, int indent = 0) : out_(out), indent_(indent) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(uint64_t v) { return put(v); }
  JsonWriter& value(int64_t v) { return put(v); }
  JsonWriter& value(uint32_t v) { return put(v); }
  JsonWriter& value(int v) { return put(v); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v) { return put(v ? "true" : "false"); }
  JsonWriter& null() { return put("null"); }
  // Embeds an already-rendered JSON value (e.g. stats::to_json()) as is.
  JsonWriter& raw(std::string_view json) { return put(json); }
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  static std::string escape(std::string_view s);

 private:
  void separate();  // comma (and newline) before a value/key when needed
  void newline();
  JsonWriter& open(char c);
  JsonWriter& close(char c);
  template <typename T>
  JsonWriter& put(const T& v) {
    separate();
    out_ << v;
    return *this;
  }
  std::ostream& out_;
  int indent_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

}  // namespace dirtyscope
