// The dedup site of an alert (dedup.hpp).
#include "state/dedup.hpp"

#include "engine/engine_impl.hpp"

namespace dta {

void DedupSite::bind(const Action& a) {
  action_ = &a;
  every_ = a.every_k >= 0 ? m_.const_int(a.every_k) : -1;
  keys_.set_cap(m_.opts.default_max_keys);
  if (a.site.shape != shape_) keys_.clear();  // bound again to another shape: the old keys mean nothing here
  shape_ = a.site.shape;
}

bool DedupSite::admit(const std::string& key, int64_t now, uint64_t* suppressed) {
  Key& st = keys_.touch(key);
  const bool seen = st.last != INT64_MIN;
  if (seen && (every_ < 0 || sat_sub(now, st.last) < every_)) {
    ++st.suppressed;
    return false;
  }
  *suppressed = st.suppressed;
  st.suppressed = 0;
  st.last = now;
  return true;
}

void DedupSite::save(StateWriter& w) const {
  w.u64(keys_.size());
  keys_.each_oldest([&](const std::string& key, const Key& k) {
    w.str(key);
    w.i64(k.last);
    w.u64(k.suppressed);
  });
}

bool DedupSite::load(StateReader& r) {
  keys_.clear();
  const uint64_t n = r.count(3);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const std::string key = r.str();
    if (keys_.find(key)) return r.bad(), keys_.clear(), false;  // each key once
    Key& k = keys_.touch(key);
    k.last = r.i64();
    k.suppressed = r.u64();
  }
  if (!r.ok()) keys_.clear();
  return r.ok();
}

}  // namespace dta
