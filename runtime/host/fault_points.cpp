// Fault points: the table, the decisions, and Fault's accessors (see fault_points.hpp).
#include "fault_points.hpp"

#include <algorithm>

#include "dta/hash.hpp"

namespace dta {

namespace {

constexpr double kTwoTo53 = 9007199254740992.0;

// Whether two injects say the same thing.
bool same(const Inject& a, const Inject& b) {
  if (a.point != b.point || a.probability != b.probability || a.max != b.max || a.after != b.after ||
      a.fields.size() != b.fields.size())
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const Const& x = a.fields[i].value;
    const Const& y = b.fields[i].value;
    if (a.fields[i].key != b.fields[i].key || x.type != y.type || x.i != y.i || x.f != y.f || x.b != y.b || x.s != y.s)
      return false;
  }
  return true;
}

const InjectField* field(const FaultPoint* p, std::string_view key) {
  if (!p) return nullptr;
  for (const InjectField& f : p->spec.fields)
    if (f.key == key) return &f;
  return nullptr;
}

}  // namespace

bool FaultPoint::draws(uint64_t n) const {
  if (n <= spec.after) return false;
  const double p = spec.probability;
  if (!(p > 0)) return false;  // 0, negative or NaN: never
  if (p >= 1) return true;
  const uint64_t h = hash_finish(key ^ hash_finish(n));
  return static_cast<double>(h >> 11) / kTwoTo53 < p;
}

bool FaultPoint::takes(uint64_t n) {
  if (!draws(n)) return false;
  if (spec.max == 0) return true;
  std::lock_guard lock(mu);
  // Count the drawn hits in hit order up to n (each hit is scanned once, while max is not reached).
  while (scanned < n && drawn < spec.max) {
    ++scanned;
    if (draws(scanned) && ++drawn == spec.max) last_drawn = scanned;
  }
  return drawn < spec.max || n <= last_drawn;
}

std::shared_ptr<FaultTable> FaultTable::build(const Profile& profile, uint64_t seed, const FaultTable* previous) {
  auto table = std::make_shared<FaultTable>();
  table->seed = seed;
  for (const Inject& in : profile.injects) {
    auto p = std::make_shared<FaultPoint>();
    p->spec = in;
    p->seed = seed;
    p->key = hash_finish(hash_bytes(seed, in.point));
    if (previous && previous->seed == seed)
      if (const std::shared_ptr<FaultPoint>* old = previous->find(in.point); old && same((*old)->spec, in)) {
        std::lock_guard lock((*old)->mu);
        p->hits.store((*old)->hits.load());
        p->injected.store((*old)->injected.load());
        p->scanned = (*old)->scanned;
        p->drawn = (*old)->drawn;
        p->last_drawn = (*old)->last_drawn;
      }
    table->points.push_back(std::move(p));
  }
  std::sort(table->points.begin(), table->points.end(),
            [](const auto& a, const auto& b) { return a->spec.point < b->spec.point; });
  return table;
}

const std::shared_ptr<FaultPoint>* FaultTable::find(std::string_view point) const {
  auto it = std::lower_bound(points.begin(), points.end(), point,
                             [](const auto& p, std::string_view name) { return p->spec.point < name; });
  return it != points.end() && (*it)->spec.point == point ? &*it : nullptr;
}

// ---------------------------------------------------------------- Fault

std::string_view Fault::point() const { return point_ ? std::string_view(point_->spec.point) : std::string_view(); }

bool Fault::has(std::string_view key) const { return field(point_.get(), key) != nullptr; }

int64_t Fault::get_int(std::string_view key, int64_t fallback) const {
  const InjectField* f = field(point_.get(), key);
  return f && f->value.type == Type::Int ? f->value.i : fallback;
}

double Fault::get_float(std::string_view key, double fallback) const {
  const InjectField* f = field(point_.get(), key);
  if (!f) return fallback;
  if (f->value.type == Type::Float) return f->value.f;
  return f->value.type == Type::Int ? static_cast<double>(f->value.i) : fallback;
}

bool Fault::get_bool(std::string_view key, bool fallback) const {
  const InjectField* f = field(point_.get(), key);
  return f && f->value.type == Type::Bool ? f->value.b : fallback;
}

std::string_view Fault::get_string(std::string_view key, std::string_view fallback) const {
  const InjectField* f = field(point_.get(), key);
  return f && f->value.type == Type::String ? std::string_view(f->value.s) : fallback;
}

}  // namespace dta
