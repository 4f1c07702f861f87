// The bytes of one input, decompressed: a file descriptor (file, pipe,
// terminal) or a stdio stream underneath, gzip or zstd recognised from the
// first bytes, other compressed and binary formats named and refused.
// Private to runtime/formats (event_input.cpp reads lines from it).
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace dta::formats {

// What read() found.
enum class ReadStatus : uint8_t {
  Data,     // bytes
  Wait,     // following: nothing more for now
  Restart,  // following: the file was truncated or replaced; what comes next starts it anew
  End,      // the input ended
  Error,    // it cannot be read: error() says why
};

// A source of raw bytes.
class RawSource {
 public:
  virtual ~RawSource() = default;
  // Up to n bytes into buf (*got of them): Data, Wait, Restart, End or Error.
  virtual ReadStatus read(char* buf, size_t n, size_t* got) = 0;
  // A descriptor poll() reports readable when data waits (pipes, terminals), or -1.
  virtual int wait_fd() const { return -1; }
  // The size of a regular file, else 0.
  virtual uint64_t size() const { return 0; }
  std::string error;   // after Error
  std::string notice;  // after Restart: what happened
};

// A file or standard input by descriptor. `follow`: at the end of a regular
// file, Wait (and watch for truncation and replacement by `path`); a pipe or
// terminal is polled so that reading never blocks.
std::unique_ptr<RawSource> open_fd_source(int fd, bool owned, const std::string& path, bool follow);
// A stdio stream (not closed).
std::unique_ptr<RawSource> stdio_source(std::FILE* in);

// Bytes after decompression, with the format found in the first bytes.
class Decoder {
 public:
  Decoder(std::unique_ptr<RawSource> raw, bool detect);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  // Up to n decoded bytes into buf (*got of them).
  ReadStatus read(char* buf, size_t n, size_t* got);
  const std::string& error() const { return error_; }
  std::string take_notice();
  // "plain", "gzip", "zstd", or "" while unknown.
  const char* format() const;
  uint64_t raw_bytes() const { return raw_bytes_; }
  RawSource& raw() { return *raw_; }

  struct Codec;

 private:
  ReadStatus fill();    // more raw bytes into raw_buf_
  ReadStatus detect();  // sets codec_ from the first bytes
  ReadStatus decode(char* buf, size_t n, size_t* got);
  ReadStatus fail(std::string message);

  std::unique_ptr<RawSource> raw_;
  const bool detect_;
  std::unique_ptr<Codec> codec_;  // null while the format is unknown (or plain)
  int format_ = -1;               // index into the format table, -1 unknown
  std::string raw_buf_;
  size_t raw_pos_ = 0, raw_len_ = 0;
  bool raw_ended_ = false;
  uint64_t raw_bytes_ = 0;
  std::string error_, notice_;
};

// Whether the first decoded bytes of an input are text that could be JSON
// Lines; when not, *why says what they are ("binary data, not JSON Lines (a
// NUL byte at offset 12)", "an ELF executable, not JSON Lines", "UTF-16 text,
// not UTF-8: convert it first (...)").
bool looks_like_text(std::string_view head, std::string* why);

}  // namespace dta::formats
