// Reading DTA text without the compiler, for what the REPL shows and
// completes: a tokenizer, whether typed lines leave a block open (multi-line
// input), the sub-expressions of an expression (for :why), the names an
// expression reads, and the parts of a rule's source (its `where`, its
// `when` blocks). The compiler still checks everything that runs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dta::repl {

struct Token {
  enum Kind : uint8_t { Name, Number, String, Punct, End };
  Kind kind = End;
  size_t begin = 0, end = 0;  // byte offsets in the text
  std::string_view text;
};

// The tokens of `text` (comments and white space skipped; an unterminated
// string runs to the end). Names may be dotted (`event.name`, `db.open`).
std::vector<Token> tokenize(std::string_view text);

// Whether `text` leaves a `{`, `(` or `[` open, a string or a block comment
// unterminated, or starts a rule, machine, profile, filter or event whose
// `{` has not come yet: the REPL then reads another line.
bool needs_more_input(std::string_view text);

// One sub-expression: its text span and its depth in the tree (the whole expression is depth 0).
struct SubExpr {
  size_t begin = 0, end = 0;
  int depth = 0;
  bool literal = false;  // a literal (nothing to show: its value is its text)
};
// The sub-expressions of `expr` in pre-order: operands of `and`/`or`/`not`,
// comparisons and arithmetic, function arguments; at most `limit` of them.
// Unparsable text gives the whole expression alone.
std::vector<SubExpr> sub_expressions(std::string_view expr, size_t limit);

// The plain names `expr` reads as fields (not functions, keywords, event
// parts, or names followed by `(`), in order, without repeats.
std::vector<std::string> field_names_read(std::string_view expr);

// The parts of one rule in policy source, found from the rule's first line.
struct RuleText {
  std::string where;  // the `where` expression, "" when none
  struct When {
    std::string agg;              // "count", "p99", ...
    std::string arg;              // the aggregate's argument ("" for count(), rate())
    std::string span;             // the window length as written ("10s", "WINDOW")
    bool sliding = true;          // over (true) or every
    std::vector<std::string> by;  // key expressions
    std::string cmp, threshold;   // "> 5"
  };
  std::vector<When> whens;
};
// Reads the rule that starts at 1-based `line`, `col` of `source`.
RuleText rule_text(std::string_view source, uint32_t line, uint32_t col);

// Byte offset of 1-based (line, col) in `text` (clamped to its size).
size_t offset_of(std::string_view text, uint32_t line, uint32_t col);

}  // namespace dta::repl
