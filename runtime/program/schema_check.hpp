// The schema check: a walk of the Program's schema (schema.hpp) that checks
// every enum against its .def list and every index against the table it
// points into, naming the record and field of the first that is not.
#pragma once
#include "dta/expected.hpp"
#include "dta/program.hpp"

namespace dta {

// Success when every enum and index of `p` is in range (what the verifier
// and the engine may then index with), else the first that is not:
//   "the where of rule 'r' names chunk 99, but the program has 12"
Outcome check_schema(const Program& p);

}  // namespace dta
