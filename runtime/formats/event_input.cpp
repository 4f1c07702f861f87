// Events from inputs: lines split from decoded bytes (a line may span reads,
// an overlong one is skipped to its end), each parsed into an event; several
// inputs merged in time order; replay_stream on top.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "decoded_input.hpp"
#include "dta/input.hpp"

namespace dta {
namespace {

// Decoded bytes handed to the line splitter at a time: every open input
// holds one such buffer (kMaxInputs of them at most, tools/replay_inputs.cpp).
constexpr size_t kLineChunk = size_t{128} << 10;
// A carried partial line keeps its memory up to this size; after a longer
// one the memory goes back (one huge line must not pin 64 MiB per input).
constexpr size_t kKeepCarryBytes = kLineChunk;
// What a message quotes of the first bad line.
constexpr size_t kQuoteBytes = 48;
// While following, how many merged events pass before inputs that were
// waiting are tried again (so a quiet input's new lines are not held back
// behind another input's long backlog, without a read call per event).
constexpr uint64_t kRepollEvery = 1024;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The start of a line for a message: at most kQuoteBytes, not cutting a
// UTF-8 sequence.
std::string quote(std::string_view line) {
  size_t n = std::min(line.size(), kQuoteBytes);
  while (n > 0 && n < line.size() && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
  return std::string(line.substr(0, n));
}

}  // namespace

struct EventInput::Impl {
  enum class Line : uint8_t { Event, Bad, Skip };

  Impl(std::unique_ptr<formats::RawSource> raw, std::string display, Interner& names, const InputOptions& o)
      : dec(std::move(raw), o.detect), parser(names, o.jsonl), name(std::move(display)), sniff(o.detect) {
    buf.resize(kLineChunk);
    stats.size = dec.raw().size();
  }

  // One complete line (its bytes in `line`).
  Line handle(std::string_view line, Event& ev) {
    ++stats.lines;
    if (stats.lines == 1 && line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return Line::Skip;  // not an event
    if (parser.parse(line, ev, &error)) {
      ++stats.events;
      stats.min_ts = std::min(stats.min_ts, ev.ts);
      stats.max_ts = std::max(stats.max_ts, ev.ts);
      return Line::Event;
    }
    return bad(line);
  }
  Line bad(std::string_view line) {
    bad_line = stats.lines;
    if (stats.bad++ == 0) stats.first_bad = quote(line);
    return Line::Bad;
  }
  // The end of a line: `rest` is its bytes in the current chunk, after those carried.
  Line end_line(std::string_view rest, Event& ev) {
    if (!overlong && carry.size() + rest.size() > kMaxJsonlLineBytes) overlong = true;
    Line r;
    if (overlong) {
      ++stats.lines;
      error = fmt::format("line longer than {} MiB", kMaxJsonlLineBytes >> 20);
      r = bad({});
    } else if (carry.empty()) {
      r = handle(rest, ev);
    } else {
      carry.append(rest);
      r = handle(carry, ev);
    }
    overlong = false;
    carry.clear();
    if (carry.capacity() > kKeepCarryBytes) carry.shrink_to_fit();
    return r;
  }
  Status status(Line l) { return l == Line::Event ? Status::Event : Status::Bad; }

  Status next(Event& ev) {
    for (;;) {
      if (pos < len) {
        const char* start = buf.data() + pos;
        if (const void* nl = std::memchr(start, '\n', len - pos)) {
          const size_t end = static_cast<const char*>(nl) - buf.data();
          const std::string_view rest(start, end - pos);
          const Line l = carry.empty() && !overlong ? handle(rest, ev) : end_line(rest, ev);  // most lines: whole
          pos = end + 1;
          if (l != Line::Skip) return status(l);
          continue;
        }
        const std::string_view rest(start, len - pos);  // a line that goes on in the next chunk
        if (!overlong && carry.size() + rest.size() > kMaxJsonlLineBytes) {
          overlong = true;
          carry.clear();
          carry.shrink_to_fit();
        }
        if (!overlong) carry.append(rest);
        pos = len;
      }
      if (failed) return Status::Error;
      if (ended) return Status::End;
      size_t got = 0;
      const formats::ReadStatus s = dec.read(buf.data(), buf.size(), &got);
      stats.raw_bytes = dec.raw_bytes();
      stats.format = dec.format();
      switch (s) {
        case formats::ReadStatus::Data:
          pos = 0, len = got;
          if (need_sniff) {
            need_sniff = false;
            std::string why;
            if (sniff && !formats::looks_like_text(std::string_view(buf.data(), got), &why)) {
              const std::string fmt_name = dec.format();
              error = fmt_name == "plain" ? why : fmt::format("{} (in its {} data)", why, fmt_name);
              failed = true;
              pos = len = 0;
              return Status::Error;
            }
          }
          continue;
        case formats::ReadStatus::Wait:
          return Status::Wait;
        case formats::ReadStatus::Restart: {  // what was read of the old file ends; the new one is sniffed anew
          notice = dec.take_notice();
          need_sniff = true;
          if (overlong || !carry.empty()) {
            const Line l = end_line({}, ev);
            if (l != Line::Skip) return status(l);
          }
          continue;
        }
        case formats::ReadStatus::End: {
          ended = true;
          if (overlong || !carry.empty()) {
            const Line l = end_line({}, ev);
            if (l != Line::Skip) return status(l);
          }
          return Status::End;
        }
        case formats::ReadStatus::Error:
          error = dec.error();
          failed = true;
          return Status::Error;
      }
    }
  }

  formats::Decoder dec;
  JsonlParser parser;
  const std::string name;
  const bool sniff;
  std::vector<char> buf;
  size_t pos = 0, len = 0;
  std::string carry;      // the start of a line that spans chunks
  bool overlong = false;  // the current line passed kMaxJsonlLineBytes: its bytes are dropped up to its end
  bool need_sniff = true, ended = false, failed = false;
  uint64_t bad_line = 0;
  std::string error, notice;
  InputStats stats;
};

EventInput::EventInput(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventInput::~EventInput() = default;

Expected<std::unique_ptr<EventInput>> EventInput::open(const std::string& path, Interner& names,
                                                       const InputOptions& options) {
  if (path == "-")
    return std::unique_ptr<EventInput>(new EventInput(std::make_unique<Impl>(
        formats::open_fd_source(STDIN_FILENO, false, "", options.follow), "<stdin>", names, options)));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("cannot open events file: {}", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(
        "is a directory, not an events file: name the files in it (DIR/*.jsonl); several are merged in "
        "time order");
  }
  return std::unique_ptr<EventInput>(new EventInput(
      std::make_unique<Impl>(formats::open_fd_source(fd, true, path, options.follow), path, names, options)));
}

std::unique_ptr<EventInput> EventInput::from_stdio(std::FILE* in, const std::string& display, Interner& names,
                                                   const InputOptions& options) {
  return std::unique_ptr<EventInput>(
      new EventInput(std::make_unique<Impl>(formats::stdio_source(in), display, names, options)));
}

EventInput::Status EventInput::next(Event& ev) { return impl_->next(ev); }
uint64_t EventInput::line() const { return impl_->bad_line; }
const std::string& EventInput::error() const { return impl_->error; }
const std::string& EventInput::name() const { return impl_->name; }
const InputStats& EventInput::stats() const { return impl_->stats; }
int EventInput::wait_fd() const { return impl_->dec.raw().wait_fd(); }
std::string EventInput::take_notice() { return std::exchange(impl_->notice, {}); }

// ---------------------------------------------------------------- merging

MergedInput::MergedInput() = default;
MergedInput::~MergedInput() = default;

void MergedInput::add(std::unique_ptr<EventInput> input) {
  empty_.push_back(static_cast<uint32_t>(inputs_.size()));
  inputs_.push_back(Source{std::move(input), Event{}, false, false, false});
}

void MergedInput::push(size_t i) {
  heap_.push_back(static_cast<uint32_t>(i));
  std::push_heap(heap_.begin(), heap_.end(), [this](uint32_t a, uint32_t b) {
    const int64_t ta = inputs_[a].head.ts, tb = inputs_[b].head.ts;
    return ta != tb ? ta > tb : a > b;  // a min-heap by (ts, index)
  });
}

MergedInput::Status MergedInput::next(const Event** ev) {
  if (inputs_.size() == 1) {  // the common case: no heap
    Source& s = inputs_[0];
    if (s.ended) return Status::End;
    const Status st = s.in->next(s.head);
    if (st == Status::End || st == Status::Error) s.ended = true;
    *ev = &s.head;
    return st;
  }
  bool repolled = false;
  for (;;) {
    while (!empty_.empty()) {
      const size_t i = empty_.back();
      Source& s = inputs_[i];
      const Status st = s.in->next(s.head);
      if (st == Status::Bad) {  // the input still needs a head: it stays in empty_
        source_ = i;
        return st;
      }
      empty_.pop_back();
      switch (st) {
        case Status::Event:
          s.has_head = true, push(i);
          break;
        case Status::Wait:
          s.waiting = true;
          break;
        case Status::End:
          s.ended = true;
          break;
        default:
          s.ended = true, source_ = i;
          return st;  // Error: nothing more from it
      }
    }
    if (!repolled && (heap_.empty() || ++since_repoll_ >= kRepollEvery)) {
      since_repoll_ = 0;
      repolled = true;
      for (size_t i = 0; i < inputs_.size(); ++i)
        if (inputs_[i].waiting) inputs_[i].waiting = false, empty_.push_back(static_cast<uint32_t>(i));
      if (!empty_.empty()) continue;
    }
    break;
  }
  if (heap_.empty()) {
    const bool waiting = std::any_of(inputs_.begin(), inputs_.end(), [](const Source& s) { return s.waiting; });
    return waiting ? Status::Wait : Status::End;
  }
  std::pop_heap(heap_.begin(), heap_.end(), [this](uint32_t a, uint32_t b) {
    const int64_t ta = inputs_[a].head.ts, tb = inputs_[b].head.ts;
    return ta != tb ? ta > tb : a > b;
  });
  const size_t i = heap_.back();
  heap_.pop_back();
  source_ = i;
  inputs_[i].has_head = false;
  empty_.push_back(static_cast<uint32_t>(i));
  *ev = &inputs_[i].head;
  return Status::Event;
}

std::vector<int> MergedInput::wait_fds() const {
  std::vector<int> fds;
  for (const Source& s : inputs_)
    if (s.waiting && s.in->wait_fd() >= 0) fds.push_back(s.in->wait_fd());
  return fds;
}

// ---------------------------------------------------------------- replay_stream

bool replay_stream(std::FILE* in, Engine& engine, const std::function<void(uint64_t)>& progress, std::string* error) {
  InputOptions options;
  options.detect = false;  // a stream given as such is JSON Lines text, whatever its bytes
  const std::unique_ptr<EventInput> input = EventInput::from_stdio(in, "", engine.symbols(), options);
  Event ev;
  uint64_t next_progress = 8 << 20;
  for (;;) {
    switch (input->next(ev)) {
      case EventInput::Status::Event:
        engine.process(ev);
        break;
      case EventInput::Status::Bad:
        engine.note_bad_input(input->line(), input->error());
        break;
      case EventInput::Status::Error:
        *error = input->error();
        return false;
      default:
        if (progress) progress(input->stats().raw_bytes);
        return true;
    }
    if (progress && input->stats().raw_bytes >= next_progress) {
      progress(input->stats().raw_bytes);
      next_progress = input->stats().raw_bytes + (8 << 20);
    }
  }
}

}  // namespace dta
