#include "common/bank_holidays.h"

#include <string>
#include <vector>

#include "common/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

std::vector<std::string> Dates(int year) {
  std::vector<std::string> out;
  for (auto day : EnglandAndWalesBankHolidays(year)) out.push_back(FormatDate(day));
  return out;
}

// The published lists (gov.uk/bank-holidays), typed in by hand.
TEST(BankHolidaysTest, PublishedYears) {
  EXPECT_EQ(Dates(2026),
            (std::vector<std::string>{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                                      "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"}));
  EXPECT_EQ(Dates(2027),
            (std::vector<std::string>{"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03",
                                      "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"}));
  EXPECT_EQ(Dates(2022),
            (std::vector<std::string>{"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02",
                                      "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19",
                                      "2022-12-26", "2022-12-27"}));
  EXPECT_EQ(Dates(2023), (std::vector<std::string>{"2023-01-02", "2023-04-07", "2023-04-10",
                                                   "2023-05-01", "2023-05-08", "2023-05-29",
                                                   "2023-08-28", "2023-12-25", "2023-12-26"}));
  EXPECT_EQ(Dates(2020),
            (std::vector<std::string>{"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08",
                                      "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"}));
}

TEST(BankHolidaysTest, ChristmasOnASundayGivesTuesdayAsTheSubstitute) {
  // 2033: Christmas is a Sunday; Boxing Day Monday; the substitute for Christmas on Tuesday.
  auto days = Dates(2033);
  EXPECT_THAT(days, ::testing::Contains("2033-12-26"));
  EXPECT_THAT(days, ::testing::Contains("2033-12-27"));
  EXPECT_THAT(days, ::testing::Not(::testing::Contains("2033-12-25")));
}

TEST(BankHolidaysTest, EasterSundayKnownDates) {
  EXPECT_EQ(EasterSunday(2024), absl::CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), absl::CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), absl::CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2038), absl::CivilDay(2038, 4, 25));  // the latest possible
  EXPECT_EQ(EasterSunday(2285), absl::CivilDay(2285, 3, 22));  // the earliest possible
}

TEST(BankHolidaysTest, EveryYearHasEightOrMoreWeekdayHolidays) {
  for (int year = 1995; year < 2100; ++year) {
    auto days = EnglandAndWalesBankHolidays(year);
    EXPECT_GE(days.size(), 8u) << year;
    for (auto day : days) {
      auto w = absl::GetWeekday(day);
      EXPECT_NE(w, absl::Weekday::saturday) << FormatDate(day);
      EXPECT_NE(w, absl::Weekday::sunday) << FormatDate(day);
    }
  }
}

TEST(HolidayCalendarTest, ExtraDatesFromConfiguration) {
  auto calendar = HolidayCalendar::Create("2027-06-07, 2027-12-29");
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_TRUE(calendar->IsHoliday(absl::CivilDay(2027, 6, 7)));
  EXPECT_TRUE(calendar->IsHoliday(absl::CivilDay(2027, 12, 29)));
  EXPECT_TRUE(calendar->IsHoliday(absl::CivilDay(2026, 12, 25)));
  EXPECT_FALSE(calendar->IsHoliday(absl::CivilDay(2026, 12, 24)));
  auto bad = HolidayCalendar::Create("2027-02-30");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HolidayCalendarTest, NextWorkingDaySkipsWeekendsAndBankHolidays) {
  auto calendar = *HolidayCalendar::Create("");
  // Thursday 24 December 2026: Christmas (Friday) and the weekend, then Boxing Day's substitute
  // Monday 28 December; the next working day is Tuesday 29 December.
  EXPECT_EQ(calendar.NextWorkingDay(absl::CivilDay(2026, 12, 24)), absl::CivilDay(2026, 12, 29));
  // Friday to Monday.
  EXPECT_EQ(calendar.NextWorkingDay(absl::CivilDay(2026, 11, 20)), absl::CivilDay(2026, 11, 23));
  // Maundy Thursday 2027 (25 March) to the Tuesday after Easter Monday.
  EXPECT_EQ(calendar.NextWorkingDay(absl::CivilDay(2027, 3, 25)), absl::CivilDay(2027, 3, 30));
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 23)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 22)));
}

}  // namespace
}  // namespace fs
