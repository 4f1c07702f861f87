# clang 14 rejects ANTLR 4.9's misc/InterpreterDataReader.h (its constructor
# default-initialises a dfa::Vocabulary, whose defaulted constructor is
# deleted); gcc accepts it. DTA never uses that header, so the fuzz build puts
# a copy of antlr4-runtime.h without it first on the include path.
find_file(DTA_ANTLR_RUNTIME_H antlr4-runtime.h PATH_SUFFIXES antlr4-runtime REQUIRED)
file(READ ${DTA_ANTLR_RUNTIME_H} _dta_antlr_h)
string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "// misc/InterpreterDataReader.h: see fuzz/clang_antlr_shim.cmake"
       _dta_antlr_h "${_dta_antlr_h}")
file(WRITE ${PROJECT_BINARY_DIR}/antlr-clang-shim/antlr4-runtime.h "${_dta_antlr_h}")
include_directories(BEFORE ${PROJECT_BINARY_DIR}/antlr-clang-shim)
