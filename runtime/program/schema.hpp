// The Program's layout, written once. Each record has one `fields` function
// that lists its fields in order, each with its name and, for an index into
// another table, which table (a Ref). Walkers run it:
//   - the .dtb Writer, Reader and Sizer (dtb.cpp): the file is these fields
//     in this order;
//   - the schema check (schema_check.cpp): every enum within its .def, every
//     index within its table;
//   - the disassembler's listing of the structure (disasm.cpp).
// Adding a field to a record is one line here (and the member itself).
//
// A walker is called as io("name", value) or io("name", value, ref), and
// io.sized("name", list, n) for a list whose count is another field's; it
// has `static constexpr bool kReads` (whether it writes into the records).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dta/program.hpp"

namespace dta::schema {

// The tables an index field may point into.
enum class Table : uint8_t { None, Chunk, Template, Const, Source, State, Unit, Recorder };

// What an index field is: its table, whether -1 means "none", and whether it
// is a 16-bit index stored as 32 bits (constant indexes of durations).
struct Ref {
  Table table = Table::None;
  bool optional = false;
  bool wide = false;
};
constexpr Ref kChunk{Table::Chunk, false, false};
constexpr Ref kChunkOpt{Table::Chunk, true, false};
constexpr Ref kTemplateOpt{Table::Template, true, false};
constexpr Ref kConst{Table::Const, false, false};
constexpr Ref kConstOpt{Table::Const, true, false};
constexpr Ref kConstWide{Table::Const, false, true};
constexpr Ref kSource{Table::Source, false, false};
constexpr Ref kState{Table::State, false, false};  // a state of the machine being walked
constexpr Ref kUnit{Table::Unit, false, false};    // rule i is unit i, machine j unit rules.size() + j
constexpr Ref kRecorderOpt{Table::Recorder, true, false};

// What an item of each table is called in messages.
constexpr const char* table_item(Table t) {
  switch (t) {
    case Table::Chunk: return "chunk";
    case Table::Template: return "template";
    case Table::Const: return "constant";
    case Table::Source: return "source file";
    case Table::State: return "state";
    case Table::Unit: return "unit";
    case Table::Recorder: return "recorder";
    case Table::None: break;
  }
  return "item";
}

// A record as a walker sees it: const for those that only look at it.
template <class IO, class T>
using Rec = std::conditional_t<IO::kReads, T, const T>;

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// What a record is called in messages ("when 0 of rule 'w'").
template <class T>
inline constexpr const char* kItemName = "item";
template <>
inline constexpr const char* kItemName<std::string> = "string";
template <>
inline constexpr const char* kItemName<SourceFile> = "source file";
template <>
inline constexpr const char* kItemName<Const> = "constant";
template <>
inline constexpr const char* kItemName<NamedConst> = "named constant";
template <>
inline constexpr const char* kItemName<Instr> = "instruction";
template <>
inline constexpr const char* kItemName<Chunk> = "chunk";
template <>
inline constexpr const char* kItemName<TemplatePart> = "part";
template <>
inline constexpr const char* kItemName<Template> = "template";
template <>
inline constexpr const char* kItemName<Entry> = "entry";
template <>
inline constexpr const char* kItemName<Action> = "action";
template <>
inline constexpr const char* kItemName<When> = "when";
template <>
inline constexpr const char* kItemName<Expect> = "expect";
template <>
inline constexpr const char* kItemName<Rule> = "rule";
template <>
inline constexpr const char* kItemName<Transition> = "transition";
template <>
inline constexpr const char* kItemName<MachineState> = "state";
template <>
inline constexpr const char* kItemName<Machine> = "machine";
template <>
inline constexpr const char* kItemName<Recorder> = "recorder";
template <>
inline constexpr const char* kItemName<Filter> = "filter";
template <>
inline constexpr const char* kItemName<Profile> = "profile";
template <>
inline constexpr const char* kItemName<SensitiveField> = "sensitive field";
template <>
inline constexpr const char* kItemName<Budget> = "budget";
template <>
inline constexpr const char* kItemName<Inject> = "inject";
template <>
inline constexpr const char* kItemName<InjectField> = "inject field";
template <>
inline constexpr const char* kItemName<std::pair<uint32_t, Const>> = "constant override";
template <>
inline constexpr const char* kItemName<std::pair<uint32_t, Level>> = "level override";
template <>
inline constexpr const char* kItemName<std::pair<uint32_t, AlertSeverity>> = "alert override";
template <>
inline constexpr const char* kItemName<std::pair<uint32_t, uint32_t>> = "key cap";

// The name of a record that has one (messages say "rule 'r'"), else "".
template <class T>
std::string_view record_name(const T& rec) {
  if constexpr (std::is_same_v<T, Rule> || std::is_same_v<T, Machine> || std::is_same_v<T, MachineState> ||
                std::is_same_v<T, Recorder> || std::is_same_v<T, Filter> || std::is_same_v<T, Profile> || std::is_same_v<T, NamedConst>)
    return rec.name;
  else
    return {};
}

// ---------------------------------------------------------------- the layout

template <class IO>
void fields(IO& io, Rec<IO, SrcLoc>& l) {
  io("file", l.file, kSource);
  io("line", l.line);
  io("col", l.col);
}
template <class IO>
void fields(IO& io, Rec<IO, Site>& s) {
  io("id", s.id);
  io("shape", s.shape);
}
template <class IO>
void fields(IO& io, Rec<IO, SourceFile>& s) {
  io("path", s.path);
  io("text", s.text);
}
template <class IO>
void fields(IO& io, Rec<IO, Const>& c) {
  io("type", c.type);
  io("i", c.i);
  io("f", c.f);
  io("b", c.b);
  io("s", c.s);
  io("items", c.items);
}
template <class IO>
void fields(IO& io, Rec<IO, NamedConst>& n) {
  io("name", n.name);
  io("index", n.index, kConst);
}
template <class IO>
void fields(IO& io, Rec<IO, Instr>& in) {  // operands: checked by the verifier, by their kind in opcodes.def
  io("op", in.op);
  io("a", in.a);
  io("b", in.b);
  io("c", in.c);
}
template <class IO>
void fields(IO& io, Rec<IO, Chunk>& c) {
  io("code", c.code);
  io.sized("lines", c.lines, c.code.size());  // one per instruction
  io("nregs", c.nregs);
  io("result", c.result);
}
template <class IO>
void fields(IO& io, Rec<IO, TemplatePart>& t) {
  io("text", t.text);
  io("chunk", t.chunk, kChunkOpt);
}
template <class IO>
void fields(IO& io, Rec<IO, Template>& t) {
  io("parts", t.parts);
}
template <class IO>
void fields(IO& io, Rec<IO, Entry>& e) {
  io("key", e.key);
  io("template", e.tmpl, kTemplateOpt);
  io("value", e.chunk, kChunkOpt);
}
template <class IO>
void fields(IO& io, Rec<IO, Action>& a) {
  io("kind", a.kind);
  io("level", a.level);
  io("message", a.tmpl, kTemplateOpt);
  io("name", a.name);
  io("value", a.chunk, kChunkOpt);
  io("entries", a.entries);
  io("severity", a.severity);
  io("dedup", a.dedup);
  io("every", a.every_k, kConstOpt);
  io("min_severity", a.min_severity);
  io("for", a.for_k, kConstOpt);
  io("recorder", a.recorder, kRecorderOpt);
  io("loc", a.loc);
  io("site", a.site);
}
template <class IO>
void fields(IO& io, Rec<IO, When>& w) {
  io("loc", w.loc);
  io("site", w.site);
  io("agg", w.agg);
  io("arg", w.arg, kChunkOpt);
  io("q", w.q);
  io("sliding", w.sliding);
  io("window", w.window_k, kConstWide);
  io("for", w.for_k, kConstOpt);
  io("cmp", w.cmp);
  io("threshold", w.threshold, kChunk);
  io("by", w.by);
  io("max_keys", w.max_keys);
  io("actions", w.actions);
}
template <class IO>
void fields(IO& io, Rec<IO, Expect>& x) {
  io("loc", x.loc);
  io("site", x.site);
  io("patterns", x.patterns);
  io("where", x.where, kChunkOpt);
  io("matching", x.matching);
  io("within", x.within_k, kConstWide);
  io("count", x.count_k, kConstOpt);
  io("max_pending", x.max_pending);
  io("has_then", x.has_then);
  io("has_else", x.has_else);
  io("then", x.then_actions);
  io("else", x.else_actions);
}
template <class IO>
void fields(IO& io, Rec<IO, Rule>& r) {
  io("name", r.name);
  io("loc", r.loc);
  io("patterns", r.patterns);
  io("where", r.where, kChunkOpt);
  io("actions", r.actions);
  io("counts_fired", r.counts_fired);
  io("level", r.level);
  io("whens", r.whens);
  io("expects", r.expects);
}
template <class IO>
void fields(IO& io, Rec<IO, Transition>& t) {
  io("after", t.after);
  io("patterns", t.patterns);
  io("where", t.where, kChunkOpt);
  io("delay", t.delay_k, kConstOpt);
  io("target", t.target, kState);
  io("has_block", t.has_block);
  io("actions", t.actions);
}
template <class IO>
void fields(IO& io, Rec<IO, MachineState>& s) {
  io("name", s.name);
  io("transitions", s.transitions);
}
template <class IO>
void fields(IO& io, Rec<IO, Machine>& m) {
  io("name", m.name);
  io("loc", m.loc);
  io("site", m.site);
  io("key", m.key);
  io("initial", m.initial, kState);
  io("max_keys", m.max_keys);
  io("level", m.level);
  io("states", m.states);
}
template <class IO>
void fields(IO& io, Rec<IO, Recorder>& r) {
  io("name", r.name);
  io("loc", r.loc);
  io("site", r.site);
  io("capacity", r.capacity);
  io("patterns", r.patterns);
  io("key", r.key);
  io("idle", r.idle_k, kConstOpt);
}
template <class IO>
void fields(IO& io, Rec<IO, Filter>& f) {
  io("name", f.name);
  io("loc", f.loc);
  io("patterns", f.patterns);
  io("where", f.where, kChunkOpt);
  io("kind", f.kind);
  io("fields", f.fields);
  io("fraction", f.fraction);
}
template <class IO>
void fields(IO& io, Rec<IO, std::pair<uint32_t, Const>>& p) {
  io("constant", p.first, kConst);
  io("value", p.second);
}
template <class IO>
void fields(IO& io, Rec<IO, std::pair<uint32_t, Level>>& p) {
  io("unit", p.first, kUnit);
  io("level", p.second);
}
template <class IO>
void fields(IO& io, Rec<IO, std::pair<uint32_t, AlertSeverity>>& p) {
  io("unit", p.first, kUnit);
  io("severity", p.second);
}
template <class IO>
void fields(IO& io, Rec<IO, std::pair<uint32_t, uint32_t>>& p) {
  io("unit", p.first, kUnit);
  io("max_keys", p.second);
}
template <class IO>
void fields(IO& io, Rec<IO, Budget>& b) {
  io("disk", b.disk);
  io("dumps", b.dumps);
  io("dumps_period", b.dumps_period);
  io("recorder_memory", b.recorder_memory);
  io("cpu", b.cpu);
}
template <class IO>
void fields(IO& io, Rec<IO, InjectField>& f) {
  io("key", f.key);
  io("value", f.value);
}
template <class IO>
void fields(IO& io, Rec<IO, Inject>& in) {
  io("point", in.point);
  io("fields", in.fields);
  io("probability", in.probability);
  io("max", in.max);
  io("after", in.after);
  io("loc", in.loc);
}
template <class IO>
void fields(IO& io, Rec<IO, Profile>& p) {
  io("name", p.name);
  io("consts", p.consts);
  io("levels", p.levels);
  io("alerts", p.alerts);
  io("max_keys", p.max_keys);
  io("warnings_error", p.warnings_error);
  io("budget", p.budget);
  io("injects", p.injects);
  io("has_seed", p.has_seed);
  io("seed", p.seed);
}
template <class IO>
void fields(IO& io, Rec<IO, SensitiveField>& s) {
  io("event", s.event);
  io("field", s.field);
}
// The tables (what other records index) first, then what the policy says.
template <class IO>
void fields(IO& io, Rec<IO, Program>& p) {
  io("policy", p.policy);
  io.table("sources", p.sources);
  io.table("consts", p.consts);
  io("named_consts", p.named_consts);
  io.table("keys", p.keys);
  io.table("functions", p.functions);
  io.table("regexes", p.regexes);
  io.table("chunks", p.chunks);
  io.table("templates", p.templates);
  io("rules", p.rules);
  io("machines", p.machines);
  io("recorders", p.recorders);
  io("filters", p.filters);
  io("profiles", p.profiles);
  io("sensitive", p.sensitive);
}

// ---------------------------------------------------------------- walkers

class Path;

// The base of every walker D: io("name", v[, ref]) dispatches v by its kind
// to D's str, flag, enumeration, num (with its Ref), list or record; D may
// define at(name) to learn each field's name and table() to treat the
// program's tables apart.
template <class D>
class Walker {
 public:
  template <class V>
  void operator()(const char* name, V& v, Ref ref = {}) {
    self().at(name);
    value(v, ref);
  }
  template <class V>
  void table(const char* name, V& v) {
    (*this)(name, v);
  }
  void at(const char*) {}

  // v by its kind; `index` is its place in a list (records only).
  template <class V>
  void value(V& v, Ref ref = {}, size_t index = SIZE_MAX) {
    using U = std::remove_const_t<V>;
    if constexpr (std::is_same_v<U, std::string>)
      self().str(v);
    else if constexpr (std::is_same_v<U, bool>)
      self().flag(v);
    else if constexpr (std::is_enum_v<U>)
      self().enumeration(v);
    else if constexpr (std::is_arithmetic_v<U>)
      self().num(v, ref);
    else if constexpr (IsVector<U>::value)
      self().list(v);
    else
      self().record(v, index);
  }

 private:
  D& self() { return static_cast<D&>(*this); }
};

// ---------------------------------------------------------------- paths

// Where a walker is, for messages: "the agg of when 0 of rule 'w'".
class Path {
 public:
  // Entering record `rec`, item `index` of a list (npos: a record-valued field).
  template <class T>
  void push(const T& rec, size_t index) {
    frames_.push_back({kItemName<T>, index, field_, &rec,
                       [](const void* r) { return record_name(*static_cast<const T*>(r)); }});
  }
  void pop() {
    field_ = frames_.back().field;
    frames_.pop_back();
  }
  // The field being walked.
  void at(const char* field) { field_ = field; }
  const char* field() const { return field_; }

  std::string text() const {
    std::string out = std::string("the ") + field_;
    for (size_t i = frames_.size(); i-- > 0;) {
      const Frame& f = frames_[i];
      if (f.index == kNoIndex) out += std::string(" of the ") + f.field;
      else if (const std::string_view name = f.name(f.rec); !name.empty())
        out += " of " + std::string(f.item) + " '" + std::string(name) + "'";
      else out += " of " + std::string(f.item) + " " + std::to_string(f.index);
    }
    return out;
  }

  static constexpr size_t kNoIndex = SIZE_MAX;

 private:
  struct Frame {
    const char* item;
    size_t index;
    const char* field;  // the field that holds the record
    const void* rec;    // its name is looked up when a message is made (a reader reads it first)
    std::string_view (*name)(const void*);
  };
  std::vector<Frame> frames_;
  const char* field_ = "program";
};

}  // namespace dta::schema
