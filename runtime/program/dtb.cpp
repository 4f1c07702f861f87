// .dtb writer and bounds-checked reader, driven by one description of the
// layout: each record type has one `fields` function that lists its fields
// in file order, and three walkers run it: the Writer, the Reader, and the
// Sizer, which measures a record with empty lists and strings (the smallest
// it can be on disk) so the reader can refuse a count that the bytes left
// cannot hold. Numbers are host-endian; enums and flags are one byte; a
// string or a list is a u32 count and its items.
#include "dta/sites.hpp"
#include "dta/dtb.hpp"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

namespace dta {
namespace {

constexpr char kMagic[4] = {'D', 'T', 'B', '\x1a'};
constexpr size_t kHeaderSize = 24;        // magic, version, payload size, checksum
constexpr uint64_t kMaxCount = 1u << 24;  // no table is this long in a real policy
// Lists inside lists: the deepest in the layout is machines > states >
// transitions > actions > entries. A deeper file is crafted (constants nest
// their items), and reading it would recurse once per few bytes.
constexpr int kMaxNesting = 6;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

// ---------------------------------------------------------------- enums and names

// The largest valid value of each enum the file holds, and its name in messages
// (update these with the enums).
struct EnumRange {
  uint8_t max;
  const char* name;
};
constexpr EnumRange enum_range(Type) { return {static_cast<uint8_t>(Type::List), "type"}; }
constexpr EnumRange enum_range(Level) { return {static_cast<uint8_t>(Level::Off), "level"}; }
constexpr EnumRange enum_range(ActionKind) { return {static_cast<uint8_t>(ActionKind::Alert), "action kind"}; }
constexpr EnumRange enum_range(AlertSeverity) { return {static_cast<uint8_t>(AlertSeverity::Off), "alert severity"}; }
constexpr EnumRange enum_range(Agg) { return {static_cast<uint8_t>(Agg::Distinct), "aggregate"}; }
constexpr EnumRange enum_range(Cmp) { return {static_cast<uint8_t>(Cmp::Ne), "comparison"}; }
constexpr EnumRange enum_range(FilterKind) { return {static_cast<uint8_t>(FilterKind::Sample), "filter kind"}; }
constexpr EnumRange enum_range(Op) { return {kOpCount - 1, "opcode"}; }

// What the items of a list are called in messages.
template <class T>
constexpr const char* kItemName = "item";
template <>
constexpr const char* kItemName<std::string> = "string";
template <>
constexpr const char* kItemName<SourceFile> = "source file";
template <>
constexpr const char* kItemName<Const> = "constant";
template <>
constexpr const char* kItemName<NamedConst> = "named constant";
template <>
constexpr const char* kItemName<Instr> = "instruction";
template <>
constexpr const char* kItemName<Chunk> = "chunk";
template <>
constexpr const char* kItemName<TemplatePart> = "template part";
template <>
constexpr const char* kItemName<Template> = "template";
template <>
constexpr const char* kItemName<Entry> = "entry";
template <>
constexpr const char* kItemName<Action> = "action";
template <>
constexpr const char* kItemName<When> = "when block";
template <>
constexpr const char* kItemName<Expect> = "expect block";
template <>
constexpr const char* kItemName<Rule> = "rule";
template <>
constexpr const char* kItemName<Transition> = "transition";
template <>
constexpr const char* kItemName<MachineState> = "machine state";
template <>
constexpr const char* kItemName<Machine> = "machine";
template <>
constexpr const char* kItemName<Filter> = "filter";
template <>
constexpr const char* kItemName<Profile> = "profile";
template <>
constexpr const char* kItemName<SensitiveField> = "sensitive field";

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};

// A record as a walker sees it: const for those that only look at it.
template <class IO, class T>
using Rec = std::conditional_t<IO::kReads, T, const T>;

// One field of any kind, for any walker (defined after the records).
template <class IO, class V>
void field(IO& io, V& v);
template <class IO, class... V>
void all(IO& io, V&... v) {
  (field(io, v), ...);
}

// ---------------------------------------------------------------- walkers

class Writer {
 public:
  static constexpr bool kReads = false;
  template <class N>
  void num(const N& v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void flag(bool v) { out += v ? '\1' : '\0'; }
  template <class E>
  void enumeration(E v) {
    out += static_cast<char>(v);
  }
  void wide(uint16_t v) { num(uint32_t{v}); }
  void str(const std::string& s) {
    num(static_cast<uint32_t>(s.size()));
    out += s;
  }
  template <class T>
  void list(const std::vector<T>& v) {
    num(static_cast<uint32_t>(v.size()));
    for (const T& item : v) field(*this, item);
  }
  // Exactly n items and no count (the count is another field's).
  template <class T>
  void sized(const std::vector<T>& v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const T item = i < v.size() ? v[i] : T{};
      field(*this, item);
    }
  }
  std::string out;
};

// The smallest size of a record on disk: its fields with empty lists and strings.
class Sizer {
 public:
  static constexpr bool kReads = false;
  template <class N>
  void num(const N&) {
    n += sizeof(N);
  }
  void flag(bool) { n += 1; }
  template <class E>
  void enumeration(E) {
    n += 1;
  }
  void wide(uint16_t) { n += 4; }
  void str(const std::string&) { n += 4; }
  template <class T>
  void list(const std::vector<T>&) {
    n += 4;
  }
  template <class T>
  void sized(const std::vector<T>&, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const T item{};
      field(*this, item);
    }
  }
  size_t n = 0;
};

template <class T>
size_t min_size() {
  Sizer s;
  const T item{};
  field(s, item);
  return s.n;
}

class Reader {
 public:
  static constexpr bool kReads = true;
  explicit Reader(std::string_view b) : b_(b) {}
  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }
  size_t left() const { return b_.size() - pos_; }

  template <class N>
  void num(N& v) {
    raw(&v, sizeof v);
  }
  void flag(bool& v) {
    uint8_t b = 0;
    raw(&b, 1);
    if (b > 1) fail(fmt::format("flag byte {} is not 0 or 1", b));
    v = b == 1;
  }
  template <class E>
  void enumeration(E& v) {
    uint8_t b = 0;
    raw(&b, 1);
    constexpr EnumRange range = enum_range(E{});
    if (b > range.max) fail(fmt::format("{} {} out of range", range.name, b));
    v = ok() ? static_cast<E>(b) : E{};
  }
  // A u32 on disk that indexes a 16-bit table (constants).
  void wide(uint16_t& v) {
    uint32_t w = 0;
    num(w);
    if (w > UINT16_MAX) fail(fmt::format("constant index {} out of range", w));
    v = static_cast<uint16_t>(ok() ? w : 0);
  }
  void str(std::string& s) {
    const uint32_t n = count(1, "string byte", false);
    if (!ok()) return;
    s.assign(b_.substr(pos_, n));
    pos_ += n;
  }
  template <class T>
  void list(std::vector<T>& v) {
    if (++depth_ > kMaxNesting) fail("lists nest too deeply");
    const uint32_t n = count(min_size<T>(), kItemName<T>, true);
    v.resize(ok() ? n : 0);
    for (T& item : v) {
      if (!ok()) break;
      field(*this, item);
    }
    --depth_;
  }
  template <class T>
  void sized(std::vector<T>& v, size_t n) {
    if (!ok()) return;
    v.resize(n);
    for (T& item : v) {
      if (!ok()) break;
      field(*this, item);
    }
  }

  // Records the first problem, at the field being read.
  void fail(const std::string& msg) {
    if (ok()) err_ = fmt::format("{} (at byte {})", msg, kHeaderSize + field_at_);
  }

 private:
  // A count of items of at least `min_size` bytes each, checked against what
  // is left (and, for lists, against kMaxCount).
  uint32_t count(size_t min_size, const char* what, bool is_list) {
    uint32_t n = 0;
    num(n);
    if (ok() && ((is_list && n > kMaxCount) || uint64_t{n} * min_size > left()))
      fail(fmt::format("{} count {} does not fit in the {} bytes left", what, n, left()));
    return ok() ? n : 0;
  }
  void raw(void* p, size_t n) {
    field_at_ = pos_;
    if (ok() && left() < n) fail("the payload ends inside a field");
    if (!ok()) {
      std::memset(p, 0, n);
      return;
    }
    std::memcpy(p, b_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view b_;
  size_t pos_ = 0;
  size_t field_at_ = 0;  // where the last field read starts
  int depth_ = 0;
  std::string err_;
};

// ---------------------------------------------------------------- the layout

template <class IO>
void fields(IO& io, Rec<IO, SrcLoc>& l) {
  all(io, l.file, l.line, l.col);
}
template <class IO>
void fields(IO& io, Rec<IO, SourceFile>& s) {
  all(io, s.path, s.text);
}
template <class IO>
void fields(IO& io, Rec<IO, Const>& c) {
  all(io, c.type, c.i, c.f, c.b, c.s, c.items);
}
template <class IO>
void fields(IO& io, Rec<IO, NamedConst>& n) {
  all(io, n.name, n.index);
}
template <class IO>
void fields(IO& io, Rec<IO, Instr>& in) {
  all(io, in.op, in.a, in.b, in.c);
}
template <class IO>
void fields(IO& io, Rec<IO, Chunk>& c) {
  field(io, c.code);
  io.sized(c.lines, c.code.size());  // one per instruction
  all(io, c.nregs, c.result);
}
template <class IO>
void fields(IO& io, Rec<IO, TemplatePart>& t) {
  all(io, t.text, t.chunk);
}
template <class IO>
void fields(IO& io, Rec<IO, Template>& t) {
  field(io, t.parts);
}
template <class IO>
void fields(IO& io, Rec<IO, Entry>& e) {
  all(io, e.key, e.tmpl, e.chunk);
}
template <class IO>
void fields(IO& io, Rec<IO, Action>& a) {
  all(io, a.kind, a.level, a.tmpl, a.name, a.chunk, a.entries, a.severity, a.dedup, a.every_k, a.loc);
}
template <class IO>
void fields(IO& io, Rec<IO, When>& w) {
  all(io, w.loc, w.agg, w.arg, w.q, w.sliding);
  io.wide(w.window_k);
  all(io, w.for_k, w.cmp, w.threshold, w.by, w.max_keys, w.actions);
}
template <class IO>
void fields(IO& io, Rec<IO, Expect>& x) {
  all(io, x.loc, x.patterns, x.where, x.matching);
  io.wide(x.within_k);
  all(io, x.max_pending, x.has_then, x.has_else, x.then_actions, x.else_actions);
}
template <class IO>
void fields(IO& io, Rec<IO, Rule>& r) {
  all(io, r.name, r.loc, r.patterns, r.where, r.actions, r.counts_fired, r.level, r.whens, r.expects);
}
template <class IO>
void fields(IO& io, Rec<IO, Transition>& t) {
  all(io, t.after, t.patterns, t.where, t.delay_k, t.target, t.has_block, t.actions);
}
template <class IO>
void fields(IO& io, Rec<IO, MachineState>& s) {
  all(io, s.name, s.transitions);
}
template <class IO>
void fields(IO& io, Rec<IO, Machine>& m) {
  all(io, m.name, m.loc, m.key, m.initial, m.max_keys, m.level, m.states);
}
template <class IO>
void fields(IO& io, Rec<IO, Filter>& f) {
  all(io, f.name, f.loc, f.patterns, f.where, f.kind, f.fields, f.fraction);
}
template <class IO>
void fields(IO& io, Rec<IO, Profile>& p) {
  all(io, p.name, p.consts, p.levels, p.alerts, p.max_keys, p.warnings_error);
}
template <class IO>
void fields(IO& io, Rec<IO, SensitiveField>& s) {
  all(io, s.event, s.field);
}
template <class IO>
void fields(IO& io, Rec<IO, Program>& p) {
  all(io, p.policy, p.sources, p.consts, p.named_consts, p.keys, p.functions, p.regexes, p.chunks, p.templates, p.rules,
      p.machines, p.filters, p.profiles, p.sensitive);
}

template <class IO, class V>
void field(IO& io, V& v) {
  using U = std::remove_const_t<V>;
  if constexpr (std::is_same_v<U, std::string>)
    io.str(v);
  else if constexpr (std::is_same_v<U, bool>)
    io.flag(v);
  else if constexpr (std::is_enum_v<U>)
    io.enumeration(v);
  else if constexpr (std::is_arithmetic_v<U>)
    io.num(v);
  else if constexpr (IsVector<U>::value)
    io.list(v);
  else if constexpr (IsPair<U>::value)
    all(io, v.first, v.second);
  else
    fields(io, v);
}

}  // namespace

bool looks_like_dtb(std::string_view bytes) { return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0; }

std::string save_dtb(const Program& p) {
  Writer w;
  fields(w, p);
  Writer head;
  head.out.append(kMagic, 4);
  head.num(kDtbVersion);
  head.num(uint64_t{w.out.size()});
  head.num(fnv1a(w.out));
  return head.out + w.out;
}

std::unique_ptr<Program> load_dtb(std::string_view bytes, std::string* error) {
  auto fail = [&](std::string msg) {
    *error = std::move(msg);
    return nullptr;
  };
  if (bytes.size() < kHeaderSize || !looks_like_dtb(bytes)) return fail("not a .dtb file (bad magic)");
  uint32_t version = 0;
  uint64_t size = 0, sum = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&size, bytes.data() + 8, 8);
  std::memcpy(&sum, bytes.data() + 16, 8);
  if (version != kDtbVersion)
    return fail(fmt::format("unsupported .dtb version {} (this build reads {})", version, kDtbVersion));
  if (size != bytes.size() - kHeaderSize)
    return fail(fmt::format("truncated .dtb: header says {} bytes, file has {}", size, bytes.size() - kHeaderSize));
  const std::string_view payload = bytes.substr(kHeaderSize);
  if (fnv1a(payload) != sum) return fail(".dtb checksum mismatch (the file is corrupted)");

  Reader r(payload);
  auto p = std::make_unique<Program>();
  fields(r, *p);
  if (!r.ok()) return fail("malformed .dtb payload: " + r.error());
  if (r.left() != 0) return fail(fmt::format("malformed .dtb payload: {} trailing bytes after the program", r.left()));
  assign_sites(*p);  // not stored in .dtb version 1: derived
  return p;
}

}  // namespace dta
