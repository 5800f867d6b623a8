#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fs {

// A valid NHS number: 10 digits passing the modulus 11 check. Once parsed, never re-checked.
class NhsNumber {
 public:
  // Accepts "9434765919" or "943 476 5919" (spaces or hyphens between the 3-3-4 groups).
  static absl::StatusOr<NhsNumber> Parse(absl::string_view text);

  // "9434765919".
  const std::string& digits() const { return digits_; }
  // "943 476 5919".
  std::string Formatted() const;
  // 999 000 0000 - 999 999 9999 is reserved for testing.
  bool IsTestRange() const { return digits_.compare(0, 3, "999") == 0; }

  friend bool operator==(const NhsNumber&, const NhsNumber&) = default;

 private:
  explicit NhsNumber(std::string digits) : digits_(std::move(digits)) {}
  std::string digits_;
};

}  // namespace fs
