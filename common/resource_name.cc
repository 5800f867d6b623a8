#include "common/resource_name.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace fs {

absl::StatusOr<std::vector<std::string>> ParseResourceName(
    absl::string_view name, absl::string_view field,
    std::initializer_list<absl::string_view> collections) {
  std::vector<std::string> shape;
  for (auto c : collections) shape.push_back(absl::StrCat(c, "/{id}"));
  auto invalid = [&] {
    return InvalidField(field, absl::StrCat(Quote(name), " is not a resource name of the form ",
                                            absl::StrJoin(shape, "/")));
  };
  if (name.empty()) return InvalidField(field, "required");
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 * collections.size()) return invalid();
  std::vector<std::string> ids;
  size_t i = 0;
  for (auto collection : collections) {
    absl::string_view id = parts[i + 1];
    if (parts[i] != collection || id.empty() || id.size() > 128 ||
        !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        })) {
      return invalid();
    }
    ids.emplace_back(id);
    i += 2;
  }
  return ids;
}

absl::Status CheckEtag(absl::string_view given, absl::string_view current,
                       absl::string_view field) {
  if (given.empty()) {
    return InvalidField(field, "required: send the etag of the version you are changing");
  }
  if (given != current) {
    return absl::AbortedError(
        absl::StrCat("etag mismatch: the resource changed since you read it (yours ", Quote(given),
                     ", current ", current, "); read it again and reapply your change"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.size() > 128) return InvalidField("request_id", "at most 128 characters");
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return InvalidField("request_id", "printable ASCII only");
  }
  return absl::OkStatus();
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace fs
