// FileWatch: follows one file path with inotify and hands its new contents to
// a callback, on the watch's own thread, once per save, however the file is
// saved: written in place (or truncated and written), written to a new file
// renamed over it (vim, emacs, VS Code, `sed -i`), deleted and created again,
// or reached through symlinks that are switched (configuration managers,
// Kubernetes ConfigMaps swap a `..data` symlink).
//
// How: the watch resolves the path itself, component by component, and
// watches the directory that holds each symlink on the way and the one that
// holds the file (or, while it is missing, the deepest directory that
// exists), each for the names it needs. A relevant event starts (or
// restarts) a quiet period; when it ends, the path is resolved again (the
// watches follow a switched symlink), the file is read, and the callback runs
// only when the contents differ from the last ones delivered. Other files of
// those directories changing cost an event each and nothing more.
//
// The watch never throws into the host and never prints: a file that cannot
// be read, is not a regular file or is too large goes to the error callback,
// and so does a callback that throws. stop() and the destructor end the thread
// promptly (an eventfd wakes its poll).
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dta/expected.hpp"

namespace dta {

// The largest file a watch reads: a policy's limit. The compiler refuses a
// source file over 64 MiB (compiler/source_loader.hpp, kMaxSourceBytes); the
// runtime may not include the compiler, so the figure is repeated here.
constexpr size_t kMaxWatchedFileBytes = size_t{64} << 20;

// A save is several filesystem events (truncate, writes, close, rename,
// chmod) within a few milliseconds; 50 ms of quiet after the last one is
// long past any editor's burst and short for a person waiting for a reload.
constexpr std::chrono::milliseconds kDefaultWatchDebounce{50};

struct FileWatchOptions {
  std::chrono::milliseconds debounce = kDefaultWatchDebounce;  // quiet time that ends a save
  size_t max_bytes = kMaxWatchedFileBytes;                     // a larger file is an error, not read
  // The contents the host already has (it loaded the file itself): the first
  // callback comes only when the file differs from them. Unset: the contents
  // found at start are handed over (when the file exists).
  std::optional<std::string> known_contents;
};

class FileWatch {
 public:
  using OnChange = std::function<void(const std::string& contents)>;
  using OnError = std::function<void(const std::string& message)>;

  // Starts watching `path` (relative paths are taken from the current
  // directory now). The watches are in place when this returns, so any change
  // made afterwards is seen; the file is read on the watch's thread. A missing
  // file is not an error: the watch waits for it. Fails only when inotify or
  // the thread cannot be set up.
  static Expected<std::unique_ptr<FileWatch>> start(const std::string& path, OnChange on_change, OnError on_error,
                                                    FileWatchOptions options = {});
  // Stops the watch (see stop()).
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Ends the thread and waits for it: a pending quiet period is dropped, no
  // callback runs after this returns. Called from one of the watch's own
  // callbacks, it does not wait: the thread ends once the callback returns.
  void stop();
  // The path being watched, as given.
  const std::string& path() const;

  struct State;

 private:
  explicit FileWatch(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;  // shared with the thread, which may outlive this when stopped from a callback
};

}  // namespace dta
