#include "common/pagination.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

using ::testing::HasSubstr;

TEST(ParsePageTest, ZeroSizeMeansDefault) {
  auto page = ParsePage(0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size, 50);
  EXPECT_EQ(page->size, kDefaultPageSize);
  EXPECT_EQ(page->after, 0);
}

TEST(ParsePageTest, SizeWithinRangeIsKept) {
  for (int size : {1, 2, 49, 51, 100, 499, 500}) {
    SCOPED_TRACE(size);
    auto page = ParsePage(size, "");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->size, size);
  }
}

TEST(ParsePageTest, SizeAboveMaximumIsClamped) {
  for (int size : {501, 1000, std::numeric_limits<int>::max()}) {
    SCOPED_TRACE(size);
    auto page = ParsePage(size, "");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->size, 500);
    EXPECT_EQ(page->size, kMaxPageSize);
  }
}

TEST(ParsePageTest, NegativeSizeIsInvalidArgument) {
  for (int size : {-1, -50, std::numeric_limits<int>::min()}) {
    SCOPED_TRACE(size);
    auto page = ParsePage(size, "");
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(page.status().message(), HasSubstr("page_size"));
  }
}

TEST(ParsePageTest, NegativeSizeIsRejectedEvenWithAValidToken) {
  auto page = ParsePage(-1, PageToken(7));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("page_size"));
}

TEST(ParsePageTest, EmptyTokenStartsAtTheBeginning) {
  auto page = ParsePage(10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->after, 0);
  EXPECT_EQ(page->size, 10);
}

TEST(ParsePageTest, TokenRoundTrip) {
  auto page = ParsePage(20, PageToken(12345));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->after, 12345);
  EXPECT_EQ(page->size, 20);
}

TEST(ParsePageTest, TokenRoundTripKeepsDefaultAndClampedSizes) {
  auto page = ParsePage(0, PageToken(9));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->after, 9);
  EXPECT_EQ(page->size, 50);

  page = ParsePage(10000, PageToken(9));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->after, 9);
  EXPECT_EQ(page->size, 500);
}

TEST(ParsePageTest, TokenRoundTripOfBoundaryKeys) {
  for (int64_t key :
       {int64_t{0}, int64_t{1}, int64_t{4294967296}, std::numeric_limits<int64_t>::max()}) {
    SCOPED_TRACE(key);
    auto page = ParsePage(1, PageToken(key));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->after, key);
  }
}

TEST(PageTokenTest, IsUrlSafeAndDiffersByKey) {
  const std::string token = PageToken(12345);
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(token.find_first_of("+/= \n"), std::string::npos) << token;
  EXPECT_NE(PageToken(12345), PageToken(12346));
  EXPECT_EQ(PageToken(12345), PageToken(12345));
}

TEST(ParsePageTest, GarbageTokensAreInvalidArgument) {
  for (const std::string& token : {
           std::string("!!!not base64!!!"),
           std::string("fs1:12345"),  // the plain text, not encoded
           std::string("12345"), std::string("%%%%"),
           absl::WebSafeBase64Escape("fs2:12345"),  // wrong prefix
           absl::WebSafeBase64Escape("FS1:12345"),
           absl::WebSafeBase64Escape("12345"),  // no prefix
           absl::WebSafeBase64Escape("fs1"), absl::WebSafeBase64Escape("x fs1:12345"),
           absl::WebSafeBase64Escape("fs1:-1"),  // negative
           absl::WebSafeBase64Escape("fs1:-12345"),
           absl::WebSafeBase64Escape("fs1:abc"),  // not a number
           absl::WebSafeBase64Escape("fs1:"), absl::WebSafeBase64Escape("fs1:12x"),
           absl::WebSafeBase64Escape("fs1:1.5"), absl::WebSafeBase64Escape("fs1:0x10"),
           absl::WebSafeBase64Escape("fs1:99999999999999999999"),  // overflows int64
       }) {
    SCOPED_TRACE(token);
    auto page = ParsePage(10, token);
    ASSERT_FALSE(page.ok()) << "after=" << page->after;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(page.status().message(), HasSubstr("page_token"));
  }
}

}  // namespace
}  // namespace fs
