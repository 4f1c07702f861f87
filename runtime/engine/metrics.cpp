// Metrics: the series `count` and `observe` keep, bounded in number
// (EngineOptions::max_metric_series) and, for histogram quantile sketches,
// in memory (max_metric_sketch_counters), and how they enter the report.
#include <tuple>

#include "engine/engine_impl.hpp"

namespace dta {
namespace {

// A series' name and labels as one text key: "name{k=v,...}" (the report's counters and histograms maps).
std::string series_text(const MetricSeries& m) {
  std::string key = m.name;
  if (m.labels.empty()) return key;
  key += '{';
  for (size_t i = 0; i < m.labels.size(); ++i) {
    if (i) key += ',';
    key += m.labels[i].first;
    key += '=';
    key += m.labels[i].second;
  }
  key += '}';
  return key;
}

// A histogram's summary with its quantiles, clamped to the exact min and max.
HistogramSummary with_quantiles(HistogramSummary h, const DDSketch& sketch) {
  if (!h.has_quantiles || h.count == 0) return h;
  auto q = [&](double at) { return std::clamp(sketch.quantile(at), h.min, h.max); };
  h.p50 = q(0.5);
  h.p90 = q(0.9);
  h.p99 = q(0.99);
  return h;
}

}  // namespace

void Engine::Impl::count(const std::string& key) {
  auto it = counters.find(key);
  if (it != counters.end())
    ++it->second;
  else if (counters.size() + histograms.size() < opts.max_metric_series)
    counters.emplace(key, 1);
  else
    ++rep.diagnostics.metric_series_dropped;
}

void Engine::Impl::observe(const std::string& key, double x) {
  auto it = histograms.find(key);
  if (it == histograms.end()) {
    if (counters.size() + histograms.size() >= opts.max_metric_series) {
      ++rep.diagnostics.metric_series_dropped;
      return;
    }
    it = histograms.emplace(key, MetricHistogram{}).first;
  }
  HistogramSummary& h = it->second.summary;
  h.min = h.count ? std::min(h.min, x) : x;
  h.max = h.count ? std::max(h.max, x) : x;
  h.sum += x;
  ++h.count;
  if (!h.has_quantiles) return;
  // The sketches share a budget of counters: a series whose sketch would
  // take it past the budget gives its sketch up (its quantiles are dropped).
  DDSketch& sketch = it->second.sketch;
  const size_t before = sketch.counters();
  sketch.add(x);
  const size_t after = sketch.counters();
  if (after <= before) {  // a collapse may fold counters away
    metric_sketch_counters -= before - after;
    return;
  }
  if (metric_sketch_counters + (after - before) <= opts.max_metric_sketch_counters) {
    metric_sketch_counters += after - before;
    return;
  }
  metric_sketch_counters -= before;
  sketch = DDSketch{};
  h.has_quantiles = false;
  ++rep.diagnostics.metric_quantiles_dropped;
}

void Engine::Impl::metrics_into(Report& r) const {
  r.metrics.reserve(counters.size() + histograms.size());
  for (const auto& [k, v] : counters) {
    MetricSeries s;
    decode_metric_key(k, &s.name, &s.labels);
    s.value = v;
    r.metrics.push_back(std::move(s));
  }
  for (const auto& [k, h] : histograms) {
    MetricSeries s;
    decode_metric_key(k, &s.name, &s.labels);
    s.histogram = true;
    s.hist = with_quantiles(h.summary, h.sketch);
    r.metrics.push_back(std::move(s));
  }
  std::sort(r.metrics.begin(), r.metrics.end(), [](const MetricSeries& a, const MetricSeries& b) {
    return std::tie(a.name, a.labels, a.histogram) < std::tie(b.name, b.labels, b.histogram);
  });
  for (const MetricSeries& s : r.metrics) {
    if (!s.histogram) {
      r.counters[series_text(s)] += s.value;  // two series may read alike as text: they add up
      continue;
    }
    auto [it, fresh] = r.histograms.emplace(series_text(s), s.hist);
    if (fresh) continue;
    HistogramSummary& h = it->second;  // alike as text: the entry sums both up, without quantiles
    h.min = std::min(h.min, s.hist.min);
    h.max = std::max(h.max, s.hist.max);
    h.sum += s.hist.sum;
    h.count += s.hist.count;
    h.has_quantiles = false;
    h.p50 = h.p90 = h.p99 = 0;
  }
}

}  // namespace dta
