// The REPL's terminal front end on libedit (line_editor.hpp).
#include "line_editor.hpp"

#include <histedit.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "session.hpp"

namespace dta::repl {
namespace {

// Entries the history keeps (in memory and in its file).
constexpr int kHistorySize = 1000;
constexpr const char* kPrompt = "dta> ";
constexpr const char* kMorePrompt = "...> ";
// Candidates a Tab lists at most (more: their count).
constexpr size_t kListedCandidates = 100;

}  // namespace

struct LineEditor::Impl {
  Session& session;
  std::string history_file;
  EditLine* el = nullptr;
  History* hist = nullptr;
  HistEvent ev{};
  bool continuing = false;  // inside an open block: the continuation prompt
  bool cleared = false;     // Ctrl-C cleared the line

  Impl(Session& s, std::string h) : session(s), history_file(std::move(h)) {}

  static Impl* of(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<Impl*>(data);
  }
  static char* prompt(EditLine* el) { return const_cast<char*>(of(el)->continuing ? kMorePrompt : kPrompt); }

  // Ctrl-C: drop what was typed (and an open block), a fresh prompt.
  static unsigned char interrupt(EditLine* el, int) {
    Impl* self = of(el);
    const LineInfo* li = el_line(el);
    el_cursor(el, static_cast<int>(li->lastchar - li->cursor));
    el_deletestr(el, static_cast<int>(li->lastchar - li->buffer));
    std::fputs("^C", stdout);
    self->cleared = true;
    return CC_NEWLINE;
  }

  // Tab: complete the word before the cursor from the session; several
  // candidates: their common prefix, and on a second Tab the list.
  static unsigned char complete(EditLine* el, int) {
    Impl* self = of(el);
    const LineInfo* li = el_line(el);
    const std::string line(li->buffer, li->lastchar);
    const size_t cursor = static_cast<size_t>(li->cursor - li->buffer);
    size_t start = cursor;
    while (start > 0) {
      const char c = line[start - 1];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '*' || c == '-' ||
            c == '/'))
        break;
      --start;
    }
    const std::string word = line.substr(start, cursor - start);
    const std::vector<std::string> cands = self->session.complete(line, cursor);
    if (cands.empty()) return CC_REFRESH_BEEP;
    std::string common = cands[0];
    for (const std::string& c : cands) {
      size_t k = 0;
      while (k < common.size() && k < c.size() && common[k] == c[k]) ++k;
      common.resize(k);
    }
    // the candidates complete the part after the last '/' of a path
    const size_t slash = word.rfind('/');
    const std::string typed = slash == std::string::npos ? word : word.substr(slash + 1);
    if (common.size() > typed.size() || cands.size() == 1) {
      std::string add = common.substr(std::min(typed.size(), common.size()));
      if (cands.size() == 1 && !common.ends_with("/")) add += ' ';
      if (el_insertstr(el, add.c_str()) != 0) return CC_ERROR;
      return CC_REFRESH;
    }
    std::fputs("\n", stdout);
    size_t width = 0;
    for (const std::string& c : cands) width = std::max(width, c.size());
    const size_t per_line = std::max<size_t>(1, 78 / (width + 2));
    for (size_t k = 0; k < cands.size() && k < kListedCandidates; ++k)
      std::fprintf(stdout, "%-*s%s", static_cast<int>(width + 2), cands[k].c_str(),
                   (k + 1) % per_line == 0 || k + 1 == cands.size() ? "\n" : "");
    if (cands.size() > kListedCandidates) std::fprintf(stdout, "\n... %zu candidates\n", cands.size());
    std::fflush(stdout);
    return CC_REDISPLAY;
  }
};

LineEditor::LineEditor(Session& session, std::string history_file, const char* program)
    : impl_(std::make_unique<Impl>(session, std::move(history_file))) {
  Impl& m = *impl_;
  m.hist = history_init();
  history(m.hist, &m.ev, H_SETSIZE, kHistorySize);
  history(m.hist, &m.ev, H_SETUNIQUE, 1);
  if (!m.history_file.empty()) history(m.hist, &m.ev, H_LOAD, m.history_file.c_str());
  m.el = el_init(program, stdin, stdout, stderr);
  el_set(m.el, EL_CLIENTDATA, &m);
  el_set(m.el, EL_EDITOR, "emacs");
  el_set(m.el, EL_PROMPT, &Impl::prompt);
  el_set(m.el, EL_HIST, history, m.hist);
  el_set(m.el, EL_SIGNAL, 1);
  // Ctrl-C is a key while editing (it clears the line), a signal while a command runs.
  el_set(m.el, EL_SETTY, "-d", "-isig", nullptr);
  el_set(m.el, EL_ADDFN, "dta-complete", "complete the word", &Impl::complete);
  el_set(m.el, EL_ADDFN, "dta-interrupt", "clear the line", &Impl::interrupt);
  el_set(m.el, EL_BIND, "^I", "dta-complete", nullptr);
  el_set(m.el, EL_BIND, "^C", "dta-interrupt", nullptr);
  el_set(m.el, EL_BIND, "^R", "em-inc-search-prev", nullptr);
  el_source(m.el, nullptr);  // ~/.editrc, as other libedit programs
}

LineEditor::~LineEditor() {
  Impl& m = *impl_;
  if (!m.history_file.empty()) history(m.hist, &m.ev, H_SAVE, m.history_file.c_str());
  el_end(m.el);
  history_end(m.hist);
}

std::optional<std::string> LineEditor::read_command() {
  Impl& m = *impl_;
  std::string text;
  m.continuing = false;
  for (;;) {
    int count = 0;
    m.cleared = false;
    const char* line = el_gets(m.el, &count);
    if (m.cleared) {
      std::fputs("\n", stdout);
      text.clear();
      m.continuing = false;
      continue;
    }
    if (!line || count <= 0) {
      if (!text.empty()) return text;  // Ctrl-D inside a block: run what there is
      std::fputs("\n", stdout);
      return std::nullopt;
    }
    std::string l(line, static_cast<size_t>(count));
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    text += text.empty() ? l : "\n" + l;
    if (!text.empty() && Session::needs_more(text)) {
      m.continuing = true;
      continue;
    }
    if (!text.empty()) {
      history(m.hist, &m.ev, H_ENTER, text.c_str());
      if (!m.history_file.empty()) history(m.hist, &m.ev, H_SAVE, m.history_file.c_str());
    }
    return text;
  }
}

std::string history_path() {
  if (const char* h = std::getenv("DTA_HISTORY")) return h;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.dta_history";
  return "";
}

}  // namespace dta::repl
