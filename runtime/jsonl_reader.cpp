// JSON Lines reader: Boost.JSON parses each line into a reused monotonic
// buffer; the DOM is turned into an Event and forgotten.
#include "dta/jsonl.hpp"

#include <boost/json.hpp>
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

struct JsonlParser::Impl {
  explicit Impl(Interner& n) : names(n) {}
  Interner& names;
  unsigned char buffer[16384];
  boost::json::parser parser;
};

JsonlParser::JsonlParser(Interner& names) : impl_(std::make_unique<Impl>(names)) {}
JsonlParser::~JsonlParser() = default;

// A valid event name: identifier segments joined by single dots.
static bool valid_name(std::string_view s) {
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

bool JsonlParser::parse(std::string_view line, Event& ev, std::string* error) {
  namespace json = boost::json;
  Impl& m = *impl_;
  json::monotonic_resource mr(m.buffer, sizeof m.buffer);
  m.parser.reset(&mr);
  boost::system::error_code ec;
  m.parser.write(line.data(), line.size(), ec);
  if (ec) {
    *error = fmt::format("invalid JSON: {}", ec.message());
    return false;
  }
  const json::value root = m.parser.release();
  const json::object* obj = root.if_object();
  if (!obj) {
    *error = "not a JSON object";
    return false;
  }
  ev.clear();
  const json::value* ts = obj->if_contains("ts");
  if (!ts) {
    *error = "missing \"ts\"";
    return false;
  }
  if (ts->is_int64()) {
    ev.ts = ts->get_int64();
  } else if (ts->is_uint64()) {
    *error = "\"ts\" out of range";
    return false;
  } else if (ts->is_string()) {
    const auto& s = ts->get_string();
    if (!parse_rfc3339(std::string_view(s.data(), s.size()), &ev.ts)) {
      *error = fmt::format("\"ts\" is not an RFC 3339 time: \"{}\"", std::string_view(s.data(), std::min<size_t>(s.size(), 64)));
      return false;
    }
  } else {
    *error = "\"ts\" must be an integer (ns) or an RFC 3339 string";
    return false;
  }
  const json::value* name = obj->if_contains("name");
  if (!name || !name->is_string()) {
    *error = "missing or non-string \"name\"";
    return false;
  }
  const std::string_view nm(name->get_string().data(), name->get_string().size());
  if (!valid_name(nm)) {
    *error = fmt::format("invalid event name \"{}\"", nm.substr(0, 64));
    return false;
  }
  ev.name = m.names.intern(nm);
  if (const json::value* id = obj->if_contains("id"); id && !id->is_null()) {
    if (!id->is_int64()) {
      *error = "\"id\" must be an integer";
      return false;
    }
    ev.has_id = true;
    ev.id = id->get_int64();
  }
  if (const json::value* sev = obj->if_contains("severity"); sev && !sev->is_null()) {
    if (!sev->is_string() ||
        !parse_severity(std::string_view(sev->get_string().data(), sev->get_string().size()), ev.severity)) {
      *error = "\"severity\" must be one of debug, info, warning, error, critical";
      return false;
    }
  }
  if (const json::value* fields = obj->if_contains("fields"); fields && !fields->is_null()) {
    const json::object* fo = fields->if_object();
    if (!fo) {
      *error = "\"fields\" must be an object";
      return false;
    }
    for (const auto& kv : *fo) {
      const uint32_t key = m.names.intern(std::string_view(kv.key().data(), kv.key().size()));
      const json::value& v = kv.value();
      switch (v.kind()) {
        case json::kind::int64: ev.add_int(key, v.get_int64()); break;
        case json::kind::uint64: ev.add_float(key, static_cast<double>(v.get_uint64())); break;
        case json::kind::double_: ev.add_float(key, v.get_double()); break;
        case json::kind::string: ev.add_string(key, std::string_view(v.get_string().data(), v.get_string().size())); break;
        case json::kind::bool_: ev.add_bool(key, v.get_bool()); break;
        case json::kind::null: break;  // absent
        default:
          *error = fmt::format("field \"{}\" is an array or object; fields are int, float, string or bool",
                               std::string_view(kv.key().data(), std::min<size_t>(kv.key().size(), 64)));
          return false;
      }
    }
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
