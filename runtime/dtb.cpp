// .dtb writer and bounds-checked reader.
#include "dta/dtb.hpp"

#include <cstring>
#include <fmt/format.h>

namespace dta {
namespace {

constexpr char kMagic[4] = {'D', 'T', 'B', '\x1a'};
constexpr uint64_t kMaxCount = 1u << 24;  // no table is this long in a real policy

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

class Writer {
 public:
  void u8(uint8_t v) { out += static_cast<char>(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i64(int64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string& s) { u32(static_cast<uint32_t>(s.size())); out += s; }
  void raw(const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
  void loc(const SrcLoc& l) { u32(l.file); u32(l.line); u32(l.col); }
  void constant(const Const& c) {
    u8(static_cast<uint8_t>(c.type));
    i64(c.i); f64(c.f); u8(c.b); str(c.s);
    u32(static_cast<uint32_t>(c.items.size()));
    for (const Const& it : c.items) constant(it);
  }
  void strs(const std::vector<std::string>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) str(s);
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  uint8_t u8() { uint8_t v = 0; raw(&v, 1); return v; }
  uint32_t u32() { uint32_t v = 0; raw(&v, 4); return v; }
  uint64_t u64() { uint64_t v = 0; raw(&v, 8); return v; }
  int64_t i64() { int64_t v = 0; raw(&v, 8); return v; }
  double f64() { double v = 0; raw(&v, 8); return v; }
  // A count of items of at least `min_size` bytes each, checked against what is left.
  uint32_t count(size_t min_size) {
    const uint32_t n = u32();
    if (n > kMaxCount || n * std::max<size_t>(min_size, 1) > b_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }
  std::string str() {
    const uint32_t n = count(1);
    if (!ok_) return {};
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  SrcLoc loc() { SrcLoc l; l.file = u32(); l.line = u32(); l.col = u32(); return l; }
  Type type() {
    const uint8_t t = u8();
    if (t > static_cast<uint8_t>(Type::List)) ok_ = false;
    return static_cast<Type>(t);
  }
  Level level() {
    const uint8_t t = u8();
    if (t > static_cast<uint8_t>(Level::Off)) ok_ = false;
    return static_cast<Level>(t);
  }
  Const constant(int depth = 0) {
    Const c;
    c.type = type(); c.i = i64(); c.f = f64(); c.b = u8() != 0; c.s = str();
    const uint32_t n = count(30);
    if (depth > 1 && n) ok_ = false;  // lists do not nest
    for (uint32_t i = 0; i < n && ok_; ++i) c.items.push_back(constant(depth + 1));
    return c;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count(4));
    for (auto& s : v) s = str();
    return v;
  }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  void raw(void* p, size_t n) {
    if (!ok_ || b_.size() - pos_ < n) { ok_ = false; std::memset(p, 0, n); return; }
    std::memcpy(p, b_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_entries(Writer& w, const std::vector<Entry>& es) {
  w.u32(static_cast<uint32_t>(es.size()));
  for (const Entry& e : es) { w.str(e.key); w.u32(static_cast<uint32_t>(e.tmpl)); w.u32(static_cast<uint32_t>(e.chunk)); }
}

std::vector<Entry> read_entries(Reader& r) {
  std::vector<Entry> es(r.count(12));
  for (Entry& e : es) { e.key = r.str(); e.tmpl = static_cast<int32_t>(r.u32()); e.chunk = static_cast<int32_t>(r.u32()); }
  return es;
}

void write_action(Writer& w, const Action& a) {
  w.u8(static_cast<uint8_t>(a.kind)); w.u8(static_cast<uint8_t>(a.level));
  w.u32(static_cast<uint32_t>(a.tmpl)); w.str(a.name); w.u32(static_cast<uint32_t>(a.chunk));
  write_entries(w, a.entries);
  w.u8(static_cast<uint8_t>(a.severity));
  write_entries(w, a.dedup);
  w.u32(static_cast<uint32_t>(a.every_k));
  w.loc(a.loc);
}

Action read_action(Reader& r) {
  Action a;
  const uint8_t kind = r.u8();
  a.kind = static_cast<ActionKind>(kind > 4 ? 0 : kind);
  a.level = r.level();
  a.tmpl = static_cast<int32_t>(r.u32()); a.name = r.str(); a.chunk = static_cast<int32_t>(r.u32());
  a.entries = read_entries(r);
  const uint8_t sev = r.u8();
  a.severity = static_cast<AlertSeverity>(sev > 3 ? 3 : sev);
  a.dedup = read_entries(r);
  a.every_k = static_cast<int32_t>(r.u32());
  a.loc = r.loc();
  return a;
}

void write_actions(Writer& w, const std::vector<Action>& as) {
  w.u32(static_cast<uint32_t>(as.size()));
  for (const Action& a : as) write_action(w, a);
}

std::vector<Action> read_actions(Reader& r) {
  std::vector<Action> as(r.count(30));
  for (Action& a : as) a = read_action(r);
  return as;
}

void write_rule_state(Writer& w, const Rule& ru) {
  w.u32(static_cast<uint32_t>(ru.whens.size()));
  for (const When& x : ru.whens) {
    w.loc(x.loc); w.u8(static_cast<uint8_t>(x.agg)); w.u32(static_cast<uint32_t>(x.arg)); w.f64(x.q);
    w.u8(x.sliding); w.u32(x.window_k); w.u32(static_cast<uint32_t>(x.for_k)); w.u8(static_cast<uint8_t>(x.cmp));
    w.u32(static_cast<uint32_t>(x.threshold)); write_entries(w, x.by); w.u32(x.max_keys); write_actions(w, x.actions);
  }
  w.u32(static_cast<uint32_t>(ru.expects.size()));
  for (const Expect& x : ru.expects) {
    w.loc(x.loc); w.strs(x.patterns); w.u32(static_cast<uint32_t>(x.where)); w.strs(x.matching); w.u32(x.within_k);
    w.u32(x.max_pending); w.u8(x.has_then); w.u8(x.has_else); write_actions(w, x.then_actions);
    write_actions(w, x.else_actions);
  }
}

void read_rule_state(Reader& r, Rule& ru) {
  ru.whens.resize(r.count(40));
  for (When& x : ru.whens) {
    x.loc = r.loc();
    const uint8_t agg = r.u8();
    x.agg = static_cast<Agg>(agg > 7 ? 0 : agg);
    x.arg = static_cast<int32_t>(r.u32()); x.q = r.f64(); x.sliding = r.u8() != 0;
    const uint32_t wk = r.u32();
    x.window_k = static_cast<uint16_t>(wk > 65535 ? 65535 : wk);
    x.for_k = static_cast<int32_t>(r.u32());
    const uint8_t cmp = r.u8();
    x.cmp = static_cast<Cmp>(cmp > 5 ? 0 : cmp);
    x.threshold = static_cast<int32_t>(r.u32()); x.by = read_entries(r); x.max_keys = r.u32(); x.actions = read_actions(r);
  }
  ru.expects.resize(r.count(40));
  for (Expect& x : ru.expects) {
    x.loc = r.loc(); x.patterns = r.strs(); x.where = static_cast<int32_t>(r.u32()); x.matching = r.strs();
    const uint32_t wk = r.u32();
    x.within_k = static_cast<uint16_t>(wk > 65535 ? 65535 : wk);
    x.max_pending = r.u32(); x.has_then = r.u8() != 0; x.has_else = r.u8() != 0;
    x.then_actions = read_actions(r); x.else_actions = read_actions(r);
  }
}

}  // namespace

bool looks_like_dtb(std::string_view bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0;
}

std::string save_dtb(const Program& p) {
  Writer w;
  w.str(p.policy);
  w.u32(static_cast<uint32_t>(p.sources.size()));
  for (const SourceFile& s : p.sources) { w.str(s.path); w.str(s.text); }
  w.u32(static_cast<uint32_t>(p.consts.size()));
  for (const Const& c : p.consts) w.constant(c);
  w.u32(static_cast<uint32_t>(p.named_consts.size()));
  for (const NamedConst& n : p.named_consts) { w.str(n.name); w.u32(n.index); }
  w.strs(p.keys); w.strs(p.functions); w.strs(p.regexes);
  w.u32(static_cast<uint32_t>(p.chunks.size()));
  for (const Chunk& c : p.chunks) {
    w.u32(static_cast<uint32_t>(c.code.size()));
    for (const Instr& in : c.code) { w.u8(static_cast<uint8_t>(in.op)); w.u8(in.a); w.raw(&in.b, 2); w.raw(&in.c, 2); }
    for (const SrcLoc& l : c.lines) w.loc(l);
    w.raw(&c.nregs, 2); w.u8(static_cast<uint8_t>(c.result));
  }
  w.u32(static_cast<uint32_t>(p.templates.size()));
  for (const Template& t : p.templates) {
    w.u32(static_cast<uint32_t>(t.parts.size()));
    for (const TemplatePart& part : t.parts) { w.str(part.text); w.u32(static_cast<uint32_t>(part.chunk)); }
  }
  w.u32(static_cast<uint32_t>(p.rules.size()));
  for (const Rule& r : p.rules) {
    w.str(r.name); w.loc(r.loc); w.strs(r.patterns); w.u32(static_cast<uint32_t>(r.where));
    write_actions(w, r.actions);
    w.u8(r.counts_fired); w.u8(static_cast<uint8_t>(r.level));
    write_rule_state(w, r);
  }
  w.u32(static_cast<uint32_t>(p.machines.size()));
  for (const Machine& m : p.machines) {
    w.str(m.name); w.loc(m.loc); w.str(m.key); w.u32(m.initial); w.u32(m.max_keys); w.u8(static_cast<uint8_t>(m.level));
    w.u32(static_cast<uint32_t>(m.states.size()));
    for (const MachineState& st : m.states) {
      w.str(st.name);
      w.u32(static_cast<uint32_t>(st.transitions.size()));
      for (const Transition& t : st.transitions) {
        w.u8(t.after); w.strs(t.patterns); w.u32(static_cast<uint32_t>(t.where)); w.u32(static_cast<uint32_t>(t.delay_k));
        w.u32(t.target); w.u8(t.has_block); write_actions(w, t.actions);
      }
    }
  }
  w.u32(static_cast<uint32_t>(p.filters.size()));
  for (const Filter& f : p.filters) {
    w.str(f.name); w.loc(f.loc); w.strs(f.patterns); w.u32(static_cast<uint32_t>(f.where));
    w.u8(static_cast<uint8_t>(f.kind)); w.strs(f.fields); w.f64(f.fraction);
  }
  w.u32(static_cast<uint32_t>(p.profiles.size()));
  for (const Profile& pr : p.profiles) {
    w.str(pr.name);
    w.u32(static_cast<uint32_t>(pr.consts.size()));
    for (const auto& [i, c] : pr.consts) { w.u32(i); w.constant(c); }
    w.u32(static_cast<uint32_t>(pr.levels.size()));
    for (const auto& [i, l] : pr.levels) { w.u32(i); w.u8(static_cast<uint8_t>(l)); }
    w.u32(static_cast<uint32_t>(pr.alerts.size()));
    for (const auto& [i, l] : pr.alerts) { w.u32(i); w.u8(static_cast<uint8_t>(l)); }
    w.u32(static_cast<uint32_t>(pr.max_keys.size()));
    for (const auto& [i, n] : pr.max_keys) { w.u32(i); w.u32(n); }
    w.u8(pr.warnings_error);
  }
  w.u32(static_cast<uint32_t>(p.sensitive.size()));
  for (const SensitiveField& s : p.sensitive) { w.str(s.event); w.str(s.field); }

  Writer head;
  head.raw(kMagic, 4);
  head.u32(kDtbVersion);
  head.u64(w.out.size());
  head.u64(fnv1a(w.out));
  return head.out + w.out;
}

std::unique_ptr<Program> load_dtb(std::string_view bytes, std::string* error) {
  auto fail = [&](std::string msg) { *error = std::move(msg); return nullptr; };
  if (bytes.size() < 24 || !looks_like_dtb(bytes)) return fail("not a .dtb file (bad magic)");
  Reader h(bytes.substr(4, 20));
  const uint32_t version = h.u32();
  const uint64_t size = h.u64(), sum = h.u64();
  if (version != kDtbVersion) return fail(fmt::format("unsupported .dtb version {} (this build reads {})", version, kDtbVersion));
  if (size != bytes.size() - 24) return fail(fmt::format("truncated .dtb: header says {} bytes, file has {}", size, bytes.size() - 24));
  const std::string_view payload = bytes.substr(24);
  if (fnv1a(payload) != sum) return fail(".dtb checksum mismatch (the file is corrupted)");

  Reader r(payload);
  auto p = std::make_unique<Program>();
  p->policy = r.str();
  p->sources.resize(r.count(8));
  for (SourceFile& s : p->sources) { s.path = r.str(); s.text = r.str(); }
  p->consts.resize(r.count(30));
  for (Const& c : p->consts) c = r.constant();
  p->named_consts.resize(r.count(8));
  for (NamedConst& n : p->named_consts) { n.name = r.str(); n.index = r.u32(); }
  p->keys = r.strs(); p->functions = r.strs(); p->regexes = r.strs();
  p->chunks.resize(r.count(7));
  for (Chunk& c : p->chunks) {
    c.code.resize(r.count(18));
    for (Instr& in : c.code) {
      in.op = static_cast<Op>(r.u8()); in.a = r.u8();
      in.b = static_cast<uint16_t>(r.u8() | (r.u8() << 8));
      in.c = static_cast<uint16_t>(r.u8() | (r.u8() << 8));
    }
    c.lines.resize(c.code.size());
    for (SrcLoc& l : c.lines) l = r.loc();
    c.nregs = static_cast<uint16_t>(r.u8() | (r.u8() << 8));
    c.result = r.type();
  }
  p->templates.resize(r.count(4));
  for (Template& t : p->templates) {
    t.parts.resize(r.count(8));
    for (TemplatePart& part : t.parts) { part.text = r.str(); part.chunk = static_cast<int32_t>(r.u32()); }
  }
  p->rules.resize(r.count(20));
  for (Rule& ru : p->rules) {
    ru.name = r.str(); ru.loc = r.loc(); ru.patterns = r.strs(); ru.where = static_cast<int32_t>(r.u32());
    ru.actions = read_actions(r);
    ru.counts_fired = r.u8() != 0; ru.level = r.level();
    read_rule_state(r, ru);
  }
  p->machines.resize(r.count(30));
  for (Machine& m : p->machines) {
    m.name = r.str(); m.loc = r.loc(); m.key = r.str(); m.initial = r.u32(); m.max_keys = r.u32(); m.level = r.level();
    m.states.resize(r.count(8));
    for (MachineState& st : m.states) {
      st.name = r.str();
      st.transitions.resize(r.count(30));
      for (Transition& t : st.transitions) {
        t.after = r.u8() != 0; t.patterns = r.strs(); t.where = static_cast<int32_t>(r.u32());
        t.delay_k = static_cast<int32_t>(r.u32()); t.target = r.u32(); t.has_block = r.u8() != 0; t.actions = read_actions(r);
      }
    }
  }
  p->filters.resize(r.count(20));
  for (Filter& f : p->filters) {
    f.name = r.str(); f.loc = r.loc(); f.patterns = r.strs(); f.where = static_cast<int32_t>(r.u32());
    const uint8_t k = r.u8();
    f.kind = static_cast<FilterKind>(k > 2 ? 0 : k);
    f.fields = r.strs(); f.fraction = r.f64();
  }
  p->profiles.resize(r.count(10));
  for (Profile& pr : p->profiles) {
    pr.name = r.str();
    pr.consts.resize(r.count(34));
    for (auto& [i, c] : pr.consts) { i = r.u32(); c = r.constant(); }
    pr.levels.resize(r.count(5));
    for (auto& [i, l] : pr.levels) { i = r.u32(); l = r.level(); }
    pr.alerts.resize(r.count(5));
    for (auto& [i, l] : pr.alerts) {
      i = r.u32();
      const uint8_t v = r.u8();
      l = static_cast<AlertSeverity>(v > 3 ? 3 : v);
    }
    pr.max_keys.resize(r.count(8));
    for (auto& [i, n] : pr.max_keys) { i = r.u32(); n = r.u32(); }
    pr.warnings_error = r.u8() != 0;
  }
  p->sensitive.resize(r.count(8));
  for (SensitiveField& s : p->sensitive) { s.event = r.str(); s.field = r.str(); }
  if (!r.ok()) return fail("malformed .dtb payload (a length runs past the end)");
  if (!r.at_end()) return fail("malformed .dtb payload (trailing bytes)");
  return p;
}

}  // namespace dta
