// The generic netlink plumbing every dirtyscope.ko client in lib/stats
// shares (the statistics source, the events subscriber, the SPP counts
// source): move-only owners of libnl objects, connecting and resolving the
// family, and one request/response exchange with strict error reporting.
// Private to lib/stats; the wire contract is <linux/dirtyscope.h>.
#pragma once

#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "c_ptr.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"

namespace dirtyscope::stats::kmod {

// Throws KmodProtocolError("dirtyscope.ko <where>: <what>").
[[noreturn]] void bad(const std::string& where, const std::string& what);
// "LIST_VMS", "SPP_SET", ... for messages.
const char* cmd_name(unsigned cmd);
std::string nl_error(int err);

using NlSocket = CPtr<nl_sock, nl_socket_free>;  // freeing closes the fd too
using MsgPtr = CPtr<nl_msg, nlmsg_free>;
using CbPtr = CPtr<nl_cb, nl_cb_put>;

// A request the kernel refused: errno plus the module's extack text.
class KmodRequestError : public std::system_error {
 public:
  KmodRequestError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
};

// How long a reply may take. The module answers at once; this only keeps a
// wedged kernel from hanging a tool forever.
constexpr int kReplyTimeoutS = 5;

// Why an unprivileged caller sees fewer VMs, or none of another user's
// (the module's read rule, kmod/access.h): appended to errors that can
// stem from it.
constexpr const char* kKmodVisibility =
    "dirtyscope.ko shows a caller without CAP_SYS_ADMIN, CAP_PERFMON or CAP_SYS_PTRACE only the VMs of its own "
    "effective uid, and its events group needs CAP_SYS_ADMIN";

struct Connected {
  NlSocket sock{nl_socket_alloc()};  // null if out of memory: connect_family() throws
  int family = 0;
};

// Connects a generic netlink socket and resolves the family.
// StatsUnavailable (kKmodNotLoaded) when the family is not registered.
Connected connect_family();

// State of one exchange, shared with the C callbacks.
struct Exchange {
  int family = 0;
  std::uint8_t cmd = 0;
  const std::function<void(const nlmsghdr*)>* on_msg = nullptr;
  bool done = false;
  int error = 0;
  std::string extack;
  std::exception_ptr failure;  // first exception from on_msg
};

// NL_CB_VALID handler feeding an Exchange's on_msg (arg: the Exchange).
int on_valid(nl_msg* msg, void* arg);

// Sends `msg` and feeds every reply message to on_msg until the exchange
// ends: ACK (do), DONE (dump) or an error. Throws KmodRequestError with
// the errno and extack text if the kernel refused.
void transact(const Connected& c, nl_msg* msg, std::uint8_t cmd,
              const std::function<void(const nlmsghdr*)>& on_msg);
// A new request message of the family with the genetlink header filled,
// and the VM_ID attribute if `vm_id` is set.
MsgPtr request(const Connected& c, std::uint8_t cmd, int flags, std::optional<std::uint64_t> vm_id = {});

// LIST_VMS dump: every tracked VM with its totals.
std::vector<KmodVm> list_vms(const Connected& c);
// GET_STATS of one VM by id; nullopt if it is gone (destroyed since listed).
std::optional<KmodVm> get_stats(const Connected& c, std::uint64_t vm_id);
// GET_MODULE; nullopt if the caller may not read module-wide data (EPERM)
// or the module is older than the command (EOPNOTSUPP).
std::optional<KmodModule> get_module(const Connected& c);
// RESET_STATS of one VM, or of all with nullopt.
void reset_stats(const Connected& c, std::optional<std::uint64_t> vm_id);
// The process (tgid) of the thread that created a VM; the id itself if
// that thread has exited.
pid_t process_of_thread(std::uint32_t tid);
// Refuses a pid whose VMs the module would hide (kmod_visibility.cpp): an
// empty view would read as "this process has no VMs". A pid that does not
// exist (yet) passes.
void check_visible(pid_t pid);

}  // namespace dirtyscope::stats::kmod
