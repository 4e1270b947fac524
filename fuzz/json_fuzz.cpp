// The JSON reader (`dirtyscope report` reads files people hand it): any
// bytes either parse or throw JsonParseError; a crash, another exception
// or a sanitizer report is a finding. A parsed tree is walked with the
// typed accessors, which must agree with kind().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dirtyscope/json_value.hpp"

namespace {

using dirtyscope::JsonValue;

void walk(const JsonValue& v, int depth) {
  if (depth > 64) return;
  switch (v.kind()) {
    case JsonValue::Kind::Number: (void)v.number(); break;
    case JsonValue::Kind::Bool: (void)v.boolean(); break;
    case JsonValue::Kind::String: (void)v.string(); break;
    case JsonValue::Kind::Array:
      for (const JsonValue& e : v.array()) walk(e, depth + 1);
      break;
    case JsonValue::Kind::Object:
      for (const auto& [key, e] : v.object()) {
        if (v.find(key) != &e) std::abort();  // find() must return the member itself
        walk(e, depth + 1);
      }
      break;
    case JsonValue::Kind::Null: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const JsonValue v = JsonValue::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    walk(v, 0);
  } catch (const dirtyscope::JsonParseError&) {
  }
  return 0;
}
