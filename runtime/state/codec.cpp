// Events in exported state: names spelled out, so another engine (another
// interner) reads them back with its own ids.
#include "state/codec.hpp"

namespace dta {

void StateWriter::event(const Event& ev, const Interner& names) {
  i64(ev.ts);
  str(names.name(ev.name));
  flag(ev.has_id);
  i64(ev.id);
  u64(static_cast<uint64_t>(ev.severity));
  u64(ev.fields().size());
  for (const Field& f : ev.fields()) {
    str(names.name(f.key));
    u64(static_cast<uint64_t>(f.type));
    flag(f.sensitive);
    const Value v = ev.value(f);
    switch (f.type) {
      case Type::Int: i64(v.i); break;
      case Type::Float: f64(v.f); break;
      case Type::Bool: flag(v.b); break;
      default: str(v.str()); break;
    }
  }
}

void StateReader::event(Event& ev, Interner& names) {
  ev.clear();
  ev.ts = i64();
  ev.name = names.intern(str());
  ev.has_id = flag();
  ev.id = i64();
  const uint64_t sev = u64();
  if (sev > static_cast<uint64_t>(Severity::Critical)) bad();
  ev.severity = static_cast<Severity>(sev);
  const uint64_t n = count(3);
  for (uint64_t i = 0; i < n && ok(); ++i) {
    const uint32_t key = names.intern(str());
    const uint64_t type = u64();
    const bool sensitive = flag();
    switch (static_cast<Type>(type)) {
      case Type::Int: ev.add_int(key, i64()); break;
      case Type::Float: ev.add_float(key, f64()); break;
      case Type::Bool: ev.add_bool(key, flag()); break;
      case Type::String: ev.add_string(key, str()); break;
      default: bad(); break;
    }
    if (sensitive && ok()) ev.mark_sensitive(key);
  }
}

}  // namespace dta
