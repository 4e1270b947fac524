// A small JSON reader for the project's own result files (dirty_log_perf
// --json, read back by `dirtyscope report` and the tests). The whole text
// is parsed into a tree; numbers are doubles (exact for counts < 2^53).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dirtyscope {

class JsonParseError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  // Throws JsonParseError naming the byte offset of the first problem.
  static JsonValue parse(std::string_view text);

  Kind kind() const { return kind_; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }

  // Typed access; throws JsonParseError when the kind differs.
  double number() const;
  bool boolean() const;
  const std::string& string() const;
  const std::vector<JsonValue>& array() const;
  const std::map<std::string, JsonValue>& object() const;
  // Object member, or nullptr when absent (or this is not an object).
  const JsonValue* find(const std::string& key) const;
  // Object member that must exist.
  const JsonValue& at(const std::string& key) const;

 private:
  friend class JsonParser;
  template <typename T>
  const T& as(Kind want, const T& v, const char* what) const;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace dirtyscope
