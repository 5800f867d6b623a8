// The GCS scheduler benchmark (not a test): generated instances up to 10,000 cases and 1,500
// practitioners over a month, and on small instances the scheduler's objective against the
// optimum CBC finds for the same model. Prints Markdown; scripts/bench-gcs.sh writes it to
// docs/gcs-scheduler-benchmark.md.
//
//   gcs_bench [--large] [--small] [--cbc-seconds=N] [--seeds=N] [--keep-lp=DIR]
//             [--only=CASES/PRACTITIONERS]
// With neither --large nor --small, both.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/bench/gcs_cbc.h"
#include "tests/bench/gcs_instance.h"

namespace fs::supervision::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double PeakRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// Runs `body` in a child process, so that each instance's peak RSS is its own.
void InChild(const std::function<void()>& body) {
  std::cout.flush();
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    body();
    std::cout.flush();
    std::fflush(nullptr);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cout << "| (the run failed: status " << status << ") |\n";
  }
}

void Large(const InstanceSpec& spec) {
  auto t0 = Clock::now();
  Instance instance = Generate(spec);
  auto t1 = Clock::now();
  Problem problem = MakeProblem(instance);
  auto t2 = Clock::now();
  Plan plan = Schedule(problem);
  auto t3 = Clock::now();
  Plan again = Schedule(problem);
  bool deterministic = Fingerprint(plan) == Fingerprint(again);
  Evaluation e = Evaluate(problem, plan);
  double rss = PeakRssMb();
  std::cerr << spec.name << ": schedule " << Ms(t2, t3) << " ms\n";
  std::cout << absl::StrFormat(
      "| %s | %d | %d | %d | %.0f | %.0f | %.0f | %s (%.1f%%) | %d | %d (%d) | %s | %s | %.0f | %d "
      "| "
      "%d | %.1f | %d | %.0f | %s |\n",
      Thousands(spec.cases), static_cast<int>(instance.people.size()), instance.teams,
      instance.grid->size(), Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Thousands(e.on_time),
      100.0 * e.on_time / spec.cases, e.late, e.unplaced, e.unplaced_but_free_alone,
      Thousands(e.lateness_minutes), Thousands(e.lateness_alone_minutes),
      e.late > 0 ? static_cast<double>(e.lateness_minutes) / e.late : 0, e.sessions,
      e.max_sessions_per_practitioner, e.mean_sessions_per_practitioner, e.max_chaired, rss,
      e.sound && deterministic ? "yes" : (e.sound ? "NOT DETERMINISTIC" : e.first_fault));
}

void Small(const InstanceSpec& spec, const MipOptions& base) {
  Instance instance = Generate(spec);
  Problem problem = MakeProblem(instance);
  Plan plan = Schedule(problem);
  Evaluation h = Evaluate(problem, plan);
  if (std::getenv("GCS_BENCH_VERBOSE") != nullptr) {
    for (const auto& u : plan.unplaced) {
      std::cerr << spec.name << " " << u.case_id << ": " << u.reason << "\n";
    }
  }
  bool aligned = true;
  for (const auto& s : plan.sessions) {
    for (const auto& p : s.cases) aligned = aligned && p.slot % base.start_step == 0;
  }
  MipOptions options = base;
  if (!options.work_dir.empty()) options.work_dir = absl::StrCat(options.work_dir, "/", spec.name);
  if (options.work_dir.empty()) {
    options.work_dir = (std::filesystem::temp_directory_path() /
                        absl::StrCat("gcs_bench_", getpid(), "_", spec.name))
                           .string();
  }
  CbcResult cbc = SolveWithCbc(problem, options);
  if (base.work_dir.empty()) std::filesystem::remove_all(options.work_dir);
  Weights w = WeightsFor(problem);
  int64_t heuristic = Objective(problem, plan, w);
  if (!cbc.ran) {
    std::cout << absl::StrFormat(
        "| %s | %d | - | %s | %d / - | %s / - | %d / - | %d / - | - | - |\n", spec.name,
        static_cast<int>(instance.people.size()), cbc.error, h.unplaced,
        Thousands(h.lateness_minutes), h.sessions, static_cast<int>(h.attendances));
    return;
  }
  Evaluation c = Evaluate(problem, cbc.plan);
  int64_t optimum = Objective(problem, cbc.plan, w);
  std::string status =
      absl::StrFormat("%s, %.0f s", cbc.optimal ? "optimal" : "time limit", cbc.seconds);
  if (!cbc.optimal) {
    status += absl::StrFormat(
        ", bound %s below", Thousands(optimum - static_cast<int64_t>(std::ceil(cbc.bound - 1e-6))));
  }
  if (!c.sound) status = absl::StrCat("UNSOUND: ", c.first_fault);
  if (static_cast<double>(optimum) != cbc.objective) {
    status += absl::StrFormat(" (cbc says %.0f)", cbc.objective);
  }
  // The gap on the part of the objective the scheduler can influence: the unplaced penalty
  // (cases no time fits at all) taken out when both leave the same number unplaced.
  std::string gap = "n/a";
  if (h.unplaced == c.unplaced) {
    int64_t base = w.unplaced * c.unplaced;
    gap = optimum > base ? absl::StrFormat("%.2f%%", 100.0 * (heuristic - optimum) /
                                                         static_cast<double>(optimum - base))
                         : (heuristic == optimum ? "0%" : "inf");
  }
  std::cout << absl::StrFormat(
      "| %s | %d | %s / %s | %s | %d / %d | %s / %s | %d / %d | %d / %d | %s / %s%s | %s |\n",
      spec.name, static_cast<int>(instance.people.size()), Thousands(cbc.mip.variables),
      Thousands(cbc.mip.constraints), status, h.unplaced, c.unplaced, Thousands(h.lateness_minutes),
      Thousands(c.lateness_minutes), h.sessions, c.sessions, static_cast<int>(h.attendances),
      static_cast<int>(c.attendances), Thousands(heuristic), Thousands(optimum),
      aligned ? "" : " (scheduler off the half hour)", gap);
}

}  // namespace
}  // namespace fs::supervision::bench

int main(int argc, char** argv) {
  using namespace fs::supervision::bench;
  bool large = false;
  bool small = false;
  int seeds = 3;
  std::string only;
  MipOptions mip;
  mip.time_limit_seconds = 120;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--large") {
      large = true;
    } else if (arg == "--small") {
      small = true;
    } else if (absl::StartsWith(arg, "--cbc-seconds=")) {
      (void)absl::SimpleAtoi(arg.substr(14), &mip.time_limit_seconds);
    } else if (absl::StartsWith(arg, "--seeds=")) {
      (void)absl::SimpleAtoi(arg.substr(8), &seeds);
    } else if (absl::StartsWith(arg, "--keep-lp=")) {
      mip.work_dir = arg.substr(10);
    } else if (absl::StartsWith(arg, "--only=")) {
      only = arg.substr(7);
    } else {
      std::cerr << "usage: gcs_bench [--large] [--small] [--cbc-seconds=N] [--seeds=N] "
                   "[--keep-lp=DIR] [--only=CASES/PRACTITIONERS]\n";
      return 2;
    }
  }
  if (!large && !small) large = small = true;

  if (large) {
    std::cout << "### Scale: a month (2026-11-02 to 2026-12-01, Europe/London), seed 1\n\n"
              << "| cases | people | teams | slots | generate ms | free time ms | schedule ms | "
                 "on time | late | unplaced (free alone) | lateness min | lower bound min | mean "
                 "min late | "
                 "sessions | max sessions/person | mean sessions/person | max chaired | "
                 "peak RSS MB | sound, deterministic |\n"
              << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                 "---:|---:|---|\n";
    for (auto [cases, practitioners] :
         std::vector<std::pair<int, int>>{{100, 15}, {1000, 150}, {5000, 750}, {10000, 1500}}) {
      if (!only.empty() && only != absl::StrCat(cases, "/", practitioners)) continue;
      InstanceSpec spec;
      spec.name = absl::StrCat(cases, "/", practitioners);
      spec.cases = cases;
      spec.practitioners = practitioners;
      spec.seed = 1;
      InChild([spec] { Large(spec); });
    }
    std::cout << "\n";
  }

  if (small) {
    std::cout << "### Against the CBC optimum (start times on the half hour, CBC limit "
              << mip.time_limit_seconds << " s)\n\n"
              << "Each figure: scheduler / CBC. Objective = (cases + 1) × (lateness minutes + "
                 "P × unplaced) + sessions; gap = (scheduler − CBC) / (CBC − P-part). "
                 "Attendances (sessions per practitioner, summed) are not in the MIP objective."
                 "\n\n"
              << "| instance | people | MIP variables / rows | CBC | unplaced | lateness min | "
                 "sessions | attendances | objective | gap |\n"
              << "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n";
    struct SmallSize {
      int cases;
      int practitioners;
      int days;
    };
    for (SmallSize s :
         std::vector<SmallSize>{{10, 8, 14}, {20, 12, 14}, {40, 12, 14}, {60, 24, 14}}) {
      for (int seed = 1; seed <= seeds; ++seed) {
        InstanceSpec spec;
        spec.cases = s.cases;
        spec.practitioners = s.practitioners;
        spec.first_day = absl::CivilDay(2026, 11, 2);
        spec.end_day = spec.first_day + s.days;
        spec.seed = seed;
        spec.name = absl::StrCat(s.cases, "c-", s.practitioners, "p-", s.days, "d-s", seed);
        fs::supervision::bench::Small(spec, mip);
      }
    }
    std::cout << "\n";
  }
  return 0;
}
