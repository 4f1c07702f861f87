// A host's verdict for its unit tests (verdict.hpp).
#include "dta/verdict.hpp"

#include <ostream>

#include "dta/runtime.hpp"

namespace dta {

Verdict verdict(const Report& report) {
  Verdict v;
  v.kind = report.failed() ? VerdictKind::Fail : VerdictKind::Pass;
  v.errors = report.findings[static_cast<size_t>(Level::Error)];
  for (const Finding& f : report.kept_findings)
    if (f.level == Level::Error) v.findings.push_back(f);
  return v;
}

Verdict verdict(Runtime& runtime) {
  runtime.flush();
  return verdict(runtime.report());
}

std::ostream& operator<<(std::ostream& out, VerdictKind k) { return out << (k == VerdictKind::Fail ? "fail" : "pass"); }

std::ostream& operator<<(std::ostream& out, const Verdict& v) {
  out << v.kind;
  if (v.kind == VerdictKind::Pass) return out;
  out << ": " << v.errors << (v.errors == 1 ? " error" : " errors");
  for (const Finding& f : v.findings) out << "\n  error " << f.rule << ": " << f.message << " (" << f.event << ")";
  if (v.findings.size() < v.errors) out << "\n  ... " << v.errors - v.findings.size() << " more";
  return out;
}

}  // namespace dta
