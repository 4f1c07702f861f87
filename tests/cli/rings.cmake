# The shop's test rings (issue 12): each ring passes on the healthy shop, and
# each seeded defect makes the ring the README names fail, through the rule it
# names (shop --verbose prints every finding: "shop: error RULE: ...").
include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)
set(WORK ${SRC})

foreach(ring unit scenario stress fuzz chaos)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env SHOP=${SHOP} ${SRC}/scripts/rings.sh ${ring}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err WORKING_DIRECTORY ${SRC})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ring ${ring} fails on the healthy shop (exit ${rc}):\n${err}")
  endif()
endforeach()

# defect ring rule: the catching rule and the start of its message
set(defects
  "leak|unit|conn_leaked|connection [0-9]+ of order [0-9]+ was never closed"
  "no_finish|unit|order_flow|order [0-9]+ stalled"
  "slow_path|unit|query_p99|p99 query latency"
  "lock_long|unit|lock_held_long|lock inventory held"
  "queue_wait|unit|item_waits|order [0-9]+ waited more than 200 ms"
  "double_close|unit|conn_life|connection [0-9]+ closed twice"
  "card_in_reason|unit|card_leaked|a card number in the reason of order"
  "swallow|fuzz|order_flow|order [0-9]+ reported ok after a failed query"
  "wrong_status|fuzz|wrong_status|order [0-9]+ failed but answered 200"
  "retry_storm|chaos|retry_storm|order [0-9]+: [0-9]+ failed queries within 1s")
foreach(row IN LISTS defects)
  string(REPLACE "|" ";" f "${row}")
  list(GET f 0 defect)
  list(GET f 1 ring)
  list(GET f 2 rule)
  list(GET f 3 message)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env SHOP=${SHOP} ${SRC}/scripts/rings.sh ${ring} --defect ${defect}
                          --verbose --seconds 2
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err WORKING_DIRECTORY ${SRC})
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "defect ${defect}: ring ${ring} should fail (exit 1), exit ${rc}:\n${err}")
  endif()
  expect_match("${err}" "shop: error ${rule}: ${message}" "defect ${defect} caught by ${rule} in ring ${ring}")
endforeach()
# the card number never reaches a message: the policy says the card is sensitive
execute_process(COMMAND ${CMAKE_COMMAND} -E env SHOP=${SHOP} ${SRC}/scripts/rings.sh unit --defect card_in_reason
                        --verbose --seconds 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err WORKING_DIRECTORY ${SRC})
expect_no_match("${err}" "4111[0-9]+" "a card number in the shop's output")
# bad arguments
execute_process(COMMAND ${CMAKE_COMMAND} -E env SHOP=${SHOP} ${SRC}/scripts/rings.sh unit --defect nosuch
                RESULT_VARIABLE rc ERROR_VARIABLE err WORKING_DIRECTORY ${SRC})
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "an unknown defect: exit ${rc}, wanted 2")
endif()
expect_match("${err}" "unknown defect 'nosuch' \\(one of leak, retry_storm" "unknown defect")
