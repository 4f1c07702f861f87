// The W1 rules hand-written in C++ over the anchors' event type: the baseline
// the VM is measured against. C1-C10 as the anchors write them; T1-T3 and
// P1-P2 follow the spec's semantics (sliding counts fire on rising edges and
// re-arm; tumbling p99 from the same DDSketch the engine uses), so the counts
// of both engines must match.
#pragma once
#include <array>
#include <cstdint>
#include <deque>

#include "event.hpp"
#include "state/sketch.hpp"

namespace dta::bench {

// Counts of C1..C10 over the events given to it.
struct NativeClassifier {
  std::array<int64_t, 10> c{};
  void on_event(const anchors::Event& e);
};

// An edge-triggered sliding count: fires when the count over (now - 10s, now]
// exceeds `limit`, re-arms when it does not.
struct EdgeCount {
  int64_t limit;
  std::deque<uint64_t> ts;
  bool above = false;
  int64_t fired = 0;
  void hit(uint64_t now);
};

// p99 over tumbling 60 s windows aligned to the epoch, closed when an event
// passes the window's end.
struct TumblingP99 {
  double limit;
  int64_t window = -1;
  DDSketch sketch;
  int64_t windows = 0, warns = 0;
  void add(uint64_t ts, double v);
  void close_before(uint64_t ts);
};

// D1's flight recorder as the anchors' native engine writes it: every event
// serialised into a fixed 512-byte slot of a 64-slot ring (strings capped at
// 64 bytes), a dump copying the last 64 slots and summing position x (sev + 1).
struct NativeRecorder {
  static constexpr int kRing = 64;
  struct Slot {
    uint64_t ts;
    uint32_t name_id;
    uint8_t sev, nf;
    uint16_t len;
    unsigned char data[512 - 16];
  };
  std::array<Slot, kRing> ring;
  std::array<Slot, kRing> dump_buf;
  uint64_t seen = 0;
  void record(const anchors::Event& e);
  int dump(int64_t& sig);  // events copied; adds to the signature
};

// All sixteen rules (C1-C10, T1-T3, P1-P2, D1: on an error of C1, C2, C4 or
// C10 dump the recorder, at most once per 5 s of event time).
struct NativeW1 {
  NativeClassifier classify;
  EdgeCount t1{20}, t2{5}, t3{30};
  TumblingP99 p1{250}, p2{100};
  NativeRecorder rec;
  bool dumped = false;
  uint64_t last_dump = 0;
  int64_t dumps = 0, dumped_events = 0, dsig = 0;
  void on_event(const anchors::Event& e);
};

}  // namespace dta::bench
