#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

// Tolerant matching of people, for "search before create".
namespace fs::cases {

// Lower case, accents folded to their base letters (Latin-1 and Latin Extended-A), and
// hyphens, apostrophes, dots and spaces removed: "Zoë O'Brien-Smith" -> "zoeobriensmith".
std::string NormalizeName(absl::string_view name);

// The same day with day and month swapped (03-07 <-> 07-03), if that is a date and differs.
std::optional<absl::CivilDay> SwapDayAndMonth(absl::CivilDay day);

// Why two people probably are one, or nullopt. Names compare normalised, also with given and
// family names entered the wrong way round; birth dates equal or with day and month swapped.
std::optional<std::string> MatchReason(absl::string_view given_a, absl::string_view family_a,
                                       absl::CivilDay born_a, absl::string_view given_b,
                                       absl::string_view family_b, absl::CivilDay born_b);

}  // namespace fs::cases
