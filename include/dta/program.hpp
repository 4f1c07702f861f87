// A compiled policy: immutable after finalize(), shareable between engines and
// threads. Everything an engine needs to run the policy lives here; per-engine
// state (counters, windows, the profile's effective constants) lives in Engine.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dta/expected.hpp"
#include "dta/value.hpp"

namespace dta {

enum class Op : uint8_t {
#define OP(name, a, b, c, syn) name,
#include "dta/opcodes.def"
#undef OP
};
struct OpRow {
  const char* name;
  const char* synopsis;
};
constexpr OpRow kOpRows[] = {
#define OP(name, a, b, c, syn) {#name, syn},
#include "dta/opcodes.def"
#undef OP
};
template <>
struct EnumNames<Op> {
  static constexpr const char* what = "opcode";
  static constexpr const auto& rows = kOpRows;
};
constexpr int kOpCount = static_cast<int>(enum_count<Op>());
static_assert(kOpCount < 256, "opcodes must fit in one byte");
// Order relied on: codegen and the VM's dynamic arithmetic pick the typed
// instruction of an operator by its offset in these runs of opcodes
// (codegen_pass.cpp arith(), vm.cpp dyn_arith()).
static_assert(static_cast<int>(Op::SUB_I) - static_cast<int>(Op::ADD_I) == 1 &&
                  static_cast<int>(Op::MOD_I) - static_cast<int>(Op::ADD_I) == 4 &&
                  static_cast<int>(Op::MOD_F) - static_cast<int>(Op::ADD_F) == 4 &&
                  static_cast<int>(Op::SUB_D) - static_cast<int>(Op::ADD_D) == 1 &&
                  static_cast<int>(Op::MOD_D) - static_cast<int>(Op::ADD_D) == 4,
              "opcodes.def: ADD SUB MUL DIV MOD stay together and in this order");

// Name of an opcode, as the opcode list spells it ("?" out of range).
constexpr const char* op_name(Op op) { return enum_name(op); }

// The parts of the event an expression can read, `event.NAME`, with the
// instruction that loads each and its type (event_parts.def).
struct EventPart {
  const char* name;
  Op op;
  Type type;
};
constexpr EventPart kEventParts[] = {
#define EVENT_PART(name, op, type) {name, Op::op, Type::type},
#include "dta/event_parts.def"
#undef EVENT_PART
};
// The part `event.NAME`, or nullptr.
constexpr const EventPart* find_event_part(std::string_view name) {
  for (const EventPart& p : kEventParts)
    if (name == p.name) return &p;
  return nullptr;
}

struct Instr {
  Op op;
  uint8_t a;
  uint16_t b;
  uint16_t c;
};
static_assert(sizeof(Instr) == 6, "instructions are 6 bytes");

// A place in the policy text (file index into Program::sources).
struct SrcLoc {
  uint32_t file = 0;
  uint32_t line = 0;
  uint32_t col = 0;
};

// One straight-line-with-jumps piece of code: a `where`, a template hole, a value.
struct Chunk {
  std::vector<Instr> code;
  std::vector<SrcLoc> lines;  // one per instruction
  uint16_t nregs = 0;
  Type result = Type::Bool;   // Unknown: dynamic
};

// A constant as the program stores it (owns its bytes).
struct Const {
  Type type = Type::Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
  std::vector<Const> items;   // for lists
};

// A message with `{expr}` holes: literal text and chunk indices alternate.
struct TemplatePart {
  std::string text;     // literal text, when chunk < 0
  int32_t chunk = -1;   // a hole
};
struct Template {
  std::vector<TemplatePart> parts;
};

// A `k: value` entry of `emit`/`count`/`observe` labels: a template (string
// literal) or an expression chunk.
struct Entry {
  std::string key;
  int32_t tmpl = -1;
  int32_t chunk = -1;
};

// A stateful construct's identity (spec-independent, see runtime/program/sites.hpp):
// `id` is derived from the source, the unit's name, the construct and its
// ordinal ("error_burst/when#0", "conn/machine", "error_burst/alert#1"), so it
// stays the same when the policy is recompiled or its rules are reordered;
// `shape` fingerprints what makes the construct's state meaningful
// (aggregate, window, keys, states...). An engine carries state from one
// program to another only between sites with the same id and shape.
struct Site {
  std::string id;
  uint64_t shape = 0;
};

// What an action does (action_kinds.def).
enum class ActionKind : uint8_t {
#define ACTION_KIND(e, name) e,
#include "dta/action_kinds.def"
#undef ACTION_KIND
};
constexpr NameRow kActionKindRows[] = {
#define ACTION_KIND(e, name) {name},
#include "dta/action_kinds.def"
#undef ACTION_KIND
};
template <>
struct EnumNames<ActionKind> {
  static constexpr const char* what = "action kind";
  static constexpr const auto& rows = kActionKindRows;
};

// Alert severities (spec 6); `Off` only as a profile override (alert_severities.def).
enum class AlertSeverity : uint8_t {
#define ALERT_SEVERITY(e, name, written) e,
#include "dta/alert_severities.def"
#undef ALERT_SEVERITY
};
struct AlertSeverityRow {
  const char* name;
  bool written;  // an `alert` action may have it (else only a profile)
};
constexpr AlertSeverityRow kAlertSeverityRows[] = {
#define ALERT_SEVERITY(e, name, written) {name, written},
#include "dta/alert_severities.def"
#undef ALERT_SEVERITY
};
template <>
struct EnumNames<AlertSeverity> {
  static constexpr const char* what = "alert severity";
  static constexpr const auto& rows = kAlertSeverityRows;
};
// Order relied on: the engine keeps a unit's profile override as
// static_cast<int>(severity), -1 for none, and casts it back (engine.cpp, alerts.cpp).
static_assert(static_cast<int>(AlertSeverity::Info) == 0 && enum_count<AlertSeverity>() < 128,
              "alert_severities.def: the engine stores a severity in an int with -1 for none");
constexpr const char* alert_severity_name(AlertSeverity s) { return enum_name(s); }

struct Action {
  ActionKind kind = ActionKind::Verdict;
  Level level = Level::Error;   // Verdict
  int32_t tmpl = -1;            // Verdict / Alert message (-1: `ok` without message)
  std::string name;             // Emit event name, metric name
  int32_t chunk = -1;           // Observe value
  std::vector<Entry> entries;   // Emit fields, metric labels, alert labels
  AlertSeverity severity = AlertSeverity::Warning;  // Alert
  std::vector<Entry> dedup;     // Alert: dedup keys (chunks)
  int32_t every_k = -1;         // Alert: constant index of `every D`, -1 when none
  Severity min_severity = Severity::Debug;  // Enable: the least severe site it turns on (`level L`)
  int32_t for_k = -1;           // Enable: constant index of `for D`; -1 for the other kinds
  int32_t recorder = -1;        // CollectRecorder, Discard: index into Program::recorders; -1 for the other kinds
  SrcLoc loc;
  Site site;                    // Alert with `dedup` or `every`: its rate-limiting state; else empty
};

// Aggregates of a `when` (aggregates.def).
enum class Agg : uint8_t {
#define AGG(e, name, args, numeric, value) e,
#include "dta/aggregates.def"
#undef AGG
};
// The type of the `value` an aggregate produces.
enum class AggValue : uint8_t { Int, Float, Arg /* its argument's type */ };
struct AggRow {
  const char* name;
  uint8_t args;    // arguments `name(...)` takes
  bool numeric;    // its value argument must be a number
  AggValue value;  // the type of the `value` it produces
};
constexpr AggRow kAggRows[] = {
#define AGG(e, name, args, numeric, value) {name, args, numeric, AggValue::value},
#include "dta/aggregates.def"
#undef AGG
};
template <>
struct EnumNames<Agg> {
  static constexpr const char* what = "aggregate";
  static constexpr const auto& rows = kAggRows;
};
constexpr const char* agg_name(Agg a) { return enum_name(a); }

// How a policy may spell an aggregate: its name, or an alias (`p99(x)`, a
// quantile with q fixed). `q` < 0: q is the second argument.
struct AggSpelling {
  const char* name;
  Agg agg;
  uint8_t args;
  double q;
};
// Every spelling, the names first (aggregates.def).
constexpr AggSpelling kAggSpellings[] = {
#define AGG(e, name, args, numeric, value) {name, Agg::e, args, Agg::e == Agg::Quantile ? -1.0 : 0.5},
#define AGG_ALIAS(name, e, args, q) {name, Agg::e, args, q},
#include "dta/aggregates.def"
#undef AGG_ALIAS
#undef AGG
};
// The spelling `name`, or nullptr.
constexpr const AggSpelling* find_agg_spelling(std::string_view name) {
  for (const AggSpelling& s : kAggSpellings)
    if (name == s.name) return &s;
  return nullptr;
}

// The comparison of a `when` threshold (comparisons.def).
enum class Cmp : uint8_t {
#define CMP(e, text) e,
#include "dta/comparisons.def"
#undef CMP
};
constexpr NameRow kCmpRows[] = {
#define CMP(e, text) {text},
#include "dta/comparisons.def"
#undef CMP
};
template <>
struct EnumNames<Cmp> {
  static constexpr const char* what = "comparison";
  static constexpr const auto& rows = kCmpRows;
};

// `when AGG over|every D CMP THRESHOLD [by K...] [for D2] { actions }`
struct When {
  SrcLoc loc;
  Site site;
  Agg agg = Agg::Count;
  int32_t arg = -1;             // chunk computing the aggregated value (-1: count, rate)
  double q = 0.5;               // quantile
  bool sliding = true;
  uint16_t window_k = 0;        // constant index of D
  int32_t for_k = -1;           // constant index of D2, -1 when none
  Cmp cmp = Cmp::Gt;
  int32_t threshold = -1;       // chunk: the threshold (literals and constants only)
  std::vector<Entry> by;        // key chunks, with their names
  uint32_t max_keys = 0;        // 0: the engine's default
  std::vector<Action> actions;
};

// The largest N of `expect N PATTERN ...`. A count says how many events make
// one thing done (replicas stored, acknowledgements, retries); a pending
// expectation keeps its arrivals in 32 bits, and a number beyond a million
// is a slip (a size or a time written where a count goes), so the compiler
// refuses it and the engine clamps a .dtb's to it.
constexpr int64_t kMaxExpectCount = 1000000;

// `expect [N] PATTERN [where E] matching F... within D [then] [else]`
struct Expect {
  SrcLoc loc;
  Site site;
  std::vector<std::string> patterns;
  int32_t where = -1;
  std::vector<std::string> matching;
  uint16_t within_k = 0;
  int32_t count_k = -1;         // constant index of N (met at the N-th arrival); -1: one
  uint32_t max_pending = 0;
  bool has_then = false, has_else = false;
  std::vector<Action> then_actions, else_actions;
};

struct Rule {
  std::string name;
  SrcLoc loc;
  std::vector<std::string> patterns;  // "db.open", "db.*" or "*"
  int32_t where = -1;                 // chunk; -1: always
  std::vector<Action> actions;
  bool counts_fired = false;          // the top-level block holds an action
  Level level = Level::None;          // first non-ok verdict's level, as written
  std::vector<When> whens;
  std::vector<Expect> expects;
};

struct Transition {
  bool after = false;
  std::vector<std::string> patterns;  // on
  int32_t where = -1;
  int32_t delay_k = -1;               // after: constant index of D
  uint32_t target = 0;
  bool has_block = false;
  std::vector<Action> actions;
};

struct MachineState {
  std::string name;
  std::vector<Transition> transitions;
};

// `machine NAME by KEY { initial S state S { transitions } ... }`
struct Machine {
  std::string name;
  SrcLoc loc;
  Site site;
  std::string key;
  uint32_t initial = 0;
  uint32_t max_keys = 0;
  Level level = Level::None;
  std::vector<MachineState> states;
};

// What a filter does (filter_kinds.def).
enum class FilterKind : uint8_t {
#define FILTER_KIND(e, name) e,
#include "dta/filter_kinds.def"
#undef FILTER_KIND
};
constexpr NameRow kFilterKindRows[] = {
#define FILTER_KIND(e, name) {name},
#include "dta/filter_kinds.def"
#undef FILTER_KIND
};
template <>
struct EnumNames<FilterKind> {
  static constexpr const char* what = "filter kind";
  static constexpr const auto& rows = kFilterKindRows;
};
struct Filter {
  std::string name;
  SrcLoc loc;
  std::vector<std::string> patterns;
  int32_t where = -1;
  FilterKind kind = FilterKind::Drop;
  std::vector<std::string> fields;  // Redact
  double fraction = 1.0;            // Sample
};

// `recorder NAME capacity N [on PATTERN, ...] [by KEY] [idle D]` (spec 8): a
// ring of the newest N events after filters, one per value of KEY when keyed.
// Each slot holds one event in at most kRecorderSlotBytes (a longer event is
// kept with its longest strings cut short and marked), so what a recorder
// may hold is known before it runs: recorder_memory_bytes().
struct Recorder {
  std::string name;
  SrcLoc loc;
  Site site;                          // "NAME/recorder"; shape: capacity and key
  uint32_t capacity = 1;
  std::vector<std::string> patterns;  // the events it keeps ("*" when the policy names none)
  std::string key;                    // the `by` field, "" when not keyed
  int32_t idle_k = -1;                // constant index of `idle D`, -1 when none
};
// The longest name of `collect snapshot "NAME"`: it names a host collector
// and goes into a file name (sanitised), so a short identifier.
constexpr size_t kMaxSnapshotName = 64;
// The largest ring: 2^20 slots of kRecorderSlotBytes is 512 MiB, beyond any
// sane flight recorder; a bigger capacity is a slip (a size for a count).
constexpr int64_t kMaxRecorderCapacity = 1 << 20;
// Bytes one recorded event may take (the anchors' hand-written engine uses
// 512-byte slots too): a W1 event takes about 150.
constexpr size_t kRecorderSlotBytes = 512;
// Keys a keyed recorder keeps at most (its least recently seen key is
// evicted beyond, and counted): transactions in flight, not every user. The
// engine's default_max_keys lowers it further when smaller.
constexpr uint32_t kRecorderMaxKeys = 256;
// The memory a recorder may hold, as `recorder_memory` counts it: capacity x
// kRecorderSlotBytes, times kRecorderMaxKeys for a keyed recorder.
constexpr uint64_t recorder_memory_bytes(const Recorder& r) {
  return static_cast<uint64_t>(r.capacity) * kRecorderSlotBytes * (r.key.empty() ? 1 : kRecorderMaxKeys);
}

// "" when `recorders` fit in a `recorder_memory` budget of `budget` bytes (-1:
// none), else why not, naming each recorder and its bytes (the compiler and
// Engine::create both refuse such a policy under that profile).
std::string recorder_memory_problem(const std::vector<Recorder>& recorders, int64_t budget);
// A byte count for people: "512 B", "16 MiB", "1.5 GiB".
std::string format_bytes(uint64_t n);

// A profile's `budget { ... }` (spec 7 and 8): `cpu` acts through
// EngineOptions::enforce_cpu_budget; `disk` and `dumps` bound what the engine
// collects (a collection over them is denied); `recorder_memory` bounds what
// the recorders may hold (a policy over it does not load under the profile).
struct Budget {
  int64_t disk = -1;             // bytes the collection may write; -1: no budget
  int64_t dumps = -1;            // dumps allowed in any span of dumps_period; -1: no budget
  int64_t dumps_period = 0;      // ns, > 0 when dumps is set
  int64_t recorder_memory = -1;  // bytes all recorders may hold; -1: no budget
  double cpu = 0;                // share of one CPU the engine's rules may take, in (0, 1]; 0: no budget
};

// One field an `inject` gives its fault point.
struct InjectField {
  std::string key;
  Const value;
};

// A profile's `inject POINT {fields} [probability P] [max N] [after N]` (spec
// 9): the host's fault point POINT fails with `fields`. Only a host that
// allows fault injection acts on it; a replay reports it, never injects.
struct Inject {
  std::string point;
  std::vector<InjectField> fields;
  double probability = 1.0;  // of each hit, in [0, 1] (a value outside is clamped)
  uint64_t max = 0;          // injections at most; 0: unlimited
  uint64_t after = 0;        // hits that pass before the first that may fail
  SrcLoc loc;
};

// A profile, flattened by the compiler (its `extends` chain already applied).
// Rules and machines share one index space, "units": rule i is unit i,
// machine j is unit rules.size() + j.
struct Profile {
  std::string name;
  std::vector<std::pair<uint32_t, Const>> consts;          // const index -> value
  std::vector<std::pair<uint32_t, Level>> levels;          // unit -> level
  std::vector<std::pair<uint32_t, AlertSeverity>> alerts;  // unit -> alert severity or off
  std::vector<std::pair<uint32_t, uint32_t>> max_keys;     // unit -> key cap
  bool warnings_error = false;
  Budget budget;                                           // item by item, the last one set in the chain
  std::vector<Inject> injects;  // by point; a profile's own replaces what it extends for the same point
  bool has_seed = false;        // `seed N`: injection decisions derive from it (else from seed 0)
  uint64_t seed = 0;
};

struct NamedConst {
  std::string name;
  uint32_t index = 0;  // into Program::consts
};

struct SourceFile {
  std::string path;
  std::string text;
};

// Schema knowledge the runtime needs: which fields are sensitive.
struct SensitiveField {
  std::string event;
  std::string field;
};

struct Builtin;
struct CompiledRegex;
class SymbolTable;

class Program {
 public:
  Program();
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  std::string policy;                 // `policy NAME`, or the file's stem
  std::vector<SourceFile> sources;
  std::vector<Const> consts;
  std::vector<NamedConst> named_consts;
  std::vector<std::string> keys;      // field keys the code loads (F operands)
  std::vector<std::string> functions; // builtin names (N operands)
  std::vector<std::string> regexes;   // regex sources (X operands)
  std::vector<Chunk> chunks;
  std::vector<Template> templates;
  std::vector<Rule> rules;
  std::vector<Machine> machines;
  std::vector<Recorder> recorders;
  std::vector<Filter> filters;
  std::vector<Profile> profiles;
  std::vector<SensitiveField> sensitive;

  // After construction or loading: resolve builtins against `builtins` (a
  // table of `count` entries), compile regexes, check the program's schema
  // (every enum and index), its sites and every chunk with the verifier.
  // Success, or what is wrong; only then may the program run.
  Outcome finalize(const Builtin* builtins, size_t count);

  // Whether the last finalize() succeeded: only then may an engine run it.
  bool finalized() const { return finalized_; }
  // Valid after a successful finalize().
  const std::vector<const Builtin*>& resolved_functions() const { return fns_; }
  const CompiledRegex& regex(uint32_t i) const { return *re_[i]; }
  // Values of `consts` under profile `profile` (-1: the policy as written);
  // views into this program. Valid after a successful finalize().
  const std::vector<Value>& const_values(int profile) const { return values_[profile + 1]; }
  // Index of a profile by name, or -1.
  int find_profile(const std::string& name) const;
  // The names the program uses (field keys first, in `keys` order), interned
  // once and shared by every engine running it. Valid after a successful finalize().
  const std::shared_ptr<const SymbolTable>& symbols() const { return symbols_; }

 private:
  std::vector<const Builtin*> fns_;
  std::vector<std::unique_ptr<CompiledRegex>> re_;
  std::vector<std::vector<Value>> values_;                    // per profile + 1
  std::vector<std::unique_ptr<std::vector<Value>>> list_store_;  // list items
  std::shared_ptr<const SymbolTable> symbols_;
  bool finalized_ = false;
};

}  // namespace dta
