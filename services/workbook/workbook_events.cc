#include "services/workbook/workbook_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/events.h"
#include "common/idempotency.h"
#include "common/status.h"
#include "services/workbook/chronology.h"
#include "services/workbook/entry_rules.h"
#include "services/workbook/workbook_store.h"

namespace fs::workbook {
namespace {

std::string CaseOf(const std::string& name) {
  // "cases/{case}/..." -> "cases/{case}"
  auto second = name.find('/', std::string("cases/").size());
  return second == std::string::npos ? name : name.substr(0, second);
}

}  // namespace

absl::Status ApplyCaseEvent(pqxx::work& tx, const ev::EventEnvelope& event) {
  auto parsed = EventCaseId(event);
  if (!parsed.ok()) return parsed.status();
  const std::string& case_id = *parsed;
  if (event.payload_case() == ev::EventEnvelope::kCaseOpened) {
    WorkbookStore::InsertCase(tx, case_id, event.case_opened().team());
  } else if (!WorkbookStore::FindCase(tx, case_id, true)) {
    if (event.payload_case() == ev::EventEnvelope::kGcsHeld) {
      // Another producer's event may arrive before case_records' CaseOpened: try again later
      // rather than parking the case.
      return absl::AbortedError(
          absl::StrCat(event.case_(), " is not known here yet (waiting for case_records)"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat(event.case_(), " was never opened here (no CaseOpened received)"));
  }
  switch (event.payload_case()) {
    case ev::EventEnvelope::kCaseOpened:
      break;
    case ev::EventEnvelope::kCaseStateChanged:
      WorkbookStore::SetCaseState(tx, case_id, event.case_state_changed().to_state());
      break;
    case ev::EventEnvelope::kCaseClosed:
      WorkbookStore::SetCaseState(tx, case_id, "CLOSED");
      break;
    case ev::EventEnvelope::kCaseReopened:
      WorkbookStore::SetCaseState(tx, case_id, "REFERRAL");
      break;
    case ev::EventEnvelope::kCaseTeamChanged:
      WorkbookStore::SetCaseTeam(tx, case_id, event.case_team_changed().to_team());
      break;
    case ev::EventEnvelope::kAllocationStarted: {
      const auto& a = event.allocation_started();
      if (a.allocation().empty() || a.practitioner().empty() || a.role().empty()) {
        return absl::InvalidArgumentError(
            "AllocationStarted without allocation, practitioner "
            "or role");
      }
      WorkbookStore::StartAllocation(tx, LastSegment(a.allocation()), case_id, a.practitioner(),
                                     a.role());
      break;
    }
    case ev::EventEnvelope::kAllocationEnded:
      WorkbookStore::EndAllocation(tx, LastSegment(event.allocation_ended().allocation()));
      break;
    case ev::EventEnvelope::kPersonAdded:
    case ev::EventEnvelope::kPersonUpdated: {
      const auto& person = event.payload_case() == ev::EventEnvelope::kPersonAdded
                               ? event.person_added().person()
                               : event.person_updated().person();
      if (person.kind() != "CHILD" && person.kind() != "ADULT") {
        return absl::InvalidArgumentError(
            absl::StrCat("person kind ", Quote(person.kind()), " is neither CHILD nor ADULT"));
      }
      WorkbookStore::UpsertPerson(tx, case_id, LastSegment(person.person()), person.kind());
      break;
    }
    case ev::EventEnvelope::kChildProtectionPlanStarted:
    case ev::EventEnvelope::kChildProtectionPlanEnded:
    case ev::EventEnvelope::kLookedAfterEpisodeStarted:
    case ev::EventEnvelope::kLookedAfterEpisodeEnded:
    case ev::EventEnvelope::kGcsHeld:
      break;  // history only
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("the workbook does not take events of type ", Quote(event.type())));
  }
  if (auto item = HistoryItemFor(event)) {
    WorkbookStore::InsertHistory(tx, case_id, event.event_id(), *item);
  }
  return absl::OkStatus();
}

void PublishEntryFinalised(pqxx::work& tx, const v1::Entry& entry) {
  ev::EventEnvelope envelope;
  auto* e = envelope.mutable_entry_finalised();
  e->set_entry(entry.name());
  e->set_revision(entry.revision());
  e->set_kind(KindName(entry.kind()));
  e->set_visibility(VisibilityName(entry.visibility()));
  e->set_author(entry.author());
  *e->mutable_occur_time() = entry.occur_time();
  e->set_module(entry.module());
  *e->mutable_subjects() = entry.subjects();
  AppendEvent(tx, kProducer, CaseOf(entry.name()), envelope);
  if (entry.kind() == v1::ENTRY_KIND_MODULE_SESSION) {
    ev::EventEnvelope session;
    auto* s = session.mutable_module_session_recorded();
    s->set_entry(entry.name());
    s->set_revision(entry.revision());
    s->set_module(entry.module());
    *s->mutable_occur_time() = entry.occur_time();
    *s->mutable_people() = entry.subjects();
    AppendEvent(tx, kProducer, CaseOf(entry.name()), session);
  }
}

void PublishEntrySignedOff(pqxx::work& tx, const v1::Entry& entry) {
  ev::EventEnvelope envelope;
  auto* e = envelope.mutable_entry_signed_off();
  e->set_entry(entry.name());
  e->set_revision(entry.revision());
  e->set_signed_off_by(entry.signed_off_by());
  AppendEvent(tx, kProducer, CaseOf(entry.name()), envelope);
}

void PublishAssessmentSignedOff(pqxx::work& tx, const v1::ParentingAssessment& assessment) {
  ev::EventEnvelope envelope;
  auto* e = envelope.mutable_parenting_assessment_signed_off();
  e->set_assessment(assessment.name());
  e->set_revision(assessment.revision());
  e->set_person(assessment.person());
  e->set_assessor(assessment.assessor());
  e->set_signed_off_by(assessment.signed_off_by());
  for (const auto& work : assessment.modules()) e->add_modules_attended(work.module());
  AppendEvent(tx, kProducer, CaseOf(assessment.name()), envelope);
}

}  // namespace fs::workbook
