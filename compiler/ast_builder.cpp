// The one room where ANTLR lives: lexing, parsing, error rewriting, nesting
// caps, and the walk from parse tree to our AST (including a second parse of
// template holes). Nothing here throws out; ANTLR's exceptions are caught.
#include "ast_builder.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

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

// Turns ANTLR's reports into our diagnostics, shifted by where the text starts.
class ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(DiagBag& diags, uint32_t file, uint32_t line0, uint32_t col0)
      : diags_(diags), file_(file), line0_(line0), col0_(col0) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* bad, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    Loc loc{file_, static_cast<uint32_t>(line) + line0_ - 1, static_cast<uint32_t>(col) + (line == 1 ? col0_ : 0) + 1, 1};
    std::string text;
    if (bad) {
      text = bad->getType() == antlr4::Token::EOF ? "end of input" : "'" + bad->getText() + "'";
      loc.len = static_cast<uint32_t>(std::max<size_t>(1, bad->getText().size()));
    }
    std::string expected;
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
      try {
        const auto set = parser->getExpectedTokens();
        if (set.size() > 0 && set.size() <= 4) {
          std::vector<std::string> names;
          for (size_t t : set.toList()) names.push_back(parser->getVocabulary().getDisplayName(t));
          expected = fmt::format(" (expected {})", fmt::join(names, " or "));
        }
      } catch (...) {
      }
    }
    std::string message = bad ? fmt::format("syntax error: unexpected {}{}", text, expected)
                              : "syntax error: " + msg;
    if (++count_ > kMaxSyntaxErrors) throw TooManyErrors{};
    diags_.error(loc, std::move(message));
  }
  size_t count() const { return count_; }

 private:
  DiagBag& diags_;
  uint32_t file_, line0_, col0_;
  size_t count_ = 0;
};

// One lexer+parser over a piece of text (a file, or a template hole).
struct Parse {
  Parse(const std::string& text, DiagBag& diags, uint32_t file, uint32_t line0, uint32_t col0)
      : input(text), lexer(&input), tokens(&lexer), parser(&tokens), listener(diags, file, line0, col0) {
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

class Builder {
 public:
  Builder(const SourceSet& sources, uint32_t file, ast::Policy& policy, DiagBag& diags, const IncludeFn& inc)
      : sources_(sources), file_(file), policy_(policy), diags_(diags), on_include_(inc) {}

  bool run() {
    const size_t before = diags_.count();
    try {
      Parse parse(sources_.files[file_].text, diags_, file_, 1, 0);
      if (!lex_ok(parse, 1, 0)) return false;
      P::FileContext* tree = parse.parser.file();
      if (parse.listener.count() > 0 || diags_.count() > before) return false;
      // Errors from here on (a lone '}', chained comparisons, a bad escape) may
      // leave parts of the tree missing: the file fails, and no pass sees it.
      for (P::ItemContext* item : tree->item()) build_item(item);
      return diags_.count() == before;
    } catch (const TooManyErrors&) {
      return false;
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

  // Lexical errors and the nesting cap, before the parser runs.
  bool lex_ok(Parse& parse, uint32_t line0, uint32_t col0) {
    parse.tokens.fill();
    bool ok = true;
    int depth = 0, prefix_run = 0;
    for (antlr4::Token* t : parse.tokens.getTokens()) {
      const size_t type = t->getType();
      const Loc l = loc(t, line0, col0);
      switch (type) {
        case P::BAD_NUMBER:
          diags_.error(l, fmt::format("malformed number '{}' (a letter, digit or '.' glued to a number)", t->getText()));
          ok = false;
          break;
        case P::BAD_STRING:
          diags_.error(l, "unterminated string (or unbalanced '{' in a template)");
          ok = false;
          break;
        case P::BAD_CHAR:
          diags_.error(l, fmt::format("unexpected character '{}'", t->getText()));
          ok = false;
          break;
        case P::LPAREN: case P::LBRACK: case P::LBRACE: ++depth; break;
        case P::RPAREN: case P::RBRACK: case P::RBRACE: --depth; break;
        default: break;
      }
      prefix_run = (type == P::NOT || type == P::MINUS) ? prefix_run + 1 : 0;
      if (depth > kMaxNesting || prefix_run > kMaxNesting) {
        diags_.error(l, fmt::format("nested too deeply (more than {} levels)", kMaxNesting));
        return false;
      }
    }
    parse.tokens.seek(0);
    return ok;
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
    Parse parse(text, diags_, file_, line, col);
    if (!lex_ok(parse, line, col)) return nullptr;
    P::HoleExprContext* tree = parse.parser.holeExpr();
    if (parse.listener.count() > 0 || diags_.count() > before) return nullptr;
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
      policy_.unsupported.push_back({"recorder", loc(recd->RECORDER())});
    } else if (auto* td = item->testDecl()) {
      policy_.unsupported.push_back({"test", loc(td->TEST())});
    }
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
    } else if (auto* cs = dynamic_cast<P::CollectSnapshotContext*>(c)) {
      a.kind = ast::ActionKind::CollectSnapshot;
      a.name = unescape(cs->STRING()->getText(), loc(cs->STRING()));
    } else if (dynamic_cast<P::CollectProcessContext*>(c)) {
      a.kind = ast::ActionKind::CollectProcess;
    } else if (auto* d = dynamic_cast<P::DiscardActionContext*>(c)) {
      a.kind = ast::ActionKind::Discard;
      a.name = name(d->ident());
    } else if (auto* en = dynamic_cast<P::EnableActionContext*>(c)) {
      a.kind = ast::ActionKind::Enable;
      a.name = en->pattern()->getText();
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
      } else if (dynamic_cast<P::BudgetItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::Budget;
      } else if (dynamic_cast<P::InjectItemContext*>(it)) {
        item.kind = ast::ProfileItemKind::Inject;
      } else {
        item.kind = ast::ProfileItemKind::Seed;
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
  bool in_hole_ = false;
  uint32_t hole_line0_ = 1, hole_col0_ = 0;
};

}  // namespace

bool build_ast(const SourceSet& sources, uint32_t file, ast::Policy& policy, DiagBag& diags,
               const IncludeFn& on_include) {
  return Builder(sources, file, policy, diags, on_include).run();
}

}  // namespace dta
