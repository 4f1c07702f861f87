# CLI end to end for `enable PATTERN [level L] for D` (issue 8, item 5): it
# checks, compiles, disassembles, and a replay (which has no event sites to
# turn on) counts it in the summary and the JSON report.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

set(P ${DIR}/enable.dta)
set(E ${DIR}/enable.jsonl)

expect_run(0 ${DTA} check ${P})
expect_run(0 ${DTA} replay ${P} ${E})
expect_match("${OUT}" "enables 2: enable actions ran; a replay has no event sites to turn on" "summary counts enables")
expect_run(0 ${DTA} replay ${P} ${E} --json)
set(SOURCE_JSON "${OUT}")
expect_match("${OUT}" "\"enables\": 2" "JSON counts enables")
expect_run(0 ${DTA} replay ${P} ${E} --profile quiet --json)
expect_no_match("${OUT}" "\"enables\"" "a rule turned off enables nothing")
# through a .dtb
expect_run(0 ${DTA} compile ${P} -o ${WORK}/enable.dtb)
expect_run(0 ${DTA} disasm ${WORK}/enable.dtb)
expect_match("${OUT}" "kind=enable name=db.\\* min_severity=warning for=K[0-9]+\\(300000000000\\)" "disasm")
expect_run(0 ${DTA} replay ${WORK}/enable.dtb ${E} --json)
if(NOT "${OUT}" STREQUAL "${SOURCE_JSON}")
  message(FATAL_ERROR "replay of the .dtb differs from the source:\n${OUT}\n---\n${SOURCE_JSON}")
endif()
# errors name the place
file(WRITE ${WORK}/level.dta "rule r on a {\n  enable db.* level warnig for 1m\n}\n")
expect_run(2 ${DTA} check ${WORK}/level.dta)
expect_match("${ERR}" "level.dta:2:21: error: unknown severity 'warnig' \\(debug, info, warning, error or critical\\) \\(did you mean 'warning'\\?\\)" "bad level")
expect_match("${ERR}" "\n +\\^~~~" "caret")
file(WRITE ${WORK}/zero.dta "const D = 1m\nrule r on a { enable db.* for D }\nprofile p { set D = 0s }\n")
expect_run(2 ${DTA} check ${WORK}/zero.dta)
expect_match("${ERR}" "zero.dta:3:13: error: profile 'p' sets D to 0s, but D is the duration of 'enable ... for'" "a profile's zero duration")
