#include "services/outcomes/outcomes_events.h"

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/idempotency.h"
#include "common/resource_name.h"
#include "common/timestamps.h"
#include "services/outcomes/outcomes_store.h"

namespace fs::outcomes {
namespace {

// Every field present.
absl::Status Required(absl::string_view what, std::initializer_list<const std::string*> fields) {
  for (const std::string* f : fields) {
    if (f->empty()) return absl::InvalidArgumentError(absl::StrCat(what, " lacks a field"));
  }
  return absl::OkStatus();
}

// Dates given are valid ISO dates: a bad date would otherwise fail in SQL and be retried for
// ever instead of parking the case.
absl::Status Dates(absl::string_view what, std::initializer_list<const std::string*> dates) {
  for (const std::string* d : dates) {
    if (d->empty()) continue;
    if (auto parsed = ParseDate(*d, what); !parsed.ok()) return parsed.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyEvent(pqxx::work& tx, const ev::EventEnvelope& event) {
  auto parsed = EventCaseId(event);
  if (!parsed.ok()) return parsed.status();
  const std::string& case_id = *parsed;
  absl::Time when = FromTimestamp(event.occurred_time());
  switch (event.payload_case()) {
    // From the workbook and supervision: kept by case id.
    case ev::EventEnvelope::kModuleSessionRecorded: {
      const auto& m = event.module_session_recorded();
      if (auto s = Required("ModuleSessionRecorded", {&m.entry()}); !s.ok()) return s;
      OutcomesStore::UpsertModuleSession(tx, m.entry(), case_id, m.module(),
                                         FromTimestamp(m.occur_time()), m.revision());
      return absl::OkStatus();
    }
    case ev::EventEnvelope::kEntryFinalised: {
      const auto& e = event.entry_finalised();
      if (e.kind() != "MODULE_SESSION")
        OutcomesStore::RemoveModuleSession(tx, e.entry(), e.revision());
      return absl::OkStatus();
    }
    case ev::EventEnvelope::kGcsHeld: {
      const auto& g = event.gcs_held();
      if (auto s = Required("GcsHeld", {&g.session()}); !s.ok()) return s;
      OutcomesStore::InsertGcsHeld(tx, case_id, g.session(), FromTimestamp(g.held_time()),
                                   g.on_time());
      return absl::OkStatus();
    }
    case ev::EventEnvelope::kCaseOpened: {
      const auto& o = event.case_opened();
      if (auto s = Required("CaseOpened", {&o.team(), &o.referral_date()}); !s.ok()) return s;
      if (auto s = Dates("CaseOpened", {&o.referral_date()}); !s.ok()) return s;
      OutcomesStore::OpenCase(tx, case_id, o.team(), o.referral_date(), when);
      return absl::OkStatus();
    }
    case ev::EventEnvelope::kCaseStateChanged:
    case ev::EventEnvelope::kCaseTeamChanged:
    case ev::EventEnvelope::kCaseClosed:
    case ev::EventEnvelope::kCaseReopened:
    case ev::EventEnvelope::kPersonAdded:
    case ev::EventEnvelope::kPersonUpdated:
    case ev::EventEnvelope::kAllocationStarted:
    case ev::EventEnvelope::kAllocationEnded:
    case ev::EventEnvelope::kChildProtectionPlanStarted:
    case ev::EventEnvelope::kChildProtectionPlanEnded:
    case ev::EventEnvelope::kLookedAfterEpisodeStarted:
    case ev::EventEnvelope::kLookedAfterEpisodeEnded:
    case ev::EventEnvelope::kPartnerIncidentUnrouted:
      break;  // case_records' events: the case must be known (below)
    default:
      // Other producers' events that change no figure (sign-offs, assessments...).
      return absl::OkStatus();
  }
  if (!OutcomesStore::CaseExists(tx, case_id)) {
    return absl::FailedPreconditionError(
        absl::StrCat(event.case_(), " was never opened here (no CaseOpened received)"));
  }
  const std::string* dates[] = {&event.case_closed().closure_date(),
                                &event.case_reopened().referral_date(),
                                &event.person_added().person().birth_date(),
                                &event.person_updated().person().birth_date(),
                                &event.child_protection_plan_started().start_date(),
                                &event.child_protection_plan_ended().start_date(),
                                &event.child_protection_plan_ended().end_date(),
                                &event.looked_after_episode_started().start_date(),
                                &event.looked_after_episode_ended().start_date(),
                                &event.looked_after_episode_ended().end_date()};
  for (const std::string* d : dates) {
    if (auto s = Dates(EventType(event), {d}); !s.ok()) return s;
  }
  switch (event.payload_case()) {
    case ev::EventEnvelope::kCaseTeamChanged:
      OutcomesStore::ChangeTeam(tx, case_id, event.case_team_changed().to_team(), when);
      break;
    case ev::EventEnvelope::kCaseClosed:
      if (event.case_closed().closure_date().empty()) {
        return absl::InvalidArgumentError("CaseClosed without closure_date");
      }
      OutcomesStore::CloseCase(tx, case_id, event.case_closed().closure_date());
      break;
    case ev::EventEnvelope::kCaseReopened:
      if (event.case_reopened().referral_date().empty()) {
        return absl::InvalidArgumentError("CaseReopened without referral_date");
      }
      OutcomesStore::ReopenCase(tx, case_id, event.case_reopened().referral_date());
      break;
    case ev::EventEnvelope::kPersonAdded:
    case ev::EventEnvelope::kPersonUpdated: {
      const auto& facts = event.has_person_added() ? event.person_added().person()
                                                   : event.person_updated().person();
      if (auto s = Required("PersonFacts", {&facts.person(), &facts.kind()}); !s.ok()) return s;
      OutcomesStore::UpsertPerson(tx, case_id, LastSegment(facts.person()), facts);
      break;
    }
    case ev::EventEnvelope::kChildProtectionPlanStarted: {
      const auto& p = event.child_protection_plan_started();
      if (auto s =
              Required("ChildProtectionPlanStarted", {&p.plan(), &p.person(), &p.start_date()});
          !s.ok()) {
        return s;
      }
      OutcomesStore::UpsertPlan(tx, LastSegment(p.plan()), case_id, LastSegment(p.person()),
                                p.start_date(), "");
      break;
    }
    case ev::EventEnvelope::kChildProtectionPlanEnded: {
      const auto& p = event.child_protection_plan_ended();
      if (auto s = Required("ChildProtectionPlanEnded",
                            {&p.plan(), &p.person(), &p.start_date(), &p.end_date()});
          !s.ok()) {
        return s;
      }
      OutcomesStore::UpsertPlan(tx, LastSegment(p.plan()), case_id, LastSegment(p.person()),
                                p.start_date(), p.end_date());
      break;
    }
    case ev::EventEnvelope::kLookedAfterEpisodeStarted: {
      const auto& e = event.looked_after_episode_started();
      if (auto s =
              Required("LookedAfterEpisodeStarted", {&e.episode(), &e.person(), &e.start_date()});
          !s.ok()) {
        return s;
      }
      OutcomesStore::UpsertEpisode(tx, LastSegment(e.episode()), case_id, LastSegment(e.person()),
                                   e.start_date(), "");
      break;
    }
    case ev::EventEnvelope::kLookedAfterEpisodeEnded: {
      const auto& e = event.looked_after_episode_ended();
      if (auto s = Required("LookedAfterEpisodeEnded",
                            {&e.episode(), &e.person(), &e.start_date(), &e.end_date()});
          !s.ok()) {
        return s;
      }
      OutcomesStore::UpsertEpisode(tx, LastSegment(e.episode()), case_id, LastSegment(e.person()),
                                   e.start_date(), e.end_date());
      break;
    }
    case ev::EventEnvelope::kAllocationStarted: {
      const auto& a = event.allocation_started();
      if (auto s = Required("AllocationStarted", {&a.allocation(), &a.practitioner(), &a.role()});
          !s.ok()) {
        return s;
      }
      OutcomesStore::StartAllocation(tx, LastSegment(a.allocation()), case_id, a.practitioner(),
                                     a.role());
      break;
    }
    case ev::EventEnvelope::kAllocationEnded:
      OutcomesStore::EndAllocation(tx, LastSegment(event.allocation_ended().allocation()));
      break;
    case ev::EventEnvelope::kPartnerIncidentUnrouted: {
      std::string incident = LastSegment(event.partner_incident_unrouted().incident());
      if (!IsUuid(incident)) {
        return absl::InvalidArgumentError("PartnerIncidentUnrouted: not an incident of outcomes");
      }
      OutcomesStore::EnsureFrontDoorItem(tx, incident);
      break;
    }
    default:
      // Allocations, state changes and the rest change no figure here.
      break;
  }
  return absl::OkStatus();
}

}  // namespace fs::outcomes
