#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fs/events/v1/events.pb.h"
#include "fs/workbook/v1/workbook.pb.h"

// Chronologies: what a case_records event means in a family's timeline, and the printable
// document a worker takes to a child protection conference. Pure C++.
namespace fs::workbook {

namespace v1 = ::fs::workbook::v1;
namespace ev = ::fs::events::v1;

// A case event as the timeline shows it.
struct HistoryItem {
  v1::ChronologyItemKind kind = v1::CHRONOLOGY_ITEM_KIND_UNSPECIFIED;
  absl::Time occur_time;
  bool date_only = false;
  std::string person_id;  // empty: the whole family
  std::string summary;
};

// The timeline item for a case_records event, or nothing for events that are not part of a
// chronology (people added or updated). Dates become midnight in England.
std::optional<HistoryItem> HistoryItemFor(const ev::EventEnvelope& event);

std::string ChronologyKindName(v1::ChronologyItemKind kind);  // "CASE_OPENED"
v1::ChronologyItemKind ChronologyKindFromName(absl::string_view name);

// What the printed chronology is of and for whom.
struct ChronologyDocument {
  std::string subject;       // "cases/{case}" or "cases/{case}/people/{person}"
  std::string generated_by;  // practitioner id
  absl::Time generated_at;
  std::string filters;  // in words, e.g. "2026-01-01 to 2026-06-30; kinds: ENTRY"
  std::vector<v1::ChronologyItem> items;
};

// A self-contained HTML page (no scripts, no external resources) laid out for printing, every
// caller-supplied string escaped. Times are shown in Europe/London.
std::string RenderChronologyHtml(const ChronologyDocument& document);

}  // namespace fs::workbook
