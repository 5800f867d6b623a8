#include "services/supervision/policy.h"

#include "gtest/gtest.h"

namespace fs::supervision {
namespace {

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::Time Noon(absl::CivilDay day) { return absl::FromCivil(absl::CivilHour(day) + 12, London()); }

absl::Time EndOf(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day + 1), London());
}

TEST(PolicyTest, TheRecordsNextDueDateThenTheLastGcsThenTheFirstAllocation) {
  Policy policy;
  CaseTimes times;
  EXPECT_FALSE(DueTime(policy, times, London()).has_value()) << "never allocated";
  times.first_allocation = Noon(absl::CivilDay(2026, 11, 2));
  EXPECT_EQ(DueTime(policy, times, London()), EndOf(absl::CivilDay(2026, 11, 16)));
  times.last_held = Noon(absl::CivilDay(2026, 11, 10));
  EXPECT_EQ(DueTime(policy, times, London()), EndOf(absl::CivilDay(2026, 12, 8)));
  times.next_due_date = absl::CivilDay(2026, 11, 20);
  EXPECT_EQ(DueTime(policy, times, London()), EndOf(absl::CivilDay(2026, 11, 20)));
}

TEST(PolicyTest, ACaseWithNobodyAllocatedNowIsNotDue) {
  Policy policy;
  CaseTimes times;
  times.first_allocation = Noon(absl::CivilDay(2026, 11, 2));
  times.last_held = Noon(absl::CivilDay(2026, 11, 10));
  times.anyone_allocated = false;
  EXPECT_FALSE(DueTime(policy, times, London()).has_value());
}

TEST(PolicyTest, QuorumNamesWhoIsMissing) {
  Policy policy;
  std::multimap<std::string, std::string> allocations = {{"sw-1", "LEAD_SOCIAL_WORKER"},
                                                         {"dav-1", "DA_VICTIM_WORKER"}};
  EXPECT_TRUE(CheckQuorum(policy, "tm", {"tm", "sw-1", "dav-1"}, allocations).ok());
  auto missing = CheckQuorum(policy, "tm", {"tm", "sw-1"}, allocations);
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find("adult specialist"), std::string::npos) << missing;
  EXPECT_FALSE(CheckQuorum(policy, "tm", {"sw-1", "dav-1"}, allocations).ok());
}

}  // namespace
}  // namespace fs::supervision
