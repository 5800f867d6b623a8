// GcsHeld reaching the workbook: case_records, supervision and the workbook in-process, each on
// its own real PostgreSQL database, wired by the real outbox relays as `make run` wires them
// (case_records -> supervision and workbook; supervision -> workbook). A GCS recorded in
// supervision appears in the family's chronology.
#include "fs/workbook/v1/workbook.grpc.pb.h"
#include "services/supervision/supervision_integration_fixture.h"
#include "services/workbook/workbook_definition.h"

namespace fs::supervision {
namespace {

namespace wv1 = ::fs::workbook::v1;
using ::testing::HasSubstr;

OutboxRelay::Options From(const std::string& producer) {
  OutboxRelay::Options options;
  options.producer = producer;
  return options;
}

class SupervisionToWorkbookTest : public SupervisionTest {
 protected:
  SupervisionToWorkbookTest()
      : workbook_server_(::fs::workbook::WorkbookDefinition()),
        workbook_(wv1::WorkbookService::NewStub(workbook_server_.channel())) {
    cases_to_workbook_ = std::make_unique<OutboxRelay>(
        server_.pool(), Subscriber{"workbook", "in-process", {}}, workbook_server_.channel(),
        From("case_records"), nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/case_records");
        });
    supervision_to_workbook_ = std::make_unique<OutboxRelay>(
        supervision_server_.pool(), Subscriber{"workbook", "in-process", {}},
        workbook_server_.channel(), From("supervision"), nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/supervision");
        });
  }

  // Delivers what `relay` has waiting; the number of events delivered.
  static int Drain(OutboxRelay& relay) {
    int total = 0;
    for (int i = 0; i < 100; ++i) {
      auto delivered = relay.DeliverOnce();
      EXPECT_TRUE(delivered.ok()) << delivered.status();
      if (!delivered.ok() || *delivered == 0) break;
      total += *delivered;
    }
    return total;
  }

  std::vector<wv1::ChronologyItem> GcsItems(const cv1::Case& c) {
    wv1::GetChronologyRequest request;
    request.set_parent(c.name());
    request.add_kinds(wv1::CHRONOLOGY_ITEM_KIND_GCS_HELD);
    wv1::Chronology chronology;
    auto s = workbook_->GetChronology(ContextFor(kLead).get(), request, &chronology);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {chronology.items().begin(), chronology.items().end()};
  }

  TestServer workbook_server_;
  std::unique_ptr<wv1::WorkbookService::Stub> workbook_;
  std::unique_ptr<OutboxRelay> cases_to_workbook_;
  std::unique_ptr<OutboxRelay> supervision_to_workbook_;
};

TEST_F(SupervisionToWorkbookTest, AHeldGcsAppearsOnceInTheFamilysChronology) {
  cv1::Case c = NewFamily();  // delivered to supervision
  sv1::TeamChairs chairs;
  ASSERT_TRUE(SetChairs(kManager, "tm-a", &chairs).ok());
  sv1::PlanSessionsResponse plan;
  ASSERT_TRUE(Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan).ok());
  ASSERT_EQ(plan.sessions_size(), 1);
  sv1::ConfirmSessionRequest confirm;
  confirm.set_name(plan.sessions(0).name());
  confirm.set_etag(plan.sessions(0).etag());
  sv1::Session confirmed;
  ASSERT_TRUE(supervision_->ConfirmSession(ContextFor(kManager).get(), confirm, &confirmed).ok());
  absl::Time start = absl::FromUnixSeconds(confirmed.start_time().seconds());
  clock_offset_seconds = absl::ToInt64Seconds(start - absl::Now()) + 1800;

  sv1::RecordSessionRequest record;
  record.set_name(confirmed.name());
  record.set_etag(confirmed.etag());
  for (const char* who : {"tm-a", "sw-lead", "dav-1"}) record.add_attended(who);
  auto* entry = record.add_records();
  entry->set_case_(c.name());
  entry->mutable_record()->set_risk_rating("AMBER");
  entry->mutable_record()->set_summary("Safety plan holding; contact to stay supervised.");
  for (const char* what : {"Review the safety plan with the school", "Book the next MI session"}) {
    auto* action = entry->mutable_record()->add_actions();
    action->set_description(what);
    action->set_owner("dav-1");
    action->set_due_date("2027-01-15");
  }
  sv1::Session held;
  auto s = supervision_->RecordSession(ContextFor(kManager).get(), record, &held);
  ASSERT_TRUE(s.ok()) << Describe(s);

  // Supervision's event may arrive before the workbook knows the case: it waits, and is not
  // parked.
  Drain(*supervision_to_workbook_);
  auto waiting = supervision_to_workbook_->Depth();
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(*waiting, 1);
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.outbox_progress WHERE "
                             "rejected_event IS NOT NULL"),
            0);

  // Once case_records' events are in, it applies.
  EXPECT_GT(Drain(*cases_to_workbook_), 0);
  EXPECT_EQ(Drain(*supervision_to_workbook_), 1);
  auto items = GcsItems(c);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].occur_time().seconds(), held.cases(0).start_time().seconds());
  EXPECT_THAT(items[0].text(), HasSubstr("chaired by tm-a"));
  EXPECT_THAT(items[0].text(), HasSubstr("joint risk rating AMBER"));
  EXPECT_THAT(items[0].text(), HasSubstr("2 actions"));
  EXPECT_THAT(items[0].text(), HasSubstr(held.cases(0).record().next_due_date()));
  EXPECT_THAT(items[0].text(), HasSubstr("attended: "));
  // The summary's words stay in supervision: only the facts travel.
  EXPECT_THAT(items[0].text(), ::testing::Not(HasSubstr("Safety plan holding")));

  // Delivered again (a producer restart), it is not shown twice.
  EXPECT_EQ(Drain(*supervision_to_workbook_), 0);
  EXPECT_EQ(GcsItems(c).size(), 1u);
}

}  // namespace
}  // namespace fs::supervision
