# CLI end to end for the inputs of `dta replay` (issue 9, items 1-5 and the
# "field never carried" warning of item 10): compressed, binary and empty
# inputs, bad lines and --max-bad, several files merged in time order,
# --ts-unit and the 1970 warning, --end-at and what stays pending,
# --since/--until, and --follow on a pipe and on a growing file with
# findings printed as they happen (text and --json-lines) and a report on
# SIGINT/SIGTERM.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

# A shell script (for pipes, background runs and signals), written to a file
# (CMake would split its semicolons): its stdout in OUT.
function(expect_sh want_rc script)
  file(WRITE ${WORK}/script.sh "${script}\n")
  expect_run(${want_rc} sh ${WORK}/script.sh)
  set(OUT "${OUT}" PARENT_SCOPE)
  set(ERR "${ERR}" PARENT_SCOPE)
endfunction()

# Shell helpers for the --follow cases: they wait for what dta printed, or
# for dta to catch a signal, instead of sleeping for a fixed time (a loaded
# machine or an instrumented build starts slower than any fixed guess).
file(WRITE ${WORK}/wait.sh [=[
wait_for() {  # wait_for TEXT FILE: until FILE holds TEXT (30 s at most)
  i=0
  while ! grep -q "$1" "$2" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 300 ] && return 1; sleep 0.1
  done
}
wait_caught() {  # wait_caught PID BIT: until process PID handles (catches or blocks to wait for) the signal of mask BIT
  i=0
  while :; do
    for m in $(sed -n 's/^Sig\(Cgt\|Blk\):[[:space:]]*//p' /proc/$1/status 2>/dev/null); do
      [ $(( 0x$m & $2 )) -ne 0 ] && return 0
    done
    i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.05
  done
}
]=])
set(I ${DIR}/inputs)
set(P ${I}/deadlines.dta)

# ---- compressed input reads like the plain file (item 1)
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl --json)
set(plain "${OUT}")
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl.gz --json)
if(NOT OUT STREQUAL plain)
  message(FATAL_ERROR "gzip input: a different report:\n${OUT}\nplain:\n${plain}")
endif()
expect_run(0 ${DTA} replay ${P} ${I}/b.jsonl --json)
set(plain "${OUT}")
expect_run(0 ${DTA} replay ${P} ${I}/b.jsonl.zst --json)
if(NOT OUT STREQUAL plain)
  message(FATAL_ERROR "zstd input: a different report:\n${OUT}\nplain:\n${plain}")
endif()

# ---- what is not JSON Lines: one message, exit 2, no report (item 1)
expect_run(2 ${DTA} replay ${P} ${I}/a.jsonl.xz)
expect_match("${ERR}" "a.jsonl.xz: error: xz-compressed data: decompress it first \\(xz -dc FILE\\)\n$" "xz")
expect_run(2 ${DTA} replay ${P} ${I}/program.bin)
expect_match("${ERR}" "^[^\n]*program.bin: error: an ELF executable, not JSON Lines\n$" "binary: one line")
if(NOT OUT STREQUAL "")
  message(FATAL_ERROR "binary input: a report was printed:\n${OUT}")
endif()
expect_run(2 ${DTA} replay ${P} ${I}/upgrades.csv)
expect_match("${ERR}" "upgrades.csv: error: not JSON Lines: none of its 3 lines is an event \\(line 1 starts \"time,name,pkg\"\\)"
             "csv")
expect_run(2 ${DTA} replay ${P} ${I})
expect_match("${ERR}" "error: is a directory, not an events file: name the files in it \\(DIR/\\*.jsonl\\)" "directory")
file(WRITE ${WORK}/empty.jsonl "")
expect_run(2 ${DTA} replay ${P} ${WORK}/empty.jsonl)
expect_match("${ERR}" "empty.jsonl: error: no events: the input is empty \\(--allow-empty accepts it\\)" "empty")
expect_run(0 ${DTA} replay ${P} ${WORK}/empty.jsonl --allow-empty)
expect_match("${OUT}" "0 events: PASS" "--allow-empty")
file(WRITE ${WORK}/blank.jsonl "\n   \n")
expect_run(2 ${DTA} replay ${P} ${WORK}/blank.jsonl)
expect_match("${ERR}" "no events: only blank lines" "blank lines only")
# one good file and one of garbage: the garbage is still an error
expect_run(2 ${DTA} replay ${P} ${I}/a.jsonl ${I}/upgrades.csv)
expect_match("${ERR}" "upgrades.csv: error: not JSON Lines" "one bad input among good ones")

# ---- bad lines and --max-bad (item 1)
expect_run(0 ${DTA} replay ${P} ${I}/some-bad.jsonl)
expect_match("${OUT}" "bad_input 1" "one bad line counted")
expect_run(2 ${DTA} replay ${P} ${I}/some-bad.jsonl --max-bad 0)
expect_match("${ERR}" "error: more than 0 bad lines \\(--max-bad 0\\):\n  [^\n]*some-bad.jsonl:2: invalid JSON" "--max-bad 0")
expect_run(0 ${DTA} replay ${P} ${I}/some-bad.jsonl --max-bad 1)
expect_run(2 ${DTA} replay ${P} ${I}/some-bad.jsonl --max-bad 10%)
expect_match("${ERR}" "error: 1 of 4 lines are bad \\(25.00%\\), more than --max-bad 10%" "--max-bad 10%")
expect_run(0 ${DTA} replay ${P} ${I}/some-bad.jsonl --max-bad 25%)
expect_run(2 ${DTA} replay ${P} ${I}/some-bad.jsonl --max-bad lots)
expect_match("${ERR}" "--max-bad 'lots': expected a count of lines" "--max-bad syntax")

# ---- several files merged in time order (item 2); their concatenation makes events late
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl --json)
expect_match("${OUT}" "\"events\": 8" "merged events")
expect_match("${OUT}" "\"late\": 0" "merged: nothing late")
set(merged "${OUT}")
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl.gz ${I}/b.jsonl.zst --json)
if(NOT OUT STREQUAL merged)
  message(FATAL_ERROR "gzip + zstd merged: a different report:\n${OUT}\nplain:\n${merged}")
endif()
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl)
expect_match("${OUT}" "process 7 started\n[^\n]*process 42 started" "merged findings in time order")
file(READ ${I}/a.jsonl a_text)
file(READ ${I}/b.jsonl b_text)
file(WRITE ${WORK}/cat.jsonl "${a_text}${b_text}")
execute_process(COMMAND ${DTA} replay ${P} - --json INPUT_FILE ${WORK}/cat.jsonl OUTPUT_VARIABLE out RESULT_VARIABLE rc)
expect_match("${out}" "\"late\": 3" "concatenated: late events")
expect_run(2 ${DTA} replay ${P} - -)
expect_match("${ERR}" "standard input \\('-'\\) can be read only once" "stdin twice")

# ---- what never finished (item 5): pending without --end-at, fired with it
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl)
expect_match("${OUT}" "pending when the stream ended: 1 expectation, 1 machine timer" "pending note")
expect_match("${OUT}" "  upgrade_finishes expectation \\[pkg=bash\\]: 2026-11-26T10:00:16.000Z" "pending expectation")
expect_match("${OUT}" "  proc after \\[pid=42\\] \\(state running\\): 2026-11-26T10:01:04.000Z" "pending timer")
expect_match("${OUT}" "--end-at" "pending note says how to let them fire")
expect_run(1 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl --end-at +2m)
expect_match("${OUT}" "10:00:16.000Z error   upgrade_finishes: upgrade of bash never finished" "--end-at: expectation fired")
expect_match("${OUT}" "10:01:04.000Z warning proc: process 42 ran over a minute" "--end-at: after fired")
expect_no_match("${OUT}" "pending when" "--end-at +2m: nothing pending")
expect_run(1 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl --end-at 2026-11-26T10:00:20Z --json)
expect_match("${OUT}" "\"expectations\": 0,\n *\"timers\": 1" "--end-at TIME: only what was due by then")
expect_match("${OUT}" "upgrade of bash never finished" "--end-at TIME fired the expectation")
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl --end-at 2026-11-26T09:00:00Z)
expect_match("${ERR}" "note: --end-at 2026-11-26T09:00:00.000Z is not after the last event time" "--end-at in the past")
expect_run(2 ${DTA} replay ${P} ${I}/a.jsonl --end-at tomorrow)
expect_match("${ERR}" "--end-at: 'tomorrow' is not a time" "--end-at syntax")

# ---- --since / --until
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl ${I}/b.jsonl --since 2026-11-26T10:00:03Z --until 2026-11-26T10:00:06Z --json)
expect_match("${OUT}" "\"events\": 3" "time range")
expect_match("${ERR}" "note: 3 events before --since and 2 at or after --until not replayed" "time range note")

# ---- time units (item 3)
expect_run(0 ${DTA} replay ${P} ${I}/strace.jsonl)
expect_match("${OUT}" "bad_input 2" "fractional seconds are bad lines without --ts-unit")
expect_match("${OUT}" "1800000000.123456789 is not an integer \\(for seconds, milliseconds or microseconds since the epoch: --ts-unit s\\|ms\\|us\\)"
             "the bad line says how to read it")
expect_run(0 ${DTA} replay ${P} ${I}/strace.jsonl --ts-unit s --json)
expect_match("${OUT}" "\"events\": 3" "--ts-unit s")
expect_match("${OUT}" "\"ts\": 1800000000500000000" "fractional seconds exact")
expect_match("${OUT}" "\"due\": 1800000060500000000" "machine timer from an exact time")
expect_no_match("${ERR}" "1970" "--ts-unit s: no 1970 warning")
expect_run(0 ${DTA} replay ${P} ${I}/secs.jsonl)
expect_match("${ERR}" "secs.jsonl: warning: every event time falls in 1970 \\(1970-01-01T00:00:01.800Z to 1970-01-01T00:00:01.800Z\\)" "1970 warning")
expect_match("${ERR}" "values like 1800000000 look like seconds since the epoch: read them with --ts-unit s" "1970 hint")
expect_run(0 ${DTA} replay ${P} ${I}/secs.jsonl --ts-unit s)
expect_no_match("${ERR}" "1970" "epoch seconds read as seconds")
expect_run(2 ${DTA} replay ${P} ${I}/secs.jsonl --ts-unit hours)
expect_match("${ERR}" "--ts-unit 'hours': expected s, ms, us or ns" "--ts-unit syntax")

# ---- a field no event carried (item 10)
expect_run(0 ${DTA} replay ${I}/typo.dta ${I}/a.jsonl)
expect_match("${ERR}" "warning: no event carried field 'exit_status', which rule 'upgrade_failed' reads" "field never carried")
expect_run(0 ${DTA} replay ${P} ${I}/a.jsonl)
expect_no_match("${ERR}" "no event carried" "every field read was carried")

# ---- --follow on a pipe (item 4): the deadline fires on wall time while the stream is quiet,
# before the next line arrives; the report when the pipe closes
set(L "${I}/live.dta")
set(job_a "{\"ts\": 1000000000000, \"name\": \"job.start\", \"fields\": {\"id\": \"a\"}}")
set(job_c "{\"ts\": 1000010000000, \"name\": \"job.start\", \"fields\": {\"id\": \"c\\u001b[2J\\nfake\"}}")
expect_sh(1 ". ./wait.sh; rm -f out.txt; (printf '%s\\n' '${job_a}'; wait_for 'did not end' out.txt; printf '%s\\n' '${job_c}') | '${DTA}' replay '${L}' - --follow --lateness 0s > out.txt; rc=$?; cat out.txt; exit $rc")
expect_match("${OUT}" "info    started: job a started\n[^\n]*error   job_ends: job a did not end {id=a}\n[^\n]*info    started: job c\\\\x1b\\[2J\\\\nfake started\n"
             "--follow: findings as they happen, in order, escaped")
expect_match("${OUT}" "policy live: 2 events: FAIL" "--follow: the report at the end of the pipe")
expect_no_match("${OUT}" "\n[^\n]*fake started\n[^\n]*\nfake" "no forged line")
# --json-lines: one JSON object per finding, then the report
expect_sh(1 ". ./wait.sh; rm -f out.txt; (printf '%s\\n' '${job_a}'; wait_for job_ends out.txt) | '${DTA}' replay '${L}' - --follow --lateness 0s --json-lines > out.txt; rc=$?; cat out.txt; exit $rc")
expect_match("${OUT}" "^{\"type\":\"finding\",\"rule\":\"started\",\"level\":\"info\",\"message\":\"job a started\",\"ts\":1000000000000,[^\n]*}\n{\"type\":\"finding\",\"rule\":\"job_ends\",\"level\":\"error\",[^\n]*\"key\":{\"id\":\"a\"}}\n{\"type\":\"report\",\"report\":{\"policy\":\"live\",[^\n]*}\n$"
             "--json-lines")
expect_run(2 ${DTA} replay ${L} - --json --json-lines)
# alerts too, and --json-lines without --follow
expect_run(0 ${DTA} replay ${I}/burst.dta ${I}/burst.jsonl --json-lines)
expect_match("${OUT}" "^{\"type\":\"alert\",\"rule\":\"burst\",\"severity\":\"critical\",\"message\":\"burst on cart\",\"ts\":3000000000,[^\n]*\"labels\":{\"svc\":\"cart\"}[^\n]*}\n{\"type\":\"report\""
             "--json-lines: an alert")
# SIGINT while following a pipe that stays open: the report is printed, the exit status is the verdict's
expect_sh(0 ". ./wait.sh; rm -f fifo; mkfifo fifo; '${DTA}' replay '${L}' - --follow < fifo & pid=$!; exec 3> fifo; wait_caught $pid 2; kill -INT $pid; wait $pid; echo \"rc=$?\"; exec 3>&-")
expect_match("${OUT}" "policy live: 0 events: PASS" "SIGINT: the report")
expect_match("${OUT}" "rc=0" "SIGINT: exit status of the verdict")
expect_match("${ERR}" "note: interrupted" "SIGINT: said")
# SIGTERM while following a growing file
file(WRITE ${WORK}/grow.jsonl "${job_a}\n")
expect_sh(0 ". ./wait.sh; rm -f out.txt; '${DTA}' replay '${L}' grow.jsonl --follow --lateness 0s > out.txt & pid=$!; wait_for 'did not end' out.txt; printf '%s\\n' '${job_c}' >> grow.jsonl; wait_for 'job c' out.txt; wait_caught $pid 16384; kill -TERM $pid; wait $pid; rc=$?; cat out.txt; echo \"rc=$rc\"")
expect_match("${OUT}" "job a did not end[^\n]*\n[^\n]*job c[^\n]*started" "growing file: deadline, then the appended line")
expect_match("${OUT}" "policy live: 2 events: FAIL" "SIGTERM: the report")
expect_match("${OUT}" "rc=1" "SIGTERM: exit status of the verdict")
message(STATUS "cli_inputs: all checks passed")
