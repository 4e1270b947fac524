// Requests the kmod clients send (SPP_SET) and the read rule they apply.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/dirtyscope.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "spp_sources.hpp"

#include "kmod_module_msg.hpp"

namespace dirtyscope::stats {
namespace {

using namespace kmod_test;

// --- SPP_SET, as the SPP counts source sends it.

TEST(KmodSppSet, RequestCarriesTheVmIdAndTheRangeInTheUapiTypes) {
  ModuleMsg m(DIRTYSCOPE_CMD_SPP_SET);
  put_spp_set(m.get(), 7, SppRange{.gfn = 0x12345, .npages = 3}, 0x0000ffffu);
  nlattr* tb[DIRTYSCOPE_ATTR_MAX + 1] = {};
  // The module's policy for these four (netlink.c): nla_parse with it must
  // accept the request and find exactly these values.
  nla_policy policy[DIRTYSCOPE_ATTR_MAX + 1] = {};
  policy[DIRTYSCOPE_ATTR_VM_ID].type = NLA_U64;
  policy[DIRTYSCOPE_ATTR_SPP_GFN].type = NLA_U64;
  policy[DIRTYSCOPE_ATTR_SPP_NPAGES].type = NLA_U32;
  policy[DIRTYSCOPE_ATTR_SPP_VECTOR].type = NLA_U32;
  ASSERT_EQ(genlmsg_parse(m.hdr(), 0, tb, DIRTYSCOPE_ATTR_MAX, policy), 0);
  ASSERT_TRUE(tb[DIRTYSCOPE_ATTR_VM_ID] && tb[DIRTYSCOPE_ATTR_SPP_GFN] && tb[DIRTYSCOPE_ATTR_SPP_NPAGES] &&
              tb[DIRTYSCOPE_ATTR_SPP_VECTOR]);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_VM_ID]), 8);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_GFN]), 8);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_NPAGES]), 4);
  EXPECT_EQ(nla_len(tb[DIRTYSCOPE_ATTR_SPP_VECTOR]), 4);
  EXPECT_EQ(nla_get_u64(tb[DIRTYSCOPE_ATTR_VM_ID]), 7u);
  EXPECT_EQ(nla_get_u64(tb[DIRTYSCOPE_ATTR_SPP_GFN]), 0x12345u);
  EXPECT_EQ(nla_get_u32(tb[DIRTYSCOPE_ATTR_SPP_NPAGES]), 3u);
  EXPECT_EQ(nla_get_u32(tb[DIRTYSCOPE_ATTR_SPP_VECTOR]), 0x0000ffffu);
  // By id only: the module refuses VM_ID together with VM_PID/VM_FD.
  EXPECT_EQ(tb[DIRTYSCOPE_ATTR_VM_PID], nullptr);
  EXPECT_EQ(tb[DIRTYSCOPE_ATTR_VM_FD], nullptr);
}

}  // namespace
}  // namespace dirtyscope::stats

// The read rule as the source applies it to a requested pid.
TEST(KmodHiddenReason, OwnUidOrACapabilitySeesTheVms) {
  using dirtyscope::stats::kmod_hidden_reason;
  EXPECT_EQ(kmod_hidden_reason(42, 1000, 1000, 0), std::nullopt);
  for (int cap : {CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_PERFMON})
    EXPECT_EQ(kmod_hidden_reason(42, 0, 1000, 1ULL << cap), std::nullopt) << cap;
  const auto why = kmod_hidden_reason(42, 0, 1000, 1ULL << CAP_NET_ADMIN);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("process 42 runs as uid 0, this caller as uid 1000"), std::string::npos) << *why;
  EXPECT_NE(why->find("CAP_PERFMON"), std::string::npos) << *why;
}
