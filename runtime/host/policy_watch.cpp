// Runtime::watch: reload the policy file whenever it changes.
#include <sys/stat.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "runtime_impl.hpp"

namespace dta {

namespace {
constexpr auto kPoll = std::chrono::milliseconds(100);  // how often the file is looked at
}  // namespace

// The watching thread looks at the file's identity (device, inode, size,
// mtime) and reloads when it changed and the new text differs.
Outcome Runtime::watch(const std::string& path) {
  unwatch();
  auto w = std::make_unique<Impl::Watch>();
  w->path = path;
  Impl* im = impl_.get();
  Impl::Watch* wp = w.get();
  try {
    wp->thread = std::thread([im, wp] {
      std::string last;
      {
        std::lock_guard lock(im->engine_mu);
        if (im->source_name == wp->path) last = im->source_text;
      }
      struct stat seen {};
      bool first = true;
      for (;;) {
        {
          std::unique_lock lock(wp->mu);
          if (!first && wp->cv.wait_for(lock, kPoll, [&] { return wp->stop; })) return;
        }
        first = false;
        struct stat st {};
        if (stat(wp->path.c_str(), &st) != 0) continue;  // gone for now (an editor between delete and create)
        if (st.st_dev == seen.st_dev && st.st_ino == seen.st_ino && st.st_size == seen.st_size &&
            st.st_mtim.tv_sec == seen.st_mtim.tv_sec && st.st_mtim.tv_nsec == seen.st_mtim.tv_nsec)
          continue;
        seen = st;
        std::ifstream in(wp->path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
          im->report_error(RuntimeError::Kind::Watch, fmt::format("{}: cannot read the policy", wp->path));
          continue;
        }
        if (text.str() == last) continue;
        last = text.str();
        bool before;
        {
          std::lock_guard lock(im->engine_mu);
          before = im->engine != nullptr;
        }
        im->load_text(wp->path, last, before);  // a failure reaches on_error and keeps the running policy
      }
    });
  } catch (const std::exception& e) {
    return fail(fmt::format("cannot start watching {}: {}", path, e.what()));
  }
  impl_->watch = std::move(w);
  return {};
}

void Runtime::unwatch() {
  std::unique_ptr<Impl::Watch> w = std::move(impl_->watch);
  if (!w) return;
  {
    std::lock_guard lock(w->mu);
    w->stop = true;
  }
  w->cv.notify_all();
  if (w->thread.joinable()) w->thread.join();
}

}  // namespace dta
