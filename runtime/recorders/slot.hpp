// One recorded event in a flight recorder's slot: a compact binary copy,
// at most kRecorderSlotBytes long, written in place into a fixed slot, so
// recording allocates nothing once the ring is warm. Names and field keys
// are the engine's interned ids; sensitive fields keep no value.
//
//   header  i64 ts | i64 id | u32 name | u8 severity | u8 flags | u16 fields
//   field   u32 key | u8 kind | payload: int/float 8 bytes, bool 1 byte,
//           string u16 length + bytes, redacted nothing
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dta/event.hpp"

namespace dta::slot {

// What a field of a slot holds.
enum class Kind : uint8_t { Int, Float, Bool, String, Redacted };

constexpr uint8_t kHasId = 1;      // flags: the event had an id
constexpr uint8_t kTruncated = 2;  // flags: strings were cut or fields left out to fit the slot
constexpr size_t kHeaderBytes = 8 + 8 + 4 + 1 + 1 + 2;

// Writes `ev` into the kRecorderSlotBytes at `out`; returns the bytes used.
// `sensitive(field)` says whether a field's value must not be kept. Strings
// are cut at a UTF-8 boundary to fit (the event is then marked truncated).
template <class Sensitive>
size_t encode(char* out, const Event& ev, Sensitive&& sensitive);

// One field as parse() sees it.
struct FieldView {
  uint32_t key = 0;
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string_view s;
};
struct Header {
  int64_t ts = 0, id = 0;
  uint32_t name = 0;
  Severity severity = Severity::Info;
  uint8_t flags = 0;
  uint16_t fields = 0;
};

// Reads a slot, checking every length (slot bytes may come from an imported
// state): calls field(FieldView) for each field; false when malformed.
template <class OnField>
bool parse(std::string_view bytes, Header* h, OnField&& field);

// Rewrites the name id and the key id of each field, in field order, of a
// valid slot in place (an import gives another engine's slots this one's
// ids); false when malformed or the key count differs.
bool remap(std::string& bytes, uint32_t name, const std::vector<uint32_t>& keys);

// Appends the slot as one JSON Lines event of spec section 1 (no newline):
// {"ts":..,"name":..,"severity":..,["id":..,]"fields":{..}[,"truncated":true]}.
// Redacted fields read "<redacted>"; strings are escaped (control bytes as
// \u00XX, invalid UTF-8 as U+FFFD), floats keep a '.' or an exponent so they
// read back as floats, infinities are written as 1e999.
void append_json(std::string& out, std::string_view bytes, const Interner& names);

// A string as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

}  // namespace dta::slot

#include "recorders/slot_impl.hpp"
