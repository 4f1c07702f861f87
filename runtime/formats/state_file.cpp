// Engine state as bytes (encode_state / decode_state): "DTAS", a format
// version, the FNV-1a-64 checksum of the payload, then the payload in the
// state codec (codec.hpp): the clock, each site's id, kind, shape and bytes,
// the queued timers. decode checks everything; the sites' own bytes are
// checked again by each site when imported.
#include <fmt/format.h>

#include <cstring>

#include "dta/engine.hpp"
#include "dta/hash.hpp"
#include "state/codec.hpp"

namespace dta {
namespace {

constexpr char kMagic[4] = {'D', 'T', 'A', 'S'};
constexpr uint32_t kStateVersion = 1;
constexpr size_t kHeader = 16;  // magic, version, checksum

}  // namespace

std::string encode_state(const StateSnapshot& snapshot) {
  StateWriter w;
  w.i64(snapshot.clock);
  w.u64(snapshot.sites.size());
  for (const SiteSnapshot& s : snapshot.sites) {
    w.str(s.id);
    w.str(s.kind);
    w.u64(s.shape);
    w.str(s.bytes);
  }
  w.u64(snapshot.timers.size());
  for (const TimerSnapshot& t : snapshot.timers) {
    w.str(t.site);
    w.i64(t.due);
    w.u64(t.token);
    w.str(t.key);
  }
  const std::string payload = w.take();
  std::string out(kMagic, 4);
  const uint64_t sum = hash_bytes(kHashSeed, payload);
  char head[12];
  std::memcpy(head, &kStateVersion, 4);
  std::memcpy(head + 4, &sum, 8);
  out.append(head, 12);
  return out + payload;
}

Expected<StateSnapshot> decode_state(std::string_view bytes) {
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 4) != 0) return fail("not a DTA state file (bad magic)");
  uint32_t version = 0;
  uint64_t sum = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&sum, bytes.data() + 8, 8);
  if (version != kStateVersion)
    return fail(fmt::format("unsupported state version {} (this build reads {})", version, kStateVersion));
  const std::string_view payload = bytes.substr(kHeader);
  if (hash_bytes(kHashSeed, payload) != sum) return fail("state checksum mismatch (the file is corrupted)");
  StateReader r(payload);
  StateSnapshot out;
  out.clock = r.i64();
  const uint64_t nsites = r.count(4);
  for (uint64_t i = 0; i < nsites && r.ok(); ++i) {
    SiteSnapshot s;
    s.id = r.str();
    s.kind = r.str();
    s.shape = r.u64();
    s.bytes = r.str();
    out.sites.push_back(std::move(s));
  }
  const uint64_t ntimers = r.count(4);
  for (uint64_t i = 0; i < ntimers && r.ok(); ++i) {
    TimerSnapshot t;
    t.site = r.str();
    t.due = r.i64();
    t.token = r.u64();
    t.key = r.str();
    out.timers.push_back(std::move(t));
  }
  if (!r.ok()) return fail("malformed state payload");
  if (!r.at_end()) return fail("malformed state payload: trailing bytes");
  return out;
}

}  // namespace dta
