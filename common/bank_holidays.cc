#include "common/bank_holidays.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/dates.h"

namespace fs {
namespace {

using absl::CivilDay;
using absl::Weekday;

CivilDay FirstWeekdayOnOrAfter(CivilDay day, Weekday weekday) {
  while (absl::GetWeekday(day) != weekday) day += 1;
  return day;
}

CivilDay LastWeekdayOnOrBefore(CivilDay day, Weekday weekday) {
  while (absl::GetWeekday(day) != weekday) day -= 1;
  return day;
}

bool IsWeekend(CivilDay day) {
  Weekday w = absl::GetWeekday(day);
  return w == Weekday::saturday || w == Weekday::sunday;
}

// Proclamations that moved a regular holiday (from -> to) or added one (from == to).
struct OneOff {
  CivilDay regular;  // the day that is not a holiday after all (or the added day itself)
  CivilDay actual;
};
const std::vector<OneOff>& OneOffs() {
  static const std::vector<OneOff> kOneOffs = {
      {CivilDay(1995, 5, 1), CivilDay(1995, 5, 8)},      // VE Day 50th anniversary
      {CivilDay(1999, 12, 31), CivilDay(1999, 12, 31)},  // millennium
      {CivilDay(2002, 5, 27), CivilDay(2002, 6, 4)},     // Golden Jubilee: spring moved
      {CivilDay(2002, 6, 3), CivilDay(2002, 6, 3)},      // Golden Jubilee
      {CivilDay(2011, 4, 29), CivilDay(2011, 4, 29)},    // royal wedding
      {CivilDay(2012, 5, 28), CivilDay(2012, 6, 4)},     // Diamond Jubilee: spring moved
      {CivilDay(2012, 6, 5), CivilDay(2012, 6, 5)},      // Diamond Jubilee
      {CivilDay(2020, 5, 4), CivilDay(2020, 5, 8)},      // VE Day 75th anniversary
      {CivilDay(2022, 5, 30), CivilDay(2022, 6, 2)},     // Platinum Jubilee: spring moved
      {CivilDay(2022, 6, 3), CivilDay(2022, 6, 3)},      // Platinum Jubilee
      {CivilDay(2022, 9, 19), CivilDay(2022, 9, 19)},    // state funeral of Queen Elizabeth II
      {CivilDay(2023, 5, 8), CivilDay(2023, 5, 8)},      // coronation of King Charles III
  };
  return kOneOffs;
}

}  // namespace

CivilDay EasterSunday(int year) {
  int a = year % 19;
  int b = year / 100;
  int c = year % 100;
  int d = b / 4;
  int e = b % 4;
  int f = (b + 8) / 25;
  int g = (b - f + 1) / 3;
  int h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4;
  int k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31;
  int day = ((h + l - 7 * m + 114) % 31) + 1;
  return CivilDay(year, month, day);
}

std::vector<CivilDay> EnglandAndWalesBankHolidays(int year) {
  std::vector<CivilDay> days;
  // New Year's Day, or the next Monday.
  CivilDay new_year(year, 1, 1);
  days.push_back(IsWeekend(new_year) ? FirstWeekdayOnOrAfter(new_year, Weekday::monday) : new_year);
  CivilDay easter = EasterSunday(year);
  days.push_back(easter - 2);
  days.push_back(easter + 1);
  days.push_back(FirstWeekdayOnOrAfter(CivilDay(year, 5, 1), Weekday::monday));
  days.push_back(LastWeekdayOnOrBefore(CivilDay(year, 5, 31), Weekday::monday));
  days.push_back(LastWeekdayOnOrBefore(CivilDay(year, 8, 31), Weekday::monday));
  // Christmas and Boxing Day: a day falling at the weekend is replaced by the next weekday not
  // already a holiday.
  CivilDay christmas(year, 12, 25);
  CivilDay boxing(year, 12, 26);
  Weekday cw = absl::GetWeekday(christmas);
  if (cw == Weekday::saturday) {
    days.push_back(CivilDay(year, 12, 27));
    days.push_back(CivilDay(year, 12, 28));
  } else if (cw == Weekday::sunday) {
    days.push_back(CivilDay(year, 12, 26));
    days.push_back(CivilDay(year, 12, 27));
  } else if (cw == Weekday::friday) {
    days.push_back(christmas);
    days.push_back(CivilDay(year, 12, 28));
  } else {
    days.push_back(christmas);
    days.push_back(boxing);
  }
  for (const auto& one_off : OneOffs()) {
    if (one_off.regular.year() != year && one_off.actual.year() != year) continue;
    days.erase(std::remove(days.begin(), days.end(), one_off.regular), days.end());
    days.push_back(one_off.actual);
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  return days;
}

absl::StatusOr<HolidayCalendar> HolidayCalendar::Create(absl::string_view extra) {
  HolidayCalendar calendar;
  for (absl::string_view part : absl::StrSplit(extra, ',', absl::SkipWhitespace())) {
    auto day = ParseDate(absl::StripAsciiWhitespace(part), "extra_holidays");
    if (!day.ok()) return day.status();
    calendar.days_.insert(*day);
  }
  for (int year = 1995; year < 2200; ++year) {
    for (CivilDay d : EnglandAndWalesBankHolidays(year)) calendar.days_.insert(d);
  }
  return calendar;
}

bool HolidayCalendar::IsWorkingDay(absl::CivilDay day) const {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday && !IsHoliday(day);
}

absl::CivilDay HolidayCalendar::NextWorkingDay(absl::CivilDay day) const {
  absl::CivilDay next = day + 1;
  while (!IsWorkingDay(next)) ++next;  // at most a fortnight of holidays in a row
  return next;
}

}  // namespace fs
