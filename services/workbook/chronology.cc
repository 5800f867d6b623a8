#include "services/workbook/chronology.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "services/workbook/entry_rules.h"

namespace fs::workbook {
namespace {

using google::protobuf::util::TimeUtil;

// Midnight in England of an ISO date; the event's own time when the date does not parse.
absl::Time DayStart(const std::string& date, const ev::EventEnvelope& event, bool* date_only) {
  auto day = ParseDate(date, "date");
  if (!day.ok()) {
    *date_only = false;
    return absl::FromUnixSeconds(event.occurred_time().seconds());
  }
  *date_only = true;
  return absl::FromCivil(absl::CivilSecond(*day), EnglandZone());
}

std::string PersonId(const std::string& name) {
  auto pos = name.rfind("/people/");
  if (pos == std::string::npos) return "";
  return name.substr(pos + 8);
}

std::string Words(absl::string_view code) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(code, {{"_", " "}}));
}

}  // namespace

std::string ChronologyKindName(v1::ChronologyItemKind kind) {
  return std::string(absl::StripPrefix(v1::ChronologyItemKind_Name(kind), "CHRONOLOGY_ITEM_KIND_"));
}

v1::ChronologyItemKind ChronologyKindFromName(absl::string_view name) {
  v1::ChronologyItemKind kind = v1::CHRONOLOGY_ITEM_KIND_UNSPECIFIED;
  v1::ChronologyItemKind_Parse(absl::StrCat("CHRONOLOGY_ITEM_KIND_", name), &kind);
  return kind;
}

std::optional<HistoryItem> HistoryItemFor(const ev::EventEnvelope& event) {
  HistoryItem item;
  item.occur_time = absl::FromUnixSeconds(event.occurred_time().seconds());
  switch (event.payload_case()) {
    case ev::EventEnvelope::kCaseOpened: {
      const auto& e = event.case_opened();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CASE_OPENED;
      item.occur_time = DayStart(e.referral_date(), event, &item.date_only);
      item.summary = absl::StrCat("Referral received (source ", e.referral_source(),
                                  e.primary_need_code().empty()
                                      ? ""
                                      : absl::StrCat(", primary need ", e.primary_need_code()),
                                  "); case opened for team ", e.team(), ", lead social worker ",
                                  e.lead_social_worker(), ".");
      break;
    }
    case ev::EventEnvelope::kCaseStateChanged:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CASE_STATE_CHANGED;
      item.summary =
          absl::StrCat("Case moved from ", Words(event.case_state_changed().from_state()), " to ",
                       Words(event.case_state_changed().to_state()), ".");
      break;
    case ev::EventEnvelope::kCaseClosed:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CASE_CLOSED;
      item.occur_time = DayStart(event.case_closed().closure_date(), event, &item.date_only);
      item.summary =
          absl::StrCat("Case closed (reason ", event.case_closed().reason_for_closure(), ").");
      break;
    case ev::EventEnvelope::kCaseReopened:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CASE_REOPENED;
      item.occur_time = DayStart(event.case_reopened().referral_date(), event, &item.date_only);
      item.summary = absl::StrCat("Re-referral (source ", event.case_reopened().referral_source(),
                                  "); case reopened, re-referral number ",
                                  event.case_reopened().re_referral_count(), ".");
      break;
    case ev::EventEnvelope::kCaseTeamChanged:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CASE_TEAM_CHANGED;
      item.summary = absl::StrCat("Case moved from team ", event.case_team_changed().from_team(),
                                  " to team ", event.case_team_changed().to_team(), ".");
      break;
    case ev::EventEnvelope::kAllocationStarted:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_STARTED;
      item.summary = absl::StrCat(event.allocation_started().practitioner(), " allocated as ",
                                  Words(event.allocation_started().role()), ".");
      break;
    case ev::EventEnvelope::kAllocationEnded:
      item.kind = v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_ENDED;
      item.summary = absl::StrCat(event.allocation_ended().practitioner(), " (",
                                  Words(event.allocation_ended().role()), ") no longer allocated",
                                  event.allocation_ended().reason().empty()
                                      ? ""
                                      : absl::StrCat(": ", event.allocation_ended().reason()),
                                  ".");
      break;
    case ev::EventEnvelope::kChildProtectionPlanStarted: {
      const auto& e = event.child_protection_plan_started();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_STARTED;
      item.occur_time = DayStart(e.start_date(), event, &item.date_only);
      item.person_id = PersonId(e.person());
      item.summary =
          absl::StrCat("Child protection plan started (category ", e.initial_category_of_abuse(),
                       "; previous plans ", e.number_of_previous_plans(), ").");
      break;
    }
    case ev::EventEnvelope::kChildProtectionPlanEnded: {
      const auto& e = event.child_protection_plan_ended();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_ENDED;
      item.occur_time = DayStart(e.end_date(), event, &item.date_only);
      item.person_id = PersonId(e.person());
      item.summary = absl::StrCat("Child protection plan ended (started ", e.start_date(),
                                  "; latest category ", e.latest_category_of_abuse(), ").");
      break;
    }
    case ev::EventEnvelope::kLookedAfterEpisodeStarted: {
      const auto& e = event.looked_after_episode_started();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_LOOKED_AFTER_EPISODE_STARTED;
      item.occur_time = DayStart(e.start_date(), event, &item.date_only);
      item.person_id = PersonId(e.person());
      item.summary = absl::StrCat("Became looked after (legal status ", e.legal_status(), ").");
      break;
    }
    case ev::EventEnvelope::kLookedAfterEpisodeEnded: {
      const auto& e = event.looked_after_episode_ended();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_LOOKED_AFTER_EPISODE_ENDED;
      item.occur_time = DayStart(e.end_date(), event, &item.date_only);
      item.person_id = PersonId(e.person());
      item.summary = absl::StrCat("Looked-after episode ended (reason ", e.reason_ended(), ").");
      break;
    }
    case ev::EventEnvelope::kGcsHeld: {
      const auto& e = event.gcs_held();
      item.kind = v1::CHRONOLOGY_ITEM_KIND_GCS_HELD;
      if (e.has_held_time()) item.occur_time = absl::FromUnixSeconds(e.held_time().seconds());
      item.summary = absl::StrCat(
          "Group Case Supervision held", e.on_time() ? "" : " (late)", ", chaired by ", e.chair(),
          e.risk_rating().empty() ? "" : absl::StrCat("; joint risk rating ", e.risk_rating()),
          "; ", e.actions(), e.actions() == 1 ? " action" : " actions",
          e.next_due_date().empty() ? "" : absl::StrCat("; next due ", e.next_due_date()),
          e.attended().empty() ? ""
                               : absl::StrCat("; attended: ", absl::StrJoin(e.attended(), ", ")),
          ".");
      break;
    }
    default:
      return std::nullopt;
  }
  return item;
}

std::string RenderChronologyHtml(const ChronologyDocument& document) {
  auto when = [](const v1::ChronologyItem& item) {
    absl::Time t = absl::FromUnixSeconds(item.occur_time().seconds());
    return absl::FormatTime(item.date_only() ? "%d %b %Y" : "%d %b %Y %H:%M", t, EnglandZone());
  };
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Chronology ",
      HtmlEscape(document.subject),
      "</title>\n<style>\n"
      "body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;margin:2em;color:#000}\n"
      "h1{font-size:16pt;margin:0 0 .3em}\n"
      ".marking{font-weight:bold;letter-spacing:.05em}\n"
      "table{border-collapse:collapse;width:100%}\n"
      "th,td{border:1px solid #555;padding:4px 6px;vertical-align:top;text-align:left}\n"
      "th{background:#eee}\n"
      "td.text{white-space:pre-wrap}\n"
      "thead{display:table-header-group}\n"
      "tr{page-break-inside:avoid}\n"
      "@page{size:A4;margin:15mm}\n"
      "@media print{body{margin:0}}\n"
      "</style>\n</head>\n<body>\n"
      "<p class=\"marking\">OFFICIAL-SENSITIVE: personal data of children and families. Do not "
      "copy or share beyond those with a need to know.</p>\n"
      "<h1>Chronology: ",
      HtmlEscape(document.subject), "</h1>\n<p>Produced ",
      absl::FormatTime("%d %b %Y %H:%M", document.generated_at, EnglandZone()), " by ",
      HtmlEscape(document.generated_by), ". ", document.items.size(), " item",
      document.items.size() == 1 ? "" : "s", ".",
      document.filters.empty() ? "" : absl::StrCat(" Filters: ", HtmlEscape(document.filters), "."),
      "</p>\n<table>\n<thead><tr><th>Date</th><th>What</th><th>About</th><th>Recorded by</th>"
      "<th>Detail</th></tr></thead>\n<tbody>\n");
  for (const auto& item : document.items) {
    std::string what = item.kind() == v1::CHRONOLOGY_ITEM_KIND_ENTRY
                           ? Words(KindName(item.entry_kind()))
                           : Words(ChronologyKindName(item.kind()));
    std::string about;
    for (const auto& person : item.people()) {
      if (!about.empty()) about += ", ";
      about += PersonId(person).empty() ? person : absl::StrCat("person ", PersonId(person));
    }
    if (about.empty()) about = "family";
    absl::StrAppend(
        &html, "<tr><td>", HtmlEscape(when(item)), "</td><td>", HtmlEscape(what), "</td><td>",
        HtmlEscape(about), "</td><td>", HtmlEscape(item.recorded_by()), "</td><td class=\"text\">",
        item.title().empty() ? ""
                             : absl::StrCat("<strong>", HtmlEscape(item.title()), "</strong>\n"),
        HtmlEscape(item.text()), "</td></tr>\n");
  }
  absl::StrAppend(&html, "</tbody>\n</table>\n</body>\n</html>\n");
  return html;
}

}  // namespace fs::workbook
