// The disassembler: the program's structure as its schema lists it
// (schema.hpp: every field of every record, so a new field shows up here by
// itself) and each chunk's code with the operand kinds of opcodes.def.
#include "dta/disasm.hpp"

#include <fmt/format.h>

#include <cctype>
#include <functional>

#include "dta/value.hpp"
#include "program/schema.hpp"
#include "vm/operands.hpp"

namespace dta {
namespace {

using Kind = Operand;
using OpInfo = OpOperands;
constexpr const auto& kInfo = kOpOperands;  // operand kinds per opcode (opcodes.def)

// Source lines and constants shown beside instructions are cut to this many
// bytes: a policy on one long line, or a long list, would otherwise be
// repeated whole at every chunk or operand that refers to it.
constexpr size_t kMaxShown = 200;

// `text`, cut to kMaxShown bytes (at a UTF-8 character boundary) with "...".
std::string shorten(std::string_view text) {
  if (text.size() <= kMaxShown) return std::string(text);
  size_t n = kMaxShown;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  return std::string(text.substr(0, n)) + "...";
}

// A constant as the policy would write it; past `limit` bytes the rest is
// left out (the caller shortens), so showing a long one costs `limit`.
std::string const_text(const Const& c, size_t limit = SIZE_MAX) {
  switch (c.type) {
    case Type::Int: return std::to_string(c.i);
    case Type::Float: {
      std::string s = fmt::format("{}", c.f);  // keep floats recognisable: 100.0, not 100
      return s.find_first_of(".en") == std::string::npos ? s + ".0" : s;
    }
    case Type::Bool: return c.b ? "true" : "false";
    case Type::String:
      return fmt::format("\"{}\"", std::string_view(c.s).substr(0, limit));
    case Type::List: {
      std::string s = "[";
      for (size_t i = 0; i < c.items.size() && s.size() <= limit; ++i)
        s += (i ? ", " : "") + const_text(c.items[i], limit);
      return s + "]";
    }
    case Type::Unknown: break;
  }
  return "?";
}

// Whether a string can be shown as it is (an identifier, a pattern, a path)
// rather than quoted.
bool plain(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '.' || c == '*' || c == '-' || c == '/' || c == ':')) return false;
  return true;
}

std::string shown_string(std::string_view s) {
  return plain(s) ? std::string(s) : fmt::format("{:?}", std::string_view(shorten(s)));
}

class Disasm : public schema::Walker<Disasm> {
 public:
  static constexpr bool kReads = false;
  explicit Disasm(const Program& p) : p_(p) {}

  std::string run() {
    out_ = fmt::format("policy {}: {} rules, {} machines, {} filters, {} chunks, {} constants\n", p_.policy,
                       p_.rules.size(), p_.machines.size(), p_.filters.size(), p_.chunks.size(), p_.consts.size());
    Frame root;
    frame_ = &root;
    schema::fields(*this, p_);  // the root's own fields (the policy's name) are in the line above
    frame_ = nullptr;
    for (const auto& child : root.children) child();
    return std::move(out_);
  }

  // ---- the walker: each field of the record being listed becomes a
  // `name=value` on its line, or a child listed under it.
  void at(const char* field) { field_ = field; }
  template <class V>
  void table(const char*, const V&) {}  // shown where they are used
  template <class T>
  void sized(const char*, const std::vector<T>&, size_t) {}
  void str(const std::string& s) {
    if (s.empty() || (frame_->named && std::string_view(field_) == "name")) return;
    part(shown_string(s));
  }
  void flag(bool v) {
    if (v) frame_->parts.emplace_back(field_);
  }
  template <class E>
  void enumeration(E v) {
    // An action shows the enums of its kind: `enable` its minimum severity
    // only; the others their level and alert severity, as before `enable`.
    if constexpr (std::is_same_v<E, Severity>)
      if (action_kind_ != ActionKind::Enable) return;
    if constexpr (std::is_same_v<E, Level> || std::is_same_v<E, AlertSeverity>)
      if (action_kind_ == ActionKind::Enable) return;
    part(enum_name(v));
  }
  template <class N>
  void num(const N& v, schema::Ref ref = {}) {
    const auto x = static_cast<int64_t>(v);
    switch (ref.table) {
      case schema::Table::None:
        if constexpr (std::is_floating_point_v<N>) part(fmt::format("{}", v));
        else if (x != 0) part(std::to_string(x));
        return;
      case schema::Table::Const:
        if (x == -1 && ref.optional) return;
        return part(x >= 0 && static_cast<size_t>(x) < p_.consts.size()
                        ? fmt::format("K{}({})", x, shorten(const_text(p_.consts[x], kMaxShown)))
                        : fmt::format("K{}?", x));
      case schema::Table::Chunk:
      case schema::Table::Template: {
        if (x == -1 && ref.optional) return;
        const std::string label = frame_->path.empty() ? field_ : frame_->path + "." + field_;
        const bool is_chunk = ref.table == schema::Table::Chunk;
        frame_->children.push_back([this, label, is_chunk, x] {
          if (is_chunk) chunk(label, x);
          else tmpl(label, x);
        });
        return;
      }
      case schema::Table::Unit: return part(unit_name(x));
      case schema::Table::State:
        return part(machine_ && x >= 0 && static_cast<size_t>(x) < machine_->states.size()
                        ? machine_->states[x].name
                        : "?");
      case schema::Table::Source:
        return part(x >= 0 && static_cast<size_t>(x) < p_.sources.size() ? p_.sources[x].path : "?");
      case schema::Table::Recorder:
        if (x == -1 && ref.optional) return;
        return part(x >= 0 && static_cast<size_t>(x) < p_.recorders.size() ? p_.recorders[x].name : "?");
    }
  }
  template <class T>
  void list(const std::vector<T>& v) {
    if (v.empty()) return;
    if constexpr (std::is_same_v<T, std::string>) {
      std::string items;
      for (const std::string& s : v) items += (items.empty() ? "" : ", ") + shown_string(s);
      part("[" + items + "]");
    } else {
      const bool top = frame_->top;
      const std::string prefix = top ? "" : (frame_->path.empty() ? "" : frame_->path + ".") + field_;
      frame_->children.push_back([this, &v, top, prefix] {
        for (size_t i = 0; i < v.size(); ++i) item(v[i], top ? "" : fmt::format("{}[{}]", prefix, i), i);
      });
    }
  }
  // A record-valued field: shown inline.
  template <class T>
  void record(const T& rec, size_t) {
    if constexpr (std::is_same_v<T, SrcLoc>) {
      part(fmt::format("{}:{}:{}", rec.file < p_.sources.size() ? p_.sources[rec.file].path : "?", rec.line,
                       rec.col));
    } else if constexpr (std::is_same_v<T, Site>) {
      if (!rec.id.empty()) part(fmt::format("{} shape {:016x}", rec.id, rec.shape));
    } else if constexpr (std::is_same_v<T, Const>) {
      part(shorten(const_text(rec, kMaxShown)));
    } else if constexpr (std::is_same_v<T, Budget>) {  // the items set, as the policy writes them
      std::vector<std::string> items;
      if (rec.disk >= 0) items.push_back(fmt::format("disk: {}B", rec.disk));
      if (rec.dumps >= 0) items.push_back(fmt::format("dumps: {} per {}", rec.dumps, format_duration(rec.dumps_period)));
      if (rec.recorder_memory >= 0) items.push_back(fmt::format("recorder_memory: {}B", rec.recorder_memory));
      if (rec.cpu > 0) items.push_back(fmt::format("cpu: {:g}%", rec.cpu * 100));
      if (!items.empty()) part(fmt::format("{{ {} }}", fmt::join(items, ", ")));
    } else {
      static_assert(sizeof(T) == 0, "a record-valued field needs a way to be shown inline");
    }
  }

 private:
  // The line of the record being listed and what is listed under it.
  struct Frame {
    std::string path;                               // relative to the top-level record: "whens[0].by[1]"
    bool top = true;                                // the program itself (its lists are the top-level records)
    bool named = false;                             // the record has a name, shown in its label
    std::vector<std::string> parts;                 // "name=value"
    std::vector<std::function<void()>> children;    // chunks, templates and lists, in field order
  };

  void part(const std::string& value) { frame_->parts.push_back(fmt::format("{}={}", field_, value)); }

  // One record of a list: its label and fields on one line, then its
  // children. Top-level records are labelled by their kind and index ("rule 0
  // burst"), the others by their path from it ("whens[0].actions[1]").
  template <class T>
  void item(const T& rec, const std::string& path, size_t index) {
    Frame f;
    f.path = path;
    f.top = false;
    const std::string_view name = schema::record_name(rec);
    f.named = !name.empty();
    Frame* outer = frame_;
    const Machine* outer_machine = machine_;
    if constexpr (std::is_same_v<T, Machine>) machine_ = &rec;
    const ActionKind outer_kind = action_kind_;
    if constexpr (std::is_same_v<T, Action>) action_kind_ = rec.kind;
    frame_ = &f;
    schema::fields(*this, rec);
    frame_ = outer;
    action_kind_ = outer_kind;
    // A top-level record with lines under it starts a paragraph.
    const std::string label = path.empty() ? fmt::format("{}{} {}", f.children.empty() ? "" : "\n",
                                                         schema::kItemName<T>, index)
                                           : "  " + path;
    out_ += label;
    if (f.named) out_ += fmt::format(" {}", shown_string(name));
    if (!f.parts.empty()) out_ += ": " + join(f.parts);
    out_ += '\n';
    for (const auto& child : f.children) child();
    machine_ = outer_machine;
  }

  static std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const std::string& p : parts) s += (s.empty() ? "" : " ") + p;
    return s;
  }

  std::string unit_name(int64_t idx) const {
    if (idx < 0) return "?";
    const auto i = static_cast<size_t>(idx);
    if (i < p_.rules.size()) return p_.rules[i].name;
    return i - p_.rules.size() < p_.machines.size() ? p_.machines[i - p_.rules.size()].name : "?";
  }

  std::string operand(Kind k, uint32_t v) const {
    switch (k) {
      case Kind::R: return fmt::format("r{}", v);
      case Kind::K:
        return v < p_.consts.size() ? fmt::format("K{}({})", v, shorten(const_text(p_.consts[v], kMaxShown))) : "K?";
      case Kind::F: return v < p_.keys.size() ? fmt::format("'{}'", p_.keys[v]) : "F?";
      case Kind::J: return fmt::format("->{:04}", v);
      case Kind::N: return v < p_.functions.size() ? p_.functions[v] : "N?";
      case Kind::X: return v < p_.regexes.size() ? fmt::format("/{}/", p_.regexes[v]) : "X?";
      case Kind::M: return v < p_.machines.size() ? "machine " + p_.machines[v].name : "M?";
      case Kind::T: return v < enum_count<TypeCode>() ? enum_name(static_cast<TypeCode>(v)) : "T?";
      case Kind::U: break;
    }
    return "";
  }

  // Line `loc.line` of its file without leading blanks (and without a CR
  // before the newline), at most kMaxShown bytes. Each file's line starts are
  // found once, so a lookup costs the length of what it shows.
  std::string source_line(const SrcLoc& loc) {
    if (loc.file >= p_.sources.size() || loc.line == 0) return "";
    const std::string& t = p_.sources[loc.file].text;
    const std::vector<size_t>& starts = line_starts(loc.file);
    if (loc.line > starts.size()) return "";
    size_t begin = starts[loc.line - 1];
    size_t end = loc.line < starts.size() ? starts[loc.line] - 1 : t.size();  // at the newline
    if (end > begin && t[end - 1] == '\r') --end;
    while (begin < end && (t[begin] == ' ' || t[begin] == '\t')) ++begin;
    return shorten(std::string_view(t).substr(begin, end - begin));
  }

  // Where each line of source file `file` starts.
  const std::vector<size_t>& line_starts(uint32_t file) {
    if (starts_.size() != p_.sources.size()) starts_.assign(p_.sources.size(), {});
    std::vector<size_t>& s = starts_[file];
    if (s.empty()) {
      const std::string& t = p_.sources[file].text;
      s.push_back(0);
      for (size_t i = t.find('\n'); i != std::string::npos; i = t.find('\n', i + 1)) s.push_back(i + 1);
    }
    return s;
  }

  // Chunk `idx` under `label`: its code, each instruction with its operands
  // and the source line it came from.
  void chunk(const std::string& label, int64_t idx) {
    if (idx < 0 || static_cast<size_t>(idx) >= p_.chunks.size()) {
      out_ += fmt::format("  {}: chunk {}?\n", label, idx);
      return;
    }
    const Chunk& c = p_.chunks[static_cast<size_t>(idx)];
    out_ += fmt::format("  {}: chunk {}, {} registers, returns {}\n", label, idx, c.nregs, type_name(c.result));
    uint32_t last_line = 0;
    for (size_t pc = 0; pc < c.code.size(); ++pc) {
      const Instr& in = c.code[pc];
      const SrcLoc loc = pc < c.lines.size() ? c.lines[pc] : SrcLoc{};
      if (loc.line && loc.line != last_line) {
        out_ += fmt::format("    ; {}:{}: {}\n", loc.file < p_.sources.size() ? p_.sources[loc.file].path : "?",
                            loc.line, source_line(loc));
        last_line = loc.line;
      }
      const auto opi = static_cast<uint8_t>(in.op);
      std::string ops;
      if (opi < kOpCount) {
        const OpInfo& info = kInfo[opi];
        for (auto [k, v] : {std::pair{info.a, uint32_t{in.a}}, std::pair{info.b, uint32_t{in.b}},
                            std::pair{info.c, uint32_t{in.c}}}) {
          if (k == Kind::U) continue;
          ops += (ops.empty() ? "" : ", ") + operand(k, v);
        }
      }
      out_ += fmt::format("    {:04}  {:<8} {}\n", pc, op_name(in.op), ops);
    }
  }

  // Template `t` under `label`: its text with numbered holes, then each hole's chunk.
  void tmpl(const std::string& label, int64_t t) {
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size()) {
      out_ += fmt::format("  {}: template {}?\n", label, t);
      return;
    }
    std::string shape;
    std::vector<int32_t> holes;
    for (const TemplatePart& part : p_.templates[static_cast<size_t>(t)].parts) {
      if (part.chunk < 0) shape += part.text;
      else {
        shape += fmt::format("{{#{}}}", holes.size());
        holes.push_back(part.chunk);
      }
    }
    out_ += fmt::format("  {}: {:?}\n", label, std::string_view(shorten(shape)));
    for (size_t i = 0; i < holes.size(); ++i) chunk(fmt::format("{}#{}", label, i), holes[i]);
  }

  const Program& p_;
  std::string out_;
  Frame* frame_ = nullptr;
  const char* field_ = "";
  const Machine* machine_ = nullptr;  // the machine being listed (its states name transition targets)
  ActionKind action_kind_ = ActionKind::Verdict;  // the action being listed (its kind decides what it shows)
  std::vector<std::vector<size_t>> starts_;  // per source file, built on first use
};

}  // namespace

std::string disassemble(const Program& prog) { return Disasm(prog).run(); }

}  // namespace dta
