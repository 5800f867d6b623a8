// The fixture the workbook integration tests share: case_records and the workbook each run
// in-process on a real gRPC port against a throwaway database of their own, and case_records'
// real outbox relay delivers its events to the workbook's EventSink (Sync()). Families are made
// through case_records' API, as in production; nothing is written into the workbook's
// projection by hand.
#pragma once

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>

#include "absl/time/clock.h"
#include "common/events.h"
#include "fs/workbook/v1/workbook.grpc.pb.h"
#include "services/case_records/case_records_integration_fixture.h"
#include "services/workbook/workbook_definition.h"

namespace fs::workbook {

namespace wv1 = ::fs::workbook::v1;
namespace cv1 = ::fs::cases::v1;
using ::fs::cases::Describe;
using ::fs::cases::InvalidNaming;
using ::fs::cases::kLead;
using ::fs::cases::kManager;
using ::fs::cases::kOtherManager;
using ::fs::cases::kStranger;
using ::fs::cases::kSupport;
using ::fs::testing::As;
using ::fs::testing::ContextFor;
using ::fs::testing::TestServer;

// The MDT of team-a's families besides the lead, the manager and the support worker.
inline const As kVictimWorker{"dav-1", "da_victim_worker", "team-a", ""};
inline const As kPerpetratorWorker{"dap-1", "da_perpetrator_worker", "team-a", ""};
inline const As kAssessor{"pa-1", "parenting_assessor", "team-a", ""};
inline const As kRecovery{"rw-1", "recovery_worker", "team-a", ""};
// Not allocated: reads only with a reason.
inline const As kBreakGlass{"sw-edt", "social_worker", "team-edt",
                            "Emergency duty: police at the family home tonight"};

struct Family {
  cv1::Case c;
  std::string child;   // "cases/{case}/people/{person}"
  std::string mother;  // the victim
  std::string father;  // the perpetrator
};

class WorkbookTest : public ::fs::cases::CaseRecordsTest {
 protected:
  WorkbookTest()
      : workbook_server_(WorkbookDefinition()),
        workbook_(wv1::WorkbookService::NewStub(workbook_server_.channel())) {
    OutboxRelay::Options options;
    options.producer = "case_records";
    relay_ = std::make_unique<OutboxRelay>(
        server_.pool(), Subscriber{"workbook", "in-process", {}}, workbook_server_.channel(),
        options, nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/case_records");
        });
  }

  // Delivers everything case_records has published so far.
  void Sync() {
    for (int i = 0; i < 100; ++i) {
      auto delivered = relay_->DeliverOnce();
      ASSERT_TRUE(delivered.ok()) << delivered.status();
      if (*delivered == 0) {
        auto depth = relay_->Depth();
        ASSERT_TRUE(depth.ok());
        ASSERT_EQ(*depth, 0) << "events left undelivered (parked?)";
        return;
      }
    }
    FAIL() << "relay did not drain";
  }

  // A family on team-a: a child, the mother (DA victim) and the father (DA perpetrator), with
  // the lead, a DA victim worker, a DA perpetrator worker, a parenting assessor and a
  // family support worker allocated; delivered to the workbook.
  Family NewFamily() {
    Family family;
    family.c = NewCase();
    family.child = NewChild(family.c).name();
    family.mother = AddPerson(family.c, Adult("Anna", "O'Brien")).person().name();
    family.father = AddPerson(family.c, Adult("Mark", "O'Brien")).person().name();
    for (const auto& [who, role] : std::vector<std::pair<As, cv1::FamilySafeguardingRole>>{
             {kVictimWorker, cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER},
             {kPerpetratorWorker, cv1::FAMILY_SAFEGUARDING_ROLE_DA_PERPETRATOR_WORKER},
             {kAssessor, cv1::FAMILY_SAFEGUARDING_ROLE_PARENTING_ASSESSOR},
             {kSupport, cv1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER}}) {
      auto status = Allocate(kLead, family.c.name(), who.practitioner, role);
      EXPECT_TRUE(status.ok()) << Describe(status);
    }
    Sync();
    return family;
  }

  static google::protobuf::Timestamp HoursAgo(int hours) {
    return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
        absl::ToUnixMicros(absl::Now() - absl::Hours(hours)));
  }

  static wv1::Entry Note(const std::string& title, const std::string& text,
                         wv1::EntryKind kind = wv1::ENTRY_KIND_CASE_NOTE, int hours_ago = 1) {
    wv1::Entry entry;
    entry.set_kind(kind);
    entry.set_title(title);
    entry.set_text(text);
    *entry.mutable_occur_time() = HoursAgo(hours_ago);
    return entry;
  }

  grpc::Status Create(const As& who, const std::string& parent, const wv1::Entry& entry,
                      wv1::Entry* out, const std::string& request_id = "") {
    wv1::CreateEntryRequest request;
    request.set_parent(parent);
    *request.mutable_entry() = entry;
    request.set_request_id(request_id);
    return workbook_->CreateEntry(ContextFor(who).get(), request, out);
  }

  grpc::Status Finalise(const As& who, const wv1::Entry& entry, wv1::Entry* out) {
    wv1::FinaliseEntryRequest request;
    request.set_name(entry.name());
    request.set_etag(entry.etag());
    return workbook_->FinaliseEntry(ContextFor(who).get(), request, out);
  }

  grpc::Status SignOff(const As& who, const wv1::Entry& entry, wv1::Entry* out) {
    wv1::SignOffEntryRequest request;
    request.set_name(entry.name());
    request.set_etag(entry.etag());
    return workbook_->SignOffEntry(ContextFor(who).get(), request, out);
  }

  grpc::Status Get(const As& who, const std::string& name, wv1::Entry* out) {
    wv1::GetEntryRequest request;
    request.set_name(name);
    return workbook_->GetEntry(ContextFor(who).get(), request, out);
  }

  // Creates and finalises (expecting success).
  wv1::Entry Record(const As& who, const std::string& parent, const wv1::Entry& entry) {
    wv1::Entry draft, final_entry;
    auto status = Create(who, parent, entry, &draft);
    EXPECT_TRUE(status.ok()) << Describe(status);
    status = Finalise(who, draft, &final_entry);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return final_entry;
  }

  wv1::ListEntriesResponse List(const As& who, const std::string& parent,
                                grpc::Status* status_out = nullptr) {
    wv1::ListEntriesRequest request;
    request.set_parent(parent);
    request.set_page_size(500);
    wv1::ListEntriesResponse response;
    auto status = workbook_->ListEntries(ContextFor(who).get(), request, &response);
    if (status_out) *status_out = status;
    return response;
  }

  // Rows of the workbook's own database (superuser), for what the API cannot show.
  long long WorkbookCount(const std::string& table, const std::string& where = "true") {
    pqxx::connection conn(workbook_server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM workbook." + table + " WHERE " + where)[0]
        .as<long long>();
  }

  TestServer workbook_server_;
  std::unique_ptr<wv1::WorkbookService::Stub> workbook_;
  std::unique_ptr<OutboxRelay> relay_;
};

}  // namespace fs::workbook
