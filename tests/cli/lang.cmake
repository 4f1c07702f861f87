# CLI end to end for the language conveniences of issue 9 (item 13):
# `expect N ...` with `arrived`, round(x, digits); through source and .dtb.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)
set(P ${DIR}/lang_blocks.dta)
set(E ${DIR}/lang_blocks.jsonl)

expect_run(0 ${DTA} check ${P})
# three replicas meet blk_1; blk_2 had one when its deadline passed; blk_3 and blk_4 still wait
expect_run(1 ${DTA} replay ${P} ${E})
expect_match("${OUT}" "ok +stored: block blk_1 stored on 3 nodes" "then at the third arrival")
expect_match("${OUT}" "10:10:01.000Z error +stored: block blk_2: 1 of 3 replicas within 10m" "else with arrived")
expect_match("${OUT}" "10.0.0.2 took 1817.2 ms for blk_1" "round() in a message")
expect_match("${OUT}" "pending when the stream ended: 2 expectations" "pending")
expect_run(1 ${DTA} replay ${P} ${E} --json)
set(SOURCE_JSON "${OUT}")
expect_match("${OUT}" "\"block\": \"blk_3\"[^}]*}[^}]*\"state\": \"2 of 3 arrived\"" "a partly met expectation in pending")
expect_match("${OUT}" "\"block\": \"blk_4\"[^}]*}[^}]*\"state\": \"0 of 3 arrived\"" "an expectation nothing arrived for")
# a profile sets the count
expect_run(0 ${DTA} replay ${P} ${E} --profile single)
expect_match("${OUT}" "stored: block blk_2 stored on 1 nodes" "count set by a profile")
# the same through a .dtb
expect_run(0 ${DTA} compile ${P} -o ${WORK}/blocks.dtb)
expect_run(0 ${DTA} disasm ${WORK}/blocks.dtb)
expect_match("${OUT}" "within=K[0-9]+\\(600000000000\\) count=K0\\(3\\)" "disasm shows the count")
expect_match("${OUT}" "LOADV +r0, int" "arrived is the block's value")
expect_run(1 ${DTA} replay ${WORK}/blocks.dtb ${E} --json)
if(NOT "${OUT}" STREQUAL "${SOURCE_JSON}")
  message(FATAL_ERROR "replay of the .dtb differs from the source:\n${OUT}\n---\n${SOURCE_JSON}")
endif()
# compile errors name the place
file(WRITE ${WORK}/zero.dta "rule r on a {\n  expect 0 b matching k within 1s else { ok }\n}\n")
expect_run(2 ${DTA} check ${WORK}/zero.dta)
expect_match("${ERR}" "zero.dta:2:10: error: the count of 'expect' must be between 1 and 1000000, not 0" "count 0")
expect_match("${ERR}" "\n +\\^" "caret")
file(WRITE ${WORK}/profile.dta "const N = 3\nrule r on a { expect N b matching k within 1s else { ok } }\nprofile p { set N = -1 }\n")
expect_run(2 ${DTA} check ${WORK}/profile.dta)
expect_match("${ERR}" "profile.dta:3:13: error: profile 'p' sets N to -1, but N is the count of 'expect' \\(line 2\\)"
             "a profile's count")
file(WRITE ${WORK}/where.dta "rule r on a { expect 2 b where arrived > 1 matching k within 1s else { ok } }\n")
expect_run(2 ${DTA} check ${WORK}/where.dta)
expect_match("${ERR}" "where.dta:1:32: error: 'arrived' is known in 'then' and 'else'" "arrived in where")
file(WRITE ${WORK}/round.dta "event e { x: float }\nrule r on e { info \"{round(x, 0.5)}\" }\n")
expect_run(2 ${DTA} check ${WORK}/round.dta)
expect_match("${ERR}" "round.dta:2:31: error: argument 2 of 'round' cannot be float" "round digits")
message(STATUS "cli lang: all checks passed")
