// Evaluating DTA expressions over stored events (probe.hpp).
#include "probe.hpp"

#include <fmt/format.h>

#include <cmath>

namespace dta::repl {
namespace {

// The probe rule's name, and the separator between a value probe's holes: a
// control character, rare in event data (a value holding one is split there,
// which garbles only that display).
constexpr std::string_view kProbeRule = "__repl_probe";
constexpr char kSep = '\x1f';

// A string literal of the language (a plain string: `const` values are not templates).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{{{:X}}}", static_cast<int>(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

// A constant as a literal of the language; "" when it has none (NaN, infinities).
std::string literal(const Const& c) {
  switch (c.type) {
    case Type::Int:
      return std::to_string(c.i);
    case Type::Float: {
      if (!std::isfinite(c.f)) return "";
      std::string s = fmt::format("{}", c.f);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
    case Type::Bool:
      return c.b ? "true" : "false";
    case Type::String:
      return quoted(c.s);
    case Type::List: {
      std::string s = "[";
      for (const Const& item : c.items) {
        const std::string l = literal(item);
        if (l.empty()) return "";
        s += (s.size() > 1 ? ", " : "") + l;
      }
      return s + "]";
    }
    default:
      return "";
  }
}

}  // namespace

std::string const_declarations(const Program& prog) {
  std::string out;
  for (const NamedConst& nc : prog.named_consts) {
    if (nc.index >= prog.consts.size()) continue;
    const std::string l = literal(prog.consts[nc.index]);
    if (!l.empty()) out += fmt::format("const {} = {}\n", nc.name, l);
  }
  return out;
}

std::string render_typed_error(const Diagnostic& d, const std::string& shown, size_t shown_col, size_t first_col) {
  const char* what = d.severity == DiagnosticSeverity::Error ? "error" : "warning";
  std::string out = fmt::format("{}: {}\n", what, d.message);
  size_t col = d.col >= first_col ? d.col - first_col + shown_col : shown_col;
  if (col > shown.size()) col = shown.size();
  size_t len = std::max<size_t>(1, std::min<size_t>(d.len, shown.size() > col ? shown.size() - col : 1));
  out += fmt::format("  {}\n  {}^{}\n", shown, std::string(col, ' '), std::string(len - 1, '~'));
  return out;
}

Expected<std::unique_ptr<Probe>> Probe::make(const std::string& source, std::string* first_error,
                                             CompileResult* result) {
  CompileOptions co;
  co.include_resolver = [](const std::string& path, const std::string&) {
    IncludeResult r;
    r.error = "a probe includes nothing";
    r.name = path;
    return r;
  };
  *result = compile_source("<repl>", source, co);
  if (!result->ok()) {
    for (const Diagnostic& d : result->diagnostics)
      if (d.severity == DiagnosticSeverity::Error) {
        *first_error = d.rendered;
        break;
      }
    return fail(*first_error);
  }
  std::unique_ptr<Probe> p(new Probe());
  p->prog_ = result->program;
  EngineOptions opts;
  opts.max_kept_findings = 0;
  opts.time_sample_every = 0;
  Probe* raw = p.get();
  opts.on_finding = [raw](const Finding& f) {
    if (f.rule != kProbeRule) return;
    raw->hit_ = true;
    raw->message_ = f.message;
  };
  std::string err;
  p->engine_ = Engine::create(p->prog_, opts, &err);
  if (!p->engine_) return fail(err);
  return p;
}

Expected<std::unique_ptr<Probe>> Probe::where(const std::string& prelude, const std::string& expr,
                                              const std::string& shown, size_t expr_col) {
  const uint32_t expr_line = static_cast<uint32_t>(std::count(prelude.begin(), prelude.end(), '\n')) + 2;
  const std::string source = fmt::format("{}rule {} on * where (\n{}\n) {{ ok }}\n", prelude, kProbeRule, expr);
  std::string first;
  CompileResult res;
  auto p = make(source, &first, &res);
  if (p) return p;
  for (const Diagnostic& d : res.diagnostics)
    if (d.severity == DiagnosticSeverity::Error) {
      if (d.line == expr_line) return fail(render_typed_error(d, shown, expr_col, 1));
      if (d.line == expr_line + 1 || d.line == expr_line - 1)  // the parentheses: the expression is incomplete
        return fail(render_typed_error(
            Diagnostic{d.path, expr_line, static_cast<uint32_t>(expr.size() + 1), 1, d.message, "", d.severity}, shown,
            expr_col, 1));
      return fail(p.error());
    }
  return fail(p.error());
}

Expected<std::unique_ptr<Probe>> Probe::values(const std::string& prelude, const std::vector<std::string>& exprs) {
  std::string tmpl;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i) tmpl += fmt::format("\\u{{{:X}}}", static_cast<int>(kSep));
    tmpl += "{(" + exprs[i] + ")}";
  }
  const std::string source = fmt::format("{}rule {} on * {{ ok \"{}\" }}\n", prelude, kProbeRule, tmpl);
  std::string first;
  CompileResult res;
  auto p = make(source, &first, &res);
  if (p) (*p)->count_ = exprs.size();
  return p;
}

bool Probe::matches(const EventStore& store, size_t i) {
  store.to_event(i, ev_, engine_->symbols(), map_);
  hit_ = false;
  engine_->process(ev_);
  return hit_;
}

std::vector<std::string> Probe::eval(const EventStore& store, size_t i, const std::vector<std::string>* removed) {
  store.to_event(i, ev_, engine_->symbols(), map_);
  if (removed)
    for (const std::string& f : *removed) ev_.remove(engine_->symbols().intern(f));
  hit_ = false;
  message_.clear();
  engine_->process(ev_);
  std::vector<std::string> out;
  if (!hit_) return std::vector<std::string>(count_, std::string(kMissing));
  size_t b = 0;
  for (size_t k = 0; k < count_; ++k) {
    const size_t e = message_.find(kSep, b);
    out.push_back(message_.substr(b, e == std::string::npos ? std::string::npos : e - b));
    b = e == std::string::npos ? message_.size() : e + 1;
  }
  return out;
}

}  // namespace dta::repl
