// The generic netlink plumbing shared by lib/stats' dirtyscope.ko clients
// (see kmod_genl.hpp).
#include "kmod_genl.hpp"

#include <linux/dirtyscope.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace dirtyscope::stats::kmod {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw KmodProtocolError("dirtyscope.ko " + where + ": " + what);
}

const char* cmd_name(unsigned cmd) {
  switch (cmd) {
    case DIRTYSCOPE_CMD_LIST_VMS: return "LIST_VMS";
    case DIRTYSCOPE_CMD_GET_STATS: return "GET_STATS";
    case DIRTYSCOPE_CMD_RESET_STATS: return "RESET_STATS";
    case DIRTYSCOPE_CMD_EVENT: return "EVENT";
    case DIRTYSCOPE_CMD_SPP_SET: return "SPP_SET";
    case DIRTYSCOPE_CMD_SPP_GET: return "SPP_GET";
    case DIRTYSCOPE_CMD_GET_MODULE: return "GET_MODULE";
    default: return "command";
  }
}

std::string nl_error(int err) { return nl_geterror(err < 0 ? -err : err); }

Connected connect_family() {
  Connected c;
  if (!c.sock) throw std::bad_alloc();
  if (const int rc = genl_connect(c.sock.get()); rc < 0)
    throw StatsUnavailable("cannot open a generic netlink socket: " + nl_error(rc));
  const int fd = nl_socket_get_fd(c.sock.get());
  const int one = 1;
  // Extended acks carry the module's reason ("no such VM") with an error;
  // capped acks leave our request out of them. Both are optional: without
  // them errors are just errno.
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  timeval tv{.tv_sec = kReplyTimeoutS, .tv_usec = 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // GET_STATS of a VM with many vCPUs exceeds a page; peeking sizes the
  // receive buffer to the datagram instead of truncating it.
  nl_socket_enable_msg_peek(c.sock.get());
  const int family = genl_ctrl_resolve(c.sock.get(), DIRTYSCOPE_GENL_NAME);
  if (family == -NLE_OBJ_NOTFOUND) throw StatsUnavailable(std::string(kKmodNotLoaded));
  if (family < 0)
    throw std::runtime_error("resolving generic netlink family '" DIRTYSCOPE_GENL_NAME "': " +
                             nl_error(family));
  c.family = family;
  return c;
}

namespace {

// The module's extack message, if the error carries one.
std::string extack_of(const nlmsgerr* e) {
  const auto* hdr = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  // TLVs follow the error, after the echoed request unless it was capped.
  std::size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  off = NLMSG_ALIGN(off);
  if (off >= hdr->nlmsg_len) return {};
  const auto* head = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(hdr) + off);
  int rem = static_cast<int>(hdr->nlmsg_len - off);
  for (const nlattr* a = head; nla_ok(a, rem); a = nla_next(a, &rem)) {
    if (nla_type(a) != NLMSGERR_ATTR_MSG || nla_len(a) < 1) continue;
    const char* s = static_cast<const char*>(nla_data(a));
    return std::string(s, strnlen(s, static_cast<std::size_t>(nla_len(a))));
  }
  return {};
}

}  // namespace

int on_valid(nl_msg* msg, void* arg) {
  auto* x = static_cast<Exchange*>(arg);
  const nlmsghdr* h = nlmsg_hdr(msg);
  // Keep reading after a bad message: the rest of the dump must be drained
  // so the socket is clean for the next request. The first error wins.
  if (x->failure) return NL_OK;
  try {
    if (h->nlmsg_type != x->family)
      bad(std::string(cmd_name(x->cmd)) + " reply",
          "message type " + std::to_string(h->nlmsg_type) + " is not the family's id " +
              std::to_string(x->family));
    (*x->on_msg)(h);
  } catch (...) {
    x->failure = std::current_exception();
  }
  return NL_OK;
}
namespace {

int on_finish(nl_msg*, void* arg) {
  static_cast<Exchange*>(arg)->done = true;
  return NL_STOP;
}
int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* x = static_cast<Exchange*>(arg);
  x->done = true;
  x->error = -e->error;
  x->extack = extack_of(e);
  return NL_STOP;
}

}  // namespace

void transact(const Connected& c, nl_msg* msg, std::uint8_t cmd,
              const std::function<void(const nlmsghdr*)>& on_msg) {
  CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) throw std::bad_alloc();
  Exchange x{.family = c.family, .cmd = cmd, .on_msg = &on_msg};
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &x);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_finish, &x);
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &x);

  const std::string what = std::string("dirtyscope ") + cmd_name(cmd);
  if (const int rc = nl_send_auto(c.sock.get(), msg); rc < 0)
    throw std::runtime_error(what + ": send: " + nl_error(rc));
  while (!x.done) {
    const int n = nl_recvmsgs_report(c.sock.get(), cb.get());
    if (x.done) break;
    if (n == 0 || n == -NLE_AGAIN)
      throw std::runtime_error(what + ": no reply within " + std::to_string(kReplyTimeoutS) + " s");
    if (n < 0) throw std::runtime_error(what + ": receive: " + nl_error(n));
  }
  if (x.error) {
    std::string m = what + ": " + std::strerror(x.error);
    if (!x.extack.empty()) m += " (" + x.extack + ")";
    throw KmodRequestError(x.error, m);
  }
  if (x.failure) std::rethrow_exception(x.failure);
}

MsgPtr request(const Connected& c, std::uint8_t cmd, int flags, std::optional<std::uint64_t> vm_id) {
  MsgPtr m(nlmsg_alloc());
  if (!m) throw std::bad_alloc();
  if (!genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, c.family, 0, flags, cmd,
                   DIRTYSCOPE_GENL_VERSION))
    throw std::runtime_error("genlmsg_put failed");
  if (vm_id && nla_put_u64(m.get(), DIRTYSCOPE_ATTR_VM_ID, *vm_id) < 0)
    throw std::runtime_error("nla_put_u64 VM_ID failed");
  return m;
}

std::vector<KmodVm> list_vms(const Connected& c) {
  std::vector<KmodVm> out;
  auto m = request(c, DIRTYSCOPE_CMD_LIST_VMS, NLM_F_DUMP);
  transact(c, m.get(), DIRTYSCOPE_CMD_LIST_VMS,
           [&](const nlmsghdr* h) { out.push_back(parse_kmod_vm(h, DIRTYSCOPE_CMD_LIST_VMS)); });
  return out;
}

namespace {

// GET_STATS as a dump (a VM whose vCPUs do not fit one reply): every
// message repeats the VM and its totals; the vCPUs are the messages' union.
void get_stats_dump(const Connected& c, std::uint64_t vm_id, std::optional<KmodVm>& vm) {
  auto m = request(c, DIRTYSCOPE_CMD_GET_STATS, NLM_F_DUMP, vm_id);
  transact(c, m.get(), DIRTYSCOPE_CMD_GET_STATS, [&](const nlmsghdr* h) {
    KmodVm part = parse_kmod_vm(h, DIRTYSCOPE_CMD_GET_STATS);
    if (!vm) {
      vm = std::move(part);
      return;
    }
    vm->vcpus.insert(vm->vcpus.end(), part.vcpus.begin(), part.vcpus.end());
  });
}

}  // namespace

std::optional<KmodVm> get_stats(const Connected& c, std::uint64_t vm_id) {
  auto m = request(c, DIRTYSCOPE_CMD_GET_STATS, 0, vm_id);
  std::optional<KmodVm> vm;
  try {
    transact(c, m.get(), DIRTYSCOPE_CMD_GET_STATS, [&](const nlmsghdr* h) {
      if (vm) bad("GET_STATS reply", "more than one reply message");
      vm = parse_kmod_vm(h, DIRTYSCOPE_CMD_GET_STATS);
    });
  } catch (const KmodRequestError& e) {
    if (e.code().value() == ENOENT) return std::nullopt;
    if (e.code().value() != EMSGSIZE) throw;
    vm.reset();
    try {
      get_stats_dump(c, vm_id, vm);
    } catch (const KmodRequestError& d) {
      if (d.code().value() == ENOENT) return std::nullopt;
      throw;
    }
  }
  if (!vm) bad("GET_STATS reply", "acknowledged without a reply message");
  if (vm->id != vm_id)
    bad("GET_STATS reply", "asked for VM " + std::to_string(vm_id) + ", got VM " + std::to_string(vm->id));
  return vm;
}

std::optional<KmodModule> get_module(const Connected& c) {
  auto m = request(c, DIRTYSCOPE_CMD_GET_MODULE, 0);
  std::optional<KmodModule> mod;
  try {
    transact(c, m.get(), DIRTYSCOPE_CMD_GET_MODULE, [&](const nlmsghdr* h) {
      if (mod) bad("GET_MODULE reply", "more than one reply message");
      mod = parse_kmod_module(h);
    });
  } catch (const KmodRequestError& e) {
    // Not ours to read (access.h), or a module from before GET_MODULE.
    if (e.code().value() == EPERM || e.code().value() == EOPNOTSUPP) return std::nullopt;
    throw;
  }
  if (!mod) bad("GET_MODULE reply", "acknowledged without a reply message");
  return mod;
}

void reset_stats(const Connected& c, std::optional<std::uint64_t> vm_id) {
  auto m = request(c, DIRTYSCOPE_CMD_RESET_STATS, 0, vm_id);
  try {
    transact(c, m.get(), DIRTYSCOPE_CMD_RESET_STATS, [](const nlmsghdr*) {
      bad("RESET_STATS reply", "unexpected reply message (only an ack is sent)");
    });
  } catch (const KmodRequestError& e) {
    // A missing privilege is "cannot do this here", like the BPF source's.
    if (e.code().value() == EPERM)
      throw StatsUnavailable(std::string(e.what()) + ": RESET_STATS needs CAP_NET_ADMIN");
    if (e.code().value() == ENOENT && vm_id) return;  // VM gone: nothing left to reset
    throw;
  }
}

// The module names VMs by the thread that created them (KVM's debugfs
// name); DirtyStats, like the BPF source, keys by process. A thread that
// has exited since cannot be resolved and keeps its own id.
pid_t process_of_thread(std::uint32_t tid) {
  std::ifstream f("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Tgid:", 0) == 0) {
      try {
        return static_cast<pid_t>(std::stol(line.substr(5)));
      } catch (const std::exception&) {
        break;
      }
    }
  }
  return static_cast<pid_t>(tid);
}

}  // namespace dirtyscope::stats::kmod
