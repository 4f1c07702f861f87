// .dtb files: round trip, and corrupted or truncated files get an error,
// never a crash; bytecode that lies about types is refused by the verifier.
#include <doctest/doctest.h>

#include <cstring>

#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace {

const char* const kPolicy =
    "policy p\nconst L = [\"a\", \"b\"]\nevent e { n: int, s: string sensitive }\n"
    "filter f on x.* where n > 1 { sample 50% }\n"
    "rule r on e, x.* where n > 1 and s in L and matches(s, \"^a\") { error \"n={n}\" count c { k: s } }\n"
    "rule w on e { when p99(n) over 10s > 5 by s max 10 for 1s { alert critical \"{value}\" labels { a: s } dedup s every 1m } }\n"
    "rule t on e { when count() every 1m >= 1 { warning \"{value}\" } expect x.y where n == start.n matching s within 5s then { ok } else { info \"late\" } }\n"
    "machine m by s { initial a state a { on e where n > 1 -> b { warning \"{s}\" } } state b { after 2s -> a } }\n"
    "rule st on x.* where state(m, s) == \"b\" { ok }\n"
    "profile u { set L = [\"c\"] rule r: warning alert w: off max m: 5 }\n";

std::unique_ptr<dta::Program> load(const std::string& bytes, std::string* err) {
  auto p = dta::load_dtb(bytes);
  if (!p) {
    *err = p.error();
    return nullptr;
  }
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  const dta::Outcome finalized = (*p)->finalize(fns, n);
  *err = finalized.error();
  if (!finalized) return nullptr;
  return std::move(*p);
}

// Rewrites the header checksum so that a change to the payload passes it and
// has to be caught by the reader or the verifier.
std::string reseal(std::string bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 24; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ull;
  std::memcpy(bytes.data() + 16, &h, 8);
  return bytes;
}

}  // namespace

TEST_SUITE("dtb") {
  TEST_CASE("round trip keeps the program") {
    auto prog = dta::test::compiled(kPolicy);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    std::string err;
    auto back = load(bytes, &err);
    REQUIRE_MESSAGE(back, err);
    CHECK(dta::disassemble(*back) == dta::disassemble(*prog));
    CHECK(dta::save_dtb(*back) == bytes);
    // and it runs the same
    dta::EngineOptions opts;
    std::shared_ptr<const dta::Program> shared = std::move(back);
    auto engine = dta::Engine::create(shared, opts, &err);
    REQUIRE(engine);
  }

  TEST_CASE("every truncation and every flipped byte is an error") {
    auto prog = dta::test::compiled(kPolicy);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    std::string err;
    for (size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(n);
      CHECK(load(bytes.substr(0, n), &err) == nullptr);
      CHECK(!err.empty());
    }
    for (size_t i = 0; i < bytes.size(); i += 7) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ 0x5a);
      CAPTURE(i);
      CHECK(load(bad, &err) == nullptr);
    }
    CHECK(load("DTB\x1a" + std::string(100, '\0'), &err) == nullptr);
    CHECK(load("not a dtb at all", &err) == nullptr);
    CHECK(err == "not a .dtb file (bad magic)");
  }

  TEST_CASE("payload corruption behind a valid checksum never crashes") {
    auto prog = dta::test::compiled(kPolicy);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    int refused = 0, accepted = 0;
    for (size_t i = 24; i < bytes.size(); ++i) {
      for (int bit : {0x01, 0x80, 0xff}) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ bit);
        std::string err;
        auto p = load(reseal(bad), &err);
        if (!p) {
          ++refused;
          continue;
        }
        // Whatever was accepted must be safe to run.
        ++accepted;
        std::shared_ptr<const dta::Program> shared = std::move(p);
        dta::EngineOptions opts;
        auto engine = dta::Engine::create(shared, opts, &err);
        if (!engine) continue;
        dta::Event ev;
        int64_t ts = 0;
        for (const char* name : {"e", "x.y", "e", "x.y", "e"}) {
          ev.clear();
          ev.ts = ts += 40000000000;  // 40 s apart: windows close, deadlines and `after`s pass
          ev.name = engine->symbols().intern(name);
          ev.add_int(engine->symbols().intern("n"), 5);
          ev.add_string(engine->symbols().intern("s"), "abc");
          engine->process(ev);
        }
        (void)engine->report();
      }
    }
    CHECK(refused > 0);
    MESSAGE("corruptions refused: " << refused << ", harmless ones run: " << accepted);
  }

  TEST_CASE("the verifier refuses code that misuses registers") {
    auto prog = dta::test::compiled("event e { n: int, s: string }\nrule r on e where n > 1 { ok }\n");
    REQUIRE(prog);
    std::string bytes = dta::save_dtb(*prog);
    auto try_code = [&](std::vector<dta::Instr> code) {
      auto p = dta::load_dtb(bytes);
      REQUIRE(p);
      (*p)->chunks[0].code = code;
      (*p)->chunks[0].lines.assign(code.size(), {});
      size_t n = 0;
      const dta::Builtin* fns = dta::stdlib_functions(&n);
      return (*p)->finalize(fns, n).error();
    };
    using dta::Op;
    CHECK(try_code({{Op::LOADF_I, 0, 0, 0}, {Op::RET, 0, 0, 0}}).find("does not hold") != std::string::npos);  // int returned as bool
    CHECK(try_code({{Op::LOADF_I, 0, 0, 0}, {Op::EQ_S, 0, 0, 0}, {Op::RET, 0, 0, 0}}).find("does not hold") != std::string::npos);
    CHECK(try_code({{Op::RET, 0, 0, 0}}).find("does not hold") != std::string::npos);  // uninitialised
    CHECK(try_code({{Op::LOADF_I, 5, 0, 0}, {Op::RET, 5, 0, 0}}).find("register 5 out of range") != std::string::npos);
    CHECK(try_code({{Op::LOADK, 0, 999, 0}, {Op::RET, 0, 0, 0}}).find("constant 999 out of range") != std::string::npos);
    CHECK(try_code({{Op::JMP, 0, 0, 0}, {Op::RET, 0, 0, 0}}).find("bad jump target") != std::string::npos);  // backwards
    CHECK(try_code({{Op::JMP, 0, 9, 0}, {Op::RET, 0, 0, 0}}).find("bad jump target") != std::string::npos);
    CHECK(try_code({{Op::LOADF_I, 0, 0, 0}, {Op::GT_IK, 0, 0, 0}}).find("runs off its end") != std::string::npos);
    CHECK(try_code({{static_cast<Op>(250), 0, 0, 0}}).find("bad opcode") != std::string::npos);
    // the instruction after a typed binary operation is checked too
    CHECK(try_code({{Op::LOADF_I, 0, 0, 0}, {Op::EQ_I, 0, 0, 0}, {static_cast<Op>(250), 0, 0, 0}})
              .find("pc 2: bad opcode") != std::string::npos);
    // the original passes
    CHECK(try_code(prog->chunks[0].code) == "");
  }
}
