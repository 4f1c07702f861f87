// Redaction: the one place where values become output text. A value is
// sensitive when it is read from a field that a schema declares `sensitive`
// or from a field carrying the sensitive mark (what `emit` copies from a
// sensitive value); the `when` value is sensitive when its samples were.
// Messages, alert labels, `by` keys, metric labels and the event fields a
// finding carries are all written here, so a sensitive value renders as
// `<redacted>` in every sink.
#include <cstring>

#include "engine/engine_impl.hpp"

namespace dta {

void Engine::Impl::bind_outputs() {
  chunk_reads.assign(prog->chunks.size(), ChunkReads{});
  for (size_t c = 0; c < prog->chunks.size(); ++c) {
    ChunkReads& r = chunk_reads[c];
    for (const Instr& in : prog->chunks[c].code) {
      if (in.op >= Op::LOADF && in.op <= Op::LOADF_B) r.fields.push_back(keymap[in.b]);
      else if (in.op == Op::LOADSF) r.start_fields.push_back(keymap[in.b]);
      else if (in.op == Op::LOADV) r.value = true;
    }
  }
}

bool Engine::Impl::field_sensitive(const Event& ev, uint32_t key) {
  if (const Field* f = ev.find(key); f && f->sensitive) return true;
  for (uint32_t s : dispatch_for(ev.name).sensitive)
    if (s == key) return true;
  return false;
}

bool Engine::Impl::reads_sensitive(int32_t chunk, const ActionCtx& ctx) {
  if (chunk < 0) return false;
  const ChunkReads& r = chunk_reads[chunk];
  if (r.value && ctx.value_sensitive) return true;
  for (uint32_t key : r.fields)
    if (field_sensitive(*ctx.ev, key)) return true;
  if (ctx.start)
    for (uint32_t key : r.start_fields)
      if (field_sensitive(*ctx.start, key)) return true;
  return false;
}

void Engine::Impl::append_output(std::string& out, int32_t chunk, const ActionCtx& ctx) {
  if (reads_sensitive(chunk, ctx)) {
    out += "<redacted>";
    return;
  }
  Value v;
  if (eval(chunk, *ctx.ev, &ctx, &v) == Status::Ok) append_value(out, v);
  else out += "<missing>";
}

std::string Engine::Impl::render(int32_t tmpl, const ActionCtx& ctx) {
  std::string out;
  if (tmpl < 0) return out;
  for (const TemplatePart& part : prog->templates[tmpl].parts) {
    if (part.chunk < 0) out += part.text;
    else append_output(out, part.chunk, ctx);
  }
  return out;
}

std::string Engine::Impl::render_raw(int32_t tmpl, const ActionCtx& ctx, bool* sensitive) {
  std::string out;
  if (tmpl < 0) return out;
  for (const TemplatePart& part : prog->templates[tmpl].parts) {
    if (part.chunk < 0) {
      out += part.text;
      continue;
    }
    *sensitive |= reads_sensitive(part.chunk, ctx);
    Value v;
    if (eval(part.chunk, *ctx.ev, &ctx, &v) == Status::Ok) append_value(out, v);
    else out += "<missing>";
  }
  return out;
}

KeyLabels Engine::Impl::fields_as_labels(const Event& ev, const std::string* names_, uint32_t count) {
  KeyLabels out;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t key = names.find(names_[i]);
    const Field* f = key == Interner::kNone ? nullptr : ev.find(key);
    std::string text;
    if (!f) text = "<missing>";
    else if (field_sensitive(ev, key)) text = "<redacted>";
    else append_value(text, ev.value(*f));
    out.emplace_back(names_[i], std::move(text));
  }
  return out;
}

KeyLabels Engine::Impl::key_of(const ActionCtx& ctx) {
  if (ctx.key_labels) return *ctx.key_labels;
  if (ctx.key_names && ctx.key_event) return fields_as_labels(*ctx.key_event, ctx.key_names, ctx.key_count);
  return {};
}

namespace {

// A length-prefixed piece of a metric key: 4 bytes of length, then the bytes.
void put_piece(std::string& out, std::string_view piece) {
  const auto n = static_cast<uint32_t>(piece.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(piece);
}

// Reads a piece written by put_piece at `pos`; false when the key is cut short.
bool get_piece(std::string_view key, size_t& pos, std::string* out) {
  uint32_t n = 0;
  if (key.size() - pos < sizeof n) return false;
  std::memcpy(&n, key.data() + pos, sizeof n);
  pos += sizeof n;
  if (key.size() - pos < n) return false;
  out->assign(key.data() + pos, n);
  pos += n;
  return true;
}

}  // namespace

void Engine::Impl::metric_key(std::string& out, const std::string& name, const std::vector<Entry>& entries,
                              const ActionCtx& ctx) {
  out.clear();
  put_piece(out, name);
  for (const Entry& e : entries) {
    put_piece(out, e.key);
    const size_t at = out.size();  // the value's length is known once it is rendered
    out.append(sizeof(uint32_t), '\0');
    if (e.tmpl >= 0) out += render(e.tmpl, ctx);
    else append_output(out, e.chunk, ctx);
    const auto n = static_cast<uint32_t>(out.size() - at - sizeof(uint32_t));
    std::memcpy(out.data() + at, &n, sizeof n);
  }
}

void Engine::Impl::decode_metric_key(std::string_view key, std::string* name, KeyLabels* labels) {
  size_t pos = 0;
  labels->clear();
  if (!get_piece(key, pos, name)) return;
  std::string k, v;
  while (pos < key.size() && get_piece(key, pos, &k) && get_piece(key, pos, &v)) labels->emplace_back(k, v);
}

EventFields Engine::Impl::event_fields(const Event& ev) {
  EventFields out;
  out.reserve(ev.fields().size());
  for (const Field& f : ev.fields()) {
    std::string name(names.name(f.key));
    if (field_sensitive(ev, f.key)) {
      out.emplace_back(std::move(name), std::string("<redacted>"));
      continue;
    }
    switch (f.type) {
      case Type::Int: out.emplace_back(std::move(name), f.i); break;
      case Type::Float: out.emplace_back(std::move(name), f.f); break;
      case Type::Bool: out.emplace_back(std::move(name), f.b); break;
      default: out.emplace_back(std::move(name), std::string(ev.value(f).str())); break;
    }
  }
  return out;
}

}  // namespace dta
