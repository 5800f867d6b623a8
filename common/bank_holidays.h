#pragma once

#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

// Bank holidays of England and Wales. Pure C++.
namespace fs {

// The bank holidays of `year` by the Banking and Financial Dealings Act 1971 and the usual
// substitute days: New Year's Day, Good Friday, Easter Monday, the early May and spring bank
// holidays, the summer bank holiday, Christmas Day and Boxing Day, with the one-off changes
// proclaimed since 1995 (VE Day moves, jubilees, the royal wedding, the state funeral, the
// coronation). Sorted.
std::vector<absl::CivilDay> EnglandAndWalesBankHolidays(int year);

// Easter Sunday (Gregorian), by the anonymous Gregorian algorithm.
absl::CivilDay EasterSunday(int year);

// A calendar of days off for everyone: bank holidays plus extra dates from configuration
// (proclaimed after this code was written, or a council's own closure days).
class HolidayCalendar {
 public:
  // `extra`: ISO dates separated by commas, e.g. "2027-06-07,2027-12-29". Bank holidays are
  // known for 1995-2199; beyond, only the extra dates.
  static absl::StatusOr<HolidayCalendar> Create(absl::string_view extra = "");
  // Thread-safe (immutable once created).
  bool IsHoliday(absl::CivilDay day) const { return days_.contains(day); }
  // Monday to Friday and not a holiday.
  bool IsWorkingDay(absl::CivilDay day) const;
  // The first working day after `day`.
  absl::CivilDay NextWorkingDay(absl::CivilDay day) const;

 private:
  std::set<absl::CivilDay> days_;
};

}  // namespace fs
