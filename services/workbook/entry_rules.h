#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fs/workbook/v1/workbook.pb.h"

// The rules of workbook entries and parenting assessments: what a valid entry is, who may move
// it along its lifecycle, the configured modules, scaling-score trends and search snippets.
// Pure C++ over the API messages; no database.
namespace fs::workbook {

namespace v1 = ::fs::workbook::v1;

inline constexpr size_t kMaxTitle = 200;
inline constexpr size_t kMaxText = 100000;
inline constexpr size_t kMinReason = 10;
inline constexpr size_t kMaxReason = 2000;

// A Timestamp within 0001-01-01..9999-12-31 with nanos in range (protobuf 3.21 has no check).
bool ValidTimestamp(const google::protobuf::Timestamp& t);

// Storage names: enum names without the prefix ("MODULE_SESSION", "SEALED").
std::string KindName(v1::EntryKind kind);
v1::EntryKind KindFromName(absl::string_view name);
std::string StateName(v1::EntryState state);
v1::EntryState StateFromName(absl::string_view name);
std::string VisibilityName(v1::Visibility visibility);
v1::Visibility VisibilityFromName(absl::string_view name);

// The modules of the intervention programme, 1..N, from configuration: titles separated by
// '|' (at most 20, each 1-100 characters). Empty gives "Module 1".."Module 8".
absl::StatusOr<std::vector<std::string>> ParseModuleTitles(absl::string_view spec);

// What an entry is checked against: the people on the case (person id -> "CHILD"/"ADULT"),
// the number of modules and the present time.
struct EntryContext {
  std::string case_id;
  std::vector<std::pair<std::string, std::string>> people;
  int module_count = 8;
  absl::Time now = absl::Now();
};

// Validates and normalises an entry's content in place (visibility defaulted to NORMAL,
// subjects and sealed roles de-duplicated and sorted, TEAM_MANAGER added to sealed roles).
// INVALID_ARGUMENT names the field ("entry.title").
absl::Status NormaliseEntry(v1::Entry& entry, const EntryContext& context);

// Copies the masked fields of `update` onto `entry`. INVALID_ARGUMENT for an empty mask or a
// path that cannot be changed.
absl::Status ApplyEntryMask(const v1::Entry& update, const google::protobuf::FieldMask& mask,
                            v1::Entry& entry);

// Text as practitioners write it: no control characters but tab and line breaks (NUL would be
// stored cut short), nor the stand-ins search uses for '<' and '>'.
absl::Status CheckPlainText(absl::string_view text, absl::string_view field);

// A correction's reason: 10 to 2,000 bytes of plain text.
absl::Status CheckReason(absl::string_view reason, absl::string_view field);

// Lifecycle. `actor` is the practitioner id; `manages_team` whether they manage the case's team.
absl::Status CheckCanEditDraft(const v1::Entry& entry, absl::string_view actor);
absl::Status CheckCanFinalise(const v1::Entry& entry, absl::string_view actor);
absl::Status CheckCanSignOff(const v1::Entry& entry, absl::string_view actor, bool manages_team);
absl::Status CheckCanCorrect(const v1::Entry& entry, absl::string_view actor, bool manages_team);

// The content of the entry's current revision, for the history.
v1::EntryRevision RevisionOf(const v1::Entry& entry, absl::string_view revised_by,
                             absl::string_view reason);

// First, latest and change per scale over points in time order (scales never answered are
// left out).
std::vector<v1::ScoreTrend> ScoreTrends(const std::vector<v1::ScorePoint>& points);

// UTF-8 of U+E000 and U+E001, which stand for '<' and '>' in full-text parsing.
inline constexpr char kLessThanStandIn[] = "\xEE\x80\x80";
inline constexpr char kGreaterThanStandIn[] = "\xEE\x80\x81";

// ts_headline output with matches between '\x01' and '\x02': the plain snippet, the highlight
// ranges in it, and the HTML form with <mark>.
struct Snippet {
  std::string text;
  std::vector<std::pair<int, int>> highlights;  // start, length (bytes)
  std::string html;
};
Snippet ParseHeadline(absl::string_view headline);

// HTML-escapes text (& < > " ').
std::string HtmlEscape(absl::string_view text);

}  // namespace fs::workbook
