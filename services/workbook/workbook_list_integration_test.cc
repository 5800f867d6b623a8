// ListEntries over real gRPC on a real PostgreSQL: every filter, the count, the order and the
// page tokens; and ListModules.
#include <set>

#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

class WorkbookListTest : public WorkbookTest {
 protected:
  // Titles of what `who` lists with `request` (parent set here), in order.
  std::vector<std::string> Titles(const As& who, wv1::ListEntriesRequest request,
                                  const std::string& parent, int* total = nullptr) {
    request.set_parent(parent);
    wv1::ListEntriesResponse response;
    auto status = workbook_->ListEntries(ContextFor(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::vector<std::string> titles;
    for (const auto& e : response.entries()) titles.push_back(e.title());
    if (total) *total = response.total_size();
    return titles;
  }
};

TEST_F(WorkbookListTest, FiltersCombineAndTheCountFollowsThem) {
  Family family = NewFamily();
  auto with = [](wv1::Entry e, std::function<void(wv1::Entry&)> f) {
    f(e);
    return e;
  };
  // Newest first: hours ago 50, 40, 30, 20, 10.
  Record(kLead, family.c.name(),
         with(Note("visit-old", "x", wv1::ENTRY_KIND_HOME_VISIT, 50),
              [&](wv1::Entry& e) { e.add_subjects(family.child); }));
  Record(kAssessor, family.c.name(),
         with(Note("module-1", "x", wv1::ENTRY_KIND_MODULE_SESSION, 40), [&](wv1::Entry& e) {
           e.set_module(1);
           e.add_subjects(family.mother);
         }));
  Record(kAssessor, family.c.name(),
         with(Note("module-2", "x", wv1::ENTRY_KIND_MODULE_SESSION, 30), [&](wv1::Entry& e) {
           e.set_module(2);
           e.add_subjects(family.mother);
         }));
  wv1::Entry signed_off;
  ASSERT_TRUE(
      SignOff(kManager,
              Record(kLead, family.c.name(), Note("decision", "x", wv1::ENTRY_KIND_DECISION, 20)),
              &signed_off)
          .ok());
  Record(kLead, family.c.name(),
         with(Note("visit-new", "x", wv1::ENTRY_KIND_HOME_VISIT, 10),
              [&](wv1::Entry& e) { e.add_subjects(family.child); }));

  int total = 0;
  EXPECT_EQ(
      Titles(kManager, {}, family.c.name(), &total),
      (std::vector<std::string>{"visit-new", "decision", "module-2", "module-1", "visit-old"}));
  EXPECT_EQ(total, 5);

  wv1::ListEntriesRequest kinds;
  kinds.add_kinds(wv1::ENTRY_KIND_HOME_VISIT);
  kinds.add_kinds(wv1::ENTRY_KIND_DECISION);
  EXPECT_EQ(Titles(kManager, kinds, family.c.name(), &total),
            (std::vector<std::string>{"visit-new", "decision", "visit-old"}));
  EXPECT_EQ(total, 3);

  wv1::ListEntriesRequest module;
  module.set_module(2);
  EXPECT_EQ(Titles(kManager, module, family.c.name()), (std::vector<std::string>{"module-2"}));

  wv1::ListEntriesRequest state;
  state.set_state(wv1::ENTRY_STATE_SIGNED_OFF);
  EXPECT_EQ(Titles(kManager, state, family.c.name()), (std::vector<std::string>{"decision"}));

  wv1::ListEntriesRequest subject;
  subject.set_subject(family.child);
  EXPECT_EQ(Titles(kManager, subject, family.c.name()),
            (std::vector<std::string>{"visit-new", "visit-old"}));

  wv1::ListEntriesRequest author;
  author.set_author(kAssessor.practitioner);
  author.add_kinds(wv1::ENTRY_KIND_MODULE_SESSION);
  EXPECT_EQ(Titles(kManager, author, family.c.name()),
            (std::vector<std::string>{"module-2", "module-1"}));

  wv1::ListEntriesRequest window;  // [45 h ago, 15 h ago)
  *window.mutable_occur_after() = HoursAgo(45);
  *window.mutable_occur_before() = HoursAgo(15);
  EXPECT_EQ(Titles(kManager, window, family.c.name(), &total),
            (std::vector<std::string>{"decision", "module-2", "module-1"}));
  EXPECT_EQ(total, 3);
}

TEST_F(WorkbookListTest, PagesCoverEveryEntryOnceAndTokensAreChecked) {
  Family family = NewFamily();
  for (int i = 0; i < 7; ++i) {
    Record(kLead, family.c.name(),
           Note("entry-" + std::to_string(i), "x", wv1::ENTRY_KIND_CASE_NOTE, 100 - i));
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    wv1::ListEntriesRequest request;
    request.set_parent(family.c.name());
    request.set_page_size(3);
    request.set_page_token(token);
    wv1::ListEntriesResponse response;
    ASSERT_TRUE(workbook_->ListEntries(ContextFor(kLead).get(), request, &response).ok());
    EXPECT_EQ(response.total_size(), 7);
    for (const auto& e : response.entries()) EXPECT_TRUE(seen.insert(e.name()).second);
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);

  wv1::ListEntriesRequest bad;
  bad.set_parent(family.c.name());
  bad.set_page_token("not-a-token");
  wv1::ListEntriesResponse response;
  EXPECT_TRUE(
      InvalidNaming(workbook_->ListEntries(ContextFor(kLead).get(), bad, &response), "page_token"));
  bad.clear_page_token();
  bad.set_page_size(-1);
  EXPECT_TRUE(
      InvalidNaming(workbook_->ListEntries(ContextFor(kLead).get(), bad, &response), "page_size"));
  bad.set_page_size(0);
  bad.add_kinds(static_cast<wv1::EntryKind>(99));
  EXPECT_TRUE(
      InvalidNaming(workbook_->ListEntries(ContextFor(kLead).get(), bad, &response), "kinds"));
  bad.clear_kinds();
  bad.set_subject("people/x");
  EXPECT_TRUE(
      InvalidNaming(workbook_->ListEntries(ContextFor(kLead).get(), bad, &response), "subject"));
  bad.clear_subject();
  bad.mutable_occur_after()->set_nanos(-1);
  EXPECT_TRUE(InvalidNaming(workbook_->ListEntries(ContextFor(kLead).get(), bad, &response),
                            "occur_after"));
  // A stranger lists nothing: refused outright.
  wv1::ListEntriesRequest stranger;
  stranger.set_parent(family.c.name());
  EXPECT_EQ(workbook_->ListEntries(ContextFor(kStranger).get(), stranger, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(WorkbookListTest, ModulesComeFromConfiguration) {
  wv1::ListModulesResponse response;
  ASSERT_TRUE(
      workbook_->ListModules(ContextFor(kLead).get(), wv1::ListModulesRequest(), &response).ok());
  ASSERT_EQ(response.modules_size(), 8);  // the default: no titles configured in tests
  EXPECT_EQ(response.modules(0).number(), 1);
  EXPECT_EQ(response.modules(0).title(), "Module 1");
  EXPECT_EQ(response.modules(7).title(), "Module 8");
  auto partner = ::fs::testing::ContextForPrincipal("partner/nhs/RXH");
  EXPECT_EQ(
      workbook_->ListModules(partner.get(), wv1::ListModulesRequest(), &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(WorkbookListTest, EveryCallIsAuditedWithItsOutcome) {
  Family family = NewFamily();
  wv1::Entry entry = Record(kLead, family.c.name(), Note("Visit", "x"));
  wv1::Entry read;
  ASSERT_TRUE(Get(kManager, entry.name(), &read).ok());
  EXPECT_EQ(Get(kStranger, entry.name(), &read).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WorkbookCount("audit_log", "action = 'CreateEntry' AND outcome = 'OK' AND resource = " +
                                           std::string("'") + entry.name() + "'"),
            1);
  EXPECT_EQ(WorkbookCount("audit_log", "action = 'FinaliseEntry' AND outcome = 'OK'"), 1);
  EXPECT_EQ(WorkbookCount("audit_log",
                          "action = 'GetEntry' AND outcome = 'OK' AND principal "
                          "LIKE '%/tm-a'"),
            1);
  EXPECT_EQ(WorkbookCount("audit_log", "action = 'GetEntry' AND outcome = 'PERMISSION_DENIED'"), 1);
  // The inbox applied case_records' events under the producer's identity, audited too.
  EXPECT_GT(WorkbookCount("audit_log", "principal LIKE '%/service/case_records'"), 0);
}

}  // namespace
}  // namespace fs::workbook
