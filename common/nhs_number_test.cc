#include "common/nhs_number.h"

#include <gtest/gtest.h>

namespace fs {
namespace {

TEST(NhsNumberTest, AcceptsTheDocumentedExampleInEveryLayout) {
  for (const char* text : {"9434765919", "943 476 5919", "943-476-5919"}) {
    auto parsed = NhsNumber::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(parsed->digits(), "9434765919");
    EXPECT_EQ(parsed->Formatted(), "943 476 5919");
    EXPECT_FALSE(parsed->IsTestRange());
  }
}

TEST(NhsNumberTest, RejectsAWrongCheckDigit) {
  for (const char* text : {"9434765910", "9434765911", "9434765918"}) {
    EXPECT_EQ(NhsNumber::Parse(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(NhsNumberTest, RejectsWhenTheCheckComputesToTen) {
  // 1000000010: S = 10*1 + 2*1 = 12, 12 mod 11 = 1, c = 10: no valid check digit exists.
  for (char last = '0'; last <= '9'; ++last) {
    std::string text = std::string("100000001") + last;
    EXPECT_FALSE(NhsNumber::Parse(text).ok()) << text;
  }
}

TEST(NhsNumberTest, CheckOfElevenBecomesZero) {
  // 1000000060: S = 10*1 + 2*6 = 22, 22 mod 11 = 0, c = 11 -> 0.
  EXPECT_TRUE(NhsNumber::Parse("1000000060").ok());
  EXPECT_FALSE(NhsNumber::Parse("1000000061").ok());
}

TEST(NhsNumberTest, RejectsWrongLengthAndForeignCharacters) {
  for (const char* text : {"", "943476591", "94347659190", "943.476.5919", "94347659I9"}) {
    EXPECT_EQ(NhsNumber::Parse(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(NhsNumberTest, KnowsTheTestRange) {
  // 999 000 0018: S = 10*9 + 9*9 + 8*9 + 2*1 = 245, 245 mod 11 = 3, c = 8.
  auto parsed = NhsNumber::Parse("9990000018");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->IsTestRange());
}

}  // namespace
}  // namespace fs
