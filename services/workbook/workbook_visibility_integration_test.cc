// Who sees which entry, over real gRPC on a real PostgreSQL: every visibility against every
// kind of viewer, through every read (GetEntry, ListEntries, SearchEntries within the case and
// across the caseload, GetChronology, ExportChronology). A hidden entry must leave no trace:
// not in the items, not in a count, not in an exported page.
#include <map>
#include <set>

#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// The author of the matrix's entries: allocated to the case, but none of the viewers.
inline const As kAuthor = kRecovery;
// DA perpetrator worker by role, allocated in another MDT role, managing nothing.
inline const As kDapByRole{"dap-2", "da_perpetrator_worker", "team-a", ""};
// A social worker allocated to the case as its DA perpetrator worker.
inline const As kDapByAllocation{"sw-dap", "social_worker", "team-a", ""};

class WorkbookVisibilityTest : public WorkbookTest {
 protected:
  struct Viewer {
    std::string label;
    As who;
    // Which of the words below the viewer may see.
    std::set<std::string> sees;
    // Whether the case is in the viewer's caseload (caseload-wide search covers it).
    bool in_caseload = true;
  };

  // One word per entry, distinctive enough that search and export checks are exact; all share
  // "lighthouse".
  static constexpr char kNormal[] = "marmalade";
  static constexpr char kRestricted[] = "kingfisher";
  static constexpr char kSealed[] = "porcupine";
  static constexpr char kDraft[] = "zeppelin";

  void SetUp() override {
    family_ = NewFamily();
    for (const auto& [who, role] : std::vector<std::pair<As, cv1::FamilySafeguardingRole>>{
             {kAuthor, cv1::FAMILY_SAFEGUARDING_ROLE_RECOVERY_WORKER},
             {kDapByRole, cv1::FAMILY_SAFEGUARDING_ROLE_MENTAL_HEALTH_PRACTITIONER},
             {kDapByAllocation, cv1::FAMILY_SAFEGUARDING_ROLE_DA_PERPETRATOR_WORKER}}) {
      auto status = Allocate(kLead, family_.c.name(), who.practitioner, role);
      ASSERT_TRUE(status.ok()) << Describe(status);
    }
    Sync();

    auto entry = [&](const std::string& word, wv1::Visibility visibility, int hours_ago) {
      wv1::Entry e = Note(absl::StrCat("Visit ", hours_ago),
                          absl::StrCat("The lighthouse visit: ", word, " noted."),
                          wv1::ENTRY_KIND_HOME_VISIT, hours_ago);
      e.set_visibility(visibility);
      e.set_significant(true);
      e.add_subjects(family_.mother);
      return e;
    };
    names_[kNormal] =
        Record(kAuthor, family_.c.name(), entry(kNormal, wv1::VISIBILITY_NORMAL, 4)).name();
    names_[kRestricted] = Record(kAuthor, family_.c.name(),
                                 entry(kRestricted, wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR, 3))
                              .name();
    wv1::Entry sealed = entry(kSealed, wv1::VISIBILITY_SEALED, 2);
    sealed.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
    names_[kSealed] = Record(kAuthor, family_.c.name(), sealed).name();
    wv1::Entry draft;
    auto status =
        Create(kAuthor, family_.c.name(), entry(kDraft, wv1::VISIBILITY_NORMAL, 1), &draft);
    ASSERT_TRUE(status.ok()) << Describe(status);
    names_[kDraft] = draft.name();
  }

  static std::vector<Viewer> Viewers() {
    const std::set<std::string> normal_only = {kNormal};
    const std::set<std::string> mdt = {kNormal, kRestricted};
    const std::set<std::string> sealed_holders = {kNormal, kRestricted, kSealed};
    return {
        {"lead social worker", kLead, mdt},
        {"team manager (holds TEAM_MANAGER)", kManager, sealed_holders},
        {"DA victim worker (holds the sealed role)", kVictimWorker, sealed_holders},
        {"DA perpetrator worker", kPerpetratorWorker, normal_only},
        {"family support worker", kSupport, mdt},
        {"parenting assessor", kAssessor, mdt},
        {"break-glass reader", kBreakGlass, normal_only, /*in_caseload=*/false},
        {"DA perpetrator worker by role only", kDapByRole, normal_only},
        {"DA perpetrator worker by allocation only", kDapByAllocation, normal_only},
    };
  }

  std::vector<std::string> NamesOf(const std::set<std::string>& words) {
    std::vector<std::string> names;
    for (const auto& word : words) names.push_back(names_.at(word));
    return names;
  }

  grpc::Status Search(const As& who, const std::string& parent, const std::string& query,
                      wv1::SearchEntriesResponse* out) {
    wv1::SearchEntriesRequest request;
    request.set_parent(parent);
    request.set_query(query);
    request.set_page_size(100);
    return workbook_->SearchEntries(ContextFor(who).get(), request, out);
  }

  grpc::Status Chronology(const As& who, const std::string& parent, bool entries_only,
                          wv1::Chronology* out) {
    wv1::GetChronologyRequest request;
    request.set_parent(parent);
    request.set_page_size(500);
    if (entries_only) request.add_kinds(wv1::CHRONOLOGY_ITEM_KIND_ENTRY);
    return workbook_->GetChronology(ContextFor(who).get(), request, out);
  }

  grpc::Status Export(const As& who, const std::string& parent,
                      wv1::ExportChronologyResponse* out) {
    wv1::ExportChronologyRequest request;
    request.set_parent(parent);
    request.add_kinds(wv1::CHRONOLOGY_ITEM_KIND_ENTRY);
    return workbook_->ExportChronology(ContextFor(who).get(), request, out);
  }

  static std::vector<std::string> ResultNames(const wv1::SearchEntriesResponse& response) {
    std::vector<std::string> names;
    for (const auto& result : response.results()) names.push_back(result.entry().name());
    return names;
  }

  Family family_;
  std::map<std::string, std::string> names_;  // word -> entry name
};

TEST_F(WorkbookVisibilityTest, EachViewerSeesExactlyTheirEntriesThroughEveryRead) {
  const std::vector<std::string> words = {kNormal, kRestricted, kSealed, kDraft};
  int case_events = -1;
  for (const auto& viewer : Viewers()) {
    SCOPED_TRACE(viewer.label);
    const std::vector<std::string> visible = NamesOf(viewer.sees);

    // GetEntry: the entry with its text, or NOT_FOUND (its existence is not disclosed).
    for (const auto& word : words) {
      SCOPED_TRACE(word);
      wv1::Entry read;
      auto status = Get(viewer.who, names_[word], &read);
      if (viewer.sees.contains(word)) {
        ASSERT_TRUE(status.ok()) << Describe(status);
        EXPECT_THAT(read.text(), HasSubstr(word));
        EXPECT_EQ(read.history_size(), 1);
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
        EXPECT_THAT(status.error_message(), Not(HasSubstr(word)));
        EXPECT_TRUE(read.name().empty());
      }
    }

    // ListEntries: the entries and the count.
    grpc::Status status;
    wv1::ListEntriesResponse listed = List(viewer.who, family_.c.name(), &status);
    ASSERT_TRUE(status.ok()) << Describe(status);
    std::vector<std::string> listed_names;
    for (const auto& entry : listed.entries()) listed_names.push_back(entry.name());
    EXPECT_THAT(listed_names, UnorderedElementsAreArray(visible));
    EXPECT_EQ(listed.total_size(), static_cast<int>(visible.size()));
    EXPECT_TRUE(listed.next_page_token().empty());

    // SearchEntries within the case: the shared word finds exactly the visible entries, each
    // distinctive word finds its entry or nothing (not even in the count).
    wv1::SearchEntriesResponse found;
    status = Search(viewer.who, family_.c.name(), "lighthouse", &found);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_THAT(ResultNames(found), UnorderedElementsAreArray(visible));
    EXPECT_EQ(found.total_size(), static_cast<int>(visible.size()));
    for (const auto& word : words) {
      SCOPED_TRACE(word);
      wv1::SearchEntriesResponse one;
      status = Search(viewer.who, family_.c.name(), word, &one);
      ASSERT_TRUE(status.ok()) << Describe(status);
      int expected = viewer.sees.contains(word) ? 1 : 0;
      EXPECT_EQ(one.results_size(), expected);
      EXPECT_EQ(one.total_size(), expected);
      for (const auto& result : one.results()) {
        EXPECT_EQ(result.entry().name(), names_[word]);
        EXPECT_TRUE(result.entry().text().empty());
        EXPECT_THAT(result.snippet(), HasSubstr(word));
      }
    }

    // SearchEntries across the caseload (empty parent): the same, for those whose caseload
    // holds the case; nothing for a break-glass reader (no relationship, no caseload).
    wv1::SearchEntriesResponse caseload;
    status = Search(viewer.who, "", "lighthouse", &caseload);
    ASSERT_TRUE(status.ok()) << Describe(status);
    if (viewer.in_caseload) {
      EXPECT_THAT(ResultNames(caseload), UnorderedElementsAreArray(visible));
      EXPECT_EQ(caseload.total_size(), static_cast<int>(visible.size()));
    } else {
      EXPECT_EQ(caseload.results_size(), 0);
      EXPECT_EQ(caseload.total_size(), 0);
    }
    for (const auto& word : words) {
      SCOPED_TRACE(word);
      wv1::SearchEntriesResponse one;
      ASSERT_TRUE(Search(viewer.who, "", word, &one).ok());
      int expected = viewer.in_caseload && viewer.sees.contains(word) ? 1 : 0;
      EXPECT_EQ(one.results_size(), expected);
      EXPECT_EQ(one.total_size(), expected);
    }

    // GetChronology of the family and of the mother (all entries are significant and about
    // her): entry items and counts.
    for (const std::string& parent : {family_.c.name(), family_.mother}) {
      SCOPED_TRACE(parent);
      wv1::Chronology chronology;
      status = Chronology(viewer.who, parent, /*entries_only=*/true, &chronology);
      ASSERT_TRUE(status.ok()) << Describe(status);
      std::vector<std::string> items;
      for (const auto& item : chronology.items()) {
        EXPECT_EQ(item.kind(), wv1::CHRONOLOGY_ITEM_KIND_ENTRY);
        items.push_back(item.entry());
        for (const auto& word : words) {
          if (!viewer.sees.contains(word)) {
            EXPECT_THAT(item.text(), Not(HasSubstr(word)));
          }
        }
      }
      EXPECT_THAT(items, UnorderedElementsAreArray(visible));
      EXPECT_EQ(chronology.total_size(), static_cast<int>(visible.size()));
    }
    // Unfiltered, the case's events are the same for everyone; only the entries differ.
    wv1::Chronology all;
    ASSERT_TRUE(Chronology(viewer.who, family_.c.name(), false, &all).ok());
    int entry_items = 0;
    for (const auto& item : all.items()) {
      if (item.kind() == wv1::CHRONOLOGY_ITEM_KIND_ENTRY) ++entry_items;
    }
    EXPECT_EQ(entry_items, static_cast<int>(visible.size()));
    EXPECT_EQ(all.total_size(), all.items_size());
    if (case_events < 0) case_events = all.total_size() - entry_items;
    EXPECT_EQ(all.total_size() - entry_items, case_events);

    // ExportChronology: the printed page holds the visible words and nothing else.
    wv1::ExportChronologyResponse exported;
    status = Export(viewer.who, family_.c.name(), &exported);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(exported.item_count(), static_cast<int>(visible.size()));
    for (const auto& word : words) {
      if (viewer.sees.contains(word)) {
        EXPECT_THAT(exported.content(), HasSubstr(word));
      } else {
        EXPECT_THAT(exported.content(), Not(HasSubstr(word)));
      }
    }
  }
  EXPECT_GT(case_events, 0);  // CASE_OPENED and the allocations at least
}

TEST_F(WorkbookVisibilityTest, TheAuthorSeesEveryEntryOfTheirsIncludingTheDraft) {
  wv1::ListEntriesResponse listed = List(kAuthor, family_.c.name());
  EXPECT_EQ(listed.total_size(), 4);
  wv1::SearchEntriesResponse found;
  ASSERT_TRUE(Search(kAuthor, family_.c.name(), "lighthouse", &found).ok());
  EXPECT_EQ(found.total_size(), 4);
  // The draft is not in the chronology, even for its author.
  wv1::Chronology chronology;
  ASSERT_TRUE(Chronology(kAuthor, family_.c.name(), true, &chronology).ok());
  EXPECT_EQ(chronology.total_size(), 3);
  for (const auto& item : chronology.items()) EXPECT_NE(item.entry(), names_[kDraft]);
}

TEST_F(WorkbookVisibilityTest, AuthorshipOpensSealedEntriesButNeverRestrictedOnes) {
  // A perpetrator worker may not restrict an entry from perpetrator workers: it would hide it
  // from its own author. A support worker's note sealed for the DA victim worker is read by its
  // author and the named role only.
  wv1::Entry restricted = Note("Own", "Own note on the orchard meeting.");
  restricted.set_visibility(wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR);
  wv1::Entry out;
  EXPECT_TRUE(InvalidNaming(Create(kPerpetratorWorker, family_.c.name(), restricted, &out),
                            "entry.visibility"));
  wv1::Entry sealed = Note("Own", "Sealed note about the quarry.");
  sealed.set_visibility(wv1::VISIBILITY_SEALED);
  sealed.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
  sealed = Record(kSupport, family_.c.name(), sealed);

  wv1::Entry read;
  EXPECT_TRUE(Get(kSupport, sealed.name(), &read).ok());
  EXPECT_TRUE(Get(kVictimWorker, sealed.name(), &read).ok());
  EXPECT_EQ(Get(kLead, sealed.name(), &read).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(kAssessor, sealed.name(), &read).error_code(), grpc::StatusCode::NOT_FOUND);

  wv1::SearchEntriesResponse found;
  ASSERT_TRUE(Search(kSupport, family_.c.name(), "quarry", &found).ok());
  EXPECT_EQ(found.total_size(), 1);
  ASSERT_TRUE(Search(kLead, family_.c.name(), "quarry", &found).ok());
  EXPECT_EQ(found.total_size(), 0);

  // The perpetrator worker's NORMAL note, restricted by the manager's correction (it turned
  // out to hold the victim's whereabouts): its author no longer reads it, nor its history.
  wv1::Entry normal = Record(kPerpetratorWorker, family_.c.name(),
                             Note("Session", "Dad mentioned the orchard cottage."));
  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = normal;
  correct.mutable_entry()->set_visibility(wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR);
  correct.mutable_update_mask()->add_paths("visibility");
  correct.set_reason("Names where the mother is staying");
  wv1::Entry corrected;
  auto status = workbook_->CorrectEntry(ContextFor(kManager).get(), correct, &corrected);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(Get(kPerpetratorWorker, normal.name(), &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Search(kPerpetratorWorker, "", "orchard", &found).ok());
  EXPECT_EQ(found.total_size(), 0);
  EXPECT_TRUE(Get(kLead, normal.name(), &read).ok());
}

TEST_F(WorkbookVisibilityTest, VisibilityFollowsAllocationsAsTheyChange) {
  // The DA victim worker's allocation ends: the sealed entry is no longer theirs to read, and
  // the case leaves their caseload.
  std::string allocation;
  for (const auto& a : Allocations(family_.c.name(), false)) {
    if (a.practitioner() == kVictimWorker.practitioner) allocation = a.name();
  }
  ASSERT_FALSE(allocation.empty());
  ASSERT_TRUE(EndAllocation(kLead, allocation).ok());
  wv1::Entry read;
  ASSERT_TRUE(Get(kVictimWorker, names_[kSealed], &read).ok());  // not delivered yet
  Sync();
  EXPECT_EQ(Get(kVictimWorker, names_[kSealed], &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::SearchEntriesResponse found;
  ASSERT_TRUE(Search(kVictimWorker, "", "lighthouse", &found).ok());
  EXPECT_EQ(found.total_size(), 0);

  // The lead is additionally allocated as the DA victim worker: the sealed entry opens.
  EXPECT_EQ(Get(kLead, names_[kSealed], &read).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Allocate(kManager, family_.c.name(), kLead.practitioner,
                       cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)
                  .ok());
  Sync();
  EXPECT_TRUE(Get(kLead, names_[kSealed], &read).ok());
  EXPECT_EQ(List(kLead, family_.c.name()).total_size(), 3);
}

TEST_F(WorkbookVisibilityTest, ABreakGlassReadIsAuditedWithItsReasonAndAPlainReadIsRefused) {
  As no_reason = kBreakGlass;
  no_reason.break_glass_reason = "";
  wv1::Entry read;
  EXPECT_EQ(Get(no_reason, names_[kNormal], &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::SearchEntriesResponse found;
  EXPECT_EQ(Search(no_reason, family_.c.name(), "lighthouse", &found).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::Chronology chronology;
  EXPECT_EQ(Chronology(no_reason, family_.c.name(), false, &chronology).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(Search(kBreakGlass, family_.c.name(), "lighthouse", &found).ok());
  ASSERT_TRUE(Chronology(kBreakGlass, family_.c.name(), false, &chronology).ok());
  EXPECT_EQ(WorkbookCount("audit_log",
                          "action IN ('SearchEntries', 'GetChronology') AND break_glass_reason = " +
                              std::string("'Emergency duty: police at the family home tonight'")),
            2);
}

// A note that named a refuge was restricted; corrected to drop the address and shared with the
// whole MDT. The perpetrator worker now reads the entry, but never the revision with the address.
TEST_F(WorkbookVisibilityTest, AWidenedCorrectionWithholdsTheEarlierRestrictedRevision) {
  Family family = NewFamily();
  wv1::Entry note = Note("Safety plan", "Sarah is at the refuge on 12 Acacia Road.");
  note.set_visibility(wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR);
  wv1::Entry first = Record(kVictimWorker, family.c.name(), note);
  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = first;
  correct.mutable_entry()->set_text("Sarah has moved to a refuge.");
  correct.mutable_entry()->set_visibility(wv1::VISIBILITY_NORMAL);
  correct.mutable_update_mask()->add_paths("text");
  correct.mutable_update_mask()->add_paths("visibility");
  correct.set_reason("Address removed so the whole MDT can read the plan");
  wv1::Entry corrected;
  auto status = workbook_->CorrectEntry(ContextFor(kVictimWorker).get(), correct, &corrected);
  ASSERT_TRUE(status.ok()) << Describe(status);

  wv1::Entry read;
  ASSERT_TRUE(Get(kPerpetratorWorker, first.name(), &read).ok());
  EXPECT_EQ(read.text(), "Sarah has moved to a refuge.");
  ASSERT_EQ(read.history_size(), 2);
  EXPECT_TRUE(read.history(0).withheld());
  EXPECT_EQ(read.history(0).text(), "");
  EXPECT_EQ(read.history(0).reason(), "");
  EXPECT_EQ(read.history(0).revision(), 1);
  EXPECT_EQ(read.SerializeAsString().find("Acacia"), std::string::npos);
  EXPECT_FALSE(read.history(1).withheld());
  EXPECT_EQ(read.history(1).text(), "Sarah has moved to a refuge.");
  // The lead, who may see restricted entries, reads both revisions whole.
  ASSERT_TRUE(Get(kLead, first.name(), &read).ok());
  ASSERT_EQ(read.history_size(), 2);
  EXPECT_FALSE(read.history(0).withheld());
  EXPECT_EQ(read.history(0).text(), "Sarah is at the refuge on 12 Acacia Road.");
}

}  // namespace
}  // namespace fs::workbook
