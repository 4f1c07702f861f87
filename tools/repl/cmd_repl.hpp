// `dta repl`: the command-line entry of the REPL (tools/repl/).
#pragma once

namespace dta::cli {

// `dta repl [EVENTS...] [--policy P] [--profile X] [-c CMD]... [--json]`.
int cmd_repl(int argc, char** argv);

}  // namespace dta::cli
