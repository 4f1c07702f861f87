// .dtb writer and bounds-checked reader, driven by the Program's schema
// (schema.hpp): each record's `fields` function lists its fields in file
// order, and three walkers run it: the Writer, the Reader, and the Sizer,
// which measures a record with empty lists and strings (the smallest it can
// be on disk) so the reader can refuse a count that the bytes left cannot
// hold. Numbers are host-endian; enums and flags are one byte; a string or a
// list is a u32 count and its items.
#include "dta/dtb.hpp"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

#include "program/schema.hpp"

namespace dta {
namespace {

using schema::fields;
using schema::kItemName;
using schema::Ref;

constexpr char kMagic[4] = {'D', 'T', 'B', '\x1a'};
constexpr uint64_t kMaxCount = 1u << 24;  // no table is this long in a real policy
// Lists inside lists: the deepest in the layout is machines > states >
// transitions > actions > entries. A deeper file is crafted (constants nest
// their items), and reading it would recurse once per few bytes.
constexpr int kMaxNesting = 6;

// ---------------------------------------------------------------- walkers

class Writer : public schema::Walker<Writer> {
 public:
  static constexpr bool kReads = false;
  template <class N>
  void num(const N& v, Ref ref = {}) {
    if constexpr (std::is_same_v<N, uint16_t>)
      if (ref.wide) return num(uint32_t{v});
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void flag(bool v) { out += v ? '\1' : '\0'; }
  template <class E>
  void enumeration(E v) {
    out += static_cast<char>(v);
  }
  void str(const std::string& s) {
    num(static_cast<uint32_t>(s.size()));
    out += s;
  }
  template <class T>
  void list(const std::vector<T>& v) {
    num(static_cast<uint32_t>(v.size()));
    for (size_t i = 0; i < v.size(); ++i) value(v[i], {}, i);
  }
  // Exactly n items and no count (the count is another field's).
  template <class T>
  void sized(const char*, const std::vector<T>& v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const T item = i < v.size() ? v[i] : T{};
      value(item, {}, i);
    }
  }
  template <class T>
  void record(const T& rec, size_t) {
    fields(*this, rec);
  }
  std::string out;
};

// The smallest size of a record on disk: its fields with empty lists and strings.
class Sizer : public schema::Walker<Sizer> {
 public:
  static constexpr bool kReads = false;
  template <class N>
  void num(const N&, Ref ref = {}) {
    n += std::is_same_v<N, uint16_t> && ref.wide ? 4 : sizeof(N);
  }
  void flag(bool) { n += 1; }
  template <class E>
  void enumeration(E) {
    n += 1;
  }
  void str(const std::string&) { n += 4; }
  template <class T>
  void list(const std::vector<T>&) {
    n += 4;
  }
  template <class T>
  void sized(const char*, const std::vector<T>&, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const T item{};
      value(item);
    }
  }
  template <class T>
  void record(const T& rec, size_t) {
    fields(*this, rec);
  }
  size_t n = 0;
};

template <class T>
size_t min_size() {
  Sizer s;
  const T item{};
  s.value(item);
  return s.n;
}

class Reader : public schema::Walker<Reader> {
 public:
  static constexpr bool kReads = true;
  explicit Reader(std::string_view b) : b_(b) {}
  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }
  size_t left() const { return b_.size() - pos_; }

  void at(const char* field) { path_.at(field); }
  template <class N>
  void num(N& v, Ref ref = {}) {
    if constexpr (std::is_same_v<N, uint16_t>) {
      if (ref.wide) {  // a u32 on disk that indexes a 16-bit table (constants)
        uint32_t w = 0;
        num(w);
        if (w > UINT16_MAX) fail(fmt::format("constant index {} out of range", w));
        v = static_cast<uint16_t>(ok() ? w : 0);
        return;
      }
    }
    raw(&v, sizeof v);
  }
  void flag(bool& v) {
    uint8_t b = 0;
    raw(&b, 1);
    if (b > 1) fail(fmt::format("flag byte {} is not 0 or 1", b));
    v = b == 1;
  }
  template <class E>
  void enumeration(E& v) {
    uint8_t b = 0;
    raw(&b, 1);
    if (b >= enum_count<E>()) fail(fmt::format("{} {} out of range", enum_what<E>(), b));
    v = ok() ? static_cast<E>(b) : E{};
  }
  void str(std::string& s) {
    const uint32_t n = count(1, "string byte", false);
    if (!ok()) return;
    s.assign(b_.substr(pos_, n));
    pos_ += n;
  }
  template <class T>
  void list(std::vector<T>& v) {
    if (++depth_ > kMaxNesting) fail("lists nest too deeply");
    const uint32_t n = count(min_size<T>(), kItemName<T>, true);
    v.resize(ok() ? n : 0);
    for (size_t i = 0; i < v.size() && ok(); ++i) value(v[i], {}, i);
    --depth_;
  }
  template <class T>
  void sized(const char* name, std::vector<T>& v, size_t n) {
    if (!ok()) return;
    at(name);
    v.resize(n);
    for (size_t i = 0; i < v.size() && ok(); ++i) value(v[i], {}, i);
  }
  template <class T>
  void record(T& rec, size_t index) {
    path_.push(rec, index);
    fields(*this, rec);
    path_.pop();
  }

  // Records the first problem, with the field being read and where it starts.
  void fail(const std::string& msg) {
    if (ok()) err_ = fmt::format("{}, in {} (at byte {})", msg, path_.text(), kDtbHeaderBytes + field_at_);
  }

 private:
  // A count of items of at least `min_size` bytes each, checked against what
  // is left (and, for lists, against kMaxCount).
  uint32_t count(size_t min_size, const char* what, bool is_list) {
    uint32_t n = 0;
    num(n);
    if (ok() && ((is_list && n > kMaxCount) || uint64_t{n} * min_size > left()))
      fail(fmt::format("{} count {} does not fit in the {} bytes left", what, n, left()));
    return ok() ? n : 0;
  }
  void raw(void* p, size_t n) {
    field_at_ = pos_;
    if (ok() && left() < n) fail("the payload ends inside a field");
    if (!ok()) {
      std::memset(p, 0, n);
      return;
    }
    std::memcpy(p, b_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view b_;
  size_t pos_ = 0;
  size_t field_at_ = 0;  // where the last field read starts
  int depth_ = 0;
  schema::Path path_;
  std::string err_;
};

}  // namespace

uint64_t dtb_checksum(std::string_view payload) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a-64
  for (unsigned char ch : payload) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

std::string dtb_with_header(std::string_view payload) {
  std::string out(kMagic, 4);
  out.append(reinterpret_cast<const char*>(&kDtbVersion), 4);
  const uint64_t size = payload.size(), sum = dtb_checksum(payload);
  out.append(reinterpret_cast<const char*>(&size), 8);
  out.append(reinterpret_cast<const char*>(&sum), 8);
  out.append(payload);
  return out;
}

bool looks_like_dtb(std::string_view bytes) { return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0; }

std::string save_dtb(const Program& p) {
  Writer w;
  fields(w, p);
  return dtb_with_header(w.out);
}

Expected<std::unique_ptr<Program>> load_dtb(std::string_view bytes) {
  if (bytes.size() < kDtbHeaderBytes || !looks_like_dtb(bytes)) return fail("not a .dtb file (bad magic)");
  uint32_t version = 0;
  uint64_t size = 0, sum = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&size, bytes.data() + 8, 8);
  std::memcpy(&sum, bytes.data() + 16, 8);
  if (version != kDtbVersion)
    return fail(fmt::format("unsupported .dtb version {} (this build reads {})", version, kDtbVersion));
  if (size != bytes.size() - kDtbHeaderBytes)
    return fail(fmt::format("truncated .dtb: header says {} bytes, file has {}", size, bytes.size() - kDtbHeaderBytes));
  const std::string_view payload = bytes.substr(kDtbHeaderBytes);
  if (dtb_checksum(payload) != sum) return fail(".dtb checksum mismatch (the file is corrupted)");

  Reader r(payload);
  auto p = std::make_unique<Program>();
  fields(r, *p);
  if (!r.ok()) return fail("malformed .dtb payload: " + r.error());
  if (r.left() != 0) return fail(fmt::format("malformed .dtb payload: {} trailing bytes after the program", r.left()));
  return p;
}

}  // namespace dta
