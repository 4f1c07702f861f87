# The example host shop end to end (issue 8 item 6): it runs 4 workers for a
# few seconds while this script edits its policy file (a broken edit, then a
# good one), sends SIGHUP and SIGUSR1; the JSON stats must add up (emitted =
# evaluated + dropped), show the findings, the refused and the accepted
# reloads, and the edited policy's rule at work. Then SIGINT ends a run early,
# --sync runs, and bad arguments or policies exit 2.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)
# json_get(VAR json key...): a member of the stats, or a failure naming it.
function(json_get var json)
  string(JSON value ERROR_VARIABLE jerr GET "${json}" ${ARGN})
  if(jerr)
    message(FATAL_ERROR "stats: no ${ARGN}: ${jerr}\n${json}")
  endif()
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

# expect_adds_up(json what min): the shop's count of events (at least min) = evaluated + dropped.
function(expect_adds_up json what min)
  json_get(emitted "${json}" emitted)
  json_get(evaluated "${json}" evaluated)
  json_get(dropped "${json}" dropped)
  json_get(runtime_emitted "${json}" runtime_emitted)
  math(EXPR sum "${evaluated} + ${dropped}")
  if(NOT emitted EQUAL sum OR NOT emitted EQUAL runtime_emitted OR emitted LESS min)
    message(FATAL_ERROR "${what}: emitted ${emitted} (runtime ${runtime_emitted}) != evaluated ${evaluated} + dropped ${dropped}")
  endif()
endfunction()

# rule_stat(VAR json rule field): a rule's matched or fired count (-1 if absent).
function(rule_stat var json rule field)
  set(${var} -1 PARENT_SCOPE)
  string(JSON n LENGTH "${json}" rules)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" rules ${i} name)
    if(name STREQUAL rule)
      string(JSON v GET "${json}" rules ${i} ${field})
      set(${var} ${v} PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

set(POLICY ${WORK}/policy.dta)
file(READ ${DIR}/shop.dta good)
file(WRITE ${POLICY} "${good}")
# The good edit: the same policy and one more rule, so its reload shows.
file(WRITE ${WORK}/edited.dta "${good}\nrule edited on order.done { count edited_orders }\n")

# ---- a live run: a broken edit in place, a good edit by rename, SIGHUP, SIGUSR1
file(WRITE ${WORK}/live.sh [=[
set -u
# wait_for TEXT: until shop's stderr says it (at most 10 s)
wait_for() {
  n=0
  until grep -q "$1" live.err 2>/dev/null; do
    n=$((n + 1)); [ $n -gt 200 ] && return 1; sleep 0.05
  done
}
"$1" --policy policy.dta --profile unit --seconds 4 --threads 4 --json >live.json 2>live.err &
pid=$!
wait_for "shop: running"
sleep 0.5
printf '\nrule broken on order.done where {\n' >>policy.dta   # a broken edit, in place
wait_for "did not load"
sleep 0.2
cp edited.dta policy.tmp && mv policy.tmp policy.dta       # a good edit, the way editors save
sleep 0.5
kill -HUP $pid
wait_for "SIGHUP: policy.dta reloaded"
kill -USR1 $pid
wait $pid
echo $? >live.rc
]=])
execute_process(COMMAND sh live.sh ${SHOP} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc)
file(READ ${WORK}/live.rc live_rc)
file(READ ${WORK}/live.json live)
file(READ ${WORK}/live.err live_err)
string(STRIP "${live_rc}" live_rc)
if(NOT rc EQUAL 0 OR NOT live_rc EQUAL 0)
  message(FATAL_ERROR "live run: exit ${live_rc}\n  stdout: ${live}\n  stderr: ${live_err}")
endif()
expect_adds_up("${live}" "live run" 500)
json_get(accounting "${live}" accounting_ok)
json_get(profile "${live}" profile)
json_get(errors "${live}" findings error)
json_get(oks "${live}" findings ok)
json_get(reloads_ok "${live}" reloads ok)
json_get(reloads_failed "${live}" reloads failed)
if(NOT accounting STREQUAL "ON" AND NOT accounting STREQUAL "true")
  message(FATAL_ERROR "live run: accounting_ok is ${accounting}")
endif()
if(NOT profile STREQUAL "unit")
  message(FATAL_ERROR "live run: profile ${profile}")
endif()
if(errors LESS 1 OR oks LESS 10)
  message(FATAL_ERROR "live run: findings error ${errors}, ok ${oks}:\n${live}")
endif()
# The broken edit was refused (and said so), the good edit and SIGHUP reloaded.
if(NOT reloads_failed EQUAL 1 OR reloads_ok LESS 2)
  message(FATAL_ERROR "live run: reloads ok ${reloads_ok}, failed ${reloads_failed}\n  stderr: ${live_err}")
endif()
expect_match("${live_err}" "policy.dta:[0-9]+:[0-9]+: error: " "the broken edit's diagnostics")
expect_match("${live_err}" "SIGHUP: policy.dta reloaded" "SIGHUP")
expect_match("${live_err}" "SIGUSR1: shop" "SIGUSR1")
# Evaluation went on under the edited policy, and the traces SIGUSR1 turned on were seen.
rule_stat(edited "${live}" edited matched)
rule_stat(item_waits "${live}" item_waits matched)
rule_stat(traced "${live}" traced matched)
if(edited LESS 1 OR item_waits LESS 100 OR traced LESS 1)
  message(FATAL_ERROR "live run: edited matched ${edited}, item_waits ${item_waits}, traced ${traced}\n${live}")
endif()

# ---- SIGINT ends a long run early, with its stats
file(WRITE ${POLICY} "${good}")
file(WRITE ${WORK}/int.sh [=[
"$1" --policy policy.dta --seconds 60 --threads 2 --json >int.json 2>int.err &
pid=$!
n=0
until grep -q "shop: running" int.err 2>/dev/null || [ $n -gt 200 ]; do n=$((n + 1)); sleep 0.05; done
sleep 0.5
kill -INT $pid
wait $pid
echo $? >int.rc
]=])
string(TIMESTAMP t0 "%s")
execute_process(COMMAND sh int.sh ${SHOP} WORKING_DIRECTORY ${WORK})
string(TIMESTAMP t1 "%s")
file(READ ${WORK}/int.rc int_rc)
file(READ ${WORK}/int.json int_json)
string(STRIP "${int_rc}" int_rc)
math(EXPR took "${t1} - ${t0}")
if(NOT int_rc EQUAL 0 OR took GREATER 10)
  message(FATAL_ERROR "SIGINT: exit ${int_rc} after ${took} s\n${int_json}")
endif()
expect_match("${int_json}" "\"ended_by\":\"signal\"" "SIGINT")
expect_adds_up("${int_json}" "SIGINT run" 1)

# ---- sync evaluation, human output; a tiny async queue drops and counts
expect_run(0 ${SHOP} --policy ${POLICY} --sync --seconds 1 --threads 3)
expect_match("${OUT}" "emitted ([0-9]+) = evaluated ([0-9]+) \\+ dropped 0" "sync stats")
expect_match("${OUT}" "item_waits" "sync rules")
expect_run(0 ${SHOP} --policy ${POLICY} --seconds 1 --threads 2 --queue 1 --json --profile stress)
expect_adds_up("${OUT}" "queue of 1" 1)

# ---- bad arguments and policies: exit 2 with a reason
expect_run(2 ${SHOP})
expect_match("${ERR}" "--policy FILE is required" "no policy")
expect_run(2 ${SHOP} --policy ${POLICY} --threads 0)
expect_match("${ERR}" "--threads wants" "threads 0")
expect_run(2 ${SHOP} --policy ${POLICY} --seconds -1)
expect_run(2 ${SHOP} --policy ${POLICY} --bogus)
expect_match("${ERR}" "unknown argument '--bogus'" "bogus")
expect_run(2 ${SHOP} --policy ${WORK}/no-such.dta --seconds 1)
expect_run(2 ${SHOP} --policy ${POLICY} --profile nope --seconds 1)
expect_match("${ERR}" "nope" "unknown profile")
file(WRITE ${WORK}/broken.dta "rule r on x where {\n")
expect_run(2 ${SHOP} --policy ${WORK}/broken.dta --seconds 1)
expect_match("${ERR}" "broken.dta:[0-9]+:[0-9]+: error: " "broken policy")
