// `:why RULE N` and `:whynot RULE N`: what a rule or machine made of event N.
// For a rule: whether its patterns select the event, the value of every
// sub-expression of its `where` for that event, each `when` block's window
// at that event (the events in it, from the loaded stream, and the
// aggregate's value against the threshold), and what replaying events 1..N
// produced (matched, fired, findings, alerts raised and held back by dedup,
// a budget that turned it off). For a machine: its instance's state for the
// event's key before and after the event.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "../live_output.hpp"
#include "../replay_inputs.hpp"
#include "../replay_summary.hpp"
#include "dta/engine.hpp"
#include "expr_text.hpp"
#include "probe.hpp"
#include "session.hpp"

namespace dta::repl {
namespace {

// Sub-expressions shown for one `where`: a long one is cut there.
constexpr size_t kMaxSubExprs = 40;
// Events a window scan looks back over at most (beyond, the window is shown as incomplete).
constexpr size_t kMaxWindowScan = 200000;
// Event numbers of a window listed (the rest are counted).
constexpr size_t kListedWindowEvents = 12;
// Events between two cancel checks while replaying.
constexpr size_t kCheckEvery = 4096;
// The probe event's name: no policy names it, so no rule or machine takes it.
constexpr std::string_view kProbeEvent = "__repl.probe";

template <class Redacted>
std::string fields_text(const EventStore& store, size_t i, const Redacted& redacted) {
  std::string out;
  for (const Field& f : store.fields(i))
    out += fmt::format(" {}={}", store.symbol(f.key),
                       redacted(i, f.key) ? std::string("<redacted>") : store.value_text(f));
  return cli::escape_for_terminal(out);
}

// `expr` with every `event.name` replaced by the string literal `name` (the probe event has another name).
std::string with_event_name(const std::string& expr, std::string_view name) {
  std::string out;
  size_t last = 0;
  for (const Token& t : tokenize(expr))
    if (t.kind == Token::Name && t.text == "event.name") {
      out += expr.substr(last, t.begin - last) + "\"" + std::string(name) + "\"";
      last = t.end;
    }
  return out + expr.substr(last);
}

bool uses_state(const std::string& expr) {
  const std::vector<Token> toks = tokenize(expr);
  for (size_t k = 0; k + 1 < toks.size(); ++k)
    if (toks[k].text == "state" && toks[k + 1].text == "(") return true;
  return false;
}

double to_number(const std::string& s, bool* ok) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  *ok = !s.empty() && end && *end == '\0';
  return v;
}

// The policy's `drop` filters, to tell which stored events the engine never
// saw (a window holds only what passed them). Sampling is not replayed here:
// it is noted instead.
class DropFilters {
 public:
  DropFilters(const Program& prog, const std::string& prelude) {
    std::vector<std::string> wheres;
    for (const Filter& f : prog.filters) {
      if (f.kind == FilterKind::Sample) sampled_.push_back(&f);
      if (f.kind == FilterKind::Sample) continue;
      filters_.push_back(&f);
      const SourceFile& src = prog.sources[std::min<size_t>(f.loc.file, prog.sources.size() - 1)];
      const std::string w = rule_text(src.text, f.loc.line, f.loc.col).where;
      where_of_.push_back(w.empty() ? SIZE_MAX : wheres.size());
      if (!w.empty()) wheres.push_back(w);
    }
    if (!wheres.empty())
      if (auto p = Probe::values(prelude, wheres)) probe_ = std::move(*p);
  }
  // The drop filter that stops event i, or "".
  std::string dropped_by(const EventStore& store, size_t i) { return apply(store, i, nullptr); }
  // The fields redact filters remove from event i (and the drop filter that stops it, or "").
  std::string apply(const EventStore& store, size_t i, std::vector<std::string>* redacted) {
    std::vector<std::string> v;
    for (size_t k = 0; k < filters_.size(); ++k) {
      const Filter& f = *filters_[k];
      if (!std::any_of(f.patterns.begin(), f.patterns.end(),
                       [&](const std::string& p) { return event_pattern_matches(p, store.name_text(i)); }))
        continue;
      if (where_of_[k] != SIZE_MAX) {
        if (!probe_) continue;
        if (v.empty()) v = probe_->eval(store, i);
        if (v[where_of_[k]] != "true") continue;
      }
      if (f.kind == FilterKind::Drop) return f.name;
      if (redacted) redacted->insert(redacted->end(), f.fields.begin(), f.fields.end());
    }
    return "";
  }
  // The sample filters that take events named like event i.
  std::string sampled(const EventStore& store, size_t i) const {
    std::string out;
    for (const Filter* f : sampled_)
      if (std::any_of(f->patterns.begin(), f->patterns.end(),
                      [&](const std::string& p) { return event_pattern_matches(p, store.name_text(i)); }))
        out += (out.empty() ? "" : ", ") + f->name;
    return out;
  }

 private:
  std::vector<const Filter*> filters_, sampled_;
  std::vector<size_t> where_of_;
  std::unique_ptr<Probe> probe_;
};

}  // namespace

Reply Session::cmd_why(const std::string& a, const std::string&) { return why(a, false); }
Reply Session::cmd_whynot(const std::string& a, const std::string&) { return why(a, true); }

Reply Session::why(const std::string& args, bool not_fired) {
  const char* usage = not_fired ? "usage: :whynot RULE N (N: the event's number, as show prints it)"
                                : "usage: :why RULE N (N: the event's number, as show prints it)";
  std::istringstream in(args);
  std::string unit, num;
  if (!(in >> unit >> num) || !std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      num.size() > 10)
    return Reply::failure(usage);
  if (!prog_) return Reply::failure("no policy: :load FILE, or type a rule");
  if (store_->size() == 0) return need_events();
  const size_t n = std::stoull(num);
  if (n < 1 || n > store_->size())
    return Reply::failure(fmt::format("no event {}: events are numbered 1 to {}", n, store_->size()));
  const size_t idx = n - 1;
  const Rule* rule = nullptr;
  const Machine* mach = nullptr;
  for (const Rule& r : prog_->rules)
    if (r.name == unit) rule = &r;
  for (const Machine& m : prog_->machines)
    if (m.name == unit) mach = &m;
  if (!rule && !mach) return Reply::failure(fmt::format("no rule or machine named '{}' (:rules lists them)", unit));

  std::string out = fmt::format("event #{}  {}  {}{}\n", n, cli::format_ts(store_->ts(idx)), store_->name_text(idx),
                                fields_text(*store_, idx, [this](size_t i, uint32_t k) { return redacted(i, k); }));
  boost::json::object j{{"event", n}, {"name", std::string(store_->name_text(idx))}, {"unit", unit}};

  // What the engine did: events 1..N through the session policy (under its profile).
  EngineOptions eo;
  eo.profile = profile_;
  eo.max_kept_findings = 0;
  std::vector<Finding> at_n_findings;
  std::vector<Alert> at_n_alerts;
  bool at_n = false;
  eo.on_finding = [&](const Finding& f) {
    if (at_n && f.rule == unit) at_n_findings.push_back(f);
  };
  eo.on_alert = [&](const Alert& al) {
    if (at_n && al.rule == unit) at_n_alerts.push_back(al);
  };
  std::string err;
  auto engine = Engine::create(prog_, eo, &err);
  if (!engine) return Reply::failure(err);
  Event ev;
  std::vector<uint32_t> map;
  uint64_t fired_before = 0;
  for (size_t i = 0; i <= idx; ++i) {
    if (i % kCheckEvery == 0 && check(":why", i, idx + 1)) return Reply::failure("interrupted");
    if (i == idx) {
      for (const RuleReport& rr : engine->report().rules)
        if (rr.name == unit) fired_before = rr.fired;
      at_n = true;
    }
    store_->to_event(i, ev, engine->symbols(), map);
    engine->process(ev);
  }
  at_n = false;
  const Report rep = engine->report();
  const RuleReport* rr = nullptr;
  for (const RuleReport& r : rep.rules)
    if (r.name == unit) rr = &r;

  // The probe: sub-expression values, through the session's constants (and
  // for state(), a second replay of 1..N-1 with a probe rule added).
  std::vector<std::string> exprs;
  std::vector<SubExpr> subs;
  std::string where;
  DropFilters drops(*prog_, prelude());
  std::vector<std::string> removed_n;  // what redact filters take from event N before the rules see it
  drops.apply(*store_, idx, &removed_n);
  std::string windows_text;
  if (rule) {
    const SourceFile& src = prog_->sources[std::min<size_t>(rule->loc.file, prog_->sources.size() - 1)];
    RuleText rt = rule_text(src.text, rule->loc.line, rule->loc.col);
    where = rt.where;
    if (!where.empty()) subs = sub_expressions(where, kMaxSubExprs);
    for (const SubExpr& s : subs) exprs.push_back(where.substr(s.begin, s.end - s.begin));
    std::string on;
    for (const std::string& p : rule->patterns) on += (on.empty() ? "" : ", ") + p;
    const bool selected = std::any_of(rule->patterns.begin(), rule->patterns.end(), [&](const std::string& p) {
      return event_pattern_matches(p, store_->name_text(idx));
    });
    out += fmt::format("rule {} on {}{}\n", unit, on, where.empty() ? "" : " where " + where);
    const std::string dropper = drops.dropped_by(*store_, idx);
    out += fmt::format("  selected: {}\n",
                       !dropper.empty() ? fmt::format("no: filter {} drops the event before any rule sees it", dropper)
                       : selected       ? fmt::format("yes ({} matches {})", store_->name_text(idx), on)
                                        : fmt::format("no: {} does not match {}", store_->name_text(idx), on));
    if (!removed_n.empty()) {
      std::string list;
      for (const std::string& f : removed_n) list += (list.empty() ? "" : ", ") + f;
      out += fmt::format("  note: a redact filter removes {} before the rules see the event\n", list);
    }
    if (const std::string s = drops.sampled(*store_, idx); !s.empty())
      out += fmt::format("  note: filter {} samples these events: the engine sees only some of them\n", s);
    j["selected"] = selected && dropper.empty();
    if (!dropper.empty()) j["dropped_by"] = dropper;
    std::string& wout = windows_text;
    // the rule's when blocks: their windows at event N
    boost::json::array wj;
    for (const RuleText::When& w : rt.whens) {
      std::vector<std::string> wexprs = {where.empty() ? "true" : where, w.arg.empty() ? "0" : w.arg};
      for (const std::string& k : w.by) wexprs.push_back(k);
      auto probe = Probe::values(prelude(), wexprs);
      auto consts = Probe::values(prelude(), {w.span, w.threshold});
      if (!probe || !consts) {
        wout += fmt::format("  when {}({}) ...: cannot evaluate it here\n", w.agg, w.arg);
        continue;
      }
      const std::vector<std::string> cv = (*consts)->eval(*store_, idx);
      bool okn = false;
      const double span = to_number(cv[0], &okn);
      bool okt = false;
      const double threshold = to_number(cv[1], &okt);
      const std::vector<std::string> mine = (*probe)->eval(*store_, idx, &removed_n);
      std::string keytext;
      for (size_t k = 0; k < w.by.size(); ++k) keytext += fmt::format("{}{}={}", k ? " " : "", w.by[k], mine[2 + k]);
      const std::string head = fmt::format("  when {}({}) {} {} {} {}{}", w.agg, w.arg, w.sliding ? "over" : "every",
                                           w.span, w.cmp, w.threshold, keytext.empty() ? "" : " [" + keytext + "]");
      if (!okn || span <= 0) {
        wout += head + ": its window length did not evaluate\n";
        continue;
      }
      const int64_t d = static_cast<int64_t>(span);
      const int64_t tn = store_->ts(idx);
      const int64_t lo = w.sliding ? tn - d : (tn >= 0 ? tn / d : (tn - d + 1) / d) * d - 1;  // exclusive
      std::vector<size_t> in_window;
      std::vector<double> values;
      std::set<std::string> distinct;
      bool complete = true;
      for (size_t k = idx + 1, scanned = 0; k-- > 0;) {
        if (store_->ts(k) <= lo) break;
        if (++scanned > kMaxWindowScan) {
          complete = false;
          break;
        }
        if (!std::any_of(rule->patterns.begin(), rule->patterns.end(),
                         [&](const std::string& p) { return event_pattern_matches(p, store_->name_text(k)); }))
          continue;
        if (!drops.dropped_by(*store_, k).empty()) continue;
        std::vector<std::string> removed_k;
        drops.apply(*store_, k, &removed_k);
        const std::vector<std::string> v = (*probe)->eval(*store_, k, &removed_k);
        if (v[0] != "true") continue;
        bool same = true;
        for (size_t b = 2; b < v.size(); ++b) same = same && v[b] == mine[b];
        if (!same) continue;
        in_window.push_back(k);
        bool okv = false;
        const double x = to_number(v[1], &okv);
        if (okv) values.push_back(x);
        distinct.insert(v[1]);
      }
      std::reverse(in_window.begin(), in_window.end());
      std::sort(values.begin(), values.end());
      double value = NAN;
      const double cnt = static_cast<double>(in_window.size());
      auto quant = [&](double q) {
        return values.empty() ? NAN
                              : values[std::min(values.size() - 1,
                                                static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) -
                                                    (q > 0 ? 1 : 0))];
      };
      double sum = 0;
      for (double x : values) sum += x;
      if (w.agg == "count")
        value = cnt;
      else if (w.agg == "rate")
        value = cnt / (span / 1e9);
      else if (w.agg == "sum")
        value = sum;
      else if (w.agg == "avg")
        value = values.empty() ? NAN : sum / static_cast<double>(values.size());
      else if (w.agg == "min")
        value = values.empty() ? NAN : values.front();
      else if (w.agg == "max")
        value = values.empty() ? NAN : values.back();
      else if (w.agg == "distinct")
        value = static_cast<double>(distinct.size());
      else if (w.agg == "p50")
        value = quant(0.5);
      else if (w.agg == "p90")
        value = quant(0.9);
      else if (w.agg == "p95")
        value = quant(0.95);
      else if (w.agg == "p99")
        value = quant(0.99);
      std::string listed;
      for (size_t k = 0; k < in_window.size() && k < kListedWindowEvents; ++k)
        listed += fmt::format(" #{}", in_window[k] + 1);
      if (in_window.size() > kListedWindowEvents)
        listed += fmt::format(" ... ({} more)", in_window.size() - kListedWindowEvents);
      bool holds = false;
      if (!std::isnan(value) && okt) {
        const std::string& c = w.cmp;
        holds = c == ">"    ? value > threshold
                : c == ">=" ? value >= threshold
                : c == "<"  ? value < threshold
                : c == "<=" ? value <= threshold
                : c == "==" ? value == threshold
                            : value != threshold;
      }
      wout += head + "\n";
      wout += fmt::format("    window {}: {} selected event{}{}{}\n",
                          w.sliding ? fmt::format("({}, {}]", cli::format_ts(tn - d), cli::format_ts(tn))
                                    : fmt::format("[{}, ...) so far", cli::format_ts(lo + 1)),
                          in_window.size(), in_window.size() == 1 ? "" : "s", listed.empty() ? "" : ":" + listed,
                          complete ? "" : " (scan cut short: the window holds more)");
      wout += fmt::format("    value: {} {} {}: {}{}\n",
                          std::isnan(value) ? std::string("none") : cli::format_number(value), w.cmp, cv[1],
                          holds ? "true" : "false",
                          w.sliding ? " (a sliding window fires when this turns true, once until it turns false again)"
                                    : " (evaluated when the window closes)");
      wj.push_back(
          boost::json::object{{"when", head.substr(2)},
                              {"events", in_window.size()},
                              {"value", std::isnan(value) ? boost::json::value(nullptr) : boost::json::value(value)},
                              {"condition", holds}});
    }
    j["windows"] = std::move(wj);
  } else {
    out += fmt::format("machine {} by {}\n", unit, mach->key);
    exprs = {fmt::format("state({}, {})", unit, mach->key), mach->key};
  }

  // sub-expression values (and a machine's state before the event)
  std::vector<std::string> values;
  std::string state_after;
  if (!exprs.empty()) {
    const bool replay = mach || uses_state(where);
    if (!replay) {
      auto probe = Probe::values(prelude(), exprs);
      if (probe)
        values = (*probe)->eval(*store_, idx, &removed_n);
      else
        out += "  (its where cannot be evaluated alone: " + probe.error() + ")\n";
    } else {
      std::string tmpl;
      for (size_t k = 0; k < exprs.size(); ++k)
        tmpl += (k ? "\\u{1F}" : "") + std::string("{(") + with_event_name(exprs[k], store_->name_text(idx)) + ")}";
      auto prog = compile(fmt::format("rule __repl_why on {} {{ ok \"{}\" }}\n", kProbeEvent, tmpl), nullptr);
      if (!prog) return Reply::failure("cannot evaluate the sub-expressions: " + prog.error());
      EngineOptions po;
      po.profile = profile_;
      po.max_kept_findings = 0;
      std::string msg;
      po.on_finding = [&](const Finding& f) {
        if (f.rule == "__repl_why") msg = f.message;
      };
      auto pe = Engine::create(*prog, po, &err);
      if (!pe) return Reply::failure(err);
      std::vector<uint32_t> pmap;
      for (size_t i = 0; i < idx; ++i) {
        if (i % kCheckEvery == 0 && check(":why (state)", i, idx)) return Reply::failure("interrupted");
        store_->to_event(i, ev, pe->symbols(), pmap);
        pe->process(ev);
      }
      store_->to_event(idx, ev, pe->symbols(), pmap);
      ev.name = pe->symbols().intern(kProbeEvent);
      for (const std::string& f : removed_n) ev.remove(pe->symbols().intern(f));
      pe->process(ev);
      if (mach) {  // the event itself, then the state it left
        const std::string before = msg;
        store_->to_event(idx, ev, pe->symbols(), pmap);
        pe->process(ev);
        msg.clear();
        store_->to_event(idx, ev, pe->symbols(), pmap);
        ev.name = pe->symbols().intern(kProbeEvent);
        pe->process(ev);
        state_after = msg.substr(0, msg.find('\x1f'));
        msg = before;
      }
      for (size_t b = 0, k = 0; k < exprs.size(); ++k) {
        const size_t e = msg.find('\x1f', b);
        values.push_back(msg.empty() ? std::string(kMissing)
                                     : msg.substr(b, e == std::string::npos ? std::string::npos : e - b));
        b = e == std::string::npos ? msg.size() : e + 1;
      }
    }
  }
  if (rule && !subs.empty() && values.size() == exprs.size()) {
    Table t({"expression", "value"});
    boost::json::array sj;
    for (size_t k = 0; k < subs.size(); ++k) {
      if (subs[k].literal) continue;
      // a value computed from a field the session's schemas call sensitive is not shown (a bool is)
      if (values[k] != "true" && values[k] != "false" && values[k] != kMissing)
        for (const std::string& f : field_names_read(exprs[k])) {
          const uint32_t key = store_->find_symbol(f);
          if (key != Interner::kNone && redacted(idx, key)) values[k] = "<redacted>";
        }
      t.row().add(std::string(static_cast<size_t>(subs[k].depth) * 2, ' ') + exprs[k]).add(values[k]);
      sj.push_back(boost::json::object{{"expression", exprs[k]}, {"value", values[k]}, {"depth", subs[k].depth}});
    }
    std::string tt = t.text();
    std::string indented;
    std::istringstream lines(tt);
    for (std::string l; std::getline(lines, l);) indented += "    " + l + "\n";
    out += fmt::format("  where: {}\n", values[0] == "true" ? "true"
                                        : values[0] == std::string(kMissing)
                                            ? "false (a field is missing or a value failed: a runtime miss)"
                                            : "false");
    out += indented;
    j["where"] = values[0];
    j["subexpressions"] = std::move(sj);
  }
  out += windows_text;
  if (mach && values.size() == 2) {
    out += fmt::format("  key {} = {}\n  state before the event: {}\n  state after it: {}\n", mach->key, values[1],
                       values[0].empty() ? "(no instance)" : values[0],
                       state_after.empty() ? "(no instance)" : state_after);
    j["state_before"] = values[0];
    j["state_after"] = state_after;
  }

  // what replaying 1..N did
  const bool fired_now = rr && rr->fired > fired_before;
  if (rr) {
    out += fmt::format("  at event #{}: {}\n", n, fired_now ? "fired" : "did not fire");
    for (const Finding& f : at_n_findings)
      out += fmt::format("    {} \"{}\"\n", level_name(f.level), cli::escape_for_terminal(f.message));
    for (const Alert& al : at_n_alerts)
      out += fmt::format("    alert {} \"{}\"{}\n", al.severity, cli::escape_for_terminal(al.message),
                         al.suppressed ? fmt::format(" ({} held back by dedup before it)", al.suppressed) : "");
    out += fmt::format("  events 1..{}: matched {}, fired {}; findings: {} error, {} warning, {} info, {} ok", n,
                       rr->matched, rr->fired, rr->findings[0], rr->findings[1], rr->findings[2], rr->findings[3]);
    if (rr->missing_field || rr->type_error || rr->arith_error)
      out += fmt::format("; where false by a missing field {}, a type error {}, arithmetic {}", rr->missing_field,
                         rr->type_error, rr->arith_error);
    out += "\n";
    uint64_t raised = 0, held = 0;
    for (const Alert& al : rep.alerts)
      if (al.rule == unit) ++raised, held += al.suppressed;
    if (raised || held) out += fmt::format("  alerts raised: {}; held back by dedup between them: {}\n", raised, held);
    const bool has_alert = rule && std::any_of(rule->actions.begin(), rule->actions.end(),
                                               [](const Action& ac) { return ac.kind == ActionKind::Alert; });
    if (fired_now && has_alert && at_n_alerts.empty())
      out += "  its alert was not raised at this event: dedup held it back (a later alert for the key says how many)\n";
    if (rr->disabled_by_budget) out += "  turned off: over the profile's cpu budget\n";
    if (rr->level == Level::Off) out += fmt::format("  off under profile {}\n", profile_);
    j["fired"] = fired_now;
    j["matched"] = rr->matched;
    j["fired_total"] = rr->fired;
    j["alerts_raised"] = raised;
    j["alerts_held_back"] = held;
  }
  // expectations and machine timers still waiting after event N
  engine->finish();
  const Report fin = engine->report();
  size_t pend = 0;
  for (const PendingItem& p : fin.pending) {
    if (p.rule != unit) continue;
    if (++pend > 5) continue;
    std::string key;
    for (const auto& [k, v] : p.key) key += fmt::format("{}{}={}", key.empty() ? "" : " ", k, v);
    out += fmt::format("  pending {}: [{}] due {}{}\n", p.kind, key, cli::format_ts(p.due),
                       p.state.empty() ? "" : " -> " + p.state);
  }
  if (pend > 5) out += fmt::format("  ... {} pending in all\n", pend);
  if (not_fired && fired_now) out += fmt::format("(it did fire at event #{})\n", n);
  return Reply::of(out, j);
}

}  // namespace dta::repl
