// Code generation: golden disassembly files (tests/golden/NAME.dta -> NAME.dis)
// and checks of the instructions chosen for the checked types.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dta/disasm.hpp"
#include "helpers.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) { return dta::test::slurp(p.string()); }

// The opcodes of a rule's where chunk, space-separated.
std::string where_ops(const std::string& policy) {
  auto prog = dta::test::compiled(policy);
  if (!prog) return "<error>";
  std::string out;
  for (const dta::Instr& in : prog->chunks[prog->rules[0].where].code) out += std::string(out.empty() ? "" : " ") + dta::op_name(in.op);
  return out;
}

}  // namespace

TEST_SUITE("codegen") {
  TEST_CASE("golden disassembly") {
    const fs::path dir = fs::path(DTA_TEST_DIR) / "golden";
    const bool update = std::getenv("DTA_UPDATE_GOLDEN") != nullptr;
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".dta") continue;
      ++n;
      CAPTURE(entry.path().string());
      auto r = dta::compile_source(entry.path().filename().string(), slurp(entry.path()));
      REQUIRE(r.ok());
      const std::string got = dta::disassemble(*r.program);
      fs::path golden = entry.path();
      golden.replace_extension(".dis");
      if (update) std::ofstream(golden, std::ios::binary) << got;
      CHECK(got == slurp(golden));
    }
    CHECK(n >= 3);
  }

  TEST_CASE("typed instructions follow the checked types") {
    const std::string schema = "event e { i: int, f: float, s: string, b: bool }\n";
    CHECK(where_ops(schema + "rule r on e where i > 5 { ok }") == "LOADF_I GT_IK RET");
    CHECK(where_ops(schema + "rule r on e where 5 < i { ok }") == "LOADF_I GT_IK RET");
    CHECK(where_ops(schema + "rule r on e where f > 5 { ok }") == "LOADF_F GT_FK RET");
    CHECK(where_ops(schema + "rule r on e where i > f { ok }") == "LOADF_F LOADF_I I2F LT_F RET");
    CHECK(where_ops(schema + "rule r on e where s == \"x\" { ok }") == "LOADF_S EQ_SK RET");
    CHECK(where_ops(schema + "rule r on e where b { ok }") == "LOADF_B RET");
    CHECK(where_ops(schema + "rule r on e where i + 1 > 2 { ok }") == "LOADF_I LOADK ADD_I GT_IK RET");
    CHECK(where_ops(schema + "rule r on e where s in [\"a\", \"b\"] { ok }") == "LOADF_S IN_K RET");
    // unknown types (undeclared event) use the dynamic instructions
    CHECK(where_ops("rule r on x where i > 5 { ok }") == "LOADK LOADF LT_D RET");
    CHECK(where_ops("rule r on x where b { ok }") == "LOADF CHECK_T RET");
    CHECK(where_ops("rule r on x where a and b { ok }") == "LOADF CHECK_T JMPF LOADF CHECK_T RET");
    // a named constant keeps its own slot, so profiles can override it
    auto prog = dta::test::compiled("const T = 5\nevent e { i: int }\nrule r on e where i > T and i > 5 { ok }\n"
                                    "profile p { set T = 7 }");
    REQUIRE(prog);
    CHECK(prog->consts.size() == 2);
    CHECK(prog->const_values(0)[0].i == 7);
    CHECK(prog->const_values(-1)[0].i == 5);
  }
}
