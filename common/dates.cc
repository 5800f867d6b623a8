#include "common/dates.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status.h"

namespace fs {

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view field) {
  absl::CivilDay day;
  // ParseCivilTime normalises 2026-02-30 to March: compare the round trip to reject it.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatDate(day) != text) {
    return InvalidField(field, absl::StrCat(Quote(text), " is not a date (YYYY-MM-DD)"));
  }
  if (day.year() < 1900 || day.year() > 2200) return InvalidField(field, "year out of range");
  return day;
}

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::TimeZone EnglandZone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    if (!absl::LoadTimeZone("Europe/London", &z)) z = absl::UTCTimeZone();
    return z;
  }();
  return zone;
}

absl::Status CheckEnglandZone() {
  absl::TimeZone z;
  if (absl::LoadTimeZone("Europe/London", &z)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "cannot load the Europe/London time zone: install tzdata (or set TZDIR)");
}

absl::CivilDay TodayInEngland() { return absl::ToCivilDay(absl::Now(), EnglandZone()); }

absl::StatusOr<absl::CivilDay> ParsePastDate(absl::string_view text, absl::string_view field,
                                             absl::CivilDay today) {
  auto day = ParseDate(text, field);
  if (!day.ok()) return day;
  if (*day > today) {
    return InvalidField(field, absl::StrCat(Quote(text), " is in the future"));
  }
  return day;
}

}  // namespace fs
