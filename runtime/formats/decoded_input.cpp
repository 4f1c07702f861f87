// Raw byte sources (descriptors, stdio streams), format detection from the
// first bytes, gzip and zstd decompression, and the text-or-binary sniff.
#include "decoded_input.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <utility>

namespace dta::formats {
namespace {

// Raw bytes read at a time. A compressed input holds one such buffer (a
// plain one only until its format is known), so hundreds of inputs merged
// still fit in memory; larger reads do not make the parser faster.
constexpr size_t kRawChunk = size_t{128} << 10;
// Bytes the text-or-binary sniff looks at: git's heuristic (a NUL byte in
// the first 8000 bytes means binary) on a round number.
constexpr size_t kSniffBytes = 8192;
// Below this many bytes the share of non-text bytes says nothing.
constexpr size_t kSniffMinForShare = 32;

// ---------------------------------------------------------------- sources

class FdSource : public RawSource {
 public:
  FdSource(int fd, bool owned, std::string path, bool follow)
      : fd_(fd), owned_(owned), path_(std::move(path)), follow_(follow) {
    struct stat st {};
    if (fstat(fd_, &st) == 0) {
      regular_ = S_ISREG(st.st_mode);
      dev_ = st.st_dev, ino_ = st.st_ino;
      if (regular_) size_ = static_cast<uint64_t>(st.st_size);
    }
  }
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  ReadStatus read(char* buf, size_t n, size_t* got) override {
    *got = 0;
    if (follow_ && !regular_) {  // never block: the caller polls wait_fd() with its own timeout
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) return ReadStatus::Wait;
    }
    for (;;) {
      const ssize_t k = ::read(fd_, buf, n);
      if (k > 0) {
        *got = static_cast<size_t>(k);
        offset_ += *got;
        return ReadStatus::Data;
      }
      if (k < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadStatus::Wait;
        error = errno == EISDIR ? "is a directory" : std::strerror(errno);
        return ReadStatus::Error;
      }
      if (!follow_ || !regular_) return ReadStatus::End;
      const ReadStatus s = at_end_of_file();
      if (s != ReadStatus::Data) return s;  // Data: read again (the old file, then the new one)
    }
  }
  int wait_fd() const override { return regular_ ? -1 : fd_; }
  uint64_t size() const override { return size_; }

 private:
  // Following a regular file at its end: truncated (read it again from the
  // start), replaced under its path (read what the old one still has, then
  // the new one), or Wait.
  ReadStatus at_end_of_file() {
    struct stat st {};
    if (fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < offset_) {
      ::lseek(fd_, 0, SEEK_SET);
      offset_ = 0;
      size_ = static_cast<uint64_t>(st.st_size);
      notice = "truncated: reading it again from the start";
      return ReadStatus::Restart;
    }
    struct stat now {};
    if (path_.empty() || ::stat(path_.c_str(), &now) != 0 || (now.st_dev == dev_ && now.st_ino == ino_))
      return ReadStatus::Wait;
    if (!drained_) {  // the writer may have added to the old file after our last read
      drained_ = true;
      return ReadStatus::Data;
    }
    const int nfd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (nfd < 0) return ReadStatus::Wait;
    if (owned_) ::close(fd_);
    fd_ = nfd, owned_ = true, offset_ = 0, drained_ = false;
    dev_ = now.st_dev, ino_ = now.st_ino, size_ = static_cast<uint64_t>(now.st_size);
    notice = "replaced (rotated): following the new file";
    return ReadStatus::Restart;
  }

  int fd_;
  bool owned_;
  const std::string path_;
  const bool follow_;
  bool regular_ = false, drained_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  uint64_t offset_ = 0, size_ = 0;
};

class StdioSource : public RawSource {
 public:
  explicit StdioSource(std::FILE* in) : in_(in) {}
  ReadStatus read(char* buf, size_t n, size_t* got) override {
    *got = std::fread(buf, 1, n, in_);
    if (*got) return ReadStatus::Data;
    if (std::ferror(in_)) {
      error = "read error";
      return ReadStatus::Error;
    }
    return ReadStatus::End;
  }

 private:
  std::FILE* in_;
};

// ---------------------------------------------------------------- formats

// Formats recognised by their first bytes: read (gzip, zstd) or named and
// refused with how to read them.
struct FormatRow {
  const char* name;
  std::string_view magic;
  const char* refusal;  // nullptr: decompressed here
};
using namespace std::string_view_literals;
constexpr FormatRow kFormats[] = {
    {"gzip", "\x1f\x8b"sv, nullptr},
    {"zstd", "\x28\xb5\x2f\xfd"sv, nullptr},
    {"xz", "\xfd\x37\x7a\x58\x5a\x00"sv, "xz-compressed data: decompress it first (xz -dc FILE)"},
    {"bzip2", "BZh"sv, "bzip2-compressed data: decompress it first (bzip2 -dc FILE)"},
    {"lz4", "\x04\x22\x4d\x18"sv, "lz4-compressed data: decompress it first (lz4 -dc FILE)"},
    {"compress", "\x1f\x9d"sv, "compress (.Z) data: decompress it first (gzip -dc FILE)"},
    {"zip", "PK\x03\x04"sv, "a zip archive: extract the events file first (unzip -p ARCHIVE FILE)"},
    {"7z", "7z\xbc\xaf\x27\x1c"sv, "a 7-Zip archive: extract the events file first (7z e -so ARCHIVE FILE)"},
};
constexpr int kGzip = 0, kZstd = 1;
constexpr const char* kPlain = "plain";

// Binary formats named in the message when the sniff finds binary data.
struct BinaryRow {
  std::string_view magic;
  const char* what;
};
constexpr BinaryRow kBinaries[] = {
    {"\x7f"
     "ELF"sv,
     "an ELF executable"},
    {"%PDF-"sv, "a PDF document"},
    {"SQLite format 3\0"sv, "an SQLite database"},
    {"\x89PNG"sv, "a PNG image"},
    {"\xff\xd8\xff"sv, "a JPEG image"},
};

}  // namespace

std::unique_ptr<RawSource> open_fd_source(int fd, bool owned, const std::string& path, bool follow) {
  return std::make_unique<FdSource>(fd, owned, path, follow);
}
std::unique_ptr<RawSource> stdio_source(std::FILE* in) { return std::make_unique<StdioSource>(in); }

// ---------------------------------------------------------------- codecs

// One decompressor: decodes from `in` into `out`, saying how much of each it
// used; false with *err on corrupt data.
struct Decoder::Codec {
  virtual ~Codec() = default;
  virtual bool step(const char* in, size_t in_len, size_t* used, char* out, size_t out_len, size_t* produced,
                    std::string* err) = 0;
  // Whether a member or frame has started and not ended (the data is cut).
  virtual bool mid_stream() const = 0;
};

namespace {

// gzip, several members one after the other (`cat a.gz b.gz`) included, and
// the zero padding some tools append.
class GzipCodec : public Decoder::Codec {
 public:
  GzipCodec() { ok_ = inflateInit2(&z_, 15 + 16) == Z_OK; }  // 15: the largest window; +16: gzip only
  ~GzipCodec() override {
    if (ok_) inflateEnd(&z_);
  }
  bool step(const char* in, size_t in_len, size_t* used, char* out, size_t out_len, size_t* produced,
            std::string* err) override {
    *used = *produced = 0;
    if (!ok_) {
      *err = "out of memory for gzip decompression";
      return false;
    }
    if (ended_) {  // after a member: another member, or padding
      if (in_len == 0) return true;
      if (static_cast<unsigned char>(in[0]) != 0x1f) {
        if (std::all_of(in, in + in_len, [](char c) { return c == 0; })) {
          *used = in_len;
          return true;
        }
        *err = "data after the end of the gzip stream";
        return false;
      }
      inflateReset(&z_);
      ended_ = false;
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z_.avail_in = static_cast<uInt>(in_len);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(out_len);
    const int r = inflate(&z_, Z_NO_FLUSH);
    *used = in_len - z_.avail_in;
    *produced = out_len - z_.avail_out;
    if (r == Z_STREAM_END) {
      ended_ = true;
      started_ = false;
      return true;
    }
    if (r == Z_OK || r == Z_BUF_ERROR) {
      started_ = started_ || *used > 0;
      return true;
    }
    *err = fmt::format("corrupt gzip data ({})", z_.msg ? z_.msg : zError(r));
    return false;
  }
  bool mid_stream() const override { return started_; }

 private:
  z_stream z_{};
  bool ok_ = false, ended_ = false, started_ = false;
};

// zstd, several frames one after the other included.
class ZstdCodec : public Decoder::Codec {
 public:
  ZstdCodec() : d_(ZSTD_createDCtx()) {}
  ~ZstdCodec() override { ZSTD_freeDCtx(d_); }
  bool step(const char* in, size_t in_len, size_t* used, char* out, size_t out_len, size_t* produced,
            std::string* err) override {
    *used = *produced = 0;
    if (!d_) {
      *err = "out of memory for zstd decompression";
      return false;
    }
    ZSTD_inBuffer ib{in, in_len, 0};
    ZSTD_outBuffer ob{out, out_len, 0};
    const size_t r = ZSTD_decompressStream(d_, &ob, &ib);
    *used = ib.pos;
    *produced = ob.pos;
    if (ZSTD_isError(r)) {
      *err = fmt::format("corrupt zstd data ({})", ZSTD_getErrorName(r));
      return false;
    }
    if (*used || *produced) pending_ = r != 0;
    return true;
  }
  bool mid_stream() const override { return pending_; }

 private:
  ZSTD_DCtx* d_;
  bool pending_ = false;  // the last call left a frame unfinished
};

}  // namespace

// ---------------------------------------------------------------- decoder

Decoder::Decoder(std::unique_ptr<RawSource> raw, bool detect) : raw_(std::move(raw)), detect_(detect) {
  if (!detect_) format_ = static_cast<int>(std::size(kFormats));  // plain
}
Decoder::~Decoder() = default;

const char* Decoder::format() const {
  if (format_ < 0) return "";
  return format_ < static_cast<int>(std::size(kFormats)) ? kFormats[format_].name : kPlain;
}

std::string Decoder::take_notice() { return std::exchange(notice_, {}); }

ReadStatus Decoder::fail(std::string message) {
  error_ = std::move(message);
  return ReadStatus::Error;
}

ReadStatus Decoder::fill() {
  if (raw_pos_ > 0) {  // keep what is left at the front
    raw_buf_.erase(0, raw_pos_);
    raw_len_ -= raw_pos_;
    raw_pos_ = 0;
  }
  if (raw_buf_.size() < kRawChunk) raw_buf_.resize(kRawChunk);
  if (raw_len_ == raw_buf_.size()) return ReadStatus::Data;  // full: the codec has enough to go on
  size_t got = 0;
  const ReadStatus s = raw_->read(raw_buf_.data() + raw_len_, raw_buf_.size() - raw_len_, &got);
  raw_len_ += got;
  raw_bytes_ += got;
  if (s == ReadStatus::Error) error_ = raw_->error;
  if (s == ReadStatus::Restart) notice_ = raw_->notice;
  if (s == ReadStatus::End) raw_ended_ = true;
  return s;
}

ReadStatus Decoder::detect() {
  for (;;) {
    const std::string_view head(raw_buf_.data() + raw_pos_, raw_len_ - raw_pos_);
    bool undecided = false;
    for (size_t i = 0; i < std::size(kFormats) && format_ < 0; ++i) {
      const std::string_view magic = kFormats[i].magic;
      if (head.size() >= magic.size()) {
        if (head.substr(0, magic.size()) == magic) format_ = static_cast<int>(i);
      } else if (magic.substr(0, head.size()) == head && !raw_ended_) {
        undecided = true;  // could still be this format: wait for more bytes
      }
    }
    if (format_ < 0 && !undecided) format_ = static_cast<int>(std::size(kFormats));  // plain
    if (format_ >= 0) {
      if (format_ < static_cast<int>(std::size(kFormats)) && kFormats[format_].refusal)
        return fail(kFormats[format_].refusal);
      if (format_ == kGzip) codec_ = std::make_unique<GzipCodec>();
      if (format_ == kZstd) codec_ = std::make_unique<ZstdCodec>();
      return ReadStatus::Data;
    }
    const ReadStatus s = fill();
    if (s == ReadStatus::End) continue;  // decide on what there is
    if (s != ReadStatus::Data) return s;
  }
}

ReadStatus Decoder::read(char* buf, size_t n, size_t* got) {
  *got = 0;
  if (format_ < 0) {
    if (raw_ended_ && raw_pos_ == raw_len_) return ReadStatus::End;
    const ReadStatus s = detect();
    if (s == ReadStatus::Restart) {
      raw_pos_ = raw_len_ = 0;
      return s;
    }
    if (s != ReadStatus::Data) return s;
  }
  if (!codec_) {  // plain: what detection read, then straight from the source
    if (raw_pos_ < raw_len_) {
      *got = std::min(n, raw_len_ - raw_pos_);
      std::memcpy(buf, raw_buf_.data() + raw_pos_, *got);
      raw_pos_ += *got;
      if (raw_pos_ == raw_len_) {  // the buffer is not needed any more
        raw_pos_ = raw_len_ = 0;
        std::string().swap(raw_buf_);
      }
      return ReadStatus::Data;
    }
    if (raw_ended_) return ReadStatus::End;
    const ReadStatus s = raw_->read(buf, n, got);
    raw_bytes_ += *got;
    if (s == ReadStatus::Error) error_ = raw_->error;
    if (s == ReadStatus::End) raw_ended_ = true;
    if (s == ReadStatus::Restart) {
      notice_ = raw_->notice;
      if (detect_) format_ = -1;  // a new file: its own format
    }
    return s;
  }
  return decode(buf, n, got);
}

ReadStatus Decoder::decode(char* buf, size_t n, size_t* got) {
  for (;;) {
    size_t used = 0, produced = 0;
    std::string err;
    if (!codec_->step(raw_buf_.data() + raw_pos_, raw_len_ - raw_pos_, &used, buf, n, &produced, &err))
      return fail(std::move(err));
    raw_pos_ += used;
    if (produced) {
      *got = produced;
      return ReadStatus::Data;
    }
    if (used) continue;
    if (raw_ended_) {
      if (raw_pos_ < raw_len_ || codec_->mid_stream())
        return fail(fmt::format("truncated {} data: the file ends inside compressed data", format()));
      return ReadStatus::End;
    }
    const ReadStatus s = fill();
    if (s == ReadStatus::End || s == ReadStatus::Data) continue;
    if (s == ReadStatus::Restart) {  // a new file: detect its format again
      codec_.reset();
      format_ = -1;
      raw_pos_ = raw_len_ = 0;
    }
    return s;
  }
}

// ---------------------------------------------------------------- sniff

bool looks_like_text(std::string_view head, std::string* why) {
  static constexpr const char* kUtf16 = "UTF-16 text, not UTF-8: convert it first (iconv -f UTF-16 -t UTF-8 FILE)";
  head = head.substr(0, kSniffBytes);
  if (head.substr(0, 2) == "\xff\xfe"sv || head.substr(0, 2) == "\xfe\xff"sv) {
    *why = kUtf16;
    return false;
  }
  for (const BinaryRow& b : kBinaries)
    if (head.substr(0, b.magic.size()) == b.magic) {
      *why = fmt::format("{}, not JSON Lines", b.what);
      return false;
    }
  const size_t nul = head.find('\0');
  if (nul != std::string_view::npos) {
    size_t even = 0, odd = 0;  // UTF-16 without a byte order mark: every other byte of ASCII text is NUL
    for (size_t i = 0; i < head.size(); ++i)
      if (head[i] == '\0') ++(i % 2 ? odd : even);
    if (head.size() >= 4 && std::max(even, odd) * 2 >= head.size() * 9 / 10 && std::min(even, odd) == 0)
      *why = kUtf16;
    else
      *why = fmt::format("binary data, not JSON Lines (a NUL byte at offset {})", nul);
    return false;
  }
  if (head.size() < kSniffMinForShare) return true;
  size_t odd_bytes = 0;  // control characters JSON text never holds raw, and bytes that are not UTF-8
  for (size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) {
      ++odd_bytes;
    } else if (c == 0x7f) {
      ++odd_bytes;
    } else if (c >= 0x80) {  // a UTF-8 sequence: a lead byte and its continuation bytes
      size_t need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xC2 && c <= 0xDF ? 1 : 0;
      size_t k = 1;
      while (k <= need && i + k < head.size() && (static_cast<unsigned char>(head[i + k]) & 0xC0) == 0x80) ++k;
      if (need == 0 || (k <= need && i + k < head.size())) {
        ++odd_bytes;
      } else {
        i += k - 1;
      }
    }
  }
  if (odd_bytes * 10 > head.size() * 3) {  // over 30%: no text file looks like this
    *why = fmt::format("binary data, not JSON Lines ({}% of its first {} bytes are not text)",
                       odd_bytes * 100 / head.size(), head.size());
    return false;
  }
  return true;
}

}  // namespace dta::formats
