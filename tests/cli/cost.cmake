# `dta check --cost` end to end: the table, --json, a .dtb, a profile that
# turns a rule off, and --json without --cost refused.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

# `short`: where (LOADF_I, GT_IK, RET) and a finding without holes: 3 + 4.
# `long`: a where with `or` (a branch) and a message with a hole; `re` runs a regex.
file(WRITE ${WORK}/p.dta "policy costs
event x { n: int, s: string }
rule short on x where n > 1 { error \"big\" }
rule long on x where n > 1 or s == \"a\" { warning \"n={n}\" }
rule re on x where matches(s, \"^a+$\") { ok }
filter quiet on y { drop }
profile calm { rule long: off }
profile prod { budget { cpu: 2% } }
")
expect_run(0 ${DTA} check --cost ${WORK}/p.dta)
expect_match("${OUT}" "p.dta: ok \\(3 rules" "the ok line first")
expect_match("${OUT}" "worst-case cost of one event, in VM instructions" "table title")
expect_match("${OUT}" "KIND +NAME +INSTR +REGEX +PARTS" "table header")
expect_match("${OUT}" "\n  rule +short +7 +0  where 3, actions 4\n" "short rule: where 3 + action 4")
expect_match("${OUT}" "\n  rule +re +[0-9]+ +1  " "a regex search is counted")
expect_match("${OUT}" "\n  filter +quiet +4 +0  where 0, drop 4\n" "a filter")
expect_match("${OUT}" "profile 'calm':\n  rule +long +0  \\(off\\)" "a profile turning a rule off")
expect_match("${OUT}" "profile 'prod': the same" "a profile changing nothing")
expect_match("${OUT}" "step budget \\(at most 100000 \\+ 8 per byte" "the regex step budget is said")
# --profile shows that profile only
expect_run(0 ${DTA} check --cost ${WORK}/p.dta --profile calm)
expect_no_match("${OUT}" "profile 'prod'" "--profile calm hides prod")
# the longer rule costs more than the shorter
string(REGEX MATCH "\n  rule +long +([0-9]+)" _ "${OUT}")
if(CMAKE_MATCH_1 LESS_EQUAL 7)
  message(FATAL_ERROR "rule long costs ${CMAKE_MATCH_1}, no more than short (7)")
endif()
# JSON: one object per policy, nothing else on stdout
expect_run(0 ${DTA} check --cost --json ${WORK}/p.dta)
expect_no_match("${OUT}" "ok \\(" "no ok line with --json")
expect_match("${OUT}" "^\\{\"file\": \"[^\"]*p.dta\", \"policy\": \"costs\", \"units\": \\[" "json head")
expect_match("${OUT}" "\\{\"kind\": \"rule\", \"name\": \"short\", \"instructions\": 7, \"regex_searches\": 0, \"parts\": \\{\"where\": 3, \"actions\": 4\\}, \"profiles\": \\{\\}\\}" "json short")
expect_match("${OUT}" "\"name\": \"long\", [^}]*\\}, \"profiles\": \\{\"calm\": 0\\}" "json profile")
expect_match("${OUT}" "\"fixed\": \\{\"call\": 8, " "json fixed costs")
# a .dtb gives the same figures
expect_run(0 ${DTA} compile ${WORK}/p.dta -o ${WORK}/p.dtb)
set(from_source "${OUT}")
expect_run(0 ${DTA} check --cost --json ${WORK}/p.dta)
string(REPLACE "p.dta" "P" want "${OUT}")
expect_run(0 ${DTA} check --cost --json ${WORK}/p.dtb)
string(REPLACE "p.dtb" "P" got "${OUT}")
if(NOT want STREQUAL got)
  message(FATAL_ERROR ".dtb costs differ:\n${want}\n${got}")
endif()
# --json alone is a usage error; a broken policy is an error
expect_run(2 ${DTA} check --json ${WORK}/p.dta)
expect_match("${ERR}" "--json goes with --cost" "--json alone")
file(WRITE ${WORK}/bad.dta "profile p { budget { cpu: 200% } }\n")
expect_run(2 ${DTA} check --cost ${WORK}/bad.dta)
expect_match("${ERR}" "bad.dta:1:27: error: budget 'cpu' must be above 0% and at most 100%, not 200%" "bad budget")
