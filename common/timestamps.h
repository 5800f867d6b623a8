#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

// google.protobuf.Timestamp <-> absl::Time, to the microsecond (what PostgreSQL keeps).
namespace fs {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// Within the range protobuf allows (years 1-9999) with nanos in 0..999,999,999: a caller's
// timestamp to check before use.
bool ValidTimestamp(const google::protobuf::Timestamp& t);

}  // namespace fs
