#include "services/case_records/case_events.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/name_match.h"
#include "common/timestamps.h"
#include "services/case_records/case_store.h"

namespace fs::cases {
namespace {

ev::PersonFacts Facts(const v1::Person& person, const std::string& match_secret) {
  ev::PersonFacts facts;
  facts.set_person(person.name());
  facts.set_kind(person.kind() == v1::PERSON_KIND_CHILD ? "CHILD" : "ADULT");
  facts.set_nhs_number(person.nhs_number());
  facts.set_birth_date(person.birth_date());
  facts.set_expected_birth_date(person.expected_birth_date());
  *facts.mutable_assessment_factors() = person.assessment_factors();
  if (auto born = ParseDate(person.birth_date(), "birth_date"); born.ok()) {
    facts.set_name_match_key(
        NameMatchKey(match_secret, person.given_name(), person.family_name(), *born));
  }
  return facts;
}

}  // namespace

void Publish(pqxx::work& tx, const std::string& resource, ev::EventEnvelope envelope) {
  // "cases/{case}" is the first two segments of every case-records resource name.
  std::string case_name = resource.substr(0, resource.find('/', std::string("cases/").size()));
  AppendEvent(tx, kProducer, case_name, std::move(envelope));
}

ev::EventEnvelope CaseOpenedEvent(const v1::Case& c) {
  ev::EventEnvelope e;
  auto* opened = e.mutable_case_opened();
  opened->set_team(c.team());
  opened->set_referral_date(c.referral_date());
  opened->set_referral_source(c.referral_source());
  opened->set_primary_need_code(c.primary_need_code());
  opened->set_lead_social_worker(c.lead_social_worker());
  return e;
}

ev::EventEnvelope CaseStateChangedEvent(const std::string& from, const std::string& to) {
  ev::EventEnvelope e;
  e.mutable_case_state_changed()->set_from_state(from);
  e.mutable_case_state_changed()->set_to_state(to);
  return e;
}

ev::EventEnvelope CaseTeamChangedEvent(const std::string& from, const std::string& to) {
  ev::EventEnvelope e;
  e.mutable_case_team_changed()->set_from_team(from);
  e.mutable_case_team_changed()->set_to_team(to);
  return e;
}

ev::EventEnvelope CaseClosedEvent(const v1::Case& closed) {
  ev::EventEnvelope e;
  e.mutable_case_closed()->set_closure_date(closed.closure_date());
  e.mutable_case_closed()->set_reason_for_closure(closed.reason_for_closure());
  return e;
}

ev::EventEnvelope CaseReopenedEvent(const v1::Case& reopened) {
  ev::EventEnvelope e;
  e.mutable_case_reopened()->set_referral_date(reopened.referral_date());
  e.mutable_case_reopened()->set_referral_source(reopened.referral_source());
  e.mutable_case_reopened()->set_re_referral_count(reopened.re_referral_count());
  return e;
}

ev::EventEnvelope PersonAddedEvent(const v1::Person& person, const std::string& match_secret) {
  ev::EventEnvelope e;
  *e.mutable_person_added()->mutable_person() = Facts(person, match_secret);
  return e;
}

ev::EventEnvelope PersonUpdatedEvent(const v1::Person& person, const std::string& match_secret) {
  ev::EventEnvelope e;
  *e.mutable_person_updated()->mutable_person() = Facts(person, match_secret);
  return e;
}

ev::EventEnvelope AllocationStartedEvent(const v1::Allocation& allocation) {
  ev::EventEnvelope e;
  auto* started = e.mutable_allocation_started();
  started->set_allocation(allocation.name());
  started->set_practitioner(allocation.practitioner());
  started->set_role(RoleText(allocation.role()));
  started->set_team(allocation.team());
  return e;
}

ev::EventEnvelope AllocationEndedEvent(const v1::Allocation& allocation) {
  ev::EventEnvelope e;
  auto* ended = e.mutable_allocation_ended();
  ended->set_allocation(allocation.name());
  ended->set_practitioner(allocation.practitioner());
  ended->set_role(RoleText(allocation.role()));
  ended->set_team(allocation.team());
  ended->set_reason(allocation.end_reason());
  return e;
}

ev::EventEnvelope PlanStartedEvent(const std::string& person, const v1::ChildProtectionPlan& plan) {
  ev::EventEnvelope e;
  auto* started = e.mutable_child_protection_plan_started();
  started->set_plan(plan.name());
  started->set_person(person);
  started->set_start_date(plan.start_date());
  started->set_initial_category_of_abuse(plan.initial_category_of_abuse());
  started->set_number_of_previous_plans(plan.number_of_previous_plans());
  return e;
}

ev::EventEnvelope PlanEndedEvent(const std::string& person, const v1::ChildProtectionPlan& plan) {
  ev::EventEnvelope e;
  auto* ended = e.mutable_child_protection_plan_ended();
  ended->set_plan(plan.name());
  ended->set_person(person);
  ended->set_start_date(plan.start_date());
  ended->set_end_date(plan.end_date());
  ended->set_latest_category_of_abuse(plan.latest_category_of_abuse());
  return e;
}

ev::EventEnvelope EpisodeStartedEvent(const std::string& person,
                                      const v1::LookedAfterEpisode& episode) {
  ev::EventEnvelope e;
  auto* started = e.mutable_looked_after_episode_started();
  started->set_episode(episode.name());
  started->set_person(person);
  started->set_start_date(episode.start_date());
  started->set_legal_status(episode.legal_status());
  return e;
}

ev::EventEnvelope EpisodeEndedEvent(const std::string& person,
                                    const v1::LookedAfterEpisode& episode) {
  ev::EventEnvelope e;
  auto* ended = e.mutable_looked_after_episode_ended();
  ended->set_episode(episode.name());
  ended->set_person(person);
  ended->set_start_date(episode.start_date());
  ended->set_end_date(episode.end_date());
  ended->set_reason_ended(episode.reason_ended());
  return e;
}

absl::Status ApplyOutcomesEvent(pqxx::work& tx, const ev::EventEnvelope& event) {
  auto case_id = EventCaseId(event);
  if (!case_id.ok()) return case_id.status();
  if (event.payload_case() != ev::EventEnvelope::kPartnerIncidentMatched) {
    return absl::OkStatus();  // nothing else from outcomes changes case records
  }
  const auto& matched = event.partner_incident_matched();
  std::string prefix = absl::StrCat(event.case_(), "/people/");
  if (!absl::StartsWith(matched.person(), prefix) || matched.person().size() == prefix.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PartnerIncidentMatched person is not of ", event.case_()));
  }
  std::string person_id = matched.person().substr(prefix.size());
  if (!CaseStore::FindPerson(tx, *case_id, person_id, false)) {
    return absl::FailedPreconditionError(absl::StrCat(matched.person(), " is not on the case"));
  }
  CaseStore::LockCaseShared(tx, *case_id);
  auto lead = CaseStore::ActiveLead(tx, *case_id);
  if (!lead) {
    // Closed since outcomes matched it: nobody to alert here, so the front door must act.
    ev::EventEnvelope unrouted;
    auto* u = unrouted.mutable_partner_incident_unrouted();
    u->set_incident(matched.incident());
    u->set_person(matched.person());
    u->set_reason("the case has no lead worker (closed)");
    Publish(tx, event.case_(), std::move(unrouted));
    return absl::OkStatus();
  }
  absl::TimeZone london = EnglandZone();
  auto when = [&](const google::protobuf::Timestamp& t) {
    return absl::FormatTime("%Y-%m-%d %H:%M", FromTimestamp(t), london);
  };
  CaseStore::InsertAlert(
      tx, lead->practitioner(), *case_id, person_id,
      absl::StrCat("Police (", matched.force(), ") reported a domestic abuse incident on ",
                   when(matched.incident_time()), ", reference ", matched.police_reference(),
                   matched.child_present() ? "; the child was present" : "", ". Act by ",
                   when(matched.respond_by()), ". Report: ", matched.incident(), " in outcomes.",
                   matched.matched_by() == "NAME_AND_BIRTH_DATE"
                       ? " Matched by name and birth date only: check it is this child."
                       : ""));
  return absl::OkStatus();
}

}  // namespace fs::cases
