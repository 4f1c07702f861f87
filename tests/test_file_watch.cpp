// FileWatch (runtime/host/file_watch.hpp): one callback per save whatever
// the editor does, none for unchanged contents or other files, a file that
// appears later, errors through the error callback, and a prompt stop.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/file_watch.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The quiet period in these tests: short, so the suite stays fast, and long
// against the few milliseconds between the steps of one save below.
constexpr auto kDebounce = 40ms;
// How long a test waits for a callback that must come (slow CI, sanitizers).
constexpr auto kPatience = 5s;
// How long a test waits to be sure nothing comes: several quiet periods.
constexpr auto kSettle = kDebounce * 5;

// A fresh directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dta-watch-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// What the callbacks received.
class Seen {
 public:
  void change(const std::string& text) {
    std::lock_guard lock(mu_);
    changes_.push_back(text);
    cv_.notify_all();
  }
  void error(const std::string& message) {
    std::lock_guard lock(mu_);
    errors_.push_back(message);
    cv_.notify_all();
  }
  // Waits until `n` changes came (or the patience ran out); the changes so far.
  std::vector<std::string> changes(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kPatience, [&] { return changes_.size() >= n; });
    return changes_;
  }
  std::vector<std::string> errors(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kPatience, [&] { return errors_.size() >= n; });
    return errors_;
  }
  std::vector<std::string> changes_now() {
    std::lock_guard lock(mu_);
    return changes_;
  }
  std::vector<std::string> errors_now() {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> changes_, errors_;
};

std::unique_ptr<dta::FileWatch> watch(const fs::path& p, Seen& seen, dta::FileWatchOptions opts = {}) {
  opts.debounce = opts.debounce == dta::kDefaultWatchDebounce ? kDebounce : opts.debounce;
  auto w = dta::FileWatch::start(
      p.string(), [&seen](const std::string& t) { seen.change(t); }, [&seen](const std::string& m) { seen.error(m); },
      opts);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error()));
  return std::move(*w);
}

}  // namespace

TEST_SUITE("file_watch") {
  TEST_CASE("the contents at start come first, then one callback per in-place save") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    CHECK(seen.changes(1) == std::vector<std::string>{"v1"});
    write(d / "p.dta", "v2");
    CHECK(seen.changes(2) == std::vector<std::string>{"v1", "v2"});
    // Truncated, then written in pieces: one save, delivered whole. (The
    // pieces are 5 ms apart; the quiet period is far longer, so a loaded
    // machine does not split the save.)
    w.reset();
    dta::FileWatchOptions slow;
    slow.debounce = 300ms;
    slow.known_contents = "v2";
    w = watch(d / "p.dta", seen, slow);
    std::this_thread::sleep_for(100ms);  // the watch's first look at the file (it holds "v2") is done
    {
      std::ofstream out(d / "p.dta", std::ios::binary | std::ios::trunc);
      out << "rule a on x { error \"a\" }" << std::flush;
      std::this_thread::sleep_for(5ms);
      out << "\nrule b on y { error \"b\" }" << std::flush;
      std::this_thread::sleep_for(5ms);
    }
    const auto got = seen.changes(3);
    REQUIRE(got.size() == 3);
    CHECK(got[2] == "rule a on x { error \"a\" }\nrule b on y { error \"b\" }");
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().size() == 3);
    CHECK(seen.errors_now().empty());
  }

  TEST_CASE("a burst of writes within the quiet period is one callback with the last contents") {
    TempDir d;
    write(d / "p.dta", "start");
    Seen seen;
    dta::FileWatchOptions opts;
    opts.debounce = 300ms;  // long against the burst, even on a loaded machine
    auto w = watch(d / "p.dta", seen, opts);
    REQUIRE(seen.changes(1).size() == 1);
    for (int i = 0; i < 20; ++i) {
      write(d / "p.dta", "v" + std::to_string(i));
      std::this_thread::sleep_for(1ms);
    }
    CHECK(seen.changes(2) == std::vector<std::string>{"start", "v19"});
    std::this_thread::sleep_for(opts.debounce * 2);
    CHECK(seen.changes_now().size() == 2);
  }

  TEST_CASE("known_contents: what the host already loaded is not a change; a stale copy is") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    dta::FileWatchOptions opts;
    opts.known_contents = "v1";
    auto w = watch(d / "p.dta", seen, opts);
    write(d / "p.dta", "v1");  // the same bytes: nothing
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().empty());
    write(d / "p.dta", "v2");
    CHECK(seen.changes(1) == std::vector<std::string>{"v2"});
    // The host's copy is older than the file (it changed between its load and start): handed over at once.
    Seen stale;
    opts.known_contents = "v0";
    auto w2 = watch(d / "p.dta", stale, opts);
    CHECK(stale.changes(1) == std::vector<std::string>{"v2"});
  }

  TEST_CASE("write a new file and rename it over (vim, emacs, VS Code, sed -i)") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    seen.changes(1);
    for (int i = 2; i <= 4; ++i) {
      write(d / ".p.dta.swp", "v" + std::to_string(i));
      fs::rename(d / ".p.dta.swp", d / "p.dta");
      REQUIRE(seen.changes(static_cast<size_t>(i)).size() == static_cast<size_t>(i));
    }
    // vim's backup dance: the old file renamed away, the new one written in its place.
    fs::rename(d / "p.dta", d / "p.dta~");
    write(d / "p.dta", "v5");
    fs::remove(d / "p.dta~");
    CHECK(seen.changes(5) == std::vector<std::string>{"v1", "v2", "v3", "v4", "v5"});
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().size() == 5);
  }

  TEST_CASE("delete then create, and a file deleted for a while") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    seen.changes(1);
    fs::remove(d / "p.dta");
    write(d / "p.dta", "v2");
    CHECK(seen.changes(2).back() == "v2");
    fs::remove(d / "p.dta");
    std::this_thread::sleep_for(kSettle);  // missing for several quiet periods: no callback, no error
    CHECK(seen.changes_now().size() == 2);
    CHECK(seen.errors_now().empty());
    write(d / "p.dta", "v3");
    CHECK(seen.changes(3).back() == "v3");
  }

  TEST_CASE("a symlink switched, as Kubernetes swaps a ConfigMap's ..data") {
    TempDir d;
    fs::create_directory(d / "..v1");
    write(d / "..v1" / "p.dta", "v1");
    fs::create_directory_symlink("..v1", d / "..data");
    fs::create_symlink("..data/p.dta", d / "p.dta");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    CHECK(seen.changes(1) == std::vector<std::string>{"v1"});
    // The kubelet's update: a new directory, a temporary link renamed over ..data, the old one removed.
    fs::create_directory(d / "..v2");
    write(d / "..v2" / "p.dta", "v2");
    fs::create_directory_symlink("..v2", d / "..data_tmp");
    fs::rename(d / "..data_tmp", d / "..data");
    fs::remove_all(d / "..v1");
    CHECK(seen.changes(2) == std::vector<std::string>{"v1", "v2"});
    // The watch followed the switch: an edit in the new directory is seen.
    write(d / "..v2" / "p.dta", "v3");
    CHECK(seen.changes(3).back() == "v3");
    // A direct symlink repointed.
    write(d / "other.dta", "v4");
    fs::remove(d / "p.dta");
    fs::create_symlink("other.dta", d / "p.dta");
    CHECK(seen.changes(4).back() == "v4");
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().size() == 4);
    CHECK(seen.errors_now().empty());
  }

  TEST_CASE("no callback for unchanged contents or for other files of the directory") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    seen.changes(1);
    write(d / "p.dta", "v1");                                            // rewritten, same bytes
    fs::last_write_time(d / "p.dta", fs::file_time_type::clock::now());  // touched
    write(d / ".p.dta.tmp", "v1");
    fs::rename(d / ".p.dta.tmp", d / "p.dta");  // renamed over, same bytes
    write(d / "other.dta", "x");                // other files
    write(d / "p.dta.bak", "y");
    fs::remove(d / "other.dta");
    fs::create_directory(d / "sub");
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().size() == 1);
    CHECK(seen.errors_now().empty());
  }

  TEST_CASE("started before the file, and before its directory, exists") {
    TempDir d;
    Seen seen;
    auto w = watch(d / "conf" / "p.dta", seen);
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().empty());
    CHECK(seen.errors_now().empty());
    fs::create_directory(d / "conf");
    write(d / "conf" / "p.dta", "v1");
    CHECK(seen.changes(1) == std::vector<std::string>{"v1"});
    write(d / "conf" / "p.dta", "v2");
    CHECK(seen.changes(2).back() == "v2");
  }

  TEST_CASE("a relative path is taken from the current directory at start") {
    TempDir d;
    const fs::path old = fs::current_path();
    fs::current_path(d.path);
    Seen seen;
    auto w = watch("p.dta", seen);
    fs::current_path(old);
    write(d / "p.dta", "v1");
    CHECK(seen.changes(1) == std::vector<std::string>{"v1"});
    CHECK(w->path() == "p.dta");
  }

  TEST_CASE("read errors go to the error callback: too large, not a regular file") {
    TempDir d;
    Seen seen;
    dta::FileWatchOptions opts;
    opts.max_bytes = 8;
    auto w = watch(d / "p.dta", seen, opts);
    // whole files renamed into place: an in-place write could be read half done
    // (truncated, not yet written) on a loaded machine, which is not what this tests
    const auto replace = [&](const std::string& text) {
      write(d / ".p.dta.tmp", text);
      fs::rename(d / ".p.dta.tmp", d / "p.dta");
    };
    replace("0123456789");
    const auto errors = seen.errors(1);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("more than the 8") != std::string::npos);
    CHECK(seen.changes_now().empty());
    replace("01234567");  // back within the limit
    CHECK(seen.changes(1) == std::vector<std::string>{"01234567"});
    fs::remove(d / "p.dta");
    fs::create_directory(d / "p.dta");
    const auto more = seen.errors(2);
    REQUIRE(more.size() == 2);
    CHECK(more[1].find("not a regular file") != std::string::npos);
  }

  TEST_CASE("a callback that throws is reported, and the watch goes on") {
    TempDir d;
    Seen seen;
    int calls = 0;
    auto w = dta::FileWatch::start((d / "p.dta").string(),
                                   [&](const std::string& t) {
                                     if (++calls == 1) throw std::runtime_error("boom");
                                     seen.change(t);
                                   },
                                   [&](const std::string& m) { seen.error(m); },
                                   {kDebounce, dta::kMaxWatchedFileBytes, std::nullopt});
    REQUIRE(w.ok());
    write(d / "p.dta", "v1");
    const auto errors = seen.errors(1);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("boom") != std::string::npos);
    write(d / "p.dta", "v2");
    CHECK(seen.changes(1) == std::vector<std::string>{"v2"});
  }

  TEST_CASE("stop while idle and while a quiet period is pending is prompt; nothing comes after") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    {
      auto w = watch(d / "p.dta", seen);
      seen.changes(1);
      const auto t0 = std::chrono::steady_clock::now();
      w->stop();
      CHECK(std::chrono::steady_clock::now() - t0 < 1s);
      w->stop();  // twice is fine
      write(d / "p.dta", "v2");
      std::this_thread::sleep_for(kSettle);
      CHECK(seen.changes_now().size() == 1);
    }
    {
      dta::FileWatchOptions opts;
      opts.debounce = 10s;  // the change below stays pending
      auto w = watch(d / "p.dta", seen, opts);
      CHECK(seen.changes(2).back() == "v2");
      write(d / "p.dta", "v3");
      std::this_thread::sleep_for(20ms);
      const auto t0 = std::chrono::steady_clock::now();
      w.reset();  // the destructor stops
      CHECK(std::chrono::steady_clock::now() - t0 < 1s);
      CHECK(seen.changes_now().size() == 2);
    }
  }

  TEST_CASE("stop from inside the callback") {
    TempDir d;
    write(d / "p.dta", "v1");
    Seen seen;
    std::unique_ptr<dta::FileWatch> w;
    std::mutex mu;
    std::unique_lock hold(mu);  // the callback waits until w is set
    auto started = dta::FileWatch::start((d / "p.dta").string(),
                                         [&](const std::string& t) {
                                           std::lock_guard lock(mu);
                                           w->stop();
                                           seen.change(t);
                                         },
                                         nullptr, {kDebounce, dta::kMaxWatchedFileBytes, std::nullopt});
    REQUIRE(started.ok());
    w = std::move(*started);
    hold.unlock();
    CHECK(seen.changes(1).size() == 1);
    write(d / "p.dta", "v2");
    std::this_thread::sleep_for(kSettle);
    CHECK(seen.changes_now().size() == 1);
    w.reset();
  }

  TEST_CASE("a symlink loop is a clear error, at start or later") {
    TempDir d;
    fs::create_symlink("p.dta", d / "p.dta");
    auto loop = dta::FileWatch::start((d / "p.dta").string(), [](const std::string&) {}, nullptr);
    REQUIRE_FALSE(loop.ok());
    CHECK(loop.error().find("too many symlinks") != std::string::npos);
    fs::remove(d / "p.dta");
    Seen seen;
    auto w = watch(d / "p.dta", seen);
    fs::create_symlink("q.dta", d / "p.dta");
    fs::create_symlink("p.dta", d / "q.dta");
    const auto errors = seen.errors(1);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].find("too many symlinks") != std::string::npos);
    fs::remove(d / "q.dta");
    write(d / "q.dta", "v1");  // the loop is broken: the file is reached
    CHECK(seen.changes(1) == std::vector<std::string>{"v1"});
  }

  TEST_CASE("start refuses an empty path or a missing callback") {
    CHECK_FALSE(dta::FileWatch::start(
                    "", [](const std::string&) {}, nullptr)
                    .ok());
    CHECK_FALSE(dta::FileWatch::start("/tmp/x.dta", nullptr, nullptr).ok());
  }
}
