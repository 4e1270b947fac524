#include "guest_memory.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "dirtyscope/page.hpp"

namespace dirtyscope::migrate {

namespace {
using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext new_context() {
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot start a SHA-256 digest");
  return ctx;
}

Sha256 finish(EVP_MD_CTX* ctx) {
  Sha256 d{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, d.data(), &n) != 1 || n != d.size())
    throw std::runtime_error("OpenSSL: SHA-256 digest failed");
  return d;
}
}  // namespace

std::string hex_digest(const Sha256& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

GuestMemory::GuestMemory(GuestVm& guest)
    : system_(guest.system_memory().data()),
      system_pages_(guest.system_memory().size() / kPageSize),
      region_(guest.region().host()),
      region_pages_(guest.region().pages()),
      region_first_gfn_(guest.region().gfn_of(0)) {}

uint64_t GuestMemory::gfn(uint64_t index) const {
  return is_system(index) ? index : region_first_gfn_ + (index - system_pages_);
}

uint8_t* GuestMemory::page(uint64_t index) const {
  return is_system(index) ? system_ + index * kPageSize : region_ + (index - system_pages_) * kPageSize;
}

std::vector<Sha256> GuestMemory::page_digests() const {
  std::vector<Sha256> out(pages());
  for (uint64_t i = 0; i < pages(); ++i) {
    unsigned int n = 0;
    if (EVP_Digest(page(i), kPageSize, out[i].data(), &n, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("OpenSSL: SHA-256 digest failed");
  }
  return out;
}

Sha256 GuestMemory::total_digest() const {
  DigestContext ctx = new_context();
  // The two areas are contiguous on their own: two updates cover everything.
  if (EVP_DigestUpdate(ctx.get(), system_, system_pages_ * kPageSize) != 1 ||
      EVP_DigestUpdate(ctx.get(), region_, region_pages_ * kPageSize) != 1)
    throw std::runtime_error("OpenSSL: SHA-256 digest failed");
  return finish(ctx.get());
}

}  // namespace dirtyscope::migrate
