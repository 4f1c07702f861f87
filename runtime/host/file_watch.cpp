// FileWatch (file_watch.hpp): path resolution into directory watches, the
// quiet period, the read and the thread.
#include "host/file_watch.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dta {
namespace {

// Symlinks followed while resolving the path, as the kernel's MAXSYMLINKS:
// a longer chain is a loop.
constexpr int kMaxSymlinkHops = 40;
// What a watched directory reports: its entries created, deleted, renamed,
// written or changed (a rename over the file, a switched symlink, an edit in
// place) and its own disappearance.
constexpr uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE |
                              IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// Bytes read from inotify at a time: room for many events with their names.
constexpr size_t kEventBufferBytes = 64 * 1024;
// Bytes read from the file per read(2).
constexpr size_t kReadChunkBytes = 64 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

// "/a/b" -> {"a", "b"}.
std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> out;
  size_t at = 0;
  while (at <= path.size()) {
    const size_t slash = path.find('/', at);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > at) out.push_back(path.substr(at, end - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return out;
}

std::string display_dir(const std::string& dir) { return dir.empty() ? "/" : dir; }

}  // namespace

struct FileWatch::State {
  std::string path;      // as given
  std::string abs_path;  // from the current directory at start
  FileWatchOptions opts;
  OnChange on_change;
  OnError on_error;
  int ino = -1;
  int wake = -1;  // eventfd: stop() writes it, the thread's poll sees it
  std::thread thread;
  std::mutex stop_mu;  // one stop() at a time
  std::atomic<bool> stopping{false};
  // Watched directory -> the names in it that matter (a symlink on the way,
  // the file, or the next component of a path that does not exist yet).
  std::map<int, std::vector<std::string>> watches;
  std::optional<std::string> last;  // the contents last delivered (or the host's, known_contents)

  ~State() {
    if (ino >= 0) ::close(ino);
    if (wake >= 0) ::close(wake);
  }

  void report(const std::string& message) const {
    if (!on_error) return;
    try {
      on_error(message);
    } catch (...) {  // the host's error callback threw: nothing left to tell
    }
  }

  // Resolves the path as the kernel would, noting (directory, name) for each
  // symlink followed, for the file, or for the first component missing.
  // Returns the resolved file path ("" when missing or unresolvable).
  std::string resolve(std::map<std::string, std::vector<std::string>>* interest, std::string* error) const {
    std::deque<std::string> todo = components(abs_path);
    std::string cur;  // "" is the root
    int hops = 0;
    auto note = [&](const std::string& name) { (*interest)[display_dir(cur)].push_back(name); };
    while (!todo.empty()) {
      std::string c = std::move(todo.front());
      todo.pop_front();
      if (c == ".") continue;
      if (c == "..") {
        cur.resize(cur.empty() ? 0 : cur.rfind('/'));
        continue;
      }
      const std::string next = cur + "/" + c;
      struct stat st {};
      if (::lstat(next.c_str(), &st) != 0) {  // missing (wait for it) or unreadable (the read says why)
        note(c);
        return "";
      }
      if (S_ISLNK(st.st_mode)) {
        note(c);
        if (++hops > kMaxSymlinkHops) {
          *error = fmt::format("too many symlinks resolving '{}'", path);
          return "";
        }
        char buf[PATH_MAX];
        const ssize_t n = ::readlink(next.c_str(), buf, sizeof buf);
        if (n < 0 || static_cast<size_t>(n) >= sizeof buf) return "";  // changed under us: the next event retries
        const std::string target(buf, static_cast<size_t>(n));
        std::deque<std::string> more = components(target);
        todo.insert(todo.begin(), more.begin(), more.end());
        if (target.starts_with('/')) cur.clear();
        continue;
      }
      if (todo.empty()) {
        note(c);
        return next;
      }
      cur = next;
    }
    return display_dir(cur);  // the path names a directory: the read refuses it
  }

  // Resolves the path again and moves the directory watches to what it needs
  // now (a switched symlink leads elsewhere); *file is where it leads ("":
  // nowhere yet). Empty, or what failed.
  std::string rewatch(std::string* file) {
    std::map<std::string, std::vector<std::string>> interest;
    std::string error;
    *file = resolve(&interest, &error);
    std::map<int, std::vector<std::string>> now;
    for (auto& [dir, names] : interest) {
      const int wd = ::inotify_add_watch(ino, dir.c_str(), kDirMask);
      if (wd < 0) {
        const int err = errno;
        if (error.empty())
          error = fmt::format("cannot watch directory '{}' for '{}': {}{}", dir, path, errno_text(err),
                              err == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
        continue;
      }
      std::vector<std::string>& names_now = now[wd];  // two paths to one directory share a watch
      names_now.insert(names_now.end(), names.begin(), names.end());
    }
    for (const auto& [wd, names] : watches)
      if (!now.contains(wd)) ::inotify_rm_watch(ino, wd);
    watches = std::move(now);
    return error;
  }

  // Whether an inotify event may mean the file changed.
  bool relevant(const inotify_event& ev) const {
    if (ev.mask & IN_Q_OVERFLOW) return true;  // events were lost: look again
    auto it = watches.find(ev.wd);
    if (it == watches.end()) return false;  // a watch already removed
    if (ev.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) return true;
    if (ev.len == 0) return false;
    const std::string_view name(ev.name);
    for (const std::string& n : it->second)
      if (n == name) return true;
    return false;
  }

  // Reads every pending inotify event; true when one of them matters.
  bool drain_events() {
    alignas(inotify_event) char buf[kEventBufferBytes];
    bool any = false;
    for (;;) {
      const ssize_t n = ::read(ino, buf, sizeof buf);
      if (n <= 0) return any;  // EAGAIN: all read
      for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);  // the kernel aligns each one
        if (relevant(*ev)) any = true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  }

  // The file's contents; nullopt when it is missing (then *error stays
  // empty) or cannot be read (then *error says why).
  std::optional<std::string> read(const std::string& file, std::string* error) const {
    if (file.empty()) return std::nullopt;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      if (errno != ENOENT) *error = fmt::format("cannot read '{}': {}", path, errno_text(errno));
      return std::nullopt;
    }
    std::optional<std::string> out;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      *error = fmt::format("cannot read '{}': {}", path, errno_text(errno));
    } else if (!S_ISREG(st.st_mode)) {
      *error = fmt::format("cannot read '{}': not a regular file", path);
    } else if (static_cast<uint64_t>(st.st_size) > opts.max_bytes) {
      *error =
          fmt::format("'{}' is {} bytes, more than the {} a watched file may hold", path, st.st_size, opts.max_bytes);
    } else {
      std::string text;
      text.reserve(static_cast<size_t>(st.st_size));
      char chunk[kReadChunkBytes];
      for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          *error = fmt::format("cannot read '{}': {}", path, errno_text(errno));
          break;
        }
        if (n == 0) {
          out = std::move(text);
          break;
        }
        if (text.size() + static_cast<size_t>(n) > opts.max_bytes) {  // grew while being read
          *error = fmt::format("'{}' is more than the {} bytes a watched file may hold", path, opts.max_bytes);
          break;
        }
        text.append(chunk, static_cast<size_t>(n));
      }
    }
    ::close(fd);
    return out;
  }

  // The quiet period ended (or the watch started): follow the path again,
  // read the file, and hand over contents that changed.
  void settle() {
    std::string file;
    std::string error = rewatch(&file);
    if (!error.empty()) report(error);
    error.clear();
    std::optional<std::string> text = read(file, &error);
    if (!error.empty()) {
      report(error);
      return;
    }
    if (!text || (last && *last == *text)) return;
    last = std::move(text);
    if (stopping.load()) return;
    try {
      on_change(*last);
    } catch (const std::exception& e) {
      report(fmt::format("the change callback for '{}' threw: {}", path, e.what()));
    } catch (...) {
      report(fmt::format("the change callback for '{}' threw", path));
    }
  }

  // The thread: wait for events or stop, and settle after each quiet period.
  void run() {
    using Clock = std::chrono::steady_clock;
    // The contents at start (unless the host has them, opts.known_contents);
    // when the file is already changing, after the save's quiet period.
    std::optional<Clock::time_point> due;
    if (drain_events())
      due = Clock::now() + opts.debounce;
    else
      settle();
    while (!stopping.load()) {
      int timeout = -1;
      if (due) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*due - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
      }
      pollfd fds[2] = {{ino, POLLIN, 0}, {wake, POLLIN, 0}};
      const int n = ::poll(fds, 2, timeout);
      if (n < 0 && errno != EINTR) {
        report(fmt::format("watching '{}' stopped: poll failed: {}", path, errno_text(errno)));
        return;
      }
      if (stopping.load() || (fds[1].revents & POLLIN)) return;
      if ((fds[0].revents & POLLIN) && drain_events()) due = Clock::now() + opts.debounce;
      if (due && Clock::now() >= *due) {
        due.reset();
        settle();
      }
    }
  }
};

Expected<std::unique_ptr<FileWatch>> FileWatch::start(const std::string& path, OnChange on_change, OnError on_error,
                                                      FileWatchOptions options) {
  if (path.empty()) return fail("no file to watch (empty path)");
  if (!on_change) return fail("no change callback to watch '" + path + "' with");
  auto s = std::make_shared<State>();
  s->path = path;
  s->last = std::move(options.known_contents);
  options.known_contents.reset();
  s->opts = std::move(options);
  s->on_change = std::move(on_change);
  s->on_error = std::move(on_error);
  if (path.starts_with('/')) {
    s->abs_path = path;
  } else {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return fail(fmt::format("cannot watch '{}': {}", path, errno_text(errno)));
    s->abs_path = std::string(cwd) + "/" + path;
  }
  s->ino = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (s->ino < 0)
    return fail(fmt::format("cannot watch '{}': inotify: {}{}", path, errno_text(errno),
                            errno == EMFILE ? " (raise fs.inotify.max_user_instances)" : ""));
  s->wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->wake < 0) return fail(fmt::format("cannot watch '{}': eventfd: {}", path, errno_text(errno)));
  std::string file;
  if (std::string error = s->rewatch(&file); !error.empty()) return fail(error);
  try {
    s->thread = std::thread([s] { s->run(); });
  } catch (const std::exception& e) {
    return fail(fmt::format("cannot watch '{}': no thread: {}", path, e.what()));
  }
  return std::unique_ptr<FileWatch>(new FileWatch(std::move(s)));
}

FileWatch::FileWatch(std::shared_ptr<State> state) : state_(std::move(state)) {}

FileWatch::~FileWatch() { stop(); }

void FileWatch::stop() {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.stop_mu);
  s.stopping.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(s.wake, &one, sizeof one);
  if (!s.thread.joinable()) return;
  if (s.thread.get_id() == std::this_thread::get_id()) {
    s.thread.detach();  // stopped from a callback: the thread ends when it returns, keeping the state alive
    return;
  }
  s.thread.join();
}

const std::string& FileWatch::path() const { return state_->path; }

}  // namespace dta
