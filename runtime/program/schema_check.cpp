// The schema check (schema_check.hpp): one walker over the Program's schema.
#include "program/schema_check.hpp"

#include <fmt/format.h>

#include "program/schema.hpp"

namespace dta {
namespace {

using schema::Ref;
using schema::Table;

// Records inside records: a compiled program is at most Program > machines >
// states > transitions > actions > entries deep (constants one list deeper);
// a hand-made program nested deeper is refused before the walk recurses far.
constexpr int kMaxDepth = 8;

class Checker : public schema::Walker<Checker> {
 public:
  static constexpr bool kReads = false;
  explicit Checker(const Program& p) : p_(p) {}

  void at(const char* field) { path_.at(field); }
  void str(const std::string&) {}
  void flag(bool) {}
  template <class E>
  void enumeration(E v) {
    if (!enum_valid(v))
      fail(fmt::format("{} {} out of range, in {}", enum_what<E>(), static_cast<int>(v), path_.text()));
  }
  template <class N>
  void num(const N& v, Ref ref = {}) {
    if (ref.table == Table::None || !ok()) return;
    const auto x = static_cast<int64_t>(v);
    if (ref.optional && x == -1) return;
    const size_t n = table_size(ref.table);
    if (x < 0 || static_cast<uint64_t>(x) >= n)
      fail(fmt::format("{} names {} {}, but {} has {}", path_.text(), schema::table_item(ref.table), x,
                       ref.table == Table::State ? "the machine" : "the program", n));
  }
  template <class T>
  void list(const std::vector<T>& v) {
    for (size_t i = 0; i < v.size() && ok(); ++i) value(v[i], {}, i);
  }
  template <class T>
  void sized(const char* name, const std::vector<T>& v, size_t n) {
    at(name);
    for (size_t i = 0; i < n && i < v.size() && ok(); ++i) value(v[i], {}, i);
  }
  template <class T>
  void record(const T& rec, size_t index) {
    if constexpr (std::is_same_v<T, Instr>) return;  // the verifier checks each instruction, with its pc
    if (!ok()) return;
    if (++depth_ > kMaxDepth) {
      fail(fmt::format("records nest too deeply, in {}", path_.text()));
    } else {
      const Machine* outer = machine_;
      if constexpr (std::is_same_v<T, Machine>) machine_ = &rec;
      path_.push(rec, index);
      schema::fields(*this, rec);
      path_.pop();
      machine_ = outer;
    }
    --depth_;
  }

  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }

 private:
  size_t table_size(Table t) const {
    switch (t) {
      case Table::Chunk: return p_.chunks.size();
      case Table::Template: return p_.templates.size();
      case Table::Const: return p_.consts.size();
      case Table::Source: return p_.sources.size();
      case Table::State: return machine_ ? machine_->states.size() : 0;
      case Table::Unit: return p_.rules.size() + p_.machines.size();
      case Table::Recorder: return p_.recorders.size();
      case Table::None: break;
    }
    return 0;
  }
  void fail(std::string msg) {
    if (ok()) err_ = std::move(msg);
  }

  const Program& p_;
  const Machine* machine_ = nullptr;  // the machine being walked (its states are Table::State)
  int depth_ = 0;
  schema::Path path_;
  std::string err_;
};

}  // namespace

Outcome check_schema(const Program& p) {
  Checker c(p);
  schema::fields(c, p);
  if (!c.ok()) return fail(c.error());
  return Outcome::success();
}

}  // namespace dta
