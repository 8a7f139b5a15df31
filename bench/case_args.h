#pragma once
// Command line of the accuracy-table programs: [--size small|default] [cases...] (default: all
// five phantom cases). Also sets quiet logging and all threads.
#include <cstring>
#include <string>
#include <vector>

#include "qsmtk/log.h"
#include "qsmtk/parallel.h"

namespace qsmtk::bench {

struct CaseArgs {
  std::string size = "default";
  std::vector<std::string> cases;
};

inline CaseArgs parse_case_args(int argc, char** argv) {
  log::set_level(log::Level::quiet);
  set_threads(0);
  CaseArgs a;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--size") && i + 1 < argc) a.size = argv[++i];
    else a.cases.push_back(argv[i]);
  }
  if (a.cases.empty()) a.cases = {"std", "oblique", "aniso", "lowsnr", "7t"};
  return a;
}

}  // namespace qsmtk::bench
