// Bytecode hardening: crafted .dtb files that an outside fuzzing campaign (or
// a hand) could write are refused with a clear message, whatever part they
// attack (every instruction, reachable or not; each chunk against the blocks
// that run it; every index, enum and count of the file); what the compiler
// writes always loads back; the disassembler shows the right source lines.
//
// The crafted programs are built here: compile a policy, edit the program,
// save it (the writer seals the checksum), load it. With DTA_UPDATE_REGRESS=1
// they are also written to tests/regress/bytecode/, which the last test case
// replays (reject_*.dtb must be refused, accept_*.dtb must load and run).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

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

const char* const kBase =
    "event e { n: int, s: string, k: string }\n"
    "filter f on x.* where n > 1 { sample 50% }\n"
    "rule r on e where n > 1 and s != \"zz\" { error \"n={n}\" observe m n }\n"
    "rule w on e { when sum(n) over 10s > 5 by s { warning \"{value} on {s}\" } }\n"
    "rule t on e { expect x.y where n == start.n matching s within 5s then { ok } else { info \"late {start.n}\" } }\n"
    "machine m by k { initial a state a { on e where n > 1 -> b } state b { after 2s -> a } }\n"
    "profile p { rule r: warning }\n";

// The program of a policy as a mutable, unfinalized copy (through its .dtb).
std::unique_ptr<dta::Program> editable(const std::string& policy = kBase) {
  auto prog = dta::test::compiled(policy);
  REQUIRE(prog);
  auto p = dta::load_dtb(dta::save_dtb(*prog));
  REQUIRE_MESSAGE(p, (p ? "" : p.error()));
  return std::move(*p);
}

// Loads and finalizes .dtb bytes; the program, or nullptr with *err set.
std::unique_ptr<dta::Program> load(const std::string& bytes, std::string* err) {
  auto p = dta::load_dtb(bytes);
  if (!p) {
    *err = p.error();
    return nullptr;
  }
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  *err = (*p)->finalize(fns, n).error();
  return err->empty() ? std::move(*p) : nullptr;
}

// What loading the .dtb of `p` says ("" when it loads and finalizes).
std::string load_error(const dta::Program& p) {
  std::string err;
  load(dta::save_dtb(p), &err);
  return err;
}

// What finalizing `p` as it is says ("" when it may run): the verifier alone.
std::string finalize_error(dta::Program& p) {
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  return p.finalize(fns, n).error();
}

// Replaces a chunk's code (with a line table to match).
void set_code(dta::Program& p, int32_t chunk, std::vector<Instr> code, uint16_t nregs = 1) {
  REQUIRE(chunk >= 0);
  p.chunks[chunk].code = std::move(code);
  p.chunks[chunk].lines.assign(p.chunks[chunk].code.size(), {});
  p.chunks[chunk].nregs = nregs;
}

// The index of the first constant of type t.
uint16_t konst(const dta::Program& p, dta::Type t) {
  for (size_t i = 0; i < p.consts.size(); ++i)
    if (p.consts[i].type == t) return static_cast<uint16_t>(i);
  FAIL("no constant of that type");
  return 0;
}

// The chunk of the first hole of template t.
int32_t first_hole(const dta::Program& p, int32_t t) {
  for (const dta::TemplatePart& part : p.templates[t].parts)
    if (part.chunk >= 0) return part.chunk;
  FAIL("a template without holes");
  return -1;
}

uint16_t key(const dta::Program& p, const std::string& k) {
  const auto it = std::find(p.keys.begin(), p.keys.end(), k);
  REQUIRE(it != p.keys.end());
  return static_cast<uint16_t>(it - p.keys.begin());
}

// .dtb bytes with the header's size and checksum made to fit the payload.
std::string seal(std::string bytes) {
  const uint64_t size = bytes.size() - 24;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 24; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ull;
  std::memcpy(bytes.data() + 8, &size, 8);
  std::memcpy(bytes.data() + 16, &h, 8);
  return bytes;
}

void put_u32(std::string& bytes, size_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); }

// Runs an engine on a program over a few events of every name its parts
// match, under every profile: whatever loads must be safe to run.
void run_a_little(const std::shared_ptr<const dta::Program>& prog) {
  std::vector<std::string> names = {"e", "x.y", "other"};
  for (const dta::Rule& r : prog->rules)
    for (const std::string& pt : r.patterns)
      if (!pt.empty()) names.push_back(pt.back() == '*' ? pt.substr(0, pt.size() - 1) + "z" : pt);
  std::vector<std::string> profiles = {""};
  for (const dta::Profile& pr : prog->profiles) profiles.push_back(pr.name);
  for (const std::string& profile : profiles) {
    dta::EngineOptions opts;
    opts.profile = profile;
    std::string err;
    auto engine = dta::Engine::create(prog, opts, &err);
    REQUIRE_MESSAGE(engine, err);
    dta::Event ev;
    int64_t ts = 0;
    for (int round = 0; round < 3; ++round)
      for (const std::string& name : names) {
        ev.clear();
        ev.ts = ts += 3000000000;  // 3 s apart: windows close, deadlines and `after`s pass
        ev.name = engine->symbols().intern(name);
        ev.add_int(engine->symbols().intern("n"), 5 + round);
        ev.add_string(engine->symbols().intern("s"), "abc");
        ev.add_string(engine->symbols().intern("k"), "key");
        engine->process(ev);
      }
    engine->finish();
    CHECK(engine->report().events == 3 * names.size());
  }
}

// A crafted program: a name (the regression file's), how it is made from
// kBase, and what refusing it says ("" when it must load).
struct Crafted {
  const char* name;
  std::function<void(dta::Program&)> edit;
  const char* refusal;
};

// The crash inputs of the issue, and their neighbours.
std::vector<Crafted> crafted() {
  return {
      {"unreachable_bad_key",  // a LOADF_I with key 65535 after RET: binding read keymap[65535]
       [](dta::Program& p) {
         dta::Chunk& c = p.chunks[p.rules[0].where];
         c.code.push_back({Op::LOADF_I, 0, 65535, 0});
         c.lines.push_back({});
       },
       "field key 65535 out of range"},
      {"threshold_reads_state",  // a threshold evaluated while binding, before the machines were
       [](dta::Program& p) {
         set_code(p, p.rules[1].whens[0].threshold,
                  {{Op::LOADK, 0, konst(p, dta::Type::String), 0}, {Op::STATE, 1, 0, 0}, {Op::RET, 1, 0, 0}}, 2);
       },
       "STATE reads the machines, which the threshold of when 0 of rule 'w' does not have"},
      {"threshold_reads_event",
       [](dta::Program& p) {
         set_code(p, p.rules[1].whens[0].threshold, {{Op::EV_NAME, 0, 0, 0}, {Op::RET, 0, 0, 0}});
       },
       "EV_NAME reads the event, which the threshold of when 0 of rule 'w' does not have"},
      {"where_returns_int",  // read as a bool
       [](dta::Program& p) {
         set_code(p, p.rules[0].where, {{Op::LOADF_I, 0, key(p, "n"), 0}, {Op::RET, 0, 0, 0}});
         p.chunks[p.rules[0].where].result = dta::Type::Int;
       },
       "returns int, but the where of rule 'r' needs bool"},
      {"threshold_returns_string",
       [](dta::Program& p) {
         set_code(p, p.rules[1].whens[0].threshold,
                  {{Op::LOADK, 0, konst(p, dta::Type::String), 0}, {Op::RET, 0, 0, 0}});
       },
       "returns string, but the threshold of when 0 of rule 'w' needs int or float"},
      {"value_in_rule_where",
       [](dta::Program& p) {
         set_code(p, p.rules[0].where, {{Op::LOADV, 0, 0, 3}, {Op::RET, 0, 0, 0}});
       },
       "LOADV reads a when block's value, which the where of rule 'r' does not have"},
      {"bad_enum", [](dta::Program& p) { p.rules[1].whens[0].agg = static_cast<dta::Agg>(9); },
       "aggregate 9 out of range"},
      {"transition_to_missing_state", [](dta::Program& p) { p.machines[0].states[0].transitions[0].target = 7; },
       "names state 7, but the machine has 2"},
      {"three_after_transitions",  // the reader wanted 30 bytes where the writer wrote 22
       [](dta::Program& p) {
         dta::Transition t = p.machines[0].states[1].transitions[0];
         p.machines[0].states[1].transitions = {t, t, t};
       },
       ""},
  };
}

}  // namespace

TEST_SUITE("bytecode_hardening") {
  TEST_CASE("the issue's crafted programs are refused with a clear message") {
    for (const Crafted& c : crafted()) {
      CAPTURE(c.name);
      auto p = editable();
      c.edit(*p);
      dta::assign_sites(*p);  // as the compiler would, for an edit that changes a shape
      const std::string err = load_error(*p);
      if (*c.refusal)
        CHECK_MESSAGE(err.find(c.refusal) != std::string::npos, err);
      else
        CHECK(err == "");
      if (std::getenv("DTA_UPDATE_REGRESS")) {
        const fs::path dir = fs::path(DTA_TEST_DIR) / "regress" / "bytecode";
        fs::create_directories(dir);
        std::ofstream(dir / fmt::format("{}_{}.dtb", *c.refusal ? "reject" : "accept", c.name), std::ios::binary)
            << dta::save_dtb(*p);
      }
    }
  }

  TEST_CASE("every instruction is checked, reachable or not") {
    auto base = editable();
    const uint16_t n = key(*base, "n"), kint = konst(*base, dta::Type::Int);
    const std::vector<Instr> live = {{Op::LOADF_I, 0, n, 0}, {Op::GT_IK, 0, 0, kint}, {Op::RET, 0, 0, 0}};
    const std::vector<std::pair<Instr, const char*>> dead = {
        {{static_cast<Op>(200), 0, 0, 0}, "bad opcode 200"},
        {{Op::LOADK, 0, 60000, 0}, "constant 60000 out of range"},
        {{Op::LOADF, 0, 999, 0}, "field key 999 out of range"},
        {{Op::LOADF_I, 9, n, 0}, "register 9 out of range"},
        {{Op::MOVE, 0, 200, 0}, "register 200 out of range"},
        {{Op::JMP, 0, 1, 0}, "bad jump target 1"},  // backwards
        {{Op::JMPF, 0, 900, 0}, "bad jump target 900"},
        {{Op::CALL, 0, 99, 0}, "function 99 out of range"},
        {{Op::MATCH, 0, 0, 77}, "regex 77 out of range"},
        {{Op::STATE, 0, 5, 0}, "machine 5 out of range"},
        {{Op::CHECK_T, 0, 0, 6}, "bad type code 6"},
        {{Op::LOADV, 0, 0, 9}, "bad type code 9"},
        {{Op::GT_IK, 0, 0, konst(*base, dta::Type::String)}, "GT_IK needs an int constant"},
        {{Op::IN_K, 0, 0, kint}, "IN_K needs a list constant"},
        {{Op::LOADV, 0, 0, 3}, "LOADV reads a when block's value"},
        {{Op::LOADSF, 0, n, 0}, "LOADSF reads an expectation's first event"},
    };
    for (const auto& [in, want] : dead) {
      CAPTURE(want);
      auto p = editable();
      std::vector<Instr> code = live;
      code.push_back(in);  // after RET: never runs
      code.push_back({Op::RET, 0, 0, 0});
      set_code(*p, p->rules[0].where, code);
      const std::string err = finalize_error(*p);
      CHECK_MESSAGE(err.find("pc 3: " + std::string(want)) != std::string::npos, err);
      CHECK(!load_error(*p).empty());  // and as a file
    }
    // a call whose arguments run past the registers, unreachable too
    auto p = editable();
    p->functions.push_back("contains");  // two arguments: r1 and r2, but the chunk has two registers
    set_code(*p, p->rules[0].where,
             {{Op::LOADF_I, 0, n, 0}, {Op::GT_IK, 0, 0, kint}, {Op::RET, 0, 0, 0}, {Op::CALL, 0, 0, 1}}, 2);
    const std::string err = load_error(*p);
    CHECK_MESSAGE(err.find("pc 3: call arguments out of range") != std::string::npos, err);
    // and the live code as compiled passes
    auto q = editable();
    set_code(*q, q->rules[0].where, live);
    CHECK(load_error(*q) == "");
  }

  TEST_CASE("each instruction runs only where its chunk has the context it reads") {
    struct Case {
      const char* what;
      std::function<int32_t(const dta::Program&)> chunk;
      std::vector<Instr> code;
      const char* refusal;
    };
    auto p0 = editable();
    const uint16_t n = key(*p0, "n");
    const std::vector<Case> cases = {
        {"value in a filter",
         [](auto& p) { return p.filters[0].where; },
         {{Op::LOADV, 0, 0, 3}, {Op::RET, 0, 0, 0}},
         "LOADV reads a when block's value, which the where of filter 'f' does not have"},
        {"value in a when key",
         [](auto& p) { return p.rules[1].whens[0].by[0].chunk; },
         {{Op::LOADV, 0, 0, 5}, {Op::RET, 0, 0, 0}},
         "which the key 's' of when 0 of rule 'w' does not have"},
        {"value in an aggregated value",
         [](auto& p) { return p.rules[1].whens[0].arg; },
         {{Op::LOADV, 0, 0, 0}, {Op::RET, 0, 0, 0}},
         "which the aggregated value of when 0 of rule 'w' does not have"},
        {"start in a transition",
         [](auto& p) { return p.machines[0].states[0].transitions[0].where; },
         {{Op::LOADSF, 0, n, 3}, {Op::RET, 0, 0, 0}},
         "LOADSF reads an expectation's first event, which the where of transition 0 of state 'a' of machine 'm'"},
        {"start in a rule's action",
         [](auto& p) { return p.rules[0].actions[1].chunk; },
         {{Op::LOADSF, 0, n, 0}, {Op::RET, 0, 0, 0}},
         "which the observed value of action 1 of rule 'r' does not have"},
        {"value in an expectation",
         [](auto& p) { return p.rules[2].expects[0].where; },
         {{Op::LOADV, 0, 0, 3}, {Op::RET, 0, 0, 0}},
         "which the where of expect 0 of rule 't' does not have"},
        {"a field in a threshold",
         [](auto& p) { return p.rules[1].whens[0].threshold; },
         {{Op::LOADF_I, 0, n, 0}, {Op::RET, 0, 0, 0}},
         "LOADF_I reads the event, which the threshold"},
        {"has() in a threshold",
         [](auto& p) { return p.rules[1].whens[0].threshold; },
         {{Op::HAS, 0, n, 0}, {Op::RET, 0, 0, 0}},
         "HAS reads the event, which the threshold"},
        // the same code where the block gives what it reads
        {"value in a when's message",
         [](auto& p) { return first_hole(p, p.rules[1].whens[0].actions[0].tmpl); },
         {{Op::LOADV, 0, 0, 5}, {Op::RET, 0, 0, 0}},
         ""},
        {"start in an expectation's where",
         [](auto& p) { return p.rules[2].expects[0].where; },
         {{Op::LOADSF, 0, n, 3}, {Op::RET, 0, 0, 0}},
         ""},
        {"state in a filter",
         [](auto& p) { return p.filters[0].where; },
         {{Op::LOADF_S, 0, key(*p0, "s"), 0},
          {Op::STATE, 0, 0, 0},
          {Op::EQ_SK, 0, 0, konst(*p0, dta::Type::String)},
          {Op::RET, 0, 0, 0}},
         ""},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      auto p = editable();
      set_code(*p, c.chunk(*p), c.code);
      const std::string err = load_error(*p);
      if (*c.refusal)
        CHECK_MESSAGE(err.find(c.refusal) != std::string::npos, err);
      else
        CHECK(err == "");
    }
    // the compiler's own uses: `value` in a when, start.F in where, then and else
    auto ok = dta::test::compiled(
        "event e { n: int, s: string }\n"
        "rule w on e { when avg(n) over 10s > 1.5 { alert info \"{value}\" labels { v: value } } }\n"
        "rule t on e { expect e where n > start.n matching s within 1s then { ok \"{start.n}\" } else { info "
        "\"{start.n}\" } }\n");
    REQUIRE(ok);
    CHECK(load_error(*ok) == "");
  }

  TEST_CASE("a chunk's result must suit every block that runs it") {
    struct Case {
      const char* what;
      std::function<void(dta::Program&)> edit;
      const char* refusal;
    };
    auto p0 = editable();
    const uint16_t n = key(*p0, "n"), s = key(*p0, "s");
    const std::vector<Case> cases = {
        {"a dynamic filter where",
         [&](auto& p) {
           set_code(p, p.filters[0].where, {{Op::LOADF, 0, n, 0}, {Op::RET, 0, 0, 0}});
           p.chunks[p.filters[0].where].result = dta::Type::Unknown;
         },
         "returns a value checked when it runs, but the where of filter 'f' needs bool"},
        {"an int transition guard",
         [&](auto& p) {
           const int32_t c = p.machines[0].states[0].transitions[0].where;
           set_code(p, c, {{Op::LOADF_I, 0, n, 0}, {Op::RET, 0, 0, 0}});
           p.chunks[c].result = dta::Type::Int;
         },
         "returns int, but the where of transition 0 of state 'a' of machine 'm' needs bool"},
        {"a string expectation where",
         [&](auto& p) {
           const int32_t c = p.rules[2].expects[0].where;
           set_code(p, c, {{Op::LOADF_S, 0, s, 0}, {Op::RET, 0, 0, 0}});
           p.chunks[c].result = dta::Type::String;
         },
         "returns string, but the where of expect 0 of rule 't' needs bool"},
        {"a string sum",
         [&](auto& p) {
           set_code(p, p.rules[1].whens[0].arg, {{Op::LOADF_S, 0, s, 0}, {Op::RET, 0, 0, 0}});
         },
         "returns string, but the aggregated value of when 0 of rule 'w' needs int or float or a value checked"},
        {"a string distinct",
         [&](auto& p) {
           p.rules[1].whens[0].agg = dta::Agg::Distinct;
           set_code(p, p.rules[1].whens[0].arg, {{Op::LOADF_S, 0, s, 0}, {Op::RET, 0, 0, 0}});
         },
         ""},
        {"a bool observation",
         [&](auto& p) {
           set_code(p, p.rules[0].actions[1].chunk, {{Op::HAS, 0, n, 0}, {Op::RET, 0, 0, 0}});
         },
         "returns bool, but the observed value of action 1 of rule 'r' needs"},
        {"a float threshold",
         [&](auto& p) {
           p.consts.push_back({dta::Type::Float, 0, 2.5, false, {}, {}});
           set_code(p, p.rules[1].whens[0].threshold,
                    {{Op::LOADK, 0, static_cast<uint16_t>(p.consts.size() - 1), 0}, {Op::RET, 0, 0, 0}});
         },
         ""},
        {"a list result", [&](auto& p) { p.chunks[p.rules[1].whens[0].arg].result = dta::Type::List; },
         "bad result type 5"},
        {"one chunk as a where and a threshold",  // each use's demands hold
         [&](auto& p) { p.rules[1].whens[0].threshold = p.rules[0].where; },
         "LOADF_I reads the event, which the threshold of when 0 of rule 'w' does not have"},
        {"one chunk as a where and a label",
         [&](auto& p) {
           const int32_t hole = first_hole(p, p.rules[1].whens[0].actions[0].tmpl);
           p.rules[1].whens[0].by[0].chunk = hole;  // a key that reads the window's value
         },
         "LOADV reads a when block's value, which the key 's' of when 0 of rule 'w' does not have"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      auto p = editable();
      c.edit(*p);
      dta::assign_sites(*p);  // as the compiler would, for an edit that changes a shape
      const std::string err = load_error(*p);
      if (*c.refusal)
        CHECK_MESSAGE(err.find(c.refusal) != std::string::npos, err);
      else
        CHECK(err == "");
    }
  }

  TEST_CASE("every index from one part into another is checked") {
    struct Case {
      const char* what;
      std::function<void(dta::Program&)> edit;
      const char* refusal;
    };
    const std::vector<Case> cases = {
        {"rule -> chunk", [](auto& p) { p.rules[0].where = 99; }, "the where of rule 'r' names chunk 99"},
        {"negative chunk", [](auto& p) { p.rules[0].where = -5; }, "names chunk -5"},
        {"action -> template", [](auto& p) { p.rules[0].actions[0].tmpl = 42; }, "names template 42"},
        {"template -> chunk", [](auto& p) { p.templates[0].parts[0].chunk = 1000; },
         "part 0 of template 0 names chunk 1000"},
        {"threshold missing", [](auto& p) { p.rules[1].whens[0].threshold = -1; },
         "the threshold of when 0 of rule 'w' names chunk -1"},
        {"observe without a value", [](auto& p) { p.rules[0].actions[1].chunk = -1; }, "observed value of action 1"},
        {"when -> window constant", [](auto& p) { p.rules[1].whens[0].window_k = konst(p, dta::Type::String); },
         "the window of when 0 of rule 'w' is not an int constant"},
        {"expect -> within constant", [](auto& p) { p.rules[2].expects[0].within_k = 60000; },
         "the within of expect 0"},
        {"after -> delay constant", [](auto& p) { p.machines[0].states[1].transitions[0].delay_k = -1; },
         "the delay of transition 0 of state 'b'"},
        {"machine -> initial state", [](auto& p) { p.machines[0].initial = 5; },
         "the initial of machine 'm' names state 5, but the machine has 2"},
        {"transition -> state", [](auto& p) { p.machines[0].states[1].transitions[0].target = 2; }, "names state 2"},
        {"an 'after' with a where", [](auto& p) { p.machines[0].states[1].transitions[0].where = p.rules[0].where; },
         "is an 'after' with a where"},
        {"profile -> rule", [](auto& p) { p.profiles[0].levels[0].first = 99; },
         "level override 0 of profile 'p' names unit 99"},
        {"profile level none", [](auto& p) { p.profiles[0].levels[0].second = dta::Level::None; }, "bad rule level"},
        {"profile -> alert unit",
         [](auto& p) {
           p.profiles[0].alerts.push_back({4, dta::AlertSeverity::Off});
         },
         "alert override 0 of profile 'p' names unit 4"},
        {"profile -> key cap unit",
         [](auto& p) {
           p.profiles[0].max_keys.push_back({4, 10});
         },
         "key cap 0 of profile 'p' names unit 4"},
        {"profile -> constant",
         [](auto& p) {
           p.profiles[0].consts.push_back({999, dta::Const{}});
         },
         "names constant 999"},
        {"profile constant of another type",
         [](auto& p) {
           dta::Const c;
           c.type = dta::Type::String;
           p.profiles[0].consts.push_back({konst(p, dta::Type::Int), c});
         },
         "with another type"},
        {"named constant",
         [](auto& p) {
           p.named_consts.push_back({"L", 999});
         },
         "named constant 'L' names constant 999"},
        {"a dedup key that is a template",
         [](auto& p) {
           dta::Action& a = p.rules[1].whens[0].actions[0];
           a.kind = dta::ActionKind::Alert;
           a.dedup.push_back({"s", a.tmpl, -1});
         },
         "the dedup key 's' of action 0 of when 0 of rule 'w' needs a chunk"},
        {"an entry with both", [](auto& p) { p.rules[1].whens[0].by[0].tmpl = 0; },
         "the key 's' of when 0 of rule 'w' needs a chunk"},
        {"a count with a value", [](auto& p) { p.rules[0].actions[1].kind = dta::ActionKind::Count; },
         "has a value but is not 'observe'"},
        {"a verdict of level none", [](auto& p) { p.rules[0].actions[0].level = dta::Level::None; },
         "bad verdict level"},
        {"an alert that is off",
         [](auto& p) {
           p.rules[0].actions[0].kind = dta::ActionKind::Alert;
           p.rules[0].actions[0].severity = dta::AlertSeverity::Off;
         },
         "bad alert severity"},
        {"a sample of 150%", [](auto& p) { p.filters[0].fraction = 1.5; }, "outside [0, 1]"},
        {"a quantile above 1", [](auto& p) { p.rules[1].whens[0].q = 1.5; }, "quantile outside [0, 1]"},
        {"count() with a value", [](auto& p) { p.rules[1].whens[0].agg = dta::Agg::Count; }, "count() takes no value"},
        {"nested lists",
         [](auto& p) {
           dta::Const item;
           item.type = dta::Type::List;
           dta::Const list;
           list.type = dta::Type::List;
           list.items.push_back(item);
           p.consts.push_back(list);
         },
         "holds a list item that is not an int, float, string or bool"},
        {"an int with items", [](auto& p) { p.consts[0].items.push_back(dta::Const{}); }, "with list items"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      auto p = editable();
      c.edit(*p);
      const std::string err = load_error(*p);
      CHECK_MESSAGE(err.find(c.refusal) != std::string::npos, err);
    }
  }

  TEST_CASE("the reader refuses enums out of range instead of clamping them") {
    struct Case {
      const char* what;
      std::function<void(dta::Program&)> edit;
      const char* refusal;
    };
    const std::vector<Case> cases = {
        {"constant type", [](auto& p) { p.consts[0].type = static_cast<dta::Type>(9); }, "type 9 out of range"},
        {"chunk result", [](auto& p) { p.chunks[0].result = static_cast<dta::Type>(6); }, "type 6 out of range"},
        {"rule level", [](auto& p) { p.rules[0].level = static_cast<dta::Level>(6); }, "level 6 out of range"},
        {"action kind", [](auto& p) { p.rules[0].actions[0].kind = static_cast<dta::ActionKind>(10); },
         "action kind 10 out of range"},
        {"action severity", [](auto& p) { p.rules[0].actions[0].severity = static_cast<dta::AlertSeverity>(4); },
         "alert severity 4 out of range"},
        {"aggregate", [](auto& p) { p.rules[1].whens[0].agg = static_cast<dta::Agg>(8); }, "aggregate 8 out of range"},
        {"comparison", [](auto& p) { p.rules[1].whens[0].cmp = static_cast<dta::Cmp>(6); },
         "comparison 6 out of range"},
        {"filter kind", [](auto& p) { p.filters[0].kind = static_cast<dta::FilterKind>(3); },
         "filter kind 3 out of range"},
        {"opcode", [](auto& p) { p.chunks[0].code[0].op = static_cast<Op>(250); }, "opcode 250 out of range"},
        {"profile level", [](auto& p) { p.profiles[0].levels[0].second = static_cast<dta::Level>(7); },
         "level 7 out of range"},
        {"profile alert",
         [](auto& p) {
           p.profiles[0].alerts.push_back({0, static_cast<dta::AlertSeverity>(4)});
         },
         "alert severity 4 out of range"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      auto p = editable();
      c.edit(*p);
      std::string err;
      CHECK(!load(dta::save_dtb(*p), &err));
      CHECK_MESSAGE(err.find("malformed .dtb payload: " + std::string(c.refusal) + ", in the ") == 0, err);
    }
    // a flag byte that is neither 0 nor 1: the first constant's bool, at a known place
    auto p = editable();
    std::string bytes = dta::save_dtb(*p);
    size_t at = 24 + 4 + p->policy.size() + 4;
    for (const dta::SourceFile& f : p->sources) at += 8 + f.path.size() + f.text.size();
    at += 4 + 1 + 8 + 8;
    REQUIRE(bytes[at] == 0);
    bytes[at] = 2;
    std::string err;
    CHECK(!load(seal(bytes), &err));
    CHECK(err ==
          fmt::format("malformed .dtb payload: flag byte 2 is not 0 or 1, in the b of constant 0 (at byte {})", at));
  }

  TEST_CASE("counts that the file cannot hold are refused before anything is allocated") {
    auto p = editable();
    const std::string bytes = dta::save_dtb(*p);
    const size_t sources_at = 24 + 4 + p->policy.size();
    std::string err;
    std::string bad = bytes;
    put_u32(bad, 24, 0x7fffffff);  // the policy name's length
    CHECK(!load(seal(bad), &err));
    CHECK(err.find("malformed .dtb payload: string byte count 2147483647 does not fit in the") == 0);
    for (uint32_t n : {1000u, 1u << 24, 0xffffffffu}) {
      bad = bytes;
      put_u32(bad, sources_at, n);
      CHECK(!load(seal(bad), &err));
      CHECK_MESSAGE(err.find(fmt::format("source file count {} does not fit in the", n)) != std::string::npos, err);
    }
    // lists of lists of lists...: refused before the reader recurses far
    dta::Const c;
    c.type = dta::Type::Int;
    for (int i = 0; i < 50; ++i) {
      dta::Const outer;
      outer.type = dta::Type::List;
      outer.items.push_back(std::move(c));
      c = std::move(outer);
    }
    auto q = editable();
    q->consts.push_back(c);
    CHECK(!load(dta::save_dtb(*q), &err));
    CHECK(err.find("lists nest too deeply") != std::string::npos);
    // bytes after the program
    CHECK(!load(seal(bytes + "xyz"), &err));
    CHECK(err == "malformed .dtb payload: 3 trailing bytes after the program");
    // and the file as written loads
    CHECK(load(bytes, &err) != nullptr);
  }

  TEST_CASE("the smallest records the writer emits are what the reader accepts") {
    // Each list holds many records of the smallest size the writer makes,
    // with little after them: a reader that wants more bytes per record
    // than the writer wrote refuses the file.
    const std::vector<std::pair<const char*, std::function<void(dta::Program&)>>> cases = {
        {"constants", [](auto& p) { p.consts.resize(500); }},
        {"list items",
         [](auto& p) {
           p.consts.resize(1);
           p.consts[0].type = dta::Type::List;
           p.consts[0].items.resize(1000);
         }},
        {"named constants", [](auto& p) { p.named_consts.resize(500); }},
        {"sources", [](auto& p) { p.sources.resize(500); }},
        {"keys", [](auto& p) { p.keys.resize(500); }},
        {"chunks", [](auto& p) { p.chunks.resize(500); }},
        {"instructions",
         [](auto& p) {
           p.chunks.resize(1);
           p.chunks[0].code.resize(500);
           p.chunks[0].lines.resize(500);
         }},
        {"templates", [](auto& p) { p.templates.resize(500); }},
        {"template parts",
         [](auto& p) {
           p.templates.resize(1);
           p.templates[0].parts.resize(500);
         }},
        {"rules", [](auto& p) { p.rules.resize(500); }},
        {"actions",
         [](auto& p) {
           p.rules.resize(1);
           p.rules[0].actions.resize(500);
         }},
        {"entries",
         [](auto& p) {
           p.rules.resize(1);
           p.rules[0].actions.resize(1);
           p.rules[0].actions[0].dedup.resize(500);
         }},
        {"whens",
         [](auto& p) {
           p.rules.resize(1);
           p.rules[0].whens.resize(500);
         }},
        {"expects",
         [](auto& p) {
           p.rules.resize(1);
           p.rules[0].expects.resize(500);
         }},
        {"machines", [](auto& p) { p.machines.resize(500); }},
        {"states",
         [](auto& p) {
           p.machines.resize(1);
           p.machines[0].states.resize(500);
         }},
        {"transitions",
         [](auto& p) {
           p.machines.resize(1);
           p.machines[0].states.resize(1);
           p.machines[0].states[0].transitions.resize(500);
         }},
        {"filters", [](auto& p) { p.filters.resize(500); }},
        {"profiles", [](auto& p) { p.profiles.resize(500); }},
        {"profile constants",
         [](auto& p) {
           p.profiles.resize(1);
           p.profiles[0].consts.resize(500);
         }},
        {"profile levels",
         [](auto& p) {
           p.profiles.resize(1);
           p.profiles[0].levels.resize(500);
         }},
        {"profile alerts",
         [](auto& p) {
           p.profiles.resize(1);
           p.profiles[0].alerts.resize(500);
         }},
        {"profile key caps",
         [](auto& p) {
           p.profiles.resize(1);
           p.profiles[0].max_keys.resize(500);
         }},
        {"sensitive fields", [](auto& p) { p.sensitive.resize(500); }},
    };
    for (const auto& [what, fill] : cases) {
      CAPTURE(what);
      dta::Program p;
      fill(p);
      const std::string bytes = dta::save_dtb(p);
      auto back = dta::load_dtb(bytes);
      REQUIRE_MESSAGE(back, (back ? "" : back.error()));
      CHECK(dta::save_dtb(**back) == bytes);
    }
  }

  TEST_CASE("what dta compile writes loads back: the issue's three policies") {
    std::string items;
    for (int i = 0; i < 1000; ++i) items += (i ? ", " : "") + std::to_string(i);
    std::string consts, sets;
    for (int i = 0; i < 5; ++i) {
      consts += fmt::format("const C{} = {}\n", i, i);
      sets += fmt::format(" set C{} = {}", i, i + 10);
    }
    const std::vector<std::string> policies = {
        "event e { k: string }\nmachine m by k { initial a state a { on e -> b } "
        "state b { after 1s -> a after 2s -> a after 3s -> a } }\n",
        "event e { n: int }\nconst L = [" + items + "]\nrule r on e where n in L { ok }\n",
        "event e { n: int }\n" + consts + "rule r on e where n > C0 { ok }\nprofile p {" + sets + " }\n",
    };
    for (const std::string& policy : policies) {
      auto prog = dta::test::compiled(policy);
      REQUIRE(prog);
      const std::string bytes = dta::save_dtb(*prog);
      std::string err;
      auto back = load(bytes, &err);
      REQUIRE_MESSAGE(back, err);
      CHECK(dta::disassemble(*back) == dta::disassemble(*prog));
      CHECK(dta::save_dtb(*back) == bytes);
    }
  }

  TEST_CASE("engines refuse a program that did not pass finalize") {
    std::string err;
    auto fresh = std::make_shared<dta::Program>();
    CHECK(dta::Engine::create(fresh, {}, &err) == nullptr);
    CHECK(err == "program was not finalized");
    auto p = editable();
    p->rules[0].where = 99;
    size_t n = 0;
    const dta::Builtin* fns = dta::stdlib_functions(&n);
    CHECK(!p->finalize(fns, n));
    std::shared_ptr<const dta::Program> failed = std::move(p);
    err.clear();
    CHECK(dta::Engine::create(failed, {}, &err) == nullptr);
    CHECK(err == "program was not finalized");
  }

  TEST_CASE("random edits behind a valid checksum never crash loading, finalizing or running") {
    auto prog = dta::test::compiled(kBase);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    uint64_t x = 12345;
    auto next = [&] { return (x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
    int refused = 0, accepted = 0;
    for (int round = 0; round < 1500; ++round) {
      std::string bad = bytes;
      const int edits = 1 + static_cast<int>(next() % 4);
      for (int i = 0; i < edits; ++i) {
        const size_t at = 24 + next() % (bad.size() - 24);
        switch (next() % 3) {
          case 0:
            bad[at] = static_cast<char>(next());
            break;  // any byte
          case 1:
            bad[at] = static_cast<char>(bad[at] + 1);
            break;  // off by one
          default:
            bad[at] = static_cast<char>(0xff);
            break;  // large
        }
      }
      std::string err;
      auto p = load(seal(bad), &err);
      if (!p) {
        ++refused;
        CHECK(!err.empty());
        continue;
      }
      ++accepted;
      (void)dta::disassemble(*p);
      run_a_little(std::move(p));
    }
    CHECK(refused > 0);
    MESSAGE("random edits refused: " << refused << ", harmless ones run: " << accepted);
  }

  TEST_CASE("every policy in tests/ and examples/ round-trips through .dtb") {
    std::vector<fs::path> policies;
    for (const char* root : {DTA_TEST_DIR, DTA_EXAMPLES_DIR})
      for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.path().extension() == ".dta") policies.push_back(entry.path());
    std::sort(policies.begin(), policies.end());
    int round_trips = 0, replays = 0;
    for (const fs::path& path : policies) {
      CAPTURE(path.string());
      auto compiled = dta::compile_file(path.string());
      if (!compiled.ok()) continue;  // a policy that must not compile, or a fragment
      ++round_trips;
      const std::string bytes = dta::save_dtb(*compiled.program);
      std::string err;
      std::shared_ptr<const dta::Program> loaded = load(bytes, &err);
      REQUIRE_MESSAGE(loaded, err);
      CHECK(dta::disassemble(*loaded) == dta::disassemble(*compiled.program));
      CHECK(dta::save_dtb(*loaded) == bytes);
      fs::path events = path;
      events.replace_extension(".jsonl");
      if (!fs::exists(events)) events = path.parent_path() / "events.jsonl";
      if (!fs::exists(events)) continue;
      ++replays;
      const std::string text = dta::test::slurp(events.string());
      std::vector<std::string> profiles = {""};
      for (const dta::Profile& pr : loaded->profiles) profiles.push_back(pr.name);
      for (const std::string& profile : profiles) {
        CAPTURE(profile);
        std::string json[2];
        const std::shared_ptr<const dta::Program> progs[2] = {compiled.program, loaded};
        for (int i = 0; i < 2; ++i) {
          dta::EngineOptions opts;
          opts.profile = profile;
          auto engine = dta::Engine::create(progs[i], opts, &err);
          REQUIRE_MESSAGE(engine, err);
          std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
          dta::replay_stream(f, *engine, nullptr, &err);
          std::fclose(f);
          engine->finish();
          json[i] = dta::report_to_json(engine->report());
        }
        CHECK(json[0] == json[1]);
      }
    }
    MESSAGE("policies round-tripped: " << round_trips << ", replayed: " << replays);
    CHECK(round_trips >= 15);
    CHECK(replays >= 8);
  }

  TEST_CASE("the disassembler shows each chunk's own source line") {
    // Every "; FILE:LINE: TEXT" line of a listing against the file split naively.
    auto check_lines = [](const dta::Program& prog) {
      const std::string dis = dta::disassemble(prog);
      int shown = 0;
      size_t pos = 0;
      while ((pos = dis.find("\n    ; ", pos)) != std::string::npos) {
        pos += 7;
        const std::string line = dis.substr(pos, dis.find('\n', pos) - pos);
        const dta::SourceFile* file = nullptr;
        for (const dta::SourceFile& f : prog.sources)
          if (line.rfind(f.path + ":", 0) == 0 && (!file || f.path.size() > file->path.size())) file = &f;
        REQUIRE_MESSAGE(file, line);
        const size_t colon = line.find(": ", file->path.size() + 1);
        const int number = std::stoi(line.substr(file->path.size() + 1));
        std::string want;
        size_t start = 0;
        for (int l = 1; l < number; ++l) start = file->text.find('\n', start) + 1;
        want = file->text.substr(start, file->text.find('\n', start) - start);
        if (!want.empty() && want.back() == '\r') want.pop_back();
        want.erase(0, want.find_first_not_of(" \t") == std::string::npos ? want.size() : want.find_first_not_of(" \t"));
        if (want.size() > 200) want = want.substr(0, 200) + "...";
        CHECK(line.substr(colon + 2) == want);
        ++shown;
      }
      return shown;
    };
    // includes: three files, the chunks of each point into their own
    auto inc = dta::compile_file(std::string(DTA_TEST_DIR) + "/includes/main.dta");
    REQUIRE(inc.ok());
    CHECK(check_lines(*inc.program) >= 2);
    // CRLF line ends, tabs, a last line without a newline, a line longer than shown
    std::string text =
        "event e { n: int, s: string }\r\nrule a on e where n > 1 { ok }\r\n\r\n\t  rule b on e where n > 2 { ok }\n";
    text += "rule c on e where n > 3 { error \"" + std::string(300, 'x') + "\" }\n";
    text += "rule d on e where s == \"\xc3\xa9\xc3\xa9\" { ok }";
    auto prog = dta::test::compiled(text, "crlf.dta");
    REQUIRE(prog);
    CHECK(check_lines(*prog) >= 4);
    const std::string dis = dta::disassemble(*prog);
    CHECK(dis.find("; crlf.dta:2: rule a on e where n > 1 { ok }\n") != std::string::npos);
    CHECK(dis.find("; crlf.dta:4: rule b on e where n > 2 { ok }\n") != std::string::npos);
    CHECK(dis.find("; crlf.dta:5: rule c on e where n > 3 { error \"xxx") != std::string::npos);
    CHECK(dis.find("xxx...\n") != std::string::npos);
    CHECK(dis.find("; crlf.dta:6: rule d on e where s == \"\xc3\xa9\xc3\xa9\" { ok }\n") != std::string::npos);
    // many rules, each on its own line, far down the file: each shows its own
    std::string many = "event e { n: int }\n";
    for (int i = 0; i < 2000; ++i)
      many += fmt::format("rule r{} on e where n > {} {{ error \"n={{n}} {}\" }}\n", i, i, i);
    auto big = dta::test::compiled(many, "many.dta");
    REQUIRE(big);
    CHECK(check_lines(*big) == 2000 * 2);  // the where and the message hole
    CHECK(dta::disassemble(*big).find("; many.dta:2001: rule r1999 on e where n > 1999 { error \"n={n} 1999\" }\n") !=
          std::string::npos);
    // locations that point nowhere show no text
    auto lost = editable();
    for (dta::SrcLoc& l : lost->chunks[0].lines) l = {0, 999999, 1};
    CHECK(dta::disassemble(*lost).find(":999999: \n") != std::string::npos);
  }

  TEST_CASE("regression files: tests/regress/bytecode") {
    const fs::path dir = fs::path(DTA_TEST_DIR) / "regress" / "bytecode";
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".dtb") continue;
      CAPTURE(name);
      ++n;
      std::string err;
      std::shared_ptr<const dta::Program> p = load(dta::test::slurp(entry.path().string()), &err);
      if (name.rfind("reject_", 0) == 0) {
        CHECK(p == nullptr);
        CHECK(!err.empty());
      } else {
        REQUIRE_MESSAGE(p, err);
        CHECK(!dta::disassemble(*p).empty());
        run_a_little(p);
      }
    }
    CHECK(n >= static_cast<int>(crafted().size()));
  }
}
