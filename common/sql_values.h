#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <stdexcept>
#include <string>
#include <vector>

// Values as the services pass them to and read them from PostgreSQL with libpqxx 6.4, which has
// no array or JSON types of its own.
namespace fs {

// A text[] literal ("{\"a\",\"b\"}") for a `$n::text[]` parameter, every element quoted.
std::string PgTextArray(const std::vector<std::string>& values);

// The elements of array_to_string(column, ',') (identifiers without commas); none for "".
std::vector<std::string> SplitCommas(const std::string& joined);

// A message as JSON for a jsonb column. Throws (a server fault) if it cannot be encoded.
std::string ToJson(const google::protobuf::Message& message);

// A message from a jsonb column; unknown fields (from newer code) are ignored. Throws when the
// stored text is not the message's JSON.
template <typename M>
M FromJson(const std::string& json) {
  M message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &message, options).ok()) {
    throw std::runtime_error("a stored record is not valid JSON for " +
                             M::descriptor()->full_name());
  }
  return message;
}

}  // namespace fs
