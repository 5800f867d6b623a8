#pragma once

#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "fs/cases/v1/case_records.pb.h"
#include "fs/events/v1/events.pb.h"

// The events case_records publishes (fs.events.v1), built from the records just written and
// appended to the outbox in the same transaction.
namespace fs::cases {

namespace ev = ::fs::events::v1;

inline constexpr char kProducer[] = "case_records";

// Appends to the outbox of the case that `resource` belongs to ("cases/{case}/...").
void Publish(pqxx::work& tx, const std::string& resource, ev::EventEnvelope envelope);

ev::EventEnvelope CaseOpenedEvent(const v1::Case& c);
ev::EventEnvelope CaseStateChangedEvent(const std::string& from, const std::string& to);
ev::EventEnvelope CaseTeamChangedEvent(const std::string& from, const std::string& to);
ev::EventEnvelope CaseClosedEvent(const v1::Case& closed);
ev::EventEnvelope CaseReopenedEvent(const v1::Case& reopened);
// `match_secret` keys the person's name match key (none when empty).
ev::EventEnvelope PersonAddedEvent(const v1::Person& person, const std::string& match_secret);
ev::EventEnvelope PersonUpdatedEvent(const v1::Person& person, const std::string& match_secret);
ev::EventEnvelope AllocationStartedEvent(const v1::Allocation& allocation);
ev::EventEnvelope AllocationEndedEvent(const v1::Allocation& allocation);
ev::EventEnvelope PlanStartedEvent(const std::string& person, const v1::ChildProtectionPlan& plan);
ev::EventEnvelope PlanEndedEvent(const std::string& person, const v1::ChildProtectionPlan& plan);
ev::EventEnvelope EpisodeStartedEvent(const std::string& person,
                                      const v1::LookedAfterEpisode& episode);
ev::EventEnvelope EpisodeEndedEvent(const std::string& person,
                                    const v1::LookedAfterEpisode& episode);

// The EventSink handler for outcomes' events: a police incident naming a person of a case alerts
// the case's lead worker. FAILED_PRECONDITION when the person is not on the case.
absl::Status ApplyOutcomesEvent(pqxx::work& tx, const ev::EventEnvelope& event);

}  // namespace fs::cases
