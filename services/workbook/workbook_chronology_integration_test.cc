// Chronologies over real gRPC on a real PostgreSQL: significant entries merged with the case
// events case_records published (delivered by its real relay), for the family and for one
// person, filtered, paged, and exported as a printable page.
#include <google/protobuf/util/time_util.h>

#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using K = wv1::ChronologyItemKind;
constexpr K kEntry = wv1::CHRONOLOGY_ITEM_KIND_ENTRY;
constexpr K kOpened = wv1::CHRONOLOGY_ITEM_KIND_CASE_OPENED;
constexpr K kPlan = wv1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_STARTED;
constexpr K kAllocated = wv1::CHRONOLOGY_ITEM_KIND_ALLOCATION_STARTED;

google::protobuf::Timestamp Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone())));
}

class WorkbookChronologyTest : public WorkbookTest {
 protected:
  // The family's record: referral 2026-09-01 (CaseOpened), five practitioners allocated (now),
  // a child protection plan for the first child from 2026-10-01, and entries between.
  void SetUp() override {
    family_ = NewFamily();
    second_child_ = NewChild(family_.c, ::fs::cases::kNhs2, "2021-04-04").name();
    auto status = StartPlan(kLead, family_.child, "2026-10-01");
    ASSERT_TRUE(status.ok()) << Describe(status);
    Sync();

    auto significant = [](const std::string& title, const std::string& text, wv1::EntryKind kind,
                          const google::protobuf::Timestamp& when,
                          std::vector<std::string> subjects) {
      wv1::Entry e = Note(title, text, kind);
      *e.mutable_occur_time() = when;
      e.set_significant(true);
      for (const auto& s : subjects) e.add_subjects(s);
      return e;
    };
    child_visit_ =
        Record(kLead, family_.c.name(),
               significant("Home visit", "Zoë showed her bedroom.", wv1::ENTRY_KIND_HOME_VISIT,
                           Utc(2026, 9, 15, 10), {family_.child}));
    mother_session_ =
        Record(kVictimWorker, family_.c.name(),
               significant("MI session", "Anna talked about safety.", wv1::ENTRY_KIND_MI_SESSION,
                           Utc(2026, 10, 5, 14), {family_.mother}));
    second_child_work_ = Record(
        kSupport, family_.c.name(),
        significant("Direct work", "Life story work with the younger child.",
                    wv1::ENTRY_KIND_DIRECT_WORK_SESSION, Utc(2026, 10, 10, 9), {second_child_}));
    family_decision_ = Record(
        kLead, family_.c.name(),
        significant("Strategy <decision>", "Agreed: <script>alert('x')</script> & next steps.",
                    wv1::ENTRY_KIND_DECISION, Utc(2026, 10, 20, 16), {}));
    // Not in any chronology: an entry that is not significant, and a significant draft.
    wv1::Entry plain = Note("Phone call", "Routine call about the child.");
    plain.add_subjects(family_.child);
    *plain.mutable_occur_time() = Utc(2026, 10, 12);
    Record(kLead, family_.c.name(), plain);
    wv1::Entry draft;
    ASSERT_TRUE(Create(kLead, family_.c.name(),
                       significant("Draft", "Not final yet.", wv1::ENTRY_KIND_CASE_NOTE,
                                   Utc(2026, 10, 13), {family_.child}),
                       &draft)
                    .ok());
  }

  grpc::Status Chronology(const As& who, const wv1::GetChronologyRequest& request,
                          wv1::Chronology* out) {
    return workbook_->GetChronology(ContextFor(who).get(), request, out);
  }

  // The whole chronology of `parent` for the lead, with filters from `adjust` (expects success).
  wv1::Chronology Of(const std::string& parent,
                     const std::function<void(wv1::GetChronologyRequest&)>& adjust = {}) {
    wv1::GetChronologyRequest request;
    request.set_parent(parent);
    request.set_page_size(500);
    if (adjust) adjust(request);
    wv1::Chronology chronology;
    auto status = Chronology(kLead, request, &chronology);
    EXPECT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(chronology.total_size(), chronology.items_size());
    return chronology;
  }

  static std::vector<K> Kinds(const wv1::Chronology& chronology) {
    std::vector<K> kinds;
    for (const auto& item : chronology.items()) kinds.push_back(item.kind());
    return kinds;
  }

  static std::vector<std::string> Entries(const wv1::Chronology& chronology) {
    std::vector<std::string> entries;
    for (const auto& item : chronology.items()) {
      if (item.kind() == kEntry) entries.push_back(item.entry());
    }
    return entries;
  }

  grpc::Status Export(const As& who, const std::string& parent, wv1::ExportChronologyResponse* out,
                      const std::function<void(wv1::ExportChronologyRequest&)>& adjust = {}) {
    wv1::ExportChronologyRequest request;
    request.set_parent(parent);
    if (adjust) adjust(request);
    return workbook_->ExportChronology(ContextFor(who).get(), request, out);
  }

  Family family_;
  std::string second_child_;
  wv1::Entry child_visit_, mother_session_, second_child_work_, family_decision_;
};

TEST_F(WorkbookChronologyTest, TheFamilysChronologyMergesEntriesWithCaseEventsOldestFirst) {
  wv1::Chronology chronology = Of(family_.c.name());
  EXPECT_THAT(Kinds(chronology),
              ElementsAre(kOpened, kEntry, kPlan, kEntry, kEntry, kEntry, kAllocated, kAllocated,
                          kAllocated, kAllocated, kAllocated));
  EXPECT_THAT(Entries(chronology), ElementsAre(child_visit_.name(), mother_session_.name(),
                                               second_child_work_.name(), family_decision_.name()));
  for (int i = 1; i < chronology.items_size(); ++i) {
    EXPECT_LE(TimeUtil::TimestampToMicroseconds(chronology.items(i - 1).occur_time()),
              TimeUtil::TimestampToMicroseconds(chronology.items(i).occur_time()));
  }

  // The referral: a date, midnight in England (BST on 1 September).
  const auto& opened = chronology.items(0);
  EXPECT_TRUE(opened.date_only());
  EXPECT_EQ(opened.occur_time().seconds(), Utc(2026, 8, 31, 23).seconds());
  EXPECT_THAT(opened.text(), HasSubstr("Referral received"));
  EXPECT_THAT(opened.text(), HasSubstr("team-a"));
  EXPECT_TRUE(opened.people().empty());
  EXPECT_TRUE(opened.entry().empty());

  // An entry: its kind, name, words, people and author.
  const auto& visit = chronology.items(1);
  EXPECT_EQ(visit.entry_kind(), wv1::ENTRY_KIND_HOME_VISIT);
  EXPECT_EQ(visit.title(), "Home visit");
  EXPECT_EQ(visit.text(), "Zoë showed her bedroom.");
  EXPECT_THAT(visit.people(), ElementsAre(family_.child));
  EXPECT_EQ(visit.recorded_by(), kLead.practitioner);
  EXPECT_FALSE(visit.date_only());
  EXPECT_EQ(visit.occur_time().seconds(), Utc(2026, 9, 15, 10).seconds());

  // The plan: the child's, from its start date.
  const auto& plan = chronology.items(2);
  EXPECT_TRUE(plan.date_only());
  EXPECT_EQ(plan.occur_time().seconds(), Utc(2026, 9, 30, 23).seconds());
  EXPECT_THAT(plan.people(), ElementsAre(family_.child));
  EXPECT_THAT(plan.text(), HasSubstr("category NEG"));

  // The family-wide decision concerns nobody in particular.
  EXPECT_TRUE(chronology.items(5).people().empty());
  EXPECT_EQ(chronology.items(5).recorded_by(), kLead.practitioner);
  EXPECT_EQ(chronology.items(4).recorded_by(), kSupport.practitioner);

  // The allocations, in the words of the timeline.
  std::vector<std::string> allocated;
  for (const auto& item : chronology.items()) {
    if (item.kind() == kAllocated) allocated.push_back(item.text());
  }
  EXPECT_THAT(allocated, ElementsAre("sw-lead allocated as lead social worker.",
                                     "dav-1 allocated as da victim worker.",
                                     "dap-1 allocated as da perpetrator worker.",
                                     "pa-1 allocated as parenting assessor.",
                                     "fsw-1 allocated as family support worker."));
}

TEST_F(WorkbookChronologyTest, AChildsChronologyHasWhatConcernsThemAndTheWholeFamily) {
  wv1::Chronology child = Of(family_.child);
  EXPECT_THAT(Kinds(child), ElementsAre(kOpened, kEntry, kPlan, kEntry, kAllocated, kAllocated,
                                        kAllocated, kAllocated, kAllocated));
  EXPECT_THAT(Entries(child), ElementsAre(child_visit_.name(), family_decision_.name()));

  // The younger child: their own work and the family's, no plan (it is their sibling's).
  wv1::Chronology younger = Of(second_child_);
  EXPECT_THAT(Kinds(younger), ElementsAre(kOpened, kEntry, kEntry, kAllocated, kAllocated,
                                          kAllocated, kAllocated, kAllocated));
  EXPECT_THAT(Entries(younger), ElementsAre(second_child_work_.name(), family_decision_.name()));

  // An adult's chronology works the same way.
  EXPECT_THAT(Entries(Of(family_.mother)),
              ElementsAre(mother_session_.name(), family_decision_.name()));
  EXPECT_THAT(Entries(Of(family_.father)), ElementsAre(family_decision_.name()));
}

TEST_F(WorkbookChronologyTest, KindsAndEntryKindsNarrowTheItems) {
  EXPECT_THAT(Kinds(Of(family_.c.name(), [](auto& r) { r.add_kinds(kPlan); })), ElementsAre(kPlan));
  EXPECT_THAT(Kinds(Of(family_.c.name(),
                       [](auto& r) {
                         r.add_kinds(kOpened);
                         r.add_kinds(kEntry);
                       })),
              ElementsAre(kOpened, kEntry, kEntry, kEntry, kEntry));
  EXPECT_THAT(Entries(Of(family_.c.name(),
                         [](auto& r) {
                           r.add_kinds(kEntry);
                           r.add_entry_kinds(wv1::ENTRY_KIND_DECISION);
                           r.add_entry_kinds(wv1::ENTRY_KIND_HOME_VISIT);
                         })),
              ElementsAre(child_visit_.name(), family_decision_.name()));
  // entry_kinds alone narrows the entries and leaves the case events.
  wv1::Chronology visits =
      Of(family_.c.name(), [](auto& r) { r.add_entry_kinds(wv1::ENTRY_KIND_HOME_VISIT); });
  EXPECT_THAT(Entries(visits), ElementsAre(child_visit_.name()));
  EXPECT_EQ(visits.total_size(), 1 + 7);
  // A case event kind with entry kinds: no entries.
  EXPECT_THAT(Kinds(Of(family_.c.name(),
                       [](auto& r) {
                         r.add_kinds(kAllocated);
                         r.add_entry_kinds(wv1::ENTRY_KIND_HOME_VISIT);
                       })),
              ElementsAre(kAllocated, kAllocated, kAllocated, kAllocated, kAllocated));
}

TEST_F(WorkbookChronologyTest, OccurAfterIsInclusiveAndOccurBeforeExclusive) {
  wv1::Chronology october = Of(family_.c.name(), [](auto& r) {
    *r.mutable_occur_after() = Utc(2026, 10, 1);
    *r.mutable_occur_before() = Utc(2026, 10, 15);
  });
  EXPECT_THAT(Kinds(october), ElementsAre(kEntry, kEntry));
  EXPECT_THAT(Entries(october), ElementsAre(mother_session_.name(), second_child_work_.name()));

  // Exactly at the bounds: the plan (midnight, 30 September 23:00 UTC) is in, the decision
  // at occur_before is out.
  wv1::Chronology bounds = Of(family_.c.name(), [&](auto& r) {
    *r.mutable_occur_after() = Utc(2026, 9, 30, 23);
    *r.mutable_occur_before() = family_decision_.occur_time();
  });
  EXPECT_THAT(Kinds(bounds), ElementsAre(kPlan, kEntry, kEntry));

  // Only a lower bound: the decision and the allocations (today).
  EXPECT_THAT(
      Kinds(Of(family_.c.name(), [](auto& r) { *r.mutable_occur_after() = Utc(2026, 10, 15); })),
      ElementsAre(kEntry, kAllocated, kAllocated, kAllocated, kAllocated, kAllocated));
  // Only an upper bound: the referral and the first visit.
  EXPECT_THAT(
      Kinds(Of(family_.c.name(), [](auto& r) { *r.mutable_occur_before() = Utc(2026, 9, 20); })),
      ElementsAre(kOpened, kEntry));
}

TEST_F(WorkbookChronologyTest, PagesFollowEachOtherWithoutGapsOrRepeats) {
  wv1::Chronology all = Of(family_.c.name());
  std::vector<std::string> whole, paged;
  for (const auto& item : all.items()) whole.push_back(item.ShortDebugString());
  std::string token;
  int pages = 0;
  do {
    wv1::GetChronologyRequest request;
    request.set_parent(family_.c.name());
    request.set_page_size(4);
    request.set_page_token(token);
    wv1::Chronology page;
    auto status = Chronology(kLead, request, &page);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(page.total_size(), 11);
    for (const auto& item : page.items()) paged.push_back(item.ShortDebugString());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(paged, ElementsAreArray(whole));
}

TEST_F(WorkbookChronologyTest, CaseEventsDeliveredLaterJoinTheChronology) {
  // The support worker leaves: the timeline shows it once the event arrives.
  for (const auto& allocation : Allocations(family_.c.name(), false)) {
    if (allocation.practitioner() == kSupport.practitioner) {
      ASSERT_TRUE(EndAllocation(kLead, allocation.name()).ok());
    }
  }
  wv1::ChronologyItemKind ended = wv1::CHRONOLOGY_ITEM_KIND_ALLOCATION_ENDED;
  EXPECT_TRUE(Of(family_.c.name(), [&](auto& r) { r.add_kinds(ended); }).items().empty());
  Sync();
  wv1::Chronology after = Of(family_.c.name(), [&](auto& r) { r.add_kinds(ended); });
  ASSERT_EQ(after.items_size(), 1);
  EXPECT_THAT(after.items(0).text(),
              HasSubstr("fsw-1 (family support worker) no longer allocated"));
  // The other items are as they were: one more in all.
  EXPECT_EQ(Of(family_.c.name()).total_size(), 12);
}

TEST_F(WorkbookChronologyTest, TheExportIsAPrintablePageWithTheUserTextEscaped) {
  wv1::ExportChronologyResponse exported;
  auto status = Export(kLead, family_.c.name(), &exported);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(exported.content_type(), "text/html; charset=utf-8");
  EXPECT_THAT(exported.filename(), StartsWith("chronology-" + IdOf(family_.c.name()) + "-"));
  EXPECT_THAT(exported.filename(), EndsWith(".html"));
  EXPECT_EQ(exported.item_count(), 11);
  const std::string& html = exported.content();
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("Zoë showed her bedroom."));
  EXPECT_THAT(html, HasSubstr("Life story work with the younger child."));
  EXPECT_THAT(html,
              HasSubstr("Agreed: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; next"));
  EXPECT_THAT(html, HasSubstr("Strategy &lt;decision&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<decision>")));
  EXPECT_THAT(html, Not(HasSubstr("Routine call")));   // not significant
  EXPECT_THAT(html, Not(HasSubstr("Not final yet")));  // a draft
  EXPECT_THAT(html, HasSubstr("01 Sep 2026"));         // the referral, as a date
  EXPECT_THAT(html, HasSubstr("15 Sep 2026 11:00"));   // the visit, in BST
  EXPECT_THAT(html, HasSubstr("by sw-lead"));
  EXPECT_LT(html.find("Zoë showed her bedroom."), html.find("Agreed: &lt;script"));

  // A child's, filtered: only their items, the filters said in words.
  status = Export(kLead, family_.child, &exported, [](auto& r) {
    r.add_kinds(kEntry);
    r.add_kinds(kPlan);
    r.set_format(wv1::EXPORT_FORMAT_HTML);
  });
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(exported.item_count(), 3);
  EXPECT_THAT(exported.filename(),
              StartsWith("chronology-" + IdOf(family_.c.name()) + "-" + IdOf(family_.child)));
  EXPECT_THAT(exported.filename(), EndsWith(".html"));
  EXPECT_THAT(exported.content(), HasSubstr("Zoë showed her bedroom."));
  EXPECT_THAT(exported.content(), Not(HasSubstr("Anna talked about safety.")));
  EXPECT_THAT(exported.content(), Not(HasSubstr("Life story work")));
  EXPECT_THAT(exported.content(), HasSubstr("kinds ENTRY, CHILD_PROTECTION_PLAN_STARTED"));
}

TEST_F(WorkbookChronologyTest, BadRequestsAreRefused) {
  wv1::GetChronologyRequest request;
  wv1::Chronology out;
  wv1::ExportChronologyResponse exported;

  // A person who is not on the case.
  std::string nobody = family_.c.name() + "/people/nobody";
  request.set_parent(nobody);
  EXPECT_EQ(Chronology(kLead, request, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Export(kLead, nobody, &exported).error_code(), grpc::StatusCode::NOT_FOUND);
  Family other = NewFamily();
  request.set_parent(family_.c.name() + "/people/" + IdOf(other.child));
  EXPECT_EQ(Chronology(kLead, request, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  // Malformed parents.
  for (const std::string& parent :
       {std::string(""), std::string("cases"), std::string("people/x"),
        family_.c.name() + "/entries/" + IdOf(child_visit_.name()), family_.child + "/extra"}) {
    request.set_parent(parent);
    EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "parent")) << parent;
    EXPECT_TRUE(InvalidNaming(Export(kLead, parent, &exported), "parent")) << parent;
  }
  request.set_parent("cases/unknown");
  EXPECT_EQ(Chronology(kLead, request, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  // The window must be a window.
  request.set_parent(family_.c.name());
  *request.mutable_occur_after() = Utc(2026, 10, 1);
  *request.mutable_occur_before() = Utc(2026, 10, 1);
  EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "occur_before"));
  *request.mutable_occur_before() = Utc(2026, 9, 1);
  EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "occur_before"));
  EXPECT_TRUE(InvalidNaming(Export(kLead, family_.c.name(), &exported,
                                   [](auto& r) {
                                     *r.mutable_occur_after() = Utc(2026, 10, 2);
                                     *r.mutable_occur_before() = Utc(2026, 10, 1);
                                   }),
                            "occur_before"));
  request.clear_occur_before();
  request.mutable_occur_after()->set_nanos(-5);
  EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "occur_after"));
  request.clear_occur_after();

  // Unknown kinds and formats.
  request.add_kinds(static_cast<K>(99));
  EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "kinds"));
  request.clear_kinds();
  request.add_entry_kinds(wv1::ENTRY_KIND_UNSPECIFIED);
  EXPECT_TRUE(InvalidNaming(Chronology(kLead, request, &out), "entry_kinds"));
  EXPECT_TRUE(
      InvalidNaming(Export(kLead, family_.c.name(), &exported,
                           [](auto& r) { r.set_format(static_cast<wv1::ExportFormat>(2)); }),
                    "format"));

  // No relationship, no reason: no chronology.
  request.clear_entry_kinds();
  EXPECT_EQ(Chronology(kStranger, request, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Export(kStranger, family_.c.name(), &exported).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace fs::workbook
