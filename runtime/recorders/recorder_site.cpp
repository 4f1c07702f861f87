// The recorder site (recorder_site.hpp).
#include "recorders/recorder_site.hpp"

#include <algorithm>
#include <cstring>

#include "engine/engine_impl.hpp"
#include "recorders/slot.hpp"

namespace dta {
namespace {

// Rings of dropped keys kept for reuse: enough for the keys that come and go
// between two events, without holding memory a burst of keys left behind.
constexpr size_t kRingPool = 8;
// Idle keys dropped per recorded event at most: the sweep stays O(1) per
// event and still outpaces key creation (one per event at most).
constexpr int kIdleSweep = 2;

}  // namespace

RecorderSite::RecorderSite(std::string id, Engine::Impl& engine) : SiteState(std::move(id)), m_(engine) {
  keys_.on_evict = [this](const std::string&, Ring& r) { recycle(r); };
}

void RecorderSite::bind(const Recorder& r) {
  rec_ = &r;
  if (r.site.shape != shape_) {  // another capacity or key: the old rings mean nothing here
    single_ = Ring{};
    keys_.clear();
    pool_.clear();
  }
  shape_ = r.site.shape;
  key_field_ = r.key.empty() ? 0 : m_.names.intern(r.key);
  idle_ = r.idle_k >= 0 ? std::max<int64_t>(m_.const_int(r.idle_k), 0) : -1;
  keys_.set_cap(std::min<size_t>(kRecorderMaxKeys, m_.opts.default_max_keys));
}

bool RecorderSite::key_of(const Event& ev) {
  const Field* f = ev.find(key_field_);
  if (!f) return false;
  key_buf_.clear();
  Engine::Impl::append_key(key_buf_, ev.value(*f));
  return true;
}

void RecorderSite::recycle(Ring& ring) {
  if (pool_.size() < kRingPool) {
    ring.written = 0;
    pool_.push_back(std::move(ring));
  }
  ring = Ring{};
}

void RecorderSite::drop_idle(int64_t now) {
  for (int i = 0; i < kIdleSweep; ++i) {
    const std::string* oldest = keys_.oldest_key();
    if (!oldest) return;
    Ring* ring = keys_.find(*oldest);
    if (sat_sub(now, ring->last_seen) < idle_) return;
    recycle(*ring);
    keys_.erase(std::string(*oldest));
  }
}

void RecorderSite::put(Ring& ring, const Event& ev, std::span<const uint32_t> sensitive) {
  const uint32_t cap = rec_->capacity;
  const size_t at = ring.written % cap;
  if (at >= ring.lens.size()) {  // warming up: the ring grows to its capacity once
    ring.lens.push_back(0);
    ring.data.resize(ring.lens.size() * kRecorderSlotBytes);
  }
  char* out = ring.data.data() + at * kRecorderSlotBytes;
  ring.lens[at] = static_cast<uint16_t>(slot::encode(out, ev, [&](const Field& f) {
    if (f.sensitive) return true;
    for (const uint32_t k : sensitive)
      if (k == f.key) return true;
    return false;
  }));
  if (out[21] & slot::kTruncated) ++truncated_;
  ++ring.written;
  ring.last_seen = ev.ts;
}

void RecorderSite::record(const Event& ev, std::span<const uint32_t> sensitive) {
  if (!keyed()) {
    put(single_, ev, sensitive);
    return;
  }
  if (!key_of(ev)) return;  // no key: no ring to keep it in
  bool created = false;
  Ring& ring = keys_.touch(key_buf_, &created);
  if (created && !pool_.empty()) {
    ring = std::move(pool_.back());
    pool_.pop_back();
  }
  if (!created && idle_ >= 0 && sat_sub(ev.ts, ring.last_seen) >= idle_) ring.written = 0;  // idle: starts over
  put(ring, ev, sensitive);
  if (idle_ >= 0) drop_idle(ev.ts);
}

void RecorderSite::dump_ring(const Ring& ring, std::string& out) const {
  const uint64_t cap = rec_->capacity;
  const uint64_t n = std::min<uint64_t>(ring.written, cap);
  const uint64_t start = ring.written > cap ? ring.written % cap : 0;
  for (uint64_t i = 0; i < n; ++i) {
    slot::append_json(out, ring.slot((start + i) % cap), m_.names);
    out += '\n';
  }
}

bool RecorderSite::dump(const Event& ev, std::string& out, uint64_t* events) {
  const Ring* ring = &single_;
  if (keyed()) {
    if (!key_of(ev)) return false;
    ring = keys_.find(key_buf_);
  }
  *events = ring ? std::min<uint64_t>(ring->written, rec_->capacity) : 0;
  if (ring) dump_ring(*ring, out);
  return true;
}

void RecorderSite::discard(const Event& ev) {
  if (!keyed() || !key_of(ev)) return;
  if (Ring* ring = keys_.find(key_buf_)) {
    recycle(*ring);
    keys_.erase(key_buf_);
  }
}

size_t RecorderSite::memory() const {
  auto ring_bytes = [](const Ring& r) { return r.data.capacity() + r.lens.capacity() * sizeof(uint16_t); };
  size_t total = ring_bytes(single_);
  keys_.each([&](const std::string& k, const Ring& r) { total += k.size() + 64 + ring_bytes(r); });
  for (const Ring& r : pool_) total += ring_bytes(r);
  return total;
}

// A ring as its events, oldest first, names spelled out (another engine reads them with its own ids).
void RecorderSite::save_ring(StateWriter& w, const Ring& ring) const {
  const uint64_t cap = rec_ ? rec_->capacity : 1;
  const uint64_t n = std::min<uint64_t>(ring.written, cap);
  const uint64_t start = ring.written > cap ? ring.written % cap : 0;
  w.i64(ring.last_seen);
  w.u64(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view bytes = ring.slot((start + i) % cap);
    slot::Header h;
    std::vector<uint32_t> keys;
    slot::parse(bytes, &h, [&](const slot::FieldView& fv) { keys.push_back(fv.key); });
    w.str(m_.names.name(h.name));
    w.u64(keys.size());
    for (const uint32_t k : keys) w.str(m_.names.name(k));
    w.str(bytes);
  }
}

bool RecorderSite::load_ring(StateReader& r, Ring& ring) {
  ring = Ring{};
  ring.last_seen = r.i64();
  const uint64_t n = r.count(4);
  if (n > rec_->capacity) return r.bad(), false;
  std::vector<uint32_t> keys;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint32_t name = m_.names.intern(r.str());
    const uint64_t nk = r.count(1);
    keys.clear();
    for (uint64_t k = 0; k < nk && r.ok(); ++k) keys.push_back(m_.names.intern(r.str()));
    std::string bytes = r.str();
    if (!r.ok() || bytes.size() > kRecorderSlotBytes || !slot::remap(bytes, name, keys)) return r.bad(), false;
    ring.lens.push_back(static_cast<uint16_t>(bytes.size()));
    ring.data.resize(ring.lens.size() * kRecorderSlotBytes);
    std::memcpy(ring.data.data() + i * kRecorderSlotBytes, bytes.data(), bytes.size());
  }
  ring.written = ring.lens.size();
  return r.ok();
}

void RecorderSite::save(StateWriter& w) const {
  w.flag(keyed());
  if (!keyed()) return save_ring(w, single_);
  w.u64(keys_.size());
  keys_.each_oldest([&](const std::string& key, const Ring& ring) {
    w.str(key);
    save_ring(w, ring);
  });
}

bool RecorderSite::load(StateReader& r) {
  single_ = Ring{};
  keys_.clear();
  if (!rec_) return r.bad(), false;
  const bool was_keyed = r.flag();
  if (!r.ok() || was_keyed != keyed()) return r.bad(), false;
  if (!keyed()) {
    if (load_ring(r, single_)) return true;
    single_ = Ring{};
    return false;
  }
  const uint64_t n = r.count(3);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const std::string key = r.str();
    if (!r.ok() || keys_.find(key)) return r.bad(), keys_.clear(), false;  // each key once
    Ring ring;
    if (!load_ring(r, ring)) return keys_.clear(), false;
    keys_.touch(key) = std::move(ring);
  }
  if (!r.ok()) keys_.clear();
  return r.ok();
}

}  // namespace dta
