// The outcomes benchmark (not a test): ten years of a large council, generated deterministically
// from a seed (by default about 1,000,000 events), delivered to the real outcomes service
// in-process (fs::testing::TestServer on a throwaway PostgreSQL database, as the integration
// tests run it) through its EventSink over gRPC, with police and NHS reports through
// PartnerIntakeService on the way; then the full report (GetIndicators, CompareOutcomes,
// ExportOutcomes HTML). Checks the service's council figures against the generator's own count.
// Prints Markdown; scripts/bench-outcomes.sh writes it to docs/outcomes-benchmark.md.
//
//   FS_TEST_DB_URL=postgresql://postgres@127.0.0.1:54379/fs outcomes_bench [--events=N]
//       [--seed=N] [--months=120] [--last_month=YYYY-MM] [--teams=20] [--client_threads=2]
//       [--batch_size=200] [--repetitions=3] [--partner_reports=true] [--report_delay=true]
//       [--explain_mismatches]
//
// The same seed, --events, --months and --last_month give the same events (--last_month
// defaults to the month before the current one).

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/name_match.h"
#include "common/timestamps.h"
#include "fs/events/v1/events.grpc.pb.h"
#include "fs/outcomes/v1/outcomes.grpc.pb.h"
#include "services/outcomes/indicators.h"
#include "services/outcomes/outcomes_definition.h"
#include "tests/support/test_server.h"

ABSL_FLAG(int64_t, events, 1000000, "Events to generate and deliver (about 20 a case)");
ABSL_FLAG(uint64_t, seed, 1, "Generator seed: the same seed and months give the same events");
ABSL_FLAG(int, months, 120, "Months of history");
ABSL_FLAG(std::string, last_month, "",
          "The last month of history (YYYY-MM); default the month before the current one");
ABSL_FLAG(int, teams, 20, "Teams of the council");
ABSL_FLAG(int, client_threads, 2, "Client threads delivering events, over disjoint case sets");
ABSL_FLAG(int, batch_size, 200, "Events a Deliver call carries at most (the relay's batch)");
ABSL_FLAG(int, repetitions, 3, "Repetitions of each report request");
ABSL_FLAG(bool, partner_reports, true, "Send police and NHS reports during the replay");
ABSL_FLAG(bool, report_delay, true,
          "Partners report as they do: police the next morning (Operation Encompass), NHS 1-3 "
          "days after; false: at the moment it happened");
ABSL_FLAG(bool, explain_mismatches, false,
          "After the checks, list on stderr every partner report that the generator and the "
          "service count differently (council or the checked team), with what the service "
          "stored for it");

namespace fs::outcomes::bench {
namespace {

namespace ev = ::fs::events::v1;
namespace ov1 = ::fs::outcomes::v1;
using Clock = std::chrono::steady_clock;

constexpr char kSecret[] = "the benchmark's name match secret, 32+ bytes";
constexpr int kNoDay = std::numeric_limits<int>::min();
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
const absl::CivilDay kEpochDay(1970, 1, 1);

double Ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double PeakRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

double CurrentRssMb() {
  std::ifstream statm("/proc/self/statm");
  long long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
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

std::string Bytes(int64_t n) {
  if (n >= 1 << 30) return absl::StrFormat("%.2f GiB", static_cast<double>(n) / (1 << 30));
  if (n >= 1 << 20) return absl::StrFormat("%.1f MiB", static_cast<double>(n) / (1 << 20));
  return absl::StrFormat("%.0f KiB", static_cast<double>(n) / 1024);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return Mix(a ^ Mix(b ^ Mix(c ^ Mix(d))));
}

// A version 4 UUID made from the hash of the arguments: the same arguments, the same id.
std::string Uuid(uint64_t a, uint64_t b, uint64_t c, uint64_t d = 0) {
  uint64_t hi = Hash(a, b, c, d);
  uint64_t lo = Mix(hi ^ 0x5851f42d4c957f2dULL);
  hi = (hi & ~0xF000ULL) | 0x4000ULL;
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

// Deterministic on every platform (std:: distributions are not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix(state_++); }
  // Uniform in [lo, hi].
  int Int(int lo, int hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // An index drawn by the weights.
  int Pick(std::initializer_list<double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = Unit() * total;
    int i = 0;
    for (double w : weights) {
      if (u < w) return i;
      u -= w;
      ++i;
    }
    return i - 1;
  }

 private:
  uint64_t state_;
};

absl::CivilDay DayOf(int n) { return kEpochDay + n; }
int DayNumber(absl::CivilDay day) { return static_cast<int>(day - kEpochDay); }
std::string Iso(int n) { return FormatDate(DayOf(n)); }

int64_t At(int day, int minute_of_day) {
  absl::CivilDay d = DayOf(day);
  absl::CivilMinute m(d.year(), d.month(), d.day(), minute_of_day / 60, minute_of_day % 60);
  return absl::ToUnixMicros(absl::FromCivil(m, EnglandZone()));
}

int LondonDay(int64_t micros) {
  return DayNumber(absl::ToCivilDay(absl::FromUnixMicros(micros), EnglandZone()));
}

// Same day n months later, clamped to the month's end (as the definitions say).
int PlusMonths(int day, int n) {
  absl::CivilDay d = DayOf(day);
  absl::CivilMonth month = absl::CivilMonth(d) + n;
  absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  return DayNumber(d.day() > last.day() ? last
                                        : absl::CivilDay(month.year(), month.month(), d.day()));
}

const char* const kGiven[] = {
    "Olivia", "Amelia", "Isla",    "Ava",   "Mia",    "Ivy",     "Lily",   "Sophia", "Grace",
    "Freya",  "Poppy",  "Emily",   "Ella",  "Evie",   "Chloe",   "Ruby",   "Noah",   "Oliver",
    "George", "Leo",    "Arlo",    "Harry", "Oscar",  "Jack",    "Jacob",  "Thomas", "Charlie",
    "Finley", "Alfie",  "Freddie", "Theo",  "Henry",  "Archie",  "Joshua", "Lucas",  "Mason",
    "Zara",   "Aisha",  "Yusuf",   "Adam",  "Maryam", "Ibrahim", "Zofia",  "Jakub",  "Kacper",
    "Sean",   "Ciara",  "Niamh",   "Rhys",  "Megan",  "Dylan",   "Callum", "Kayden", "Tyler"};
const char* const kFamily[] = {
    "Smith",    "Jones",   "Taylor",    "Brown",    "Williams", "Wilson",    "Johnson",
    "Davies",   "Patel",   "Robinson",  "Wright",   "Thompson", "Evans",     "Walker",
    "White",    "Roberts", "Green",     "Hall",     "Thomas",   "Clarke",    "Jackson",
    "Wood",     "Harris",  "Edwards",   "Turner",   "Martin",   "Cooper",    "Hill",
    "Ward",     "Hughes",  "Moore",     "Clark",    "King",     "Harrison",  "Lewis",
    "Baker",    "Lee",     "Allen",     "Morris",   "Khan",     "Scott",     "Watson",
    "Davis",    "Parker",  "James",     "Bennett",  "Young",    "Phillips",  "Richardson",
    "Mitchell", "Bailey",  "Carter",    "Cook",     "Singh",    "Shaw",      "Bell",
    "Collins",  "Morgan",  "Kelly",     "Begum",    "Miller",   "Cox",       "Hussain",
    "Marshall", "Simpson", "Price",     "Anderson", "Adams",    "Wilkinson", "Ali",
    "Ahmed",    "Foster",  "Ellis",     "Murphy",   "Chapman",  "Mason",     "Gray",
    "Richards", "Webb",    "Griffiths", "Hunt",     "Palmer",   "Campbell",  "Holmes",
    "Mills",    "Rogers",  "Barnes",    "Knight",   "Matthews", "Barker",    "Powell",
    "Stevens",  "Kaur",    "Fisher",    "Butler",   "Dixon",    "Russell",   "Harvey",
    "Pearson",  "Graham",  "Nowak",     "Kowalski", "Popescu",  "Murray"};
constexpr int kGivenCount = sizeof kGiven / sizeof kGiven[0];
constexpr int kFamilyCount = sizeof kFamily / sizeof kFamily[0];

// Assessment factor bits (CIN codes).
enum Factor : uint8_t { k3A = 1, k3B = 2, k3C = 4, k1B = 8, k2B = 16, k4B = 32 };
const std::pair<Factor, const char*> kFactorCodes[] = {{k3A, "3A"}, {k3B, "3B"}, {k3C, "3C"},
                                                       {k1B, "1B"}, {k2B, "2B"}, {k4B, "4B"}};

enum Producer : uint8_t { kCaseRecords, kWorkbook, kSupervision, kPartner };
const char* const kProducerNames[] = {"case_records", "workbook", "supervision", "partner"};

enum Kind : uint8_t {
  kCaseOpened,
  kPersonAdded,
  kPersonUpdated,
  kAllocationStarted,
  kAllocationEnded,
  kCaseTeamChanged,
  kPlanStarted,
  kPlanEnded,
  kEpisodeStarted,
  kEpisodeEnded,
  kCaseClosed,
  kCaseReopened,
  kGcsHeld,
  kModuleSession,
  kEntryFinalised,
  kPoliceReport,
  kNhsReport,
  kKinds
};
const char* const kKindNames[] = {"CaseOpened",
                                  "PersonAdded",
                                  "PersonUpdated",
                                  "AllocationStarted",
                                  "AllocationEnded",
                                  "CaseTeamChanged",
                                  "ChildProtectionPlanStarted",
                                  "ChildProtectionPlanEnded",
                                  "LookedAfterEpisodeStarted",
                                  "LookedAfterEpisodeEnded",
                                  "CaseClosed",
                                  "CaseReopened",
                                  "GcsHeld",
                                  "ModuleSessionRecorded",
                                  "EntryFinalised",
                                  "police incident report",
                                  "NHS admission report"};

Producer ProducerOf(uint8_t kind) {
  switch (kind) {
    case kGcsHeld:
      return kSupervision;
    case kModuleSession:
    case kEntryFinalised:
      return kWorkbook;
    case kPoliceReport:
    case kNhsReport:
      return kPartner;
    default:
      return kCaseRecords;
  }
}

// One event (or partner report) of the replay, compact: the envelope is built when sent.
struct Ev {
  int64_t micros = 0;  // occurred_time (reports: the incident or admission time)
  uint32_t case_index = 0;
  uint32_t sequence = 0;  // per producer per case; 0 for reports
  uint32_t previous = 0;
  int32_t day1 = kNoDay;  // the event's first date (referral, start, closure, occur day)
  int32_t day2 = kNoDay;  // its second (end date; occur minute of a module session)
  uint16_t item = 0;      // plan, episode, allocation, entry, GCS or report number in the case
  uint8_t kind = 0;
  uint8_t person = 0;  // index in the case's people
  uint8_t flag = 0;    // role, on time, module, re-referral count, ghost report, team...
  uint8_t extra = 0;   // revision, previous plans, team, reason...
};

struct Person {
  uint64_t nhs = 0;           // the real NHS number (10 digits)
  bool nhs_recorded = false;  // case_records has it
  bool child = false;
  int birth = kNoDay;            // as known at the end of history (kNoDay: not born by then)
  int expected_birth = kNoDay;   // for a child unborn when added
  int64_t added = kNever;        // PersonAdded's time
  int64_t birth_known = kNever;  // when the birth date reached outcomes (PersonAdded/Updated)
  uint8_t given = 0, family = 0;
  uint8_t factors = 0;
  uint8_t plans = 0;
};

struct Case {
  uint8_t team = 0;
  std::vector<Person> people;
};

// What the generator knows the service should count (council figures).
struct Truth {
  struct Period {
    int start;
    int end;  // kNoDay while open
  };
  struct Spell {
    uint32_t case_index;
    uint32_t person;  // case-local person index (unique with case_index)
    int start;
    int end;  // kNoDay while running
  };
  std::vector<std::vector<Period>> periods;  // per case
  // Per case: when each period's CaseOpened / CaseReopened reached outcomes (its referral date
  // is up to 2 days earlier), and its CaseClosed (kNever while open).
  std::vector<std::vector<int64_t>> recorded, closed;
  // Per case: the team from each day on (London dates of CaseOpened and CaseTeamChanged).
  std::vector<std::vector<std::pair<int, int>>> teams;
  std::vector<Spell> plans, episodes;
  struct Held {
    uint32_t case_index;
    int day;
    bool on_time;
  };
  std::vector<Held> gcs;
  std::map<std::pair<uint32_t, int>, std::vector<int>> module_days;  // (case, module) -> days
  // A report matched to a case: the case, the day it happened, the report (index in `reports`).
  // A police report may match several cases (a namesake of another case named without an NHS
  // number); an incident counts once however many cases it names.
  struct Matched {
    uint32_t case_index;
    int day;
    uint32_t report;
  };
  std::vector<Matched> incidents;                       // matched police reports
  std::vector<std::pair<uint32_t, int>> all_incidents;  // matched or not, of known families
  std::vector<Matched> admissions;                      // matched adults
  int64_t police = 0, police_matched = 0, ghosts = 0, nhs = 0, nhs_matched = 0;
  // Police reports matched to a namesake of another case (incidents of known families), and of
  // those, the ones only the namesake matched.
  int64_t police_namesakes = 0, police_namesake_only = 0;
  // Reports about a day of a period whose CaseOpened / CaseReopened (recorded up to 2 days after
  // the referral date) had not reached outcomes when the report did: not matched, not counted.
  int64_t police_unrecorded = 0, nhs_unrecorded = 0;
  // Happened on a day the case was open (its closure day included), reported after it closed.
  // Reported once the case had closed, about a day it was open: counted, and the incidents go
  // to the front door too (no lead to alert).
  int64_t police_late = 0, nhs_late = 0;
  int64_t police_front_door = 0;
  // Every partner report sent, and whether the generator counts it as matched (for
  // --explain_mismatches).
  std::vector<Ev> reports;
  std::vector<bool> report_matched;
};

// Open on `day` by the dates, the closure day included (as the definitions count police
// incidents and admissions).
bool OpenIncluding(const std::vector<Truth::Period>& periods, int day) {
  for (const auto& p : periods) {
    if (p.start <= day && (p.end == kNoDay || day <= p.end)) return true;
  }
  return false;
}

class Generator {
 public:
  Generator(uint64_t seed, int first_day, int last_day, int teams, int threads, bool reports,
            bool delay)
      : seed_(seed),
        random_(Hash(seed, 0x6f7574636f6d6573ULL)),
        first_day_(first_day),
        last_day_(last_day),
        teams_(teams),
        reports_(reports),
        delay_(delay),
        streams_(static_cast<size_t>(threads)) {
    for (int t = 0; t < teams; ++t) team_weights_.push_back(0.5 + random_.Unit());
  }

  void Run(int64_t target) {
    while (events_ < target) GenerateCase(static_cast<uint32_t>(cases_.size()));
    ModelNamesakes();
    for (auto& stream : streams_) {
      std::sort(stream.begin(), stream.end(), [](const Ev& a, const Ev& b) {
        if (a.micros != b.micros) return a.micros < b.micros;
        if (a.case_index != b.case_index) return a.case_index < b.case_index;
        if (ProducerOf(a.kind) != ProducerOf(b.kind))
          return ProducerOf(a.kind) < ProducerOf(b.kind);
        return a.sequence < b.sequence;
      });
    }
  }

  std::vector<std::vector<Ev>>& streams() { return streams_; }
  const Truth& truth() const { return truth_; }
  int64_t events() const { return events_; }
  size_t cases() const { return cases_.size(); }
  int64_t people() const { return people_; }
  int64_t hidden_sequences() const { return hidden_; }
  const std::array<int64_t, kKinds>& by_kind() const { return by_kind_; }
  const std::vector<Case>& case_data() const { return cases_; }
  int teams() const { return teams_; }

  static std::string TeamName(int team) { return absl::StrFormat("team-%02d", team + 1); }
  std::string CaseId(uint32_t c) const { return Uuid(seed_, 1, c); }
  std::string PersonName(uint32_t c, int p) const {
    return absl::StrCat("cases/", CaseId(c), "/people/", Uuid(seed_, 2, c, p));
  }

  ev::EventEnvelope Envelope(const Ev& e) const {
    const Case& c = cases_[e.case_index];
    std::string case_name = absl::StrCat("cases/", CaseId(e.case_index));
    Producer producer = ProducerOf(e.kind);
    ev::EventEnvelope env;
    env.set_event_id(Uuid(seed_, 3, e.case_index, (uint64_t{producer} << 32) | e.sequence));
    env.set_case_(case_name);
    env.set_sequence(e.sequence);
    env.set_previous_sequence(e.previous);
    *env.mutable_occurred_time() = ToTimestamp(absl::FromUnixMicros(e.micros));
    env.set_producer(kProducerNames[producer]);
    auto practitioner = [&](int n) {
      return absl::StrFormat("practitioner-%02d-%02d", c.team + 1, n % 12 + 1);
    };
    const char* const kRoles[] = {"LEAD_SOCIAL_WORKER", "DOMESTIC_ABUSE_WORKER", "RECOVERY_WORKER",
                                  "MENTAL_HEALTH_PRACTITIONER"};
    switch (e.kind) {
      case kCaseOpened: {
        auto* o = env.mutable_case_opened();
        o->set_team(TeamName(c.team));
        o->set_referral_date(Iso(e.day1));
        o->set_referral_source(e.item % 3 == 0 ? "POLICE" : e.item % 3 == 1 ? "SCHOOLS" : "HEALTH");
        o->set_primary_need_code("N1");
        o->set_lead_social_worker(practitioner(e.case_index));
        break;
      }
      case kPersonAdded:
      case kPersonUpdated: {
        ev::PersonFacts* f = e.kind == kPersonAdded
                                 ? env.mutable_person_added()->mutable_person()
                                 : env.mutable_person_updated()->mutable_person();
        const Person& p = c.people[e.person];
        f->set_person(PersonName(e.case_index, e.person));
        f->set_kind(p.child ? "CHILD" : "ADULT");
        if (p.nhs_recorded) f->set_nhs_number(absl::StrFormat("%010d", p.nhs));
        bool born = e.kind == kPersonUpdated || p.expected_birth == kNoDay;
        if (born) {
          f->set_birth_date(Iso(p.birth));
          f->set_name_match_key(
              NameMatchKey(kSecret, kGiven[p.given], kFamily[p.family], DayOf(p.birth)));
        } else {
          f->set_expected_birth_date(Iso(p.expected_birth));
        }
        for (const auto& [bit, code] : kFactorCodes) {
          if (p.factors & bit) f->add_assessment_factors(code);
        }
        break;
      }
      case kAllocationStarted:
      case kAllocationEnded: {
        std::string allocation =
            absl::StrCat(case_name, "/allocations/", Uuid(seed_, 4, e.case_index, e.item));
        if (e.kind == kAllocationStarted) {
          auto* a = env.mutable_allocation_started();
          a->set_allocation(allocation);
          a->set_practitioner(practitioner(e.case_index + e.item));
          a->set_role(kRoles[e.flag]);
          a->set_team(TeamName(e.extra));
        } else {
          auto* a = env.mutable_allocation_ended();
          a->set_allocation(allocation);
          a->set_practitioner(practitioner(e.case_index + e.item));
          a->set_role(kRoles[e.flag]);
          a->set_team(TeamName(e.extra));
          a->set_reason("CASE_CLOSED");
        }
        break;
      }
      case kCaseTeamChanged:
        env.mutable_case_team_changed()->set_from_team(TeamName(e.flag));
        env.mutable_case_team_changed()->set_to_team(TeamName(e.extra));
        break;
      case kPlanStarted:
      case kPlanEnded: {
        std::string person = PersonName(e.case_index, e.person);
        std::string plan =
            absl::StrCat(person, "/childProtectionPlans/", Uuid(seed_, 5, e.case_index, e.item));
        const char* const kCategories[] = {"NEGLECT", "EMOTIONAL_ABUSE", "PHYSICAL_ABUSE",
                                           "SEXUAL_ABUSE"};
        if (e.kind == kPlanStarted) {
          auto* p = env.mutable_child_protection_plan_started();
          p->set_plan(plan);
          p->set_person(person);
          p->set_start_date(Iso(e.day1));
          p->set_initial_category_of_abuse(kCategories[e.item % 4]);
          p->set_number_of_previous_plans(e.extra);
        } else {
          auto* p = env.mutable_child_protection_plan_ended();
          p->set_plan(plan);
          p->set_person(person);
          p->set_start_date(Iso(e.day1));
          p->set_end_date(Iso(e.day2));
          p->set_latest_category_of_abuse(kCategories[e.item % 4]);
        }
        break;
      }
      case kEpisodeStarted:
      case kEpisodeEnded: {
        std::string person = PersonName(e.case_index, e.person);
        std::string episode =
            absl::StrCat(person, "/lookedAfterEpisodes/", Uuid(seed_, 6, e.case_index, e.item));
        if (e.kind == kEpisodeStarted) {
          auto* s = env.mutable_looked_after_episode_started();
          s->set_episode(episode);
          s->set_person(person);
          s->set_start_date(Iso(e.day1));
          s->set_legal_status(e.flag ? "C2" : "V2");
        } else {
          auto* s = env.mutable_looked_after_episode_ended();
          s->set_episode(episode);
          s->set_person(person);
          s->set_start_date(Iso(e.day1));
          s->set_end_date(Iso(e.day2));
          s->set_reason_ended(e.flag ? "X1" : "E4A");
        }
        break;
      }
      case kCaseClosed:
        env.mutable_case_closed()->set_closure_date(Iso(e.day1));
        env.mutable_case_closed()->set_reason_for_closure("RC8");
        break;
      case kCaseReopened:
        env.mutable_case_reopened()->set_referral_date(Iso(e.day1));
        env.mutable_case_reopened()->set_referral_source("POLICE");
        env.mutable_case_reopened()->set_re_referral_count(e.flag);
        break;
      case kGcsHeld: {
        auto* g = env.mutable_gcs_held();
        g->set_session(absl::StrCat("sessions/", Uuid(seed_, 7, e.extra, LondonDay(e.micros))));
        *g->mutable_held_time() = ToTimestamp(absl::FromUnixMicros(e.micros));
        g->set_chair(absl::StrFormat("manager-%02d", e.extra + 1));
        g->set_risk_rating(e.item % 3 == 0 ? "RED" : e.item % 3 == 1 ? "AMBER" : "GREEN");
        g->set_next_due_date(Iso(e.day2));
        g->set_on_time(e.flag != 0);
        g->add_attended(practitioner(e.case_index));
        g->add_attended(practitioner(e.case_index + 5));
        g->set_actions(1 + e.item % 5);
        break;
      }
      case kModuleSession: {
        auto* m = env.mutable_module_session_recorded();
        m->set_entry(absl::StrCat(case_name, "/entries/", Uuid(seed_, 8, e.case_index, e.item)));
        m->set_module(e.flag);
        *m->mutable_occur_time() = ToTimestamp(absl::FromUnixMicros(At(e.day1, e.day2)));
        for (size_t p = 0; p < c.people.size(); ++p) {
          if (!c.people[p].child && c.people[p].added <= e.micros) {
            m->add_people(PersonName(e.case_index, static_cast<int>(p)));
          }
        }
        m->set_revision(e.extra);
        break;
      }
      case kEntryFinalised: {
        auto* f = env.mutable_entry_finalised();
        f->set_entry(absl::StrCat(case_name, "/entries/", Uuid(seed_, 8, e.case_index, e.item)));
        f->set_revision(e.extra);
        f->set_kind("CASE_NOTE");
        f->set_visibility("CASE");
        f->set_author(practitioner(e.case_index));
        *f->mutable_occur_time() = ToTimestamp(absl::FromUnixMicros(At(e.day1, e.day2)));
        break;
      }
      default:
        break;
    }
    env.set_type(EventType(env));
    return env;
  }

  // The children a police report names: born by the incident, with the birth date known to
  // outcomes when the report is sent. (Reports: micros is when sent, day1 and day2 the day and
  // minute it happened.)
  std::vector<int> NamedChildren(const Ev& e) const {
    std::vector<int> named;
    const Case& c = cases_[e.case_index];
    for (size_t p = 0; p < c.people.size(); ++p) {
      const Person& person = c.people[p];
      if (person.child && person.birth_known <= e.micros && person.birth <= e.day1) {
        named.push_back(static_cast<int>(p));
      }
    }
    return named;
  }

  std::string Force(const Ev& e) const {
    return e.case_index % 3 == 0 ? "partner/police/BEDS" : "partner/police/HERTS";
  }
  std::string NhsOrganisation(const Ev& e) const {
    return e.person % 2 == 0 ? "partner/nhs/RWH" : "partner/nhs/RXH";
  }

  ov1::ReportDomesticAbuseIncidentRequest Police(const Ev& e) const {
    ov1::ReportDomesticAbuseIncidentRequest r;
    uint64_t h = Hash(seed_, 9, e.case_index, e.item);
    r.set_police_reference(absl::StrCat(e.flag ? "G" : "DA", "/", e.case_index, "/", e.item));
    *r.mutable_incident_time() = ToTimestamp(absl::FromUnixMicros(At(e.day1, e.day2)));
    r.set_place(absl::StrCat(1 + h % 200, " Example Road, Hertford"));
    r.set_circumstances("Neighbours called 999 about shouting; officers attended.");
    r.set_officer(absl::StrCat("PC ", 1000 + h % 9000));
    int day = e.day1;
    if (e.flag) {  // names nobody the council knows: the front door's
      Random random(h);
      int children = random.Int(1, 2);
      for (int i = 0; i < children; ++i) {
        auto* child = r.add_children();
        child->set_given_name(kGiven[random.Int(0, kGivenCount - 1)]);
        child->set_family_name(kFamily[random.Int(0, kFamilyCount - 1)]);
        child->set_birth_date(Iso(day - random.Int(200, 6000)));
        child->set_nhs_number(absl::StrFormat("%010d", GhostNhs(h + static_cast<uint64_t>(i))));
        child->set_present(random.Chance(0.5));
      }
      auto* adult = r.add_adults();
      adult->set_family_name(kFamily[random.Int(0, kFamilyCount - 1)]);
      adult->set_role(ov1::ADULT_ROLE_PERPETRATOR);
      return r;
    }
    const Case& c = cases_[e.case_index];
    for (int p : NamedChildren(e)) {
      const Person& person = c.people[static_cast<size_t>(p)];
      auto* child = r.add_children();
      child->set_given_name(kGiven[person.given]);
      child->set_family_name(kFamily[person.family]);
      child->set_birth_date(Iso(person.birth));
      if (Hash(h, static_cast<uint64_t>(p)) % 100 < 85) {
        child->set_nhs_number(absl::StrFormat("%010d", person.nhs));
      }
      child->set_present(Hash(h, static_cast<uint64_t>(p), 1) % 2 == 0);
      child->set_child_said("");
    }
    int adults = 0;
    for (size_t p = 0; p < c.people.size() && adults < 2; ++p) {
      const Person& person = c.people[p];
      if (person.child || person.added > e.micros) continue;
      auto* adult = r.add_adults();
      adult->set_given_name(kGiven[person.given]);
      adult->set_family_name(kFamily[person.family]);
      if (Hash(h, p, 2) % 100 < 70) adult->set_birth_date(Iso(person.birth));
      if (Hash(h, p, 3) % 100 < 60) adult->set_nhs_number(absl::StrFormat("%010d", person.nhs));
      adult->set_role(adults++ == 0 ? ov1::ADULT_ROLE_VICTIM : ov1::ADULT_ROLE_PERPETRATOR);
    }
    return r;
  }

  ov1::ReportEmergencyAdmissionRequest Nhs(const Ev& e) const {
    const Person& person = cases_[e.case_index].people[e.person];
    ov1::ReportEmergencyAdmissionRequest r;
    r.set_episode_reference(absl::StrCat("EP", e.case_index, "-", e.item));
    std::string digits = absl::StrFormat("%010d", person.nhs);
    // Some trusts send the number spaced as printed: "943 476 5919".
    r.set_nhs_number(e.item % 3 == 0 ? absl::StrCat(digits.substr(0, 3), " ", digits.substr(3, 3),
                                                    " ", digits.substr(6))
                                     : digits);
    r.set_date(Iso(e.day1));
    r.set_kind(e.flag ? ov1::ADMISSION_KIND_EMERGENCY_ADMISSION
                      : ov1::ADMISSION_KIND_AE_ATTENDANCE);
    r.set_reason(static_cast<ov1::ReasonCategory>(e.extra));
    return r;
  }

 private:
  // NHS numbers: 10 digits passing the modulus 11 check, from a counter (no two people share
  // one); the front door's unknown children from another range.
  static uint64_t WithCheckDigit(uint64_t nine) {
    int sum = 0;
    uint64_t rest = nine;
    for (int i = 8; i >= 0; --i) {
      sum += (10 - i) * static_cast<int>(rest % 10);
      rest /= 10;
    }
    int check = 11 - sum % 11;
    if (check == 11) check = 0;
    if (check == 10) return 0;
    return nine * 10 + static_cast<uint64_t>(check);
  }
  uint64_t NextNhs() {
    for (;;) {
      uint64_t n = WithCheckDigit(400000000ULL + nhs_counter_++);
      if (n != 0) return n;
    }
  }
  static uint64_t GhostNhs(uint64_t h) {
    for (uint64_t i = 0;; ++i) {
      uint64_t n = WithCheckDigit(700000000ULL + (h + i) % 99999999ULL);
      if (n != 0) return n;
    }
  }

  int PickTeam() {
    double total = 0;
    for (double w : team_weights_) total += w;
    double u = random_.Unit() * total;
    for (int t = 0; t < teams_; ++t) {
      if (u < team_weights_[static_cast<size_t>(t)]) return t;
      u -= team_weights_[static_cast<size_t>(t)];
    }
    return teams_ - 1;
  }

  // A police incident in the evening of `day`, reported the next morning before school (or at
  // once without --report_delay).
  Ev Police(uint32_t c, int day) {
    int minute = random_.Int(20 * 60, 23 * 60 + 59);
    Ev e = Make(kPoliceReport, c,
                delay_ ? At(day + 1, random_.Int(7 * 60, 8 * 60 + 59)) : At(day, minute));
    e.day1 = day;
    e.day2 = minute;
    return e;
  }

  Ev Make(uint8_t kind, uint32_t c, int64_t micros) {
    Ev e;
    e.kind = kind;
    e.case_index = c;
    e.micros = micros;
    return e;
  }

  void GenerateCase(uint32_t index) {
    Random& r = random_;
    Case c;
    c.team = static_cast<uint8_t>(PickTeam());
    uint8_t team = c.team;
    std::vector<Ev> evs;
    auto emit = [&](const Ev& e) { evs.push_back(e); };
    int start = first_day_ + r.Int(0, last_day_ - first_day_ - 3);
    bool da = r.Chance(0.40), substance = r.Chance(0.25), mh = r.Chance(0.30);
    uint8_t family = static_cast<uint8_t>(r.Int(0, kFamilyCount - 1));

    // People, added when the case is opened.
    int open_day = std::min(start + r.Int(0, 2), last_day_);
    int64_t opened = At(open_day, r.Int(8 * 60, 16 * 60 + 30));
    {
      Ev e = Make(kCaseOpened, index, opened);
      e.day1 = start;
      e.item = static_cast<uint16_t>(r.Int(0, 2));
      emit(e);
    }
    int adults = r.Chance(0.65) ? 2 : 1;
    int children = 1 + r.Pick({40, 30, 20, 10});
    bool unborn = r.Chance(0.05);
    auto add_person = [&](Person p, int64_t when) {
      p.nhs = NextNhs();
      p.added = when;
      if (p.expected_birth == kNoDay) p.birth_known = when;
      c.people.push_back(p);
      Ev e = Make(kPersonAdded, index, when);
      e.person = static_cast<uint8_t>(c.people.size() - 1);
      emit(e);
      ++people_;
    };
    for (int a = 0; a < adults; ++a) {
      Person p;
      p.birth = start - r.Int(18 * 365, 55 * 365);
      p.nhs_recorded = r.Chance(0.85);
      p.given = static_cast<uint8_t>(r.Int(0, kGivenCount - 1));
      p.family =
          a == 1 && r.Chance(0.5) ? static_cast<uint8_t>(r.Int(0, kFamilyCount - 1)) : family;
      if (a == 0 && da) p.factors |= k3B;
      if (a == 1 && da) p.factors |= k3C;
      if (substance && (a == 0 || r.Chance(0.5))) p.factors |= r.Chance(0.5) ? k1B : k2B;
      if (a == 0 && mh) p.factors |= k4B;
      add_person(p, opened + (1 + a) * 60'000'000LL);
    }
    for (int k = 0; k < children + (unborn ? 1 : 0); ++k) {
      Person p;
      p.child = true;
      p.nhs_recorded = r.Chance(0.95);
      p.given = static_cast<uint8_t>(r.Int(0, kGivenCount - 1));
      p.family = family;
      if (da) p.factors |= k3A;
      if (k < children) {
        p.birth = start - r.Int(30, 17 * 365);
      } else {
        int born = start + r.Int(14, 180);
        p.expected_birth = born + r.Int(-7, 7);
        p.birth = born <= last_day_ ? born : kNoDay;
      }
      add_person(p, opened + (3 + k) * 60'000'000LL);
      Person& added = c.people.back();
      if (added.expected_birth != kNoDay && added.birth != kNoDay) {
        int told = added.birth + r.Int(2, 10);
        if (told <= last_day_) {
          added.birth_known = At(told, r.Int(9 * 60, 16 * 60));
          Ev e = Make(kPersonUpdated, index, added.birth_known);
          e.person = static_cast<uint8_t>(c.people.size() - 1);
          emit(e);
        } else {
          added.birth = kNoDay;  // not told by the end of history
        }
      }
    }

    std::vector<std::pair<int, int>> team_history{{open_day, c.team}};
    uint16_t allocations = 0, plans = 0, episodes = 0, gcs = 0, entries = 0, reports = 0;
    std::vector<std::pair<uint16_t, uint8_t>> active;  // allocation, role
    auto allocate = [&](uint8_t role, int64_t when) {
      Ev e = Make(kAllocationStarted, index, when);
      e.item = allocations++;
      e.flag = role;
      e.extra = team;
      emit(e);
      active.emplace_back(e.item, role);
    };
    auto release = [&](size_t i, int64_t when) {
      Ev e = Make(kAllocationEnded, index, when);
      e.item = active[i].first;
      e.flag = active[i].second;
      e.extra = team;
      emit(e);
      active.erase(active.begin() + static_cast<long>(i));
    };
    allocate(0, opened + 30 * 60'000'000LL);

    std::vector<Truth::Period> periods;
    int s = start;
    int64_t period_opened = opened;
    int re_referrals = 0;
    for (;;) {
      int duration;
      switch (r.Pick({50, 38, 12})) {
        case 0:
          duration = r.Int(21, 70);
          break;
        case 1:
          duration = r.Int(71, 270);
          break;
        default:
          duration = r.Int(271, 730);
      }
      int e_day = s + duration;
      int open_from = LondonDay(period_opened);
      auto born_children = [&](int day) {
        std::vector<int> out;
        for (size_t p = 0; p < c.people.size(); ++p) {
          const Person& person = c.people[p];
          if (person.child && person.birth != kNoDay && person.birth <= day &&
              person.added <= At(day, 0)) {
            out.push_back(static_cast<int>(p));
          }
        }
        return out;
      };

      // Looked after: the case stays open until the care ends.
      bool cp = r.Chance(da || substance ? 0.30 : 0.14);
      bool lac = r.Chance(cp ? 0.15 : 0.04);
      struct Episode {
        int person, start, end;
      };
      std::vector<Episode> care;
      int team_change_day = kNoDay;
      if (lac) {
        int ls = std::max(open_from + 1, s + r.Int(20, std::max(21, std::min(300, duration - 1))));
        auto candidates = born_children(ls);
        if (!candidates.empty()) {
          int child =
              candidates[static_cast<size_t>(r.Int(0, static_cast<int>(candidates.size()) - 1))];
          int le = ls + r.Int(30, 900);
          if (r.Chance(0.25) && le - ls > 40) {
            int split = r.Int(ls + 14, le - 14);  // a change of legal status: the same care
            care.push_back({child, ls, split});
            care.push_back({child, split, le});
          } else {
            care.push_back({child, ls, le});
          }
          // Mostly the case stays open until the care ends; some close with the child still in
          // care (a long-term placement, another service).
          e_day = r.Chance(0.7) ? std::max(e_day, le + r.Int(7, 60))
                                : std::max(e_day, std::min(le - 1, ls + r.Int(30, 200)));
          if (r.Chance(0.5)) team_change_day = ls + r.Int(0, 30);
        }
      }
      if (team_change_day == kNoDay && r.Chance(0.04) && duration > 14) {
        team_change_day = s + r.Int(7, duration - 1);
      }
      bool closed = e_day <= last_day_;
      int until = closed ? e_day : last_day_ + 1;  // events happen before `until`

      for (const Episode& ep : care) {
        if (ep.start > last_day_) break;
        uint16_t number = episodes++;
        Ev started = Make(kEpisodeStarted, index, At(ep.start, r.Int(11 * 60, 11 * 60 + 59)));
        started.item = number;
        started.person = static_cast<uint8_t>(ep.person);
        started.day1 = ep.start;
        started.flag = static_cast<uint8_t>(r.Int(0, 1));
        emit(started);
        bool ended = ep.end <= last_day_;
        if (ended) {
          Ev e = Make(kEpisodeEnded, index, At(ep.end, r.Int(10 * 60, 10 * 60 + 59)));
          e.item = number;
          e.person = started.person;
          e.day1 = ep.start;
          e.day2 = ep.end;
          e.flag = started.flag;
          emit(e);
        }
        truth_.episodes.push_back(
            {index, static_cast<uint32_t>(ep.person), ep.start, ended ? ep.end : kNoDay});
      }
      if (team_change_day != kNoDay && team_change_day < until && team_change_day <= last_day_) {
        Ev e = Make(kCaseTeamChanged, index, At(team_change_day, r.Int(9 * 60, 16 * 60)));
        e.flag = team;
        uint8_t to = static_cast<uint8_t>((team + r.Int(1, teams_ - 1)) % teams_);
        e.extra = to;
        if (teams_ > 1) {
          emit(e);
          team = to;
          team_history.emplace_back(team_change_day, to);
        }
      }

      // Child protection plans: the children of the family, ending by the closure.
      if (cp) {
        int ps = std::max(open_from + 1, s + r.Int(14, 90));
        for (int round = 0; round < 2 && ps < until && ps <= last_day_; ++round) {
          int pe = std::min(ps + r.Int(90, 540), closed ? e_day : std::numeric_limits<int>::max());
          for (int child : born_children(ps)) {
            Person& person = c.people[static_cast<size_t>(child)];
            uint16_t number = plans++;
            Ev started = Make(kPlanStarted, index, At(ps, r.Int(12 * 60, 13 * 60)));
            started.item = number;
            started.person = static_cast<uint8_t>(child);
            started.day1 = ps;
            started.extra = person.plans++;
            emit(started);
            bool ended = pe <= last_day_;
            if (ended) {
              Ev e = Make(kPlanEnded, index, At(pe, r.Int(13 * 60 + 1, 14 * 60)));
              e.item = number;
              e.person = started.person;
              e.day1 = ps;
              e.day2 = pe;
              emit(e);
            }
            truth_.plans.push_back({index, static_cast<uint32_t>(child), ps, ended ? pe : kNoDay});
          }
          if (!r.Chance(0.12)) break;  // a repeat plan in the same period
          ps = pe + r.Int(30, 400);
        }
      }

      // Specialist workers; a change of lead social worker.
      if (da) {
        int d = s + r.Int(7, 21);
        if (d < until && d <= last_day_ && d > open_from)
          allocate(1, At(d, r.Int(9 * 60, 16 * 60)));
      }
      if ((substance || mh) && r.Chance(0.5)) {
        int d = s + r.Int(7, 28);
        if (d < until && d <= last_day_ && d > open_from) {
          allocate(substance ? 2 : 3, At(d, r.Int(9 * 60, 16 * 60)));
        }
      }
      if (r.Chance(0.2) && duration > 60) {
        int d = s + r.Int(30, duration - 1);
        if (d < until && d <= last_day_) {
          int64_t when = At(d, r.Int(9 * 60, 15 * 60));
          for (size_t i = 0; i < active.size(); ++i) {
            if (active[i].second == 0) {
              release(i, when);
              break;
            }
          }
          allocate(0, when + 60'000'000LL);
        }
      }

      // Group Case Supervision about monthly, and the workbook's module sessions.
      for (int due = s + 28;;) {
        int held = r.Chance(0.85) ? due - r.Int(0, 6) : due + r.Int(1, 10);
        if (held >= until || held > last_day_) break;
        if (held > open_from) {
          Ev e = Make(kGcsHeld, index, At(held, r.Int(9 * 60, 16 * 60)));
          e.item = gcs++;
          e.flag = held <= due ? 1 : 0;
          e.extra = team;
          e.day2 = held + 28;
          emit(e);
          truth_.gcs.push_back({index, held, held <= due});
        }
        due = held + 28;
      }
      {
        double months_open = (std::min(until, last_day_ + 1) - s) / 30.44;
        int sessions = static_cast<int>(0.5 * months_open + r.Unit());
        int module = da ? 3 : substance ? 5 : mh ? 6 : r.Int(1, 8);
        int left_in_module = r.Int(2, 4);
        int d = s + r.Int(10, 30);
        for (int i = 0; i < sessions; ++i, d += r.Int(10, 20)) {
          if (d >= until || d > last_day_) break;
          if (d <= open_from) continue;
          if (left_in_module-- == 0) {
            module = module % 8 + 1;
            left_in_module = r.Int(2, 4) - 1;
          }
          int recorded = std::min(last_day_, d + r.Int(0, 2));
          Ev e = Make(kModuleSession, index, At(recorded, r.Int(12 * 60, 17 * 60)));
          e.item = entries++;
          e.flag = static_cast<uint8_t>(module);
          e.extra = 1;
          e.day1 = d;
          e.day2 = r.Int(9 * 60, 11 * 60);
          emit(e);
          int final_day = d;
          int later = recorded + r.Int(1, 10);
          double u = r.Unit();
          if (u < 0.03 && later <= last_day_ && d - 2 > open_from) {
            Ev fix = e;  // a corrected date
            fix.micros = At(later, r.Int(9 * 60, 16 * 60));
            fix.extra = 2;
            fix.day1 = d - r.Int(1, 2);
            emit(fix);
            final_day = fix.day1;
          } else if (u < 0.04 && later <= last_day_) {
            Ev fix = e;  // turned into a case note: no longer a module session
            fix.kind = kEntryFinalised;
            fix.micros = At(later, r.Int(9 * 60, 16 * 60));
            fix.extra = 2;
            emit(fix);
            final_day = kNoDay;
          }
          if (final_day != kNoDay) truth_.module_days[{index, module}].push_back(final_day);
        }
      }

      // Partners' reports: police DA incidents (some after the case closed: the front door's),
      // NHS admissions of adults.
      if (reports_) {
        int incidents = da ? r.Pick({45, 30, 15, 7, 3}) : (r.Chance(0.05) ? 1 : 0);
        for (int i = 0; i < incidents; ++i) {
          // Mostly while the case is open; some in the year after, when it may have closed.
          int day = r.Chance(0.7) ? s + r.Int(1, std::max(1, until - s - 1)) : s + r.Int(1, 425);
          if (day > last_day_) continue;
          Ev e = Police(index, day);
          e.item = reports++;
          emit(e);
          if (r.Chance(0.10)) {
            Ev g = Police(index, r.Int(s, last_day_));
            g.item = reports++;
            g.flag = 1;
            emit(g);
          }
        }
        for (size_t p = 0; p < c.people.size(); ++p) {
          const Person& person = c.people[p];
          if (person.child) continue;
          bool risky = person.factors & (k1B | k2B | k4B);
          int admissions = risky ? r.Pick({55, 30, 10, 5}) : (r.Chance(0.03) ? 1 : 0);
          for (int i = 0; i < admissions; ++i) {
            int day = s + r.Int(0, std::min(until, last_day_ + 1) - s + 60);
            if (day > last_day_) continue;
            // Sent by the trust's daily feed at 06:00-07:00, 1-3 days later.
            Ev e = Make(kNhsReport, index,
                        delay_ ? At(day + r.Int(1, 3), r.Int(6 * 60, 6 * 60 + 59))
                               : At(day, r.Int(18 * 60, 19 * 60 + 59)));
            e.day1 = day;
            e.item = reports++;
            e.person = static_cast<uint8_t>(p);
            e.flag = static_cast<uint8_t>(r.Chance(0.4) ? 1 : 0);
            e.extra = static_cast<uint8_t>(person.factors & k4B
                                               ? ov1::REASON_CATEGORY_MENTAL_HEALTH_CRISIS
                                           : person.factors & k1B ? ov1::REASON_CATEGORY_ALCOHOL
                                           : person.factors & k2B ? ov1::REASON_CATEGORY_DRUGS
                                                                  : ov1::REASON_CATEGORY_INJURY);
            emit(e);
          }
        }
      }

      // Closure, and perhaps a re-referral.
      if (!closed) {
        periods.push_back({s, kNoDay});
        break;
      }
      periods.push_back({s, e_day});
      int64_t closing = At(e_day, r.Int(15 * 60, 15 * 60 + 50));
      while (!active.empty()) release(0, closing);
      {
        Ev e = Make(kCaseClosed, index, At(e_day, r.Int(16 * 60, 16 * 60 + 59)));
        e.day1 = e_day;
        emit(e);
      }
      if (re_referrals == 2 || !r.Chance(0.15)) break;
      int next = e_day + (r.Chance(0.6) ? r.Int(30, 364) : r.Int(365, 900));
      if (next > last_day_ - 3) break;
      int reopen_day = std::min(next + r.Int(0, 2), last_day_);
      period_opened = At(reopen_day, r.Int(8 * 60, 16 * 60));
      Ev e = Make(kCaseReopened, index, period_opened);
      e.day1 = next;
      e.flag = static_cast<uint8_t>(++re_referrals);
      emit(e);
      if (r.Chance(0.15)) {  // a baby born since
        Person baby;
        baby.child = true;
        baby.nhs_recorded = true;
        baby.given = static_cast<uint8_t>(r.Int(0, kGivenCount - 1));
        baby.family = family;
        baby.birth = std::max(e_day + 1, next - r.Int(1, 60));
        add_person(baby, period_opened + 5 * 60'000'000LL);
      }
      allocate(0, period_opened + 30 * 60'000'000LL);
      s = next;
    }
    truth_.periods.push_back(periods);
    truth_.teams.push_back(std::move(team_history));
    cases_.push_back(std::move(c));
    const Case& stored = cases_.back();

    // In time order (a report after the events of its moment), then the sequences: per
    // producer per case from 1; case_records' state changes, which outcomes does not
    // subscribe to, leave gaps the previous_sequence vouches for.
    std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
      if (a.micros != b.micros) return a.micros < b.micros;
      return ProducerOf(a.kind) < ProducerOf(b.kind);
    });
    std::array<uint32_t, 3> next{1, 1, 1}, previous{0, 0, 0};
    bool open = false;
    // The periods outcomes has been told of so far: a report is matched by what outcomes knows
    // when it arrives. A period's referral date is up to 2 days before its CaseOpened or
    // CaseReopened is recorded, so a report about those days that arrives in between finds the
    // case closed (or unknown) and goes to the front door, unmatched, although the period's dates
    // later say the case was open that day. Matching never looks back when a case reopens: the
    // front door links such a report (not modelled here).
    std::vector<Truth::Period> known;
    std::vector<int64_t>& recorded = truth_.recorded.emplace_back();
    std::vector<int64_t>& closed_at = truth_.closed.emplace_back();
    std::vector<Ev> kept;
    kept.reserve(evs.size());
    for (Ev& e : evs) {
      Producer p = ProducerOf(e.kind);
      if (p == kPartner) {
        int day = e.day1;
        bool open_that_day = OpenIncluding(known, day);
        if (e.kind == kPoliceReport) {
          if (e.flag) {
            ++truth_.ghosts;
          } else {
            if (NamedChildren(e).empty()) continue;  // police reports name a child
            truth_.all_incidents.emplace_back(index, day);
            // Matched when the case is open on receipt or was open on the day it happened (by
            // the periods outcomes knew of on receipt).
            if (open || open_that_day) {
              ++truth_.police_matched;
              truth_.incidents.push_back(
                  {index, day, static_cast<uint32_t>(truth_.reports.size())});
            }
            if (!open) {
              ++truth_.police_front_door;
              if (open_that_day) ++truth_.police_late;
              if (!open_that_day && OpenIncluding(periods, day)) ++truth_.police_unrecorded;
            }
          }
          ++truth_.police;
        } else {
          const Person& person = stored.people[e.person];
          ++truth_.nhs;
          if (person.nhs_recorded && person.added <= e.micros) {
            if (open || open_that_day) {
              ++truth_.nhs_matched;
              truth_.admissions.push_back(
                  {index, day, static_cast<uint32_t>(truth_.reports.size())});
              if (!open) ++truth_.nhs_late;
            } else if (OpenIncluding(periods, day)) {
              ++truth_.nhs_unrecorded;
            }
          }
        }
        ++by_kind_[e.kind];
        kept.push_back(e);
        truth_.reports.push_back(e);
        bool identifiable = e.kind == kPoliceReport ? e.flag == 0
                                                    : stored.people[e.person].nhs_recorded &&
                                                          stored.people[e.person].added <= e.micros;
        truth_.report_matched.push_back(identifiable && (open || open_that_day));
        continue;
      }
      if (e.kind == kCaseOpened || e.kind == kCaseReopened) {
        open = true;
        known.push_back({e.day1, kNoDay});
        recorded.push_back(e.micros);
        closed_at.push_back(kNever);
      }
      if (e.kind == kCaseClosed) {
        open = false;
        known.back().end = e.day1;
        closed_at.back() = e.micros;
      }
      if (p == kCaseRecords && (e.kind == kCaseClosed || e.kind == kPlanStarted)) {
        ++next[p];
        ++hidden_;
      }
      e.sequence = next[p]++;
      e.previous = previous[p];
      previous[p] = e.sequence;
      if (p == kCaseRecords && e.kind == kCaseOpened) {
        ++next[p];  // ASSESSMENT
        ++hidden_;
      }
      ++by_kind_[e.kind];
      ++events_;
      kept.push_back(e);
    }
    case_events_.push_back(std::move(kept));
  }

  // Police reports that may name a person of another case: a child or adult named without an NHS
  // number the service can go by, whose name and birth date (either way round, day and month
  // swapped) are those of someone of another case, recorded without an NHS number or with the
  // one the report gives. The service matches them too ("never a namesake recorded with another
  // NHS number", docs/outcomes-decisions.md) when that case is open when the report arrives, or
  // was open on the day by the periods it knows: the incident counts for that case as well
  // (its repeat DA, its team's incidents). To make what the service knows then deterministic,
  // such families are delivered by the same client thread, and the report is sent only once
  // every earlier event of that thread is delivered (Ev::extra = 1 on the report).
  void ModelNamesakes() {
    std::unordered_map<std::string, std::vector<std::pair<uint32_t, int>>> by_key;
    for (uint32_t c = 0; c < cases_.size(); ++c) {
      for (size_t p = 0; p < cases_[c].people.size(); ++p) {
        const Person& person = cases_[c].people[p];
        if (person.birth == kNoDay) continue;  // no key published
        by_key[NameMatchKey(kSecret, kGiven[person.given], kFamily[person.family],
                            DayOf(person.birth))]
            .emplace_back(c, static_cast<int>(p));
      }
    }
    // Families delivered together: a union-find over cases.
    group_.resize(cases_.size());
    for (uint32_t c = 0; c < cases_.size(); ++c) group_[c] = c;
    auto root = [&](uint32_t c) {
      while (group_[c] != c) c = group_[c] = group_[group_[c]];
      return c;
    };
    // Whether an event of case `c` at `micros` is delivered before report `r` (stream order:
    // time, then case).
    auto before = [](int64_t micros, uint32_t c, const Ev& r) {
      return micros < r.micros || (micros == r.micros && c < r.case_index);
    };
    std::map<std::pair<uint32_t, uint16_t>, uint32_t> report_of;  // (case, item) -> report
    for (uint32_t i = 0; i < truth_.reports.size(); ++i) {
      report_of[{truth_.reports[i].case_index, truth_.reports[i].item}] = i;
    }
    for (uint32_t c = 0; c < cases_.size(); ++c) {
      for (Ev& e : case_events_[c]) {
        if (e.kind != kPoliceReport || e.flag) continue;
        uint32_t i = report_of.at({c, e.item});
        const Ev& r = truth_.reports[i];
        auto request = Police(r);
        std::set<uint32_t> matched;  // other cases the service matches
        bool candidates = false;
        auto look = [&](const std::string& nhs, const std::string& given, const std::string& family,
                        const std::string& born) {
          // By NHS number the service finds the person themself (no two people share one),
          // when their case can be matched; then it does not look by name.
          if (!nhs.empty() && truth_.report_matched[i]) {
            for (const Person& own : cases_[c].people) {
              if (own.nhs_recorded && absl::StrFormat("%010d", own.nhs) == nhs) return;
            }
          }
          if (born.empty()) return;
          auto day = ParseDate(born, "birth_date");
          if (!day.ok()) return;
          for (const auto& key : NameMatchCandidates(kSecret, given, family, *day)) {
            auto it = by_key.find(key);
            if (it == by_key.end()) continue;
            for (auto [other, p] : it->second) {
              if (other == c) continue;
              const Person& q = cases_[other].people[static_cast<size_t>(p)];
              if (!nhs.empty() && q.nhs_recorded && absl::StrFormat("%010d", q.nhs) != nhs) {
                continue;  // recorded with another NHS number: someone else
              }
              candidates = true;
              group_[root(other)] = root(c);
              if (!before(q.added, other, r) || !before(q.birth_known, other, r)) continue;
              // Open when the report arrives, or open on the day by a period known then.
              const auto& periods = truth_.periods[other];
              for (size_t k = 0; k < periods.size(); ++k) {
                if (!before(truth_.recorded[other][k], other, r)) break;
                bool closed =
                    truth_.closed[other][k] != kNever && before(truth_.closed[other][k], other, r);
                bool covers = periods[k].start <= r.day1 &&
                              (periods[k].end == kNoDay || r.day1 <= periods[k].end);
                if (!closed || covers) matched.insert(other);
              }
            }
          }
        };
        for (const auto& child : request.children()) {
          look(child.nhs_number(), child.given_name(), child.family_name(), child.birth_date());
        }
        for (const auto& adult : request.adults()) {
          look(adult.nhs_number(), adult.given_name(), adult.family_name(), adult.birth_date());
        }
        if (candidates) e.extra = 1;
        if (matched.empty()) continue;
        ++truth_.police_namesakes;
        if (!truth_.report_matched[i]) {
          ++truth_.police_namesake_only;
          ++truth_.police_matched;
        }
        for (uint32_t other : matched) truth_.incidents.push_back({other, r.day1, i});
      }
    }
    for (uint32_t c = 0; c < cases_.size(); ++c) {
      auto& stream = streams_[root(c) % streams_.size()];
      stream.insert(stream.end(), case_events_[c].begin(), case_events_[c].end());
      std::vector<Ev>().swap(case_events_[c]);
    }
  }

  uint64_t seed_;
  Random random_;
  int first_day_, last_day_, teams_;
  bool reports_, delay_;
  std::vector<double> team_weights_;
  std::vector<Case> cases_;
  std::vector<std::vector<Ev>> streams_;
  std::vector<std::vector<Ev>> case_events_;  // per case, until ModelNamesakes deals them out
  std::vector<uint32_t> group_;               // union-find of namesake families
  Truth truth_;
  int64_t events_ = 0, people_ = 0, hidden_ = 0;
  uint64_t nhs_counter_ = 0;
  std::array<int64_t, kKinds> by_kind_{};
};

// ---- Replay ----

struct BatchSample {
  double ms;
  int size;
  double end_s;  // since the replay started
};

struct ThreadResult {
  std::vector<BatchSample> batches;
  std::vector<double> police_ms, nhs_ms;
  int64_t applied = 0, duplicate = 0, out_of_order = 0, rejected = 0, unanswered = 0;
  int64_t rpc_failures = 0, report_errors = 0, early_flushes = 0;
  std::vector<std::string> problems;
};

class Replayer {
 public:
  Replayer(const Generator& generator, std::shared_ptr<grpc::Channel> channel, int batch_size,
           Clock::time_point start, std::atomic<int64_t>* delivered, int64_t total)
      : generator_(generator),
        sink_(ev::EventSink::NewStub(channel)),
        intake_(ov1::PartnerIntakeService::NewStub(channel)),
        batch_size_(batch_size),
        start_(start),
        delivered_(delivered),
        total_(total) {}

  ThreadResult Run(const std::vector<Ev>& stream, bool report_progress) {
    std::array<std::vector<const Ev*>, 3> pending;
    std::unordered_map<uint32_t, int> pending_cases;  // case_records' batch, by case
    int64_t next_progress = total_ / 20;
    for (const Ev& e : stream) {
      Producer p = ProducerOf(e.kind);
      if (p == kPartner) {
        // The report must meet the case as it is at that moment: its earlier case_records events
        // delivered (a relay a few seconds behind would have).
        // A report that may name someone of another case (a namesake, same thread) meets that
        // case as it is at that moment too.
        if (pending_cases.count(e.case_index) > 0 ||
            (e.kind == kPoliceReport && e.extra == 1 && !pending_cases.empty())) {
          ++result_.early_flushes;
          Send(kCaseRecords, pending[kCaseRecords]);
          pending_cases.clear();
        }
        Report(e);
        continue;
      }
      pending[p].push_back(&e);
      if (p == kCaseRecords) ++pending_cases[e.case_index];
      if (static_cast<int>(pending[p].size()) == batch_size_) {
        Send(p, pending[p]);
        if (p == kCaseRecords) pending_cases.clear();
      }
      if (report_progress && delivered_->load() >= next_progress) {
        double s = std::chrono::duration<double>(Clock::now() - start_).count();
        int64_t done = delivered_->load();
        std::cerr << absl::StrFormat("outcomes_bench: %s of %s events, %.0f s, %.0f events/s\n",
                                     Thousands(done), Thousands(total_), s,
                                     static_cast<double>(done) / s);
        next_progress = done + total_ / 20;
      }
    }
    for (int p = 0; p < 3; ++p) Send(static_cast<Producer>(p), pending[static_cast<size_t>(p)]);
    return std::move(result_);
  }

 private:
  void Problem(std::string text) {
    if (result_.problems.size() < 10) result_.problems.push_back(std::move(text));
  }

  void Send(Producer producer, std::vector<const Ev*>& batch) {
    if (batch.empty()) return;
    ev::DeliverRequest request;
    for (const Ev* e : batch) *request.add_events() = generator_.Envelope(*e);
    ev::DeliverResponse response;
    for (int attempt = 1;; ++attempt) {
      auto context =
          fs::testing::ContextForPrincipal(absl::StrCat("service/", kProducerNames[producer]));
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
      response.Clear();
      auto t0 = Clock::now();
      grpc::Status status = sink_->Deliver(context.get(), request, &response);
      auto t1 = Clock::now();
      if (status.ok()) {
        result_.batches.push_back({Ms(t0, t1), static_cast<int>(batch.size()),
                                   std::chrono::duration<double>(t1 - start_).count()});
        break;
      }
      ++result_.rpc_failures;
      if (attempt == 3) {
        Problem(absl::StrCat("Deliver failed 3 times: ", status.error_message()));
        break;
      }
    }
    for (const auto& r : response.results()) {
      switch (r.outcome()) {
        case ev::DELIVERY_OUTCOME_APPLIED:
          ++result_.applied;
          break;
        case ev::DELIVERY_OUTCOME_DUPLICATE:
          ++result_.duplicate;
          break;
        case ev::DELIVERY_OUTCOME_OUT_OF_ORDER:
          ++result_.out_of_order;
          Problem(absl::StrCat("OUT_OF_ORDER ", r.event_id(), ": ", r.detail()));
          break;
        default:
          ++result_.rejected;
          Problem(absl::StrCat("REJECTED ", r.event_id(), ": ", r.detail()));
      }
    }
    result_.unanswered += static_cast<int64_t>(batch.size()) - response.results_size();
    delivered_->fetch_add(static_cast<int64_t>(batch.size()));
    batch.clear();
  }

  void Report(const Ev& e) {
    ov1::IntakeAcknowledgement ack;
    grpc::Status status;
    double ms = 0;
    if (e.kind == kPoliceReport) {
      auto request = generator_.Police(e);
      auto context = fs::testing::ContextForPrincipal(generator_.Force(e));
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      auto t0 = Clock::now();
      status = intake_->ReportDomesticAbuseIncident(context.get(), request, &ack);
      ms = Ms(t0, Clock::now());
      if (status.ok()) result_.police_ms.push_back(ms);
    } else {
      auto request = generator_.Nhs(e);
      auto context = fs::testing::ContextForPrincipal(generator_.NhsOrganisation(e));
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      auto t0 = Clock::now();
      status = intake_->ReportEmergencyAdmission(context.get(), request, &ack);
      ms = Ms(t0, Clock::now());
      if (status.ok()) result_.nhs_ms.push_back(ms);
    }
    if (!status.ok()) {
      ++result_.report_errors;
      Problem(absl::StrCat(kKindNames[e.kind], " of case ", e.case_index, ": ", status.error_code(),
                           " ", status.error_message()));
    }
  }

  const Generator& generator_;
  std::unique_ptr<ev::EventSink::Stub> sink_;
  std::unique_ptr<ov1::PartnerIntakeService::Stub> intake_;
  int batch_size_;
  Clock::time_point start_;
  std::atomic<int64_t>* delivered_;
  int64_t total_;
  ThreadResult result_;
};

// ---- The generator's count of the council's figures ----

struct Cell {
  double value = 0;
  int64_t denominator = 0;
};
using Expected = std::map<ov1::Indicator, std::vector<Cell>>;

// The figures of `team` (-1: the council) as the definitions in docs/outcomes-decisions.md say,
// counted from what the generator sent.
Expected ExpectedFigures(const Truth& t, const std::vector<Case>& cases, int team,
                         absl::CivilMonth from, int months, int today) {
  Expected out;
  for (int i = ov1::Indicator_MIN + 1; i <= ov1::Indicator_MAX; ++i) {
    out[static_cast<ov1::Indicator>(i)] = std::vector<Cell>(static_cast<size_t>(months));
  }
  auto slot = [&](int day) -> int {
    long long s = absl::CivilMonth(DayOf(day)) - from;
    return s >= 0 && s < months ? static_cast<int>(s) : -1;
  };
  auto add = [&](ov1::Indicator i, int day, double value, int64_t denominator = 0) {
    if (int s = slot(day); s >= 0) {
      out[i][static_cast<size_t>(s)].value += value;
      out[i][static_cast<size_t>(s)].denominator += denominator;
    }
  };
  // The case's team on `day`: the opening team before the first change.
  auto counted = [&](uint32_t c, int day) {
    if (team < 0) return true;
    const auto& history = t.teams[c];
    int on = history.front().second;
    for (const auto& [since, which] : history) {
      if (since <= day) on = which;
    }
    return on == team;
  };
  auto last_day = [&](int s) { return DayNumber(absl::CivilDay(from + s + 1) - 1); };
  auto covers = [](int start, int end, int day) {
    return start <= day && (end == kNoDay || day < end);
  };
  auto person_key = [](uint32_t c, uint32_t p) { return (uint64_t{c} << 8) | p; };
  std::unordered_map<uint64_t, std::vector<const Truth::Spell*>> plans_of, care_of;
  for (const auto& s : t.plans) plans_of[person_key(s.case_index, s.person)].push_back(&s);
  for (const auto& s : t.episodes) care_of[person_key(s.case_index, s.person)].push_back(&s);

  for (int s = 0; s < months; ++s) {
    int last = last_day(s);
    int open = 0;
    for (uint32_t c = 0; c < t.periods.size(); ++c) {
      for (const auto& p : t.periods[c]) {
        if (covers(p.start, p.end, last)) {
          open += counted(c, last) ? 1 : 0;
          break;
        }
      }
    }
    add(ov1::INDICATOR_OPEN_CASES, last, open);
    std::set<uint64_t> on_plan;
    for (const auto& p : t.plans) {
      if (covers(p.start, p.end, last) && counted(p.case_index, last)) {
        on_plan.insert(person_key(p.case_index, p.person));
      }
    }
    add(ov1::INDICATOR_CHILDREN_ON_CP_PLANS, last, static_cast<double>(on_plan.size()));
  }
  for (const auto& p : t.plans) {
    if (!counted(p.case_index, p.start)) continue;
    add(ov1::INDICATOR_CP_PLAN_STARTS, p.start, 1);
    bool repeat = false;
    for (const auto* q : plans_of[person_key(p.case_index, p.person)]) {
      if (q != &p && q->end != kNoDay && q->end <= p.start && p.start - q->end <= 730) {
        repeat = true;
      }
    }
    add(ov1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS, p.start, repeat ? 1 : 0, 1);
  }
  std::set<std::pair<int, uint64_t>> became;
  for (const auto& e : t.episodes) {
    if (!counted(e.case_index, e.start)) continue;
    uint64_t key = person_key(e.case_index, e.person);
    bool continuing = false;
    for (const auto* o : care_of[key]) {
      if (o != &e && covers(o->start, o->end, e.start - 1)) continuing = true;
    }
    if (!continuing && slot(e.start) >= 0 && became.insert({slot(e.start), key}).second) {
      add(ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER, e.start, 1);
    }
  }
  // Looked-after days: each child-day once, up to yesterday, for the case's team that day.
  int first = DayNumber(absl::CivilDay(from));
  int end = std::min(last_day(months - 1), today - 1);
  for (const auto& [key, spells] : care_of) {
    std::set<int> days;
    for (const auto* e : spells) {
      int until = e->end == kNoDay ? end : std::min(end, e->end - 1);
      for (int d = std::max(first, e->start); d <= until; ++d) days.insert(d);
    }
    uint32_t c = spells.front()->case_index;
    for (int d : days) {
      if (counted(c, d)) add(ov1::INDICATOR_LOOKED_AFTER_WEEKS, d, 1.0 / 7.0);
    }
  }
  std::unordered_map<uint32_t, std::vector<int>> incidents_of;
  std::set<uint32_t> counted_reports;  // an incident once however many cases it names
  for (const auto& [c, day, report] : t.incidents) {
    incidents_of[c].push_back(day);
    if (OpenIncluding(t.periods[c], day) && counted(c, day) &&
        counted_reports.insert(report).second) {
      add(ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES, day, 1);
    }
  }
  for (const auto& [c, day, report] : t.admissions) {
    if (OpenIncluding(t.periods[c], day) && counted(c, day)) {
      add(ov1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS, day, 1);
    }
  }
  for (uint32_t c = 0; c < t.periods.size(); ++c) {
    const auto& periods = t.periods[c];
    for (size_t i = 0; i < periods.size(); ++i) {
      const auto& p = periods[i];
      if (!counted(c, p.start)) continue;
      bool within =
          i > 0 && periods[i - 1].end != kNoDay && p.start <= PlusMonths(periods[i - 1].end, 12);
      add(ov1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS, p.start, within ? 1 : 0, 1);
      for (auto [indicator, n] : {std::pair{ov1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS, 6},
                                  std::pair{ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS, 12}}) {
        bool repeat = false;
        for (int day : incidents_of[c]) {
          if (day > p.start && day <= PlusMonths(p.start, n)) repeat = true;
        }
        add(indicator, p.start, repeat ? 1 : 0, 1);
      }
    }
  }
  for (const auto& g : t.gcs) {
    if (counted(g.case_index, g.day)) add(ov1::INDICATOR_GCS_HELD_ON_TIME, g.day, g.on_time, 1);
  }
  for (auto [key, days] : t.module_days) {
    if (days.size() < 3) continue;
    std::sort(days.begin(), days.end());
    if (counted(key.first, days[2])) add(ov1::INDICATOR_MODULES_COMPLETED, days[2], 1);
  }
  // Children (born by then) of cases closed in the month not looked after on the closure day.
  auto& kept = out[ov1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE];
  for (uint32_t c = 0; c < t.periods.size(); ++c) {
    for (const auto& p : t.periods[c]) {
      if (p.end == kNoDay || slot(p.end) < 0 || !counted(c, p.end)) continue;
      const auto& people = cases[c].people;
      for (uint32_t k = 0; k < people.size(); ++k) {
        const Person& child = people[k];
        if (!child.child || child.birth == kNoDay || child.birth > p.end) continue;
        bool in_care = false;
        for (const auto* e : care_of[person_key(c, k)]) {
          if (e->start <= p.end && (e->end == kNoDay || e->end > p.end)) in_care = true;
        }
        kept[static_cast<size_t>(slot(p.end))].value += in_care ? 0 : 1;
        kept[static_cast<size_t>(slot(p.end))].denominator += 1;
      }
    }
  }
  return out;
}

// How a series compares with the generator's count: months equal, totals, the first difference.
struct Agreement {
  int equal = 0;
  std::string service, expected, first_difference;
};

Agreement Compare(const ov1::Series& series, const std::vector<Cell>& cells, int months) {
  Agreement a;
  double service_total = 0, expected_total = 0;
  int64_t service_den = 0, expected_den = 0;
  for (int m = 0; m < series.months_size() && m < months; ++m) {
    const auto& value = series.months(m);
    const Cell& cell = cells[static_cast<size_t>(m)];
    service_total += value.value();
    expected_total += cell.value;
    service_den += value.denominator();
    expected_den += cell.denominator;
    if (std::abs(value.value() - cell.value) < 1e-6 && value.denominator() == cell.denominator) {
      ++a.equal;
    } else if (a.first_difference.empty()) {
      a.first_difference =
          absl::StrFormat(" (first: %s, %g/%d against %g/%d)", value.month(), value.value(),
                          value.denominator(), cell.value, cell.denominator);
    }
  }
  auto total = [](double v, int64_t d) {
    std::string text = std::abs(v - std::round(v)) < 1e-6
                           ? Thousands(static_cast<int64_t>(std::llround(v)))
                           : absl::StrFormat("%.1f", v);
    return d > 0 ? absl::StrCat(text, " / ", Thousands(d)) : text;
  };
  a.service = total(service_total, service_den);
  a.expected = total(expected_total, expected_den);
  return a;
}

// ---- --explain_mismatches: partner reports counted differently, one by one ----

// For DA_INCIDENTS_ON_OPEN_CASES and ADULT_EMERGENCY_ADMISSIONS (the council's and `team`'s):
// every report the generator counts and the service does not, or the other way round, with the
// generator's view of the case and what the service stored for the report (its matches, each
// matched case's periods and team). Written to `err`; nothing here changes the figures.
void ExplainPartnerMismatches(const Generator& generator, const Truth& truth,
                              const std::string& admin_url, int team, std::ostream& err) {
  std::unordered_map<std::string, std::pair<uint32_t, int>> person_of;
  auto last_segment = [](const std::string& name) { return name.substr(name.rfind('/') + 1); };
  for (uint32_t c = 0; c < generator.case_data().size(); ++c) {
    for (size_t p = 0; p < generator.case_data()[c].people.size(); ++p) {
      person_of[last_segment(generator.PersonName(c, static_cast<int>(p)))] = {c,
                                                                               static_cast<int>(p)};
    }
  }
  auto team_on = [&](uint32_t c, int day) {
    const auto& history = truth.teams[c];
    int on = history.front().second;
    for (const auto& [since, which] : history) {
      if (since <= day) on = which;
    }
    return on;
  };
  auto when = [](int64_t micros) {
    return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(micros), EnglandZone());
  };
  auto periods_text = [&](uint32_t c) {
    std::string text;
    for (size_t i = 0; i < truth.periods[c].size(); ++i) {
      const auto& p = truth.periods[c][i];
      absl::StrAppend(&text, text.empty() ? "" : ", ", Iso(p.start), "..",
                      p.end == kNoDay ? "" : Iso(p.end), " (recorded ", when(truth.recorded[c][i]),
                      ")");
    }
    return text;
  };

  // What the generator counts: reference -> the report.
  struct Expectation {
    const Ev* report = nullptr;
    bool council = false, team = false;
  };
  std::map<std::string, Expectation> expected;
  std::map<std::string, const Ev*> sent;
  auto reference_of = [](const Ev& e) {
    return e.kind == kPoliceReport
               ? absl::StrCat(e.flag ? "G" : "DA", "/", e.case_index, "/", e.item)
               : absl::StrCat("EP", e.case_index, "-", e.item);
  };
  for (const Ev& e : truth.reports) sent[reference_of(e)] = &e;
  for (const auto* matched : {&truth.incidents, &truth.admissions}) {
    for (const auto& [c, day, report] : *matched) {
      if (!OpenIncluding(truth.periods[c], day)) continue;
      const Ev& e = truth.reports[report];
      Expectation& x = expected[reference_of(e)];
      x.report = &e;
      x.council = true;
      x.team = x.team || team_on(c, day) == team;
    }
  }

  // What the service stored: reference -> its matches.
  struct Stored {
    std::string case_id, person_id, kind, matched_by, day, team;
    bool open_that_day;
  };
  struct Report {
    std::string receive_time;
    bool front_door = false;
    std::vector<Stored> matches;
  };
  std::map<std::string, Report> service;
  pqxx::connection conn(admin_url);
  pqxx::nontransaction tx(conn);
  // The case's team on a day: the team from the latest change on or before it, else the first.
  const std::string team_sql =
      "coalesce((SELECT t.team FROM outcomes.case_teams t WHERE t.case_id = m.case_id AND "
      "(t.from_time AT TIME ZONE 'Europe/London')::date <= $DAY ORDER BY t.from_time DESC LIMIT "
      "1), (SELECT t.team FROM outcomes.case_teams t WHERE t.case_id = m.case_id ORDER BY "
      "t.from_time LIMIT 1), '')";
  const std::string open_sql =
      "coalesce((SELECT bool_or(cp.referral_date <= $DAY AND (cp.closure_date IS NULL OR $DAY <= "
      "cp.closure_date)) FROM outcomes.case_periods cp WHERE cp.case_id = m.case_id), false)";
  auto with_day = [](std::string sql, const std::string& day) {
    for (size_t at; (at = sql.find("$DAY")) != std::string::npos;) sql.replace(at, 4, day);
    return sql;
  };
  for (const std::string& sql :
       {absl::StrCat("SELECT i.police_reference, to_char(i.receive_time AT TIME ZONE "
                     "'Europe/London', 'YYYY-MM-DD HH24:MI'), EXISTS (SELECT 1 FROM "
                     "outcomes.front_door_items f WHERE f.incident_id = i.incident_id), "
                     "m.case_id, m.person_id, p.kind, m.matched_by, to_char(m.incident_day, "
                     "'YYYY-MM-DD'), ",
                     with_day(open_sql, "m.incident_day"), ", ",
                     with_day(team_sql, "m.incident_day"),
                     " FROM outcomes.incidents i LEFT JOIN outcomes.incident_matches m USING "
                     "(incident_id) LEFT JOIN outcomes.people p ON p.person_id = m.person_id"),
        absl::StrCat("SELECT a.episode_reference, to_char(a.receive_time AT TIME ZONE "
                     "'Europe/London', 'YYYY-MM-DD HH24:MI'), false, m.case_id, m.person_id, "
                     "p.kind, 'NHS_NUMBER', to_char(m.admission_date, 'YYYY-MM-DD'), ",
                     with_day(open_sql, "m.admission_date"), ", ",
                     with_day(team_sql, "m.admission_date"),
                     " FROM outcomes.admissions a LEFT JOIN outcomes.admission_matches m USING "
                     "(admission_id) LEFT JOIN outcomes.people p ON p.person_id = m.person_id")}) {
    for (const auto& row : tx.exec(sql)) {
      Report& report = service[row[0].as<std::string>()];
      report.receive_time = row[1].as<std::string>();
      report.front_door = row[2].as<bool>();
      if (row[3].is_null()) continue;
      report.matches.push_back({row[3].as<std::string>(), row[4].as<std::string>(),
                                row[5].is_null() ? "?" : row[5].as<std::string>(),
                                row[6].as<std::string>(), row[7].as<std::string>(),
                                row[9].as<std::string>(), row[8].as<bool>()});
    }
  }
  // The service counts a report for the council when a match's case was open on the day (an
  // admission: an adult's), for the team when such a case was the team's that day.
  auto service_counts = [&](const std::string& reference, bool police, bool for_team) {
    auto it = service.find(reference);
    if (it == service.end()) return false;
    for (const auto& m : it->second.matches) {
      if (!m.open_that_day || (!police && m.kind != "ADULT")) continue;
      if (!for_team || m.team == Generator::TeamName(team)) return true;
    }
    return false;
  };

  auto describe = [&](const std::string& reference) {
    const Ev& e = *sent.at(reference);
    uint32_t c = e.case_index;
    const Case& the_case = generator.case_data()[c];
    err << absl::StrFormat(
        "  %s (%s), happened %s, sent %s; its case %u (%s), periods %s, team on the day %s\n",
        reference, e.kind == kPoliceReport ? "police" : "NHS", Iso(e.day1), when(e.micros), c,
        generator.CaseId(c), periods_text(c), Generator::TeamName(team_on(c, e.day1)));
    if (e.kind == kPoliceReport) {
      auto r = generator.Police(e);
      auto name = [&](const std::string& given, const std::string& family, const std::string& born,
                      const std::string& nhs) {
        return absl::StrFormat("%s %s born %s NHS %s", given, family, born.empty() ? "-" : born,
                               nhs.empty() ? "-" : nhs);
      };
      for (const auto& child : r.children()) {
        err << "    names child "
            << name(child.given_name(), child.family_name(), child.birth_date(), child.nhs_number())
            << "\n";
      }
      for (const auto& adult : r.adults()) {
        err << "    names adult "
            << name(adult.given_name(), adult.family_name(), adult.birth_date(), adult.nhs_number())
            << "\n";
      }
    } else {
      const Person& p = the_case.people[e.person];
      err << absl::StrFormat("    names person %d (NHS %010d, recorded: %s, added %s)\n", e.person,
                             p.nhs, p.nhs_recorded ? "yes" : "no", when(p.added));
    }
    auto it = service.find(reference);
    if (it == service.end()) {
      err << "    the service has no such report\n";
      return;
    }
    err << absl::StrFormat("    received %s; front door: %s; %d match(es)\n",
                           it->second.receive_time, it->second.front_door ? "yes" : "no",
                           it->second.matches.size());
    for (const auto& m : it->second.matches) {
      auto person = person_of.find(m.person_id);
      std::string who = "an unknown person";
      if (person != person_of.end()) {
        auto [pc, pp] = person->second;
        const Person& p = generator.case_data()[pc].people[static_cast<size_t>(pp)];
        who = absl::StrFormat(
            "case %u person %d (%s %s %s born %s, NHS %s, added %s%s), case periods %s", pc, pp,
            p.child ? "child" : "adult", kGiven[p.given], kFamily[p.family],
            p.birth == kNoDay ? "-" : Iso(p.birth),
            p.nhs_recorded ? absl::StrFormat("%010d", p.nhs) : "not recorded", when(p.added),
            p.child && p.birth_known != p.added
                ? absl::StrCat(", birth known ", when(p.birth_known))
                : "",
            periods_text(pc));
      }
      err << absl::StrFormat(
          "    matched %s by %s on %s: case open that day (service's periods): %s, team %s\n", who,
          m.matched_by, m.day, m.open_that_day ? "yes" : "no", m.team);
    }
  };

  for (bool for_team : {false, true}) {
    std::set<std::string> references;
    for (const auto& [reference, x] : expected) {
      if (for_team ? x.team : x.council) references.insert(reference);
    }
    for (const auto& [reference, report] : service) {
      bool police = reference.rfind("EP", 0) != 0;
      if (service_counts(reference, police, for_team)) references.insert(reference);
    }
    std::string scope = for_team ? Generator::TeamName(team) : "the council";
    int differences = 0;
    for (const auto& reference : references) {
      bool police = reference.rfind("EP", 0) != 0;
      auto x = expected.find(reference);
      bool generator_counts = x != expected.end() && (for_team ? x->second.team : true);
      bool service_counted = service_counts(reference, police, for_team);
      if (generator_counts == service_counted) continue;
      ++differences;
      const Ev& e = *sent.at(reference);
      err << absl::StrFormat("%s %s, %s: counted by the %s only\n", scope,
                             police ? "DA_INCIDENTS_ON_OPEN_CASES" : "ADULT_EMERGENCY_ADMISSIONS",
                             FormatMonth(absl::CivilMonth(DayOf(e.day1))),
                             generator_counts ? "generator" : "service");
      describe(reference);
    }
    err << absl::StrFormat("outcomes_bench: %d partner report(s) counted differently for %s\n",
                           differences, scope);
  }
}

// ---- Main ----

std::string DescribeStatus(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

struct Timed {
  std::string what;
  std::vector<double> ms;
  int64_t bytes = 0;
  std::string error;
};

int Main() {
  const int64_t target = absl::GetFlag(FLAGS_events);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const int months = absl::GetFlag(FLAGS_months);
  const int teams = absl::GetFlag(FLAGS_teams);
  const int threads = absl::GetFlag(FLAGS_client_threads);
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const int repetitions = absl::GetFlag(FLAGS_repetitions);
  if (target < 1000 || months < 24 || teams < 1 || teams > 200 || threads < 1 || batch_size < 1 ||
      repetitions < 1) {
    std::cerr << "outcomes_bench: --events >= 1000, --months >= 24, --teams 1..200, "
                 "--client_threads, --batch_size and --repetitions >= 1\n";
    return 2;
  }
  const char* url = std::getenv("FS_TEST_DB_URL");
  if (url == nullptr || *url == '\0') {
    std::cerr << "outcomes_bench: set FS_TEST_DB_URL to a PostgreSQL superuser URL "
                 "(scripts/bench-outcomes.sh starts a cluster and does)\n";
    return 2;
  }
  absl::CivilDay today = TodayInEngland();
  absl::CivilMonth last_month = absl::CivilMonth(today) - 1;
  if (std::string text = absl::GetFlag(FLAGS_last_month); !text.empty()) {
    absl::CivilMonth parsed;
    if (!absl::ParseCivilTime(text, &parsed) || parsed >= absl::CivilMonth(today)) {
      std::cerr << "outcomes_bench: --last_month must be a past month YYYY-MM\n";
      return 2;
    }
    last_month = parsed;
  }
  absl::CivilMonth first_month = last_month - (months - 1);
  int first_day = DayNumber(absl::CivilDay(first_month));
  int last_day = DayNumber(absl::CivilDay(last_month + 1) - 1);

  // 1. Generate.
  auto g0 = Clock::now();
  Generator generator(seed, first_day, last_day, teams, threads,
                      absl::GetFlag(FLAGS_partner_reports), absl::GetFlag(FLAGS_report_delay));
  generator.Run(target);
  double generate_ms = Ms(g0, Clock::now());
  int64_t events = generator.events();
  double rss_generated = CurrentRssMb();
  std::cerr << absl::StrFormat(
      "outcomes_bench: generated %s events of %s cases (%s to %s) in %.1f s\n", Thousands(events),
      Thousands(static_cast<int64_t>(generator.cases())), FormatMonth(first_month),
      FormatMonth(last_month), generate_ms / 1000);

  // 2. The service, as the integration tests run it.
  fs::testing::TestServer server(OutcomesDefinition(),
                                 [](ServerConfig& config) { config.name_match_secret = kSecret; });
  std::string server_version;
  {
    pqxx::connection conn(server.database().admin_url());
    pqxx::nontransaction tx(conn);
    server_version = tx.exec1("SHOW server_version")[0].as<std::string>();
  }

  // 3. Replay.
  std::atomic<int64_t> delivered{0};
  std::vector<ThreadResult> results(static_cast<size_t>(threads));
  auto r0 = Clock::now();
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        Replayer replayer(generator, server.channel(), batch_size, r0, &delivered, events);
        results[static_cast<size_t>(t)] =
            replayer.Run(generator.streams()[static_cast<size_t>(t)], t == 0);
      });
    }
    for (auto& w : workers) w.join();
  }
  double replay_s = std::chrono::duration<double>(Clock::now() - r0).count();
  double rss_after_replay = PeakRssMb();
  for (auto& stream : generator.streams()) std::vector<Ev>().swap(stream);
  std::cerr << absl::StrFormat("outcomes_bench: replayed in %.0f s; the full report next\n",
                               replay_s);

  // 4. The full report.
  const fs::testing::As admin{"admin-1", "administrator", "council", ""};
  auto ov = ov1::OutcomesService::NewStub(server.channel());
  auto context = [&] {
    auto c = fs::testing::ContextFor(admin);
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1800));
    return c;
  };
  std::string from_text = FormatMonth(first_month), to_text = FormatMonth(last_month);
  std::string adoption = FormatDate(absl::CivilDay(first_month + 60));
  std::string team = Generator::TeamName(0);
  ov1::IndicatorReport council_report, team_report;
  std::vector<Timed> timed;
  double rss_before_reports = CurrentRssMb();
  auto measure = [&](const std::string& what, const std::function<grpc::Status(int64_t*)>& call) {
    Timed t{what, {}, 0, ""};
    for (int i = 0; i < repetitions; ++i) {
      auto t0 = Clock::now();
      grpc::Status status = call(&t.bytes);
      double ms = Ms(t0, Clock::now());
      if (!status.ok()) {
        t.error = DescribeStatus(status);
        break;
      }
      t.ms.push_back(ms);
    }
    timed.push_back(t);
    std::cerr << "outcomes_bench: " << what << " done\n";
  };
  measure(absl::StrCat("GetIndicators: council, ", months, " months, every indicator"),
          [&](int64_t* bytes) {
            ov1::GetIndicatorsRequest request;
            request.set_from_month(from_text);
            request.set_to_month(to_text);
            council_report.Clear();
            auto status = ov->GetIndicators(context().get(), request, &council_report);
            *bytes = static_cast<int64_t>(council_report.ByteSizeLong());
            return status;
          });
  measure(absl::StrCat("GetIndicators: ", team, ", ", months, " months, every indicator"),
          [&](int64_t* bytes) {
            ov1::GetIndicatorsRequest request;
            request.set_team(team);
            request.set_from_month(from_text);
            request.set_to_month(to_text);
            team_report.Clear();
            auto status = ov->GetIndicators(context().get(), request, &team_report);
            *bytes = static_cast<int64_t>(team_report.ByteSizeLong());
            return status;
          });
  measure(absl::StrCat("CompareOutcomes: council, adoption ", adoption, ", 12 months each side"),
          [&](int64_t* bytes) {
            ov1::CompareOutcomesRequest request;
            request.set_adoption_date(adoption);
            ov1::Comparison comparison;
            auto status = ov->CompareOutcomes(context().get(), request, &comparison);
            *bytes = static_cast<int64_t>(comparison.ByteSizeLong());
            return status;
          });
  measure(absl::StrCat("ExportOutcomes HTML: council, ", months, " months + the comparison"),
          [&](int64_t* bytes) {
            ov1::ExportOutcomesRequest request;
            request.set_format(ov1::EXPORT_FORMAT_HTML);
            request.mutable_indicators()->set_from_month(from_text);
            request.mutable_indicators()->set_to_month(to_text);
            request.mutable_comparison()->set_adoption_date(adoption);
            ov1::ExportOutcomesResponse response;
            auto status = ov->ExportOutcomes(context().get(), request, &response);
            *bytes = static_cast<int64_t>(response.content().size());
            return status;
          });
  double rss_peak = PeakRssMb();

  // 5. Storage.
  struct TableSize {
    std::string name;
    int64_t bytes, rows;
  };
  std::vector<TableSize> tables;
  int64_t schema_bytes = 0, database_bytes = 0;
  int64_t front_door_items = 0, matched_incidents = 0, admission_matches = 0;
  double data_as_of_ms = 0;
  {
    pqxx::connection conn(server.database().admin_url());
    pqxx::nontransaction tx(conn);
    for (const auto& row : tx.exec(
             "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace "
             "n ON n.oid = c.relnamespace WHERE n.nspname = 'outcomes' AND c.relkind = 'r' "
             "ORDER BY 2 DESC, 1")) {
      std::string name = row[0].as<std::string>();
      int64_t rows =
          tx.exec1(absl::StrCat("SELECT count(*) FROM outcomes.", tx.quote_name(name)))[0]
              .as<int64_t>();
      tables.push_back({name, row[1].as<int64_t>(), rows});
      schema_bytes += row[1].as<int64_t>();
    }
    database_bytes = tx.exec1("SELECT pg_database_size(current_database())")[0].as<int64_t>();
    front_door_items = tx.exec1("SELECT count(*) FROM outcomes.front_door_items")[0].as<int64_t>();
    matched_incidents =
        tx.exec1("SELECT count(DISTINCT incident_id) FROM outcomes.incident_matches")[0]
            .as<int64_t>();
    admission_matches =
        tx.exec1("SELECT count(*) FROM outcomes.admission_matches")[0].as<int64_t>();
    // Every read's data_as_of: the newest applied_at of the inbox (no index on it).
    for (int i = 0; i < 3; ++i) {
      auto q0 = Clock::now();
      tx.exec1("SELECT max(applied_at) FROM outcomes.inbox");
      double ms = Ms(q0, Clock::now());
      data_as_of_ms = i == 0 ? ms : std::min(data_as_of_ms, ms);
    }
  }

  // ---- Results ----
  ThreadResult all;
  for (auto& r : results) {
    all.batches.insert(all.batches.end(), r.batches.begin(), r.batches.end());
    all.police_ms.insert(all.police_ms.end(), r.police_ms.begin(), r.police_ms.end());
    all.nhs_ms.insert(all.nhs_ms.end(), r.nhs_ms.begin(), r.nhs_ms.end());
    all.applied += r.applied;
    all.duplicate += r.duplicate;
    all.out_of_order += r.out_of_order;
    all.rejected += r.rejected;
    all.unanswered += r.unanswered;
    all.rpc_failures += r.rpc_failures;
    all.report_errors += r.report_errors;
    all.early_flushes += r.early_flushes;
    for (auto& p : r.problems) all.problems.push_back(p);
  }
  std::vector<double> per_event;
  double batch_ms_total = 0;
  for (const auto& b : all.batches) {
    per_event.push_back(b.ms / b.size);
    batch_ms_total += b.ms;
  }
  const Truth& truth = generator.truth();
  std::ostringstream out;
  out << absl::StrFormat("### Data: %s to %s, seed %d\n\n", from_text, to_text, seed);
  out << absl::StrFormat(
      "%s events of %s cases (%s case periods), %s people, %d teams; %s police incident "
      "reports and %s NHS admission reports on the way. Generated in %.1f s (the generator's "
      "events and cases: %.0f MB resident before the replay).\n\n",
      Thousands(events), Thousands(static_cast<int64_t>(generator.cases())), Thousands([&] {
        int64_t n = 0;
        for (const auto& p : truth.periods) n += static_cast<int64_t>(p.size());
        return n;
      }()),
      Thousands(generator.people()), teams, Thousands(truth.police), Thousands(truth.nhs),
      generate_ms / 1000, rss_generated);
  out << "| event | producer | count | share |\n|---|---|---:|---:|\n";
  for (int k = 0; k < kKinds; ++k) {
    int64_t n = generator.by_kind()[static_cast<size_t>(k)];
    if (ProducerOf(static_cast<uint8_t>(k)) == kPartner) continue;
    out << absl::StrFormat("| %s | %s | %s | %.1f%% |\n", kKindNames[k],
                           kProducerNames[ProducerOf(static_cast<uint8_t>(k))], Thousands(n),
                           100.0 * static_cast<double>(n) / static_cast<double>(events));
  }
  out << absl::StrFormat(
      "\ncase_records' sequences skip %s state changes outcomes does not subscribe to "
      "(previous_sequence vouches for the gap).\n\n",
      Thousands(generator.hidden_sequences()));

  out << "### Event delivery (EventSink.Deliver)\n\n";
  out << absl::StrFormat(
      "%d client threads over disjoint cases, each in time order, one batch per producer of up to "
      "%d events (one principal per call, as each producer's relay), a batch of case_records "
      "sent early when a partner report concerns one of its cases (%s times). Server: pool of 4 "
      "connections (TestServer), each event its own transaction with its inbox row.\n\n",
      threads, batch_size, Thousands(all.early_flushes));
  out << "| events | wall s | wall ms/event | events/s | batches | mean batch | per-event ms p50 | "
         "p95 | p99 | slowest batch ms |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  out << absl::StrFormat(
      "| %s | %.1f | %.3f | %.0f | %s | %.0f | %.3f | %.3f | %.3f | %.0f |\n", Thousands(events),
      replay_s, replay_s * 1000 / static_cast<double>(events),
      static_cast<double>(events) / replay_s, Thousands(static_cast<int64_t>(all.batches.size())),
      static_cast<double>(events) / static_cast<double>(std::max<size_t>(1, all.batches.size())),
      Percentile(per_event, 50), Percentile(per_event, 95), Percentile(per_event, 99),
      Percentile(
          [&] {
            std::vector<double> v;
            for (const auto& b : all.batches) v.push_back(b.ms);
            return v;
          }(),
          100));
  out << absl::StrFormat(
      "\nOutcomes: %s applied, %s duplicate, %s out of order, %s rejected, %s unanswered; %s "
      "failed calls. Time in Deliver summed over threads: %.1f s (%.3f ms an event).\n\n",
      Thousands(all.applied), Thousands(all.duplicate), Thousands(all.out_of_order),
      Thousands(all.rejected), Thousands(all.unanswered), Thousands(all.rpc_failures),
      batch_ms_total / 1000, batch_ms_total / static_cast<double>(events));
  {
    // Throughput as the tables grow: each tenth of the events.
    std::vector<BatchSample> sorted = all.batches;
    std::sort(sorted.begin(), sorted.end(),
              [](const BatchSample& a, const BatchSample& b) { return a.end_s < b.end_s; });
    out << "| events delivered | events/s in that tenth | per-event ms p50 | p95 |\n"
           "|---|---:|---:|---:|\n";
    int64_t done = 0;
    double from_s = 0;
    size_t i = 0;
    for (int tenth = 1; tenth <= 10; ++tenth) {
      int64_t goal = events * tenth / 10;
      int64_t start_done = done;
      std::vector<double> ratio;
      while (i < sorted.size() && done < goal) {
        done += sorted[i].size;
        ratio.push_back(sorted[i].ms / sorted[i].size);
        ++i;
      }
      double to_s = i > 0 ? sorted[i - 1].end_s : 0;
      out << absl::StrFormat("| %s-%s | %.0f | %.3f | %.3f |\n", Thousands(start_done),
                             Thousands(done),
                             static_cast<double>(done - start_done) / std::max(1e-9, to_s - from_s),
                             Percentile(ratio, 50), Percentile(ratio, 95));
      from_s = to_s;
    }
  }
  out << "\n### Partner reports (PartnerIntakeService)\n\n";
  out << "| report | sent | matched an open case | p50 ms | p95 ms | max ms |\n"
         "|---|---:|---:|---:|---:|---:|\n";
  out << absl::StrFormat("| police DA incident | %s | %s (front door: %s) | %.2f | %.2f | %.1f |\n",
                         Thousands(static_cast<int64_t>(all.police_ms.size())),
                         Thousands(matched_incidents), Thousands(front_door_items),
                         Percentile(all.police_ms, 50), Percentile(all.police_ms, 95),
                         Percentile(all.police_ms, 100));
  out << absl::StrFormat("| NHS admission | %s | %s | %.2f | %.2f | %.1f |\n",
                         Thousands(static_cast<int64_t>(all.nhs_ms.size())),
                         Thousands(admission_matches), Percentile(all.nhs_ms, 50),
                         Percentile(all.nhs_ms, 95), Percentile(all.nhs_ms, 100));
  out << absl::StrFormat(
      "\nExpected from the generator: %s incidents matched, %s for the front door (%s naming "
      "nobody known, the rest reported when no case was open to alert), %s admissions matched; "
      "%s reports failed. %s\n\n",
      Thousands(truth.police_matched), Thousands(truth.police_front_door + truth.ghosts),
      Thousands(truth.ghosts), Thousands(truth.nhs_matched), Thousands(all.report_errors),
      absl::GetFlag(FLAGS_report_delay)
          ? "Police report the next morning at 07:00-09:00 (Operation Encompass), NHS trusts "
            "1-3 days after at 06:00-07:00."
          : "Each report is sent at the moment it happened (--report_delay=false).");
  out << absl::StrFormat(
      "The generator matches a report as the service can when it arrives. By the case's periods "
      "recorded by then: a CaseOpened or CaseReopened is recorded up to 2 days after its "
      "referral date, and %s police and %s NHS reports about such a day of a reopened case "
      "arrived before the reopening did; they find no open case and are not counted (the police "
      "ones wait for the front door, which links them). And namesakes: %s police report(s) named, "
      "without an NHS number to tell them apart, someone of another case with the same names and "
      "birth date (either way round, day and month swapped) and no other NHS number recorded; "
      "the service matches that person too, and the incident counts for that case as well (%s "
      "only for it). Such families are delivered by one client thread, and their reports after "
      "every earlier event of it, so what the service knows then is what the generator "
      "assumes.\n\n",
      Thousands(truth.police_unrecorded), Thousands(truth.nhs_unrecorded),
      Thousands(truth.police_namesakes), Thousands(truth.police_namesake_only));
  {
    // What arrives after the case closed is lost to the figures, whatever day it happened.
    int64_t periods = 0, with_incident = 0, counted = 0;
    std::unordered_map<uint32_t, std::vector<int>> all_of, matched_of;
    for (const auto& [c, day] : truth.all_incidents) all_of[c].push_back(day);
    for (const auto& [c, day, report] : truth.incidents) matched_of[c].push_back(day);
    int followed_until = DayNumber(today) - 1;
    for (uint32_t c = 0; c < truth.periods.size(); ++c) {
      for (const auto& p : truth.periods[c]) {
        int until = PlusMonths(p.start, 12);
        if (until > std::min(last_day, followed_until)) continue;  // not followed 12 months
        ++periods;
        auto any = [&](std::unordered_map<uint32_t, std::vector<int>>& of) {
          for (int day : of[c]) {
            if (day > p.start && day <= until) return true;
          }
          return false;
        };
        with_incident += any(all_of) ? 1 : 0;
        counted += any(matched_of) ? 1 : 0;
      }
    }
    out << absl::StrFormat(
        "Reports that reached outcomes after the case had closed, about a day it was open (its "
        "closure day included): %s police incidents and %s admissions, matched by that day and "
        "counted (the incidents also wait for the front door: no lead to alert). Of %s case "
        "periods followed for 12 months, %s had a police incident naming the family in the 12 "
        "months after the start; REPEAT_DA_WITHIN_12_MONTHS counts %s of them (an incident "
        "after closure is not on an open case).\n\n",
        Thousands(truth.police_late), Thousands(truth.nhs_late), Thousands(periods),
        Thousands(with_incident), Thousands(counted));
  }

  out << "### The full report (after the replay, nothing else running)\n\n";
  out << absl::StrFormat("%d repetitions each.\n\n", repetitions);
  out << "| request | min ms | median ms | response |\n|---|---:|---:|---:|\n";
  for (const auto& t : timed) {
    if (!t.error.empty()) {
      out << absl::StrFormat("| %s | failed: %s | | |\n", t.what, t.error);
      continue;
    }
    out << absl::StrFormat("| %s | %.0f | %.0f | %s |\n", t.what, Percentile(t.ms, 0),
                           Percentile(t.ms, 50), Bytes(t.bytes));
  }
  out << absl::StrFormat(
      "\n### Memory and storage\n\n- Peak RSS of the process (generator, client and service "
      "together): %.0f MB after the replay, %.0f MB after the report (resident before the report: "
      "%.0f MB, the generator's events freed).\n- PostgreSQL %s; database %s, schema outcomes "
      "%s.\n- Each read's data_as_of, `SELECT max(applied_at) FROM inbox` (index "
      "inbox_applied_at), alone: %.1f ms; a read loads the dataset once.\n\n",
      rss_after_replay, rss_peak, rss_before_reports, server_version, Bytes(database_bytes),
      Bytes(schema_bytes), data_as_of_ms);
  out << "| table | rows | size (with indexes) |\n|---|---:|---:|\n";
  for (const auto& t : tables) {
    if (t.rows == 0 && t.bytes < (64 << 10)) continue;
    out << absl::StrFormat("| %s | %s | %s |\n", t.name, Thousands(t.rows), Bytes(t.bytes));
  }

  // Checks: the council's and a team's figures against the generator's own count.
  out << "\n### Checks: the service's figures against the generator's count\n\n";
  if (timed.size() < 2 || !timed[0].error.empty() || !timed[1].error.empty()) {
    out << "GetIndicators failed: no check.\n";
  } else {
    Expected council =
        ExpectedFigures(truth, generator.case_data(), -1, first_month, months, DayNumber(today));
    Expected of_team =
        ExpectedFigures(truth, generator.case_data(), 0, first_month, months, DayNumber(today));
    out << absl::StrFormat(
        "Every month of the council's and of %s's series (the case's team on the day: %s cases "
        "moved team) from GetIndicators, against the definitions applied to what was sent.\n\n",
        team, Thousands([&] {
          int64_t moved = 0;
          for (const auto& h : truth.teams) moved += h.size() > 1 ? 1 : 0;
          return moved;
        }()));
    out << "| indicator | council: months equal | service total | expected | " << team
        << ": months equal | service total | expected |\n|---|---:|---:|---:|---:|---:|---:|\n";
    int mismatched = 0;
    for (int i = 0; i < council_report.series_size(); ++i) {
      const auto& series = council_report.series(i);
      Agreement c = Compare(series, council[series.indicator()], months);
      Agreement t;
      if (i < team_report.series_size() &&
          team_report.series(i).indicator() == series.indicator()) {
        t = Compare(team_report.series(i), of_team[series.indicator()], months);
      } else {
        t.first_difference = " (no series)";
      }
      if (c.equal != months || t.equal != months) ++mismatched;
      out << absl::StrFormat("| %s | %d/%d%s | %s | %s | %d/%d%s | %s | %s |\n",
                             ov1::Indicator_Name(series.indicator()).substr(10), c.equal, months,
                             c.first_difference, c.service, c.expected, t.equal, months,
                             t.first_difference, t.service, t.expected);
    }
    out << absl::StrFormat(
        "\n%s\n", mismatched == 0 ? "Every month of every indicator as expected."
                                  : absl::StrCat(mismatched, " indicator(s) differ: see above."));
  }
  if (absl::GetFlag(FLAGS_explain_mismatches)) {
    ExplainPartnerMismatches(generator, truth, server.database().admin_url(), 0, std::cerr);
  }
  if (!all.problems.empty()) {
    out << "\nProblems seen (first ones):\n\n";
    for (const auto& p : all.problems) out << "- " << p << "\n";
  }
  std::cout << out.str();
  return 0;
}

}  // namespace
}  // namespace fs::outcomes::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The outcomes benchmark: FS_TEST_DB_URL=<superuser URL> outcomes_bench [--events=N] ...");
  absl::ParseCommandLine(argc, argv);
  return fs::outcomes::bench::Main();
}
