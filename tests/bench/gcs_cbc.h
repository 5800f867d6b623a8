#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/supervision/scheduler.h"

// The GCS model as a MIP in CPLEX LP format, solved by COIN-OR CBC (Debian coinor-cbc, the
// `cbc` binary), for comparing the scheduler's objective with the optimum on small instances.
//
// What the MIP models (and how it differs from the scheduler):
//  - x[c,s,k] binary: case c takes slots [s, s + T) chaired by k, for k among c's chairs, s on
//    the start step (every `start_step` slots, 2 = on the hour and half hour), s not before
//    c's earliest, the whole [s, s + T) within one local day, and every attendee and k free
//    there. u[c]: c unplaced.  sum_{s,k} x[c,s,k] + u[c] = 1.
//  - Nobody double-booked: for each person p and slot σ, the x whose case p attends or chairs
//    and that cover σ sum to at most 1.
//  - Sessions: a session is a run of back-to-back cases of one chair on one day, at most K
//    cases. With z[k,s] = sum_c x[c,s,k]: b[k,s] >= z[k,s] - z[k,s-T] (a run starts), and any
//    K+1 back-to-back cases of k contain a start after the first:
//    sum_{j=0..K} z[k,s+jT] <= K + sum_{j=1..K} b[k,s+jT]. b in [0,1] (the windows form an
//    interval matrix, so b is integral whenever x is).
//  - Objective (lexicographic by weights): W1 * (lateness minutes + P * unplaced) + sessions,
//    with W1 = cases + 1 (more than any number of sessions) and P = one more minute than any
//    lateness possible in the horizon.
//  - Not modelled: the scheduler's third aim (even load among chairs) and its sessions per
//    practitioner (the MIP counts sessions, i.e. chair runs; attendances are compared after
//    the fact on both plans); confirmed sessions (none in the benchmark).
//  - The scheduler may start at any 15-minute slot; with start_step 2 the MIP only on the half
//    hour. The generator puts every free-time boundary on a half hour, so the scheduler's plans
//    are on the half hour too (the benchmark checks it).
namespace fs::supervision::bench {

struct MipOptions {
  int start_step = 2;  // slots between candidate start times
  int time_limit_seconds = 120;
  std::string cbc = "cbc";
  std::string work_dir;  // where model.lp, solution.txt and cbc.log go
};

struct Weights {
  int64_t lateness = 1;  // per minute (W1)
  int64_t unplaced = 1;  // per unplaced case, already multiplied by W1
  int64_t session = 1;   // per session (W2)
};

// W1 = cases + 1, P = (horizon end - earliest due) in minutes + 1.
Weights WeightsFor(const Problem& problem);

// The objective of any plan under `weights`.
int64_t Objective(const Problem& problem, const Plan& plan, const Weights& weights);

struct Mip {
  std::string lp;  // CPLEX LP text
  int variables = 0;
  int binaries = 0;
  int constraints = 0;
  // x variable i: case index, start slot, chair.
  struct X {
    int c;
    int s;
    std::string chair;
  };
  std::vector<X> xs;
  Weights weights;
};

Mip BuildMip(const Problem& problem, const MipOptions& options);

// The `cbc` binary on PATH (or options.cbc as given), if any.
std::optional<std::string> FindCbc(const std::string& name = "cbc");

struct CbcResult {
  bool ran = false;
  std::string error;
  std::string status;  // first line of the solution file, e.g. "Optimal - objective value 12"
  bool optimal = false;
  double objective = 0;
  double bound = 0;  // the lower bound CBC proved (= objective when optimal)
  double seconds = 0;
  Plan plan;  // the MIP solution as a plan (sessions: runs of back-to-back cases, cut at K)
  Mip mip;
};

CbcResult SolveWithCbc(const Problem& problem, const MipOptions& options);

}  // namespace fs::supervision::bench
