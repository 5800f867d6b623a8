#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

// Tolerant matching of people, for "search before create".
namespace fs {

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

// Matching across services without names travelling: a keyed hash (HMAC-SHA256, lower-case hex)
// of the normalised family name, given name and ISO birth date. Only holders of `secret` can
// compute or test keys. "" when the secret is empty or either name normalises to nothing.
std::string NameMatchKey(absl::string_view secret, absl::string_view given,
                         absl::string_view family, absl::CivilDay born);

// The keys a reported person may match a recorded one by, the same tolerance as MatchReason:
// names either way round, the birth date as given or with day and month swapped. First the
// exact key. Empty when NameMatchKey would be "".
std::vector<std::string> NameMatchCandidates(absl::string_view secret, absl::string_view given,
                                             absl::string_view family, absl::CivilDay born);

// The match secret from a file (surrounding white space dropped): "" for an empty path;
// INVALID_ARGUMENT when unreadable or shorter than 32 bytes.
absl::StatusOr<std::string> ReadMatchSecret(const std::string& path);

}  // namespace fs
