#include "qsmtk/process.h"

#include "qsmtk/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace qsmtk {

bool program_available(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p(path);
  size_t start = 0;
  while (start <= p.size()) {
    const size_t colon = p.find(':', start);
    const std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

namespace {
// Children still running, in a table the signal handler walks without locks (0 = free slot).
constexpr int kMaxChildren = 1024;
std::atomic<pid_t> g_children[kMaxChildren];
std::atomic<int> g_signal{0};  // SIGINT/SIGTERM received, or 0
std::atomic<int> g_defer{0};   // DeferTermination guards alive

int register_child(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    pid_t expected = 0;
    if (g_children[i].compare_exchange_strong(expected, pid)) return i;
  }
  return -1;
}

void forward_to_children(int sig) {
  for (auto& c : g_children)
    if (const pid_t pid = c.load(); pid > 0) kill(pid, sig);
}

// Async-signal-safe: only unlink, sigaction, pthread_sigmask, raise and _exit.
[[noreturn]] void die_by_signal(int sig) {
  remove_pending_outputs_signal_safe();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  // Unblocked (a handler runs with it blocked), so raise() ends every thread before it returns.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);
}

extern "C" void on_termination(int sig) {
  const int earlier = g_signal.exchange(sig);
  forward_to_children(sig);
  if (g_defer.load() > 0 && earlier == 0) return;  // the supervisor waits for its children first
  die_by_signal(sig);
}

struct Child {
  pid_t pid = 0;
  int slot = -1;
};

int spawn(const std::vector<std::string>& argv, int out_fd, Child& child) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  const int rc = posix_spawnp(&child.pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return rc;
  child.slot = register_child(child.pid);
  // A signal that came before the child was in the table: pass it on now.
  if (const int sig = g_signal.load()) kill(child.pid, sig);
  return 0;
}

int wait_for(const Child& child) {
  siginfo_t info{};
  while (waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR) break;
  // Out of the table before it is reaped, so the handler never signals a reused pid.
  if (child.slot >= 0) g_children[child.slot].store(0);
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
}  // namespace

void install_termination_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_termination;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);  // one handler at a time in a thread
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

DeferTermination::DeferTermination() { ++g_defer; }
DeferTermination::~DeferTermination() { --g_defer; }

int termination_signal() { return g_signal.load(); }

void end_if_terminated() {
  if (const int sig = g_signal.load()) die_by_signal(sig);
}

int run_program(const std::vector<std::string>& argv, const std::string& log_path) {
  if (const int sig = g_signal.load())
    throw std::runtime_error("not starting " + argv[0] + ": interrupted by signal " + std::to_string(sig));
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(log_path + ": cannot write the log: " + std::strerror(errno));
  Child child;
  const int rc = spawn(argv, fd, child);
  close(fd);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  return wait_for(child);
}

std::string program_output(const std::vector<std::string>& argv, size_t max_bytes) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  Child child;
  const int rc = spawn(argv, fds[1], child);
  close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[1024];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
      if (out.size() < max_bytes) out.append(buf, size_t(n));
    wait_for(child);
  }
  close(fds[0]);
  return out;
}

std::string make_temp_dir(const std::string& parent, const std::string& prefix) {
  std::filesystem::create_directories(parent);
  std::string tmpl = (std::filesystem::path(parent) / (prefix + "XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error(parent + ": cannot create a working folder: " + std::strerror(errno));
  return buf.data();
}

}  // namespace qsmtk
