// The event model: interner, events, and the VM's scratch arena.
#include "dta/event.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>

#include "dta/arena.hpp"

namespace dta {

struct SymbolTable::Map {
  boost::unordered_flat_map<std::string_view, uint32_t> ids;
};

SymbolTable::SymbolTable(const std::vector<std::string>& names) : map_(std::make_unique<Map>()) {
  for (const std::string& s : names) {
    if (map_->ids.contains(s)) continue;
    names_.push_back(std::make_unique<std::string>(s));
    map_->ids.emplace(*names_.back(), static_cast<uint32_t>(names_.size() - 1));
  }
}
SymbolTable::~SymbolTable() = default;

uint32_t SymbolTable::find(std::string_view s) const {
  auto it = map_->ids.find(s);
  return it == map_->ids.end() ? UINT32_MAX : it->second;
}

struct Interner::Map {
  boost::unordered_flat_map<std::string_view, uint32_t> ids;
};

Interner::Interner() : map_(std::make_unique<Map>()) {}
Interner::Interner(std::shared_ptr<const SymbolTable> base)
    : map_(std::make_unique<Map>()), base_(std::move(base)), base_size_(base_ ? base_->size() : 0) {}
Interner::~Interner() = default;

void Interner::set_base(std::shared_ptr<const SymbolTable> base) {
  if (!names_.empty()) return;
  base_ = std::move(base);
  base_size_ = base_ ? base_->size() : 0;
}

uint32_t Interner::intern(std::string_view s) {
  if (base_) {
    const uint32_t id = base_->find(s);
    if (id != UINT32_MAX) return id;
  }
  auto it = map_->ids.find(s);
  if (it != map_->ids.end()) return it->second;
  if (size() + 1 >= cap_) {  // full: the last slot is kept for kOther
    ++overflowed_;
    if (other_ == kNone) {
      const uint32_t known = find(kOther);
      if (known != kNone) return other_ = known;
      names_.push_back(std::make_unique<std::string>(kOther));
      other_ = size() - 1;
      map_->ids.emplace(*names_.back(), other_);
    }
    return other_;
  }
  names_.push_back(std::make_unique<std::string>(s));
  const uint32_t id = size() - 1;
  map_->ids.emplace(*names_.back(), id);
  return id;
}

uint32_t Interner::find(std::string_view s) const {
  if (base_) {
    const uint32_t id = base_->find(s);
    if (id != UINT32_MAX) return id;
  }
  auto it = map_->ids.find(s);
  return it == map_->ids.end() ? kNone : it->second;
}

void Event::clear() {
  fields_.clear();
  text_.clear();
  has_id = false;
  id = 0;
  severity = Severity::Info;
}

void Event::add_int(uint32_t key, int64_t v) {
  Field& f = fields_.emplace_back();
  f.key = key;
  f.type = Type::Int;
  f.i = v;
}

void Event::add_float(uint32_t key, double v) {
  Field& f = fields_.emplace_back();
  f.key = key;
  f.type = Type::Float;
  f.f = v;
}

void Event::add_bool(uint32_t key, bool v) {
  Field& f = fields_.emplace_back();
  f.key = key;
  f.type = Type::Bool;
  f.b = v;
}

void Event::add_string(uint32_t key, std::string_view v) {
  Field& f = fields_.emplace_back();
  f.key = key;
  f.type = Type::String;
  f.s.off = static_cast<uint32_t>(text_.size());
  f.s.len = static_cast<uint32_t>(v.size());
  text_.append(v);
}

void Event::mark_sensitive(uint32_t key) {
  for (Field& f : fields_)
    if (f.key == key) f.sensitive = true;
}

bool Event::remove(uint32_t key) {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].key == key) {
      fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

char* Arena::alloc(size_t n) {
  dirty_ = true;
  if (n > kBlock) {  // a big string gets its own block, placed before the current one
    auto big = std::make_unique<char[]>(n);
    char* p = big.get();
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(big));
    return p;
  }
  if (blocks_.empty() || used_ + n > kBlock) {
    blocks_.push_back(std::make_unique<char[]>(kBlock));
    used_ = 0;
  }
  char* p = blocks_.back().get() + used_;
  used_ += n;
  return p;
}

std::string_view Arena::copy(std::string_view s) {
  char* p = alloc(s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::reset_blocks() {
  dirty_ = false;
  if (blocks_.size() > 1) {
    auto first = std::move(blocks_.back());
    blocks_.clear();
    blocks_.push_back(std::move(first));
  }
  used_ = 0;
  if (blocks_.empty()) used_ = kBlock;
}

}  // namespace dta
