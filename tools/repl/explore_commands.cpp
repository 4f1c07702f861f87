// The REPL's exploration commands: narrowing the selection (where, on,
// reset) and looking at it (count, top, stats, histogram, timeline, show,
// tail, names, fields, schema).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "../live_output.hpp"
#include "../replay_inputs.hpp"
#include "../replay_summary.hpp"
#include "dta/engine.hpp"
#include "expr_text.hpp"
#include "probe.hpp"
#include "session.hpp"

namespace dta::repl {
namespace {

// Rows a grouping command prints: a field with a million distinct values
// would bury the screen; the rest are counted in a last line.
constexpr size_t kMaxGroups = 1000;
// Events between two cancel checks in scans.
constexpr size_t kCheckEvery = 4096;
// Default rows of show/tail, and their upper bound (a typo of 10 million must not print them all).
constexpr size_t kDefaultShown = 10;
constexpr size_t kMaxShown = 10000;
// Field columns show/tail align: beyond, the rest are printed as k=v in one column.
constexpr size_t kMaxFieldColumns = 10;
// Width of the bars of histogram and timeline.
constexpr int kBarWidth = 40;
// Buckets timeline aims for when no `every D` is given.
constexpr int64_t kTimelineBuckets = 20;

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool parse_count(const std::string& s, size_t* n) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  *n = std::stoull(s);
  return true;
}

double percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t idx = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - (q > 0 ? 1 : 0);
  return sorted[std::min(idx, sorted.size() - 1)];
}

// A duration of about `ns` that reads well: 1, 2, 5 times a power of ten of a unit.
int64_t nice_duration(int64_t ns) {
  static constexpr int64_t kSteps[] = {
      1000000,       2000000,       5000000,        10000000,       20000000,      50000000,     100000000,
      200000000,     500000000,     1000000000,     2000000000,     5000000000,    10000000000,  15000000000,
      30000000000,   60000000000,   120000000000,   300000000000,   600000000000,  900000000000, 1800000000000,
      3600000000000, 7200000000000, 21600000000000, 43200000000000, 86400000000000};
  for (int64_t s : kSteps)
    if (s >= ns) return s;
  return kSteps[std::size(kSteps) - 1] * ((ns + kSteps[std::size(kSteps) - 1] - 1) / kSteps[std::size(kSteps) - 1]);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string plural(size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); }

}  // namespace

Reply Session::cmd_where(const std::string& expr, const std::string& line) {
  if (store_->size() == 0) return need_events();
  if (expr.empty())
    return Reply::failure("usage: where EXPR (any DTA expression: status >= 500 and service == \"cart\")");
  auto probe = Probe::where(prelude(), expr, line, line.size() - expr.size());
  if (!probe) return Reply::failure(probe.error());
  std::vector<uint32_t> kept;
  for (size_t k = 0; k < sel_.size(); ++k) {
    if (k % kCheckEvery == 0 && check("where", k, sel_.size()))
      return Reply::failure("interrupted: the selection is unchanged");
    if ((*probe)->matches(*store_, sel_[k])) kept.push_back(sel_[k]);
  }
  std::string warn;
  const std::vector<std::string> keys = store_->field_keys();
  for (const std::string& f : field_names_read(expr)) {
    const bool is_const = prog_ && std::any_of(prog_->named_consts.begin(), prog_->named_consts.end(),
                                               [&](const NamedConst& c) { return c.name == f; });
    if (is_const || std::binary_search(keys.begin(), keys.end(), f)) continue;
    std::string near;
    size_t best = 3;
    for (const std::string& k : keys) {
      std::vector<size_t> d(k.size() + 1);
      for (size_t j = 0; j <= k.size(); ++j) d[j] = j;
      for (size_t i = 1; i <= f.size(); ++i) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= k.size(); ++j) {
          const size_t cur = d[j];
          d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (f[i - 1] == k[j - 1] ? 0 : 1)});
          prev = cur;
        }
      }
      if (d[k.size()] < best) best = d[k.size()], near = k;
    }
    warn += fmt::format("warning: no loaded event carries a field '{}'{}\n", f,
                        near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  }
  const size_t before = sel_.size();
  sel_ = std::move(kept);
  narrowed_.push_back("where " + expr);
  return Reply::of(
      warn + fmt::format("{} of {} selected ({})\n", plural(sel_.size(), "event"), before, narrowed_.back()),
      boost::json::object{{"selected", sel_.size()}, {"before", before}});
}

Reply Session::cmd_on(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  std::string spaced = a;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');  // on db.open, http.request
  const std::vector<std::string> pats = words(spaced);
  if (pats.empty()) return Reply::failure("usage: on PATTERN... (db.open, db.*, *)");
  std::vector<bool> wanted(store_->symbols().size());
  size_t names = 0;
  for (uint32_t n : store_->event_names())
    for (const std::string& p : pats)
      if (event_pattern_matches(p, store_->symbol(n))) {
        wanted[n] = true;
        ++names;
        break;
      }
  if (names == 0) {
    std::string known;
    for (uint32_t n : store_->event_names()) known += (known.empty() ? "" : ", ") + std::string(store_->symbol(n));
    return Reply::failure(fmt::format("no loaded event name matches '{}' (names: {})", a, known));
  }
  const size_t before = sel_.size();
  std::erase_if(sel_, [&](uint32_t i) { return !wanted[store_->name(i)]; });
  narrowed_.push_back("on " + a);
  return Reply::of(fmt::format("{} of {} selected ({})\n", plural(sel_.size(), "event"), before, narrowed_.back()),
                   boost::json::object{{"selected", sel_.size()}, {"before", before}});
}

Reply Session::cmd_reset(const std::string&, const std::string&) {
  sel_.resize(store_->size());
  for (size_t i = 0; i < sel_.size(); ++i) sel_[i] = static_cast<uint32_t>(i);
  narrowed_.clear();
  return Reply::of(fmt::format("{} selected\n", plural(sel_.size(), "event")),
                   boost::json::object{{"selected", sel_.size()}});
}

Reply Session::cmd_count(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  std::vector<std::string> by = words(a);
  if (by.empty()) return Reply::of(fmt::format("{}\n", sel_.size()), boost::json::object{{"count", sel_.size()}});
  if (by[0] != "by" || by.size() < 2) return Reply::failure("usage: count [by F...]");
  by.erase(by.begin());
  for (std::string& f : by)
    if (!f.empty() && f.back() == ',') f.pop_back();
  std::vector<std::pair<std::string, uint64_t>> groups;  // the tuple's values joined by \x1f
  if (by.size() == 1 && (by[0] == "name" || by[0] == "event.name")) {
    std::vector<uint64_t> n(store_->symbols().size());
    for (uint32_t i : sel_) ++n[store_->name(i)];
    for (uint32_t id = 0; id < n.size(); ++id)
      if (n[id]) groups.emplace_back(std::string(store_->symbol(id)), n[id]);
  } else {
    std::unordered_map<std::string, uint64_t> m;
    std::string key, text;
    double num;
    std::vector<FieldRef> refs;
    for (const std::string& f : by) refs.push_back(resolve(f));
    for (size_t k = 0; k < sel_.size(); ++k) {
      if (k % kCheckEvery == 0 && cancelled()) return Reply::failure("interrupted");
      key.clear();
      for (size_t f = 0; f < by.size(); ++f) {
        if (f) key += '\x1f';
        key += value_of(sel_[k], refs[f], &text, &num) ? text : "<missing>";
      }
      ++m[key];
    }
    groups.assign(m.begin(), m.end());
  }
  std::sort(groups.begin(), groups.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  std::vector<std::string> cols = by;
  cols.push_back("count");
  cols.push_back("share");
  Table t(cols);
  for (size_t g = 0; g < groups.size() && g < kMaxGroups; ++g) {
    t.row();
    size_t b = 0;
    for (size_t f = 0; f < by.size(); ++f) {
      const size_t e = groups[g].first.find('\x1f', b);
      t.add(groups[g].first.substr(b, e == std::string::npos ? std::string::npos : e - b));
      b = e + 1;
    }
    t.add_int(static_cast<int64_t>(groups[g].second));
    const double share =
        sel_.empty() ? 0 : 100.0 * static_cast<double>(groups[g].second) / static_cast<double>(sel_.size());
    t.add(fmt::format("{:.1f}%", share), boost::json::value(share / 100), true);
  }
  std::string footer;
  if (groups.size() > kMaxGroups) footer = fmt::format("... {} more groups\n", groups.size() - kMaxGroups);
  return Reply::of(t, footer);
}

Reply Session::cmd_top(const std::string& a, const std::string& line) {
  const std::vector<std::string> w = words(a);
  size_t n = 0;
  if (w.size() != 2 || !parse_count(w[0], &n)) return Reply::failure("usage: top N F");
  Reply r = cmd_count("by " + w[1], line);
  if (!r.ok() || !r.json.is_array()) return r;
  boost::json::array& arr = r.json.as_array();
  if (arr.size() > n) arr.resize(n);
  // the text: the header and N rows
  size_t lines = 0, cut = 0;
  for (; cut < r.text.size() && lines < n + 1; ++cut)
    if (r.text[cut] == '\n') ++lines;
  r.text.resize(cut);
  return r;
}

Reply Session::cmd_stats(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  const std::vector<std::string> w = words(a);
  if (w.size() != 1) return Reply::failure("usage: stats F (a numeric field)");
  std::vector<double> v;
  std::string text;
  double num = 0;
  uint64_t missing = 0, other = 0;
  const FieldRef ref = resolve(w[0]);
  for (size_t k = 0; k < sel_.size(); ++k) {
    if (k % kCheckEvery == 0 && cancelled()) return Reply::failure("interrupted");
    if (!value_of(sel_[k], ref, nullptr, &num))
      ++missing;
    else if (std::isnan(num))
      ++other;
    else
      v.push_back(num);
  }
  if (v.empty())
    return Reply::failure(
        fmt::format("no selected event has a numeric '{}' ({} without it, {} not a number)", w[0], missing, other));
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  Table t({"field", "count", "min", "max", "mean", "p50", "p90", "p99"});
  t.row()
      .add(w[0])
      .add_int(static_cast<int64_t>(v.size()))
      .add_float(v.front())
      .add_float(v.back())
      .add_float(sum / static_cast<double>(v.size()))
      .add_float(percentile(v, 0.5))
      .add_float(percentile(v, 0.9))
      .add_float(percentile(v, 0.99));
  std::string footer;
  if (missing || other)
    footer = fmt::format("({} selected events without '{}'{})\n", missing, w[0],
                         other ? fmt::format(", {} with a value that is not a number", other) : "");
  return Reply::of(t, footer);
}

Reply Session::cmd_histogram(const std::string& a, const std::string& line) {
  if (store_->size() == 0) return need_events();
  const std::vector<std::string> w = words(a);
  size_t buckets = 10;
  if (w.empty() || w.size() > 2 || (w.size() == 2 && (!parse_count(w[1], &buckets) || buckets == 0 || buckets > 200)))
    return Reply::failure("usage: histogram F [BUCKETS] (1 to 200 buckets, default 10)");
  std::vector<double> v;
  std::string text;
  double num = 0;
  bool numeric = true;
  const FieldRef ref = resolve(w[0]);
  for (size_t k = 0; k < sel_.size(); ++k) {
    if (k % kCheckEvery == 0 && cancelled()) return Reply::failure("interrupted");
    if (!value_of(sel_[k], ref, nullptr, &num)) continue;
    if (std::isnan(num))
      numeric = false;
    else
      v.push_back(num);
  }
  if (!numeric || v.empty()) {  // strings: their counts as bars
    Reply r = cmd_count("by " + w[0], line);
    if (!r.ok() || !r.json.is_array()) return r;
    // the rows of count: {F: value, "count": n, "share": s}, the value first
    Table t({w[0], "count", ""});
    double max = 0;
    for (auto& row : r.json.as_array()) max = std::max(max, row.as_object()["count"].to_number<double>());
    size_t shown = 0;
    for (auto& row : r.json.as_array()) {
      if (++shown > buckets * 2) break;
      const auto& o = row.as_object();
      const double c = o.at("count").to_number<double>();
      const boost::json::value& first = o.begin()->value();
      t.row()
          .add(first.is_string() ? std::string(first.as_string()) : boost::json::serialize(first))
          .add_int(static_cast<int64_t>(c))
          .add(bar(c, max, kBarWidth), nullptr, false);
    }
    return Reply::of(t);
  }
  const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
  const double lo = *lo_it, hi = *hi_it;
  const double step = hi > lo ? (hi - lo) / static_cast<double>(buckets) : 1;
  std::vector<uint64_t> n(hi > lo ? buckets : 1);
  for (double x : v) n[std::min(n.size() - 1, static_cast<size_t>((x - lo) / step))]++;
  const double max = static_cast<double>(*std::max_element(n.begin(), n.end()));
  Table t({"from", "to", "count", ""});
  for (size_t b = 0; b < n.size(); ++b)
    t.row()
        .add_float(lo + step * static_cast<double>(b))
        .add_float(n.size() == 1 ? hi : lo + step * static_cast<double>(b + 1))
        .add_int(static_cast<int64_t>(n[b]))
        .add(bar(static_cast<double>(n[b]), max, kBarWidth), nullptr, false);
  return Reply::of(t);
}

Reply Session::cmd_timeline(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  const std::vector<std::string> w = words(a);
  std::string by;
  int64_t every = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    if (w[k] == "by" && k + 1 < w.size())
      by = w[++k];
    else if (w[k] == "every" && k + 1 < w.size()) {
      auto d = cli::parse_duration(w[++k]);
      if (!d || *d <= 0) return Reply::failure(fmt::format("every {}: not a duration (250ms, 10s, 5m, 1h)", w[k]));
      every = *d;
    } else {
      return Reply::failure("usage: timeline [by F] [every D]");
    }
  }
  if (sel_.empty()) return Reply::of("no events selected\n", boost::json::array());
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t i : sel_) lo = std::min(lo, store_->ts(i)), hi = std::max(hi, store_->ts(i));
  if (every == 0) every = nice_duration(std::max<int64_t>(1, (hi - lo) / kTimelineBuckets + 1));
  const int64_t first = floor_div(lo, every), last = floor_div(hi, every);
  if (last - first >= static_cast<int64_t>(kMaxGroups))
    return Reply::failure(fmt::format("every {} makes {} buckets, more than {}: use a longer one",
                                      format_duration(every), last - first + 1, kMaxGroups));
  const size_t nb = static_cast<size_t>(last - first + 1);
  std::vector<uint64_t> total(nb);
  // with `by`: the 4 most frequent values get a column each, the rest "other"
  constexpr size_t kSeries = 4;
  std::vector<std::string> series;
  std::vector<std::vector<uint64_t>> per;
  std::unordered_map<std::string, uint64_t> freq;
  std::string text;
  double num;
  const FieldRef ref = resolve(by);
  if (!by.empty()) {
    for (uint32_t i : sel_) ++freq[value_of(i, ref, &text, &num) ? text : "<missing>"];
    std::vector<std::pair<std::string, uint64_t>> f(freq.begin(), freq.end());
    std::sort(f.begin(), f.end(),
              [](auto& x, auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    for (size_t s = 0; s < f.size() && s < kSeries; ++s) series.push_back(f[s].first);
    if (f.size() > kSeries) series.push_back("other");
    per.assign(series.size(), std::vector<uint64_t>(nb));
  }
  for (size_t k = 0; k < sel_.size(); ++k) {
    if (k % kCheckEvery == 0 && cancelled()) return Reply::failure("interrupted");
    const uint32_t i = sel_[k];
    const size_t b = static_cast<size_t>(floor_div(store_->ts(i), every) - first);
    ++total[b];
    if (!by.empty()) {
      const std::string v = value_of(i, ref, &text, &num) ? text : "<missing>";
      auto it = std::find(series.begin(), series.end(), v);
      ++per[it == series.end() || (it - series.begin()) >= static_cast<long>(kSeries) ? series.size() - 1
                                                                                      : it - series.begin()][b];
    }
  }
  const double max = static_cast<double>(*std::max_element(total.begin(), total.end()));
  std::vector<std::string> cols = {"time", "count"};
  for (const std::string& s : series) cols.push_back(s);
  cols.push_back("");
  Table t(cols);
  for (size_t b = 0; b < nb; ++b) {
    const int64_t start = (first + static_cast<int64_t>(b)) * every;
    t.row().add(cli::format_ts(start), boost::json::value(start), false).add_int(static_cast<int64_t>(total[b]));
    for (size_t s = 0; s < series.size(); ++s) t.add_int(static_cast<int64_t>(per[s][b]));
    t.add(bar(static_cast<double>(total[b]), max, kBarWidth), nullptr, false);
  }
  return Reply::of(t, fmt::format("(every {})\n", format_duration(every)));
}

namespace {

// The events `picked` as a table: number, time, name, then their fields in
// columns (in order of first appearance), missing ones blank.
template <class Redacted>
Table event_table(const EventStore& store, const std::vector<uint32_t>& picked, const Redacted& redacted) {
  std::vector<uint32_t> keys;
  for (uint32_t i : picked)
    for (const Field& f : store.fields(i))
      if (std::find(keys.begin(), keys.end(), f.key) == keys.end()) keys.push_back(f.key);
  const bool rest = keys.size() > kMaxFieldColumns;
  std::vector<std::string> cols = {"#", "time", "name"};
  for (size_t k = 0; k < keys.size() && k < kMaxFieldColumns; ++k) cols.emplace_back(store.symbol(keys[k]));
  if (rest) cols.push_back("more");
  Table t(cols);
  for (uint32_t i : picked) {
    t.row()
        .add_int(i + 1)
        .add(cli::format_ts(store.ts(i)), boost::json::value(store.ts(i)), false)
        .add(std::string(store.name_text(i)));
    std::string more;
    for (size_t k = 0; k < keys.size(); ++k) {
      const Field* f = store.find(i, keys[k]);
      if (k >= kMaxFieldColumns) {
        if (f)
          more += fmt::format("{}{}={}", more.empty() ? "" : " ", store.symbol(keys[k]),
                              redacted(i, keys[k]) ? std::string("<redacted>") : store.value_text(*f));
        continue;
      }
      if (!f) {
        t.add("", nullptr, false);
        continue;
      }
      if (redacted(i, keys[k])) {
        t.add("<redacted>");
        continue;
      }
      const Value v = store.value(*f);
      boost::json::value j;
      switch (v.type) {
        case Type::Int:
          j = v.i;
          break;
        case Type::Float:
          j = std::isfinite(v.f) ? boost::json::value(v.f) : boost::json::value(nullptr);
          break;
        case Type::Bool:
          j = v.b;
          break;
        default:
          j = boost::json::string(v.str());
          break;
      }
      t.add(store.value_text(*f), std::move(j), v.type == Type::Int || v.type == Type::Float);
    }
    if (rest) t.add(more);
  }
  return t;
}

}  // namespace

Reply Session::cmd_show(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  size_t n = kDefaultShown;
  if (!a.empty() && !parse_count(a, &n)) return Reply::failure("usage: show [N]");
  n = std::min(n, kMaxShown);
  std::vector<uint32_t> picked(sel_.begin(), sel_.begin() + static_cast<long>(std::min(n, sel_.size())));
  std::string footer =
      sel_.size() > picked.size() ? fmt::format("({} of {} selected)\n", picked.size(), sel_.size()) : "";
  return Reply::of(event_table(*store_, picked, [this](size_t i, uint32_t k) { return redacted(i, k); }), footer);
}

Reply Session::cmd_tail(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  size_t n = kDefaultShown;
  if (!a.empty() && !parse_count(a, &n)) return Reply::failure("usage: tail [N]");
  n = std::min(n, kMaxShown);
  std::vector<uint32_t> picked(sel_.end() - static_cast<long>(std::min(n, sel_.size())), sel_.end());
  std::string footer =
      sel_.size() > picked.size() ? fmt::format("(last {} of {} selected)\n", picked.size(), sel_.size()) : "";
  return Reply::of(event_table(*store_, picked, [this](size_t i, uint32_t k) { return redacted(i, k); }), footer);
}

Reply Session::cmd_names(const std::string&, const std::string& line) {
  if (store_->size() == 0) return need_events();
  return cmd_count("by name", line);
}

Reply Session::cmd_fields(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  if (a.empty() || a.find(' ') != std::string::npos) return Reply::failure("usage: fields EVENT");
  const uint32_t name = store_->find_symbol(a);
  if (name == Interner::kNone || store_->with_name(name).empty())
    return Reply::failure(fmt::format("no loaded event is named '{}' ('names' lists them)", a));
  const double total = static_cast<double>(store_->with_name(name).size());
  Table t({"field", "type", "present", "share"});
  for (const EventStore::FieldUse& u : store_->field_uses(name)) {
    std::string types;
    static constexpr const char* kTypes[] = {"int", "float", "string", "bool"};
    for (int k = 0; k < 4; ++k)
      if (u.by_type[k]) types += (types.empty() ? "" : "|") + std::string(kTypes[k]);
    const double share = static_cast<double>(u.present) / total;
    t.row()
        .add(std::string(store_->symbol(u.key)))
        .add(types)
        .add_int(static_cast<int64_t>(u.present))
        .add(fmt::format("{:.1f}%", 100 * share), boost::json::value(share), true);
  }
  return Reply::of(t, fmt::format("({} events named {})\n", static_cast<uint64_t>(total), a));
}

Reply Session::cmd_schema(const std::string& a, const std::string&) {
  if (store_->size() == 0) return need_events();
  std::vector<uint32_t> names;
  for (const std::string& w : words(a)) {
    const uint32_t n = store_->find_symbol(w);
    if (n == Interner::kNone || store_->with_name(n).empty())
      return Reply::failure(fmt::format("no loaded event is named '{}'", w));
    names.push_back(n);
  }
  if (names.empty()) {
    names = store_->event_names();
    std::sort(names.begin(), names.end(),
              [&](uint32_t x, uint32_t y) { return store_->symbol(x) < store_->symbol(y); });
  }
  std::string out;
  boost::json::object j;
  for (uint32_t n : names) {
    const std::string_view name = store_->symbol(n);
    if (name == Interner::kOther) continue;
    out += fmt::format("event {} {{\n", cli::escape_for_terminal(name));
    boost::json::object fj;
    for (const EventStore::FieldUse& u : store_->field_uses(n)) {
      static constexpr const char* kTypes[] = {"int", "float", "string", "bool"};
      int best = 0;
      for (int k = 1; k < 4; ++k)
        if (u.by_type[k] > u.by_type[best]) best = k;
      std::string note;
      if (u.by_type[0] && u.by_type[1] && !u.by_type[2] && !u.by_type[3]) {
        best = 1;  // ints and floats: a float field
      } else {
        for (int k = 0; k < 4; ++k)
          if (k != best && u.by_type[k])
            note += fmt::format("{}{} in {} events", note.empty() ? "  // also " : ", ", kTypes[k], u.by_type[k]);
      }
      const std::string key(store_->symbol(u.key));
      const std::vector<Token> toks = tokenize(key);
      const bool ident =
          toks.size() == 2 && toks[0].kind == Token::Name && toks[0].text == key && key.find('.') == std::string::npos;
      const std::string shown = cli::escape_for_terminal(key);
      if (ident)
        out += fmt::format("    {}: {}{}\n", shown, kTypes[best], note);
      else
        out += fmt::format("    // {}: {} (not a name: read it with field(\"{}\"))\n", shown, kTypes[best], shown);
      fj[key] = kTypes[best];
    }
    out += "}\n";
    j[name] = std::move(fj);
  }
  return Reply::of(out, j);
}

}  // namespace dta::repl
