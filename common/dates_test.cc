#include "common/dates.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// ParseDate.

TEST(ParseDateTest, ValidDate) {
  absl::StatusOr<absl::CivilDay> day = ParseDate("2026-11-23", "referral_date");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2026, 11, 23));
}

TEST(ParseDateTest, LeapDayInLeapYearIsValid) {
  absl::StatusOr<absl::CivilDay> day = ParseDate("2024-02-29", "birth_date");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
}

TEST(ParseDateTest, InvalidTextIsRejectedNamingTheField) {
  for (const char* text :
       {"2023-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-1", "",
        "2026-11-23T00:00", "23/11/2026", "not a date", " 2026-11-23", "2026-11-23 "}) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text, "case.referral_date");
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << "'" << text << "'";
    EXPECT_THAT(day.status().message(), HasSubstr("case.referral_date")) << "'" << text << "'";
  }
}

TEST(ParseDateTest, YearOutOfRangeIsRejectedNamingTheField) {
  for (const char* text : {"1800-01-01", "1899-12-31", "2201-01-01"}) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text, "person_birth_date");
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(day.status().message(), HasSubstr("person_birth_date")) << text;
  }
}

TEST(ParseDateTest, RangeBoundariesAreValid) {
  EXPECT_TRUE(ParseDate("1900-01-01", "d").ok());
  EXPECT_TRUE(ParseDate("2200-12-31", "d").ok());
}

TEST(FormatDateTest, RoundTripsWithParseDate) {
  EXPECT_EQ(FormatDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  absl::StatusOr<absl::CivilDay> day = ParseDate(FormatDate(absl::CivilDay(2026, 1, 5)), "d");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2026, 1, 5));
}

TEST(ParsePastDateTest, TodayIsAllowedTomorrowIsNot) {
  absl::CivilDay today(2026, 11, 23);
  EXPECT_TRUE(ParsePastDate("2026-11-23", "d", today).ok());
  absl::StatusOr<absl::CivilDay> tomorrow = ParsePastDate("2026-11-24", "event_date", today);
  EXPECT_EQ(tomorrow.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tomorrow.status().message(), HasSubstr("event_date"));
  EXPECT_THAT(tomorrow.status().message(), HasSubstr("future"));
}

}  // namespace
}  // namespace fs
