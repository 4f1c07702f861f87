// The one room where ANTLR lives: lexing, parsing, error rewriting, nesting
// caps, and the walk from parse tree to our AST (including a second parse of
// template holes). Nothing here throws out; ANTLR's exceptions are caught.
#include "ast_builder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <optional>
#include <tuple>

#include "DtaLexer.h"
#include "DtaParser.h"
#include "antlr4-runtime.h"

namespace dta {
namespace {

using P = dta_antlr::DtaParser;
using ast::ExprKind;
using ast::ExprPtr;
using ast::Loc;

__extension__ typedef __int128 i128;  // exact scaling of durations and sizes

constexpr size_t kMaxSyntaxErrors = 20;   // ANTLR's recovery gets noisy after a few
constexpr int kMaxExprDepth = 1000;       // AST depth (long operator chains nest too)
constexpr size_t kMaxFractionDigits = 24; // "1.5s": exact in 128 bits up to here
constexpr int64_t kMaxCap = UINT32_MAX;   // `max N` is stored as 32 bits
constexpr size_t kMaxTemplateHoles = 1000; // a message is read by a person, and each hole runs per finding
constexpr size_t kMaxShownToken = 24;     // a token quoted in a message: enough to recognize it
constexpr size_t kMaxExpectedWords = 5;   // "expected A, B, C, D or E": more would not help
constexpr size_t kMaxQuoteScan = 4096;    // a 'single-quoted string' is looked for this far on its line

// The lexer's template_position() takes the token types from POLICY to
// SEVERITY for the non-reserved keywords: they must stay one run.
static_assert(P::FALSE + 1 == P::POLICY && P::SEVERITY + 1 == P::ARROW, "keywords moved in Dta.g4");

// Code points in s[from, to): columns count code points, not bytes.
uint32_t code_points(const std::string& s, size_t from, size_t to) {
  uint32_t n = 0;
  for (size_t i = from; i < to && i < s.size(); ++i) n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return n;
}

// Bytes of the UTF-8 sequence that starts with byte c (1 for a stray byte).
size_t utf8_length(unsigned char c) { return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1; }

struct TooManyErrors {};

// One syntax error as the parser met it. Errors are kept until the parse ends
// and reported then, so that the report can look at the tokens around each
// one (an unclosed brace, the word before) and drop those that only follow
// from an earlier one.
struct SyntaxIssue {
  size_t token = 0;              // index of the offending token in the stream
  bool has_token = false;        // false: only `fallback` and `loc` are known
  std::vector<size_t> expected;  // token types the parser could take there
  std::string fallback;          // ANTLR's message, when there is no token
  Loc loc;                       // where, shifted like the text
};

// Collects ANTLR's reports, shifted by where the text starts.
class ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(uint32_t file, uint32_t line0, uint32_t col0) : file_(file), line0_(line0), col0_(col0) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* bad, size_t line, size_t col, const std::string& msg,
                   std::exception_ptr) override {
    SyntaxIssue is;
    is.loc = Loc{file_, static_cast<uint32_t>(line) + line0_ - 1,
                 static_cast<uint32_t>(col) + (line == 1 ? col0_ : 0) + 1, 1};
    is.fallback = msg;
    if (bad) {
      is.has_token = true;
      is.token = bad->getTokenIndex();
      if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
        try {
          for (ssize_t t : parser->getExpectedTokens().toList()) is.expected.push_back(static_cast<size_t>(t));
        } catch (...) {
        }
      }
    }
    issues_.push_back(std::move(is));
    if (issues_.size() > kMaxSyntaxErrors) throw TooManyErrors{};
  }
  size_t count() const { return issues_.size(); }
  const std::vector<SyntaxIssue>& issues() const { return issues_; }

 private:
  uint32_t file_, line0_, col0_;
  std::vector<SyntaxIssue> issues_;
};

// One lexer+parser over a piece of text (a file, or a template hole).
struct Parse {
  Parse(const std::string& text, uint32_t file, uint32_t line0, uint32_t col0)
      : input(text), lexer(&input), tokens(&lexer), parser(&tokens), listener(file, line0, col0) {
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
  }
  antlr4::ANTLRInputStream input;
  dta_antlr::DtaLexer lexer;
  antlr4::CommonTokenStream tokens;
  P parser;
  ErrorListener listener;
};

// ---------------------------------------------------------------- messages
// Syntax and lexical errors that say how to fix them: what was expected in
// words, the usual slips from other languages (&&, ||, !, =, 'x', # comments,
// 5sec), the brace that was never closed, and one error per mistake.

// A keyword token: the non-reserved ones run from POLICY to SEVERITY.
bool is_keyword(size_t t) { return t >= P::POLICY && t <= P::SEVERITY; }
bool is_word(size_t t) {
  switch (t) {
    case P::ID: case P::AND: case P::OR: case P::NOT: case P::IN: case P::TRUE: case P::FALSE: return true;
    default: return is_keyword(t);
  }
}
// A word that begins an action or a block statement.
bool is_action_word(size_t t) {
  switch (t) {
    case P::ERROR: case P::WARNING: case P::INFO: case P::OK: case P::ALERT: case P::EMIT: case P::COUNT:
    case P::OBSERVE: case P::COLLECT: case P::DISCARD: case P::ENABLE: case P::WHEN: case P::EXPECT:
      return true;
    default:
      return false;
  }
}
// A literal: a number, duration, size, percentage or string.
bool is_literal(size_t t) {
  switch (t) {
    case P::INT: case P::FLOAT: case P::DURATION: case P::SIZE: case P::PERCENT: case P::STRING: case P::TEMPLATE:
      return true;
    default:
      return false;
  }
}
bool is_opener(size_t t) { return t == P::LPAREN || t == P::LBRACK || t == P::LBRACE; }
bool is_closer(size_t t) { return t == P::RPAREN || t == P::RBRACK || t == P::RBRACE; }
size_t closer_of(size_t opener) {
  return opener == P::LPAREN ? P::RPAREN : opener == P::LBRACK ? P::RBRACK : P::RBRACE;
}
const char* bracket_text(size_t t) {
  switch (t) {
    case P::LPAREN: return "(";
    case P::RPAREN: return ")";
    case P::LBRACK: return "[";
    case P::RBRACK: return "]";
    case P::LBRACE: return "{";
    default: return "}";
  }
}
// Keywords that begin a top-level declaration.
bool starts_declaration(size_t t) {
  switch (t) {
    case P::POLICY: case P::INCLUDE: case P::CONST: case P::EVENT: case P::RULE: case P::FILTER:
    case P::MACHINE: case P::RECORDER: case P::PROFILE: case P::TEST:
      return true;
    default:
      return false;
  }
}

// Spellings of units people write for durations and sizes, and the unit
// the language spells them with (spec section 2).
struct UnitAlias {
  const char* written;
  const char* unit;
};
constexpr UnitAlias kUnitAliases[] = {
    {"nsec", "ns"},   {"nsecs", "ns"},   {"nanos", "ns"},   {"nanosecond", "ns"}, {"nanoseconds", "ns"},
    {"usec", "us"},   {"usecs", "us"},   {"micros", "us"},  {"microsecond", "us"}, {"microseconds", "us"},
    {"msec", "ms"},    {"msecs", "ms"},   {"millis", "ms"},     {"millisecond", "ms"},
    {"milliseconds", "ms"}, {"sec", "s"}, {"secs", "s"},   {"second", "s"},      {"seconds", "s"},
    {"min", "m"},     {"mins", "m"},     {"minute", "m"},   {"minutes", "m"},     {"hr", "h"},
    {"hrs", "h"},     {"hour", "h"},     {"hours", "h"},    {"day", "d"},         {"days", "d"},
    {"b", "B"},       {"kb", "KB"},      {"kib", "KB"},     {"mb", "MB"},         {"mib", "MB"},
    {"gb", "GB"},     {"gib", "GB"},     {"S", "s"},        {"MS", "ms"},         {"US", "us"},
    {"NS", "ns"},     {"H", "h"},        {"D", "d"},
};
constexpr const char* kUnitsText = "durations take ns, us, ms, s, m, h, d; sizes take B, KB, MB, GB";

// The unit `written` probably means ("sec" -> "s"), or nullptr.
const char* unit_alias(const std::string& written) {
  for (const UnitAlias& a : kUnitAliases)
    if (written == a.written) return a.unit;
  std::string lower = written;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const UnitAlias& a : kUnitAliases)
    if (lower == a.written) return a.unit;
  return nullptr;
}

// A character for a message: itself when printable ASCII, else U+XXXX (a
// control character in a message could rewrite the terminal it is shown on).
std::string shown_char(const std::string& utf8) {
  if (utf8.size() == 1 && utf8[0] >= 0x20 && utf8[0] < 0x7F) return "'" + utf8 + "'";
  uint32_t cp = static_cast<unsigned char>(utf8[0]);
  const size_t n = utf8_length(static_cast<unsigned char>(utf8[0]));
  if (n > 1 && utf8.size() >= n) {
    cp &= 0xFFu >> (n + 1);
    for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i]) & 0x3F);
  }
  return fmt::format("U+{:04X}", cp);
}

// A token as a message names it: 'text' (cut when long), "the end of the
// file" (`end`: what the parsed text is the end of).
std::string shown_token(antlr4::Token* t, const char* end) {
  if (t->getType() == antlr4::Token::EOF) return end;
  std::string text = t->getText();
  if (t->getType() == P::STRING || t->getType() == P::TEMPLATE) return "a string";
  if (code_points(text, 0, text.size()) > kMaxShownToken) {
    size_t cut = 0;
    for (uint32_t n = 0; cut < text.size() && n < kMaxShownToken; ++n)
      cut += utf8_length(static_cast<unsigned char>(text[cut]));
    text = text.substr(0, cut) + "...";
  }
  return "'" + text + "'";
}

// Words for a set of token types the parser could take: "an expression",
// "'on'", "an action (error, warning, ...)"; "" when there are too many to
// help. A group is named when its key tokens are all in the set; it then
// takes all its tokens out.
std::string expected_words(std::vector<size_t> set, const antlr4::dfa::Vocabulary& vocab, const char* end) {
  struct Group {
    const char* words;
    std::vector<size_t> key;
    std::vector<size_t> members;
    bool keywords;  // also takes every non-reserved keyword (they are names too)
  };
  static const Group kGroups[] = {
      {"an expression", {P::INT, P::STRING, P::LPAREN, P::MINUS},
       {P::INT, P::FLOAT, P::DURATION, P::SIZE, P::PERCENT, P::STRING, P::TEMPLATE, P::TRUE, P::FALSE, P::LBRACK,
        P::LPAREN, P::MINUS, P::NOT, P::DOTTED, P::ID},
       true},
      {"an operator", {P::AND, P::OR, P::PLUS},
       {P::AND, P::OR, P::NOT, P::IN, P::PLUS, P::MINUS, P::STAR, P::SLASH, P::PERCENT_OP, P::LT, P::LE, P::GT, P::GE,
        P::EQ, P::NE},
       false},
      {"an event pattern (db.open, db.*, *)", {P::PATTERN, P::STAR}, {P::PATTERN, P::STAR, P::DOTTED, P::ID}, true},
      {"an event name", {P::DOTTED, P::ID}, {P::DOTTED, P::ID}, true},
      {"a duration (10s) or a constant", {P::DURATION, P::ID}, {P::DURATION, P::ID}, true},
      {"a name", {P::ID}, {P::ID}, true},
      {"a declaration (rule, event, const, filter, machine, profile, include, policy)", {P::RULE, P::EVENT, P::CONST},
       {P::POLICY, P::INCLUDE, P::CONST, P::EVENT, P::RULE, P::FILTER, P::MACHINE, P::RECORDER, P::PROFILE, P::TEST},
       false},
      {"an action (error, warning, info, ok, alert, emit, count, observe, when, expect)", {P::ERROR, P::WARNING, P::OK},
       {P::ERROR, P::WARNING, P::INFO, P::OK, P::ALERT, P::COLLECT, P::DISCARD, P::ENABLE, P::EMIT, P::COUNT,
        P::OBSERVE, P::WHEN, P::EXPECT},
       false},
      {"a setting (set, rule, alert, max, warnings)", {P::SET, P::WARNINGS},
       {P::SET, P::RULE, P::ALERT, P::MAX, P::WARNINGS, P::BUDGET, P::INJECT, P::SEED},
       false},
      {"a filter action (drop, redact, sample)", {P::DROP, P::REDACT, P::SAMPLE}, {P::DROP, P::REDACT, P::SAMPLE}, false},
      {"a comparison (>, >=, <, <=, ==, !=)", {P::GT, P::LT, P::EQ}, {P::LT, P::LE, P::GT, P::GE, P::EQ, P::NE}, false},
  };
  const auto has = [&](size_t t) { return std::find(set.begin(), set.end(), t) != set.end(); };
  std::vector<std::string> words;
  for (const Group& g : kGroups) {
    if (!std::all_of(g.key.begin(), g.key.end(), has)) continue;
    words.emplace_back(g.words);
    std::erase_if(set, [&](size_t t) {
      return std::find(g.members.begin(), g.members.end(), t) != g.members.end() || (g.keywords && is_keyword(t));
    });
  }
  if (has(P::COMMA)) std::erase(set, P::SEMI);  // separators are optional: one is enough to name
  for (size_t t : set) {
    switch (t) {
      case antlr4::Token::EOF: words.emplace_back(end); break;
      case P::INT: case P::FLOAT: words.emplace_back("a number"); break;
      case P::STRING: case P::TEMPLATE: words.emplace_back("a string (\"...\")"); break;
      case P::DURATION: words.emplace_back("a duration (10s)"); break;
      case P::SIZE: words.emplace_back("a size (10MB)"); break;
      case P::PERCENT: words.emplace_back("a percentage (5%)"); break;
      case P::DOTTED: case P::PATTERN: words.emplace_back("an event name"); break;
      case P::ID: words.emplace_back("a name"); break;
      default: words.push_back(vocab.getDisplayName(t)); break;
    }
  }
  std::vector<std::string> unique;
  for (std::string& w : words)
    if (std::find(unique.begin(), unique.end(), w) == unique.end()) unique.push_back(std::move(w));
  if (unique.empty() || unique.size() > kMaxExpectedWords) return "";
  if (unique.size() == 1) return unique[0];
  return fmt::format("{} or {}", fmt::join(unique.begin(), unique.end() - 1, ", "), unique.back());
}

// The keywords among `set` ("error", "when"), for "did you mean".
std::vector<std::string> expected_keywords(const std::vector<size_t>& set, const antlr4::dfa::Vocabulary& vocab) {
  std::vector<std::string> out;
  for (size_t t : set) {
    const std::string lit = vocab.getLiteralName(t);  // "'error'"
    if (lit.size() > 2 && std::isalpha(static_cast<unsigned char>(lit[1]))) out.push_back(lit.substr(1, lit.size() - 2));
  }
  return out;
}

class Builder {
 public:
  Builder(const SourceSet& sources, uint32_t file, ast::Policy& policy, DiagBag& diags, const IncludeFn& inc)
      : sources_(sources), file_(file), policy_(policy), diags_(diags), on_include_(inc) {}

  bool run() {
    const size_t before = diags_.count();
    try {
      const std::string& text = sources_.files[file_].text;
      if (looks_like_json(text)) {
        diags_.error(Loc{file_, 1, 1, 1}, "this is JSON, not a policy (an events file?)");
        return false;
      }
      Parse parse(text, file_, 1, 0);
      std::vector<size_t> bad;  // tokens of lexical mistakes (reported)
      if (!lex(parse, 1, 0, bad)) {
        flush_early();
        return false;
      }
      std::vector<P::ItemContext*> items;
      std::vector<size_t> firsts;
      const bool parsed = parse_items(parse, items, firsts);
      if (!parsed) report_syntax(parse, 1, 0, firsts, bad);
      flush_early();
      if (!parsed || !bad.empty() || diags_.count() > before) return false;
      // Errors from here on (a lone '}', chained comparisons, a bad escape) may
      // leave parts of the tree missing: the file fails, and no pass sees it.
      for (P::ItemContext* item : items) build_item(item);
      return diags_.count() == before;
    } catch (const std::exception& e) {
      diags_.error_at_file(sources_.files[file_].path, fmt::format("parser failure: {}", e.what()));
      return false;
    } catch (...) {
      diags_.error_at_file(sources_.files[file_].path, "parser failure");
      return false;
    }
  }

 private:
  // ---------------------------------------------------------------- tokens
  Loc loc(antlr4::Token* t, uint32_t line0 = 1, uint32_t col0 = 0) const {
    const uint32_t line = static_cast<uint32_t>(t->getLine());
    return Loc{file_, line + line0 - 1, static_cast<uint32_t>(t->getCharPositionInLine()) + (line == 1 ? col0 : 0) + 1,
               static_cast<uint32_t>(std::max<size_t>(1, t->getStopIndex() + 1 - t->getStartIndex()))};
  }
  Loc loc(antlr4::tree::TerminalNode* n) const { return loc(n->getSymbol()); }
  Loc loc(antlr4::ParserRuleContext* c) const {
    Loc l = loc(c->getStart());
    if (c->getStop() && c->getStop()->getLine() == c->getStart()->getLine() &&
        c->getStop()->getStopIndex() >= c->getStart()->getStartIndex())
      l.len = static_cast<uint32_t>(c->getStop()->getStopIndex() + 1 - c->getStart()->getStartIndex());
    return l;
  }

  // Lexical and syntax errors wait here until the parse is over, and are
  // then reported in the order of their places (a lexical mistake on line 9
  // is found before a syntax error on line 2).
  struct EarlyError {
    Loc loc;
    std::string message;
    std::vector<std::pair<Loc, std::string>> notes;
  };
  void early_error(const Loc& l, std::string message) {
    early_kept_ = early_.size() < kMaxSyntaxErrors;  // more would bury the first ones
    if (!early_kept_) return;
    early_.push_back({l, std::move(message), {}});
  }
  void early_note(const Loc& l, std::string message) {
    if (!early_.empty() && early_kept_) early_.back().notes.emplace_back(l, std::move(message));
  }
  // Reports the early errors in the order of their places.
  void flush_early() {
    std::stable_sort(early_.begin(), early_.end(), [](const EarlyError& x, const EarlyError& y) {
      return std::tie(x.loc.line, x.loc.col) < std::tie(y.loc.line, y.loc.col);
    });
    for (EarlyError& e : early_) {
      diags_.error(e.loc, std::move(e.message));
      for (auto& [l, note] : e.notes) diags_.note(l, std::move(note));
    }
    early_.clear();
  }

  // Lexical errors and the nesting cap, before the parser runs. Each mistake
  // is one error (`&&` is one, and so is a whole 'single-quoted' string); its
  // tokens go to `bad`, so that the parser's errors there are not reported
  // again. False when the text must not be parsed (nested too deeply).
  bool lex(Parse& parse, uint32_t line0, uint32_t col0, std::vector<size_t>& bad) {
    parse.tokens.fill();
    int depth = 0, prefix_run = 0;
    const std::vector<antlr4::Token*> toks = parse.tokens.getTokens();
    size_t skip_to = 0;  // tokens that start before this character index belong to a mistake already reported
    for (size_t i = 0; i < toks.size(); ++i) {
      antlr4::Token* t = toks[i];
      const size_t type = t->getType();
      const Loc l = loc(t, line0, col0);
      // The nesting cap counts every token the parser will see, mistakes included.
      if (type == P::LPAREN || type == P::LBRACK || type == P::LBRACE) ++depth;
      if (type == P::RPAREN || type == P::RBRACK || type == P::RBRACE) --depth;
      prefix_run = (type == P::NOT || type == P::MINUS) ? prefix_run + 1 : 0;
      if (depth > kMaxNesting || prefix_run > kMaxNesting) {
        early_error(l, fmt::format("nested too deeply (more than {} levels)", kMaxNesting));
        return false;
      }
      if (type != antlr4::Token::EOF && t->getStartIndex() < skip_to) {
        bad.push_back(i);
        continue;
      }
      switch (type) {
        case P::BAD_NUMBER:
          early_error(l, bad_number(t->getText()));
          bad.push_back(i);
          break;
        case P::BAD_STRING:
          early_error(l, "unterminated string (or unbalanced '{' in a template)");
          bad.push_back(i);
          break;
        case P::BAD_CHAR:
          skip_to = bad_char(parse, toks, i, line0, col0);
          bad.push_back(i);
          break;
        default: break;
      }
    }
    parse.tokens.seek(0);
    return true;
  }

  // "5sec": the units the language knows, and the one probably meant.
  static std::string bad_number(const std::string& text) {
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i + 1 < text.size() && text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      i += 2;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    const std::string number = text.substr(0, i), unit = text.substr(i);
    const bool letters = !unit.empty() && std::all_of(unit.begin(), unit.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    const bool hex = text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (!letters || hex || unit == "e" || unit == "E")
      return fmt::format("malformed number '{}' (a letter, digit or '.' glued to a number)", text);
    if (const char* meant = unit_alias(unit))
      return fmt::format("unknown unit '{}' in '{}': write '{}{}' ({})", unit, text, number, meant, kUnitsText);
    return fmt::format("unknown unit '{}' in '{}' ({})", unit, text, kUnitsText);
  }

  // Reports the unexpected character at toks[i] and what it probably meant
  // (`&&`, `||`, `!`, quotes, `#`); returns the character index up to which
  // the following tokens are part of the same mistake.
  size_t bad_char(Parse& parse, const std::vector<antlr4::Token*>& toks, size_t i, uint32_t line0, uint32_t col0) {
    antlr4::Token* t = toks[i];
    const std::string c = t->getText();
    const size_t after = t->getStopIndex() + 1;
    Loc l = loc(t, line0, col0);
    if (c == "&" || c == "|") {
      // `&&` (or `&&&`): the same character right after this one is the same mistake.
      size_t end = i;
      while (end + 1 < toks.size() && toks[end + 1]->getType() == P::BAD_CHAR && toks[end + 1]->getText() == c &&
             toks[end + 1]->getStartIndex() == toks[end]->getStopIndex() + 1)
        ++end;
      std::string written;
      for (size_t k = i; k <= end; ++k) written += c;
      l.len = static_cast<uint32_t>(written.size());
      early_error(l, fmt::format("use '{}' instead of '{}'", c == "&" ? "and" : "or", written));
      return toks[end]->getStopIndex() + 1;
    }
    if (c == "!") {
      early_error(l, "use 'not' instead of '!'");
      return after;
    }
    if (c == "'" || c == "`") {
      // The closing quote on the same line, if any: the whole string is one
      // mistake (whatever it lexed as: names, or a '"' opening a string).
      const size_t stop = std::min(parse.input.size(), after + kMaxQuoteScan);
      const std::string rest = after < stop ? parse.input.getText(antlr4::misc::Interval(after, stop - 1)) : "";
      const size_t close = rest.find_first_of(c + "\n");
      if (close != std::string::npos && rest[close] == c[0]) {
        const std::string inner = rest.substr(0, close);
        const uint32_t n = code_points(inner, 0, inner.size());
        l.len = n + 2;
        const bool plain = inner.find_first_of("\"\\") == std::string::npos && n <= 40;
        early_error(l, plain ? fmt::format("strings use double quotes: write \"{}\"", inner)
                             : std::string("strings use double quotes (\"...\")"));
        return after + n + 1;
      }
      early_error(l, fmt::format("strings use double quotes (\"...\"), not {}", c == "'" ? "single quotes" : "backquotes"));
      return after;
    }
    if (c == "#") {
      early_error(l, "comments start with '//' (or are written /* ... */), not '#'");
      size_t end = after;  // the rest of the line is the comment
      for (size_t j = i + 1; j < toks.size() && toks[j]->getLine() == t->getLine(); ++j) end = toks[j]->getStopIndex() + 1;
      return end;
    }
    if (c == "~") {
      early_error(l, "there is no '~' operator: test a regex with matches(s, \"regex\")");
      return after;
    }
    early_error(l, fmt::format("unexpected character {}", shown_char(c)));
    // A control character (an escape sequence, binary data): what is glued to
    // it is part of the same garbage.
    const unsigned char byte = static_cast<unsigned char>(c[0]);
    if (c.size() == 1 && (byte < 0x20 || byte == 0x7F)) {
      size_t end = i;
      while (end + 1 < toks.size() && toks[end + 1]->getType() != antlr4::Token::EOF &&
             toks[end + 1]->getStartIndex() == toks[end]->getStopIndex() + 1)
        ++end;
      return toks[end]->getStopIndex() + 1;
    }
    return after;
  }

  // Whether the text is JSON (an events file given as a policy): an object
  // whose first key is a string. No policy starts with '{'.
  static bool looks_like_json(const std::string& text) {
    size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    const auto blank = [&] {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
    };
    blank();
    if (i >= text.size() || text[i] != '{') return false;
    ++i;
    blank();
    return i < text.size() && text[i] == '"';
  }

  // Parses the file's declarations (the grammar's `file: item* EOF`), one at
  // a time, so that after a syntax error the parse resumes at the next
  // declaration (a declaration keyword first on its line, outside brackets)
  // and finds the next independent mistake. False when any was found.
  // `firsts` gets the index (in the listener's issues) of the first error of
  // each declaration that had one: the others are its consequences.
  bool parse_items(Parse& parse, std::vector<P::ItemContext*>& items, std::vector<size_t>& firsts) {
    std::optional<TokenLayout> layout;  // only needed after an error
    try {
      while (parse.tokens.LA(1) != antlr4::Token::EOF) {
        const size_t errors = parse.listener.count(), start = parse.tokens.index();
        P::ItemContext* item = parse.parser.item();
        if (parse.listener.count() == errors) {
          items.push_back(item);
          continue;
        }
        firsts.push_back(errors);
        const SyntaxIssue& first = parse.listener.issues()[errors];
        if (!first.has_token) break;
        if (!layout) layout.emplace(parse.tokens.getTokens());
        parse.tokens.seek(layout->next_fresh_start(std::max(first.token, start)));  // always forward
        parse.parser.getErrorHandler()->reset(&parse.parser);
      }
    } catch (const TooManyErrors&) {
    }
    return parse.listener.count() == 0;
  }

  // Runs a parse; nullptr when it reported syntax errors (or too many).
  template <class F>
  auto parse_checked(Parse& parse, F&& run) -> decltype(run()) {
    try {
      auto* tree = run();
      return parse.listener.count() > 0 ? nullptr : tree;
    } catch (const TooManyErrors&) {
      return nullptr;
    }
  }

  // ---------------------------------------------------------------- syntax errors
  // Reports the syntax errors of a parse: one per mistake. Only the first
  // error of each declaration is reported (ANTLR's recovery makes the others
  // out of it), none where a lexical mistake was already reported (`bad`),
  // and none after an unclosed bracket, which explains everything after it.
  void report_syntax(Parse& parse, uint32_t line0, uint32_t col0, const std::vector<size_t>& firsts,
                     const std::vector<size_t>& bad) {
    const TokenLayout layout(parse.tokens.getTokens());
    const std::vector<antlr4::Token*>& toks = layout.tokens();
    for (size_t i : firsts) {
      const SyntaxIssue& is = parse.listener.issues()[i];
      if (!is.has_token || is.token >= toks.size()) {
        early_error(is.loc, "syntax error: " + is.fallback);
        continue;
      }
      if (std::binary_search(bad.begin(), bad.end(), is.token)) continue;
      if (report_issue(parse, layout, is, line0, col0)) return;
    }
  }

  // Where brackets open and close, and how lines are indented, in a token stream.
  class TokenLayout {
   public:
    explicit TokenLayout(const std::vector<antlr4::Token*>& toks) : toks_(toks), depth_(toks.size(), 0) {
      std::vector<size_t> stack;
      matched_.assign(toks.size(), SIZE_MAX);
      for (size_t i = 0; i < toks.size(); ++i) {
        const size_t t = toks[i]->getType();
        depth_[i] = static_cast<int>(stack.size());
        const size_t line = toks[i]->getLine();
        if (line >= indent_.size()) indent_.resize(line + 1, UINT32_MAX);
        if (indent_[line] == UINT32_MAX) indent_[line] = static_cast<uint32_t>(toks[i]->getCharPositionInLine());
        if (is_opener(t)) stack.push_back(i);
        if (is_closer(t)) {
          // Close the nearest opener of the same kind; a closer that matches none is stray.
          for (size_t k = stack.size(); k-- > 0;) {
            if (closer_of(toks[stack[k]]->getType()) != t) continue;
            matched_[stack[k]] = i;
            matched_[i] = stack[k];
            stack.resize(k);
            break;
          }
        }
      }
    }
    const std::vector<antlr4::Token*>& tokens() const { return toks_; }
    // Whether token i is the first on its line.
    bool first_on_line(size_t i) const {
      return i == 0 || toks_[i - 1]->getLine() != toks_[i]->getLine() ||
             toks_[i]->getType() == antlr4::Token::EOF;
    }
    // The indentation of the line token i is on.
    uint32_t indent(size_t i) const { return indent_[toks_[i]->getLine()]; }
    // The token that closes (or opens) bracket i, or SIZE_MAX.
    size_t match(size_t i) const { return matched_[i]; }
    // The first declaration that starts after token `after` (a declaration
    // keyword first on its line, outside brackets), or the end of the file.
    size_t next_fresh_start(size_t after) const {
      for (size_t k = after + 1; k < toks_.size(); ++k)
        if (toks_[k]->getType() == antlr4::Token::EOF || (starts_declaration(toks_[k]->getType()) && first_on_line(k) && depth_[k] == 0))
          return k;
      return toks_.empty() ? 0 : toks_.size() - 1;
    }
    // The brackets open before token `at`, outermost first.
    std::vector<size_t> open_before(size_t at) const {
      std::vector<size_t> stack;
      for (size_t i = 0; i < at && i < toks_.size(); ++i) {
        if (is_opener(toks_[i]->getType())) stack.push_back(i);
        if (is_closer(toks_[i]->getType()) && matched_[i] != SIZE_MAX)
          while (!stack.empty() && stack.back() >= matched_[i]) stack.pop_back();
      }
      return stack;
    }

   private:
    const std::vector<antlr4::Token*> toks_;  // a copy: getTokens() returns one
    std::vector<int> depth_;         // brackets open before each token
    std::vector<size_t> matched_;    // each bracket's partner
    std::vector<uint32_t> indent_;   // by line: the column of its first token
  };

  // Reports one syntax error; returns whether it was an unclosed bracket.
  bool report_issue(Parse& parse, const TokenLayout& layout, const SyntaxIssue& is, uint32_t line0, uint32_t col0) {
    const std::vector<antlr4::Token*>& toks = layout.tokens();
    antlr4::Token* bad = toks[is.token];
    const size_t type = bad->getType();
    const Loc at = loc(bad, line0, col0);
    antlr4::Token* prev = is.token > 0 ? toks[is.token - 1] : nullptr;
    const auto expects = [&](size_t t) { return std::find(is.expected.begin(), is.expected.end(), t) != is.expected.end(); };
    const char* end = line0 == 1 && col0 == 0 ? "the end of the file" : "the end of the hole";  // a hole never starts at 1:1
    const std::string found = shown_token(bad, end);

    // A bracket open here that nothing ever closes: point at it.
    const std::vector<size_t> open = layout.open_before(is.token);
    for (size_t k = open.size(); k-- > 0;) {
      if (layout.match(open[k]) != SIZE_MAX) continue;
      size_t culprit = open[k];
      // A '}' less indented than the line of the '{' it closes probably
      // belonged to an outer brace: that '{' is the one missing its '}'.
      for (size_t j = culprit + 1; j < is.token; ++j) {
        const size_t m = layout.match(j);
        if (is_opener(toks[j]->getType()) && m != SIZE_MAX && layout.first_on_line(m) &&
            toks[m]->getCharPositionInLine() < layout.indent(j)) {
          culprit = j;
          break;
        }
      }
      antlr4::Token* o = toks[culprit];
      const char* closer = bracket_text(closer_of(o->getType()));
      if (type == antlr4::Token::EOF) {
        early_error(loc(o, line0, col0), fmt::format("'{}' is never closed: expected '{}' before the end of the file",
                                                      o->getText(), closer));
      } else {
        early_error(loc(o, line0, col0), fmt::format("'{}' is never closed: expected '{}' before {} on line {}",
                                                      o->getText(), closer, found, at.line));
        early_note(at, fmt::format("'{}' missing before this", closer));
      }
      return true;
    }
    if (is_closer(type) && layout.match(is.token) == SIZE_MAX) {
      early_error(at, fmt::format("this '{}' closes nothing: no '{}' is open here", bad->getText(),
                                   bracket_text(type == P::RPAREN ? P::LPAREN : type == P::RBRACK ? P::LBRACK : P::LBRACE)));
      return false;
    }
    const bool value_before = prev && (is_word(prev->getType()) || is_literal(prev->getType()) ||
                                       prev->getType() == P::DOTTED || prev->getType() == P::RPAREN ||
                                       prev->getType() == P::RBRACK);
    if (type == P::ASSIGN && value_before) {
      early_error(at, "'=' does not compare: write '==' (a single '=' only gives a 'const' or a 'set' its value)");
      return false;
    }
    if (prev && is_word(type) && (prev->getType() == P::INT || prev->getType() == P::FLOAT) &&
        prev->getLine() == bad->getLine()) {
      const std::string word = bad->getText();
      static const char* const kUnits[] = {"ns", "us", "ms", "s", "m", "h", "d", "B", "KB", "MB", "GB"};
      const char* unit = unit_alias(word);
      for (const char* u : kUnits)
        if (word == u) unit = u;
      if (unit) {
        early_error(at, fmt::format("a unit is written against its number: write '{}{}'", prev->getText(), unit));
        return false;
      }
    }
    if (expects(P::LBRACE) && is_action_word(type) && !expects(type)) {
      early_error(at, fmt::format("syntax error: expected '{{' before {}: actions go between '{{' and '}}'", found));
      return false;
    }
    const auto& vocab = parse.parser.getVocabulary();
    const std::string words = expected_words(is.expected, vocab, end);
    std::string hint;
    if (is_word(type)) {
      const std::string best = closest_name(bad->getText(), expected_keywords(is.expected, vocab));
      if (!best.empty()) hint = fmt::format(" (did you mean '{}'?)", best);
    }
    std::string after;
    if (prev && (is_word(prev->getType()) || vocab.getLiteralName(prev->getType()).size() > 2) &&
        code_points(prev->getText(), 0, prev->getText().size()) <= kMaxShownToken)
      after = fmt::format(" after '{}'", prev->getText());
    early_error(at, words.empty() ? fmt::format("syntax error: unexpected {}{}", found, hint)
                                   : fmt::format("syntax error: expected {}{}, found {}{}", words, after, found, hint));
    // A ')' or ']' expected: show where its bracket opened.
    if (!open.empty() && expects(closer_of(toks[open.back()]->getType())) && toks[open.back()]->getType() != P::LBRACE)
      early_note(loc(toks[open.back()], line0, col0), fmt::format("the '{}' opened here", toks[open.back()]->getText()));
    return false;
  }

  // ---------------------------------------------------------------- literals
  // Places in a token's text, walked forward: each step costs only the bytes
  // it passes, so a long string with many holes or escapes stays linear.
  class Columns {
   public:
    Columns(const std::string& raw, const Loc& tok) : raw_(raw), loc_(tok) {}
    // The place of raw[i] (i never decreases between calls), `len` characters long.
    Loc at(size_t i, uint32_t len = 1) {
      loc_.col += code_points(raw_, pos_, i);
      pos_ = i;
      Loc l = loc_;
      l.len = len;
      return l;
    }

   private:
    const std::string& raw_;
    Loc loc_;
    size_t pos_ = 0;
  };

  // The contents of a plain string token, escapes applied; braces are text.
  std::string unescape(const std::string& raw, const Loc& l) {
    std::string out;
    Columns cols(raw, l);
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] != '\\') {
        out += raw[i];
        continue;
      }
      i += escape(raw, i, out, cols);
    }
    return out;
  }

  // Applies the escape at raw[i] ('\\'); returns the extra characters
  // consumed. A wrong escape is reported at its column.
  size_t escape(const std::string& raw, size_t i, std::string& out, Columns& cols) {
    const char c = raw[i + 1];
    switch (c) {
      case 'n': out += '\n'; return 1;
      case 'r': out += '\r'; return 1;
      case 't': out += '\t'; return 1;
      case '"': out += '"'; return 1;
      case '\\': out += '\\'; return 1;
      case 'u': {
        // \u{H}: 1 to 6 hex digits naming a Unicode scalar value.
        size_t close = i + 3;
        while (close + 1 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[close]))) ++close;
        uint32_t cp = 0;
        const bool braced = raw[i + 2] == '{' && close + 1 < raw.size() && raw[close] == '}';
        const bool shaped = braced && close > i + 3 && close <= i + 9;
        if (shaped) std::from_chars(raw.data() + i + 3, raw.data() + close, cp, 16);
        if (!shaped || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          const size_t end = braced ? close : i + 1;
          diags_.error(cols.at(i, code_points(raw, i, end + 1)),
                       fmt::format("invalid escape '{}' in string (\\u{{H}} takes 1 to 6 hex digits of a Unicode "
                                   "scalar value)",
                                   raw.substr(i, end + 1 - i)));
          return end - i;
        }
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
          out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
          out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        return close - i;
      }
      default: {
        const size_t n = std::min(utf8_length(static_cast<unsigned char>(c)), raw.size() - 2 - i);
        diags_.error(cols.at(i, 2),
                     fmt::format("invalid escape '\\{}' in string (valid: \\\" \\\\ \\n \\r \\t \\u{{H}})",
                                 raw.substr(i + 1, n)));
        return n;
      }
    }
  }

  // A message template from its token (a TEMPLATE, or a STRING where template
  // lexing failed): literal text and `{expr}` holes.
  ast::TemplateAst tmpl(antlr4::Token* tok) {
    ast::TemplateAst t;
    const std::string raw = tok->getText();
    t.loc = loc(tok);
    Columns cols(raw, t.loc);
    size_t holes = 0;
    std::string text;
    auto flush = [&] {
      if (!text.empty()) t.parts.push_back({std::move(text), nullptr});
      text.clear();
    };
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '\\') {
        i += escape(raw, i, text, cols);
      } else if (c == '{' && raw[i + 1] == '{') {
        text += '{';
        ++i;
      } else if (c == '}' && raw[i + 1] == '}') {
        text += '}';
        ++i;
      } else if (c == '}') {
        diags_.error(cols.at(i), "lone '}' in a template (write '}}' for a brace)");
      } else if (c == '{') {
        const Loc here = cols.at(i);
        const size_t close = hole_end(raw, i);
        if (close == std::string::npos) {
          diags_.error(here, "unbalanced '{' in a template (write '{{' for a brace)");
          break;
        }
        const std::string inner = raw.substr(i + 1, close - i - 1);
        if (inner.find_first_not_of(" \t") == std::string::npos) {
          diags_.error(here, "empty template hole");
        } else if (++holes > kMaxTemplateHoles) {
          diags_.error(here, fmt::format("too many holes in one template (more than {})", kMaxTemplateHoles));
          break;
        } else {
          flush();
          ExprPtr e = parse_hole(inner, here.line, here.col);
          if (e) t.parts.push_back({"", std::move(e)});
        }
        i = close;
      } else {
        text += c;
      }
    }
    flush();
    return t;
  }
  ast::TemplateAst tmpl(P::MessageContext* m) { return tmpl(m->getStart()); }

  // A TEMPLATE token where a plain string goes (a map value inside a larger
  // expression): its text, `{{` and `}}` read as braces; holes are an error.
  std::string template_as_text(antlr4::Token* tok) {
    ast::TemplateAst t = tmpl(tok);
    std::string out;
    for (const ast::TemplatePart& part : t.parts) {
      if (part.hole) {
        diags_.error(part.hole->loc, "a template's holes are filled only when the string is the whole value");
        break;
      }
      out += part.text;
    }
    return out;
  }

  // Index of the '}' closing the hole that opens at raw[open], or npos.
  static size_t hole_end(const std::string& raw, size_t open) {
    int depth = 0;
    for (size_t j = open; j + 1 < raw.size(); ++j) {
      if (raw[j] == '"') {
        for (++j; j + 1 < raw.size() && raw[j] != '"'; ++j)
          if (raw[j] == '\\') ++j;
      } else if (raw[j] == '{') {
        ++depth;
      } else if (raw[j] == '}' && --depth == 0) {
        return j;
      }
    }
    return std::string::npos;
  }

  // Parses a hole's text as an expression; columns continue the string's.
  ExprPtr parse_hole(const std::string& text, uint32_t line, uint32_t col) {
    const size_t before = diags_.count();
    Parse parse(text, file_, line, col);
    std::vector<size_t> bad;
    if (!lex(parse, line, col, bad)) {
      flush_early();
      return nullptr;
    }
    P::HoleExprContext* tree = parse_checked(parse, [&] { return parse.parser.holeExpr(); });
    if (!tree) report_syntax(parse, line, col, {0}, bad);
    flush_early();
    if (!tree || !bad.empty() || diags_.count() > before) return nullptr;
    hole_line0_ = line;
    hole_col0_ = col;
    in_hole_ = true;
    ExprPtr e = expr(tree->expr());
    in_hole_ = false;
    return e;
  }

  // ---------------------------------------------------------------- items
  std::string name(P::IdentContext* c) { return c->getText(); }

  void build_item(P::ItemContext* item) {
    if (auto* pd = item->policyDecl()) {
      if (policy_.policy_decls++ == 0) {
        policy_.name = name(pd->ident());
        policy_.name_loc = loc(pd->ident());
      } else {
        diags_.error(loc(pd), "the policy is named more than once");
      }
    } else if (auto* inc = item->includeDecl()) {
      on_include_(unescape(inc->STRING()->getText(), loc(inc->STRING())), loc(inc->STRING()));
    } else if (auto* cd = item->constDecl()) {
      policy_.consts.push_back({name(cd->ident()), loc(cd->ident()), expr(cd->expr()), {}});
    } else if (auto* ed = item->eventDecl()) {
      build_event(ed);
    } else if (auto* rd = item->ruleDecl()) {
      build_rule(rd);
    } else if (auto* fd = item->filterDecl()) {
      build_filter(fd);
    } else if (auto* prd = item->profileDecl()) {
      build_profile(prd);
    } else if (auto* md = item->machineDecl()) {
      build_machine(md);
    } else if (auto* recd = item->recorderDecl()) {
      build_recorder(recd);
    } else if (auto* td = item->testDecl()) {
      build_test(td);
    }
  }

  // `test "NAME" { ... }`: its lines as written (test_pass checks them).
  void build_test(P::TestDeclContext* c) {
    ast::TestDecl t;
    t.name = unescape(c->STRING()->getText(), loc(c->STRING()));
    t.loc = loc(c->STRING());
    for (P::TestItemContext* it : c->testItem()) {
      ast::TestItem item;
      item.loc = loc(it->getStart());
      if (auto* p = dynamic_cast<P::TestProfileContext*>(it)) {
        item.kind = ast::TestItemKind::Profile;
        item.text = name(p->ident());
        item.text_loc = loc(p->ident());
      } else if (auto* po = dynamic_cast<P::TestPolicyContext*>(it)) {
        item.kind = ast::TestItemKind::Policy;
        item.text = unescape(po->STRING()->getText(), loc(po->STRING()));
        item.text_loc = loc(po->STRING());
      } else if (auto* ev = dynamic_cast<P::TestEventsContext*>(it)) {
        item.kind = ast::TestItemKind::Events;
        item.text = unescape(ev->STRING()->getText(), loc(ev->STRING()));
        item.text_loc = loc(ev->STRING());
      } else if (auto* at = dynamic_cast<P::TestAtContext*>(it)) {
        item.kind = ast::TestItemKind::At;
        item.ns = duration_value(at->DURATION()->getText(), loc(at->DURATION()));
        item.text = at->eventName()->getText();
        item.text_loc = loc(at->eventName());
        if (at->ident()) {
          item.severity = name(at->ident());
          item.severity_loc = loc(at->ident());
        }
        item.fields = entries(at->mapLit());
      } else if (auto* adv = dynamic_cast<P::TestAdvanceContext*>(it)) {
        item.kind = ast::TestItemKind::Advance;
        item.ns = duration_value(adv->DURATION()->getText(), loc(adv->DURATION()));
      } else if (auto* ex = dynamic_cast<P::TestExpectContext*>(it)) {
        item.kind = ast::TestItemKind::Expect;
        item.subject = name(ex->ident(0));
        item.subject_loc = loc(ex->ident(0));
        if (ex->ident(1)) {
          item.what = name(ex->ident(1));
          item.what_loc = loc(ex->ident(1));
        }
        if (ex->INT()) {
          item.count = int_literal(ex->INT()->getText(), loc(ex->INT()));
          item.count_loc = loc(ex->INT());
        }
      }
      t.items.push_back(std::move(item));
    }
    policy_.tests.push_back(std::move(t));
  }

  void build_event(P::EventDeclContext* c) {
    ast::EventDecl e;
    e.name = c->eventName()->getText();
    e.loc = loc(c->eventName());
    if (c->INT()) e.id = int_literal(c->INT()->getText(), loc(c->INT()));
    for (P::FieldDeclContext* f : c->fieldDecl()) {
      ast::FieldDecl fd;
      fd.name = name(f->ident(0));
      fd.loc = loc(f->ident(0));
      fd.type_name = name(f->ident(1));
      fd.type_loc = loc(f->ident(1));
      fd.sensitive = f->SENSITIVE() != nullptr;
      e.fields.push_back(std::move(fd));
    }
    policy_.events.push_back(std::move(e));
  }

  std::vector<ast::Pattern> patterns(P::PatternListContext* c) {
    std::vector<ast::Pattern> out;
    for (P::PatternContext* p : c->pattern()) out.push_back({p->getText(), loc(p)});
    return out;
  }

  void build_rule(P::RuleDeclContext* c) {
    ast::RuleDecl r;
    r.name = name(c->ident());
    r.loc = loc(c->ident());
    r.patterns = patterns(c->patternList());
    if (c->expr()) r.where = expr(c->expr());
    r.body = block(c->block());
    policy_.rules.push_back(std::move(r));
  }

  ast::Block block(P::BlockContext* c) {
    ast::Block out;
    if (!c) return out;
    for (P::StmtContext* s : c->stmt()) {
      ast::Stmt st;
      if (s->action()) {
        st.action = action(s->action());
      } else if (s->whenBlock()) {
        st.kind = ast::Stmt::Kind::When;
        st.when = when(s->whenBlock());
      } else {
        st.kind = ast::Stmt::Kind::Expect;
        st.expect = expect(s->expectBlock());
      }
      out.push_back(std::move(st));
    }
    return out;
  }

  ExprPtr duration_ref(P::DurationRefContext* c) {
    if (!c) return nullptr;
    if (c->DURATION()) {
      auto e = make(ExprKind::IntLit, loc(c));
      e->i = duration_value(c->getText(), loc(c));
      e->unit = c->getText();
      return e;
    }
    auto e = make(ExprKind::Name, loc(c));
    e->s = c->getText();
    return e;
  }

  int64_t max_value(antlr4::tree::TerminalNode* n) {
    if (!n) return 0;
    const size_t before = diags_.count();
    const int64_t v = int_literal(n->getText(), loc(n));
    if (diags_.count() == before && (v <= 0 || v > kMaxCap))
      diags_.error(loc(n), fmt::format("a cap must be between 1 and {}", kMaxCap));
    return v;
  }

  std::unique_ptr<ast::WhenAst> when(P::WhenBlockContext* c) {
    auto w = std::make_unique<ast::WhenAst>();
    w->loc = loc(c->WHEN());
    const auto ids = c->ident();
    w->agg = name(ids[0]);
    w->agg_loc = loc(ids[0]);
    const auto exprs = c->expr();
    for (size_t i = 0; i + 1 < exprs.size(); ++i) w->args.push_back(expr(exprs[i]));
    w->threshold = expr(exprs.back());
    w->sliding = c->OVER() != nullptr;
    w->window = duration_ref(c->durationRef(0));
    if (c->FOR()) w->for_d = duration_ref(c->durationRef(1));
    w->cmp = op_of(c->cmpOp()->getStart()->getType());
    for (size_t i = 1; i < ids.size(); ++i) w->by.emplace_back(name(ids[i]), loc(ids[i]));
    w->max_keys = max_value(c->INT());
    w->body = block(c->block());
    return w;
  }

  std::unique_ptr<ast::ExpectAst> expect(P::ExpectBlockContext* c) {
    auto x = std::make_unique<ast::ExpectAst>();
    x->loc = loc(c->EXPECT());
    if (P::ExpectCountContext* n = c->expectCount()) {  // `expect 3 ...`: checked by resolve_pass and type_pass
      x->count = make(n->INT() ? ExprKind::IntLit : ExprKind::Name, loc(n));
      if (n->INT())
        x->count->i = int_literal(n->getText(), loc(n));
      else
        x->count->s = name(n->ident());
    }
    x->patterns = patterns(c->patternList());
    if (c->expr()) x->where = expr(c->expr());
    for (P::IdentContext* id : c->ident()) x->matching.emplace_back(name(id), loc(id));
    x->within = duration_ref(c->durationRef());
    x->max_pending = max_value(c->INT());
    x->has_then = c->THEN() != nullptr;
    x->has_else = c->ELSE() != nullptr;
    size_t b = 0;
    if (x->has_then) x->then_body = block(c->block(b++));
    if (x->has_else) x->else_body = block(c->block(b));
    return x;
  }

  void build_recorder(P::RecorderDeclContext* c) {
    ast::RecorderDecl r;
    r.name = name(c->ident(0));
    r.loc = loc(c->ident(0));
    r.capacity = int_literal(c->INT()->getText(), loc(c->INT()));
    r.capacity_loc = loc(c->INT());
    if (c->patternList()) r.patterns = patterns(c->patternList());
    if (c->BY()) {
      r.key = name(c->ident(1));
      r.key_loc = loc(c->ident(1));
    }
    if (c->IDLE()) r.idle = duration_ref(c->durationRef());
    policy_.recorders.push_back(std::move(r));
  }

  void build_machine(P::MachineDeclContext* c) {
    ast::MachineDecl m;
    m.name = name(c->ident(0));
    m.loc = loc(c->ident(0));
    m.key = name(c->ident(1));
    m.key_loc = loc(c->ident(1));
    m.max_keys = max_value(c->INT());
    for (P::MachineItemContext* item : c->machineItem()) {
      if (auto* init = dynamic_cast<P::InitialItemContext*>(item)) {
        m.initial = name(init->ident());
        m.initial_loc = loc(init->ident());
        ++m.initial_count;
        continue;
      }
      auto* st = dynamic_cast<P::StateItemContext*>(item);
      ast::StateAst state;
      state.name = name(st->ident());
      state.loc = loc(st->ident());
      for (P::TransitionContext* t : st->transition()) {
        ast::TransitionAst tr;
        tr.loc = loc(t->getStart());
        if (auto* on = dynamic_cast<P::OnTransitionContext*>(t)) {
          tr.patterns = patterns(on->patternList());
          if (on->expr()) tr.where = expr(on->expr());
          tr.target = name(on->ident());
          tr.target_loc = loc(on->ident());
          tr.body = block(on->block());
        } else if (auto* af = dynamic_cast<P::AfterTransitionContext*>(t)) {
          tr.after = true;
          tr.delay = duration_ref(af->durationRef());
          tr.target = name(af->ident());
          tr.target_loc = loc(af->ident());
          tr.body = block(af->block());
        }
        state.transitions.push_back(std::move(tr));
      }
      m.states.push_back(std::move(state));
    }
    policy_.machines.push_back(std::move(m));
  }

  void build_filter(P::FilterDeclContext* c) {
    ast::FilterDecl f;
    f.name = name(c->ident());
    f.loc = loc(c->ident());
    f.patterns = patterns(c->patternList());
    if (c->expr()) f.where = expr(c->expr());
    for (P::FilterActionContext* a : c->filterAction()) {
      ast::FilterActionAst fa;
      fa.loc = loc(a);
      if (dynamic_cast<P::DropActionContext*>(a)) {
        fa.kind = FilterKind::Drop;
      } else if (auto* r = dynamic_cast<P::RedactActionContext*>(a)) {
        fa.kind = FilterKind::Redact;
        for (P::ListNameContext* n : r->listName()) fa.fields.emplace_back(n->getText(), loc(n));
      } else if (auto* s = dynamic_cast<P::SampleActionContext*>(a)) {
        fa.kind = FilterKind::Sample;
        fa.fraction = expr(s->expr());
      }
      f.actions.push_back(std::move(fa));
    }
    policy_.filters.push_back(std::move(f));
  }

  std::vector<ast::MapEntry> entries(P::MapLitContext* m) {
    std::vector<ast::MapEntry> out;
    if (!m) return out;
    for (P::MapEntryContext* e : m->mapEntry()) {
      ast::MapEntry me;
      me.key = name(e->ident());
      me.loc = loc(e->ident());
      auto* prim = dynamic_cast<P::PrimaryExprContext*>(e->expr());
      if (prim && (prim->primary()->STRING() || prim->primary()->TEMPLATE()))
        me.tmpl = tmpl(prim->primary()->getStart());
      else me.value = expr(e->expr());
      out.push_back(std::move(me));
    }
    return out;
  }

  ast::ActionAst action(P::ActionContext* c) {
    ast::ActionAst a;
    a.loc = loc(c->getStart());
    if (auto* v = dynamic_cast<P::VerdictActionContext*>(c)) {
      a.level = v->level->getType() == P::ERROR ? Level::Error
              : v->level->getType() == P::WARNING ? Level::Warning : Level::Info;
      a.message = tmpl(v->message());
    } else if (auto* o = dynamic_cast<P::OkActionContext*>(c)) {
      a.level = Level::Ok;
      if (o->message()) a.message = tmpl(o->message());
    } else if (auto* al = dynamic_cast<P::AlertActionContext*>(c)) {
      a.kind = ast::ActionKind::Alert;
      a.name = name(al->ident());
      a.name_loc = loc(al->ident());
      a.message = tmpl(al->message());
      a.entries = entries(al->mapLit());
      for (P::ListNameContext* n : al->listName()) a.dedup.emplace_back(n->getText(), loc(n));
      if (al->EVERY()) a.every = duration_ref(al->durationRef());
    } else if (auto* cr = dynamic_cast<P::CollectRecorderContext*>(c)) {
      a.kind = ast::ActionKind::CollectRecorder;
      a.name = name(cr->ident());
      a.name_loc = loc(cr->ident());
    } else if (auto* cs = dynamic_cast<P::CollectSnapshotContext*>(c)) {
      a.kind = ast::ActionKind::CollectSnapshot;
      a.name = unescape(cs->STRING()->getText(), loc(cs->STRING()));
      a.name_loc = loc(cs->STRING());
    } else if (dynamic_cast<P::CollectProcessContext*>(c)) {
      a.kind = ast::ActionKind::CollectProcess;
    } else if (auto* d = dynamic_cast<P::DiscardActionContext*>(c)) {
      a.kind = ast::ActionKind::Discard;
      a.name = name(d->ident());
      a.name_loc = loc(d->ident());
    } else if (auto* en = dynamic_cast<P::EnableActionContext*>(c)) {
      a.kind = ast::ActionKind::Enable;
      a.name = en->pattern()->getText();
      a.name_loc = loc(en->pattern());
      if (en->LEVEL()) {
        a.min_severity = name(en->ident());
        a.min_severity_loc = loc(en->ident());
      }
      a.for_d = duration_ref(en->durationRef());
    } else if (auto* em = dynamic_cast<P::EmitActionContext*>(c)) {
      a.kind = ast::ActionKind::Emit;
      a.name = em->eventName()->getText();
      a.entries = entries(em->mapLit());
    } else if (auto* co = dynamic_cast<P::CountActionContext*>(c)) {
      a.kind = ast::ActionKind::Count;
      a.name = name(co->ident());
      a.entries = entries(co->mapLit());
    } else if (auto* ob = dynamic_cast<P::ObserveActionContext*>(c)) {
      a.kind = ast::ActionKind::Observe;
      a.name = name(ob->ident());
      a.value = expr(ob->expr());
      a.entries = entries(ob->mapLit());
    }
    return a;
  }

  // `rule NAME: LEVEL` and `alert NAME: LEVEL` in a profile.
  void named_level(ast::ProfileItem& item, ast::ProfileItemKind kind, P::IdentContext* n, P::IdentContext* l) {
    item.kind = kind;
    item.name = name(n);
    item.name_loc = loc(n);
    item.level = name(l);
    item.level_loc = loc(l);
  }

  void build_profile(P::ProfileDeclContext* c) {
    ast::ProfileDecl p;
    p.name = name(c->ident(0));
    p.loc = loc(c->ident(0));
    if (c->EXTENDS()) {
      p.extends = name(c->ident(1));
      p.extends_loc = loc(c->ident(1));
    }
    for (P::ProfileItemContext* it : c->profileItem()) {
      ast::ProfileItem item;
      item.loc = loc(it->getStart());
      if (auto* s = dynamic_cast<P::SetItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::Set;
        item.name = name(s->ident());
        item.name_loc = loc(s->ident());
        item.value = expr(s->expr());
      } else if (auto* r = dynamic_cast<P::RuleLevelItemContext*>(it)) {
        named_level(item, ast::ProfileItemKind::RuleLevel, r->ident(0), r->ident(1));
      } else if (auto* al = dynamic_cast<P::AlertLevelItemContext*>(it)) {
        named_level(item, ast::ProfileItemKind::AlertLevel, al->ident(0), al->ident(1));
      } else if (auto* mk = dynamic_cast<P::MaxKeysItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::MaxKeys;
        item.name = name(mk->ident());
        item.name_loc = loc(mk->ident());
        item.number = max_value(mk->INT());
      } else if (auto* w = dynamic_cast<P::WarningsItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::Warnings;
        item.level = name(w->ident());
        item.level_loc = loc(w->ident());
      } else if (auto* b = dynamic_cast<P::BudgetItemContext*>(it)) {
        // one item per entry: `budget { disk: 256MB, dumps: 10 per 1h }` is two
        for (P::BudgetEntryContext* e : b->budgetEntry()) {
          ast::ProfileItem entry;
          entry.kind = ast::ProfileItemKind::Budget;
          entry.loc = loc(e->getStart());
          entry.name = name(e->ident());
          entry.name_loc = loc(e->ident());
          entry.value = expr(e->expr());
          entry.per = duration_ref(e->durationRef());
          p.items.push_back(std::move(entry));
        }
        continue;
      } else if (auto* in = dynamic_cast<P::InjectItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::Inject;
        item.name = in->eventName()->getText();
        item.name_loc = loc(in->eventName());
        item.entries = entries(in->mapLit());
        bool seen[3] = {false, false, false};  // probability, max, after: each at most once, in any order
        for (P::InjectOptionContext* op : in->injectOption()) {
          const int which = op->PROBABILITY() ? 0 : op->MAX() ? 1 : 2;
          if (seen[which]) diags_.error(loc(op), fmt::format("'{}' is given twice", op->getStart()->getText()));
          seen[which] = true;
          if (op->PROBABILITY()) item.value = expr(op->expr());
          else if (op->MAX()) item.number = max_value(op->INT());
          else item.after = int_literal(op->INT()->getText(), loc(op->INT()));
        }
      } else {
        auto* sd = dynamic_cast<P::SeedItemContext*>(it);
        item.kind = ast::ProfileItemKind::Seed;
        item.number = int_literal(sd->INT()->getText(), loc(sd->INT()));
      }
      p.items.push_back(std::move(item));
    }
    policy_.profiles.push_back(std::move(p));
  }

  // ---------------------------------------------------------------- expressions
  // A place in a template hole's text, moved to where the hole sits in the file.
  Loc shift(Loc l) const {
    if (in_hole_) {
      if (l.line == 1) l.col += hole_col0_;
      l.line += hole_line0_ - 1;
    }
    return l;
  }
  Loc eloc(antlr4::ParserRuleContext* c) { return shift(loc(c)); }
  Loc eloc(antlr4::tree::TerminalNode* n) { return shift(loc(n)); }

  ExprPtr make(ExprKind k, Loc l) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = k;
    e->loc = l;
    return e;
  }

  int64_t int_literal(const std::string& text, const Loc& l) {
    uint64_t v = 0;
    const bool hex = text.size() > 2 && (text[1] == 'x' || text[1] == 'X');
    const char* b = text.data() + (hex ? 2 : 0);
    const auto res = std::from_chars(b, text.data() + text.size(), v, hex ? 16 : 10);
    if (res.ec != std::errc() || v > static_cast<uint64_t>(INT64_MAX)) {
      diags_.error(l, fmt::format("integer literal '{}' out of range", text));
      return 0;
    }
    return static_cast<int64_t>(v);
  }

  // "2.5s" -> 2500000000, exactly; a fraction of a nanosecond (or byte) and
  // a value beyond int64 are errors.
  int64_t scaled(const std::string& num, i128 mult, const Loc& l, const std::string& text) {
    const size_t dot = num.find('.');
    std::string whole = num.substr(0, dot);
    std::string frac = dot == std::string::npos ? "" : num.substr(dot + 1);
    whole.erase(0, whole.find_first_not_of('0'));
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (whole.size() > 19) {  // 10^19 > INT64_MAX, whatever the unit
      diags_.error(l, fmt::format("literal '{}' out of range", text));
      return 0;
    }
    if (frac.size() > kMaxFractionDigits) {
      diags_.error(l, fmt::format("'{}' has too many digits after the point", text));
      return 0;
    }
    i128 v = 0, fnum = 0, fden = 1;
    for (char c : whole) v = v * 10 + (c - '0');
    for (char c : frac) {
      fnum = fnum * 10 + (c - '0');
      fden *= 10;
    }
    // At most 10^19 * 2^47 and 10^24 * 2^47: both fit in 127 bits.
    v *= mult;
    if ((fnum * mult) % fden != 0) diags_.error(l, fmt::format("'{}' is not a whole number of nanoseconds/bytes", text));
    v += fnum * mult / fden;
    if (v > static_cast<i128>(INT64_MAX)) {
      diags_.error(l, fmt::format("literal '{}' out of range", text));
      return 0;
    }
    return static_cast<int64_t>(v);
  }

  // A float literal's value ("1.5", "2e-3"), whatever the host's locale; one
  // beyond double's range is an error, not infinity.
  double float_literal(const std::string& digits, const Loc& l, const std::string& text) {
    double v = 0;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (res.ec != std::errc() || res.ptr != digits.data() + digits.size() || !std::isfinite(v)) {
      diags_.error(l, fmt::format("number '{}' out of range", text));
      return 0;
    }
    return v;
  }

  // "250ms" -> 250000000 (ns).
  int64_t duration_value(const std::string& t, const Loc& l) {
    const size_t u = t.find_first_not_of("0123456789.");
    const std::string unit = t.substr(u);
    static const std::pair<const char*, int64_t> kUnits[] = {
        {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000},
        {"h", 3600000000000}, {"d", 86400000000000}};
    int64_t mult = 1;
    for (const auto& [n, m] : kUnits)
      if (unit == n) mult = m;
    return scaled(t.substr(0, u), mult, l, t);
  }

  ExprPtr primary(P::PrimaryContext* c) {
    const Loc l = eloc(c);
    const auto text = [&] { return c->getText(); };
    if (c->INT()) {
      auto e = make(ExprKind::IntLit, l);
      e->i = int_literal(text(), l);
      return e;
    }
    if (c->FLOAT()) {
      auto e = make(ExprKind::FloatLit, l);
      e->f = float_literal(text(), l, text());
      return e;
    }
    if (c->DURATION()) {
      auto e = make(ExprKind::IntLit, l);
      e->i = duration_value(text(), l);
      e->unit = text();
      return e;
    }
    if (c->SIZE()) {
      const std::string t = text();
      const size_t u = t.find_first_not_of("0123456789");
      const std::string unit = t.substr(u);
      const int64_t mult = unit == "B" ? 1 : unit == "KB" ? 1 << 10 : unit == "MB" ? 1 << 20 : int64_t{1} << 30;
      auto e = make(ExprKind::IntLit, l);
      e->i = scaled(t.substr(0, u), mult, l, t);
      e->unit = t;
      return e;
    }
    if (c->PERCENT()) {
      const std::string t = text();
      auto e = make(ExprKind::FloatLit, l);
      e->f = float_literal(t.substr(0, t.size() - 1), l, t) / 100.0;
      e->unit = t;
      return e;
    }
    if (c->STRING()) {
      auto e = make(ExprKind::StringLit, l);
      e->s = unescape(c->STRING()->getText(), l);
      return e;
    }
    if (c->TEMPLATE()) {
      auto e = make(ExprKind::StringLit, l);
      e->s = template_as_text(c->TEMPLATE()->getSymbol());
      return e;
    }
    if (c->TRUE() || c->FALSE()) {
      auto e = make(ExprKind::BoolLit, l);
      e->b = c->TRUE() != nullptr;
      return e;
    }
    if (c->LBRACK()) {
      auto e = make(ExprKind::ListLit, l);
      for (P::ExprContext* x : c->expr()) e->args.push_back(expr(x));
      return all(e->args) ? std::move(e) : nullptr;
    }
    if (c->LPAREN() && !c->ident()) {
      ExprPtr e = expr(c->expr(0));
      if (e) e->parens = true;
      return e;
    }
    if (c->ident() && c->LPAREN()) {
      auto e = make(ExprKind::Call, l);
      e->s = name(c->ident());
      e->loc = eloc(c->ident());
      for (P::ExprContext* x : c->expr()) e->args.push_back(expr(x));
      return all(e->args) ? std::move(e) : nullptr;
    }
    if (c->DOTTED()) {
      const std::string t = text();
      if (t.rfind("event.", 0) == 0) {
        auto e = make(ExprKind::EventPart, l);
        e->s = t.substr(6);
        return e;
      }
      auto e = make(ExprKind::Name, l);
      e->s = t;
      return e;
    }
    auto e = make(ExprKind::Name, l);
    e->s = text();
    return e;
  }

  // Whether every operand was built (a failed one was reported, and the
  // expression holding it is dropped whole, never left with a null inside).
  static bool all(const std::vector<ExprPtr>& args) {
    for (const ExprPtr& a : args)
      if (!a) return false;
    return true;
  }

  static bool is_comparison(const ast::Expr* e) {
    if (!e || e->parens) return false;
    if (e->kind == ExprKind::In) return true;
    return e->kind == ExprKind::Binary && e->op >= ast::BinOp::Eq && e->op <= ast::BinOp::Ge;
  }

  ExprPtr binary(antlr4::ParserRuleContext* c, P::ExprContext* l, P::ExprContext* r, ast::BinOp op, Loc at) {
    auto e = make(ExprKind::Binary, at);
    e->op = op;
    e->args.push_back(expr(l));
    e->args.push_back(expr(r));
    if (!e->args[0] || !e->args[1]) return nullptr;
    if (op >= ast::BinOp::Eq && op <= ast::BinOp::Ge && (is_comparison(e->args[0].get()) || is_comparison(e->args[1].get())))
      diags_.error(eloc(c), "comparisons do not chain: write 'a < b and b < c'");
    return e;
  }

  static ast::BinOp op_of(size_t tok) {
    switch (tok) {
      case P::STAR: return ast::BinOp::Mul;
      case P::SLASH: return ast::BinOp::Div;
      case P::PERCENT_OP: return ast::BinOp::Mod;
      case P::PLUS: return ast::BinOp::Add;
      case P::MINUS: return ast::BinOp::Sub;
      case P::EQ: return ast::BinOp::Eq;
      case P::NE: return ast::BinOp::Ne;
      case P::LT: return ast::BinOp::Lt;
      case P::LE: return ast::BinOp::Le;
      case P::GT: return ast::BinOp::Gt;
      default: return ast::BinOp::Ge;
    }
  }

  ExprPtr expr(P::ExprContext* c) {
    if (!c) return nullptr;
    if (++depth_ > kMaxExprDepth) {
      if (!depth_reported_) diags_.error(eloc(c), fmt::format("expression nested too deeply (more than {} levels)", kMaxExprDepth));
      depth_reported_ = true;
      --depth_;
      return nullptr;
    }
    ExprPtr e = expr_inner(c);
    --depth_;
    return e;
  }

  ExprPtr expr_inner(P::ExprContext* c) {
    if (auto* p = dynamic_cast<P::PrimaryExprContext*>(c)) return primary(p->primary());
    if (auto* n = dynamic_cast<P::NegExprContext*>(c)) {
      auto e = make(ExprKind::Neg, eloc(c));
      e->args.push_back(expr(n->expr()));
      return e->args[0] ? std::move(e) : nullptr;
    }
    if (auto* n = dynamic_cast<P::NotExprContext*>(c)) {
      auto e = make(ExprKind::Not, eloc(c));
      e->args.push_back(expr(n->expr()));
      return e->args[0] ? std::move(e) : nullptr;
    }
    if (auto* m = dynamic_cast<P::MulExprContext*>(c)) return binary(c, m->expr(0), m->expr(1), op_of(m->op->getType()), op_loc(m->op));
    if (auto* a = dynamic_cast<P::AddExprContext*>(c)) return binary(c, a->expr(0), a->expr(1), op_of(a->op->getType()), op_loc(a->op));
    if (auto* k = dynamic_cast<P::CmpExprContext*>(c)) return binary(c, k->expr(0), k->expr(1), op_of(k->op->getType()), op_loc(k->op));
    if (auto* a = dynamic_cast<P::AndExprContext*>(c)) return binary(c, a->expr(0), a->expr(1), ast::BinOp::And, eloc(c));
    if (auto* o = dynamic_cast<P::OrExprContext*>(c)) return binary(c, o->expr(0), o->expr(1), ast::BinOp::Or, eloc(c));
    if (auto* i = dynamic_cast<P::InExprContext*>(c)) {
      auto e = make(ExprKind::In, eloc(c));
      e->negated = i->NOT() != nullptr;
      e->args.push_back(expr(i->expr(0)));
      e->args.push_back(expr(i->expr(1)));
      if (!e->args[0] || !e->args[1]) return nullptr;
      if (is_comparison(e->args[0].get())) diags_.error(eloc(c), "comparisons do not chain: write 'a < b and b < c'");
      return e;
    }
    return nullptr;
  }

  Loc op_loc(antlr4::Token* t) { return shift(loc(t)); }

  const SourceSet& sources_;
  uint32_t file_;
  ast::Policy& policy_;
  DiagBag& diags_;
  const IncludeFn& on_include_;
  int depth_ = 0;
  bool depth_reported_ = false;
  std::vector<EarlyError> early_;  // see early_error()
  bool early_kept_ = false;
  bool in_hole_ = false;
  uint32_t hole_line0_ = 1, hole_col0_ = 0;
};

}  // namespace

bool build_ast(const SourceSet& sources, uint32_t file, ast::Policy& policy, DiagBag& diags,
               const IncludeFn& on_include) {
  return Builder(sources, file, policy, diags, on_include).run();
}

}  // namespace dta
