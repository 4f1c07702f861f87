# `dta replay`'s report options end to end: --findings FILE (every finding as
# JSON Lines, with key and event fields, no sensitive value), --max-findings N
# (errors kept first), --fail-on LEVEL (exit 1 on findings or alerts at or
# above it), --color, and the summary's escaping of event data.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

# A policy with every level, keys from a window and an expectation, a
# sensitive field, alerts of two severities.
file(WRITE ${WORK}/audit.dta [=[
event auth.login { user: string, token: string sensitive, ok: bool }
rule failed on auth.login where not ok { error "login of {user} failed" }
rule burst on auth.login where not ok { when count() over 1m >= 3 by user { warning "{value} failures of {user}" } }
rule logout on auth.login { expect auth.logout matching user within 10s else { info "{user} never logged out" } }
rule fine on auth.login where ok { ok }
rule noisy on auth.login where ok { warning "routine login of {user}" }
rule crit on auth.login where user == "root" { alert critical "root login" }
]=])
set(events "")
foreach(i RANGE 1 30)
  math(EXPR ts "1000000000 * ${i}")
  if(i LESS 21)
    set(ok true)
    set(user "u${i}")
  else()
    set(ok false)
    set(user bob)
  endif()
  string(APPEND events "{\"ts\": ${ts}, \"name\": \"auth.login\", \"fields\": {\"user\": \"${user}\", \"token\": \"hunter2-s3cr3t\", \"ok\": ${ok}, \"n\": ${i}}}\n")
endforeach()
file(WRITE ${WORK}/events.jsonl "${events}{\"ts\": 100000000000, \"name\": \"tick\"}\n")

# --findings: every finding, one JSON object a line, the sensitive token redacted
expect_run(1 ${DTA} replay ${WORK}/audit.dta ${WORK}/events.jsonl --findings ${WORK}/f.jsonl --json --max-findings 5)
file(STRINGS ${WORK}/f.jsonl lines)
list(LENGTH lines n)
string(JSON errors GET "${OUT}" findings error)
string(JSON warnings GET "${OUT}" findings warning)
string(JSON infos GET "${OUT}" findings info)
string(JSON oks GET "${OUT}" findings ok)
math(EXPR total "${errors} + ${warnings} + ${infos} + ${oks}")
if(NOT n EQUAL total OR NOT errors EQUAL 10 OR NOT infos EQUAL 30 OR NOT warnings EQUAL 21)
  message(FATAL_ERROR "findings file: ${n} lines, report counts ${errors}/${warnings}/${infos}/${oks}")
endif()
file(READ ${WORK}/f.jsonl text)
expect_no_match("${text}" "hunter2" "no sensitive value in the findings file")
expect_no_match("${OUT}" "hunter2" "no sensitive value in the report")
set(keyed 0)
foreach(line IN LISTS lines)
  string(JSON rule GET "${line}" rule)
  string(JSON token GET "${line}" fields token)
  string(JSON n_field GET "${line}" fields n)
  if(NOT token STREQUAL "<redacted>" OR n_field LESS 1)
    message(FATAL_ERROR "findings file: fields of ${line}")
  endif()
  if(rule STREQUAL "burst" OR rule STREQUAL "logout")
    string(JSON key_user GET "${line}" key user)
    math(EXPR keyed "${keyed} + 1")
  endif()
endforeach()
if(NOT keyed EQUAL 31)  # a burst warning and 30 expectations, each with its key
  message(FATAL_ERROR "findings file: ${keyed} findings with a key")
endif()
# --max-findings 5 keeps five errors although warnings came first
string(JSON kept LENGTH "${OUT}" finding_details)
string(JSON first_level GET "${OUT}" finding_details 0 level)
string(JSON last_level GET "${OUT}" finding_details 4 level)
if(NOT kept EQUAL 5 OR NOT first_level STREQUAL "error" OR NOT last_level STREQUAL "error")
  message(FATAL_ERROR "--max-findings 5: ${kept} kept, ${first_level}..${last_level}")
endif()
string(JSON not_kept GET "${OUT}" diagnostics findings_not_kept)
if(NOT not_kept EQUAL 56)
  message(FATAL_ERROR "--max-findings 5: findings_not_kept ${not_kept}")
endif()
string(JSON crit GET "${OUT}" alerts_raised critical)
if(NOT crit EQUAL 0)
  message(FATAL_ERROR "alerts_raised.critical ${crit}")
endif()

# --fail-on: a policy with only warnings and a critical alert passes by the verdict
file(WRITE ${WORK}/warn.dta [=[
rule w on auth.login where ok { warning "routine login of {user}" }
rule crit on auth.login where user == "u3" { alert critical "u3 logged in" }
rule i on tick { info "tick" }
]=])
expect_run(0 ${DTA} replay ${WORK}/warn.dta ${WORK}/events.jsonl)
expect_match("${OUT}" ": 31 events: PASS\n" "the verdict")
expect_run(1 ${DTA} replay ${WORK}/warn.dta ${WORK}/events.jsonl --fail-on warning)
expect_match("${OUT}" "PASS by the verdict, FAIL by --fail-on warning \\(1 critical alert, 20 warnings\\)" "gate")
expect_run(1 ${DTA} replay ${WORK}/warn.dta ${WORK}/events.jsonl --fail-on critical --json)
expect_match("${OUT}" "\"verdict\": \"pass\"" "the JSON verdict stays the spec's")
expect_run(1 ${DTA} replay ${WORK}/warn.dta ${WORK}/events.jsonl --fail-on=info)
file(WRITE ${WORK}/quiet.dta "rule i on tick { info \"tick\" }\n")
expect_run(0 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --fail-on warning)
expect_run(1 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --fail-on info)
expect_run(1 ${DTA} replay ${DIR}/fail.dta ${DIR}/events.jsonl --fail-on critical)  # errors always fail
expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --fail-on fatal)
expect_match("${ERR}" "--fail-on wants info, warning, error or critical, not 'fatal'" "bad --fail-on")
expect_match("${ERR}" "usage: dta replay POLICY EVENTS\\.\\.\\. .*--fail-on" "usage names the options")
expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --max-findings lots)
expect_match("${ERR}" "--max-findings wants a count" "bad --max-findings")
expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --findings)
expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --findings -)
expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/events.jsonl --findings ${WORK}/no/such/dir/f.jsonl)
expect_match("${ERR}" "no/such/dir/f.jsonl: error: cannot write the findings file: No such file or directory" "unwritable")
if(EXISTS /dev/full)
  string(REPEAT "{\"ts\": 1, \"name\": \"tick\"}\n" 20000 ticks)
  file(WRITE ${WORK}/ticks.jsonl "${ticks}")
  expect_run(2 ${DTA} replay ${WORK}/quiet.dta ${WORK}/ticks.jsonl --findings /dev/full)
  expect_match("${ERR}" "/dev/full: error: writing the findings file failed: No space left on device" "disk full")
endif()

# colours: never on a pipe unless asked; NO_COLOR does not override --color=always
expect_run(1 ${DTA} replay ${WORK}/audit.dta ${WORK}/events.jsonl)
string(ASCII 27 esc)
expect_no_match("${OUT}" "${esc}" "no colours on a pipe")
expect_run(1 ${CMAKE_COMMAND} -E env NO_COLOR=1 ${DTA} replay ${WORK}/audit.dta ${WORK}/events.jsonl --color=always)
expect_match("${OUT}" "${esc}\\[1;31mFAIL${esc}\\[0m" "--color=always")
expect_run(1 ${DTA} replay ${WORK}/audit.dta ${WORK}/events.jsonl --color never)
expect_no_match("${OUT}" "${esc}" "--color never")
# the summary groups by rule, errors first, and says what it cut
expect_match("${OUT}" "findings by rule, errors first:\n  failed: 10 errors\n" "errors first")
expect_match("${OUT}" "  logout: 30 infos\n" "counts per rule")
expect_match("${OUT}" "    \\.\\.\\. 27 more findings\n" "how many more")
expect_match("${OUT}" "burst: 3 failures of bob \\[user=bob\\]" "keys in the summary")
expect_run(2 ${DTA} replay ${WORK}/audit.dta ${WORK}/events.jsonl --color=sometimes)

# control characters in event data: escaped in the summary, never a forged line
file(WRITE ${WORK}/evil.jsonl "{\"ts\": 1, \"name\": \"auth.login\", \"fields\": {\"user\": \"x\\u001b[2J\\u001b[H\\nfake line\", \"ok\": false}}\n")
expect_run(1 ${DTA} replay ${WORK}/audit.dta ${WORK}/evil.jsonl --color=always)
expect_no_match("${OUT}" "${esc}\\[2J" "no screen clear")
expect_no_match("${OUT}" "\nfake line" "no forged line")
expect_match("${OUT}" "login of x\\\\x1b\\[2J\\\\x1b\\[H\\\\nfake line failed" "escaped")
message(STATUS "cli_reports: all checks passed")
