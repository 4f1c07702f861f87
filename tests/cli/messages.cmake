# The tool's messages end to end (issue 9, items 10-12): help on every command
# (exit 0), --version, a misspelled command, warnings and --Werror in check,
# compile, disasm and replay, several policies to check, swapped replay
# arguments, the generated man page and bash completion, and their install.
foreach(v DTA DIR WORK MAN COMPLETION BUILD)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "messages.cmake needs -D${v}=...")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)
# ---------------------------------------------------------------- help
expect_run(0 ${DTA} --version)
expect_match("${OUT}" "^dta [0-9]+\\.[0-9]+\\.[0-9]+ \\(policy language 0\\.1, \\.dtb format [0-9]+\\)\n$" "--version")
expect_run(0 ${DTA} help)
expect_match("${OUT}" "commands:\n  check +type-check" "dta help lists the commands")
expect_match("${OUT}" "exit status:" "dta help gives the exit status")
expect_run(0 ${DTA} --help)
set(overview "${OUT}")
expect_run(0 ${DTA} -h)
if(NOT OUT STREQUAL overview)
  message(FATAL_ERROR "dta -h and dta --help differ")
endif()
foreach(cmd check compile disasm replay help completion)
  foreach(flag --help -h)
    expect_run(0 ${DTA} ${cmd} ${flag})
    expect_match("${OUT}" "^usage: dta ${cmd}" "dta ${cmd} ${flag}")
    expect_match("${OUT}" "options:" "dta ${cmd} ${flag}")
  endforeach()
  set(cmd_help "${OUT}")
  expect_run(0 ${DTA} help ${cmd})
  if(NOT OUT STREQUAL cmd_help)
    message(FATAL_ERROR "dta help ${cmd} differs from dta ${cmd} --help")
  endif()
endforeach()
# --help anywhere after the command, even after other arguments
expect_run(0 ${DTA} replay ${DIR}/pass.dta ${DIR}/events.jsonl --help)
expect_match("${OUT}" "^usage: dta replay POLICY EVENTS" "replay ... --help")
# without a command: the short usage on stderr, exit 2
expect_run(2 ${DTA})
expect_match("${ERR}" "usage: dta COMMAND" "no command")
expect_run(2 ${DTA} chek x.dta)
expect_match("${ERR}" "unknown command 'chek' \\(did you mean 'check'\\?\\)" "misspelled command")
expect_run(2 ${DTA} help chek)
expect_match("${ERR}" "did you mean 'check'" "help for a misspelled command")
expect_run(2 ${DTA} completion zsh)
expect_match("${ERR}" "only bash is supported" "completion for another shell")
# a usage error names the usage and where to read more
expect_run(2 ${DTA} check)
expect_match("${ERR}" "usage: dta check POLICY\\.\\.\\. .*'dta check --help' for more" "check without a policy")
expect_run(2 ${DTA} check ${DIR}/pass.dta --bogus)
expect_match("${ERR}" "unknown option '--bogus'" "unknown option")

# ---------------------------------------------------------------- warnings and --Werror
file(WRITE ${WORK}/warn.dta
  "event request.end { latency_ms: float, id: string }\n"
  "rule slow on request.end where latency_ms > 250ms { warning \"slow\" }\n"
  "rule typo on request.ends { error \"x\" }\n"
  "profile quiet { rule slow: off }\n")
expect_run(0 ${DTA} check ${WORK}/warn.dta)
expect_match("${OUT}" "warn.dta: ok \\(2 rules" "a policy with warnings passes")
expect_match("${ERR}" "warn.dta:2:45: warning: 'latency_ms' is in milliseconds by its name, but 250ms is 250000000 nanoseconds \\(durations are ints of nanoseconds\\): write 250\n"
             "unit warning")
expect_match("${ERR}" "rule slow on request.end where latency_ms > 250ms { warning \"slow\" }\n +\\^~~~~\n" "caret")
expect_match("${ERR}" "warn.dta:3:14: warning: no schema declares event 'request.ends' \\(did you mean 'request.end'\\?\\)"
             "unknown event warning")
expect_match("${ERR}" "\n2 warnings\n$" "warning count")
expect_run(2 ${DTA} check --Werror ${WORK}/warn.dta)
expect_match("${ERR}" "warn.dta:3:14: error: no schema declares event 'request.ends' .* \\[--Werror\\]" "--Werror")
expect_match("${ERR}" "\n2 errors\n$" "error count under --Werror")
expect_no_match("${OUT}" "ok" "--Werror refuses the policy")
expect_run(0 ${DTA} compile ${WORK}/warn.dta -o ${WORK}/warn.dtb)
expect_match("${ERR}" "warning: " "compile prints warnings")
file(REMOVE ${WORK}/warn.dtb)
expect_run(2 ${DTA} compile ${WORK}/warn.dta -o ${WORK}/warn.dtb --Werror)
if(EXISTS ${WORK}/warn.dtb)
  message(FATAL_ERROR "compile --Werror wrote a program from a policy with warnings")
endif()
expect_run(2 ${DTA} disasm --Werror ${WORK}/warn.dta)
expect_run(0 ${DTA} disasm ${WORK}/warn.dta)
expect_match("${ERR}" "2 warnings" "disasm prints warnings")
# replay prints the warnings before running
file(WRITE ${WORK}/warn.jsonl "{\"ts\": 1, \"name\": \"request.end\", \"fields\": {\"latency_ms\": 900.5, \"id\": \"a\"}}\n")
expect_run(0 ${DTA} replay ${WORK}/warn.dta ${WORK}/warn.jsonl)
expect_match("${ERR}" "warning: 'latency_ms' is in milliseconds" "replay prints warnings")
expect_match("${OUT}" "PASS" "replay still runs")
expect_run(2 ${DTA} replay --Werror ${WORK}/warn.dta ${WORK}/warn.jsonl)
expect_match("${ERR}" "error: 'latency_ms' is in milliseconds.* \\[--Werror\\]" "replay --Werror refuses the policy")
expect_no_match("${OUT}" "PASS" "replay --Werror runs nothing")
# several policies at once; one bad one fails the check, the others still say ok
expect_run(2 ${DTA} check ${DIR}/pass.dta ${DIR}/broken.dta ${DIR}/fail.dta)
expect_match("${OUT}" "pass.dta: ok .*fail.dta: ok" "every good policy is reported")
expect_match("${ERR}" "broken.dta:2:[0-9]+: error: " "the bad one's error")
# profiles, for scripts and completion
expect_run(0 ${DTA} check --list-profiles ${WORK}/warn.dta)
expect_match("${OUT}" "^quiet\n$" "--list-profiles")

# ---------------------------------------------------------------- arguments in the wrong order
expect_run(2 ${DTA} replay ${DIR}/events.jsonl ${DIR}/pass.dta --json)
expect_match("${ERR}" "looks like events and '.*pass.dta' like a policy: the policy comes first" "swapped arguments")
expect_match("${ERR}" "try: dta replay .*pass.dta .*events.jsonl --json" "the corrected command")
expect_run(2 ${DTA} check ${DIR}/events.jsonl)
expect_match("${ERR}" "events.jsonl:1:1: error: this is JSON, not a policy \\(an events file\\?\\)\n" "events as a policy")
expect_match("${ERR}" "\n1 error\n$" "one error, not one per line of JSON")

# ---------------------------------------------------------------- syntax errors through the tool
file(WRITE ${WORK}/slips.dta
  "rule a on x where a && b { ok }\n"
  "rule b on x where a > 5 {\n"
  "  error \"x\"\n"
  "rule c on x { ok }\n")
expect_run(2 ${DTA} check ${WORK}/slips.dta)
expect_match("${ERR}" "slips.dta:1:21: error: use 'and' instead of '&&'\n" "&&")
expect_match("${ERR}" "slips.dta:2:25: error: '{' is never closed: expected '}' before 'rule' on line 4\n" "unclosed brace")
expect_match("${ERR}" "slips.dta:4:1: note: '}' missing before this\nrule c on x { ok }\n\\^~~~\n" "the note")
expect_match("${ERR}" "\n2 errors\n$" "two mistakes, two errors")

# ---------------------------------------------------------------- man page and completion
foreach(f MAN COMPLETION)
  if(NOT EXISTS ${${f}})
    message(FATAL_ERROR "${${f}} was not generated")
  endif()
endforeach()
file(READ ${MAN} man)
expect_run(0 ${DTA} help --man)
if(NOT OUT STREQUAL man)
  message(FATAL_ERROR "the generated man page differs from 'dta help --man'")
endif()
foreach(cmd check compile disasm replay help completion)
  expect_match("${man}" "\n\\.SS \"dta ${cmd}" "man page section for ${cmd}")
endforeach()
find_program(GROFF groff)
if(GROFF)
  execute_process(COMMAND ${GROFF} -man -Tutf8 -ww -z ${MAN} RESULT_VARIABLE rc ERROR_VARIABLE groff_err)
  if(NOT rc EQUAL 0 OR NOT groff_err STREQUAL "")
    message(FATAL_ERROR "groff finds problems in the man page:\n${groff_err}")
  endif()
endif()
file(READ ${COMPLETION} completion)
expect_run(0 ${DTA} completion bash)
if(NOT OUT STREQUAL completion)
  message(FATAL_ERROR "the generated completion differs from 'dta completion bash'")
endif()
find_program(BASH bash)
if(BASH)
  # Completes word CWORD of COMP_WORDS = dta ARGN in WORK ("last": the last word).
  # (CMake drops empty arguments: <empty> stands for an empty word.)
  function(expect_completion_at cword want)
    execute_process(
      COMMAND env LC_ALL=C CWORD=${cword} ${BASH} -c
              "source \"$1\"; shift; COMP_WORDS=(\"\${@/#<empty>/}\"); COMP_CWORD=$(($# - 1)); [[ $CWORD == last ]] || COMP_CWORD=$CWORD; _dta; printf '%s\\n' \"\${COMPREPLY[@]}\" | sort"
              _ ${COMPLETION} ${DTA} ${ARGN}
      WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE got ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT got STREQUAL want)
      message(FATAL_ERROR "completing word ${cword} of 'dta ${ARGN}': exit ${rc}, got\n${got}wanted\n${want}${err}")
    endif()
  endfunction()
  function(expect_completion want)
    expect_completion_at(last "${want}" ${ARGN})
  endfunction()
  file(MAKE_DIRECTORY ${WORK}/sub)
  file(WRITE ${WORK}/b.jsonl "")
  expect_completion("check\ncompile\ncompletion\n" "c")
  expect_completion("--help\n--version\n" "--")
  expect_completion("--profile\n" replay warn.dta b.jsonl --pro)
  expect_completion("--Werror\n" check --W)
  expect_completion("quiet\n" replay warn.dta b.jsonl --profile <empty>)
  expect_completion_at(3 "quiet\n" check --profile <empty> warn.dta)  # the policy may come after
  expect_completion("slips.dta\nsub\nwarn.dta\n" check <empty>)  # policies (and directories) only
  expect_completion("sub\n" replay --out <empty>)
  expect_completion("b.jsonl\nslips.dta\nsub\nwarn.dta\nwarn.jsonl\n" replay warn.dta <empty>)  # events: any file
  expect_completion("bash\n" completion <empty>)
  expect_completion("repl\nreplay\n" help rep)  # `dta repl` exists since issue 10
  expect_completion("replay\n" help repla)
endif()

# ---------------------------------------------------------------- install
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(f share/man/man1/dta.1 share/bash-completion/completions/dta bin/dta)
  if(NOT EXISTS ${WORK}/prefix/${f})
    message(FATAL_ERROR "${f} is not installed")
  endif()
endforeach()
message(STATUS "cli_messages: all checks passed")
