# `dta replay --alerts-file` and `--alertmanager` end to end, without servers:
# the file's lines, refused arguments, and a delivery that fails (nothing
# listens on 127.0.0.1:1) reported on stderr without changing the exit status.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

file(WRITE ${WORK}/p.dta "policy deliver
event x { n: int, pw: string sensitive }
rule big on x where n > 1 { alert warning \"n is {n} ({pw})\" labels { team: \"db\" } }
rule huge on x where n > 100 { error \"n is huge\" }
")
file(WRITE ${WORK}/small.jsonl "{\"ts\": 1, \"name\": \"x\", \"fields\": {\"n\": 5, \"pw\": \"hunter2\"}}
{\"ts\": 2, \"name\": \"x\", \"fields\": {\"n\": 1, \"pw\": \"hunter2\"}}
{\"ts\": 3, \"name\": \"x\", \"fields\": {\"n\": 7, \"pw\": \"hunter2\"}}
")
file(WRITE ${WORK}/huge.jsonl "{\"ts\": 1, \"name\": \"x\", \"fields\": {\"n\": 500, \"pw\": \"hunter2\"}}\n")

# the options are documented
expect_run(0 ${DTA} replay --help)
expect_match("${OUT}" "--alertmanager URL" "help lists --alertmanager")
expect_match("${OUT}" "--alerts-file FILE" "help lists --alerts-file")

# --alerts-file: one JSON object per alert, sensitive values redacted, appended
expect_run(0 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alerts-file ${WORK}/alerts.jsonl)
expect_no_match("${ERR}" "alert delivery" "a file sink that worked says nothing")
file(STRINGS ${WORK}/alerts.jsonl lines)
list(LENGTH lines n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "--alerts-file: ${n} lines, wanted 2:\n${lines}")
endif()
list(GET lines 0 first)
expect_match("${first}" "^\\{\"rule\":\"big\",\"severity\":\"warning\",\"message\":\"n is 5 \\(<redacted>\\)\",\"ts\":1,\"labels\":\\{\"team\":\"db\"\\}" "first alert line")
file(READ ${WORK}/alerts.jsonl all)
expect_no_match("${all}" "hunter2" "no sensitive value in the alerts file")
expect_run(0 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alerts-file ${WORK}/alerts.jsonl --json)
file(STRINGS ${WORK}/alerts.jsonl lines)
list(LENGTH lines n)
if(NOT n EQUAL 4)
  message(FATAL_ERROR "--alerts-file appends: ${n} lines, wanted 4")
endif()

# arguments refused before anything runs
expect_run(2 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alerts-file ${WORK}/no/such/dir/a.jsonl)
expect_match("${ERR}" "--alerts-file: .*cannot open the alerts file" "an alerts file that cannot be opened")
expect_run(2 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alertmanager https://127.0.0.1:9093)
expect_match("${ERR}" "--alertmanager: alertmanager: 'https://127.0.0.1:9093': https is not supported" "https refused")
expect_run(2 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alertmanager 127.0.0.1:9093)
expect_match("${ERR}" "is not an http:// URL" "not a URL")
expect_run(2 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alertmanager http://127.0.0.1:0)
expect_match("${ERR}" "the port must be 1 to 65535" "port 0")

# nobody listening: retried, dropped, said on stderr; the exit status is the verdict's
string(TIMESTAMP t0 "%s")
expect_run(1 ${DTA} replay ${WORK}/p.dta ${WORK}/huge.jsonl --alertmanager http://127.0.0.1:1)
string(TIMESTAMP t1 "%s")
expect_match("${ERR}" "warning: alert delivery to alertmanager http://127.0.0.1:1: 0 of 1 alerts delivered, 1 dropped, 5 failed attempts; last error: connecting to 127.0.0.1:1: Connection refused" "delivery failure reported")
math(EXPR took "${t1} - ${t0}")
if(took GREATER 12)
  message(FATAL_ERROR "the replay waited ${took} s for a server that is down (at most 10 s)")
endif()
expect_run(0 ${DTA} replay ${WORK}/p.dta ${WORK}/small.jsonl --alertmanager http://127.0.0.1:1 --json)
expect_match("${OUT}" "\"verdict\": \"pass\"" "the report is unchanged")
expect_match("${ERR}" "0 of 2 alerts delivered, 2 dropped" "two alerts dropped")

# shop's flags: a refused URL or address stops it before it runs (exit 2);
# --metrics with port 0 says the port it picked.
if(SHOP)
  expect_run(2 ${SHOP} --policy ${SHOP_POLICY} --alertmanager https://127.0.0.1:9093)
  expect_match("${ERR}" "shop: --alertmanager: alertmanager: .*https is not supported" "shop: https refused")
  expect_run(2 ${SHOP} --policy ${SHOP_POLICY} --metrics 0.0.0.0:0)
  expect_match("${ERR}" "shop: --metrics: metrics: 0.0.0.0:0 is not a loopback address" "shop: non-loopback refused")
  expect_run(2 ${SHOP} --policy ${SHOP_POLICY} --metrics nonsense)
  expect_match("${ERR}" "expected HOST:PORT" "shop: bad address")
  expect_run(0 ${SHOP} --policy ${SHOP_POLICY} --seconds 0.5 --metrics 127.0.0.1:0)
  expect_match("${ERR}" "shop: metrics at http://127.0.0.1:[1-9][0-9]*/metrics" "shop prints the port it picked")
endif()
