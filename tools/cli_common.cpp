// Argument scanning and program loading for the CLI.
#include "cli_common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

#include "dta/compiler.hpp"
#include "help.hpp"

namespace dta::cli {

bool Args::has(const std::string& name) const {
  return std::any_of(options.begin(), options.end(), [&](const auto& o) { return o.first == name; });
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  for (const auto& o : options)
    if (o.first == name) return o.second;
  return fallback;
}

Expected<Args> parse_args(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags) {
  auto known = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  Args out;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      const size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (known(with_value, name)) {
        if (eq == std::string::npos) {
          if (i + 1 >= argc) return fail(fmt::format("option --{} needs a value", name));
          value = argv[++i];
        }
      } else if (!known(flags, name) || eq != std::string::npos) {
        return fail(fmt::format("unknown option '{}'", a));
      }
      out.options.emplace_back(name, value);
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

Expected<Args> parse_command_args(int argc, char** argv, const CommandDoc& command) {
  std::vector<std::string> with_value, flags;
  std::vector<char*> args(argv, argv + argc);
  for (const OptionDoc& o : command.options) (o.value ? with_value : flags).emplace_back(o.name + 2);
  for (char*& a : args)  // a short name is its long name's spelling
    for (const OptionDoc& o : command.options)
      if (o.short_name && std::strcmp(a, o.short_name) == 0) a = const_cast<char*>(o.name);
  return parse_args(argc, args.data(), 2, with_value, flags);
}

int usage_error(const CommandDoc& command, const std::string& what) {
  std::fprintf(stderr, "dta %s: %s\n%s('dta %s --help' for more)\n", command.name, what.c_str(),
               usage_block(command, "usage: ").c_str(), command.name);
  return kExitInvalid;
}

std::shared_ptr<const Program> load(const std::string& path, bool werror, size_t* tests) {
  CompileOptions options;
  options.werror = werror;
  options.tests = tests != nullptr;
  CompileResult r = load_program(path, options);
  if (tests) *tests = r.tests.size();
  for (const Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
  const size_t errors = r.error_count(), warnings = r.warning_count();
  if (errors > 0 || warnings > 0) {
    std::string counts;
    if (errors > 0) counts = fmt::format("{} error{}", errors, errors == 1 ? "" : "s");
    if (warnings > 0) counts += fmt::format("{}{} warning{}", counts.empty() ? "" : ", ", warnings, warnings == 1 ? "" : "s");
    std::fprintf(stderr, "%s\n", counts.c_str());
  }
  return r.program;
}

}  // namespace dta::cli
