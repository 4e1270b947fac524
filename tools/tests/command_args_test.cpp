// The `dirtyscope` subcommands' option parsing on its own (command_args),
// as unit tests and the option fuzzer call it: many times in one process.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli.hpp"
#include "command_args.hpp"

namespace dirtyscope::tools {
namespace {

// A mutable argv over owned strings, as getopt wants.
class Argv {
 public:
  explicit Argv(std::vector<std::string> words) : words_(std::move(words)) {
    for (std::string& w : words_) ptrs_.push_back(w.data());
    ptrs_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> ptrs_;
};

// Regression (seen while writing the options fuzzer, which parses many
// command lines in one process): a parse that threw inside a cluster
// ("-qz": q is unknown) left glibc's getopt pointing at "z"; the next parse
// restarted with optind = 1, resumed there (in the old argv, freed by
// then under the fuzzer) and refused a valid "-1".
TEST(CommandArgs, StatsParseAfterAThrowInsideAClusterStartsAfresh) {
  Argv bad({"stats", "-qz"});
  StatsArgs a;
  EXPECT_THROW(parse_stats_args(bad.argc(), bad.argv(), a), UsageError);
  Argv good({"stats", "-1"});
  StatsArgs b;
  ASSERT_TRUE(parse_stats_args(good.argc(), good.argv(), b));
  EXPECT_TRUE(b.once);
}

TEST(CommandArgs, StatsCumulativeIsOffUnlessAsked) {
  Argv plain({"stats", "--json"});
  StatsArgs a;
  ASSERT_TRUE(parse_stats_args(plain.argc(), plain.argv(), a));
  EXPECT_FALSE(a.cumulative);
  Argv asked({"stats", "--json", "--cumulative"});
  StatsArgs b;
  ASSERT_TRUE(parse_stats_args(asked.argc(), asked.argv(), b));
  EXPECT_TRUE(b.cumulative);
}

TEST(CommandArgs, ReportTakesThePlotAndEveryFile) {
  Argv args({"report", "-o", "p.svg", "a.json", "b.json"});
  ReportArgs r;
  ASSERT_TRUE(parse_report_args(args.argc(), args.argv(), r));
  EXPECT_EQ(r.plot, "p.svg");
  EXPECT_EQ(r.files, (std::vector<std::string>{"a.json", "b.json"}));
  Argv none({"report"});
  EXPECT_THROW(parse_report_args(none.argc(), none.argv(), r), UsageError);
}

TEST(CommandArgs, ReportFitWritesJsonOnlyWithFit) {
  Argv fit({"report", "--fit", "--json", "fit.json", "a.json"});
  ReportArgs r;
  ASSERT_TRUE(parse_report_args(fit.argc(), fit.argv(), r));
  EXPECT_TRUE(r.fit);
  EXPECT_EQ(r.json, "fit.json");
  Argv json_alone({"report", "--json", "fit.json", "a.json"});
  ReportArgs alone;
  EXPECT_THROW(parse_report_args(json_alone.argc(), json_alone.argv(), alone), UsageError);
}

}  // namespace
}  // namespace dirtyscope::tools
