# `dta test` end to end (spec 10, issue 12): passing, failing and invalid test
# files, the output lines and exit status, --junit, --json, --match, a test
# file that names its policy, coverage; and a replay's `faults` (spec 9).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

set(T ${DIR}/../policy_tests)

# every test of the spec-style policy passes
expect_run(0 ${DTA} test ${T}/db.dta)
expect_match("${OUT}" "PASS  a failed db open is an error in unit\n" "a passing test's line")
expect_match("${OUT}" "PASS  a job that never finishes is found once time moves on\n" "advance")
expect_match("${OUT}" "\n6 passed, 0 failed\n$" "the closing line")
expect_match("${OUT}" "coverage: [^\n]*db.dta: 4 of 4 rules and machines fired\n" "coverage")

# a failing test: exit 1, the expectation's expected and actual values, the findings
expect_run(1 ${DTA} test ${T}/failing.dta)
expect_match("${OUT}" "PASS  passes\n" "the passing one")
expect_match("${OUT}" "FAIL  expects two but gets one \\([^)]*failing.dta:15:6\\)\n" "the failing one, with its place")
expect_match("${OUT}" "expect db_open_failed error 2: expected 2, got 1 \\([^)]*failing.dta:18:5\\)" "expected and actual")
expect_match("${OUT}" "error db_open_failed: open /a failed: errno 2 at \\+0s \\(db.open\\)" "the findings made")
expect_match("${OUT}" "never: never\n" "the rule no test made fire")
expect_match("${OUT}" "\n1 passed, 1 failed\n$" "the closing line of a failure")

# several files, --junit, --match
expect_run(1 ${DTA} test ${T}/db.dta ${T}/failing.dta --junit ${WORK}/junit.xml)
expect_match("${OUT}" "\n7 passed, 1 failed\n$" "two files")
file(READ ${WORK}/junit.xml X)
expect_match("${X}" "<testsuites name=\"dta test\" tests=\"8\" failures=\"1\" errors=\"0\">" "junit totals")
expect_match("${X}" "<testcase name=\"expects two but gets one\"[^>]*>\n +<failure message=\"expect db_open_failed error 2: expected 2, got 1\">" "junit failure")
expect_run(0 ${DTA} test ${T}/db.dta ${T}/failing.dta --match "stress")
expect_match("${OUT}" "^PASS  under stress a failed open is a warning\n" "--match runs only matching tests")
expect_match("${OUT}" "\n1 passed, 0 failed\n$" "--match count")
expect_run(2 ${DTA} test ${T}/db.dta --match "no such test")
expect_match("${ERR}" "no test name contains 'no such test'" "--match matching nothing")

# --json
expect_run(1 ${DTA} test ${T}/failing.dta --json)
expect_match("${OUT}" "\"passed\":1,\"failed\":1" "json totals")
expect_match("${OUT}" "\"expect\":\"db_open_failed error 2\",\"line\":18,\"expected\":\"2\",\"actual\":\"1\",\"passed\":false" "json expectation")
expect_match("${OUT}" "\"never_fired\":\\[\"never\"\\]" "json coverage")

# a test file that names its policy
expect_run(0 ${DTA} test ${T}/separate.dta)
expect_match("${OUT}" "PASS  the db policy from another file\n" "policy \"path\"")

# invalid: a compile error in a test, with a caret; exit 2
file(WRITE ${WORK}/bad.dta "rule r on a { error \"x\" }\ntest \"t\" {\n  expect rr error 1\n}\n")
expect_run(2 ${DTA} test ${WORK}/bad.dta)
expect_match("${ERR}" "bad.dta:3:10: error: unknown rule or machine 'rr' \\(did you mean 'r'\\?\\)\n  expect rr error 1\n         \\^~" "caret")
# a bad fixture line is counted, as in a replay
file(WRITE ${WORK}/fix.jsonl "{\"ts\": 1, \"name\": \"a\"}\n{oops\n")
file(WRITE ${WORK}/fix.dta "rule r on a { error \"x\" }\ntest \"t\" {\n  events \"fix.jsonl\"\n  expect r error 1\n}\n")
expect_run(0 ${DTA} test ${WORK}/fix.dta)
# the shipped example's own tests
expect_run(0 ${DTA} test ${DIR}/../../examples/webservice/tests.dta)
expect_match("${OUT}" "\n10 passed, 0 failed\n$" "the example's tests")
# no tests at all
file(WRITE ${WORK}/none.dta "rule r on a { error \"x\" }\n")
expect_run(2 ${DTA} test ${WORK}/none.dta)
expect_match("${ERR}" "no test blocks in" "no tests")
expect_run(2 ${DTA} test)
# dta check checks tests too, and replay runs a policy with tests
expect_run(2 ${DTA} check ${WORK}/bad.dta)
expect_run(0 ${DTA} check ${T}/db.dta)

# spec 9: a replay reports the profile's injects and injects nothing
file(WRITE ${WORK}/chaos.dta "event db.open { errno: int }\nrule r on db.open where errno != 0 { error \"x\" }\nprofile chaos {\n  seed 42\n  inject db.open { errno: 5 } probability 10%\n  inject net.send { delay_ms: 50 } probability 1% max 100\n}\n")
file(WRITE ${WORK}/ok.jsonl "{\"ts\": 1, \"name\": \"db.open\", \"fields\": {\"errno\": 0}}\n")
expect_run(0 ${DTA} replay ${WORK}/chaos.dta ${WORK}/ok.jsonl --profile chaos --json)
expect_match("${OUT}" "\"faults\": \\[\n +\\{\n +\"point\": \"db.open\",\n +\"probability\": 0.1,\n +\"hits\": 0,\n +\"injected\": 0" "faults in the report")
expect_match("${OUT}" "\"verdict\": \"pass\"" "nothing injected")
