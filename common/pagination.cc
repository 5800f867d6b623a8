#include "common/pagination.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status.h"

namespace fs {

absl::StatusOr<Page> ParsePage(int page_size, absl::string_view page_token) {
  Page page;
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  page.size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  if (page_token.empty()) return page;
  std::string decoded;
  absl::string_view rest;
  if (!absl::WebSafeBase64Unescape(page_token, &decoded) ||
      !(rest = decoded, absl::ConsumePrefix(&rest, "fs1:")) ||
      !absl::SimpleAtoi(rest, &page.after) || page.after < 0) {
    return InvalidField("page_token", "not a token from a previous response");
  }
  return page;
}

std::string PageToken(int64_t last_key) {
  return absl::WebSafeBase64Escape(absl::StrCat("fs1:", last_key));
}

}  // namespace fs
