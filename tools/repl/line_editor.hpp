// The REPL's terminal front end on libedit: emacs key bindings, Ctrl-R
// history search, a history file kept across sessions, Tab completion from
// the session, a continuation prompt while a block is open, Ctrl-C clearing
// the line being typed.
#pragma once
#include <memory>
#include <optional>
#include <string>

namespace dta::repl {

class Session;

class LineEditor {
 public:
  // Edits lines on the terminal of stdin/stdout; history in `history_path` ("" for none).
  LineEditor(Session& session, std::string history_path, const char* program);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next command: one line, or several while a block is open. nullopt at
  // the end of input (Ctrl-D on an empty line).
  std::optional<std::string> read_command();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The history file: $DTA_HISTORY, else ~/.dta_history ("" when neither can be known).
std::string history_path();

}  // namespace dta::repl
