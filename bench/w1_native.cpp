// W1 hand-written: C1-C10 as the anchors' native engine writes them (switch on
// the name id, fields by key id, memcmp string tests), T and P with the spec's
// semantics.
#include "w1_native.hpp"

#include "native_engine.hpp"

namespace dta::bench {

using namespace anchors;

void NativeClassifier::on_event(const Event& e) {
  switch (e.name_id) {
    case N_HTTP_REQUEST: {
      const int64_t st = e.get_int(K_STATUS);
      if (st >= 500) {
        ++c[1];
      } else if (st >= 400) {
        const std::string& m = e.get_str(K_METHOD);
        if (eq(m, LIT("POST")) || eq(m, LIT("PUT")) || eq(m, LIT("DELETE"))) ++c[7];
      }
      break;
    }
    case N_DB_QUERY:
      if (e.get_double(K_LATENCY_MS) > 100.0) ++c[5];
      break;
    case N_FILE_OPEN:
      if (e.get_int(K_ERRNO) == 2) ++c[2];
      break;
    case N_CACHE_MISS:
      if (e.get_int(K_BYTES) > 1048576) ++c[6];
      break;
    case N_FILE_WRITE:
      if (starts_with(e.get_str(K_PATH), LIT("/etc/"))) ++c[4];
      break;
    case N_DB_OPEN:
      if (e.get_int(K_ERRNO) != 0 && ends_with(e.get_str(K_PATH), LIT(".db"))) ++c[0];
      break;
    case N_AUTH_LOGIN:
      if (!eq(e.get_str(K_RESULT), LIT("ok"))) {
        const std::string& u = e.get_str(K_USER);
        if (eq(u, LIT("root")) || eq(u, LIT("admin")) || eq(u, LIT("operator"))) ++c[3];
      }
      break;
    case N_NET_CONNECT:
    case N_NET_DNS:
      if (e.get_int(K_ERRNO) != 0) ++c[9];
      break;
    case N_PROC_SPAWN:
      if (eq(e.get_str(K_USER), LIT("root")) && ends_with(e.get_str(K_PATH), LIT(".sh"))) ++c[8];
      break;
    default:
      break;
  }
}

void EdgeCount::hit(uint64_t now) {
  ts.push_back(now);
  while (ts.front() + kSlideNs <= now) ts.pop_front();
  const bool is_above = static_cast<int64_t>(ts.size()) > limit;
  if (is_above && !above) ++fired;
  above = is_above;
}

void TumblingP99::close_before(uint64_t ts) {
  const int64_t w = static_cast<int64_t>(ts / kTumbleNs);
  if (window >= 0 && w != window && sketch.count() > 0) {
    ++windows;
    if (sketch.quantile(0.99) > limit) ++warns;
    sketch.clear();
  }
  window = w;
}

void TumblingP99::add(uint64_t ts, double v) {
  close_before(ts);
  sketch.add(v);
}

void NativeRecorder::record(const Event& e) {
  Slot& s = ring[seen & (kRing - 1)];
  ++seen;
  s.ts = e.ts_ns;
  s.name_id = e.name_id;
  s.sev = e.severity;
  s.nf = static_cast<uint8_t>(e.fields.size());
  unsigned char* p = s.data;
  for (const Field& f : e.fields) {
    *p++ = static_cast<unsigned char>(f.key_id);
    const auto t = static_cast<unsigned char>(f.v.index());
    *p++ = t;
    if (t == 0) {
      std::memcpy(p, std::get_if<int64_t>(&f.v), 8);
      p += 8;
    } else if (t == 1) {
      std::memcpy(p, std::get_if<double>(&f.v), 8);
      p += 8;
    } else {
      const std::string& str = *std::get_if<std::string>(&f.v);
      const size_t len = str.size() < 64 ? str.size() : 64;
      *p++ = static_cast<unsigned char>(len);
      std::memcpy(p, str.data(), len);
      p += len;
    }
  }
  s.len = static_cast<uint16_t>(p - s.data);
}

int NativeRecorder::dump(int64_t& sig) {
  const int k = seen < static_cast<uint64_t>(kRing) ? static_cast<int>(seen) : kRing;
  for (int i = 0; i < k; ++i) {
    const Slot& s = ring[(seen - k + i) & (kRing - 1)];
    std::memcpy(&dump_buf[i], &s, 16 + s.len);
    sig += static_cast<int64_t>(i + 1) * (s.sev + 1);
  }
  return k;
}

void NativeW1::on_event(const Event& e) {
  // windows close when event time passes their end, whatever the event
  p1.close_before(e.ts_ns);
  p2.close_before(e.ts_ns);
  rec.record(e);
  const int64_t errors_before = classify.c[0] + classify.c[1] + classify.c[3] + classify.c[9];
  classify.on_event(e);
  const bool err = classify.c[0] + classify.c[1] + classify.c[3] + classify.c[9] != errors_before;
  if (err && (!dumped || e.ts_ns - last_dump >= kDumpGapNs)) {  // D1
    dumped = true;
    last_dump = e.ts_ns;
    ++dumps;
    dumped_events += rec.dump(dsig);
  }
  switch (e.name_id) {
    case N_AUTH_LOGIN:
      if (!eq(e.get_str(K_RESULT), LIT("ok"))) t1.hit(e.ts_ns);
      break;
    case N_DB_OPEN:
      if (e.get_int(K_ERRNO) != 0) t2.hit(e.ts_ns);
      break;
    case N_HTTP_REQUEST:
      if (e.get_int(K_STATUS) >= 500) t3.hit(e.ts_ns);
      p1.add(e.ts_ns, e.get_double(K_LATENCY_MS));
      break;
    case N_DB_QUERY:
      p2.add(e.ts_ns, e.get_double(K_LATENCY_MS));
      break;
    default:
      break;
  }
}

}  // namespace dta::bench
