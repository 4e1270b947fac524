#include "report_common.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "dirtyscope/json_keys.hpp"

namespace dirtyscope::tools {

namespace perf_key = json_keys::perf;

void for_each_ran_mode(const std::string& json, const std::string& name,
                       const std::function<void(const JsonValue& config, const JsonValue& mode)>& visit) {
  try {
    const JsonValue doc = JsonValue::parse(json);
    if (const JsonValue* tool = doc.find(json_keys::kTool); !tool || !tool->is_string() || tool->string() != perf_key::kToolName)
      throw std::runtime_error("not a dirty_log_perf --json file (\"tool\" is not \"dirty_log_perf\")");
    const JsonValue& config = doc.at(json_keys::kConfig);
    for (const auto& m : doc.at(perf_key::kModes).array())
      if (m.at(perf_key::kResult).string() == perf_key::kResultOk) visit(config, m);
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
}

std::vector<std::string> ordered_modes(const std::vector<std::string>& seen) {
  std::vector<std::string> modes;
  for (const char* known : {"dirty-log", "clear-log", "dirty-ring"})
    if (std::find(seen.begin(), seen.end(), known) != seen.end()) modes.push_back(known);
  for (const std::string& m : seen)
    if (std::find(modes.begin(), modes.end(), m) == modes.end()) modes.push_back(m);
  return modes;
}

std::string size_text(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof(buf), "%gG", bytes / (1024.0 * 1024 * 1024));
  else std::snprintf(buf, sizeof(buf), "%gM", bytes / (1024.0 * 1024));
  return buf;
}

std::string gnuplot_block(const std::string& panel, const std::string& mode) {
  std::string name = "$" + panel + "_";
  for (char c : mode) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace dirtyscope::tools
