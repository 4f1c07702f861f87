// DTA audit language: the whole grammar of ../shared/spec/LANGUAGE.md (sections 2-10).
// Template holes inside message strings are parsed in a second pass (entry rule
// `holeExpr`), so one combined grammar suffices. Semantics live in compiler/.
grammar Dta;

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
expectBlock : EXPECT patternList (WHERE expr)? MATCHING ident (',' ident)* WITHIN durationRef (MAX INT)?
              (THEN block)? (ELSE block)? ;
durationRef : DURATION | ident ;
cmpOp       : '>' | '>=' | '<' | '<=' | '==' | '!=' ;

action      : level=(ERROR | WARNING | INFO) STRING                         # verdictAction
            | OK STRING?                                                   # okAction
            | ALERT ident STRING (LABELS mapLit)? (DEDUP listName (',' listName)*)?
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
            | INJECT eventName mapLit (PROBABILITY expr)? (MAX INT)?   # injectItem
            | SEED INT                                           # seedItem
            ;
budgetEntry : ident ':' expr (PER durationRef)? ;

testDecl    : TEST STRING '{' (testItem sep?)* '}' ;
testItem    : PROFILE ident                                      # testProfile
            | POLICY STRING                                      # testPolicy
            | EVENTS STRING                                      # testEvents
            | AT DURATION eventName (SEVERITY ident)? mapLit     # testAt
            | EXPECT ident ident INT?                            # testExpect
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
primary     : INT | FLOAT | DURATION | SIZE | PERCENT | STRING | TRUE | FALSE
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
            | EVENTS | AT | SEVERITY ;

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
EVENTS: 'events'; AT: 'at'; SEVERITY: 'severity';

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
// A string; template holes `{...}` may hold expressions with strings of their own.
STRING  : '"' (ESC | '{{' | HOLE | ~["\\\r\n{])* '"' ;
BAD_STRING : '"' (ESC | '{{' | HOLE | ~["\\\r\n{])* ;

LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS            : [ \t\r\n]+ -> skip ;
BAD_CHAR      : . ;

fragment ID_PART  : [A-Za-z_] [A-Za-z0-9_]* ;
fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;
fragment HOLE     : '{' (STRING | HOLE | ~["{}\r\n])* '}' ;
fragment ESC      : '\\' (["\\nrt] | 'u{' [0-9a-fA-F]+ '}') ;
