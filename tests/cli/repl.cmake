# `dta repl` end to end without a terminal: -c (repeatable, JSON, the first
# invalid command stops with exit 2), a script on standard input (a rule
# over several lines, an invalid command: exit 2 after the rest ran), events
# on stdin with -c, --policy/--profile, :save then `dta check`, bad arguments.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

file(WRITE ${WORK}/e.jsonl
"{\"ts\":1000000000,\"name\":\"http.request\",\"fields\":{\"status\":200,\"service\":\"cart\",\"latency_ms\":12.5}}
{\"ts\":2000000000,\"name\":\"http.request\",\"fields\":{\"status\":503,\"service\":\"cart\",\"latency_ms\":80}}
{\"ts\":3000000000,\"name\":\"db.open\",\"fields\":{\"path\":\"/a.db\",\"errno\":13}}
{\"ts\":4000000000,\"name\":\"http.request\",\"fields\":{\"status\":500,\"service\":\"auth\",\"latency_ms\":30}}
")
file(WRITE ${WORK}/p.dta "policy p
rule db_failed on db.open where errno != 0 { error \"cannot open {path}\" }
profile calm { rule db_failed: warning }
")

# -c, in order; tables aligned
expect_run(0 ${DTA} repl ${WORK}/e.jsonl -c "count by name" -c "on http.request" -c "where status >= 500" -c "count by service")
expect_match("${OUT}" "name +count +share\nhttp.request +3 +75.0%\ndb.open +1 +25.0%\n" "count by name")
expect_match("${OUT}" "2 events of 3 selected \\(where status >= 500\\)" "where narrows")
expect_match("${OUT}" "service +count +share\nauth +1 +50.0%\ncart +1 +50.0%\n" "count by service after where")
expect_match("${ERR}" "loaded 4 events" "the load is said on stderr")
# --json: one JSON value per command
expect_run(0 ${DTA} repl ${WORK}/e.jsonl --json -c "count" -c "top 1 service" -c "stats latency_ms")
expect_match("${OUT}" "^\\{\"count\":4\\}\n\\[\\{\"service\":\"cart\",\"count\":2,\"share\":5E-1\\}\\]\n\\[\\{\"field\":\"latency_ms\",\"count\":3," "json lines")
# an invalid command: exit 2, the error on stderr, the commands after it not run
expect_run(2 ${DTA} repl ${WORK}/e.jsonl -c "count" -c "cuont by name" -c "names")
expect_match("${ERR}" "error: unknown command 'cuont' \\(did you mean 'count'\\?\\)" "the error")
expect_no_match("${OUT}" "http.request" "names did not run")
expect_run(2 ${DTA} repl ${WORK}/e.jsonl -c "where status >=")
expect_match("${ERR}" "error: .*\n  where status >=\n" "a where that does not compile: the caret under the typed text")
# a script on stdin: a rule over several lines, :run, an invalid command, then more
file(WRITE ${WORK}/script.txt "rule slow on http.request
    where latency_ms > 50 {
    warning \"slow {service}\"
}
:run
bogus
count
")
execute_process(COMMAND ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/p.dta INPUT_FILE ${WORK}/script.txt
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "script with an invalid command: exit ${rc}, wanted 2\n${out}\n${err}")
endif()
expect_match("${out}" "added rule slow" "the block over four lines")
expect_match("${out}" "slow +warning +matched +1 +fired +1" "the typed rule ran")
expect_match("${out}" "db_failed +error +matched +1 +fired +1" "the loaded rule ran")
expect_match("${out}" "\n4\n" "the commands after the invalid one ran")
expect_match("${err}" "unknown command 'bogus'" "the invalid command on stderr")
# events on stdin with -c; without -c it is refused
execute_process(COMMAND ${DTA} repl - -c "count" INPUT_FILE ${WORK}/e.jsonl RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "4\n")
  message(FATAL_ERROR "events on stdin: exit ${rc}, output '${out}' ${err}")
endif()
file(WRITE ${WORK}/stdin-events.txt ":events -\ncount\n")
execute_process(COMMAND ${DTA} repl ${WORK}/e.jsonl INPUT_FILE ${WORK}/stdin-events.txt RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "cannot read standard input: the commands come from it" OR NOT out STREQUAL "4\n")
  message(FATAL_ERROR ":events - with commands on stdin: exit ${rc}, '${out}', ${err}")
endif()
expect_run(2 ${DTA} repl -)
expect_match("${ERR}" "with events on standard input, give the commands with -c" "- without -c")
# --profile
expect_run(0 ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/p.dta --profile calm --json -c ":run")
expect_match("${OUT}" "\"profile\":\"calm\"" "the profile applies")
expect_match("${OUT}" "\"verdict\":\"pass\"" "db_failed is a warning under calm")
expect_run(2 ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/p.dta --profile nope -c "count")
expect_match("${ERR}" "no profile 'nope'" "an unknown profile")
# :why
expect_run(0 ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/p.dta -c ":why db_failed 3")
expect_match("${OUT}" "errno != 0 +true\n +errno +13" "sub-expression values")
expect_match("${OUT}" "at event #3: fired\n +error \"cannot open /a.db\"" "what fired")
# :save then dta check
expect_run(0 ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/p.dta
           -c "rule big on http.request where status >= 500 { error \"{status} from {service}\" }" -c ":save ${WORK}/saved.dta")
expect_run(0 ${DTA} check ${WORK}/saved.dta)
expect_match("${OUT}" "2 rules" "the saved policy has both rules")
# bad arguments and inputs
expect_run(2 ${DTA} repl ${WORK}/missing.jsonl -c "count")
expect_match("${ERR}" "missing.jsonl" "a missing file is named")
expect_run(2 ${DTA} repl ${WORK}/e.jsonl --policy ${WORK}/missing.dta -c "count")
expect_run(2 ${DTA} repl ${WORK}/e.jsonl --bogus)
expect_match("${ERR}" "usage: dta repl" "usage on a bad option")
expect_run(0 ${DTA} repl --help)
expect_match("${OUT}" "-c, --command CMD" "the help lists -c")
expect_run(0 ${DTA} help)
expect_match("${OUT}" "repl" "dta help lists repl")
