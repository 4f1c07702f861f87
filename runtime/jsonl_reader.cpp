// JSON Lines reader: Boost.JSON parses each line into a reused monotonic
// buffer; the DOM is turned into an Event and forgotten.
#include "dta/jsonl.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <cstring>
#include <fmt/format.h>

namespace dta {
namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool parse_rfc3339(std::string_view s, int64_t* ns) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &h) ||
      s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec))
    return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || sec > 60) return false;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return false;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59)
      return false;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;  // RFC 3339 requires an offset
  }
  if (pos != s.size()) return false;
  const int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                       h * 3600 + mi * 60 + sec - offset_s;
  if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1) return false;
  *ns = secs * 1000000000 + frac;
  return true;
}

namespace {

// A valid event name: identifier segments joined by single dots.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 1024) return false;
  bool start = true;
  for (char c : s) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (c == '.') {
      if (start) return false;
      start = true;
    } else if (alpha || (digit && !start)) {
      start = false;
    } else {
      return false;
    }
  }
  return !start;
}

std::string_view clip(std::string_view s) { return s.substr(0, 64); }

// Boost.JSON SAX handler: fills an Event straight from the parser's callbacks
// (no DOM). Keys at depth 1 are the event's parts, keys at depth 2 under
// "fields" its fields; anything else is skipped.
class EventHandler {
 public:
  static constexpr std::size_t max_object_size = 1 << 20;
  static constexpr std::size_t max_array_size = 1 << 20;
  static constexpr std::size_t max_key_size = 1 << 20;
  static constexpr std::size_t max_string_size = 1u << 30;

  explicit EventHandler(Interner& names) : names_(names) {}

  void start(Event* ev) {
    ev_ = ev;
    ev_->clear();
    depth_ = 0;
    top_ = Top::Other;
    in_fields_ = have_ts_ = have_name_ = false;
    error_.clear();
  }
  // After a successful parse: what is still missing, or "".
  bool finish() {
    if (!have_ts_) return fail("missing \"ts\"");
    if (!have_name_) return fail("missing or non-string \"name\"");
    return true;
  }
  const std::string& error() const { return error_; }

  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t& ec) {
    ++depth_;
    if (depth_ == 2 && top_ == Top::Fields) in_fields_ = true;
    else if (depth_ == 2 && top_ != Top::Other) return wrong(ec);
    else if (depth_ == 3 && in_fields_) return bad_field(ec);
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    if (--depth_ == 1) in_fields_ = false;
    return true;
  }
  bool on_array_begin(ec_t& ec) {
    ++depth_;
    if (depth_ == 1) return fail("not a JSON object", ec);
    if (depth_ == 2 && top_ != Top::Other) return wrong(ec);
    if (depth_ == 3 && in_fields_) return bad_field(ec);
    return true;
  }
  bool on_array_end(std::size_t, ec_t&) {
    --depth_;
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    if (depth_ <= 2) part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, ec_t&) {
    std::string_view key(s.data(), s.size());
    if (!part_.empty()) {
      part_.append(key);
      key = part_;
    }
    if (depth_ == 1) top_ = classify(key);
    else if (depth_ == 2 && in_fields_) key_ = names_.intern(key), key_text_ = key.substr(0, 64);
    part_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, ec_t&) {
    if (depth_ <= 2) part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, ec_t& ec) {
    std::string_view v(s.data(), s.size());
    if (!part_.empty()) {
      part_.append(v);
      v = part_;
    }
    const bool ok = string_value(v, ec);
    part_.clear();
    return ok;
  }
  bool on_number_part(boost::json::string_view, ec_t&) { return true; }
  bool on_int64(int64_t i, boost::json::string_view, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (field()) ev_->add_int(key_, i);
    else if (depth_ == 1) return top_int(i, ec);
    return true;
  }
  bool on_uint64(uint64_t u, boost::json::string_view, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (field()) ev_->add_float(key_, static_cast<double>(u));
    else if (depth_ == 1 && top_ == Top::Ts) return fail("\"ts\" out of range", ec);
    else if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_double(double d, boost::json::string_view, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (field()) ev_->add_float(key_, d);
    else if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_bool(bool b, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (field()) ev_->add_bool(key_, b);
    else if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_null(ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (depth_ == 1 && (top_ == Top::Ts || top_ == Top::Name)) return wrong(ec);
    return true;  // an absent id, severity, fields or field
  }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }

 private:
  enum class Top { Ts, Name, Id, Severity, Fields, Other };

  static Top classify(std::string_view k) {
    if (k == "ts") return Top::Ts;
    if (k == "name") return Top::Name;
    if (k == "id") return Top::Id;
    if (k == "severity") return Top::Severity;
    if (k == "fields") return Top::Fields;
    return Top::Other;
  }
  bool field() const { return in_fields_ && depth_ == 2; }

  bool fail(std::string msg) {
    error_ = std::move(msg);
    return false;
  }
  bool fail(std::string msg, ec_t& ec) {
    ec = boost::json::error::syntax;
    return fail(std::move(msg));
  }
  // The value of a known top-level key has the wrong JSON type.
  bool wrong(ec_t& ec) {
    switch (top_) {
      case Top::Ts: return fail("\"ts\" must be an integer (ns) or an RFC 3339 string", ec);
      case Top::Name: return fail("missing or non-string \"name\"", ec);
      case Top::Id: return fail("\"id\" must be an integer", ec);
      case Top::Severity: return fail("\"severity\" must be one of debug, info, warning, error, critical", ec);
      case Top::Fields: return fail("\"fields\" must be an object", ec);
      case Top::Other: break;
    }
    return true;
  }
  bool bad_field(ec_t& ec) {
    return fail(fmt::format("field \"{}\" is an array or object; fields are int, float, string or bool", key_text_), ec);
  }

  bool top_int(int64_t i, ec_t& ec) {
    switch (top_) {
      case Top::Ts: ev_->ts = i; have_ts_ = true; return true;
      case Top::Id: ev_->has_id = true; ev_->id = i; return true;
      case Top::Other: return true;
      default: return wrong(ec);
    }
  }

  bool string_value(std::string_view v, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (field()) {
      ev_->add_string(key_, v);
      return true;
    }
    if (depth_ != 1) return true;
    switch (top_) {
      case Top::Ts:
        if (!parse_rfc3339(v, &ev_->ts)) return fail(fmt::format("\"ts\" is not an RFC 3339 time: \"{}\"", clip(v)), ec);
        have_ts_ = true;
        return true;
      case Top::Name:
        if (!valid_name(v)) return fail(fmt::format("invalid event name \"{}\"", clip(v)), ec);
        ev_->name = names_.intern(v);
        have_name_ = true;
        return true;
      case Top::Severity:
        if (!parse_severity(v, ev_->severity)) return wrong(ec);
        return true;
      case Top::Other: return true;
      default: return wrong(ec);
    }
  }

  Interner& names_;
  Event* ev_ = nullptr;
  int depth_ = 0;
  Top top_ = Top::Other;
  bool in_fields_ = false, have_ts_ = false, have_name_ = false;
  uint32_t key_ = 0;
  std::string key_text_, part_, error_;
};

}  // namespace

struct JsonlParser::Impl {
  explicit Impl(Interner& n) : parser(boost::json::parse_options{}, n) {}
  boost::json::basic_parser<EventHandler> parser;
};

JsonlParser::JsonlParser(Interner& names) : impl_(std::make_unique<Impl>(names)) {}
JsonlParser::~JsonlParser() = default;

bool JsonlParser::parse(std::string_view line, Event& ev, std::string* error) {
  auto& p = impl_->parser;
  p.reset();
  p.handler().start(&ev);
  boost::system::error_code ec;
  const size_t used = p.write_some(false, line.data(), line.size(), ec);
  if (!ec && !p.done()) ec = boost::json::error::incomplete;
  if (!ec && line.find_first_not_of(" \t\r", used) != std::string_view::npos) ec = boost::json::error::extra_data;
  if (ec) {
    *error = p.handler().error().empty() ? fmt::format("invalid JSON: {}", ec.message()) : p.handler().error();
    return false;
  }
  if (!p.handler().finish()) {
    *error = p.handler().error();
    return false;
  }
  return true;
}

bool replay_stream(std::FILE* in, Engine& engine, const std::function<void(uint64_t)>& progress,
                   std::string* error) {
  JsonlParser parser(engine.symbols());
  Event ev;
  std::string err, carry;
  std::vector<char> buf(1 << 20);
  uint64_t line_no = 0, bytes = 0, next_progress = 8 << 20;
  auto handle = [&](std::string_view line) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank lines are not events
    if (parser.parse(line, ev, &err)) engine.process(ev);
    else engine.note_bad_input(line_no, err);
  };
  for (;;) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n == 0) break;
    bytes += n;
    std::string_view chunk(buf.data(), n);
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(chunk.data() + start, '\n', chunk.size() - start);
      if (!nl) break;
      const size_t end = static_cast<const char*>(nl) - chunk.data();
      if (carry.empty()) {
        handle(chunk.substr(start, end - start));
      } else {
        carry.append(chunk.substr(start, end - start));
        handle(carry);
        carry.clear();
      }
      start = end + 1;
    }
    carry.append(chunk.substr(start));
    if (progress && bytes >= next_progress) {
      progress(bytes);
      next_progress = bytes + (8 << 20);
    }
  }
  if (!carry.empty()) handle(carry);
  if (progress) progress(bytes);
  if (std::ferror(in)) {
    *error = "read error";
    return false;
  }
  return true;
}

}  // namespace dta
