// DTA audit language: the whole grammar of ../shared/spec/LANGUAGE.md (sections 2-10).
// Template holes inside message strings are parsed in a second pass (entry rule
// `holeExpr`), so one combined grammar suffices. Semantics live in compiler/.
grammar Dta;

// Only message strings are templates (spec section 2). A string lexes as a
// TEMPLATE (whose holes may hold strings of their own); nextToken() keeps it
// a TEMPLATE only where a message goes (after error/warning/info/ok, `alert
// SEVERITY`, and a map entry's ':'), and elsewhere turns it back into the
// plain STRING that starts there, where `{` and `}` are characters. (A lexer
// predicate would do the same, but the 4.9 C++ runtime leaks a config set
// each time one fails with nothing else to match.)
@lexer::members {
  std::unique_ptr<antlr4::Token> nextToken() override {
    std::unique_ptr<antlr4::Token> t = antlr4::Lexer::nextToken();
    if (t->getType() == TEMPLATE && !template_position()) t = as_plain_string(std::move(t));
    before_last_ = last_;
    last_ = t->getType();
    return t;
  }

 private:
  bool template_position() const {
    switch (last_) {
      case ERROR: case WARNING: case INFO: case OK: case COLON: return true;
      default: return before_last_ == ALERT && (last_ == ID || is_keyword(last_));  // alert SEVERITY "..."
    }
  }
  // The non-reserved keywords are declared from POLICY to SEVERITY, in one run.
  static bool is_keyword(size_t type) { return type >= POLICY && type <= SEVERITY; }

  // The plain string at the start of TEMPLATE token t: it ends at the first
  // '"' that no backslash escapes, never after t (else STRING, being longer,
  // would have won). The input resumes right after it.
  std::unique_ptr<antlr4::Token> as_plain_string(std::unique_ptr<antlr4::Token> t) {
    const size_t start = t->getStartIndex(), stop = t->getStopIndex();
    size_t end = start + 1;
    for (; end < stop; ++end) {
      _input->seek(end);
      const size_t c = _input->LA(1);
      if (c == '"') break;
      if (c == '\\') ++end;
    }
    auto* common = dynamic_cast<antlr4::CommonToken*>(t.get());
    if (end == stop && common) {
      common->setType(STRING);
      _input->seek(stop + 1);
      return t;
    }
    if (end > stop || !common) {  // cannot happen (see above): leave it a TEMPLATE, which the builder checks
      _input->seek(stop + 1);
      return t;
    }
    const std::pair<antlr4::TokenSource*, antlr4::CharStream*> source(this, _input);
    auto plain = std::make_unique<antlr4::CommonToken>(source, STRING, antlr4::Token::DEFAULT_CHANNEL, start, end);
    plain->setLine(t->getLine());
    plain->setCharPositionInLine(t->getCharPositionInLine());
    _input->seek(end + 1);
    getInterpreter<antlr4::atn::LexerATNSimulator>()->setCharPositionInLine(t->getCharPositionInLine() + end + 1 - start);
    return plain;
  }

  size_t last_ = 0, before_last_ = 0;

 public:
}

file        : item* EOF ;
item        : policyDecl | includeDecl | constDecl | eventDecl | ruleDecl | filterDecl
            | machineDecl | recorderDecl | profileDecl | testDecl ;

policyDecl  : POLICY ident ;
includeDecl : INCLUDE STRING ;
constDecl   : CONST ident '=' expr ;
eventDecl   : EVENT eventName ('(' INT ')')? '{' (fieldDecl sep?)* '}' ;
fieldDecl   : ident ':' ident SENSITIVE? ;

ruleDecl    : RULE ident ON patternList (WHERE expr)? block ;
filterDecl  : FILTER ident ON patternList (WHERE expr)? '{' (filterAction sep?)* '}' ;
filterAction: DROP                                   # dropAction
            | REDACT listName (',' listName)*        # redactAction
            | SAMPLE expr                            # sampleAction
            ;

patternList : pattern (',' pattern)* ;
pattern     : PATTERN | '*' | eventName ;
eventName   : DOTTED | ident ;

block       : '{' (stmt sep?)* '}' ;
stmt        : action | whenBlock | expectBlock ;
// `max N` (an extension) caps the keys / pending expectations of one construct.
whenBlock   : WHEN ident '(' (expr (',' expr)*)? ')' (OVER | EVERY) durationRef cmpOp expr
              (BY ident (',' ident)*)? (MAX INT)? (FOR durationRef)? block ;
// `expect 3 block.stored ...` (an extension): met at the third arrival. The
// count is an int literal or constant; no spec example puts a number or two
// names in a row after `expect`, so none changes meaning.
expectBlock : EXPECT expectCount? patternList (WHERE expr)? MATCHING ident (',' ident)* WITHIN durationRef (MAX INT)?
              (THEN block)? (ELSE block)? ;
expectCount : INT | ident ;
durationRef : DURATION | ident ;
cmpOp       : '>' | '>=' | '<' | '<=' | '==' | '!=' ;

action      : level=(ERROR | WARNING | INFO) message                        # verdictAction
            | OK message?                                                  # okAction
            | ALERT ident message (LABELS mapLit)? (DEDUP listName (',' listName)*)?
              (EVERY durationRef)?                                         # alertAction
            | COLLECT RECORDER ident                                       # collectRecorder
            | COLLECT SNAPSHOT STRING                                      # collectSnapshot
            | COLLECT PROCESS                                              # collectProcess
            | DISCARD RECORDER ident                                       # discardAction
            | ENABLE pattern (LEVEL ident)? FOR durationRef                 # enableAction
            | EMIT eventName mapLit                                        # emitAction
            | COUNT ident mapLit?                                          # countAction
            | OBSERVE ident expr mapLit?                                   # observeAction
            ;
// A message template: a TEMPLATE, or a STRING where template lexing failed
// (an unbalanced '{'), so that the builder reports why.
message     : TEMPLATE | STRING ;
mapLit      : '{' (mapEntry sep?)* '}' ;
mapEntry    : ident ':' expr ;

machineDecl : MACHINE ident BY ident (MAX INT)? '{' (machineItem sep?)* '}' ;
machineItem : INITIAL ident                                  # initialItem
            | STATE ident '{' (transition sep?)* '}'         # stateItem
            ;
transition  : ON patternList (WHERE expr)? '->' ident block?  # onTransition
            | AFTER durationRef '->' ident block?             # afterTransition
            ;

recorderDecl: RECORDER ident CAPACITY INT (ON patternList)? (BY ident)? (IDLE durationRef)? ;

profileDecl : PROFILE ident (EXTENDS ident)? '{' (profileItem sep?)* '}' ;
profileItem : SET ident '=' expr                                 # setItem
            | RULE ident ':' ident                               # ruleLevelItem
            | ALERT ident ':' ident                              # alertLevelItem
            | MAX ident ':' INT                                  # maxKeysItem
            | WARNINGS ':' ident                                 # warningsItem
            | BUDGET '{' (budgetEntry sep?)* '}'                 # budgetItem
            | INJECT eventName mapLit injectOption*             # injectItem
            | SEED INT                                           # seedItem
            ;
budgetEntry : ident ':' expr (PER durationRef)? ;
injectOption: PROBABILITY expr | MAX INT | AFTER INT ;

testDecl    : TEST STRING '{' (testItem sep?)* '}' ;
testItem    : PROFILE ident                                      # testProfile
            | POLICY STRING                                      # testPolicy
            | EVENTS STRING                                      # testEvents
            | AT DURATION eventName (SEVERITY ident)? mapLit     # testAt
            | ADVANCE DURATION                                   # testAdvance
            | EXPECT ident ident? INT?                           # testExpect
            ;

sep         : ',' | ';' ;

// Entry for a template hole: one expression and nothing else.
holeExpr    : expr EOF ;

expr        : primary                                            # primaryExpr
            | '-' expr                                           # negExpr
            | expr op=('*' | '/' | '%') expr                     # mulExpr
            | expr op=('+' | '-') expr                           # addExpr
            | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr   # cmpExpr
            | expr NOT? IN expr                                  # inExpr
            | NOT expr                                           # notExpr
            | expr AND expr                                      # andExpr
            | expr OR expr                                       # orExpr
            ;
primary     : INT | FLOAT | DURATION | SIZE | PERCENT | STRING | TEMPLATE | TRUE | FALSE
            | '[' (expr (',' expr)*)? ']'
            | '(' expr ')'
            | ident '(' (expr (',' expr)*)? ')'
            | DOTTED
            | ident
            ;

// A name: identifiers and every non-reserved keyword.
ident       : ID | kwAction | kwOther ;
// Names in `redact a, b` / `dedup k` lists: action words (and `every`) end the list.
listName    : ID | kwOther ;
kwAction    : ERROR | WARNING | INFO | OK | ALERT | COLLECT | DISCARD | ENABLE | EMIT | COUNT
            | OBSERVE | WHEN | EXPECT | DROP | REDACT | SAMPLE | EVERY ;
kwOther     : POLICY | INCLUDE | CONST | EVENT | SENSITIVE | RULE | ON | WHERE | FILTER | OVER
            | BY | FOR | MATCHING | WITHIN | THEN | ELSE | LABELS | DEDUP | RECORDER | SNAPSHOT
            | PROCESS | LEVEL | MACHINE | INITIAL | STATE | AFTER | CAPACITY | IDLE | PROFILE
            | EXTENDS | SET | WARNINGS | BUDGET | INJECT | PROBABILITY | MAX | SEED | PER | TEST
            | EVENTS | AT | SEVERITY | ADVANCE ;

// ---------------------------------------------------------------- lexer
AND: 'and'; OR: 'or'; NOT: 'not'; IN: 'in'; TRUE: 'true'; FALSE: 'false';
POLICY: 'policy'; INCLUDE: 'include'; CONST: 'const'; EVENT: 'event'; SENSITIVE: 'sensitive';
RULE: 'rule'; ON: 'on'; WHERE: 'where'; FILTER: 'filter'; DROP: 'drop'; REDACT: 'redact';
SAMPLE: 'sample'; WHEN: 'when'; OVER: 'over'; EVERY: 'every'; BY: 'by'; FOR: 'for';
EXPECT: 'expect'; MATCHING: 'matching'; WITHIN: 'within'; THEN: 'then'; ELSE: 'else';
ERROR: 'error'; WARNING: 'warning'; INFO: 'info'; OK: 'ok'; ALERT: 'alert'; LABELS: 'labels';
DEDUP: 'dedup'; COLLECT: 'collect'; RECORDER: 'recorder'; SNAPSHOT: 'snapshot';
PROCESS: 'process'; DISCARD: 'discard'; ENABLE: 'enable'; LEVEL: 'level'; EMIT: 'emit';
COUNT: 'count'; OBSERVE: 'observe'; MACHINE: 'machine'; INITIAL: 'initial'; STATE: 'state';
AFTER: 'after'; CAPACITY: 'capacity'; IDLE: 'idle'; PROFILE: 'profile'; EXTENDS: 'extends';
SET: 'set'; WARNINGS: 'warnings'; BUDGET: 'budget'; INJECT: 'inject';
PROBABILITY: 'probability'; MAX: 'max'; SEED: 'seed'; PER: 'per'; TEST: 'test';
EVENTS: 'events'; AT: 'at'; ADVANCE: 'advance'; SEVERITY: 'severity';

ARROW: '->'; LE: '<='; GE: '>='; EQ: '=='; NE: '!='; LT: '<'; GT: '>'; ASSIGN: '=';
PLUS: '+'; MINUS: '-'; STAR: '*'; SLASH: '/'; PERCENT_OP: '%';
LPAREN: '('; RPAREN: ')'; LBRACE: '{'; RBRACE: '}'; LBRACK: '['; RBRACK: ']';
COMMA: ','; SEMI: ';'; COLON: ':';

DURATION: DIGITS ('.' DIGITS)? ('ns' | 'us' | 'ms' | 's' | 'm' | 'h' | 'd') ;
SIZE    : DIGITS ('B' | 'KB' | 'MB' | 'GB') ;
PERCENT : DIGITS ('.' DIGITS)? '%' ;
FLOAT   : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT     : '0' [xX] [0-9a-fA-F]+ | DIGITS ;
// A letter, digit or '.' glued to a number: rejected with a clear message.
BAD_NUMBER : [0-9] [0-9A-Za-z_.]* ;

PATTERN : ID_PART ('.' ID_PART)* '.*' ;
DOTTED  : ID_PART ('.' ID_PART)+ ;
ID      : ID_PART ;
// A message template (see nextToken above): holes `{...}` may hold
// expressions with strings of their own. Listed before STRING, so a string
// that is both is a TEMPLATE, and nextToken() decides.
TEMPLATE : '"' (ESC | '{{' | HOLE | ~["\\\r\n{])* '"' ;
// A plain string: braces are characters. Escapes are checked by the builder,
// which names a wrong one.
STRING  : '"' (ESC | ~["\\\r\n])* '"' ;
BAD_STRING : '"' (ESC | ~["\\\r\n])* ;

LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS            : [ \t\r\n]+ -> skip ;
BAD_CHAR      : . ;

fragment ID_PART  : [A-Za-z_] [A-Za-z0-9_]* ;
fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;
fragment HOLE     : '{' (HOLE_STRING | ~["{}\r\n])* '}' ;
fragment HOLE_STRING : '"' (ESC | ~["\\\r\n])* '"' ;
fragment ESC      : '\\' ('u{' [0-9a-fA-F]* '}' | ~[\r\n]) ;
