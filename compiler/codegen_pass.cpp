// Pass: code generation. A register allocator that hands out registers like
// a stack, typed instructions picked from the checked types, constant
// operands folded into _K comparisons, forward jumps for and/or.
#include "codegen_pass.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <optional>

#include "dta/sites.hpp"

namespace dta {
namespace {

using ast::BinOp;
using ast::Expr;
using ast::ExprKind;

constexpr int kMaxRegs = 256;        // register operand a is one byte
constexpr size_t kMaxCode = 65000;   // jump targets are 16-bit
constexpr size_t kMaxTable = 65535;  // constant, key, function and regex indexes are 16-bit

bool numeric(Type t) { return t == Type::Int || t == Type::Float; }

BinOp mirror(BinOp op) {
  switch (op) {
    case BinOp::Lt: return BinOp::Gt;
    case BinOp::Le: return BinOp::Ge;
    case BinOp::Gt: return BinOp::Lt;
    case BinOp::Ge: return BinOp::Le;
    default: return op;
  }
}

class Codegen {
 public:
  explicit Codegen(PassContext& ctx) : ctx_(ctx), p_(ctx.policy), prog_(std::make_unique<Program>()) {}

  std::unique_ptr<Program> run() {
    prog_->policy = p_.policy_decls ? p_.name : std::filesystem::path(ctx_.sources.files[0].path).stem().string();
    prog_->sources = ctx_.sources.files;
    for (const ast::ConstDecl& c : p_.consts) {
      named_pool_.push_back(static_cast<uint16_t>(prog_->consts.size()));
      prog_->named_consts.push_back({c.name, static_cast<uint32_t>(prog_->consts.size())});
      prog_->consts.push_back(c.folded);
    }
    for (const ast::EventDecl& e : p_.events)
      for (const ast::FieldDecl& f : e.fields)
        if (f.sensitive) prog_->sensitive.push_back({e.name, f.name});
    for (ast::FilterDecl& f : p_.filters) filter(f);
    for (ast::RuleDecl& r : p_.rules) rule(r);
    for (ast::MachineDecl& m : p_.machines) machine(m);
    for (ast::RecorderDecl& r : p_.recorders) recorder(r);
    for (const Profile& fp : ctx_.flat_profiles) {
      Profile out = fp;
      for (auto& [idx, c] : out.consts) idx = named_pool_[idx];
      prog_->profiles.push_back(std::move(out));
    }
    // Table indexes are 16-bit instruction operands.
    const std::pair<const char*, size_t> kTables[] = {{"constants", prog_->consts.size()},
                                                      {"distinct field names", prog_->keys.size()},
                                                      {"distinct functions", prog_->functions.size()},
                                                      {"distinct regexes", prog_->regexes.size()}};
    for (const auto& [what, n] : kTables)
      if (n > kMaxTable)
        ctx_.diags.error_at_file(ctx_.sources.files[0].path,
                                 fmt::format("too many {} (more than {})", what, kMaxTable));
    assign_sites(*prog_);
    return std::move(prog_);
  }

 private:
  void error(const ast::Loc& l, std::string m) { ctx_.diags.error(l, std::move(m)); }

  SrcLoc src(const ast::Loc& l) const { return {l.file, l.line, l.col}; }

  // ---------------------------------------------------------------- tables
  uint16_t pool(const Const& c) {
    std::string key = fmt::format("{}|{}|{}|{}|{}", static_cast<int>(c.type), c.i, c.f, c.b, c.s);
    for (const Const& it : c.items) key += fmt::format("|{}:{}:{}:{}", static_cast<int>(it.type), it.i, it.f, it.s);
    auto [pos, fresh] = literal_pool_.emplace(key, prog_->consts.size());
    if (fresh) prog_->consts.push_back(c);
    return static_cast<uint16_t>(pos->second);
  }
  uint16_t index_of(std::map<std::string, uint32_t>& table, std::vector<std::string>& names, const std::string& s) {
    auto [pos, fresh] = table.emplace(s, names.size());
    if (fresh) names.push_back(s);
    return static_cast<uint16_t>(pos->second);
  }
  uint16_t key(const std::string& s) { return index_of(keys_, prog_->keys, s); }
  uint16_t fn(const std::string& s) { return index_of(fns_, prog_->functions, s); }
  uint16_t regex(const std::string& s) { return index_of(regexes_, prog_->regexes, s); }

  // ---------------------------------------------------------------- chunks
  void begin() {
    chunk_ = Chunk{};
    next_reg_ = 0;
    max_reg_ = 0;
  }
  int32_t end(Type result) {
    chunk_.nregs = static_cast<uint16_t>(std::max(max_reg_, 1));
    chunk_.result = result;
    if (chunk_.code.size() > kMaxCode) error(loc_, "expression too long");
    prog_->chunks.push_back(std::move(chunk_));
    return static_cast<int32_t>(prog_->chunks.size() - 1);
  }
  size_t emit(Op op, int a, int b = 0, int c = 0) {
    chunk_.code.push_back({op, static_cast<uint8_t>(a), static_cast<uint16_t>(b), static_cast<uint16_t>(c)});
    chunk_.lines.push_back(src(loc_));
    return chunk_.code.size() - 1;
  }
  void patch(size_t at) { chunk_.code[at].b = static_cast<uint16_t>(chunk_.code.size()); }
  int alloc() {
    if (next_reg_ >= kMaxRegs) {
      if (!regs_reported_) error(loc_, "expression too complex (needs more than 256 registers)");
      regs_reported_ = true;
      return kMaxRegs - 1;
    }
    max_reg_ = std::max(max_reg_, next_reg_ + 1);
    return next_reg_++;
  }
  void release(int to) { next_reg_ = to; }

  int32_t condition_chunk(Expr& e) {
    begin();
    const int r = alloc();
    gen(e, r);
    if (e.type == Type::Unknown) emit(Op::CHECK_T, r, 0, type_code(Type::Bool));
    emit(Op::RET, r);
    return end(Type::Bool);
  }
  int32_t value_chunk(Expr& e) {
    begin();
    const int r = alloc();
    gen(e, r);
    emit(Op::RET, r);
    return end(Type::Unknown);
  }
  int32_t templ(const ast::TemplateAst& t) {
    Template out;
    for (const ast::TemplatePart& part : t.parts) {
      if (part.hole) out.parts.push_back({"", value_chunk(*part.hole)});
      else out.parts.push_back({part.text, -1});
    }
    prog_->templates.push_back(std::move(out));
    return static_cast<int32_t>(prog_->templates.size() - 1);
  }

  // ---------------------------------------------------------------- expressions
  // The constant-pool index of e as a scalar of type `want`, if e is a constant.
  std::optional<uint16_t> as_k(const Expr& e, Type want) {
    if (e.kind == ExprKind::Name && e.ref == ast::NameRef::Const)
      return e.type == want ? std::optional<uint16_t>(named_pool_[e.const_index]) : std::nullopt;
    Const c;
    if (e.kind == ExprKind::IntLit || e.kind == ExprKind::FloatLit || e.kind == ExprKind::StringLit) {
      c.type = e.type; c.i = e.i; c.f = e.f; c.s = e.s;
    } else if (e.kind == ExprKind::Neg && (e.args[0]->kind == ExprKind::IntLit || e.args[0]->kind == ExprKind::FloatLit)) {
      c.type = e.type; c.i = -e.args[0]->i; c.f = -e.args[0]->f;
    } else {
      return std::nullopt;
    }
    if (c.type == Type::Int && want == Type::Float) {
      c.type = Type::Float;
      c.f = static_cast<double>(c.i);
    }
    if (c.type != want) return std::nullopt;
    return pool(c);
  }

  // Evaluates e into register dst, converted to float if `as_float`.
  void gen_num(Expr& e, int dst, bool as_float) {
    if (as_float && e.type == Type::Int) {
      if (auto k = as_k(e, Type::Float)) {
        emit(Op::LOADK, dst, *k);
        return;
      }
      gen(e, dst);
      emit(Op::I2F, dst, dst);
      return;
    }
    gen(e, dst);
  }

  void compare(Expr& e, int dst) {
    Expr* l = e.args[0].get();
    Expr* r = e.args[1].get();
    BinOp op = e.op;
    const Type x = l->type, y = r->type;
    if (x == Type::Unknown || y == Type::Unknown) {
      if (op == BinOp::Gt || op == BinOp::Ge) {
        std::swap(l, r);
        op = mirror(op);
      }
      gen(*l, dst);
      const int t = alloc();
      gen(*r, t);
      static const Op kDyn[] = {Op::EQ_D, Op::NE_D, Op::LT_D, Op::LE_D};
      emit(kDyn[static_cast<int>(op) - static_cast<int>(BinOp::Eq)], dst, dst, t);
      release(t);
      return;
    }
    Type t = x;
    if (numeric(x) && numeric(y)) t = x == Type::Float || y == Type::Float ? Type::Float : Type::Int;
    // `const OP expr`: put the constant on the right.
    if (!as_k(*r, t) && as_k(*l, t)) {
      std::swap(l, r);
      op = mirror(op);
    }
    if (auto k = as_k(*r, t); k && t != Type::Bool) {
      static const Op kIntK[] = {Op::EQ_IK, Op::NE_IK, Op::LT_IK, Op::LE_IK, Op::GT_IK, Op::GE_IK};
      static const Op kFltK[] = {Op::EQ_FK, Op::NE_FK, Op::LT_FK, Op::LE_FK, Op::GT_FK, Op::GE_FK};
      const int i = static_cast<int>(op) - static_cast<int>(BinOp::Eq);
      if (t == Type::Int || t == Type::Float) {
        gen_num(*l, dst, t == Type::Float);
        emit((t == Type::Int ? kIntK : kFltK)[i], dst, dst, *k);
        return;
      }
      if (t == Type::String && (op == BinOp::Eq || op == BinOp::Ne)) {
        gen(*l, dst);
        emit(op == BinOp::Eq ? Op::EQ_SK : Op::NE_SK, dst, dst, *k);
        return;
      }
    }
    if (op == BinOp::Gt || op == BinOp::Ge) {
      std::swap(l, r);
      op = mirror(op);
    }
    gen_num(*l, dst, t == Type::Float);
    const int tr = alloc();
    gen_num(*r, tr, t == Type::Float);
    const int i = static_cast<int>(op) - static_cast<int>(BinOp::Eq);  // Eq Ne Lt Le
    static const Op kInt[] = {Op::EQ_I, Op::NE_I, Op::LT_I, Op::LE_I};
    static const Op kFlt[] = {Op::EQ_F, Op::NE_F, Op::LT_F, Op::LE_F};
    static const Op kStr[] = {Op::EQ_S, Op::NE_S, Op::LT_S, Op::LE_S};
    static const Op kBool[] = {Op::EQ_B, Op::NE_B, Op::EQ_B, Op::EQ_B};
    const Op* table = t == Type::Int ? kInt : t == Type::Float ? kFlt : t == Type::String ? kStr : kBool;
    emit(table[i], dst, dst, tr);
    release(tr);
  }

  void arith(Expr& e, int dst) {
    const Type x = e.args[0]->type, y = e.args[1]->type;
    const int i = static_cast<int>(e.op);  // Add Sub Mul Div Mod
    if (e.type == Type::String) {
      gen(*e.args[0], dst);
      const int t = alloc();
      gen(*e.args[1], t);
      emit(Op::CONCAT, dst, dst, t);
      release(t);
      return;
    }
    static const Op kInt[] = {Op::ADD_I, Op::SUB_I, Op::MUL_I, Op::DIV_I, Op::MOD_I};
    static const Op kFlt[] = {Op::ADD_F, Op::SUB_F, Op::MUL_F, Op::DIV_F, Op::MOD_F};
    static const Op kDyn[] = {Op::ADD_D, Op::SUB_D, Op::MUL_D, Op::DIV_D, Op::MOD_D};
    const bool dyn = x == Type::Unknown || y == Type::Unknown;
    const bool flt = !dyn && e.type == Type::Float;
    gen_num(*e.args[0], dst, flt);
    const int t = alloc();
    gen_num(*e.args[1], t, flt);
    emit((dyn ? kDyn : flt ? kFlt : kInt)[i], dst, dst, t);
    release(t);
  }

  void logic(Expr& e, int dst) {
    gen(*e.args[0], dst);
    if (e.args[0]->type == Type::Unknown) emit(Op::CHECK_T, dst, 0, type_code(Type::Bool));
    const size_t jump = emit(e.op == BinOp::And ? Op::JMPF : Op::JMPT, dst, 0);
    gen(*e.args[1], dst);
    if (e.args[1]->type == Type::Unknown) emit(Op::CHECK_T, dst, 0, type_code(Type::Bool));
    patch(jump);
  }

  // The constant-pool index of a list, or nullopt when an item is not a literal.
  std::optional<uint16_t> list_k(const Expr& list) {
    if (list.kind == ExprKind::Name && list.ref == ast::NameRef::Const) return named_pool_[list.const_index];
    Const c;
    c.type = Type::List;
    for (const auto& item : list.args) {
      Const it;
      it.type = item->type;
      if (item->kind == ExprKind::IntLit || item->kind == ExprKind::FloatLit || item->kind == ExprKind::StringLit ||
          item->kind == ExprKind::BoolLit) {
        it.i = item->i; it.f = item->f; it.s = item->s; it.b = item->b;
      } else if (item->kind == ExprKind::Neg && numeric(item->type) && item->args[0]->kind != ExprKind::Name) {
        it.i = -item->args[0]->i; it.f = -item->args[0]->f;
      } else {
        return std::nullopt;
      }
      c.items.push_back(std::move(it));
    }
    return pool(c);
  }

  void in(Expr& e, int dst) {
    gen(*e.args[0], dst);
    Expr& list = *e.args[1];
    if (auto k = list_k(list)) {
      emit(Op::IN_K, dst, dst, *k);
    } else {  // items that are not literals: x == a or x == b ...
      const int x = alloc(), t = alloc();
      emit(Op::MOVE, x, dst);
      emit(Op::LOADK, dst, pool(Const{Type::Bool, 0, 0, false, {}, {}}));
      std::vector<size_t> hits;
      for (auto& item : list.args) {
        gen(*item, t);
        emit(Op::EQ_D, t, x, t);
        hits.push_back(emit(Op::JMPT, t, 0));
      }
      const size_t skip = emit(Op::JMP, 0, 0);
      for (size_t h : hits) patch(h);
      emit(Op::LOADK, dst, pool(Const{Type::Bool, 0, 0, true, {}, {}}));
      patch(skip);
      release(x);
    }
    if (e.negated) emit(Op::NOT, dst, dst);
  }

  // The typed load of a field of type t (LOADF: typed when it runs).
  static Op load_op(Type t) {
    switch (t) {
      case Type::Int: return Op::LOADF_I;
      case Type::Float: return Op::LOADF_F;
      case Type::String: return Op::LOADF_S;
      case Type::Bool: return Op::LOADF_B;
      default: return Op::LOADF;
    }
  }
  void load_field(const std::string& name, Type t, int dst) { emit(load_op(t), dst, key(name)); }

  // The Y operand that checks for type t (type_codes.def).
  static int type_code(Type t) { return static_cast<int>(type_code_of(t)); }

  void call(Expr& e, int dst) {
    if (e.machine >= 0) {
      const int k = alloc();
      gen(*e.args[1], k);
      emit(Op::STATE, dst, e.machine, k);
      release(k);
      return;
    }
    const Builtin& b = ctx_.builtins[e.builtin];
    switch (b.special) {
      case Special::HasField: {
        const Expr& a = *e.args[0];
        emit(Op::HAS, dst, key(a.kind == ExprKind::Call ? a.args[0]->s : a.s));
        return;
      }
      case Special::FieldNamed: load_field(e.args[0]->s, e.type, dst); return;
      case Special::Regex: {
        gen(*e.args[0], dst);
        if (e.args[0]->type == Type::Unknown) emit(Op::CHECK_T, dst, 0, type_code(Type::String));
        const Expr& re = *e.args[1];
        const std::string& pattern = re.kind == ExprKind::StringLit ? re.s : p_.consts[re.const_index].folded.s;
        emit(Op::MATCH, dst, dst, regex(pattern));
        return;
      }
      case Special::None: break;
    }
    const int base = next_reg_;
    for (size_t i = 0; i < e.args.size(); ++i) gen(*e.args[i], alloc());
    emit(Op::CALL, dst, fn(b.name), base);
    release(base);
  }

  void gen(Expr& e, int dst) {
    const ast::Loc saved = loc_;
    loc_ = e.loc;
    const int mark = next_reg_;
    switch (e.kind) {
      case ExprKind::IntLit: case ExprKind::FloatLit: case ExprKind::StringLit: case ExprKind::BoolLit: {
        Const c;
        c.type = e.type; c.i = e.i; c.f = e.f; c.s = e.s; c.b = e.b;
        emit(Op::LOADK, dst, pool(c));
        break;
      }
      case ExprKind::ListLit: error(e.loc, "a list can only follow 'in'"); break;
      case ExprKind::Name:
        if (e.ref == ast::NameRef::WindowValue || e.ref == ast::NameRef::Arrived) {  // the block's value
          emit(Op::LOADV, dst, 0, type_code(e.type));
        } else if (e.ref == ast::NameRef::StartField) {
          emit(Op::LOADSF, dst, key(e.s), type_code(e.type));
        } else if (e.ref == ast::NameRef::Const) {
          if (e.type == Type::List) error(e.loc, "a list can only follow 'in'");
          else emit(Op::LOADK, dst, named_pool_[e.const_index]);
        } else {
          load_field(e.s, e.type, dst);
        }
        break;
      case ExprKind::EventPart:
        emit(find_event_part(e.s)->op, dst);  // resolve_pass checked the name
        break;
      case ExprKind::Call: call(e, dst); break;
      case ExprKind::Neg:
        gen(*e.args[0], dst);
        emit(e.type == Type::Int ? Op::NEG_I : e.type == Type::Float ? Op::NEG_F : Op::NEG_D, dst, dst);
        break;
      case ExprKind::Not:
        gen(*e.args[0], dst);
        if (e.args[0]->type == Type::Unknown) emit(Op::CHECK_T, dst, 0, type_code(Type::Bool));
        emit(Op::NOT, dst, dst);
        break;
      case ExprKind::Binary:
        if (e.op == BinOp::And || e.op == BinOp::Or) logic(e, dst);
        else if (e.op >= BinOp::Eq) compare(e, dst);
        else arith(e, dst);
        break;
      case ExprKind::In: in(e, dst); break;
    }
    release(mark);
    loc_ = saved;
  }

  // ---------------------------------------------------------------- declarations
  void filter(ast::FilterDecl& f) {
    loc_ = f.loc;
    const int32_t where = f.where ? condition_chunk(*f.where) : -1;
    for (ast::FilterActionAst& a : f.actions) {
      Filter out;
      out.name = f.name;
      out.loc = src(f.loc);
      for (const ast::Pattern& pt : f.patterns) out.patterns.push_back(pt.text);
      out.where = where;
      out.kind = a.kind;
      for (const auto& fl : a.fields) out.fields.push_back(fl.first);
      if (a.fraction) {
        const Expr& fr = *a.fraction;
        if (fr.kind == ExprKind::Name) {
          const Const& c = p_.consts[fr.const_index].folded;
          out.fraction = c.type == Type::Int ? static_cast<double>(c.i) : c.f;
        } else {
          out.fraction = fr.kind == ExprKind::IntLit ? static_cast<double>(fr.i) : fr.f;
        }
      }
      prog_->filters.push_back(std::move(out));
    }
  }

  // The constant index of a duration or an expectation's count (an int
  // literal or a constant).
  uint16_t duration_k(const Expr& e) {
    if (e.kind == ExprKind::Name) return named_pool_[e.const_index];
    Const c;
    c.type = Type::Int;
    c.i = e.i;
    return pool(c);
  }

  // A chunk that loads field `name` (dynamic type).
  int32_t field_chunk(const std::string& name) {
    begin();
    const int r = alloc();
    emit(Op::LOADF, r, key(name));
    emit(Op::RET, r);
    return end(Type::Unknown);
  }

  Action action(ast::ActionAst& a) {
    loc_ = a.loc;
    Action act;
    act.loc = src(a.loc);
    act.name = a.name;
    switch (a.kind) {
      case ast::ActionKind::Verdict:
        act.kind = ActionKind::Verdict;
        act.level = a.level;
        act.tmpl = a.message ? templ(*a.message) : -1;
        break;
      case ast::ActionKind::Emit: act.kind = ActionKind::Emit; break;
      case ast::ActionKind::Count: act.kind = ActionKind::Count; break;
      case ast::ActionKind::Observe:
        act.kind = ActionKind::Observe;
        act.chunk = value_chunk(*a.value);
        break;
      case ast::ActionKind::Alert:
        act.kind = ActionKind::Alert;
        parse_enum(a.name, act.severity);  // resolve_pass checked the name
        act.tmpl = templ(*a.message);
        for (const auto& d : a.dedup) act.dedup.push_back({d.first, -1, field_chunk(d.first)});
        if (a.every) act.every_k = duration_k(*a.every);
        break;
      case ast::ActionKind::Enable:
        act.kind = ActionKind::Enable;
        if (!a.min_severity.empty()) parse_severity(a.min_severity, act.min_severity);  // resolve_pass checked it
        act.for_k = duration_k(*a.for_d);
        break;
      case ast::ActionKind::CollectRecorder:
      case ast::ActionKind::Discard:
        act.kind = a.kind == ast::ActionKind::Discard ? ActionKind::Discard : ActionKind::CollectRecorder;
        act.recorder = static_cast<int32_t>(ctx_.recorders.at(a.name));  // resolve_pass checked the name
        act.name.clear();
        break;
      case ast::ActionKind::CollectSnapshot: act.kind = ActionKind::CollectSnapshot; break;
      case ast::ActionKind::CollectProcess: act.kind = ActionKind::CollectProcess; break;
    }
    for (ast::MapEntry& m : a.entries) {
      Entry e;
      e.key = m.key;
      if (m.tmpl) e.tmpl = templ(*m.tmpl);
      else e.chunk = value_chunk(*m.value);
      act.entries.push_back(std::move(e));
    }
    return act;
  }

  std::vector<Action> actions(ast::Block& b) {
    std::vector<Action> out;
    for (ast::Stmt& s : b)
      if (s.kind == ast::Stmt::Kind::Action) out.push_back(action(s.action));
    return out;
  }

  // The level of the first non-ok verdict in a block, nested blocks included.
  static void first_level(const ast::Block& b, Level* level, bool* any_ok) {
    for (const ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) {
        first_level(s.when->body, level, any_ok);
      } else if (s.kind == ast::Stmt::Kind::Expect) {
        first_level(s.expect->then_body, level, any_ok);
        first_level(s.expect->else_body, level, any_ok);
      } else if (s.action.kind == ast::ActionKind::Verdict) {
        if (s.action.level == Level::Ok) *any_ok = true;
        else if (*level == Level::None) *level = s.action.level;
      }
    }
  }

  When when(ast::WhenAst& w) {
    loc_ = w.loc;
    When out;
    out.loc = src(w.loc);
    const AggSpelling& spelling = *find_agg_spelling(w.agg);  // resolve_pass checked the name
    out.agg = spelling.agg;
    out.q = spelling.q < 0 ? w.q : spelling.q;  // quantile(e, q): type_pass found q
    if (!w.args.empty()) out.arg = value_chunk(*w.args[0]);
    out.sliding = w.sliding;
    out.window_k = duration_k(*w.window);
    if (w.for_d) out.for_k = duration_k(*w.for_d);
    switch (w.cmp) {  // each comparison of comparisons.def is the BinOp of the same name
#define CMP(e, text) \
  case BinOp::e: out.cmp = Cmp::e; break;
#include "dta/comparisons.def"
#undef CMP
      default: break;
    }
    out.threshold = value_chunk(*w.threshold);
    for (const auto& k : w.by) out.by.push_back({k.first, -1, field_chunk(k.first)});
    out.max_keys = static_cast<uint32_t>(w.max_keys);
    out.actions = actions(w.body);
    return out;
  }

  Expect expect(ast::ExpectAst& x) {
    loc_ = x.loc;
    Expect out;
    out.loc = src(x.loc);
    for (const ast::Pattern& pt : x.patterns) out.patterns.push_back(pt.text);
    if (x.where) out.where = condition_chunk(*x.where);
    for (const auto& m : x.matching) out.matching.push_back(m.first);
    out.within_k = duration_k(*x.within);
    if (x.count) out.count_k = duration_k(*x.count);  // an int literal or constant, as a duration is
    out.max_pending = static_cast<uint32_t>(x.max_pending);
    out.has_then = x.has_then;
    out.has_else = x.has_else;
    out.then_actions = actions(x.then_body);
    out.else_actions = actions(x.else_body);
    return out;
  }

  void rule(ast::RuleDecl& r) {
    loc_ = r.loc;
    Rule out;
    out.name = r.name;
    out.loc = src(r.loc);
    for (const ast::Pattern& pt : r.patterns) out.patterns.push_back(pt.text);
    if (r.where) out.where = condition_chunk(*r.where);
    for (ast::Stmt& s : r.body) {
      switch (s.kind) {
        case ast::Stmt::Kind::Action: out.actions.push_back(action(s.action)); out.counts_fired = true; break;
        case ast::Stmt::Kind::When: out.whens.push_back(when(*s.when)); break;
        case ast::Stmt::Kind::Expect: out.expects.push_back(expect(*s.expect)); break;
      }
    }
    bool any_ok = false;
    first_level(r.body, &out.level, &any_ok);
    if (out.level == Level::None && any_ok) out.level = Level::Ok;
    prog_->rules.push_back(std::move(out));
  }

  void recorder(ast::RecorderDecl& r) {
    loc_ = r.loc;
    Recorder out;
    out.name = r.name;
    out.loc = src(r.loc);
    out.capacity = static_cast<uint32_t>(r.capacity);  // resolve_pass checked the range
    for (const ast::Pattern& pt : r.patterns) out.patterns.push_back(pt.text);
    if (out.patterns.empty()) out.patterns.push_back("*");
    out.key = r.key;
    if (r.idle && !r.key.empty()) out.idle_k = duration_k(*r.idle);
    prog_->recorders.push_back(std::move(out));
  }

  void machine(ast::MachineDecl& m) {
    loc_ = m.loc;
    Machine out;
    out.name = m.name;
    out.loc = src(m.loc);
    out.key = m.key;
    out.max_keys = static_cast<uint32_t>(m.max_keys);
    std::map<std::string, uint32_t> index;
    for (size_t i = 0; i < m.states.size(); ++i) index[m.states[i].name] = static_cast<uint32_t>(i);
    out.initial = index.at(m.initial);
    bool any_ok = false;
    for (ast::StateAst& st : m.states) {
      MachineState ms;
      ms.name = st.name;
      for (ast::TransitionAst& t : st.transitions) {
        loc_ = t.loc;
        Transition tr;
        tr.after = t.after;
        for (const ast::Pattern& pt : t.patterns) tr.patterns.push_back(pt.text);
        if (t.where) tr.where = condition_chunk(*t.where);
        if (t.delay) tr.delay_k = duration_k(*t.delay);
        tr.target = index.at(t.target);
        tr.has_block = !t.body.empty();
        tr.actions = actions(t.body);
        first_level(t.body, &out.level, &any_ok);
        ms.transitions.push_back(std::move(tr));
      }
      out.states.push_back(std::move(ms));
    }
    if (out.level == Level::None && any_ok) out.level = Level::Ok;
    prog_->machines.push_back(std::move(out));
  }

  PassContext& ctx_;
  ast::Policy& p_;
  std::unique_ptr<Program> prog_;
  std::vector<uint16_t> named_pool_;
  std::map<std::string, size_t> literal_pool_;
  std::map<std::string, uint32_t> keys_, fns_, regexes_;
  Chunk chunk_;
  int next_reg_ = 0, max_reg_ = 0;
  bool regs_reported_ = false;
  ast::Loc loc_;
};

}  // namespace

void codegen_pass(PassContext& ctx) {
  if (ctx.diags.has_errors()) return;  // no code for a policy with errors
  ctx.program = Codegen(ctx).run();
}

}  // namespace dta
