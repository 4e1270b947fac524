// KmodEventSubscriber: membership of dirtyscope.ko's "events" multicast
// group for as long as it lives.
#include <linux/dirtyscope.h>
#include <netlink/genl/ctrl.h>
#include <poll.h>

#include <cerrno>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "kmod_genl.hpp"

namespace dirtyscope::stats {

using namespace kmod;

struct KmodEventSubscriber::Impl {
  Connected conn;
};

KmodEventSubscriber::KmodEventSubscriber() : impl_(std::make_unique<Impl>(Impl{connect_family()})) {
  nl_sock* sk = impl_->conn.sock.get();
  const int grp = genl_ctrl_resolve_grp(sk, DIRTYSCOPE_GENL_NAME, DIRTYSCOPE_GENL_MCGRP_EVENTS);
  if (grp == -NLE_OBJ_NOTFOUND) throw StatsUnavailable(std::string(kKmodNotLoaded));
  if (grp < 0)
    throw std::runtime_error("resolving multicast group '" DIRTYSCOPE_GENL_MCGRP_EVENTS "': " + nl_error(grp));
  if (const int rc = nl_socket_add_membership(sk, grp); rc < 0) {
    const std::string what = "joining multicast group '" DIRTYSCOPE_GENL_MCGRP_EVENTS "': " + nl_error(rc);
    // A missing privilege is "cannot do this here", like RESET_STATS's.
    if (rc == -NLE_PERM) throw StatsUnavailable(what + " (" + kKmodVisibility + ")");
    throw std::runtime_error(what);
  }
  // poll() drains whatever is queued and must not block on an empty socket.
  if (const int rc = nl_socket_set_nonblocking(sk); rc < 0)
    throw std::runtime_error("nl_socket_set_nonblocking: " + nl_error(rc));
}

KmodEventSubscriber::~KmodEventSubscriber() = default;
KmodEventSubscriber::KmodEventSubscriber(KmodEventSubscriber&&) noexcept = default;
KmodEventSubscriber& KmodEventSubscriber::operator=(KmodEventSubscriber&&) noexcept = default;

std::vector<KmodEvent> KmodEventSubscriber::poll(int timeout_ms) {
  std::vector<KmodEvent> events;
  pollfd p{.fd = nl_socket_get_fd(impl_->conn.sock.get()), .events = POLLIN, .revents = 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  if (r <= 0) return events;

  const std::function<void(const nlmsghdr*)> on_msg = [&](const nlmsghdr* h) {
    events.push_back(parse_kmod_event(h));
  };
  CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) throw std::bad_alloc();
  Exchange x{.family = impl_->conn.family, .cmd = DIRTYSCOPE_CMD_EVENT, .on_msg = &on_msg};
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
  // Notifications carry sequence number 0, not that of a request of ours.
  // nl_socket_disable_seq_check() would only change the socket's own
  // callbacks, not this set, so accept every sequence number here.
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, [](nl_msg*, void*) { return static_cast<int>(NL_OK); }, nullptr);
  for (;;) {
    const int n = nl_recvmsgs_report(impl_->conn.sock.get(), cb.get());
    if (n == 0 || n == -NLE_AGAIN) break;  // drained
    // ENOBUFS: the kernel dropped notifications because we read too slowly.
    if (n == -NLE_NOMEM)
      throw std::runtime_error("dirtyscope events: notifications lost (socket receive buffer overflowed)");
    if (n < 0) throw std::runtime_error("dirtyscope events: receive: " + nl_error(n));
    if (x.failure) std::rethrow_exception(x.failure);
  }
  if (x.failure) std::rethrow_exception(x.failure);
  return events;
}

}  // namespace dirtyscope::stats
