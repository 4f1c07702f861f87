// Notes after a replay: fields never carried, 1970 times.
#include "replay_notes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "live_output.hpp"
#include "replay_summary.hpp"

namespace dta::cli {
namespace {

// Whether an opcode's b operand is a field key (opcodes.def: F).
constexpr bool kReadsField[] = {
#define OP(name, a, b, c, syn) (#b[0] == 'F' && #b[1] == '\0'),
#include "dta/opcodes.def"
#undef OP
};

// The end of 1970 in ns: times below it (and from the epoch on) are "in 1970".
constexpr int64_t kEnd1970 = int64_t{365} * 86400 * 1000000000;

// Collects, per field key, who reads it.
class KeyReaders {
 public:
  explicit KeyReaders(const Program& p) : p_(p) {}
  void chunk(int32_t c, const std::string& who) {
    if (c < 0 || static_cast<size_t>(c) >= p_.chunks.size()) return;
    for (const Instr& in : p_.chunks[c].code)  // has(F) expects that F may be absent: not a read
      if (static_cast<size_t>(in.op) < std::size(kReadsField) && kReadsField[static_cast<size_t>(in.op)] &&
          in.op != Op::HAS && in.b < p_.keys.size())
        add(p_.keys[in.b], who);
  }
  void tmpl(int32_t t, const std::string& who) {
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size()) return;
    for (const TemplatePart& part : p_.templates[t].parts) chunk(part.chunk, who);
  }
  void entries(const std::vector<Entry>& es, const std::string& who) {
    for (const Entry& e : es) chunk(e.chunk, who), tmpl(e.tmpl, who);
  }
  void actions(const std::vector<Action>& as, const std::string& who) {
    for (const Action& a : as) {
      tmpl(a.tmpl, who);
      chunk(a.chunk, who);
      entries(a.entries, who);
      entries(a.dedup, who);
      if (a.kind == ActionKind::Emit)
        for (const Entry& e : a.entries) emitted.push_back(e.key);
    }
  }
  void add(const std::string& key, const std::string& who) {
    std::vector<std::string>& v = readers[key];
    if (std::find(v.begin(), v.end(), who) == v.end()) v.push_back(who);
  }
  std::map<std::string, std::vector<std::string>> readers;
  std::vector<std::string> emitted;

 private:
  const Program& p_;
};

}  // namespace

CarriedFields::CarriedFields(const Program& p, const Interner& names) {
  KeyReaders r(p);
  for (const Filter& f : p.filters) r.chunk(f.where, fmt::format("filter '{}'", f.name));
  for (const Rule& rule : p.rules) {
    const std::string who = fmt::format("rule '{}'", rule.name);
    r.chunk(rule.where, who);
    r.actions(rule.actions, who);
    for (const When& w : rule.whens) {
      r.chunk(w.arg, who);
      r.entries(w.by, who);
      r.actions(w.actions, who);
    }
    for (const Expect& x : rule.expects) {
      r.chunk(x.where, who);
      for (const std::string& m : x.matching) r.add(m, who);
      r.actions(x.then_actions, who);
      r.actions(x.else_actions, who);
    }
  }
  for (const Machine& m : p.machines) {
    const std::string who = fmt::format("machine '{}'", m.name);
    if (!m.key.empty()) r.add(m.key, who);
    for (const MachineState& s : m.states)
      for (const Transition& t : s.transitions) {
        r.chunk(t.where, who);
        r.actions(t.actions, who);
      }
  }
  for (auto& [key, readers] : r.readers) {
    if (std::find(r.emitted.begin(), r.emitted.end(), key) != r.emitted.end()) continue;
    const uint32_t id = names.find(key);
    if (id == Interner::kNone) continue;
    if (id >= state_.size()) state_.resize(id + 1, kUntracked);
    if (state_[id] != kUntracked) continue;
    state_[id] = kUnseen;
    keys_.push_back({key, id, readers});
    ++left_;
  }
}

std::vector<std::string> CarriedFields::warnings() const {
  std::vector<std::string> out;
  for (const Key& k : keys_) {
    if (state_[k.id] != kUnseen) continue;
    std::string who;
    for (size_t i = 0; i < k.readers.size(); ++i)
      who += (i == 0 ? "" : i + 1 == k.readers.size() ? " and " : ", ") + k.readers[i];
    out.push_back(
        fmt::format("no event carried field '{}', which {} read{} (a misspelt name, or a field the "
                    "events do not have?)",
                    escape_for_terminal(k.name), who, k.readers.size() == 1 ? "s" : ""));
  }
  return out;
}

std::string epoch_1970_warning(const InputStats& s, const JsonlOptions& jsonl) {
  if (s.events == 0 || s.min_ts < 0 || s.max_ts >= kEnd1970) return "";
  // What the largest value was as written, and the unit its size suggests.
  const int64_t per = time_unit_ns(jsonl.ts_unit);
  const int64_t raw = s.max_ts / per;
  const char* guess = raw >= 100000000000000 ? "us" : raw >= 100000000000 ? "ms" : raw >= 100000000 ? "s" : nullptr;
  std::string hint;
  if (guess && (!jsonl.unit_given || std::string_view(guess) != time_unit_name(jsonl.ts_unit))) {
    hint = fmt::format(
        "; values like {} look like {} since the epoch: read them with --ts-unit {} (if they count "
        "from a start rather than from the epoch, this is harmless)",
        raw,
        std::string_view(guess) == "s"    ? "seconds"
        : std::string_view(guess) == "ms" ? "milliseconds"
                                          : "microseconds",
        guess);
  } else {
    hint = "; if they count from a start rather than from the epoch, this is harmless";
  }
  return fmt::format(
      "every event time falls in 1970 ({} to {}): a numeric \"ts\" is read as {} since "
      "1970-01-01{}",
      format_ts(s.min_ts), format_ts(s.max_ts),
      jsonl.ts_unit == TimeUnit::Ns   ? "nanoseconds"
      : jsonl.ts_unit == TimeUnit::Us ? "microseconds"
      : jsonl.ts_unit == TimeUnit::Ms ? "milliseconds"
                                      : "seconds",
      hint);
}

}  // namespace dta::cli
