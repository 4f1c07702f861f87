// End-to-end corpus: tests/e2e/NAME.dta with NAME.jsonl, and beside them
//   NAME.expected.json          the report without a profile
//   NAME.PROFILE.expected.json  the report under PROFILE
//   NAME.expected.err           the diagnostics of a policy that must not compile
// Expected JSON is a subset: every key it has must be in the report with the
// same value (arrays compare whole). Run with DTA_UPDATE_E2E=1 to print reports.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "dta/report_json.hpp"
#include "helpers.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string slurp(const fs::path& p) { return dta::test::slurp(p.string()); }

// Where `want` and `got` differ ("" when got contains want).
std::string subset_diff(const json::value& want, const json::value& got, const std::string& path) {
  if (want.is_object()) {
    if (!got.is_object()) return path + ": not an object";
    for (const auto& kv : want.get_object()) {
      const json::value* g = got.get_object().if_contains(kv.key());
      const std::string sub = path + "." + std::string(kv.key());
      if (!g) return sub + ": missing";
      std::string d = subset_diff(kv.value(), *g, sub);
      if (!d.empty()) return d;
    }
    return "";
  }
  if (want.is_array()) {
    if (!got.is_array() || got.get_array().size() != want.get_array().size())
      return path + ": want " + json::serialize(want) + ", got " + json::serialize(got);
    for (size_t i = 0; i < want.get_array().size(); ++i) {
      std::string d = subset_diff(want.get_array()[i], got.get_array()[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (want.is_number() && got.is_number()) {
    return want.to_number<double>() == got.to_number<double>() ? "" : path + ": want " + json::serialize(want) + ", got " + json::serialize(got);
  }
  return want == got ? "" : path + ": want " + json::serialize(want) + ", got " + json::serialize(got);
}

std::string rendered(const dta::CompileResult& r) {
  std::string out;
  for (const dta::Diagnostic& d : r.diagnostics) out += d.rendered;
  return out;
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("corpus") {
    const fs::path dir = fs::path(DTA_TEST_DIR) / "e2e";
    const bool print = std::getenv("DTA_UPDATE_E2E") != nullptr;
    int reports = 0, errors = 0;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      const std::string fname = p.filename().string();
      const fs::path policy = dir / (fname.substr(0, fname.find('.')) + ".dta");
      CAPTURE(fname);
      if (fname.size() > 13 && fname.compare(fname.size() - 13, 13, ".expected.err") == 0) {
        ++errors;
        auto r = dta::compile_source(policy.filename().string(), slurp(policy));
        CHECK_FALSE(r.ok());
        CHECK(rendered(r) == slurp(p));
        continue;
      }
      if (fname.size() < 14 || fname.compare(fname.size() - 14, 14, ".expected.json") != 0) continue;
      ++reports;
      // NAME[.PROFILE].expected.json
      const std::string middle = fname.substr(0, fname.size() - 14);
      const size_t dot = middle.find('.');
      const std::string profile = dot == std::string::npos ? "" : middle.substr(dot + 1);
      fs::path events = policy;
      events.replace_extension(".jsonl");
      auto r = dta::compile_source(policy.filename().string(), slurp(policy));
      REQUIRE_MESSAGE(r.ok(), rendered(r));
      const dta::Report report = dta::test::run(slurp(policy), slurp(events), profile, {}, policy.filename().string());
      const std::string got = dta::report_to_json(report);
      if (print) std::cout << "==== " << fname << "\n" << got;
      const json::value want = json::parse(slurp(p));
      CHECK(subset_diff(want, json::parse(got), "") == "");
    }
    CHECK(reports >= 5);
    CHECK(errors >= 1);
  }

  TEST_CASE("the shipped example replays under every profile") {
    const std::string dir = std::string(DTA_EXAMPLES_DIR) + "/webservice/";
    auto compiled = dta::compile_file(dir + "policy.dta");
    REQUIRE_MESSAGE(compiled.ok(), rendered(compiled));
    const std::string events = slurp(dir + "events.jsonl");
    for (const char* profile : {"", "unit", "scenario", "stress", "fuzz", "production"}) {
      CAPTURE(profile);
      dta::EngineOptions opts;
      opts.profile = profile;
      std::string err;
      auto engine = dta::Engine::create(compiled.program, opts, &err);
      REQUIRE(engine);
      std::FILE* f = fmemopen(const_cast<char*>(events.data()), events.size(), "r");
      dta::replay_stream(f, *engine, nullptr, &err);
      std::fclose(f);
      const dta::Report r = engine->report();
      CHECK(r.events == 12001);
      CHECK(r.diagnostics.bad_input == 1);
      CHECK(r.diagnostics.late == 1);
      CHECK(r.failed());  // the recording holds an incident
      CHECK(dta::test::rule(r, "secret_leaked").matched == 0);  // the filter redacted every password
    }
  }
}
