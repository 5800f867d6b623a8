#include "common/status.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fs {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status InvalidField(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) return absl::StrCat("'", text, "'");
  size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat("'", text.substr(0, end), "...'");
}

absl::Status CheckIdentifier(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > 128) return InvalidField(field, "at most 128 characters");
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return InvalidField(field, "only letters, digits, '.', '-' and '_'");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max,
                       bool required) {
  if (required && absl::StripAsciiWhitespace(value).empty()) {
    return InvalidField(field, "required");
  }
  if (value.size() > max) return InvalidField(field, absl::StrCat("at most ", max, " bytes"));
  // libpq ends text at a NUL: it would be stored cut short.
  if (value.find('\0') != absl::string_view::npos) {
    return InvalidField(field, "must not contain NUL characters");
  }
  return absl::OkStatus();
}

}  // namespace fs
