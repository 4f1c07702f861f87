// Event inputs (issue 9, items 1-5 and the "field never carried" part of
// 10): numeric times in other units read exactly, gzip and zstd detected
// and decoded, binary and other compressed data refused with one message,
// several inputs merged in time order, growing files and pipes followed
// (truncation, rotation, partial lines), and the replay notes: pending
// items, fields no event carried, times that all fall in 1970, escapes of
// control characters in what is printed for people.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dta/input.hpp"
#include "helpers.hpp"
#include "live_output.hpp"
#include "replay_inputs.hpp"
#include "replay_notes.hpp"

namespace {

namespace fs = std::filesystem;
using dta::EventInput;
using Status = dta::EventInput::Status;

// A fresh directory for one test's files, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/dta-inputs-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& bytes) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  std::string at(const std::string& name) const { return (path / name).string(); }
};

void append(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

std::string gzip(const std::string& text) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(compressBound(text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string line(int64_t ts, const std::string& name, const std::string& fields = "") {
  return "{\"ts\": " + std::to_string(ts) + ", \"name\": \"" + name + "\", \"fields\": {" + fields + "}}\n";
}

// Everything an input gives until it ends or waits: "E<ts>" per event,
// "B<line>" per bad line, then "W", "END" or "ERR:<message>".
std::string drain(EventInput& in, dta::Interner& names) {
  std::string out;
  dta::Event ev;
  for (;;) {
    switch (in.next(ev)) {
      case Status::Event:
        out += "E" + std::to_string(ev.ts) + " ";
        break;
      case Status::Bad:
        out += "B" + std::to_string(in.line()) + " ";
        break;
      case Status::Wait:
        return out + "W";
      case Status::End:
        return out + "END";
      case Status::Error:
        return out + "ERR:" + in.error();
    }
  }
  (void)names;
}

std::string read_path(const std::string& path, dta::InputOptions o = {}) {
  dta::Interner names;
  auto in = EventInput::open(path, names, o);
  if (!in) return "OPEN:" + in.error();
  return drain(**in, names);
}

// Parses one line with a time unit: the ts, or the error.
std::string ts_of(const std::string& ts, dta::TimeUnit unit, bool given = true) {
  dta::Interner names;
  dta::JsonlOptions o;
  o.ts_unit = unit;
  o.unit_given = given;
  dta::JsonlParser p(names, o);
  dta::Event ev;
  std::string err;
  if (!p.parse("{\"ts\": " + ts + ", \"name\": \"a\"}", ev, &err)) return err;
  return std::to_string(ev.ts);
}

}  // namespace

TEST_SUITE("inputs") {
  TEST_CASE("--ts-unit: numeric times in s, ms, us, ns, fractions read exactly from their digits") {
    using U = dta::TimeUnit;
    CHECK(ts_of("1800000000.5", U::S) == "1800000000500000000");
    CHECK(ts_of("1800000000.123456789", U::S) == "1800000000123456789");   // a double would lose the ns
    CHECK(ts_of("1800000000.1234567891", U::S) == "1800000000123456789");  // below 1 ns: truncated
    CHECK(ts_of("1800000000", U::S) == "1800000000000000000");
    CHECK(ts_of("1.8e9", U::S) == "1800000000000000000");
    CHECK(ts_of("18E8", U::S) == "1800000000000000000");
    CHECK(ts_of("1764151200123.456", U::Ms) == "1764151200123456000");
    CHECK(ts_of("1764151200123456", U::Us) == "1764151200123456000");
    CHECK(ts_of("0.000000001", U::S) == "1");
    CHECK(ts_of("-1.5", U::S) == "-1500000000");
    CHECK(ts_of("-1e-10", U::S) == "-1");  // toward negative infinity, like any time before the epoch
    CHECK(ts_of("1.5", U::Ns) == "1");     // ns given explicitly: a fraction is allowed and truncated
    CHECK(ts_of("9223372036.854775807", U::S) == "9223372036854775807");
    CHECK(ts_of("-9223372036.854775808", U::S) == "-9223372036854775808");
    CHECK(ts_of("9223372036.854775808", U::S) == "\"ts\" out of range");
    CHECK(ts_of("9300000000", U::S) == "\"ts\" out of range");  // an integer whose ns overflow
    CHECK(ts_of("1e300", U::S) == "\"ts\" out of range");
    CHECK(ts_of("1e-300", U::S) == "0");
    CHECK(ts_of("18446744073709551615", U::Ns) == "\"ts\" out of range");
    CHECK(ts_of("0.00000000000000000000000000000000000000001", U::S) == "0");
    // without a unit, the spec's integer ns, and a hint for a float
    CHECK(ts_of("1800000000", U::Ns, false) == "1800000000");
    CHECK(ts_of("1800000000.5", U::Ns, false).find("--ts-unit s|ms|us") != std::string::npos);
    dta::TimeUnit u;
    CHECK(dta::parse_time_unit("ms", &u));
    CHECK(u == U::Ms);
    CHECK_FALSE(dta::parse_time_unit("sec", &u));
    CHECK(dta::time_unit_ns(U::Us) == 1000);
  }

  TEST_CASE("gzip and zstd are detected from their bytes and read like the plain file") {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 20000; ++i) text += line(i, "e", "\"i\": " + std::to_string(i));
    text += "{\"ts\": 20000, \"name\": \"last\"}";  // no final newline
    const std::string plain = read_path(dir.file("plain.jsonl", text));
    CHECK(plain.size() > 20000);
    CHECK(plain.substr(plain.size() - 10) == "E20000 END");
    CHECK(read_path(dir.file("x.log", gzip(text))) == plain);  // the name does not matter
    CHECK(read_path(dir.file("x.zst", zstd(text))) == plain);
    // several members or frames one after the other (cat a.gz b.gz), and gzip's zero padding
    const std::string half1 = text.substr(0, text.size() / 2), half2 = text.substr(text.size() / 2);
    CHECK(read_path(dir.file("two.gz", gzip(half1) + gzip(half2))) == plain);
    CHECK(read_path(dir.file("two.zst", zstd(half1) + zstd(half2))) == plain);
    CHECK(read_path(dir.file("pad.gz", gzip(text) + std::string(512, '\0'))) == plain);
    // a binary file compressed is still binary
    CHECK(read_path(dir.file("bin.gz", gzip(std::string("\x7f"
                                                        "ELF\x02\x01\x01",
                                                        7) +
                                            std::string(100, '\0')))) ==
          "ERR:an ELF executable, not JSON Lines (in its gzip data)");
  }

  TEST_CASE("damaged compressed data is an error, after the events before the damage") {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 2000; ++i) text += line(i, "e", "\"pad\": \"" + std::string(40, 'a' + i % 26) + "\"");
    const std::string gz = gzip(text), zs = zstd(text);
    const std::string cut_gz = read_path(dir.file("cut.gz", gz.substr(0, gz.size() / 2)));
    CHECK(cut_gz.find("E0 ") == 0);
    CHECK(cut_gz.find("ERR:truncated gzip data: the file ends inside compressed data") != std::string::npos);
    const std::string cut_zs = read_path(dir.file("cut.zst", zs.substr(0, zs.size() - 3)));
    CHECK(cut_zs.find("ERR:truncated zstd data") != std::string::npos);
    std::string bad = gz;
    for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    CHECK(read_path(dir.file("bad.gz", bad)).find("ERR:corrupt gzip data") != std::string::npos);
    CHECK(read_path(dir.file("junk.gz", gz + "trailing junk")).find("ERR:data after the end of the gzip stream") !=
          std::string::npos);
    std::string bad_zs = zs;
    for (size_t i = 6; i < 20; ++i) bad_zs[i] = static_cast<char>(bad_zs[i] ^ 0x5a);
    CHECK(read_path(dir.file("bad.zst", bad_zs)).find("ERR:corrupt zstd data") != std::string::npos);
  }

  TEST_CASE("binary data, other compressed formats, UTF-16 and directories get one message") {
    TempDir dir;
    CHECK(read_path(dir.file("a.xz", std::string("\xfd"
                                                 "7zXZ\0\0\x04",
                                                 8))) == "ERR:xz-compressed data: decompress it first (xz -dc FILE)");
    CHECK(read_path(dir.file("a.bz2", "BZh91AY&SY")) ==
          "ERR:bzip2-compressed data: decompress it first (bzip2 -dc FILE)");
    CHECK(read_path(dir.file("a.zip", "PK\x03\x04rest")).find("ERR:a zip archive") == 0);
    CHECK(read_path(dir.file("a.lz4", std::string("\x04\x22\x4d\x18", 4) + "x")).find("ERR:lz4") == 0);
    CHECK(read_path(dir.file("a.bin", std::string("\x7f"
                                                  "ELF",
                                                  4) +
                                          std::string(64, '\1'))) == "ERR:an ELF executable, not JSON Lines");
    CHECK(read_path(dir.file("a.db", std::string("SQLite format 3\0", 16) + "...")) ==
          "ERR:an SQLite database, not JSON Lines");
    CHECK(read_path(dir.file("nul.bin", std::string("{\"ts\": 1,\0\0\1\2", 13))) ==
          "ERR:binary data, not JSON Lines (a NUL byte at offset 9)");
    std::string noise;
    for (int i = 0; i < 300; ++i) noise += static_cast<char>(0x80 + (i * 7) % 0x40);  // continuation bytes only
    CHECK(read_path(dir.file("noise.bin", noise)).find("ERR:binary data, not JSON Lines (100% of its first") == 0);
    CHECK(read_path(dir.file("u16.jsonl", "\xff\xfe{\0\"\0t\0s\0")).find("ERR:UTF-16 text, not UTF-8") == 0);
    CHECK(read_path(dir.file("u16b.jsonl", std::string("{\0\"\0t\0s\0\"\0:\0", 12))).find("ERR:UTF-16 text") == 0);
    // text that is not JSON Lines is text: bad lines, which the CLI turns into one message
    CHECK(read_path(dir.file("a.csv", "time,name\n2026-01-01,db.open\n")) == "B1 B2 END");
    // Latin-1 text with a few accents is text too (bad lines or events, not "binary")
    CHECK(read_path(dir.file("latin1.jsonl", line(1, "a", "\"who\": \"Jos\xe9\"") + line(2, "a"))) == "E1 E2 END");
    CHECK(read_path(dir.at("")).find("OPEN:is a directory") == 0);
    CHECK(read_path(dir.at("missing.jsonl")) == "OPEN:cannot open events file: No such file or directory");
    CHECK(read_path(dir.file("empty.jsonl", "")) == "END");
    // detection off: every byte is JSON Lines text, as replay_stream reads a stream
    dta::InputOptions raw;
    raw.detect = false;
    CHECK(read_path(dir.file("gz-as-text", gzip("x")), raw).find("B1") == 0);
  }

  TEST_CASE("several inputs merge in time order; ties keep the order of the inputs") {
    dta::Interner names;
    const std::string a = line(1, "a") + line(4, "a") + line(4, "a") + line(9, "a");
    const std::string b = line(2, "b") + "garbage\n" + line(4, "b") + line(3, "b") + line(10, "b");
    const std::string c = "";
    dta::MergedInput merged;
    std::vector<std::FILE*> files;
    for (const std::string* s : {&a, &b, &c}) {
      files.push_back(fmemopen(const_cast<char*>(s->data()), s->size() ? s->size() : 1, "r"));
      if (s->empty()) std::fclose(files.back()), files.back() = std::tmpfile();
      merged.add(EventInput::from_stdio(files.back(), "in" + std::to_string(files.size()), names, {}));
    }
    std::string order;
    const dta::Event* ev = nullptr;
    for (;;) {
      const Status st = merged.next(&ev);
      if (st == Status::End) break;
      REQUIRE(st != Status::Error);
      if (st == Status::Bad) {
        order += "bad@" + merged.input(merged.source()).name() + ":" +
                 std::to_string(merged.input(merged.source()).line()) + " ";
        continue;
      }
      REQUIRE(st == Status::Event);
      order += std::string(names.name(ev->name)) + std::to_string(ev->ts) + " ";
    }
    // b's 3 after its 4 is late within b and stays late (the engine counts it)
    CHECK(order == "a1 b2 bad@in2:2 a4 a4 b4 b3 a9 b10 ");
    for (std::FILE* f : files) std::fclose(f);
  }

  TEST_CASE("merged inputs through the engine: no event is late, unlike their concatenation") {
    auto prog = dta::test::compiled("rule r on * { info \"{event.name}\" }");
    REQUIRE(prog);
    TempDir dir;
    const std::string a = dir.file("a.jsonl", line(1, "a") + line(3, "a") + line(5, "a"));
    const std::string b = dir.file("b.jsonl", gzip(line(2, "b") + line(4, "b") + line(6, "b")));
    std::string err;
    auto engine = dta::Engine::create(prog, {}, &err);
    dta::cli::Args args;
    auto settings = dta::cli::input_settings(args, {a, b});
    REQUIRE(settings);
    const dta::cli::FeedResult fed = dta::cli::run_inputs(*engine, *settings, nullptr);
    CHECK(fed.exit == -1);
    const dta::Report r = engine->report();
    CHECK(r.events == 6);
    CHECK(r.diagnostics.late == 0);
    REQUIRE(r.kept_findings.size() == 6);
    for (size_t i = 0; i < 6; ++i) CHECK(r.kept_findings[i].ts == static_cast<int64_t>(i + 1));
    const dta::Report cat = dta::test::run("rule r on * { info \"{event.name}\" }",
                                           line(1, "a") + line(3, "a") + line(5, "a") + line(2, "b") + line(4, "b"));
    CHECK(cat.diagnostics.late == 2);
  }

  TEST_CASE("following a growing file: partial lines wait, truncation and rotation start over") {
    TempDir dir;
    const std::string path = dir.file("live.jsonl", line(1, "a"));
    dta::Interner names;
    dta::InputOptions o;
    o.follow = true;
    auto in = EventInput::open(path, names, o);
    REQUIRE(in);
    EventInput& input = **in;
    CHECK(input.wait_fd() == -1);  // a file: polled again after a while
    CHECK(drain(input, names) == "E1 W");
    CHECK(drain(input, names) == "W");
    append(path, "{\"ts\": 2, \"na");  // a writer in the middle of a line
    CHECK(drain(input, names) == "W");
    append(path, "me\": \"a\"}\n" + line(3, "a"));
    CHECK(drain(input, names) == "E2 E3 W");
    // copytruncate: the file starts again
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << line(10, "a"); }
    CHECK(drain(input, names) == "E10 W");
    CHECK(input.take_notice() == "truncated: reading it again from the start");
    // rotation: the old file gets its last lines, then a new file takes its name
    append(path, line(11, "a"));
    fs::rename(path, dir.at("live.jsonl.1"));
    append(dir.at("live.jsonl.1"), line(12, "a"));
    CHECK(drain(input, names) == "E11 E12 W");
    dir.file("live.jsonl", line(20, "a"));
    CHECK(drain(input, names) == "E20 W");
    CHECK(input.take_notice() == "replaced (rotated): following the new file");
    CHECK(input.take_notice().empty());
    // a rotated-in gzip file is detected anew
    fs::rename(path, dir.at("live.jsonl.2"));
    dir.file("live.jsonl", gzip(line(30, "a")));
    CHECK(drain(input, names) == "E30 W");
    CHECK(input.stats().events == 8);
  }

  TEST_CASE("following a file that starts empty: its format is found when bytes arrive") {
    TempDir dir;
    const std::string path = dir.file("later.jsonl", "");
    dta::Interner names;
    dta::InputOptions o;
    o.follow = true;
    auto in = EventInput::open(path, names, o);
    REQUIRE(in);
    CHECK(drain(**in, names) == "W");
    append(path, "\x1f");  // could be gzip: wait for the next byte
    CHECK(drain(**in, names) == "W");
    CHECK((*in)->stats().format == std::string(""));
    const std::string gz = gzip(line(7, "a"));
    append(path, gz.substr(1));
    CHECK(drain(**in, names) == "E7 W");
    CHECK((*in)->stats().format == std::string("gzip"));
  }

  TEST_CASE("following a pipe never blocks, and ends when the writer closes it") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    dta::Interner names;
    dta::InputOptions o;
    o.follow = true;
    auto in = EventInput::open("/proc/self/fd/" + std::to_string(fds[0]), names, o);
    REQUIRE(in);
    CHECK((*in)->wait_fd() >= 0);
    CHECK(drain(**in, names) == "W");
    const std::string l = line(5, "a") + "{\"ts\": 6, \"name\": \"a\"}";  // the last line has no newline yet
    REQUIRE(write(fds[1], l.data(), l.size()) == static_cast<ssize_t>(l.size()));
    CHECK(drain(**in, names) == "E5 W");
    close(fds[1]);
    CHECK(drain(**in, names) == "E6 END");
    close(fds[0]);
  }

  TEST_CASE("replay_stream reads a stream as before, through the same reader") {
    const dta::Report r =
        dta::test::run("rule r on a { info \"x\" }",
                       "\xEF\xBB\xBF" + line(1, "a") + "\n  \nbad\r\n" + line(2, "a") + "{\"ts\": 3, \"name\": \"a\"}");
    CHECK(r.events == 3);
    REQUIRE(r.diagnostics.bad_lines.size() == 1);
    CHECK(r.diagnostics.bad_lines[0].line == 4);  // blank lines are numbered
  }

  TEST_CASE("--max-bad, --since, --until, --end-at, --lateness and --ts-unit are checked") {
    auto settings = [](std::vector<std::pair<std::string, std::string>> opts) {
      dta::cli::Args a;
      a.options = std::move(opts);
      return dta::cli::input_settings(a, {"x.jsonl"});
    };
    auto s = settings({{"max-bad", "12"}});
    REQUIRE(s);
    CHECK(*s->max_bad_count == 12);
    s = settings({{"max-bad", "0.5%"}});
    REQUIRE(s);
    CHECK(*s->max_bad_share == doctest::Approx(0.005));
    CHECK_FALSE(settings({{"max-bad", "-1"}}));
    CHECK_FALSE(settings({{"max-bad", "101%"}}));
    CHECK_FALSE(settings({{"max-bad", "1.5"}}));
    CHECK(settings({{"max-bad", "x"}}).error().find("expected a count of lines") != std::string::npos);
    s = settings({{"since", "2026-11-26"}, {"until", "2026-11-26T10:00:00Z"}});
    REQUIRE(s);
    CHECK(*s->since == 1795651200000000000);
    CHECK(*s->until == 1795687200000000000);
    CHECK(settings({{"since", "2026-11-27"}, {"until", "2026-11-26"}}).error() == "--until must be later than --since");
    s = settings({{"ts-unit", "s"}, {"since", "1800000000.5"}});
    REQUIRE(s);
    CHECK(*s->since == 1800000000500000000);
    CHECK(s->jsonl.unit_given);
    CHECK(settings({{"ts-unit", "sec"}}).error() == "--ts-unit 'sec': expected s, ms, us or ns");
    s = settings({{"end-at", "+1h"}});
    REQUIRE(s);
    CHECK(*s->end_after == 3600000000000);
    s = settings({{"end-at", "2026-11-26T10:00:00.5Z"}});
    REQUIRE(s);
    CHECK(*s->end_at == 1795687200500000000);
    CHECK(settings({{"end-at", "soon"}}).error().find("is not a time") != std::string::npos);
    CHECK(settings({{"end-at", "-1h"}}).error().find("is not a time") != std::string::npos);  // no past for end-at
    s = settings({{"lateness", "250ms"}});
    REQUIRE(s);
    CHECK(s->lateness == 250000000);
    CHECK(*dta::cli::parse_duration("1.5h") == 5400000000000);
    CHECK(*dta::cli::parse_duration("2d") == 172800000000000);
    CHECK_FALSE(dta::cli::parse_duration("5sec"));
    CHECK_FALSE(dta::cli::parse_duration("s"));
    CHECK_FALSE(dta::cli::parse_duration("99999999999d"));
    CHECK(*dta::cli::parse_time("-1h", dta::TimeUnit::Ns, true, 7200000000000) == 3600000000000);
    dta::cli::Args two_stdin;
    CHECK_FALSE(dta::cli::input_settings(two_stdin, {"-", "-"}));
  }

  TEST_CASE("fields no event carried are named with the rules that read them") {
    auto prog = dta::test::compiled(R"(
      filter f on x.* where fmode == "w" { drop }
      rule r1 on db.open where errnum != 0 { error "{path}" }
      rule r2 on db.open where has(optional) { info "{user}" }
      rule r3 on db.open { emit db.derived { code: 1 } }
      rule r4 on db.derived where code == 1 { info "derived" }
      rule r5 on job.start { expect job.end matching job_id within 1s else { error "x" } }
      machine m by pid { initial a state a { on p.x where sig == 9 -> a } }
    )");
    REQUIRE(prog);
    std::string err;
    auto engine = dta::Engine::create(prog, {}, &err);
    REQUIRE(engine);
    dta::cli::CarriedFields carried(*prog, engine->symbols());
    dta::JsonlParser parser(engine->symbols());
    dta::Event ev;
    REQUIRE(parser.parse(R"({"ts": 1, "name": "db.open", "fields": {"path": "/a", "user": "u", "sig": 1}})", ev, &err));
    carried.mark(ev);
    const std::vector<std::string> w = carried.warnings();
    std::string all;
    for (const std::string& s : w) all += s + "\n";
    CHECK(all.find("field 'errnum', which rule 'r1' reads") != std::string::npos);
    CHECK(all.find("field 'fmode', which filter 'f' reads") != std::string::npos);
    CHECK(all.find("field 'job_id', which rule 'r5' reads") != std::string::npos);
    CHECK(all.find("field 'pid', which machine 'm' reads") != std::string::npos);
    CHECK(all.find("'path'") == std::string::npos);      // carried
    CHECK(all.find("'sig'") == std::string::npos);       // carried
    CHECK(all.find("'optional'") == std::string::npos);  // has(): the rule expects it may be absent
    CHECK(all.find("'code'") == std::string::npos);      // written by emit
    CHECK(w.size() == 4);
    // once everything was seen there is nothing to say
    REQUIRE(parser.parse(R"({"ts": 2, "name": "x", "fields": {"errnum": 1, "fmode": "r", "job_id": 1, "pid": 2}})", ev,
                         &err));
    carried.mark(ev);
    CHECK(carried.warnings().empty());
  }

  TEST_CASE("a stream whose times all fall in 1970 gets a warning with the unit its values suggest") {
    dta::InputStats s;
    dta::JsonlOptions ns;
    CHECK(dta::cli::epoch_1970_warning(s, ns).empty());  // no events
    s.events = 2;
    s.min_ts = 1700000000;
    s.max_ts = 1800000000;
    std::string w = dta::cli::epoch_1970_warning(s, ns);
    CHECK(w.find("every event time falls in 1970") == 0);
    CHECK(w.find("--ts-unit s ") != std::string::npos);
    s.max_ts = 1764151200123;
    CHECK(dta::cli::epoch_1970_warning(s, ns).find("milliseconds since the epoch: read them with --ts-unit ms") !=
          std::string::npos);
    s.max_ts = 1764151200123456;
    CHECK(dta::cli::epoch_1970_warning(s, ns).find("--ts-unit us") != std::string::npos);
    s.min_ts = 0, s.max_ts = 5000;
    CHECK(dta::cli::epoch_1970_warning(s, ns).find("this is harmless") != std::string::npos);
    s.max_ts = 1764151200000000000;  // 2025: not all in 1970
    CHECK(dta::cli::epoch_1970_warning(s, ns).empty());
    s.min_ts = -5, s.max_ts = 5;  // before the epoch too
    CHECK(dta::cli::epoch_1970_warning(s, ns).empty());
    dta::JsonlOptions secs;
    secs.ts_unit = dta::TimeUnit::S, secs.unit_given = true;
    s.min_ts = 1000000000, s.max_ts = 5000000000;  // 1 to 5 "seconds": relative times
    CHECK(dta::cli::epoch_1970_warning(s, secs).find("read as seconds since 1970-01-01; if they count") !=
          std::string::npos);
  }

  TEST_CASE("live lines escape control characters; JSON lines are JSON") {
    using dta::cli::escape_for_terminal;
    CHECK(escape_for_terminal("a\x1b[2J\nfake line\r\t\x7f") == "a\\x1b[2J\\nfake line\\r\\t\\x7f");
    CHECK(escape_for_terminal("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");  // UTF-8 stays
    CHECK(escape_for_terminal("\xc2\x9b"
                              "31m") == "\\u{9b}31m");  // C1 CSI
    CHECK(escape_for_terminal("abc\xe2\x80\xae"
                              "cba") == "abc\\u{202e}cba");  // a bidi override
    CHECK(escape_for_terminal("\xe2\x80\xa8") == "\\u{2028}");
    CHECK(escape_for_terminal("\xff\xc3") == "\\xff\\xc3");  // not UTF-8
    dta::Finding f;
    f.rule = "r";
    f.level = dta::Level::Error;
    f.message = "bad \x1b[31mred\n2026-01-01T00:00:00.000Z error forged: line";
    f.ts = 1000000000;
    f.event = "e";
    f.key = {{"user", "x\ny"}};
    const std::string l = dta::cli::finding_line(f);
    CHECK(l.find('\n') == std::string::npos);
    CHECK(l.find('\x1b') == std::string::npos);
    CHECK(l ==
          "1970-01-01T00:00:01.000Z error   r: bad \\x1b[31mred\\n2026-01-01T00:00:00.000Z error forged: line "
          "{user=x\\ny}");
    const boost::json::value j = boost::json::parse(dta::cli::finding_json(f));
    CHECK(j.at("type").as_string() == "finding");
    CHECK(std::string(j.at("message").as_string()) == f.message);  // JSON keeps the text (escaped by JSON)
    CHECK(j.at("key").at("user").as_string() == "x\ny");
    CHECK(j.at("ts").as_int64() == 1000000000);
    dta::Alert a;
    a.rule = "burst";
    a.severity = "critical";
    a.message = "m";
    a.labels = {{"service", "cart"}};
    a.suppressed = 2;
    CHECK(dta::cli::alert_line(a) == "1970-01-01T00:00:00.000Z alert critical burst: m {service=cart} (+2 suppressed)");
    const boost::json::value ja = boost::json::parse(dta::cli::alert_json(a));
    CHECK(ja.at("type").as_string() == "alert");
    CHECK(ja.at("labels").at("service").as_string() == "cart");
    CHECK(ja.at("suppressed").to_number<uint64_t>() == 2);
  }
}
