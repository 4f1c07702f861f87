# Flight recorders and collection end to end (spec 8, issue 11): `dta replay
# --out DIR` writes dumps and a manifest, the report and the summary list
# them, a dump replays, budgets deny, `dta check` refuses recorders over
# `recorder_memory`, the disassembly shows recorders.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

include(${CMAKE_CURRENT_LIST_DIR}/expect.cmake)

file(WRITE ${WORK}/p.dta "policy checkout
recorder main capacity 4096
event db.open (1001) { path: string, errno: int, user: string sensitive }
rule db_open_failed on db.open where errno != 0 and ends_with(path, \".db\") {
    error \"cannot open database {path} (errno {errno})\"
    collect recorder main
}
profile production {
    budget { disk: 256MB, dumps: 1 per 1h, recorder_memory: 32MB, cpu: 2% }
}
")
file(WRITE ${WORK}/e.jsonl "{\"ts\": 1764151200000000000, \"name\": \"db.open\", \"fields\": {\"path\": \"/srv/a.db\", \"errno\": 0, \"user\": \"alice-SECRET\"}}
{\"ts\": 1764151201000000000, \"name\": \"http.request\", \"fields\": {\"status\": 200}}
{\"ts\": 1764151202000000000, \"name\": \"db.open\", \"severity\": \"warning\", \"fields\": {\"path\": \"/srv/a.db\", \"errno\": 13, \"user\": \"bob-SECRET\"}}
{\"ts\": 1764151203000000000, \"name\": \"db.open\", \"severity\": \"warning\", \"fields\": {\"path\": \"/srv/b.db\", \"errno\": 13, \"user\": \"carol\"}}
")

# Default directory dta-out, relative to the working directory; JSON report.
expect_run(1 ${DTA} replay ${WORK}/p.dta ${WORK}/e.jsonl --json)
expect_match("${OUT}" "\"collections\": \\[\n +\\{\n +\"rule\": \"db_open_failed\",\n +\"what\": \"recorder main\",\n +\"status\": \"written\",\n +\"path\": \"dta-out/dumps/000001-db_open_failed-main.jsonl\",\n +\"events\": 3," "first collection in the JSON report")
expect_match("${OUT}" "\"collections_written\": 2" "two written")
if(NOT EXISTS ${WORK}/dta-out/dumps/000001-db_open_failed-main.jsonl OR NOT EXISTS ${WORK}/dta-out/manifest.jsonl)
  message(FATAL_ERROR "dta-out/dumps/000001-db_open_failed-main.jsonl and the manifest were not written")
endif()
file(READ ${WORK}/dta-out/dumps/000001-db_open_failed-main.jsonl dump)
expect_match("${dump}" "^\\{\"ts\":1764151200000000000,\"name\":\"db.open\",\"severity\":\"info\",\"id\":1001|^\\{\"ts\":1764151200000000000,\"name\":\"db.open\",\"severity\":\"info\",\"fields\"" "the dump starts with the oldest event")
expect_match("${dump}" "\"user\":\"<redacted>\"" "sensitive fields are redacted in the dump")
expect_no_match("${dump}" "SECRET" "no sensitive value in the dump")
file(READ ${WORK}/dta-out/manifest.jsonl manifest)
expect_no_match("${manifest}" "SECRET" "no sensitive value in the manifest")
expect_match("${manifest}" "\"what\":\"recorder main\",\"rule\":\"db_open_failed\",\"event\":\"db.open\",\"event_ts\":1764151202000000000" "the manifest says what and why")

# --out DIR, the summary for people, and the production budget (dumps: 1 per 1h) denying the second.
expect_run(1 ${DTA} replay ${WORK}/p.dta ${WORK}/e.jsonl --profile production --out ${WORK}/out --color never)
expect_match("${OUT}" "collections: 1 written, 1 denied\n" "summary counts")
expect_match("${OUT}" "db_open_failed recorder main on db.open: ${WORK}/out/dumps/000001-db_open_failed-main.jsonl \\(3 events, [0-9]+ bytes\\)" "summary: written")
expect_match("${OUT}" "db_open_failed recorder main on db.open: denied: dumps: 1 per 1h" "summary: denied with the budget")
expect_run(1 ${DTA} replay ${WORK}/p.dta ${WORK}/e.jsonl --profile production --out ${WORK}/out2 --json)
expect_match("${OUT}" "\"status\": \"denied\",\n +\"events\": 0,\n +\"bytes\": 0,\n +\"ts\": 1764151203000000000,\n +\"event\": \"db.open\",\n +\"reason\": \"dumps: 1 per 1h\"" "JSON: denied with its reason")
expect_match("${OUT}" "\"collections_denied\": 1" "diagnostics count the denial")

# The dump replays with dta replay as a regression fixture: the same three events.
expect_run(1 ${DTA} replay ${WORK}/p.dta ${WORK}/out/dumps/000001-db_open_failed-main.jsonl --json --out ${WORK}/again)
expect_match("${OUT}" "\"events\": 3," "the dump replays: three events")
file(READ ${WORK}/again/dumps/000001-db_open_failed-main.jsonl again)
if(NOT again STREQUAL dump)
  message(FATAL_ERROR "a replayed dump dumps differently:\n${dump}\n---\n${again}")
endif()

# `dta check` refuses recorders that cannot fit recorder_memory, naming them and the bytes.
file(WRITE ${WORK}/big.dta "recorder main capacity 1048576
rule r on x { collect recorder main }
profile production { budget { recorder_memory: 32MB } }
")
expect_run(2 ${DTA} check ${WORK}/big.dta)
expect_match("${ERR}" "big.dta:3:31: error: profile 'production' cannot load: the recorders need 536870912 bytes \\(512 MiB: 'main' 1048576 x 512 B = 512 MiB\\), over recorder_memory 33554432 bytes \\(32 MiB\\)" "recorder_memory error")

# An unknown recorder is a compile error with a caret.
file(WRITE ${WORK}/typo.dta "recorder main capacity 8
rule r on x { collect recorder mian }
")
expect_run(2 ${DTA} check ${WORK}/typo.dta)
expect_match("${ERR}" "typo.dta:2:32: error: unknown recorder 'mian' \\(did you mean 'main'\\?\\)\nrule r on x \\{ collect recorder mian \\}\n +\\^~~~" "unknown recorder with caret")

# The disassembly shows recorders and what collects them; compile writes a .dtb that replays the same.
expect_run(0 ${DTA} disasm ${WORK}/p.dta)
expect_match("${OUT}" "recorder 0 main: loc=[^ ]*p.dta:2:10 site=recorder/main shape [0-9a-f]+ capacity=4096 patterns=\\[\\*\\]" "disasm: the recorder")
expect_match("${OUT}" "kind=collect_recorder[^\n]* recorder=main" "disasm: the collect action")
expect_run(0 ${DTA} compile ${WORK}/p.dta -o ${WORK}/p.dtb)
expect_run(1 ${DTA} replay ${WORK}/p.dtb ${WORK}/e.jsonl --json --out ${WORK}/fromdtb)
expect_match("${OUT}" "\"collections_written\": 2" "a .dtb collects the same")
