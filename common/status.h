#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fs {

// The one place absl::Status becomes grpc::Status (the codes share numbering).
grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT naming the field and the reason, e.g. "case.referral_date: not a date".
absl::Status InvalidField(absl::string_view field, absl::string_view reason);

// Caller-supplied text quoted for an error message: at most 64 bytes (cut at a character
// boundary, with "..."), so that an echoed input can never outgrow gRPC's metadata limit.
std::string Quote(absl::string_view text);

// Practitioner ids and team names: 1-128 of [A-Za-z0-9._-]. INVALID_ARGUMENT names `field`.
absl::Status CheckIdentifier(absl::string_view value, absl::string_view field);

// Free text of at most `max` bytes without NUL characters; `required` refuses empty or blank
// text.
absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max, bool required);

}  // namespace fs
