#include "common/status.h"

#include <gtest/gtest.h>

#include <string>

namespace fs {
namespace {

TEST(StatusTest, MapsEveryCodeOnceAtTheEdge) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status aborted = ToGrpcStatus(absl::AbortedError("etag mismatch"));
  EXPECT_EQ(aborted.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(aborted.error_message(), "etag mismatch");
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError("")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST(StatusTest, InvalidFieldNamesTheField) {
  absl::Status status = InvalidField("case.team", "required");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "case.team: required");
}

TEST(StatusTest, QuoteKeepsShortTextWhole) { EXPECT_EQ(Quote("RC0"), "'RC0'"); }

TEST(StatusTest, QuoteCutsLongTextAtACharacterBoundary) {
  std::string quoted = Quote(std::string(100000, 'x'));
  EXPECT_EQ(quoted, "'" + std::string(64, 'x') + "...'");
  // 63 ASCII bytes then "é" (2 bytes): the cut may not split the character.
  std::string accented = std::string(63, 'a') + "\xC3\xA9" + std::string(10, 'b');
  EXPECT_EQ(Quote(accented), "'" + std::string(63, 'a') + "...'");
}

}  // namespace
}  // namespace fs
