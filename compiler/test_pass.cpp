// Pass: test blocks -> TestCase values (see test_pass.hpp).
#include "test_pass.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

namespace dta {
namespace {

namespace fs = std::filesystem;

// The names a test may refer to in its policy.
struct PolicyNames {
  std::vector<std::string> units;     // rules, then machines
  std::vector<std::string> profiles;
  const ast::Policy* ast = nullptr;   // the policy's declarations, when it is the file itself
};

// What an `expect` may say of a rule or machine, besides a level.
struct RuleMeasure {
  const char* word;
  TestExpectation::Kind kind;
};
constexpr RuleMeasure kRuleMeasures[] = {
    {"alerts", TestExpectation::Kind::Alerts},
    {"fired", TestExpectation::Kind::Fired},
    {"matched", TestExpectation::Kind::Matched},
    {"collections", TestExpectation::Kind::Collections},
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class TestChecker {
 public:
  explicit TestChecker(PassContext& ctx) : ctx_(ctx) {
    for (const ast::RuleDecl& r : ctx.policy.rules) self_.units.push_back(r.name);
    for (const ast::MachineDecl& m : ctx.policy.machines) self_.units.push_back(m.name);
    for (const ast::ProfileDecl& p : ctx.policy.profiles) self_.profiles.push_back(p.name);
    self_.ast = &ctx.policy;
  }

  void run() {
    std::map<std::string, ast::Loc> seen;
    for (const ast::TestDecl& t : ctx_.policy.tests) {
      if (t.name.empty()) ctx_.diags.error(t.loc, "a test needs a name");
      auto [it, fresh] = seen.emplace(t.name, t.loc);
      if (!fresh) {
        ctx_.diags.error(t.loc, fmt::format("test '{}' is defined twice", t.name));
        ctx_.diags.note(it->second, "first defined here");
      }
      test(t);
    }
  }

 private:
  TestLoc test_loc(const ast::Loc& l) const {
    return {file_of(l), l.line, l.col};
  }
  std::string file_of(const ast::Loc& l) const {
    return l.file < ctx_.sources.files.size() ? ctx_.sources.files[l.file].path : "<input>";
  }
  // `path` as written in the file of `l`: relative to that file's directory.
  std::string relative_to(const std::string& path, const ast::Loc& l) const {
    return (fs::path(file_of(l)).parent_path() / path).lexically_normal().string();
  }

  void test(const ast::TestDecl& t) {
    TestCase tc;
    tc.name = t.name;
    tc.loc = test_loc(t.loc);
    const ast::TestItem* policy_item = nullptr;
    const ast::TestItem* profile_item = nullptr;
    for (const ast::TestItem& it : t.items) {
      const ast::TestItem** once = it.kind == ast::TestItemKind::Policy    ? &policy_item
                                   : it.kind == ast::TestItemKind::Profile ? &profile_item
                                                                           : nullptr;
      if (!once) continue;
      if (*once) {
        ctx_.diags.error(it.loc, fmt::format("the test names its {} twice",
                                             it.kind == ast::TestItemKind::Policy ? "policy" : "profile"));
        ctx_.diags.note((*once)->loc, "first named here");
      } else {
        *once = &it;
      }
    }
    const PolicyNames* names = &self_;
    if (policy_item) {
      tc.policy_path = relative_to(policy_item->text, policy_item->text_loc);
      names = other_policy(tc, *policy_item);
    }
    if (profile_item && names) {
      tc.profile = profile_item->text;
      if (!contains(names->profiles, tc.profile))
        ctx_.diags.error(profile_item->text_loc, fmt::format("unknown profile '{}'{}", tc.profile,
                                                             did_you_mean(tc.profile, names->profiles)));
    }
    for (const ast::TestItem& it : t.items) {
      switch (it.kind) {
        case ast::TestItemKind::Events: fixture(tc, it); break;
        case ast::TestItemKind::At: event(tc, it, names); break;
        case ast::TestItemKind::Advance: tc.advance = sat_add(tc.advance, it.ns); break;
        case ast::TestItemKind::Expect: expectation(tc, it, names); break;
        default: break;
      }
    }
    if (tc.expects.empty())
      ctx_.diags.warning(t.loc, fmt::format("test '{}' expects nothing: it always passes", t.name));
    ctx_.tests.push_back(std::move(tc));
  }

  static int64_t sat_add(int64_t a, int64_t b) {
    return a > INT64_MAX - b ? INT64_MAX : a + b;
  }

  // The policy of `policy "path"`, compiled once per path (only when the
  // caller asked for tests: else the names are not checked). Null when it
  // could not be compiled (its diagnostics are kept) or was not asked for.
  const PolicyNames* other_policy(TestCase& tc, const ast::TestItem& it) {
    if (!ctx_.compile_tests) return nullptr;
    auto found = others_.find(tc.policy_path);
    if (found == others_.end()) {
      CompileResult r = compile_file(tc.policy_path, ctx_.test_options);
      Other o;
      o.program = r.program;
      if (r.program) {
        for (const Rule& rule : r.program->rules) o.names.units.push_back(rule.name);
        for (const Machine& m : r.program->machines) o.names.units.push_back(m.name);
        for (const Profile& p : r.program->profiles) o.names.profiles.push_back(p.name);
      }
      for (Diagnostic& d : r.diagnostics) ctx_.test_diagnostics.push_back(std::move(d));
      found = others_.emplace(tc.policy_path, std::move(o)).first;
    }
    if (!found->second.program) {
      ctx_.diags.error(it.text_loc, fmt::format("the test's policy '{}' does not compile", it.text));
      return nullptr;
    }
    tc.program = found->second.program;
    return &found->second.names;
  }

  void fixture(TestCase& tc, const ast::TestItem& it) {
    const std::string path = relative_to(it.text, it.text_loc);
    if (ctx_.compile_tests) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0)
        ctx_.diags.error(it.text_loc, fmt::format("cannot read events file '{}': {}", it.text, std::strerror(errno)));
      else if (S_ISDIR(st.st_mode))
        ctx_.diags.error(it.text_loc, fmt::format("events file '{}' is a directory", it.text));
    }
    tc.fixtures.push_back(path);
  }

  void event(TestCase& tc, const ast::TestItem& it, const PolicyNames* names) {
    TestEvent ev;
    ev.ts = sat_add(kTestEpochNs, it.ns);
    ev.name = it.text;
    if (!it.severity.empty() && !parse_severity(it.severity, ev.severity))
      ctx_.diags.error(it.severity_loc, fmt::format("unknown severity '{}'{}", it.severity,
                                                    did_you_mean(it.severity, severity_names())));
    const ast::EventDecl* decl = nullptr;
    if (names && names->ast) {
      auto e = ctx_.events.find(ev.name);
      if (e != ctx_.events.end()) decl = &names->ast->events[e->second];
    }
    std::set<std::string> keys;
    for (const ast::MapEntry& f : it.fields) {
      if (!keys.insert(f.key).second) {
        ctx_.diags.error(f.loc, fmt::format("field '{}' is given twice", f.key));
        continue;
      }
      std::optional<FieldValue> v = literal(f);
      if (!v) {
        ctx_.diags.error(f.loc, fmt::format("the value of '{}' must be a literal: a number, a string, true or false",
                                            f.key));
        continue;
      }
      if (decl) check_type(*decl, f, *v);
      ev.fields.emplace_back(f.key, std::move(*v));
    }
    tc.events.push_back(std::move(ev));
  }

  static std::vector<std::string> severity_names() {
    std::vector<std::string> out;
    for (const auto& row : kSeverityRows) out.emplace_back(row.name);
    return out;
  }

  // A field's value when it is a literal (a negated number included).
  static std::optional<FieldValue> literal(const ast::MapEntry& f) {
    std::optional<Const> c = ast::literal_value(f);
    if (!c) return std::nullopt;
    switch (c->type) {
      case Type::Int: return FieldValue(c->i);
      case Type::Float: return FieldValue(c->f);
      case Type::Bool: return FieldValue(c->b);
      default: return FieldValue(std::move(c->s));
    }
  }

  void check_type(const ast::EventDecl& decl, const ast::MapEntry& f, const FieldValue& v) {
    for (const ast::FieldDecl& fd : decl.fields) {
      if (fd.name != f.key) continue;
      const Type have = std::holds_alternative<int64_t>(v)  ? Type::Int
                        : std::holds_alternative<double>(v) ? Type::Float
                        : std::holds_alternative<bool>(v)   ? Type::Bool
                                                            : Type::String;
      const bool fits = have == fd.type || (fd.type == Type::Float && have == Type::Int);
      if (!fits)
        ctx_.diags.error(f.loc, fmt::format("field '{}' of '{}' is declared {}, the test gives a {}", f.key,
                                            decl.name, enum_name(fd.type), enum_name(have)));
      return;
    }
  }

  void expectation(TestCase& tc, const ast::TestItem& it, const PolicyNames* names) {
    using K = TestExpectation::Kind;
    TestExpectation x;
    x.loc = test_loc(it.loc);
    x.text = it.subject + (it.what.empty() ? "" : " " + it.what) +
             (it.count ? fmt::format(" {}", *it.count) : std::string());
    const auto need_count = [&](const char* form) {
      if (!it.count) {
        ctx_.diags.error(it.loc, fmt::format("expected a count: {}", form));
        return false;
      }
      x.count = static_cast<uint64_t>(*it.count);
      return true;
    };
    const auto no_what = [&](const char* form) {
      if (it.what.empty()) return true;
      ctx_.diags.error(it.what_loc, fmt::format("unexpected '{}': {}", it.what, form));
      return false;
    };
    if (it.subject == "verdict") {
      if (it.what != "pass" && it.what != "fail") {
        ctx_.diags.error(it.what.empty() ? it.subject_loc : it.what_loc, "expected pass or fail: expect verdict fail");
        return;
      }
      if (it.count) {
        ctx_.diags.error(it.count_loc, "a verdict has no count: expect verdict fail");
        return;
      }
      x.kind = K::Verdict;
      x.fail = it.what == "fail";
    } else if (it.subject == "pending" || it.subject == "alerts") {
      const char* form = it.subject == "pending" ? "expect pending N" : "expect alerts N";
      if (!no_what(form) || !need_count(form)) return;
      x.kind = it.subject == "pending" ? K::Pending : K::TotalAlerts;
    } else if (it.subject == "findings") {
      if (!level(it, x) || !need_count("expect findings error 2")) return;
      x.kind = K::TotalFindings;
    } else {
      x.rule = it.subject;
      if (names && !contains(names->units, x.rule)) {
        ctx_.diags.error(it.subject_loc, fmt::format("unknown rule or machine '{}'{}", x.rule,
                                                     did_you_mean(x.rule, names->units)));
        return;
      }
      x.kind = K::Findings;
      for (const RuleMeasure& m : kRuleMeasures)
        if (it.what == m.word) x.kind = m.kind;
      if (x.kind == K::Findings && !level(it, x)) return;
      if (!need_count("expect RULE error 1")) return;
    }
    tc.expects.push_back(std::move(x));
  }

  // The level word of `expect RULE LEVEL N` / `expect findings LEVEL N`.
  bool level(const ast::TestItem& it, TestExpectation& x) {
    Level l{};
    if (!it.what.empty() && parse_level(it.what, l) && l != Level::None && l != Level::Off) {
      x.level = l;
      return true;
    }
    ctx_.diags.error(it.what.empty() ? it.subject_loc : it.what_loc,
                     it.what.empty() ? "expected what to count: error, warning, info, ok, alerts, fired, matched or collections"
                                     : fmt::format("unknown measure '{}': expected error, warning, info, ok, alerts, "
                                                   "fired, matched or collections", it.what));
    return false;
  }

  struct Other {
    std::shared_ptr<const Program> program;
    PolicyNames names;
  };
  PassContext& ctx_;
  PolicyNames self_;
  std::map<std::string, Other> others_;
};

}  // namespace

void test_pass(PassContext& ctx) {
  if (ctx.policy.tests.empty()) return;
  TestChecker(ctx).run();
}

}  // namespace dta
