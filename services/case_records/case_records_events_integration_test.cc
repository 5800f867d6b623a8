// case_records publishes every change other services need, in the same transaction as the
// change: the outbox rows of a case, their order and their payloads.
#include "absl/strings/escaping.h"
#include "common/events.h"
#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

class CaseRecordsEventsTest : public CaseRecordsTest {
 protected:
  // The case's outbox events in sequence order.
  std::vector<ev::EventEnvelope> Outbox(const std::string& case_name) {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    std::vector<ev::EventEnvelope> events;
    int64_t expected = 1;
    for (const auto& row : tx.exec_params(
             "SELECT sequence, type, encode(envelope, 'hex') FROM case_records.outbox WHERE "
             "case_key = $1 ORDER BY sequence",
             case_name)) {
      EXPECT_EQ(row[0].as<int64_t>(), expected++) << "sequences have a gap";
      ev::EventEnvelope envelope;
      EXPECT_TRUE(envelope.ParseFromString(absl::HexStringToBytes(row[2].as<std::string>())));
      EXPECT_EQ(envelope.type(), row[1].as<std::string>());
      events.push_back(std::move(envelope));
    }
    return events;
  }

  static std::vector<std::string> Types(const std::vector<ev::EventEnvelope>& events) {
    std::vector<std::string> types;
    for (const auto& e : events)
      types.push_back(e.type().substr(std::string("fs.events.v1.").size()));
    return types;
  }
};

TEST_F(CaseRecordsEventsTest, TheLifeOfACaseIsPublishedInOrder) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::CreatePersonResponse adult;
  v1::Person mother = Adult("Anna", "O'Brien");
  mother.add_assessment_factors("3B");
  mother.add_assessment_factors("4B");
  ASSERT_TRUE(CreatePerson(kLead, c.name(), mother, &adult).ok());
  v1::Allocation support;
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER, &support)
                  .ok());
  v1::Case assessed;
  ASSERT_TRUE(ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_ASSESSMENT, &assessed).ok());
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());
  ASSERT_TRUE(EndPlan(kLead, plan.name(), "2026-11-01").ok());
  ASSERT_TRUE(EndAllocation(kLead, support.name()).ok());
  v1::Case closed;
  ASSERT_TRUE(Close(kLead, Fetch(c.name()), "RC1", &closed).ok());
  ASSERT_TRUE(Reopen(kManager, closed, kNewLead.practitioner).ok());

  auto events = Outbox(c.name());
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"CaseOpened", "AllocationStarted", "PersonAdded",
                                      "PersonAdded", "AllocationStarted", "CaseStateChanged",
                                      "ChildProtectionPlanStarted", "ChildProtectionPlanEnded",
                                      "AllocationEnded", "CaseClosed", "AllocationEnded",
                                      "CaseReopened", "AllocationStarted"}));
  for (const auto& e : events) {
    EXPECT_EQ(e.case_(), c.name());
    EXPECT_EQ(e.producer(), "case_records");
    EXPECT_EQ(e.event_id().size(), 36u);
  }
  EXPECT_EQ(events[0].case_opened().lead_social_worker(), kLead.practitioner);
  EXPECT_EQ(events[0].case_opened().team(), "team-a");
  EXPECT_EQ(events[1].allocation_started().role(), "LEAD_SOCIAL_WORKER");
  // People go out without names, with the facts other services need.
  const auto& child_facts = events[2].person_added().person();
  EXPECT_EQ(child_facts.person(), child.name());
  EXPECT_EQ(child_facts.nhs_number(), kNhs1);
  EXPECT_EQ(child_facts.kind(), "CHILD");
  EXPECT_EQ(events[2].SerializeAsString().find("O'Brien"), std::string::npos);
  // Without a name match secret there is no key to match names by (outcomes' intake test checks
  // the key when both services hold one).
  EXPECT_EQ(child_facts.name_match_key(), "");
  EXPECT_EQ(std::vector<std::string>(events[3].person_added().person().assessment_factors().begin(),
                                     events[3].person_added().person().assessment_factors().end()),
            (std::vector<std::string>{"3B", "4B"}));
  EXPECT_EQ(events[5].case_state_changed().from_state(), "REFERRAL");
  EXPECT_EQ(events[5].case_state_changed().to_state(), "ASSESSMENT");
  EXPECT_EQ(events[6].child_protection_plan_started().initial_category_of_abuse(), "NEG");
  EXPECT_EQ(events[7].child_protection_plan_ended().end_date(), "2026-11-01");
  EXPECT_EQ(events[9].case_closed().reason_for_closure(), "RC1");
  EXPECT_EQ(events[10].allocation_ended().role(), "LEAD_SOCIAL_WORKER");
  EXPECT_EQ(events[11].case_reopened().re_referral_count(), 1);
  EXPECT_EQ(events[12].allocation_started().practitioner(), kNewLead.practitioner);
}

TEST_F(CaseRecordsEventsTest, RefusedChangesPublishNothingAndEachCaseCountsAlone) {
  v1::Case first = NewCase();
  v1::Case second = NewCase();
  v1::Person child = NewChild(first);
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01").ok());
  size_t before = Outbox(first.name()).size();
  // Refused: a plan is open; a stale etag; a stranger.
  EXPECT_FALSE(Close(kLead, Fetch(first.name()), "RC1").ok());
  EXPECT_FALSE(ChangeState(kLead, first.name(), "v0", v1::CASE_STATE_ASSESSMENT).ok());
  EXPECT_FALSE(
      ChangeState(kStranger, first.name(), Fetch(first.name()).etag(), v1::CASE_STATE_ASSESSMENT)
          .ok());
  EXPECT_EQ(Outbox(first.name()).size(), before);
  // The second case has its own sequence from 1.
  auto second_events = Outbox(second.name());
  ASSERT_EQ(second_events.size(), 2u);
  EXPECT_EQ(second_events[0].sequence(), 1);
}

TEST_F(CaseRecordsEventsTest, HandoverPublishesTheEndOfTheOldLeadThenTheNew) {
  v1::Case c = NewCase();
  ASSERT_TRUE(Allocate(kManager, c.name(), kNewLead.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER)
                  .ok());
  auto events = Outbox(c.name());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].allocation_ended().practitioner(), kLead.practitioner);
  EXPECT_NE(events[2].allocation_ended().reason().find(kNewLead.practitioner), std::string::npos);
  EXPECT_EQ(events[3].allocation_started().practitioner(), kNewLead.practitioner);
}

TEST(ParseSubscribersTest, ReadsNamesTargetsAndTypes) {
  auto parsed = ParseSubscribers(
      "outcomes@127.0.0.1:50054=CaseOpened+fs.events.v1.CaseClosed, workbook@localhost:50052");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "outcomes");
  EXPECT_EQ((*parsed)[0].target, "127.0.0.1:50054");
  EXPECT_EQ((*parsed)[0].types,
            (std::vector<std::string>{"fs.events.v1.CaseOpened", "fs.events.v1.CaseClosed"}));
  EXPECT_TRUE((*parsed)[1].types.empty());
  EXPECT_TRUE(ParseSubscribers("")->empty());
  for (const char* bad : {"outcomes", "@host:1", "outcomes@host", "outcomes@h:1=NoSuchEvent",
                          "out\"comes@h:1", "outcomes@h:1=PersonFacts"}) {
    EXPECT_EQ(ParseSubscribers(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(CaseRecordsEventsTest, AMoveBetweenTeamsIsPublishedOnlyWhenTheTeamChanges) {
  v1::Case c = NewCase();
  As both{"tm-ab", "team_manager", "team-a,team-b", ""};
  v1::UpdateCaseRequest move;
  move.mutable_case_()->set_name(c.name());
  move.mutable_case_()->set_etag(c.etag());
  move.mutable_case_()->set_team("team-b");
  move.mutable_update_mask()->add_paths("team");
  v1::Case moved;
  ASSERT_TRUE(cases_->UpdateCase(ContextFor(both).get(), move, &moved).ok());
  // The same team again: no change, no event.
  move.mutable_case_()->set_etag(moved.etag());
  ASSERT_TRUE(cases_->UpdateCase(ContextFor(both).get(), move, &moved).ok());
  auto events = Outbox(c.name());
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"CaseOpened", "AllocationStarted", "CaseTeamChanged"}));
  EXPECT_EQ(events.back().case_team_changed().from_team(), "team-a");
  EXPECT_EQ(events.back().case_team_changed().to_team(), "team-b");
}

}  // namespace
}  // namespace fs::cases
