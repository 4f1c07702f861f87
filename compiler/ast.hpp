// Our own AST: what the policy says, free of ANTLR types. Built by
// ast_builder.cpp, annotated by the passes (types, resolved names), read by
// codegen.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dta/program.hpp"
#include "dta/value.hpp"

namespace dta::ast {

// A source range: file index, 1-based line and column, length in characters.
struct Loc {
  uint32_t file = 0;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 1;
};

enum class ExprKind : uint8_t {
  IntLit, FloatLit, StringLit, BoolLit, ListLit,
  Name,       // a bare identifier: a constant or a field (resolved by resolve_pass)
  EventPart,  // event.name / event.id / event.ts / event.severity
  Call,       // name(args)
  Neg, Not,
  Binary,     // + - * / % == != < <= > >= and or
  In,         // x in list / x not in list (negated)
};

enum class BinOp : uint8_t { Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
// Order relied on by codegen (codegen_pass.cpp): the arithmetic operators
// index its tables of typed opcodes from Add, the comparisons from Eq, and
// `op >= Eq` (once And/Or are handled) means a comparison.
static_assert(static_cast<int>(BinOp::Add) == 0 && static_cast<int>(BinOp::Mod) == 4 &&
                  static_cast<int>(BinOp::Eq) == 5 && static_cast<int>(BinOp::Ne) == 6 &&
                  static_cast<int>(BinOp::Lt) == 7 && static_cast<int>(BinOp::Le) == 8 &&
                  static_cast<int>(BinOp::Gt) == 9 && static_cast<int>(BinOp::Ge) == 10 && BinOp::Ge < BinOp::And &&
                  BinOp::Ge < BinOp::Or,
              "BinOp: codegen indexes opcode tables by operator order");
const char* binop_text(BinOp op);

// What a Name turned out to be: a constant, a field, the `value` of a `when`
// block, a field of an expectation's first event (`start.F`), or `arrived`
// in the `then`/`else` of an expectation with a count (how many came).
enum class NameRef : uint8_t { Unresolved, Const, Field, WindowValue, StartField, Arrived };

struct Expr {
  ExprKind kind = ExprKind::IntLit;
  Loc loc;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;      // string literal, name, event part, callee
  std::string unit;   // literal spelling for durations/sizes/percents ("10s")
  BinOp op = BinOp::Add;
  bool negated = false;   // `not in`
  bool parens = false;    // written in parentheses
  std::vector<std::unique_ptr<Expr>> args;
  // Filled by the passes.
  Type type = Type::Unknown;
  Type elem = Type::Unknown;  // element type of a list
  NameRef ref = NameRef::Unresolved;
  int32_t const_index = -1;   // NamedConst index for Const refs
  int32_t builtin = -1;       // stdlib row for calls
  int32_t machine = -1;       // state(machine, key): the machine's index
};
using ExprPtr = std::unique_ptr<Expr>;

// A message template: literal text and holes.
struct TemplatePart {
  std::string text;
  ExprPtr hole;
};
struct TemplateAst {
  Loc loc;
  std::vector<TemplatePart> parts;
};

struct MapEntry {
  std::string key;
  Loc loc;
  ExprPtr value;
  std::optional<TemplateAst> tmpl;  // when the value is a string literal
};

enum class ActionKind : uint8_t {
  Verdict, Alert, CollectRecorder, CollectSnapshot, CollectProcess, Discard, Enable, Emit, Count, Observe
};

using NameList = std::vector<std::pair<std::string, Loc>>;

struct ActionAst {
  ActionKind kind = ActionKind::Verdict;
  Loc loc;
  Level level = Level::Error;            // Verdict
  std::optional<TemplateAst> message;    // Verdict, Alert
  std::string name;                      // Emit event, metric, recorder, snapshot, alert severity
  Loc name_loc;                          // Alert severity, Enable pattern, recorder, snapshot
  std::vector<MapEntry> entries;         // Emit fields, metric labels, alert labels
  ExprPtr value;                         // Observe
  NameList dedup;                        // Alert: dedup keys
  ExprPtr every;                         // Alert: at most one per this duration
  std::string min_severity;              // Enable: `level L` ("" when not written: every severity)
  Loc min_severity_loc;
  ExprPtr for_d;                         // Enable: for how long
};

// A construct the grammar accepts but whose semantics later issues add.
struct Unsupported {
  std::string construct;  // "recorder", "test", ...
  Loc loc;
};

struct Pattern {
  std::string text;  // "db.open", "db.*", "*"
  Loc loc;
};

struct Stmt;
using Block = std::vector<Stmt>;

// `when AGG(args) over|every D CMP THRESHOLD [by K, ...] [for D2] { ... }`
struct WhenAst {
  Loc loc;
  std::string agg;
  Loc agg_loc;
  std::vector<ExprPtr> args;
  double q = 0;         // quantile(e, q): the value of q (type_pass)
  bool sliding = true;  // over (sliding) or every (tumbling)
  ExprPtr window;       // duration literal or constant
  BinOp cmp = BinOp::Gt;
  ExprPtr threshold;
  NameList by;
  int64_t max_keys = 0;  // 0: the default cap
  ExprPtr for_d;
  Block body;
};

// `expect [N] PATTERN [where E] matching F, ... within D [then {...}] [else {...}]`
struct ExpectAst {
  Loc loc;
  ExprPtr count;  // N arrivals meet it (an int literal or constant); null: one
  std::vector<Pattern> patterns;
  ExprPtr where;
  NameList matching;
  ExprPtr within;
  int64_t max_pending = 0;  // 0: the default cap
  bool has_then = false, has_else = false;
  Block then_body, else_body;
};

struct Stmt {
  enum class Kind : uint8_t { Action, When, Expect } kind = Kind::Action;
  ActionAst action;
  std::unique_ptr<WhenAst> when;
  std::unique_ptr<ExpectAst> expect;
};

struct TransitionAst {
  Loc loc;
  bool after = false;                // `after D` instead of `on PATTERN`
  std::vector<Pattern> patterns;
  ExprPtr where;
  ExprPtr delay;                     // after
  std::string target;
  Loc target_loc;
  Block body;
};

struct StateAst {
  std::string name;
  Loc loc;
  std::vector<TransitionAst> transitions;
};

struct MachineDecl {
  std::string name;
  Loc loc;
  std::string key;
  Loc key_loc;
  std::string initial;
  Loc initial_loc;
  int initial_count = 0;
  int64_t max_keys = 0;  // 0: the default cap
  std::vector<StateAst> states;
};

// `recorder NAME capacity N [on PATTERN, ...] [by KEY] [idle D]` (spec 8)
struct RecorderDecl {
  std::string name;
  Loc loc;
  int64_t capacity = 0;
  Loc capacity_loc;
  std::vector<Pattern> patterns;  // empty: every event
  std::string key;                // "" when not keyed
  Loc key_loc;
  ExprPtr idle;                   // a duration literal or constant; null when none
};

struct RuleDecl {
  std::string name;
  Loc loc;
  std::vector<Pattern> patterns;
  ExprPtr where;
  std::vector<Stmt> body;
};

struct FilterActionAst {
  FilterKind kind = FilterKind::Drop;
  Loc loc;
  std::vector<std::pair<std::string, Loc>> fields;  // redact
  ExprPtr fraction;                                  // sample
};

struct FilterDecl {
  std::string name;
  Loc loc;
  std::vector<Pattern> patterns;
  ExprPtr where;
  std::vector<FilterActionAst> actions;
};

struct FieldDecl {
  std::string name;
  Loc loc;
  std::string type_name;
  Loc type_loc;
  bool sensitive = false;
  Type type = Type::Unknown;
};

struct EventDecl {
  std::string name;
  Loc loc;
  std::optional<int64_t> id;
  std::vector<FieldDecl> fields;
};

struct ConstDecl {
  std::string name;
  Loc loc;
  ExprPtr value;
  Const folded;  // type_pass
};

enum class ProfileItemKind : uint8_t { Set, RuleLevel, Warnings, Budget, Inject, Seed, AlertLevel, MaxKeys };

struct ProfileItem {
  ProfileItemKind kind = ProfileItemKind::Set;
  Loc loc;
  std::string name;      // constant or rule
  Loc name_loc;
  std::string level;     // rule level / warnings level
  Loc level_loc;
  ExprPtr value;         // set; a budget item's value
  ExprPtr per;           // a budget item's `per D` (dumps: 10 per 1h)
  int64_t number = 0;    // max
  // inject POINT {fields} [probability P] [max N] [after N]: the point is
  // `name`, the probability `value`; number is max (0: unlimited).
  std::vector<MapEntry> entries;
  int64_t after = 0;
};

struct ProfileDecl {
  std::string name;
  Loc loc;
  std::string extends;
  Loc extends_loc;
  std::vector<ProfileItem> items;
};

// One line of a `test "NAME" { ... }` block (spec 10), as written; test_pass
// checks it and turns the block into a dta::TestCase.
enum class TestItemKind : uint8_t { Profile, Policy, Events, At, Advance, Expect };

struct TestItem {
  TestItemKind kind = TestItemKind::Expect;
  Loc loc;
  std::string text;  // Profile: its name; Policy, Events: the path; At: the event name
  Loc text_loc;
  int64_t ns = 0;    // At: time from the test's start; Advance: how far past the last event
  std::string severity;  // At: `severity S`, "" when not written
  Loc severity_loc;
  std::vector<MapEntry> fields;  // At: the event's fields
  // Expect: `expect SUBJECT [WHAT] [COUNT]`.
  std::string subject, what;
  Loc subject_loc, what_loc;
  std::optional<int64_t> count;
  Loc count_loc;
};

struct TestDecl {
  std::string name;
  Loc loc;
  std::vector<TestItem> items;
};

// The whole policy, all included files merged in include order.
struct Policy {
  std::string name;
  Loc name_loc;
  int policy_decls = 0;
  std::vector<ConstDecl> consts;
  std::vector<EventDecl> events;
  std::vector<RuleDecl> rules;
  std::vector<FilterDecl> filters;
  std::vector<ProfileDecl> profiles;
  std::vector<MachineDecl> machines;
  std::vector<TestDecl> tests;
  std::vector<RecorderDecl> recorders;
  std::vector<Unsupported> unsupported;  // constructs the grammar has and the compiler does not (none today)
};

// The value of a map entry written as a literal (a number, a negated number,
// a string without holes, true or false), or nothing: the fields of a test's
// events and of an `inject`, which no event feeds.
std::optional<Const> literal_value(const MapEntry& entry);

// S-expression dump for tests: `(rule x (on db.open) (where (!= errno 0)) ...)`.
std::string dump(const Policy& p);
std::string dump(const Expr& e);

}  // namespace dta::ast
