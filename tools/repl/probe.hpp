// Evaluating DTA expressions over stored events, the way the engine does:
// each probe is a small synthetic policy (the session's constants, then one
// rule on `*`), compiled and run by an engine event by event. `where EXPR`
// keeps the events the rule fires on; a value probe renders each expression
// into the rule's `ok` message, one hole per expression.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dta/compiler.hpp"
#include "dta/engine.hpp"
#include "dta/expected.hpp"
#include "event_store.hpp"

namespace dta::repl {

// A value probe's result for a missing field or a failed evaluation (the template's hole text).
inline constexpr std::string_view kMissing = "<missing>";

class Probe {
 public:
  // A probe of `where (expr)` over `prelude` (declarations: constants,
  // schemas). On a compile error, the diagnostics rendered against the
  // expression as typed: "error: ...", `shown` then a caret under the part
  // at fault (`shown` is the typed line, `expr` starting at `expr_col` in it).
  static Expected<std::unique_ptr<Probe>> where(const std::string& prelude, const std::string& expr,
                                                const std::string& shown, size_t expr_col);
  // A probe rendering each of `exprs` for every event it is given.
  static Expected<std::unique_ptr<Probe>> values(const std::string& prelude, const std::vector<std::string>& exprs);

  // Where probes: whether event i of `store` passes.
  bool matches(const EventStore& store, size_t i);
  // Value probes: each expression's value for event i, as text (kMissing
  // when it failed), without the fields `removed` (a redact filter's).
  std::vector<std::string> eval(const EventStore& store, size_t i, const std::vector<std::string>* removed = nullptr);

 private:
  Probe() = default;
  static Expected<std::unique_ptr<Probe>> make(const std::string& source, std::string* first_error,
                                               CompileResult* result);
  std::shared_ptr<const Program> prog_;
  std::unique_ptr<Engine> engine_;
  std::vector<uint32_t> map_;
  Event ev_;
  bool hit_ = false;
  std::string message_;
  size_t count_ = 0;
};

// The session's named constants as `const` declarations ("" when none), so
// that probes read them: rendered from the compiled program's values.
std::string const_declarations(const Program& prog);

// A diagnostic whose place is in `line_text` (line `line` of a synthetic
// source), rendered under what the user typed: the message, `shown` and a
// caret at column `col - first_col + shown_col`.
std::string render_typed_error(const Diagnostic& d, const std::string& shown, size_t shown_col, size_t first_col);

}  // namespace dta::repl
