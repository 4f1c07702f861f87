// One source of truth per list: the .def lists (names, parsers, counts and
// the properties the compiler and verifier read), the verifier's type
// effects from opcodes.def, the Program schema (the .dtb, the schema check,
// the disassembly, sites in the file), status types, number parsing that
// ignores the host's locale, and a compiler that lets no exception out.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <unistd.h>

#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/report_json.hpp"
#include "dta/sites.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace fs = std::filesystem;
using dta::Instr;
using dta::Op;

namespace {

// Every value of E has a distinct name that parses back to it, and a value
// past the list has none.
template <class E>
void check_list(size_t count) {
  CAPTURE(dta::enum_what<E>());
  CHECK(dta::enum_count<E>() == count);
  for (size_t i = 0; i < dta::enum_count<E>(); ++i) {
    const E v = static_cast<E>(i);
    const std::string name = dta::enum_name(v);
    CAPTURE(name);
    CHECK(!name.empty());
    CHECK(name != "?");
    E back{};
    REQUIRE(dta::parse_enum(name, back));
    CHECK(back == v);
    for (size_t j = 0; j < i; ++j) CHECK(name != dta::enum_name(static_cast<E>(j)));
  }
  CHECK(std::string(dta::enum_name(static_cast<E>(count))) == "?");
  CHECK_FALSE(dta::enum_valid(static_cast<E>(count)));
  E untouched = static_cast<E>(0);
  CHECK_FALSE(dta::parse_enum("no such name", untouched));
  CHECK(untouched == static_cast<E>(0));
}

// A compiled policy as a mutable, unfinalized copy (through its .dtb).
std::unique_ptr<dta::Program> editable(const std::string& policy) {
  auto prog = dta::test::compiled(policy);
  REQUIRE(prog);
  auto p = dta::load_dtb(dta::save_dtb(*prog));
  REQUIRE_MESSAGE(p, (p ? "" : p.error()));
  return std::move(*p);
}

// What finalizing `p` says ("" when it may run).
std::string finalize_error(dta::Program& p) {
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  const dta::Outcome o = p.finalize(fns, n);
  CHECK(o.ok() == o.error().empty());
  return o.error();
}

// What loading and finalizing .dtb bytes says ("" when the program may run).
std::string load_error(const std::string& bytes) {
  auto p = dta::load_dtb(bytes);
  if (!p) return p.error();
  return finalize_error(**p);
}

template <class T>
uint16_t index_of(const std::vector<T>& table, const T& v) {
  const auto it = std::find(table.begin(), table.end(), v);
  REQUIRE(it != table.end());
  return static_cast<uint16_t>(it - table.begin());
}

uint16_t konst(const dta::Program& p, dta::Type t) {
  for (size_t i = 0; i < p.consts.size(); ++i)
    if (p.consts[i].type == t) return static_cast<uint16_t>(i);
  FAIL("no constant of that type");
  return 0;
}

// The builtin named `name` of the stdlib.
const dta::Builtin& builtin(const char* name) {
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  for (size_t i = 0; i < n; ++i)
    if (std::strcmp(fns[i].name, name) == 0) return fns[i];
  FAIL("no such builtin");
  return fns[0];
}

// fn(s): the value, or nullopt for a miss.
std::optional<dta::Value> call1(const char* fn, std::string_view s) {
  dta::Arena arena;
  const dta::Value arg = dta::Value::of_string(s);
  dta::Value out;
  if (builtin(fn).fn(&arg, out, arena) != dta::Status::Ok) return std::nullopt;
  return out;
}

// Sets the host's LC_NUMERIC to a locale whose decimal point is a comma for
// as long as it lives: a system one if installed, else one made with
// localedef under a temporary LOCPATH. active() says whether it could.
class CommaLocale {
 public:
  CommaLocale() {
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"})
      if (use(name)) return;
    dir_ = fs::temp_directory_path() / fmt::format("dta-locale-{}", static_cast<long>(::getpid()));
    std::error_code ec;
    fs::create_directories(dir_, ec);
    std::ofstream(dir_ / "comma.src") << "LC_CTYPE\ncopy \"POSIX\"\nEND LC_CTYPE\n"
                                          "LC_NUMERIC\ndecimal_point \"<U002C>\"\nthousands_sep \"<U002E>\"\n"
                                          "grouping 3;3\nEND LC_NUMERIC\n";
    const std::string cmd = fmt::format("localedef -c -i '{}' -f ANSI_X3.4-1968 '{}' >/dev/null 2>&1",
                                        (dir_ / "comma.src").string(), (dir_ / "xx_COMMA").string());
    (void)std::system(cmd.c_str());
    ::setenv("LOCPATH", dir_.c_str(), 1);
    use("xx_COMMA");
  }
  ~CommaLocale() {
    std::setlocale(LC_NUMERIC, "C");
    ::unsetenv("LOCPATH");
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool active() const { return active_; }

 private:
  bool use(const char* name) {
    active_ = std::setlocale(LC_NUMERIC, name) && std::strcmp(std::localeconv()->decimal_point, ",") == 0;
    if (!active_) std::setlocale(LC_NUMERIC, "C");
    return active_;
  }
  fs::path dir_;
  bool active_ = false;
};

const char* const kTypedPolicy =
    "event e { n: int, f: float, s: string, b: bool }\n"
    "rule r on e where n > 1 and f > 1.5 and s == \"x\" and b and contains(s, \"y\") and matches(s, \"^a\")"
    " and n in [1, 2] { ok }\n";

const char* const kSitesPolicy =
    "event e { n: int, s: string }\n"
    "rule w on e { when p95(n) over 10s > 5 by s { alert critical \"{value}\" dedup s every 1m } }\n"
    "rule t on e { expect e matching s within 5s else { info \"late\" } }\n"
    "machine m by s { initial a state a { on e -> b } state b { after 2s -> a } }\n";

}  // namespace

TEST_SUITE("lists") {
  TEST_CASE("every .def list gives each value one name that parses back") {
    check_list<dta::Type>(6);
    check_list<dta::TypeCode>(6);
    check_list<dta::Level>(6);
    check_list<dta::Severity>(5);
    check_list<dta::AlertSeverity>(4);
    check_list<dta::Agg>(8);
    check_list<dta::Cmp>(6);
    check_list<dta::FilterKind>(3);
    check_list<dta::ActionKind>(10);  // enable (issue 8), collect and discard (issue 11)
    check_list<dta::Op>(static_cast<size_t>(dta::kOpCount));
    // the old entry points are the lists' names
    CHECK(std::string(dta::level_name(dta::Level::Warning)) == "warning");
    CHECK(std::string(dta::severity_name(dta::Severity::Critical)) == "critical");
    CHECK(std::string(dta::agg_name(dta::Agg::Quantile)) == "quantile");
    CHECK(std::string(dta::alert_severity_name(dta::AlertSeverity::Off)) == "off");
    CHECK(std::string(dta::type_name(dta::Type::List)) == "list");
    CHECK(std::string(dta::op_name(Op::LOADF_I)) == "LOADF_I");
    CHECK(std::string(dta::op_name(static_cast<Op>(250))) == "?");
    // a type code names the type a value that passed it has
    CHECK(dta::type_code_of(dta::Type::Float) == dta::TypeCode::Float);
    CHECK(dta::type_code_of(dta::Type::Unknown) == dta::TypeCode::Any);
    CHECK(dta::type_code_of(dta::Type::List) == dta::TypeCode::Any);
  }

  TEST_CASE("the checker's words come from the lists") {
    auto written = dta::enum_names_where<dta::AlertSeverity>([](dta::AlertSeverity s) { return dta::enum_row(s).written; });
    CHECK(dta::names_text(written) == "info, warning or critical");
    auto profile_levels = dta::enum_names_where<dta::Level>([](dta::Level l) { return dta::enum_row(l).profile; });
    CHECK(dta::names_text(profile_levels) == "error, warning, info, ok or off");
    CHECK(dta::test::errors("event e { x: list }")[0] == "1:14: unknown type 'list' (did you mean 'int'?)");
    CHECK(dta::test::errors("event e { x: unknown }")[0] == "1:14: unknown type 'unknown'");
    CHECK(dta::test::errors("rule r on a where event.nam == \"x\" { ok }")[0] ==
          "1:19: unknown event part 'event.nam' (did you mean 'name'?)");
    CHECK(dta::test::errors("rule r on a { ok }\nprofile p { rule r: none }")[0] ==
          "2:21: unknown level 'none' (error, warning, info, ok or off)");
    CHECK(dta::test::errors("rule r on a { alert off \"x\" }")[0] ==
          "1:21: unknown alert severity 'off' (info, warning or critical)");
    // every event part loads with its own instruction and has its type
    for (const dta::EventPart& part : dta::kEventParts) {
      CAPTURE(part.name);
      const auto prog = dta::test::compiled(fmt::format("rule r on a {{ ok \"{{event.{}}}\" }}", part.name));
      REQUIRE(prog);
      const dta::Chunk& hole = prog->chunks[prog->templates[0].parts[0].chunk];
      CHECK(hole.code[0].op == part.op);
    }
  }

  TEST_CASE("every aggregate spelling compiles to its aggregate, arguments and quantile") {
    for (const dta::AggSpelling& sp : dta::kAggSpellings) {
      CAPTURE(sp.name);
      const std::string args = sp.args == 0 ? "" : sp.args == 1 ? "n" : "n, 0.25";
      const std::string policy =
          fmt::format("event e {{ n: int }}\nrule r on e {{ when {}({}) over 10s > 1 {{ info \"{{value}}\" }} }}\n",
                      sp.name, args);
      const auto prog = dta::test::compiled(policy);
      REQUIRE(prog);
      const dta::When& w = prog->rules[0].whens[0];
      CHECK(w.agg == sp.agg);
      CHECK(w.q == (sp.q < 0 ? 0.25 : sp.q));
      CHECK((w.arg >= 0) == (dta::enum_row(sp.agg).args > 0));
      // the `value` type the row gives: an int for count and distinct, else a float or the argument's (an int)
      const dta::Chunk& hole = prog->chunks[prog->templates[0].parts[0].chunk];
      CHECK(hole.code[0].op == Op::LOADV);
      CHECK(hole.code[0].c == static_cast<uint16_t>(dta::enum_row(sp.agg).value == dta::AggValue::Float
                                                        ? dta::TypeCode::Float
                                                        : dta::TypeCode::Int));
      // one argument too many is refused with the row's count
      const std::string more = args.empty() ? "n" : args + ", n";
      const auto errs = dta::test::errors(fmt::format("event e {{ n: int }}\nrule r on e {{ when {}({}) over 10s > 1 {{ ok }} }}",
                                                      sp.name, more));
      REQUIRE(!errs.empty());
      CHECK(errs[0].find(fmt::format("'{}()' takes {} argument", sp.name, sp.args)) != std::string::npos);
    }
    CHECK(dta::find_agg_spelling("p98") == nullptr);
    CHECK(dta::test::errors("rule r on a { when p9(x) over 1s > 1 { ok } }")[0].find("unknown aggregate 'p9'") !=
          std::string::npos);
    // numeric aggregates refuse a string, distinct takes one
    CHECK(dta::test::errors("event e { s: string }\nrule r on e { when avg(s) over 1s > 1 { ok } }")[0] ==
          "2:24: aggregate 'avg' needs a number, not string");
    CHECK(dta::test::errors("event e { s: string }\nrule r on e { when distinct(s) over 1s > 1 { ok } }").empty());
  }

  TEST_CASE("the verifier refuses mistyped instructions of every family, from the OP_TYPES table") {
    auto base = editable(kTypedPolicy);
    const uint16_t n = index_of(base->keys, std::string("n")), f = index_of(base->keys, std::string("f")),
                   s = index_of(base->keys, std::string("s")), b = index_of(base->keys, std::string("b"));
    const uint16_t ki = konst(*base, dta::Type::Int), kf = konst(*base, dta::Type::Float),
                   ks = konst(*base, dta::Type::String), kl = konst(*base, dta::Type::List);
    const uint16_t fn = index_of(base->functions, std::string("contains"));
    const auto code = [](dta::TypeCode c) { return static_cast<uint16_t>(c); };
    struct Case {
      const char* family;
      std::vector<Instr> good, bad;  // the same code, with one operand of the wrong type
      const char* refusal;
    };
    const std::vector<Case> cases = {
        {"int arithmetic",
         {{Op::LOADF_I, 0, n, 0}, {Op::LOADF_I, 1, n, 0}, {Op::ADD_I, 0, 0, 1}, {Op::GT_IK, 0, 0, ki}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 0, s, 0}, {Op::LOADF_I, 1, n, 0}, {Op::ADD_I, 0, 0, 1}, {Op::GT_IK, 0, 0, ki}, {Op::RET, 0, 0, 0}},
         "pc 2: register 0 does not hold a typed value"},
        {"float arithmetic",
         {{Op::LOADF_F, 0, f, 0}, {Op::LOADF_F, 1, f, 0}, {Op::MUL_F, 0, 0, 1}, {Op::GT_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_F, 0, f, 0}, {Op::LOADF_I, 1, n, 0}, {Op::MUL_F, 0, 0, 1}, {Op::GT_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         "pc 2: register 1 does not hold a typed value"},
        {"typed comparison",
         {{Op::LOADF_S, 0, s, 0}, {Op::LOADF_S, 1, s, 0}, {Op::LT_S, 0, 0, 1}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 0, s, 0}, {Op::LOADF_B, 1, b, 0}, {Op::LT_S, 0, 0, 1}, {Op::RET, 0, 0, 0}},
         "pc 2: register 1 does not hold a typed value"},
        {"comparison with a constant: the register",
         {{Op::LOADF_F, 0, f, 0}, {Op::LE_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_I, 0, n, 0}, {Op::LE_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         "pc 1: register 0 does not hold a typed value"},
        {"comparison with a constant: the constant",
         {{Op::LOADF_S, 0, s, 0}, {Op::EQ_SK, 0, 0, ks}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 0, s, 0}, {Op::EQ_SK, 0, 0, ki}, {Op::RET, 0, 0, 0}},
         "pc 1: EQ_SK needs a string constant"},
        {"conversion",
         {{Op::LOADF_I, 0, n, 0}, {Op::I2F, 0, 0, 0}, {Op::GT_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_F, 0, f, 0}, {Op::I2F, 0, 0, 0}, {Op::GT_FK, 0, 0, kf}, {Op::RET, 0, 0, 0}},
         "pc 1: register 0 does not hold a typed value"},
        {"string concatenation",
         {{Op::LOADF_S, 0, s, 0}, {Op::LOADF_S, 1, s, 0}, {Op::CONCAT, 0, 0, 1}, {Op::EQ_SK, 0, 0, ks}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 0, s, 0}, {Op::LOADF_I, 1, n, 0}, {Op::CONCAT, 0, 0, 1}, {Op::EQ_SK, 0, 0, ks}, {Op::RET, 0, 0, 0}},
         "pc 2: register 1 does not hold a typed value"},
        {"logic", {{Op::LOADF_B, 0, b, 0}, {Op::NOT, 0, 0, 0}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_I, 0, n, 0}, {Op::NOT, 0, 0, 0}, {Op::RET, 0, 0, 0}}, "pc 1: register 0 does not hold a typed value"},
        {"branch",
         {{Op::LOADF_B, 0, b, 0}, {Op::JMPF, 0, 3, 0}, {Op::LOADF_B, 0, b, 0}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 0, s, 0}, {Op::JMPF, 0, 3, 0}, {Op::LOADF_B, 0, b, 0}, {Op::RET, 0, 0, 0}},
         "pc 1: register 0 does not hold a typed value"},
        {"regex", {{Op::LOADF_S, 0, s, 0}, {Op::MATCH, 0, 0, 0}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_F, 0, f, 0}, {Op::MATCH, 0, 0, 0}, {Op::RET, 0, 0, 0}}, "pc 1: register 0 does not hold a typed value"},
        {"dynamic operation on a list",
         {{Op::LOADK, 0, ki, 0}, {Op::LOADF, 1, n, 0}, {Op::EQ_D, 0, 0, 1}, {Op::RET, 0, 0, 0}},
         {{Op::LOADK, 0, kl, 0}, {Op::LOADF, 1, n, 0}, {Op::EQ_D, 0, 0, 1}, {Op::RET, 0, 0, 0}},
         "pc 2: register 0 does not hold a valid value"},
        {"a list membership test needs a list constant",
         {{Op::LOADF_I, 0, n, 0}, {Op::IN_K, 0, 0, kl}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_I, 0, n, 0}, {Op::IN_K, 0, 0, ks}, {Op::RET, 0, 0, 0}}, "pc 1: IN_K needs a list constant"},
        {"copy of an unset register", {{Op::LOADF_B, 1, b, 0}, {Op::MOVE, 0, 1, 0}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_B, 2, b, 0}, {Op::MOVE, 0, 1, 0}, {Op::RET, 0, 0, 0}}, "pc 1: register 1 does not hold a valid value"},
        {"call arguments",
         {{Op::LOADF_S, 1, s, 0}, {Op::LOADF_S, 2, s, 0}, {Op::CALL, 0, fn, 1}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF_S, 1, s, 0}, {Op::CALL, 0, fn, 1}, {Op::RET, 0, 0, 0}},
         "pc 1: register 2 does not hold a valid value"},
        {"a type check, then a typed use",
         {{Op::LOADF, 0, n, 0}, {Op::CHECK_T, 0, 0, code(dta::TypeCode::Int)}, {Op::GT_IK, 0, 0, ki}, {Op::RET, 0, 0, 0}},
         {{Op::LOADF, 0, n, 0}, {Op::CHECK_T, 0, 0, code(dta::TypeCode::String)}, {Op::GT_IK, 0, 0, ki}, {Op::RET, 0, 0, 0}},
         "pc 2: register 0 does not hold a typed value"},
        {"the result", {{Op::LOADF_B, 0, b, 0}, {Op::RET, 0, 0, 0}}, {{Op::LOADF_I, 0, n, 0}, {Op::RET, 0, 0, 0}},
         "pc 1: register 0 does not hold a typed value"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.family);
      for (const bool bad : {false, true}) {
        auto p = editable(kTypedPolicy);
        dta::Chunk& where = p->chunks[p->rules[0].where];
        where.code = bad ? c.bad : c.good;
        where.lines.assign(where.code.size(), {});
        where.nregs = 3;
        const std::string err = finalize_error(*p);
        if (bad)
          CHECK_MESSAGE(err.find(c.refusal) != std::string::npos, err);
        else
          CHECK_MESSAGE(err == "", err);
      }
    }
  }

  TEST_CASE("the schema check names the record and field of what is out of range") {
    struct Case {
      const char* what;
      std::function<void(dta::Program&)> edit;
      const char* refusal;
    };
    const std::vector<Case> cases = {
        {"an aggregate", [](auto& p) { p.rules[0].whens[0].agg = static_cast<dta::Agg>(9); },
         "aggregate 9 out of range, in the agg of when 0 of rule 'w'"},
        {"an alert severity", [](auto& p) { p.rules[0].whens[0].actions[0].severity = static_cast<dta::AlertSeverity>(7); },
         "alert severity 7 out of range, in the severity of action 0 of when 0 of rule 'w'"},
        {"a constant's type", [](auto& p) { p.consts[0].type = static_cast<dta::Type>(6); },
         "type 6 out of range, in the type of constant 0"},
        {"a threshold", [](auto& p) { p.rules[0].whens[0].threshold = 777; },
         "the threshold of when 0 of rule 'w' names chunk 777, but the program has"},
        {"a window", [](auto& p) { p.rules[0].whens[0].window_k = 4000; },
         "the window of when 0 of rule 'w' names constant 4000, but the program has"},
        {"a source file", [](auto& p) { p.rules[1].loc.file = 9; },
         "the file of the loc of rule 't' names source file 9, but the program has 1"},
        {"a template", [](auto& p) { p.rules[1].expects[0].else_actions[0].tmpl = -2; },
         "the message of action 0 of expect 0 of rule 't' names template -2"},
        {"a machine's state", [](auto& p) { p.machines[0].states[1].transitions[0].target = 3; },
         "the target of transition 0 of state 'b' of machine 'm' names state 3, but the machine has 2"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      auto p = editable(kSitesPolicy);
      c.edit(*p);
      const std::string err = finalize_error(*p);  // no .dtb: a program a host built by hand
      CHECK_MESSAGE(err.find(c.refusal) == 0, err);
      CHECK_FALSE(p->finalized());
    }
    // the reader names them too, with where they are in the file
    auto p = editable(kSitesPolicy);
    p->rules[0].whens[0].actions[0].severity = static_cast<dta::AlertSeverity>(7);
    const std::string err = load_error(dta::save_dtb(*p));
    CHECK_MESSAGE(err.find("malformed .dtb payload: alert severity 7 out of range, in the severity of action 0 of "
                           "when 0 of rule 'w' (at byte ") == 0,
                  err);
  }

  TEST_CASE("a .dtb carries its sites, and one that lies about them is refused") {
    const auto prog = dta::test::compiled(kSitesPolicy);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    auto loaded = dta::load_dtb(bytes);
    REQUIRE(loaded);
    dta::Program& p = **loaded;
    // as written, without deriving them again
    CHECK(p.rules[0].whens[0].site.id == "w/when#0");
    CHECK(p.rules[0].whens[0].site.shape == prog->rules[0].whens[0].site.shape);
    CHECK(p.rules[0].whens[0].actions[0].site.id == "w/alert#0");
    CHECK(p.rules[1].expects[0].site.id == "t/expect#0");
    CHECK(p.machines[0].site.id == "m/machine");
    CHECK(p.machines[0].site.shape == prog->machines[0].site.shape);
    CHECK(finalize_error(p) == "");
    // and the disassembly shows them
    const std::string dis = dta::disassemble(p);
    CHECK(dis.find(fmt::format("site=w/when#0 shape {:016x}", prog->rules[0].whens[0].site.shape)) != std::string::npos);
    CHECK(dis.find("site=m/machine shape ") != std::string::npos);
    CHECK(dis.find("site=w/alert#0 shape ") != std::string::npos);
    // a shape altered behind a valid checksum: the file loads, finalize refuses it
    std::string bad = bytes;
    const std::string id = "w/when#0";
    const size_t at = bad.find(id);
    REQUIRE(at != std::string::npos);
    bad[at + id.size()] = static_cast<char>(bad[at + id.size()] ^ 0x01);  // the shape's first byte
    bad = dta::dtb_with_header(std::string_view(bad).substr(dta::kDtbHeaderBytes));
    auto altered = dta::load_dtb(bad);
    REQUIRE_MESSAGE(altered, (altered ? "" : altered.error()));
    const std::string err = finalize_error(**altered);
    CHECK_MESSAGE(err.find("site 'w/when#0': its shape") == 0, err);
    CHECK(err.find("is not the one its code has") != std::string::npos);
    // ids that are missing or used twice
    auto q = editable(kSitesPolicy);
    q->rules[1].expects[0].site.id = "";
    CHECK(load_error(dta::save_dtb(*q)).find("site 't/expect#0': its id is empty") == 0);
    q = editable(kSitesPolicy);
    q->rules[1].expects[0].site.id = "w/when#0";
    CHECK(load_error(dta::save_dtb(*q)) == "site id 'w/when#0' is used twice");
    // a file of the previous version is refused by its header
    std::string old = bytes;
    const uint32_t v2 = 2;
    std::memcpy(old.data() + 4, &v2, 4);
    CHECK(load_error(old) == fmt::format("unsupported .dtb version 2 (this build reads {})", dta::kDtbVersion));
  }

  TEST_CASE("the disassembly lists every field the schema has") {
    const auto prog = dta::test::compiled(
        "event e { n: int, s: string }\n"
        "filter f on x.* where n > 1 { sample 25% }\n"
        "rule r on e { when max(n) over 10s >= 5 by s max 7 for 1s { warning \"{value}\" } }\n"
        "machine m by s max 9 { initial a state a { on e where n > 1 -> b } state b { after 2s -> a } }\n"
        "profile p { rule r: info alert r: off max m: 3 }\n");
    REQUIRE(prog);
    const std::string dis = dta::disassemble(*prog);
    for (const char* want : {"rule 0 r: loc=t.dta:3:6 patterns=[e] level=warning\n",
                             "  whens[0]: loc=t.dta:3:15 site=r/when#0 shape ",
                             " agg=max q=0.5 sliding window=K", " for=K", " cmp=>= ", " max_keys=7\n",
                             "  whens[0].threshold: chunk ", "  whens[0].by[0]: key=s\n",
                             "machine 0 m: loc=t.dta:4:9 site=m/machine shape ", " key=s initial=a max_keys=9 ",
                             "  states[1].transitions[0]: after delay=K", " target=a\n", "  states[0] a\n",
                             "filter 0 f: loc=t.dta:2:8 patterns=[x.*] kind=sample fraction=0.25\n",
                             "  levels[0]: unit=r level=info\n", "  alerts[0]: unit=r severity=off\n",
                             "  max_keys[0]: unit=m max_keys=3\n"}) {
      CAPTURE(want);
      CHECK(dis.find(want) != std::string::npos);
    }
  }

  TEST_CASE("int() and float() read what strtoll and strtod read in the C locale") {
    REQUIRE(std::string(std::setlocale(LC_NUMERIC, nullptr)) == "C");
    // accepted: leading blanks, one sign, inf/nan, hex floats, out-of-range floats as strtod has them
    const std::vector<std::pair<std::string, double>> floats = {
        {"1.5", 1.5},       {" \t1.5", 1.5},   {"+1.5", 1.5},       {"-1.5", -1.5},      {"1e3", 1000},
        {"1E+3", 1000},     {".5", 0.5},       {"5.", 5},           {"0", 0},            {"007", 7},
        {"0x10", 16},       {"0X1.8p1", 3},    {"-0x.8", -0.5},     {"1e999", HUGE_VAL}, {"-1E999", -HUGE_VAL},
        {"1e-999", 0},      {"2e-324", 0},     {"4.9e-324", 4.9e-324}, {"inf", HUGE_VAL},  {"-Infinity", -HUGE_VAL},
        {"1e99999", HUGE_VAL}, {"1e-99999", 0}, {"0x1p99999", HUGE_VAL}, {"0x1p-99999", 0}};
    for (const auto& [text, want] : floats) {
      CAPTURE(text);
      const auto got = call1("float", text);
      REQUIRE(got);
      CHECK(got->type == dta::Type::Float);
      CHECK(got->f == want);
      CHECK(got->f == std::strtod(text.c_str(), nullptr));  // the C library, in the C locale
    }
    for (const char* text : {"nan", "NaN", "-nan", "nan(123)"}) {
      CAPTURE(text);
      const auto got = call1("float", text);
      REQUIRE(got);
      CHECK(std::isnan(got->f));
    }
    // refused: what strtod stops early on, or does not read at all
    for (const std::string& text : std::vector<std::string>{"", " ", "1.5 ", "1,5", "+-1", "--1", "- 1", "0x", "0x-1", "0xp1", "0x1p", "1e",
                                   "abc", "1.5x", "infinit", "nan(", "0xinf", std::string("1\0", 2)}) {
      CAPTURE(text);
      CHECK_FALSE(call1("float", text));
      if (text.find('\0') == std::string::npos) {
        char* end = nullptr;
        std::strtod(text.c_str(), &end);
        CHECK((text.empty() || *end != '\0'));  // strtod leaves something unread too
      }
    }
    const std::vector<std::pair<std::string, int64_t>> ints = {
        {"42", 42}, {" \n42", 42}, {"+42", 42}, {"-42", -42}, {"0042", 42}, {"-0", 0},
        {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN}};
    for (const auto& [text, want] : ints) {
      CAPTURE(text);
      const auto got = call1("int", text);
      REQUIRE(got);
      CHECK(got->i == want);
      CHECK(got->i == std::strtoll(text.c_str(), nullptr, 10));
    }
    for (const std::string& text : std::vector<std::string>{"", " ", "42 ", "+-1", "-", "9223372036854775808", "-9223372036854775809", "0x10",
                                   "1.0", "1e3", "١٢", std::string("4\0", 2)}) {
      CAPTURE(text);
      CHECK_FALSE(call1("int", text));
    }
  }

  TEST_CASE("a comma-decimal locale changes no number the library reads or writes") {
    const std::string policy =
        "event e { x: string, v: float }\n"
        "const LIMIT = 2.5\n"
        "rule r on e where float(x) > LIMIT and v < 1e3 { warning \"{x} is {float(x)}, {v * 1.5}\" }\n"
        "rule w on e { when avg(v) over 10s > 0.5 { info \"avg {value}\" } }\n";
    const std::string events =
        "{\"ts\": 1000000000, \"name\": \"e\", \"fields\": {\"x\": \"3.25\", \"v\": 0.75}}\n"
        "{\"ts\": 2000000000, \"name\": \"e\", \"fields\": {\"x\": \"1.5\", \"v\": 1.5e2}}\n"
        "{\"ts\": 3000000000, \"name\": \"e\", \"fields\": {\"x\": \"2,75\", \"v\": 2.5}}\n";
    const std::string in_c = dta::report_to_json(dta::test::run(policy, events));
    REQUIRE(in_c.find("\"warning\": 1") != std::string::npos);
    CommaLocale comma;
    if (!comma.active()) {
      MESSAGE("no comma-decimal locale could be set (no localedef?): checked in the C locale only");
      return;
    }
    REQUIRE(std::strtod("1.5", nullptr) == 1.0);  // the C library now stops at the '.'
    const auto got = call1("float", "1.5");
    REQUIRE(got);
    CHECK(got->f == 1.5);
    CHECK_FALSE(call1("float", "1,5"));
    const auto i = call1("int", " -12");
    REQUIRE(i);
    CHECK(i->i == -12);
    CHECK(dta::report_to_json(dta::test::run(policy, events)) == in_c);
    // the compiler's literals and the disassembly too
    const auto prog = dta::test::compiled(policy);
    REQUIRE(prog);
    CHECK(prog->consts[0].f == 2.5);
    CHECK(dta::disassemble(*prog).find("K0(2.5)") != std::string::npos);
  }

  TEST_CASE("the compiler lets no exception out, whatever is thrown") {
    struct NotAnException {};
    const std::vector<std::pair<const char*, std::function<void()>>> throws = {
        {"bad_alloc", [] { throw std::bad_alloc(); }},
        {"a string literal", [] { throw "disk on fire"; }},
        {"a std::string", [] { throw std::string("disk on fire"); }},
        {"a class of its own", [] { throw NotAnException{}; }},
        {"an int", [] { throw 7; }},
    };
    for (const auto& [what, thrower] : throws) {
      CAPTURE(what);
      dta::CompileOptions opts;
      opts.include_resolver = [thrower = thrower](const std::string&, const std::string&) -> dta::IncludeResult {
        thrower();
        return {};
      };
      dta::CompileResult r;
      CHECK_NOTHROW(r = dta::compile_source("main.dta", "include \"x.dta\"\nrule r on a { ok }\n", opts));
      CHECK_FALSE(r.ok());
      REQUIRE(!r.diagnostics.empty());
      CHECK(r.diagnostics[0].message.find("cannot read included file 'x.dta'") == 0);
    }
    // the default resolver and the file entry points answer, never throw
    dta::IncludeResult inc;
    CHECK_NOTHROW(inc = dta::read_include(std::string("a\0b", 3), "/nonexistent/main.dta"));
    CHECK_FALSE(inc.ok);
    CHECK(!inc.error.empty());
    dta::CompileResult r;
    CHECK_NOTHROW(r = dta::compile_file(std::string("/nonexistent/\0x.dta", 19)));
    CHECK_FALSE(r.ok());
    CHECK_NOTHROW(r = dta::load_program("/"));
    CHECK_FALSE(r.ok());
    REQUIRE(!r.diagnostics.empty());
    CHECK(r.diagnostics[0].message == "cannot read: is a directory");
  }
}
