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
const char* binop_text(BinOp op);

// What a Name turned out to be.
enum class NameRef : uint8_t { Unresolved, Const, Field };

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

struct ActionAst {
  ActionKind kind = ActionKind::Verdict;
  Loc loc;
  Level level = Level::Error;            // Verdict
  std::optional<TemplateAst> message;    // Verdict, Alert
  std::string name;                      // Emit event, metric, recorder, snapshot
  std::vector<MapEntry> entries;         // Emit fields, metric labels
  ExprPtr value;                         // Observe
};

// A construct the grammar accepts but whose semantics later issues add.
struct Unsupported {
  std::string construct;  // "when", "expect", "machine", ...
  Loc loc;
};

struct Stmt {
  bool is_action = true;
  ActionAst action;
  Unsupported other;  // when / expect
};

struct Pattern {
  std::string text;  // "db.open", "db.*", "*"
  Loc loc;
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

enum class ProfileItemKind : uint8_t { Set, RuleLevel, Warnings, Budget, Inject, Seed };

struct ProfileItem {
  ProfileItemKind kind = ProfileItemKind::Set;
  Loc loc;
  std::string name;      // constant or rule
  Loc name_loc;
  std::string level;     // rule level / warnings level
  Loc level_loc;
  ExprPtr value;         // set
};

struct ProfileDecl {
  std::string name;
  Loc loc;
  std::string extends;
  Loc extends_loc;
  std::vector<ProfileItem> items;
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
  std::vector<Unsupported> unsupported;  // machine, recorder, test at top level
};

// S-expression dump for tests: `(rule x (on db.open) (where (!= errno 0)) ...)`.
std::string dump(const Policy& p);
std::string dump(const Expr& e);

}  // namespace dta::ast
