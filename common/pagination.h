#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fs {

// Keyset pagination over a monotonically increasing key: the token carries the last key seen.
struct Page {
  int size = 50;      // rows to return
  int64_t after = 0;  // return keys greater than this
};

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// page_size 0 means the default; above the maximum is clamped; negative is INVALID_ARGUMENT, as
// is a token this server did not issue.
absl::StatusOr<Page> ParsePage(int page_size, absl::string_view page_token);

std::string PageToken(int64_t last_key);

}  // namespace fs
