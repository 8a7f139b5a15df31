// The shared entry point: builds the command line from every Command's declaration, applies
// the common options, runs the chosen command and turns exceptions into a message and exit code.
#include <cstdio>
#include <iostream>
#include <new>

#include "command.h"
#include "help_markdown.h"
#include "qsmtk/log.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"
#include "qsmtk/process.h"
#include "qsmtk/version.h"

namespace {

struct CommonOptions {
  int threads = 0;
  double memory_limit_gib = 0;
  bool quiet = false, verbose = false;
  std::string log_file;
};

void declare_common(CLI::App& sub, CommonOptions& common) {
  sub.add_option("--threads", common.threads, "Threads for loops and FFTs (0 = all cores, or QSMTK_THREADS)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber)
      ->configurable(false)
      ->group("Common options");
  sub.add_option("--memory-limit", common.memory_limit_gib,
                 "Refuse work estimated to need more memory than this, GiB (default: the memory available at the start)")
      ->check(CLI::NonNegativeNumber)
      ->configurable(false)
      ->group("Common options");
  // Not settings of a config file (qsmtk run --config): they apply before a command starts.
  sub.add_flag("-q,--quiet", common.quiet, "Only warnings and errors")->configurable(false)->group("Common options");
  sub.add_flag("-v,--verbose", common.verbose, "More detail about each step")->configurable(false)->group("Common options");
  sub.add_option("--log", common.log_file, "Also append messages to this file")->configurable(false)->group("Common options");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qsmtk;
  keep_freed_memory_for_reuse();
  app::set_invocation(argc, argv);
  // SIGINT/SIGTERM: no partial outputs, children ended too, exit status 128 + signal.
  install_termination_handlers();

  CLI::App app{"qsmtk: quantitative susceptibility mapping and MS iron biomarkers, from multi-echo GRE to tables.",
               "qsmtk"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("qsmtk ") + version() + " (" + git_revision() + ")");
  bool markdown = false;
  app.add_flag("--help-markdown", markdown, "Print the reference of every command as Markdown")->group("");
  app.footer("Run 'qsmtk <command> --help' for a command's options. Docs: README.md, docs/commands.md.");

  CommonOptions common;
  std::vector<app::Command> commands = app::all_commands();
  std::vector<CLI::App*> subs;
  for (app::Command& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    std::string footer = c.description;
    if (!c.references.empty()) {
      footer += "\n\nReferences:";
      for (const auto& r : c.references) footer += "\n  " + r;
    }
    if (!footer.empty()) sub->footer(footer);
    c.declare(*sub);
    declare_common(*sub, common);
    subs.push_back(sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // One line: what is wrong and where to look.
    std::string where = "qsmtk";
    for (CLI::App* sub : subs)
      if (sub->parsed()) where += " " + sub->get_name();
    std::fprintf(stderr, "%s: error: %s (see '%s --help')\n", where.c_str(), e.what(), where.c_str());
    return 2;
  }
  if (markdown) {
    std::cout << app::help_markdown(app, commands);
    return 0;
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!subs[i]->parsed()) continue;
    const std::string name = commands[i].name;
    try {
      log::set_level(common.quiet ? log::Level::quiet : common.verbose ? log::Level::verbose : log::Level::normal);
      if (!common.log_file.empty()) log::set_file(common.log_file);
      set_threads(common.threads);
      set_memory_limit_bytes(static_cast<int64_t>(common.memory_limit_gib * double(int64_t(1) << 30)));
      return commands[i].run();
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "qsmtk %s: error: out of memory\n", name.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "qsmtk %s: error: %s\n", name.c_str(), e.what());
    }
    return 1;
  }
  std::cout << app.help();
  return 0;
}
