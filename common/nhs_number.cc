#include "common/nhs_number.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fs {

absl::StatusOr<NhsNumber> NhsNumber::Parse(absl::string_view text) {
  std::string digits;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return absl::InvalidArgumentError("NHS number may contain only digits, spaces and hyphens");
    }
  }
  if (digits.size() != 10) return absl::InvalidArgumentError("NHS number must have 10 digits");
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (10 - i) * (digits[i] - '0');
  int check = 11 - (sum % 11);
  if (check == 11) check = 0;
  if (check == 10 || check != digits[9] - '0') {
    return absl::InvalidArgumentError("NHS number fails the modulus 11 check");
  }
  return NhsNumber(std::move(digits));
}

std::string NhsNumber::Formatted() const {
  return absl::StrCat(digits_.substr(0, 3), " ", digits_.substr(3, 3), " ", digits_.substr(6));
}

}  // namespace fs
