#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

// Calendar dates as the services take them: ISO 8601, England's calendar. Pure C++.
namespace fs {

// ISO 8601 calendar date; `field` names the request field in the error.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view field);
std::string FormatDate(absl::CivilDay day);

// OK when England's zone (tzdata's Europe/London) loads; services refuse to start otherwise,
// since EnglandZone() would fall back to UTC and move due dates by an hour in summer.
absl::Status CheckEnglandZone();
// Europe/London (clock changes included), loaded once; UTC if the zone data is missing.
absl::TimeZone EnglandZone();

// Today in England (Europe/London), for dates that must not lie in the future.
absl::CivilDay TodayInEngland();

// A date of something that has happened (a referral, a closure, a plan's start or end): as
// ParseDate, and INVALID_ARGUMENT when it is after `today`.
absl::StatusOr<absl::CivilDay> ParsePastDate(absl::string_view text, absl::string_view field,
                                             absl::CivilDay today = TodayInEngland());

}  // namespace fs
