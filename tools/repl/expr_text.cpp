// Reading DTA text without the compiler (expr_text.hpp).
#include "expr_text.hpp"

#include <algorithm>

namespace dta::repl {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

// Deepest nesting the sub-expression parser follows: deeper text is shown whole.
constexpr int kMaxParseDepth = 64;

// A recursive-descent reading of the expression grammar (spec 2: precedence
// lowest first: or, and, not, comparisons and in, + -, * / %, unary -) that
// only records where each operand starts and ends.
class SubParser {
 public:
  SubParser(const std::vector<Token>& toks, size_t limit) : t_(toks), limit_(limit) {}
  bool parse() {
    expr(0, 0);
    return ok_ && peek().kind == Token::End;
  }
  std::vector<SubExpr> out;

 private:
  const Token& peek() const { return t_[std::min(i_, t_.size() - 1)]; }
  bool is(std::string_view p) const {
    return (peek().kind == Token::Punct || peek().kind == Token::Name) && peek().text == p;
  }
  size_t begin_of(size_t tok) const { return t_[tok].begin; }
  size_t end_of_prev() const { return i_ ? t_[i_ - 1].end : 0; }
  // Records a node spanning tokens [first, i_) and returns its index, -1 when over the limit.
  void node(size_t slot, size_t first, bool literal) {
    if (slot < out.size()) {
      out[slot].begin = begin_of(first);
      out[slot].end = end_of_prev();
      out[slot].literal = literal;
    }
  }
  size_t open(int depth) {
    if (out.size() >= limit_) return SIZE_MAX;
    out.push_back({0, 0, depth, false});
    return out.size() - 1;
  }
  // Binary levels: 0 or, 1 and, 2 not, 3 compare, 4 add, 5 mul, 6 unary, 7 primary.
  bool expr(int level, int depth) {
    if (depth > kMaxParseDepth) return ok_ = false;
    const size_t first = i_;
    const size_t slot = open(depth);
    const size_t before = out.size();
    bool composite = false, literal = false;
    if (level == 2 && is("not")) {
      ++i_;
      expr(2, depth + 1);
      composite = true;
    } else if (level == 6 && is("-")) {
      ++i_;
      expr(6, depth + 1);
      composite = true;
    } else if (level == 7) {
      literal = primary(depth);
    } else {
      expr(level + 1, depth + 1);
      while (ok_ && binary_at(level)) {
        composite = true;
        if (level == 3 && is("not")) ++i_;  // not in
        ++i_;
        expr(level + 1, depth + 1);
        if (level == 3) break;  // comparisons do not chain
      }
    }
    if (!composite && level < 7 && slot != SIZE_MAX) {
      // A single operand: not a node of its own; its children move up a level.
      out.erase(out.begin() + static_cast<long>(slot));
      for (size_t k = slot; k < out.size(); ++k) --out[k].depth;
      (void)before;
      return ok_;
    }
    if (slot != SIZE_MAX) node(slot, first, literal);
    return ok_;
  }
  bool binary_at(int level) const {
    const Token& t = peek();
    if (t.kind != Token::Punct && t.kind != Token::Name) return false;
    switch (level) {
      case 0:
        return t.text == "or";
      case 1:
        return t.text == "and";
      case 3:
        if (t.text == "not") return i_ + 1 < t_.size() && t_[i_ + 1].text == "in";
        return t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=" ||
               t.text == "in";
      case 4:
        return t.kind == Token::Punct && (t.text == "+" || t.text == "-");
      case 5:
        return t.kind == Token::Punct && (t.text == "*" || t.text == "/" || t.text == "%");
      default:
        return false;
    }
  }
  // A primary; true when it is a literal.
  bool primary(int depth) {
    const Token& t = peek();
    if (t.kind == Token::Number || t.kind == Token::String) {
      ++i_;
      return true;
    }
    if (t.kind == Token::Name) {
      const bool lit = t.text == "true" || t.text == "false";
      ++i_;
      if (is("(")) {
        ++i_;
        while (ok_ && !is(")")) {
          expr(0, depth + 1);
          if (is(","))
            ++i_;
          else if (!is(")"))
            return ok_ = false;
        }
        ++i_;
      }
      return lit;
    }
    if (is("(")) {
      ++i_;
      expr(0, depth + 1);
      if (!is(")")) return ok_ = false;
      ++i_;
      return false;
    }
    if (is("[")) {
      while (i_ < t_.size() && !is("]") && peek().kind != Token::End) ++i_;
      if (!is("]")) return ok_ = false;
      ++i_;
      return true;
    }
    return ok_ = false;
  }

  const std::vector<Token>& t_;
  size_t limit_;
  size_t i_ = 0;
  bool ok_ = true;
};

bool is_keyword(std::string_view w) {
  for (std::string_view k : {"and", "or", "not", "in", "true", "false"})
    if (w == k) return true;
  return false;
}

}  // namespace

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto push = [&](Token::Kind k, size_t b) { out.push_back({k, b, i, s.substr(b, i - b)}); };
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? s.size() : e + 2;
    } else if (name_start(c)) {
      const size_t b = i;
      while (i < s.size() &&
             (name_char(s[i]) || (s[i] == '.' && i + 1 < s.size() && (name_start(s[i + 1]) || s[i + 1] == '*')))) {
        ++i;
        if (s[i - 1] == '.' && s[i] == '*') ++i;
      }
      push(Token::Name, b);
    } else if (digit(c) || (c == '.' && i + 1 < s.size() && digit(s[i + 1]))) {
      const size_t b = i;
      while (i < s.size() && (name_char(s[i]) || s[i] == '.' || s[i] == '%' ||
                              ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
        ++i;
      push(Token::Number, b);
    } else if (c == '"') {
      const size_t b = i++;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, s.size());
      push(Token::String, b);
    } else {
      const size_t b = i;
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "->"};
      bool two = false;
      for (std::string_view t : kTwo)
        if (s.substr(i, 2) == t) two = true;
      i += two ? 2 : 1;
      push(Token::Punct, b);
    }
  }
  out.push_back({Token::End, s.size(), s.size(), {}});
  return out;
}

bool needs_more_input(std::string_view text) {
  int depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) return true;  // an open string
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t e = text.find("*/", i + 2);
      if (e == std::string_view::npos) return true;
      i = e + 2;
      continue;
    }
    if (c == '{' || c == '(' || c == '[') ++depth;
    if (c == '}' || c == ')' || c == ']') --depth;
    ++i;
  }
  if (depth > 0) return true;
  if (depth < 0) return false;  // a stray closer: let the compiler say so
  const std::vector<Token> toks = tokenize(text);
  if (toks.empty() || toks[0].kind != Token::Name) return false;
  const std::string_view w = toks[0].text;
  const bool block = w == "rule" || w == "machine" || w == "profile" || w == "filter" || w == "event";
  if (!block) return false;
  for (const Token& t : toks)
    if (t.text == "{") return false;
  return true;
}

std::vector<SubExpr> sub_expressions(std::string_view expr, size_t limit) {
  const std::vector<Token> toks = tokenize(expr);
  if (toks.size() <= 1) return {};
  SubParser p(toks, limit);
  if (!p.parse() || p.out.empty()) return {{toks.front().begin, toks[toks.size() - 2].end, 0, false}};
  return p.out;
}

std::vector<std::string> field_names_read(std::string_view expr) {
  const std::vector<Token> toks = tokenize(expr);
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    const Token& t = toks[i];
    if (t.kind != Token::Name || is_keyword(t.text)) continue;
    if (toks[i + 1].text == "(") continue;                     // a function
    if (t.text.find('.') != std::string_view::npos) continue;  // event.name, start.x
    if (std::find(out.begin(), out.end(), t.text) == out.end()) out.emplace_back(t.text);
  }
  return out;
}

size_t offset_of(std::string_view text, uint32_t line, uint32_t col) {
  size_t off = 0;
  for (uint32_t l = 1; l < line && off < text.size(); ++l) {
    const size_t nl = text.find('\n', off);
    if (nl == std::string_view::npos) return text.size();
    off = nl + 1;
  }
  return std::min(text.size(), off + (col ? col - 1 : 0));
}

RuleText rule_text(std::string_view source, uint32_t line, uint32_t col) {
  RuleText r;
  const size_t start = offset_of(source, line, col);
  const std::vector<Token> toks = tokenize(source.substr(start));
  const std::string_view s = source.substr(start);
  size_t i = 0;
  auto text_between = [&](size_t a, size_t b) {  // tokens [a, b)
    return a < b ? std::string(s.substr(toks[a].begin, toks[b - 1].end - toks[a].begin)) : std::string();
  };
  // the header: rule NAME on P, P [where EXPR] {
  while (i < toks.size() && toks[i].kind != Token::End && toks[i].text != "where" && toks[i].text != "{") ++i;
  if (i < toks.size() && toks[i].text == "where") {
    const size_t b = ++i;
    int depth = 0;
    while (toks[i].kind != Token::End && !(depth == 0 && toks[i].text == "{")) {
      if (toks[i].text == "(" || toks[i].text == "[") ++depth;
      if (toks[i].text == ")" || toks[i].text == "]") --depth;
      ++i;
    }
    r.where = text_between(b, i);
  }
  if (toks[i].kind == Token::End) return r;
  // the body: top-level `when` blocks
  int depth = 0;
  for (++i; toks[i].kind != Token::End; ++i) {
    const std::string_view w = toks[i].text;
    if (w == "{") ++depth;
    if (w == "}" && depth-- == 0) break;
    if (depth != 0 || w != "when" || toks[i].kind != Token::Name || toks[i + 1].kind != Token::Name) continue;
    RuleText::When wh;
    size_t k = i + 1;
    wh.agg = std::string(toks[k].text);
    if (toks[k + 1].text != "(") continue;
    size_t b = k + 2, e = b;
    int d = 0;
    while (toks[e].kind != Token::End && !(d == 0 && toks[e].text == ")")) {
      if (toks[e].text == "(") ++d;
      if (toks[e].text == ")") --d;
      ++e;
    }
    std::string args = text_between(b, e);
    wh.arg = args;
    k = e + 1;
    if (toks[k].text != "over" && toks[k].text != "every") continue;
    wh.sliding = toks[k].text == "over";
    wh.span = std::string(toks[k + 1].text);
    k += 2;
    wh.cmp = std::string(toks[k].text);
    b = ++k;
    while (toks[k].kind != Token::End && toks[k].text != "by" && toks[k].text != "for" && toks[k].text != "{") ++k;
    wh.threshold = text_between(b, k);
    if (toks[k].text == "by") {
      b = ++k;
      d = 0;
      for (;; ++k) {
        const std::string_view t = toks[k].text;
        if (toks[k].kind == Token::End) break;
        if (t == "(" || t == "[") ++d;
        if (t == ")" || t == "]") --d;
        if (d == 0 && (t == "," || t == "for" || t == "{")) {
          wh.by.push_back(text_between(b, k));
          b = k + 1;
          if (t != ",") break;
        }
      }
    }
    r.whens.push_back(std::move(wh));
  }
  return r;
}

}  // namespace dta::repl
