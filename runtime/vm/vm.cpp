// The dispatch loop: computed goto on GCC/Clang, one case body per opcode of
// opcodes.def. Typed instructions do no type tests; the verifier guaranteed
// the register types. Dynamic (_D) instructions test tags and report misses.
#include "vm/vm.hpp"

#include <cmath>
#include <cstring>

#include "vm/regex.hpp"

namespace dta {
namespace {

int compare_str(const Value& x, const Value& y) {
  const uint32_t n = x.s.n < y.s.n ? x.s.n : y.s.n;
  const int c = n ? std::memcmp(x.s.p, y.s.p, n) : 0;
  if (c) return c;
  return x.s.n < y.s.n ? -1 : x.s.n > y.s.n ? 1 : 0;
}

bool eq_str(const Value& x, const Value& y) {
  return x.s.n == y.s.n && (x.s.n == 0 || std::memcmp(x.s.p, y.s.p, x.s.n) == 0);
}

bool is_num(const Value& v) { return v.type == Type::Int || v.type == Type::Float; }
double as_f(const Value& v) { return v.type == Type::Int ? static_cast<double>(v.i) : v.f; }

// Equality across dynamic values; false in *ok when the types cannot compare.
bool eq_dyn(const Value& x, const Value& y, bool* ok) {
  *ok = true;
  if (x.type == y.type) {
    switch (x.type) {
      case Type::Int: return x.i == y.i;
      case Type::Float: return x.f == y.f;
      case Type::Bool: return x.b == y.b;
      case Type::String: return eq_str(x, y);
      default: break;
    }
  } else if (is_num(x) && is_num(y)) {
    return as_f(x) == as_f(y);
  }
  *ok = false;
  return false;
}

// -1/0/1 ordering for numbers or strings; *ok false otherwise.
int cmp_dyn(const Value& x, const Value& y, bool* ok) {
  *ok = true;
  if (x.type == Type::Int && y.type == Type::Int) return x.i < y.i ? -1 : x.i > y.i;
  if (is_num(x) && is_num(y)) {
    const double a = as_f(x), b = as_f(y);
    return a < b ? -1 : a > b;
  }
  if (x.type == Type::String && y.type == Type::String) return compare_str(x, y);
  *ok = false;
  return 0;
}

Status int_arith(Op op, int64_t x, int64_t y, int64_t* r) {
  switch (op) {
    case Op::ADD_I: return __builtin_add_overflow(x, y, r) ? Status::ArithError : Status::Ok;
    case Op::SUB_I: return __builtin_sub_overflow(x, y, r) ? Status::ArithError : Status::Ok;
    case Op::MUL_I: return __builtin_mul_overflow(x, y, r) ? Status::ArithError : Status::Ok;
    case Op::DIV_I:
      if (y == 0 || (x == INT64_MIN && y == -1)) return Status::ArithError;
      *r = x / y;
      return Status::Ok;
    case Op::MOD_I:
      if (y == 0) return Status::ArithError;
      *r = y == -1 ? 0 : x % y;
      return Status::Ok;
    default: return Status::TypeError;
  }
}

Status float_arith(Op op, double x, double y, double* r) {
  switch (op) {
    case Op::ADD_F: *r = x + y; return Status::Ok;
    case Op::SUB_F: *r = x - y; return Status::Ok;
    case Op::MUL_F: *r = x * y; return Status::Ok;
    case Op::DIV_F: if (y == 0) return Status::ArithError; *r = x / y; return Status::Ok;
    case Op::MOD_F: if (y == 0) return Status::ArithError; *r = std::fmod(x, y); return Status::Ok;
    default: return Status::TypeError;
  }
}

// Arithmetic on values whose types are known only now.
Status dyn_arith(Op op, const Value& x, const Value& y, Value* out, Arena& arena) {
  if (op == Op::ADD_D && x.type == Type::String && y.type == Type::String) {
    char* p = arena.alloc(x.s.n + y.s.n);
    if (x.s.n) std::memcpy(p, x.s.p, x.s.n);
    if (y.s.n) std::memcpy(p + x.s.n, y.s.p, y.s.n);
    *out = Value::of_string({p, size_t{x.s.n} + y.s.n});
    return Status::Ok;
  }
  if (!is_num(x) || !is_num(y)) return Status::TypeError;
  // The typed instruction of the same operator: ADD SUB MUL DIV MOD keep
  // their order in each run of opcodes.def (static_assert at the Op enum).
  static constexpr Op kInt[] = {Op::ADD_I, Op::SUB_I, Op::MUL_I, Op::DIV_I, Op::MOD_I};
  static constexpr Op kFlt[] = {Op::ADD_F, Op::SUB_F, Op::MUL_F, Op::DIV_F, Op::MOD_F};
  const int idx = static_cast<int>(op) - static_cast<int>(Op::ADD_D);
  if (x.type == Type::Int && y.type == Type::Int) {
    int64_t r = 0;
    const Status st = int_arith(kInt[idx], x.i, y.i, &r);
    *out = Value::of_int(r);
    return st;
  }
  double r = 0;
  const Status st = float_arith(kFlt[idx], as_f(x), as_f(y), &r);
  *out = Value::of_float(r);
  return st;
}

// event.severity as a string (out of line: a rare instruction kept out of the loop's code).
[[gnu::noinline]] Value severity_value(Severity s) { return Value::of_string(severity_name(s)); }

bool in_list(const Value& x, const ListView& l) {
  bool ok;
  for (uint32_t i = 0; i < l.size; ++i)
    if (eq_dyn(x, l.items[i], &ok)) return true;
  return false;
}

// Checks v against type code c (type_codes.def, valid: the verifier checked
// it); an int is widened for `float`.
Status typed(Value* v, uint16_t c) {
  switch (static_cast<TypeCode>(c)) {
    case TypeCode::Int: return v->type == Type::Int ? Status::Ok : Status::TypeError;
    case TypeCode::Float:
      if (v->type == Type::Int) *v = Value::of_float(static_cast<double>(v->i));
      return v->type == Type::Float ? Status::Ok : Status::TypeError;
    case TypeCode::String: return v->type == Type::String ? Status::Ok : Status::TypeError;
    case TypeCode::Bool: return v->type == Type::Bool ? Status::Ok : Status::TypeError;
    case TypeCode::Number: return is_num(*v) ? Status::Ok : Status::TypeError;
    case TypeCode::Any: break;
  }
  return v->type == Type::List ? Status::TypeError : Status::Ok;
}

}  // namespace

Status vm_run(const VmEnv& env, const Chunk& chunk, const Event& ev, Value* out) {
  Value* const r = env.regs;
  const Value* const k = env.k;
  const Instr* const code = chunk.code.data();
  const Instr* ip = code;
  const Instr* in;
  Status st;

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"  // computed goto: labels as values
  static const void* const kLabels[] = {
#define OP(name, a, b, c, syn) &&L_##name,
#include "dta/opcodes.def"
#undef OP
  };
#define CASE(name) L_##name:
#define DISPATCH() do { in = ip++; goto* kLabels[static_cast<uint8_t>(in->op)]; } while (0)
  DISPATCH();
#else
#define CASE(name) case Op::name:
#define DISPATCH() goto dispatch
dispatch:
  in = ip++;
  switch (in->op) {
#endif

// A field load: find the field, check its type, or leave with the miss.
#define FIELD(var)                                     \
  const Field* var = ev.find(env.keymap[in->b]);       \
  if (!var) return Status::MissingField

  CASE(LOADK) { r[in->a] = k[in->b]; DISPATCH(); }
  CASE(LOADF) { FIELD(f); r[in->a] = ev.value(*f); DISPATCH(); }
  CASE(LOADF_I) {
    FIELD(f);
    if (f->type != Type::Int) return Status::TypeError;
    r[in->a] = Value::of_int(f->i);
    DISPATCH();
  }
  CASE(LOADF_F) {
    FIELD(f);
    if (f->type == Type::Float) r[in->a] = Value::of_float(f->f);
    else if (f->type == Type::Int) r[in->a] = Value::of_float(static_cast<double>(f->i));
    else return Status::TypeError;
    DISPATCH();
  }
  CASE(LOADF_S) {
    FIELD(f);
    if (f->type != Type::String) return Status::TypeError;
    r[in->a] = ev.value(*f);
    DISPATCH();
  }
  CASE(LOADF_B) {
    FIELD(f);
    if (f->type != Type::Bool) return Status::TypeError;
    r[in->a] = Value::of_bool(f->b);
    DISPATCH();
  }
  CASE(HAS) { r[in->a] = Value::of_bool(ev.find(env.keymap[in->b]) != nullptr); DISPATCH(); }
  CASE(EV_NAME) { r[in->a] = Value::of_string(env.names->name(ev.name)); DISPATCH(); }
  CASE(EV_ID) {
    if (!ev.has_id) return Status::MissingField;
    r[in->a] = Value::of_int(ev.id);
    DISPATCH();
  }
  CASE(EV_TS) { r[in->a] = Value::of_int(ev.ts); DISPATCH(); }
  CASE(EV_SEV) { r[in->a] = severity_value(ev.severity); DISPATCH(); }
  CASE(MOVE) { r[in->a] = r[in->b]; DISPATCH(); }
  CASE(LOADV) {
    if (!env.window_value) return Status::MissingField;
    Value v = *env.window_value;
    if ((st = typed(&v, in->c)) != Status::Ok) return st;
    r[in->a] = v;
    DISPATCH();
  }
  CASE(LOADSF) {
    const Field* f = env.start ? env.start->find(env.keymap[in->b]) : nullptr;
    if (!f) return Status::MissingField;
    Value v = env.start->value(*f);
    if ((st = typed(&v, in->c)) != Status::Ok) return st;
    r[in->a] = v;
    DISPATCH();
  }
  CASE(STATE) {
    r[in->a] = Value::of_string(env.states ? env.states->state_of(in->b, r[in->c]) : std::string_view());
    DISPATCH();
  }
  CASE(I2F) { r[in->a] = Value::of_float(static_cast<double>(r[in->b].i)); DISPATCH(); }

#define INT_OP(name)                                                   \
  CASE(name) {                                                         \
    int64_t v;                                                         \
    if ((st = int_arith(Op::name, r[in->b].i, r[in->c].i, &v)) != Status::Ok) return st; \
    r[in->a] = Value::of_int(v);                                       \
    DISPATCH();                                                        \
  }
  INT_OP(ADD_I) INT_OP(SUB_I) INT_OP(MUL_I) INT_OP(DIV_I) INT_OP(MOD_I)
#undef INT_OP
  CASE(NEG_I) {
    if (r[in->b].i == INT64_MIN) return Status::ArithError;
    r[in->a] = Value::of_int(-r[in->b].i);
    DISPATCH();
  }
#define FLT_OP(name)                                                   \
  CASE(name) {                                                         \
    double v;                                                          \
    if ((st = float_arith(Op::name, r[in->b].f, r[in->c].f, &v)) != Status::Ok) return st; \
    r[in->a] = Value::of_float(v);                                     \
    DISPATCH();                                                        \
  }
  FLT_OP(ADD_F) FLT_OP(SUB_F) FLT_OP(MUL_F) FLT_OP(DIV_F) FLT_OP(MOD_F)
#undef FLT_OP
  CASE(NEG_F) { r[in->a] = Value::of_float(-r[in->b].f); DISPATCH(); }
  CASE(CONCAT) {
    Value v;
    dyn_arith(Op::ADD_D, r[in->b], r[in->c], &v, *env.arena);
    r[in->a] = v;
    DISPATCH();
  }

#define CMP_RR(name, field, expr) \
  CASE(name) { const auto x = r[in->b].field, y = r[in->c].field; r[in->a] = Value::of_bool(expr); DISPATCH(); }
#define CMP_RK(name, field, expr) \
  CASE(name) { const auto x = r[in->b].field, y = k[in->c].field; r[in->a] = Value::of_bool(expr); DISPATCH(); }
  CMP_RR(EQ_I, i, x == y) CMP_RR(NE_I, i, x != y) CMP_RR(LT_I, i, x < y) CMP_RR(LE_I, i, x <= y)
  CMP_RR(EQ_F, f, x == y) CMP_RR(NE_F, f, x != y) CMP_RR(LT_F, f, x < y) CMP_RR(LE_F, f, x <= y)
  CMP_RR(EQ_B, b, x == y) CMP_RR(NE_B, b, x != y)
  CMP_RK(EQ_IK, i, x == y) CMP_RK(NE_IK, i, x != y) CMP_RK(LT_IK, i, x < y)
  CMP_RK(LE_IK, i, x <= y) CMP_RK(GT_IK, i, x > y) CMP_RK(GE_IK, i, x >= y)
  CMP_RK(EQ_FK, f, x == y) CMP_RK(NE_FK, f, x != y) CMP_RK(LT_FK, f, x < y)
  CMP_RK(LE_FK, f, x <= y) CMP_RK(GT_FK, f, x > y) CMP_RK(GE_FK, f, x >= y)
#undef CMP_RR
#undef CMP_RK
  CASE(EQ_S) { r[in->a] = Value::of_bool(eq_str(r[in->b], r[in->c])); DISPATCH(); }
  CASE(NE_S) { r[in->a] = Value::of_bool(!eq_str(r[in->b], r[in->c])); DISPATCH(); }
  CASE(LT_S) { r[in->a] = Value::of_bool(compare_str(r[in->b], r[in->c]) < 0); DISPATCH(); }
  CASE(LE_S) { r[in->a] = Value::of_bool(compare_str(r[in->b], r[in->c]) <= 0); DISPATCH(); }
  CASE(EQ_SK) { r[in->a] = Value::of_bool(eq_str(r[in->b], k[in->c])); DISPATCH(); }
  CASE(NE_SK) { r[in->a] = Value::of_bool(!eq_str(r[in->b], k[in->c])); DISPATCH(); }
  CASE(IN_K) { r[in->a] = Value::of_bool(in_list(r[in->b], k[in->c].list)); DISPATCH(); }

#define DYN_ARITH(name)                                                          \
  CASE(name) {                                                                   \
    Value v;                                                                     \
    if ((st = dyn_arith(Op::name, r[in->b], r[in->c], &v, *env.arena)) != Status::Ok) return st; \
    r[in->a] = v;                                                                \
    DISPATCH();                                                                  \
  }
  DYN_ARITH(ADD_D) DYN_ARITH(SUB_D) DYN_ARITH(MUL_D) DYN_ARITH(DIV_D) DYN_ARITH(MOD_D)
#undef DYN_ARITH
  CASE(NEG_D) {
    const Value x = r[in->b];
    if (x.type == Type::Int) {
      if (x.i == INT64_MIN) return Status::ArithError;
      r[in->a] = Value::of_int(-x.i);
    } else if (x.type == Type::Float) {
      r[in->a] = Value::of_float(-x.f);
    } else {
      return Status::TypeError;
    }
    DISPATCH();
  }
  CASE(EQ_D) {
    bool ok;
    const bool v = eq_dyn(r[in->b], r[in->c], &ok);
    if (!ok) return Status::TypeError;
    r[in->a] = Value::of_bool(v);
    DISPATCH();
  }
  CASE(NE_D) {
    bool ok;
    const bool v = eq_dyn(r[in->b], r[in->c], &ok);
    if (!ok) return Status::TypeError;
    r[in->a] = Value::of_bool(!v);
    DISPATCH();
  }
  CASE(LT_D) {
    bool ok;
    const int c = cmp_dyn(r[in->b], r[in->c], &ok);
    if (!ok) return Status::TypeError;
    r[in->a] = Value::of_bool(c < 0);
    DISPATCH();
  }
  CASE(LE_D) {
    bool ok;
    const int c = cmp_dyn(r[in->b], r[in->c], &ok);
    if (!ok) return Status::TypeError;
    r[in->a] = Value::of_bool(c <= 0);
    DISPATCH();
  }
  CASE(CHECK_T) {
    if ((st = typed(&r[in->a], in->c)) != Status::Ok) return st;
    DISPATCH();
  }
  CASE(NOT) { r[in->a] = Value::of_bool(!r[in->b].b); DISPATCH(); }
  CASE(JMP) { ip = code + in->b; DISPATCH(); }
  CASE(JMPF) { if (!r[in->a].b) ip = code + in->b; DISPATCH(); }
  CASE(JMPT) { if (r[in->a].b) ip = code + in->b; DISPATCH(); }
  CASE(CALL) {
    Value v;
    if ((st = env.fns[in->b]->fn(r + in->c, v, *env.arena)) != Status::Ok) return st;
    r[in->a] = v;
    DISPATCH();
  }
  CASE(MATCH) {  // bounded: a search over its step budget is a miss (RegexBudget)
    bool found;
    if ((st = regex_search(env.prog->regex(in->c), r[in->b].str(), &found)) != Status::Ok) return st;
    r[in->a] = Value::of_bool(found);
    DISPATCH();
  }
  CASE(RET) { *out = r[in->a]; return Status::Ok; }

#if !defined(__GNUC__)
  }
  return Status::TypeError;
#else
#pragma GCC diagnostic pop
#endif
#undef CASE
#undef DISPATCH
#undef FIELD
}

}  // namespace dta
