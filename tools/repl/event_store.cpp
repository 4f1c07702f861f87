// The REPL's loaded events (event_store.hpp).
#include "event_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "dta/input.hpp"

namespace dta::repl {
namespace {

// Event names and field keys one store remembers (as an engine's max_symbols):
// beyond, a new name reads "<other>", so a stream of random keys cannot grow it without bound.
constexpr uint32_t kMaxStoredSymbols = 100000;
// Events between two progress reports and cancel checks while loading.
constexpr uint64_t kLoadCheckEvery = 16384;

}  // namespace

void EventStore::clear() {
  names_ = std::make_unique<Interner>();
  names_->set_cap(kMaxStoredSymbols);
  ts_.clear();
  name_.clear();
  id_.clear();
  flags_.clear();
  first_.assign(1, 0);
  fields_.clear();
  text_.clear();
  by_name_.clear();
}

bool EventStore::add(const Event& ev, const Interner& names) {
  if (ts_.size() >= kMaxStoredEvents) return false;
  size_t text_needed = 0;
  for (const Field& f : ev.fields())
    if (f.type == Type::String) text_needed += f.s.len;
  if (text_.size() + text_needed > kMaxStoredText) return false;
  const bool same = &names == names_.get();
  const uint32_t name = same ? ev.name : names_->intern(names.name(ev.name));
  ts_.push_back(ev.ts);
  name_.push_back(name);
  id_.push_back(ev.id);
  flags_.push_back(static_cast<uint8_t>(static_cast<uint8_t>(ev.severity) | (ev.has_id ? kHasId : 0)));
  for (const Field& f : ev.fields()) {
    Field g = f;
    if (!same) g.key = names_->intern(names.name(f.key));
    if (f.type == Type::String) {
      const std::string_view s = ev.value(f).str();
      g.s.off = static_cast<uint32_t>(text_.size());
      g.s.len = static_cast<uint32_t>(s.size());
      text_.append(s);
    }
    fields_.push_back(g);
  }
  first_.push_back(static_cast<uint32_t>(fields_.size()));
  if (name >= by_name_.size()) by_name_.resize(name + 1);
  by_name_[name].push_back(static_cast<uint32_t>(ts_.size() - 1));
  return true;
}

Expected<LoadSummary> EventStore::load(const std::vector<std::string>& paths, const JsonlOptions& jsonl,
                                       const LoadProgress& progress, const CancelCheck& cancelled) {
  clear();
  LoadSummary sum;
  InputOptions opts;
  opts.jsonl = jsonl;
  MergedInput in;
  uint64_t total = 0;
  for (const std::string& p : paths) {
    auto input = EventInput::open(p, *names_, opts);
    if (!input) return fail(fmt::format("{}: {}", p, input.error()));
    total += (*input)->stats().size;
    in.add(std::move(*input));
  }
  const Event* ev = nullptr;
  uint64_t since_check = 0;
  for (bool done = false; !done;) {
    switch (in.next(&ev)) {
      case EventInput::Status::Event:
        if (!add(*ev, *names_)) {
          sum.notes.push_back(fmt::format("the store is full: {} events kept, the rest not loaded", size()));
          done = true;
        }
        break;
      case EventInput::Status::Bad: {
        ++sum.bad;
        const EventInput& src = in.input(in.source());
        if (sum.bad <= kQuotedBadLines)
          sum.notes.push_back(fmt::format("{}:{}: {}", src.name(), src.line(), src.error()));
        break;
      }
      case EventInput::Status::Error: {
        const EventInput& src = in.input(in.source());
        const std::string why = fmt::format("{}: {}", src.name(), src.error());
        clear();
        return fail(why);
      }
      case EventInput::Status::Wait:
      case EventInput::Status::End:
        done = true;
        break;
    }
    if (++since_check >= kLoadCheckEvery) {
      since_check = 0;
      uint64_t read = 0;
      for (size_t i = 0; i < in.size(); ++i) read += in.input(i).stats().raw_bytes;
      if (progress) progress(read, total);
      if (cancelled && cancelled()) {
        sum.cancelled = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < in.size(); ++i) {
    sum.bytes += in.input(i).stats().raw_bytes;
    if (std::string n = in.input(i).take_notice(); !n.empty()) sum.notes.push_back(n);
  }
  if (sum.bad > kQuotedBadLines) sum.notes.push_back(fmt::format("... {} bad lines in all", sum.bad));
  sum.events = size();
  if (size() == 0 && !sum.cancelled) {
    const std::string why = sum.bad ? fmt::format("no events: none of the {} lines is an event ({})", sum.bad,
                                                  sum.notes.empty() ? "" : sum.notes.front())
                                    : std::string("no events: the input is empty");
    clear();
    return fail(why);
  }
  ts_.shrink_to_fit();
  fields_.shrink_to_fit();
  return sum;
}

Value EventStore::value(const Field& f) const {
  switch (f.type) {
    case Type::Int:
      return Value::of_int(f.i);
    case Type::Float:
      return Value::of_float(f.f);
    case Type::Bool:
      return Value::of_bool(f.b);
    default:
      return Value::of_string(std::string_view(text_.data() + f.s.off, f.s.len));
  }
}

std::string EventStore::value_text(const Field& f) const {
  std::string out;
  append_value(out, value(f));
  return out;
}

std::span<const uint32_t> EventStore::with_name(uint32_t name) const {
  if (name >= by_name_.size()) return {};
  return by_name_[name];
}

std::vector<uint32_t> EventStore::event_names() const {
  std::vector<uint32_t> out;
  for (uint32_t n = 0; n < by_name_.size(); ++n)
    if (!by_name_[n].empty()) out.push_back(n);
  std::stable_sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) {
    if (by_name_[a].size() != by_name_[b].size()) return by_name_[a].size() > by_name_[b].size();
    return symbol(a) < symbol(b);
  });
  return out;
}

void EventStore::to_event(size_t i, Event& ev, Interner& names, std::vector<uint32_t>& map) const {
  auto id_of = [&](uint32_t sym) {
    if (sym >= map.size()) map.resize(names_->size(), Interner::kNone);
    if (map[sym] == Interner::kNone) map[sym] = names.intern(names_->name(sym));
    return map[sym];
  };
  ev.clear();
  ev.ts = ts_[i];
  ev.name = id_of(name_[i]);
  ev.has_id = has_id(i);
  ev.id = id_[i];
  ev.severity = severity(i);
  for (const Field& f : fields(i)) {
    const uint32_t key = id_of(f.key);
    switch (f.type) {
      case Type::Int:
        ev.add_int(key, f.i);
        break;
      case Type::Float:
        ev.add_float(key, f.f);
        break;
      case Type::Bool:
        ev.add_bool(key, f.b);
        break;
      default:
        ev.add_string(key, value(f).str());
        break;
    }
  }
}

std::vector<EventStore::FieldUse> EventStore::field_uses(uint32_t name) const {
  std::vector<FieldUse> out;
  std::vector<int32_t> slot;  // key -> index in out
  for (uint32_t i : with_name(name))
    for (const Field& f : fields(i)) {
      if (f.key >= slot.size()) slot.resize(names_->size(), -1);
      if (slot[f.key] < 0) {
        slot[f.key] = static_cast<int32_t>(out.size());
        out.push_back({f.key});
      }
      FieldUse& u = out[slot[f.key]];
      ++u.present;
      const int t = static_cast<int>(f.type) - static_cast<int>(Type::Int);
      if (t >= 0 && t < 4) ++u.by_type[t];
    }
  return out;
}

std::vector<std::string> EventStore::field_keys() const {
  std::vector<bool> seen(names_->size());
  for (const Field& f : fields_) seen[f.key] = true;
  std::vector<std::string> out;
  for (uint32_t k = 0; k < seen.size(); ++k)
    if (seen[k]) out.emplace_back(symbol(k));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dta::repl
