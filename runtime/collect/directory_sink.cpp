// The directory sink (collect.hpp): writes each collection into its own new
// file under DIR/dumps and a line into DIR/manifest.jsonl. Every file is
// opened relative to a directory descriptor opened with O_NOFOLLOW, with
// O_EXCL|O_NOFOLLOW, 0600: a planted symlink or an existing file is never
// followed or overwritten (the next number is taken instead).
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "collect/process_info.hpp"
#include "dta/collect.hpp"
#include "recorders/slot.hpp"

namespace dta {

const char* collection_status_name(CollectionStatus s) {
  switch (s) {
    case CollectionStatus::Written:
      return "written";
    case CollectionStatus::Denied:
      return "denied";
    case CollectionStatus::Failed:
      return "failed";
    case CollectionStatus::Queued:
      return "queued";
  }
  return "failed";
}

namespace {

// Tries at most this many numbers when files with the next ones exist
// (planted, or another writer): then the collection fails.
constexpr int kMaxNameTries = 1000;
// Manifest lines for collections the engine denied, per sink: the report
// counts them all; a flood of denials must not become a flood of writes.
constexpr uint64_t kMaxNotes = 1000;
// The longest rule name in a file name (rule names are identifiers; a crafted .dtb's are cut).
constexpr size_t kMaxNamePart = 64;

// A name part for a file: [A-Za-z0-9_.-], others '_', at most kMaxNamePart, never empty or dots only.
std::string sanitise(std::string_view s) {
  std::string out;
  for (const char ch : s.substr(0, kMaxNamePart)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                    ch == '-' || ch == '.';
    out += ok ? ch : '_';
  }
  if (out.find_first_not_of('.') == std::string::npos) out = "_" + out;
  return out;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string errno_text(int e) { return std::strerror(e); }

// What a host collector writes, bounded: past the cap or the deadline it is cut.
class BoundedSink final : public SnapshotSink {
 public:
  using SnapshotSink::SnapshotSink;
  bool write(std::string_view bytes) override {
    std::lock_guard lock(mu_);
    if (closed_ || expired()) {
      cut_ = true;
      return false;
    }
    const uint64_t room = max_ - data_.size();
    if (bytes.size() > room) {
      data_.append(bytes.substr(0, room));
      cut_ = true;
      return false;
    }
    data_.append(bytes);
    return true;
  }
  // Stops taking writes (the collector overran its time) and hands over what it wrote.
  std::string close(bool* cut) {
    std::lock_guard lock(mu_);
    closed_ = true;
    *cut = cut_;
    return std::move(data_);
  }

 private:
  std::mutex mu_;
  std::string data_;
  bool cut_ = false;
  bool closed_ = false;
};

class DirectorySink final : public CollectionSink {
 public:
  explicit DirectorySink(CollectOptions o) : o_(std::move(o)) {
    if (o_.dir.empty()) o_.dir = ".";
    prefix_ = o_.dir.back() == '/' ? o_.dir : o_.dir + "/";
  }
  ~DirectorySink() override {
    if (dumps_fd_ >= 0) ::close(dumps_fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }

  CollectionResult collect(CollectionRequest&& req) override {
    std::lock_guard lock(mu_);
    CollectionResult res;
    std::string content;
    if (!open_dirs(&res.reason)) {
      res.status = CollectionStatus::Failed;
      return res;
    }
    std::string suffix;
    switch (req.kind) {
      case CollectionKind::Recorder:
        content = std::move(req.body);
        suffix = sanitise(req.name) + ".jsonl";
        break;
      case CollectionKind::Process:
        content = process_info_json(req.ts);
        if (content.size() > req.max_bytes) {
          content.resize(req.max_bytes);
          res.reason = "cut at the disk budget";
        }
        suffix = "process.json";
        break;
      case CollectionKind::Snapshot:
        if (!snapshot(req, &content, &res.reason)) {
          res.status = CollectionStatus::Failed;
          manifest(req, res, 0);
          return res;
        }
        suffix = "snapshot-" + sanitise(req.name) + ".out";
        break;
    }
    std::string name;
    int fd = -1;
    for (int i = 0; i < kMaxNameTries && fd < 0; ++i) {
      name = fmt::format("{:06}-{}-{}", ++counter_, sanitise(req.rule), suffix);
      fd = ::openat(dumps_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
      res.status = CollectionStatus::Failed;
      res.reason = fmt::format("cannot create a file in {}dumps: {}", prefix_, errno_text(errno));
      manifest(req, res, 0);
      return res;
    }
    const bool ok = write_all(fd, content);
    const int err = errno;
    if (::close(fd) != 0 || !ok) {
      res.status = CollectionStatus::Failed;
      res.reason = fmt::format("writing {}dumps/{}: {}", prefix_, name, errno_text(ok ? errno : err));
      ::unlinkat(dumps_fd_, name.c_str(), 0);
      manifest(req, res, 0);
      return res;
    }
    res.status = CollectionStatus::Written;
    res.path = prefix_ + "dumps/" + name;
    res.bytes = content.size();
    manifest(req, res, req.kind == CollectionKind::Recorder ? req.events : 0);
    return res;
  }

  void note(const CollectionRequest& req, const CollectionResult& res) override {
    std::lock_guard lock(mu_);
    if (notes_ >= kMaxNotes) return;
    ++notes_;
    std::string why;
    if (open_dirs(&why)) manifest(req, res, 0);
  }

 private:
  // Creates DIR (and its parents, 0700) and DIR/dumps, and opens both without following links.
  bool open_dirs(std::string* why) {
    if (dumps_fd_ >= 0) return true;
    for (size_t at = o_.dir.find('/', 1); at != std::string::npos; at = o_.dir.find('/', at + 1))
      ::mkdir(o_.dir.substr(0, at).c_str(), 0700);
    ::mkdir(o_.dir.c_str(), 0700);
    if (dir_fd_ < 0) dir_fd_ = ::open(o_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd_ < 0) {
      *why = fmt::format("cannot open the collection directory {}: {}", o_.dir, errno_text(errno));
      return false;
    }
    ::mkdirat(dir_fd_, "dumps", 0700);
    dumps_fd_ = ::openat(dir_fd_, "dumps", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dumps_fd_ < 0) {
      *why = fmt::format("cannot open {}dumps: {}", prefix_, errno_text(errno));
      return false;
    }
    // Numbers go on from the files already there (an earlier run's).
    if (const int dup = ::dup(dumps_fd_); dup >= 0) {
      if (DIR* d = ::fdopendir(dup)) {
        while (const dirent* e = ::readdir(d))
          counter_ = std::max<uint64_t>(counter_, std::strtoull(e->d_name, nullptr, 10));
        ::closedir(d);
      } else {
        ::close(dup);
      }
    }
    return true;
  }

  // Runs the collector on a thread of its own, waiting at most the timeout:
  // a collector that overruns is abandoned (its late writes go nowhere).
  bool snapshot(const CollectionRequest& req, std::string* content, std::string* why) {
    auto it = o_.collectors.find(req.name);
    if (it == o_.collectors.end()) {
      *why = fmt::format("no collector is registered for snapshot '{}'", req.name);
      return false;
    }
    struct Run {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      bool threw = false;
    };
    auto run = std::make_shared<Run>();
    const auto deadline = std::chrono::steady_clock::now() + o_.snapshot_timeout;
    auto sink = std::make_shared<BoundedSink>(std::min(req.max_bytes, o_.max_snapshot_bytes), deadline);
    try {
      std::thread([run, sink, fn = it->second] {
        bool threw = false;
        try {
          fn(*sink);
        } catch (...) {
          threw = true;
        }
        std::lock_guard lock(run->mu);
        run->done = true;
        run->threw = threw;
        run->cv.notify_all();
      }).detach();
    } catch (...) {
      *why = "cannot start the collector's thread";
      return false;
    }
    std::unique_lock lock(run->mu);
    const bool done = run->cv.wait_until(lock, deadline, [&] { return run->done; });
    bool cut = false;
    *content = sink->close(&cut);
    if (!done) {
      *why = fmt::format("snapshot '{}' took longer than {} ms", req.name, o_.snapshot_timeout.count());
      return false;
    }
    if (run->threw) {
      *why = fmt::format("the collector of snapshot '{}' threw", req.name);
      return false;
    }
    if (cut) *why = fmt::format("cut at {} bytes", sink->max_bytes());
    return true;
  }

  // One line of DIR/manifest.jsonl: what, why (rule and triggering event), when, size, status.
  void manifest(const CollectionRequest& req, const CollectionResult& res, uint64_t events) {
    std::string line = fmt::format("{{\"seq\":{},\"what\":", req.seq);
    const std::string what = req.kind == CollectionKind::Recorder   ? "recorder " + req.name
                             : req.kind == CollectionKind::Snapshot ? "snapshot " + req.name
                                                                    : std::string("process");
    slot::append_json_string(line, what);
    line += ",\"rule\":";
    slot::append_json_string(line, req.rule);
    line += ",\"event\":";
    slot::append_json_string(line, req.trigger);
    const auto now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    line += fmt::format(",\"event_ts\":{},\"written_at\":{},\"status\":\"{}\"", req.ts, static_cast<int64_t>(now),
                        collection_status_name(res.status));
    if (!res.path.empty()) {
      line += ",\"path\":";
      slot::append_json_string(line, std::string_view(res.path).substr(prefix_.size()));
    }
    line += fmt::format(",\"bytes\":{}", res.bytes);
    if (req.kind == CollectionKind::Recorder) line += fmt::format(",\"events\":{}", events);
    if (!res.reason.empty()) {
      line += ",\"reason\":";
      slot::append_json_string(line, res.reason);
    }
    line += "}\n";
    if (manifest_bytes_ + line.size() > o_.max_manifest_bytes) return;
    const int fd = ::openat(dir_fd_, "manifest.jsonl", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (write_all(fd, line)) manifest_bytes_ += line.size();
    ::close(fd);
  }

  CollectOptions o_;
  std::string prefix_;  // the directory as paths start with it ("dta-out/")
  std::mutex mu_;
  int dir_fd_ = -1, dumps_fd_ = -1;
  uint64_t counter_ = 0;
  uint64_t manifest_bytes_ = 0;
  uint64_t notes_ = 0;  // manifest lines of collections not handed over (denials)
};

}  // namespace

std::shared_ptr<CollectionSink> directory_sink(CollectOptions options) {
  return std::make_shared<DirectorySink>(std::move(options));
}

}  // namespace dta
