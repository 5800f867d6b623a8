#include "tests/bench/gcs_cbc.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/bench/gcs_instance.h"

namespace fs::supervision::bench {
namespace {

// Appends "+ c name" terms, breaking lines so that no LP line grows long.
class Terms {
 public:
  void Add(int64_t coefficient, const std::string& name) {
    if (coefficient == 0) return;
    if (count_ > 0 && count_ % 8 == 0) text_ += "\n  ";
    absl::StrAppend(&text_, coefficient < 0 ? " - " : " + ",
                    coefficient < 0 ? -coefficient : coefficient, " ", name);
    ++count_;
  }
  bool empty() const { return count_ == 0; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  int count_ = 0;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Weights WeightsFor(const Problem& problem) {
  Weights w;
  w.session = 1;
  w.lateness = static_cast<int64_t>(problem.cases.size()) + 1;
  absl::Time end = problem.grid->TimeOf(problem.grid->size());
  int64_t worst = 0;
  for (const auto& c : problem.cases) {
    if (c.due < end) worst = std::max(worst, absl::ToInt64Minutes(end - c.due) + 1);
  }
  w.unplaced = w.lateness * (worst + 1);
  return w;
}

int64_t Objective(const Problem& problem, const Plan& plan, const Weights& weights) {
  Evaluation e = Evaluate(problem, plan);
  return weights.lateness * e.lateness_minutes + weights.unplaced * e.unplaced +
         weights.session * e.sessions;
}

Mip BuildMip(const Problem& problem, const MipOptions& options) {
  const SlotGrid& grid = *problem.grid;
  const int d = problem.case_slots;
  const int step = std::max(1, options.start_step);
  Mip mip;
  mip.weights = WeightsFor(problem);
  const Weights& w = mip.weights;

  // Candidate placements.
  for (int ci = 0; ci < static_cast<int>(problem.cases.size()); ++ci) {
    const CaseToPlace& c = problem.cases[ci];
    std::vector<const FreeTime*> attendees;
    bool missing = false;
    for (const auto& a : c.attendees) {
      auto it = problem.free.find(a);
      if (it == problem.free.end()) {
        missing = true;
      } else {
        attendees.push_back(&it->second);
      }
    }
    if (missing) continue;
    std::set<std::string> seen_chairs;
    for (const auto& k : c.chairs) {
      if (!seen_chairs.insert(k).second) continue;
      auto chair = problem.free.find(k);
      if (chair == problem.free.end()) continue;
      int from = grid.SlotAt(c.earliest);
      from = (from + step - 1) / step * step;
      for (int s = from; s + d <= grid.size(); s += step) {
        if (grid.Day(s) != grid.Day(s + d - 1)) continue;
        if (!chair->second.IsFreeRun(s, d)) continue;
        bool ok = true;
        for (const FreeTime* a : attendees) ok = ok && a->IsFreeRun(s, d);
        if (ok) mip.xs.push_back({ci, s, k});
      }
    }
  }

  Terms objective;
  std::vector<std::string> rows;
  auto x_name = [](int i) { return absl::StrCat("x", i); };
  std::vector<std::vector<int>> by_case(problem.cases.size());
  std::map<std::string, std::map<int, std::vector<int>>> cover;   // person -> slot -> x
  std::map<std::string, std::map<int, std::vector<int>>> starts;  // chair -> start -> x
  for (int i = 0; i < static_cast<int>(mip.xs.size()); ++i) {
    const auto& x = mip.xs[i];
    const CaseToPlace& c = problem.cases[x.c];
    by_case[x.c].push_back(i);
    objective.Add(w.lateness * LatenessMinutes(grid, x.s + d, c.due), x_name(i));
    std::set<std::string> people(c.attendees.begin(), c.attendees.end());
    people.insert(x.chair);
    for (const auto& p : people) {
      for (int s = x.s; s < x.s + d; ++s) cover[p][s].push_back(i);
    }
    starts[x.chair][x.s].push_back(i);
  }
  // Each case once, or unplaced.
  for (int ci = 0; ci < static_cast<int>(problem.cases.size()); ++ci) {
    Terms t;
    for (int i : by_case[ci]) t.Add(1, x_name(i));
    std::string u = absl::StrCat("u", ci);
    t.Add(1, u);
    objective.Add(w.unplaced, u);
    rows.push_back(absl::StrCat(" once", ci, ":", t.text(), " = 1"));
  }
  // Nobody double-booked.
  int conflict = 0;
  for (const auto& [person, slots] : cover) {
    for (const auto& [slot, xs] : slots) {
      if (xs.size() < 2) continue;
      Terms t;
      for (int i : xs) t.Add(1, x_name(i));
      rows.push_back(absl::StrCat(" busy", conflict++, ":", t.text(), " <= 1"));
    }
  }
  // Sessions: runs of back-to-back cases of a chair, cut every K cases.
  int b_count = 0;
  std::vector<std::string> bounds;
  for (const auto& [chair, by_start] : starts) {
    std::map<int, std::string> b_of;
    for (const auto& [s, xs] : by_start) {
      std::string b = absl::StrCat("b", b_count++);
      b_of[s] = b;
      objective.Add(w.session, b);
      bounds.push_back(absl::StrCat(" 0 <= ", b, " <= 1"));
      Terms t;
      t.Add(1, b);
      for (int i : xs) t.Add(-1, x_name(i));
      auto prev = by_start.find(s - d);
      if (prev != by_start.end() && grid.Day(s - d) == grid.Day(s)) {
        for (int i : prev->second) t.Add(1, x_name(i));
      }
      rows.push_back(absl::StrCat(" start_", b, ":", t.text(), " >= 0"));
    }
    for (const auto& [s, xs] : by_start) {
      bool window = true;
      for (int j = 1; j <= problem.max_cases && window; ++j) {
        int next = s + j * d;
        window = by_start.contains(next) && grid.Day(next) == grid.Day(s);
      }
      if (!window) continue;
      Terms t;
      for (int j = 0; j <= problem.max_cases; ++j) {
        for (int i : by_start.at(s + j * d)) t.Add(1, x_name(i));
        if (j > 0) t.Add(-1, b_of.at(s + j * d));
      }
      rows.push_back(absl::StrCat(" k_", b_of.at(s), ":", t.text(), " <= ", problem.max_cases));
    }
  }

  std::string& lp = mip.lp;
  absl::StrAppend(&lp, "\\ GCS scheduler benchmark: ", problem.cases.size(), " cases, ",
                  mip.xs.size(), " placements\nMinimize\n obj:", objective.text(),
                  "\nSubject To\n");
  for (const auto& r : rows) absl::StrAppend(&lp, r, "\n");
  lp += "Bounds\n";
  for (const auto& b : bounds) absl::StrAppend(&lp, b, "\n");
  lp += "Binaries\n";
  for (int i = 0; i < static_cast<int>(mip.xs.size()); ++i) {
    absl::StrAppend(&lp, " ", x_name(i), i % 10 == 9 ? "\n" : "");
  }
  lp += "\n";
  for (int ci = 0; ci < static_cast<int>(problem.cases.size()); ++ci) {
    absl::StrAppend(&lp, " u", ci, ci % 10 == 9 ? "\n" : "");
  }
  lp += "\nEnd\n";
  mip.binaries = static_cast<int>(mip.xs.size() + problem.cases.size());
  mip.variables = mip.binaries + b_count;
  mip.constraints = static_cast<int>(rows.size());
  return mip;
}

std::optional<std::string> FindCbc(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (std::filesystem::exists(name)) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / name;
    std::error_code ec;
    auto status = std::filesystem::status(candidate, ec);
    if (!ec && std::filesystem::is_regular_file(status) &&
        (status.permissions() & std::filesystem::perms::others_exec) !=
            std::filesystem::perms::none) {
      return candidate.string();
    }
  }
  return std::nullopt;
}

CbcResult SolveWithCbc(const Problem& problem, const MipOptions& options) {
  CbcResult result;
  std::optional<std::string> cbc = FindCbc(options.cbc);
  if (!cbc) {
    result.error = absl::StrCat("no `", options.cbc, "` binary (apt-get install coinor-cbc)");
    return result;
  }
  result.mip = BuildMip(problem, options);
  std::filesystem::path dir = options.work_dir.empty() ? std::filesystem::temp_directory_path()
                                                       : std::filesystem::path(options.work_dir);
  std::filesystem::create_directories(dir);
  std::string model = (dir / "model.lp").string();
  std::string solution = (dir / "solution.txt").string();
  std::string log = (dir / "cbc.log").string();
  std::filesystem::remove(solution);
  {
    std::ofstream out(model);
    out << result.mip.lp;
  }
  std::string command =
      absl::StrCat(Quote(*cbc), " ", Quote(model), " sec ", options.time_limit_seconds,
                   " solve solu ", Quote(solution), " > ", Quote(log), " 2>&1");
  auto start = std::chrono::steady_clock::now();
  int rc = std::system(command.c_str());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string text = ReadAll(solution);
  if (rc != 0 || text.empty()) {
    result.error = absl::StrCat("cbc failed (exit ", rc, "), see ", log);
    return result;
  }
  result.ran = true;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  result.status = lines[0];
  result.optimal = absl::StartsWith(result.status, "Optimal");
  std::string::size_type at = result.status.rfind("objective value");
  if (at != std::string::npos) {
    (void)absl::SimpleAtod(result.status.substr(at + 15), &result.objective);
  }
  result.bound = result.optimal ? result.objective : 0;
  for (absl::string_view line : absl::StrSplit(ReadAll(log), '\n')) {
    if (absl::StartsWith(line, "Lower bound:")) {
      (void)absl::SimpleAtod(line.substr(12), &result.bound);
    }
  }

  // The solution as a plan.
  const SlotGrid& grid = *problem.grid;
  const int d = problem.case_slots;
  std::vector<bool> placed(problem.cases.size(), false);
  std::map<std::string, std::vector<std::pair<int, int>>> by_chair;  // chair -> (slot, case)
  for (size_t l = 1; l < lines.size(); ++l) {
    std::vector<std::string> tokens = absl::StrSplit(lines[l], ' ', absl::SkipEmpty());
    if (!tokens.empty() && tokens[0] == "**") tokens.erase(tokens.begin());
    if (tokens.size() < 3 || tokens[1].size() < 2 || tokens[1][0] != 'x') continue;
    int index = 0;
    double value = 0;
    if (!absl::SimpleAtoi(tokens[1].substr(1), &index) || !absl::SimpleAtod(tokens[2], &value) ||
        value < 0.5 || index < 0 || index >= static_cast<int>(result.mip.xs.size())) {
      continue;
    }
    const auto& x = result.mip.xs[index];
    placed[x.c] = true;
    by_chair[x.chair].push_back({x.s, x.c});
  }
  Plan& plan = result.plan;
  for (auto& [chair, list] : by_chair) {
    std::sort(list.begin(), list.end());
    PlannedSession* open = nullptr;
    for (const auto& [s, ci] : list) {
      if (open == nullptr || open->end_slot != s || grid.Day(open->start_slot) != grid.Day(s) ||
          static_cast<int>(open->cases.size()) >= problem.max_cases) {
        plan.sessions.push_back({});
        open = &plan.sessions.back();
        open->chair = chair;
        open->start_slot = s;
      }
      open->cases.push_back({problem.cases[ci].id, s});
      open->end_slot = s + d;
      int64_t late = LatenessMinutes(grid, s + d, problem.cases[ci].due);
      plan.total_lateness_minutes += late;
      ++(late == 0 ? plan.on_time : plan.late);
    }
    open = nullptr;
  }
  std::sort(plan.sessions.begin(), plan.sessions.end(),
            [](const PlannedSession& a, const PlannedSession& b) {
              return std::tie(a.start_slot, a.chair) < std::tie(b.start_slot, b.chair);
            });
  for (size_t ci = 0; ci < problem.cases.size(); ++ci) {
    if (!placed[ci]) plan.unplaced.push_back({problem.cases[ci].id, "unplaced in the MIP"});
  }
  return result;
}

}  // namespace fs::supervision::bench
