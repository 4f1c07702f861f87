// Runtime::watch: reload the policy file whenever it is saved (FileWatch:
// inotify, whatever way the editor saves).
#include <fmt/format.h>

#include "runtime_impl.hpp"

namespace dta {

Outcome Runtime::watch(const std::string& path) {
  unwatch();
  Impl* im = impl_.get();
  FileWatchOptions options;
  {
    std::lock_guard lock(im->engine_mu);
    if (im->source_name == path) options.known_contents = im->source_text;  // no reload of what runs already
  }
  auto w = FileWatch::start(
      path,
      [im, path](const std::string& text) {
        bool before;
        {
          std::lock_guard lock(im->engine_mu);
          before = im->engine != nullptr;
        }
        im->load_text(path, text, before);  // a failure reaches on_error and keeps the running policy
      },
      [im](const std::string& message) { im->report_error(RuntimeError::Kind::Watch, message); }, options);
  if (!w) return fail(fmt::format("cannot watch {}: {}", path, w.error()));
  impl_->watch = std::move(*w);
  return {};
}

void Runtime::unwatch() {
  std::unique_ptr<FileWatch> w = std::move(impl_->watch);
  if (w) w->stop();
}

}  // namespace dta
