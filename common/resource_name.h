#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fs {

// Splits an AIP resource name against its collections: with {"cases", "people"},
// "cases/a/people/b" gives {"a", "b"}. INVALID_ARGUMENT names `field` and the expected shape.
absl::StatusOr<std::vector<std::string>> ParseResourceName(
    absl::string_view name, absl::string_view field,
    std::initializer_list<absl::string_view> collections);

// Checks a caller-supplied etag against the current one: required (INVALID_ARGUMENT when
// empty), ABORTED when the resource changed since the caller read it.
absl::Status CheckEtag(absl::string_view given, absl::string_view current, absl::string_view field);

// A request_id is optional; when given it is 1-128 printable ASCII characters.
absl::Status CheckRequestId(absl::string_view request_id);

// Whether `text` is a UUID: ids in resource names are checked before they reach a ::uuid cast
// (a malformed id is NOT_FOUND, not a database error).
bool IsUuid(absl::string_view text);

}  // namespace fs
