// Parenting assessments over real gRPC on a real PostgreSQL: compiled from the finalised NORMAL
// module work and scaling scores of one parent, written by the assessor, signed off by a
// manager with the evidence frozen, revised with a reason, and published as an event.
#include <google/protobuf/util/time_util.h>

#include <set>

#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;

// A second manager of team-a.
inline const As kDeputyManager{"tm-a2", "team_manager", "team-a", ""};

class WorkbookAssessmentTest : public WorkbookTest {
 protected:
  void SetUp() override { family_ = NewFamily(); }

  grpc::Status CreateAssessment(const As& who, const std::string& person,
                                wv1::ParentingAssessment* out, const std::string& parent = "",
                                const std::string& request_id = "") {
    wv1::CreateParentingAssessmentRequest request;
    request.set_parent(parent.empty() ? family_.c.name() : parent);
    request.mutable_parenting_assessment()->set_person(person);
    request.set_request_id(request_id);
    return workbook_->CreateParentingAssessment(ContextFor(who).get(), request, out);
  }

  wv1::ParentingAssessment NewAssessment(const As& who, const std::string& person) {
    wv1::ParentingAssessment created;
    auto status = CreateAssessment(who, person, &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  grpc::Status GetAssessment(const As& who, const std::string& name,
                             wv1::ParentingAssessment* out) {
    wv1::GetParentingAssessmentRequest request;
    request.set_name(name);
    return workbook_->GetParentingAssessment(ContextFor(who).get(), request, out);
  }

  wv1::ParentingAssessment Read(const std::string& name) {
    wv1::ParentingAssessment read;
    auto status = GetAssessment(kAssessor, name, &read);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return read;
  }

  grpc::Status Update(const As& who, const wv1::ParentingAssessment& current,
                      const std::string& analysis, const std::string& conclusion,
                      wv1::ParentingAssessment* out) {
    wv1::UpdateParentingAssessmentRequest request;
    *request.mutable_parenting_assessment() = current;
    if (!analysis.empty()) {
      request.mutable_parenting_assessment()->set_analysis(analysis);
      request.mutable_update_mask()->add_paths("analysis");
    }
    if (!conclusion.empty()) {
      request.mutable_parenting_assessment()->set_conclusion(conclusion);
      request.mutable_update_mask()->add_paths("conclusion");
    }
    return workbook_->UpdateParentingAssessment(ContextFor(who).get(), request, out);
  }

  grpc::Status SignOffAssessment(const As& who, const wv1::ParentingAssessment& current,
                                 wv1::ParentingAssessment* out) {
    wv1::SignOffParentingAssessmentRequest request;
    request.set_name(current.name());
    request.set_etag(current.etag());
    return workbook_->SignOffParentingAssessment(ContextFor(who).get(), request, out);
  }

  grpc::Status Revise(const As& who, const wv1::ParentingAssessment& current,
                      const std::string& reason, wv1::ParentingAssessment* out) {
    wv1::ReviseParentingAssessmentRequest request;
    request.set_name(current.name());
    request.set_etag(current.etag());
    request.set_reason(reason);
    return workbook_->ReviseParentingAssessment(ContextFor(who).get(), request, out);
  }

  // A finalised module session about `person` (expects success).
  wv1::Entry ModuleSession(const std::string& person, int module, int hours_ago,
                           wv1::Visibility visibility = wv1::VISIBILITY_NORMAL,
                           std::optional<int> importance = std::nullopt, bool finalise = true) {
    wv1::Entry e = Note(absl::StrCat("Session on module ", module), "Worked through the module.",
                        wv1::ENTRY_KIND_MODULE_SESSION, hours_ago);
    e.set_module(module);
    e.set_visibility(visibility);
    e.add_subjects(person);
    if (importance) {
      auto* score = e.add_scaling_scores();
      score->set_person(person);
      score->set_importance(*importance);
    }
    if (finalise) return Record(kSupport, family_.c.name(), e);
    wv1::Entry draft;
    EXPECT_TRUE(Create(kSupport, family_.c.name(), e, &draft).ok());
    return draft;
  }

  // A finalised MI session with scaling scores for `person`.
  wv1::Entry MiSession(const std::string& person, int hours_ago, std::optional<int> importance,
                       std::optional<int> confidence, std::optional<int> readiness,
                       wv1::Visibility visibility = wv1::VISIBILITY_NORMAL, bool finalise = true) {
    wv1::Entry e =
        Note("MI session", "Scaling questions asked.", wv1::ENTRY_KIND_MI_SESSION, hours_ago);
    e.set_visibility(visibility);
    e.add_subjects(person);
    auto* score = e.add_scaling_scores();
    score->set_person(person);
    if (importance) score->set_importance(*importance);
    if (confidence) score->set_confidence(*confidence);
    if (readiness) score->set_readiness(*readiness);
    if (finalise) return Record(kSupport, family_.c.name(), e);
    wv1::Entry draft;
    EXPECT_TRUE(Create(kSupport, family_.c.name(), e, &draft).ok());
    return draft;
  }

  // A draft with analysis and conclusion written by `assessor`.
  wv1::ParentingAssessment Written(const As& assessor, const std::string& person) {
    wv1::ParentingAssessment created = NewAssessment(assessor, person);
    wv1::ParentingAssessment written;
    auto status = Update(assessor, created, "He engaged with every session.",
                         "Able to parent safely with support.", &written);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return written;
  }

  Family family_;
};

TEST_F(WorkbookAssessmentTest, OnlyAnAdultOnTheCaseIsAssessedOneDraftAtATime) {
  wv1::ParentingAssessment created;
  EXPECT_TRUE(InvalidNaming(CreateAssessment(kAssessor, family_.child, &created),
                            "parenting_assessment.person"));
  Family other = NewFamily();
  EXPECT_TRUE(InvalidNaming(CreateAssessment(kAssessor, other.father, &created),
                            "parenting_assessment.person"));
  EXPECT_TRUE(
      InvalidNaming(CreateAssessment(kAssessor, family_.c.name() + "/people/nobody", &created),
                    "parenting_assessment.person"));
  EXPECT_TRUE(
      InvalidNaming(CreateAssessment(kAssessor, "", &created), "parenting_assessment.person"));
  EXPECT_EQ(WorkbookCount("parenting_assessments"), 0);

  auto status = CreateAssessment(kAssessor, family_.father, &created, "", "pa-req-1");
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.person(), family_.father);
  EXPECT_EQ(created.assessor(), kAssessor.practitioner);
  EXPECT_EQ(created.state(), wv1::ASSESSMENT_STATE_DRAFT);
  EXPECT_EQ(created.revision(), 1);
  EXPECT_TRUE(created.modules().empty());
  EXPECT_TRUE(created.trends().empty());
  EXPECT_FALSE(created.etag().empty());

  // A retry returns the first; a second draft for the same parent is refused.
  wv1::ParentingAssessment retried;
  ASSERT_TRUE(CreateAssessment(kAssessor, family_.father, &retried, "", "pa-req-1").ok());
  EXPECT_EQ(retried.name(), created.name());
  wv1::ParentingAssessment second;
  EXPECT_EQ(CreateAssessment(kLead, family_.father, &second).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // The other parent may be assessed meanwhile.
  EXPECT_TRUE(CreateAssessment(kAssessor, family_.mother, &second).ok());
  EXPECT_EQ(WorkbookCount("parenting_assessments"), 2);
  // No relationship, no assessment.
  EXPECT_EQ(CreateAssessment(kStranger, family_.mother, &second).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateAssessment(kBreakGlass, family_.mother, &second).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(WorkbookAssessmentTest, EvidenceIsCompiledFromFinalisedNormalEntriesAboutTheParent) {
  // The father's work: module 2 twice (the first with a score), module 5 once; MI scores.
  wv1::Entry mi_first = MiSession(family_.father, 120, 3, 2, std::nullopt);
  wv1::Entry m2_first = ModuleSession(family_.father, 2, 100, wv1::VISIBILITY_NORMAL, 5);
  wv1::Entry m5 = ModuleSession(family_.father, 5, 90);
  wv1::Entry mi_latest = MiSession(family_.father, 60, 8, std::nullopt, 4);
  wv1::Entry m2_second = ModuleSession(family_.father, 2, 30);
  // Not evidence: restricted or sealed work, drafts, and work about the mother only.
  ModuleSession(family_.father, 5, 20, wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR, 1);
  MiSession(family_.father, 50, 0, 0, 0, wv1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR);
  ModuleSession(family_.father, 3, 25, wv1::VISIBILITY_NORMAL, 9, /*finalise=*/false);
  MiSession(family_.father, 40, 1, 1, 1, wv1::VISIBILITY_NORMAL, /*finalise=*/false);
  ModuleSession(family_.mother, 3, 45, wv1::VISIBILITY_NORMAL, 7);
  MiSession(family_.mother, 44, 10, 10, 10);
  {
    wv1::Entry sealed = Note("Sealed module work", "Sealed.", wv1::ENTRY_KIND_MODULE_SESSION, 35);
    sealed.set_module(4);
    sealed.add_subjects(family_.father);
    sealed.set_visibility(wv1::VISIBILITY_SEALED);
    sealed.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_PERPETRATOR_WORKER);
    Record(kPerpetratorWorker, family_.c.name(), sealed);
  }

  wv1::ParentingAssessment a = NewAssessment(kAssessor, family_.father);
  ASSERT_EQ(a.modules_size(), 2);
  EXPECT_EQ(a.modules(0).module(), 2);
  EXPECT_EQ(a.modules(0).title(), "Module 2");
  EXPECT_EQ(a.modules(0).sessions(), 2);
  EXPECT_THAT(a.modules(0).entries(), ElementsAre(m2_first.name(), m2_second.name()));
  EXPECT_EQ(a.modules(0).first_session_time().seconds(), m2_first.occur_time().seconds());
  EXPECT_EQ(a.modules(0).last_session_time().seconds(), m2_second.occur_time().seconds());
  EXPECT_EQ(a.modules(1).module(), 5);
  EXPECT_EQ(a.modules(1).title(), "Module 5");
  EXPECT_EQ(a.modules(1).sessions(), 1);
  EXPECT_THAT(a.modules(1).entries(), ElementsAre(m5.name()));

  // Scores: every answer of the father from normal final entries, oldest first.
  ASSERT_EQ(a.scores_size(), 3);
  EXPECT_EQ(a.scores(0).entry(), mi_first.name());
  EXPECT_EQ(a.scores(0).importance(), 3);
  EXPECT_EQ(a.scores(0).confidence(), 2);
  EXPECT_FALSE(a.scores(0).has_readiness());
  EXPECT_EQ(a.scores(1).entry(), m2_first.name());
  EXPECT_EQ(a.scores(1).importance(), 5);
  EXPECT_FALSE(a.scores(1).has_confidence());
  EXPECT_EQ(a.scores(2).entry(), mi_latest.name());
  EXPECT_EQ(a.scores(2).occur_time().seconds(), mi_latest.occur_time().seconds());

  ASSERT_EQ(a.trends_size(), 3);
  EXPECT_EQ(a.trends(0).scale(), "importance");
  EXPECT_EQ(a.trends(0).first(), 3);
  EXPECT_EQ(a.trends(0).latest(), 8);
  EXPECT_EQ(a.trends(0).change(), 5);
  EXPECT_EQ(a.trends(0).answers(), 3);
  EXPECT_EQ(a.trends(1).scale(), "confidence");
  EXPECT_EQ(a.trends(1).first(), 2);
  EXPECT_EQ(a.trends(1).latest(), 2);
  EXPECT_EQ(a.trends(1).change(), 0);
  EXPECT_EQ(a.trends(1).answers(), 1);
  EXPECT_EQ(a.trends(2).scale(), "readiness");
  EXPECT_EQ(a.trends(2).first(), 4);
  EXPECT_EQ(a.trends(2).answers(), 1);

  // The mother's assessment has only her work.
  wv1::ParentingAssessment hers = NewAssessment(kAssessor, family_.mother);
  ASSERT_EQ(hers.modules_size(), 1);
  EXPECT_EQ(hers.modules(0).module(), 3);
  ASSERT_EQ(hers.trends_size(), 3);
  EXPECT_EQ(hers.trends(0).first(), 7);
  EXPECT_EQ(hers.trends(0).latest(), 10);

  // While a draft, the evidence is live: a new session shows at once.
  ModuleSession(family_.father, 7, 10);
  wv1::ParentingAssessment now = Read(a.name());
  ASSERT_EQ(now.modules_size(), 3);
  EXPECT_EQ(now.modules(2).module(), 7);
  EXPECT_EQ(now.modules(2).title(), "Module 7");
}

TEST_F(WorkbookAssessmentTest, OnlyTheAssessorWritesTheDraftWithTheCurrentEtag) {
  wv1::ParentingAssessment a = NewAssessment(kAssessor, family_.father);
  wv1::ParentingAssessment out;
  for (const As& who : {kLead, kManager, kPerpetratorWorker}) {
    EXPECT_EQ(Update(who, a, "Someone else's analysis", "", &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << who.practitioner;
  }
  EXPECT_EQ(Update(kStranger, a, "analysis", "", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  wv1::ParentingAssessment first;
  auto status = Update(kAssessor, a, "First analysis", "", &first);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(first.analysis(), "First analysis");
  EXPECT_EQ(first.conclusion(), "");
  EXPECT_NE(first.etag(), a.etag());
  // The etag of before the change: ABORTED, nothing changed.
  EXPECT_EQ(Update(kAssessor, a, "Lost update", "", &out).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Read(a.name()).analysis(), "First analysis");

  // Only the masked field changes.
  wv1::UpdateParentingAssessmentRequest request;
  *request.mutable_parenting_assessment() = first;
  request.mutable_parenting_assessment()->set_analysis("ignored");
  request.mutable_parenting_assessment()->set_conclusion("Conclusion");
  request.mutable_update_mask()->add_paths("conclusion");
  wv1::ParentingAssessment second;
  ASSERT_TRUE(
      workbook_->UpdateParentingAssessment(ContextFor(kAssessor).get(), request, &second).ok());
  EXPECT_EQ(second.analysis(), "First analysis");
  EXPECT_EQ(second.conclusion(), "Conclusion");

  // Bad masks and oversized text.
  *request.mutable_parenting_assessment() = second;
  request.mutable_update_mask()->set_paths(0, "assessor");
  EXPECT_TRUE(InvalidNaming(
      workbook_->UpdateParentingAssessment(ContextFor(kAssessor).get(), request, &out),
      "update_mask"));
  request.clear_update_mask();
  EXPECT_TRUE(InvalidNaming(
      workbook_->UpdateParentingAssessment(ContextFor(kAssessor).get(), request, &out),
      "update_mask"));
  EXPECT_TRUE(InvalidNaming(Update(kAssessor, second, std::string(100001, 'a'), "", &out),
                            "parenting_assessment.analysis"));
  EXPECT_EQ(Read(a.name()).etag(), second.etag());
}

TEST_F(WorkbookAssessmentTest, SignOffNeedsTheWordsAndAManagerWhoIsNotTheAssessor) {
  ModuleSession(family_.father, 2, 50);
  wv1::ParentingAssessment a = NewAssessment(kAssessor, family_.father);
  wv1::ParentingAssessment out;
  // Not a manager: neither the assessor nor the lead.
  EXPECT_EQ(SignOffAssessment(kAssessor, a, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SignOffAssessment(kLead, a, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SignOffAssessment(kOtherManager, a, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // No analysis, no conclusion; then only one of them.
  EXPECT_EQ(SignOffAssessment(kManager, a, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  wv1::ParentingAssessment half;
  ASSERT_TRUE(Update(kAssessor, a, "Analysis only", "", &half).ok());
  EXPECT_EQ(SignOffAssessment(kManager, half, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  wv1::ParentingAssessment written;
  ASSERT_TRUE(Update(kAssessor, half, "", "Conclusion", &written).ok());
  // A stale etag.
  EXPECT_EQ(SignOffAssessment(kManager, half, &out).error_code(), grpc::StatusCode::ABORTED);

  wv1::ParentingAssessment signed_off;
  auto status = SignOffAssessment(kManager, written, &signed_off);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(signed_off.state(), wv1::ASSESSMENT_STATE_SIGNED_OFF);
  EXPECT_EQ(signed_off.signed_off_by(), kManager.practitioner);
  EXPECT_TRUE(signed_off.has_sign_off_time());
  EXPECT_EQ(signed_off.revision(), 1);
  EXPECT_TRUE(signed_off.history().empty());  // the signed-off revision is the current one
  ASSERT_EQ(signed_off.modules_size(), 1);
  // Signed off once; no more writing.
  EXPECT_EQ(SignOffAssessment(kDeputyManager, signed_off, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Update(kAssessor, signed_off, "More", "", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // A manager who is the assessor does not sign off their own; another manager does.
  wv1::ParentingAssessment own = Written(kManager, family_.mother);
  EXPECT_EQ(SignOffAssessment(kManager, own, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = SignOffAssessment(kDeputyManager, own, &out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(out.signed_off_by(), kDeputyManager.practitioner);
}

TEST_F(WorkbookAssessmentTest, SignedOffEvidenceIsFrozenAndARevisionKeepsItInTheHistory) {
  wv1::Entry m2 = ModuleSession(family_.father, 2, 50, wv1::VISIBILITY_NORMAL, 4);
  wv1::ParentingAssessment written = Written(kAssessor, family_.father);
  wv1::ParentingAssessment signed_off;
  ASSERT_TRUE(SignOffAssessment(kManager, written, &signed_off).ok());
  ASSERT_EQ(signed_off.modules_size(), 1);
  EXPECT_EQ(signed_off.modules(0).sessions(), 1);
  ASSERT_EQ(signed_off.trends_size(), 1);

  // New work after sign-off does not change what was signed off.
  ModuleSession(family_.father, 2, 5, wv1::VISIBILITY_NORMAL, 9);
  ModuleSession(family_.father, 6, 4);
  wv1::ParentingAssessment read = Read(written.name());
  EXPECT_EQ(read.state(), wv1::ASSESSMENT_STATE_SIGNED_OFF);
  ASSERT_EQ(read.modules_size(), 1);
  EXPECT_EQ(read.modules(0).sessions(), 1);
  EXPECT_THAT(read.modules(0).entries(), ElementsAre(m2.name()));
  ASSERT_EQ(read.scores_size(), 1);
  ASSERT_EQ(read.trends_size(), 1);
  EXPECT_EQ(read.trends(0).latest(), 4);
  EXPECT_EQ(read.analysis(), "He engaged with every session.");

  // Revising needs a reason; a draft is not revised.
  wv1::ParentingAssessment out;
  EXPECT_TRUE(InvalidNaming(Revise(kAssessor, read, "too short", &out), "reason"));
  EXPECT_EQ(Revise(kLead, read, "The lead wants to change it", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::ParentingAssessment stale = read;
  stale.set_etag("v1");
  EXPECT_EQ(Revise(kAssessor, stale, "New sessions since sign-off", &out).error_code(),
            grpc::StatusCode::ABORTED);

  wv1::ParentingAssessment revised;
  auto status = Revise(kAssessor, read, "New sessions since sign-off", &revised);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(revised.state(), wv1::ASSESSMENT_STATE_DRAFT);
  EXPECT_EQ(revised.revision(), 2);
  EXPECT_EQ(revised.revision_reason(), "New sessions since sign-off");
  EXPECT_EQ(revised.signed_off_by(), "");
  EXPECT_FALSE(revised.has_sign_off_time());
  EXPECT_EQ(revised.analysis(), "He engaged with every session.");  // carried over to edit
  EXPECT_EQ(Revise(kAssessor, revised, "Revise the revision again", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The new draft's evidence is live again.
  ASSERT_EQ(revised.modules_size(), 2);
  EXPECT_EQ(revised.modules(0).sessions(), 2);
  EXPECT_EQ(revised.trends(0).latest(), 9);
  // The history holds revision 1 as it was signed off.
  ASSERT_EQ(revised.history_size(), 1);
  const auto& first = revised.history(0);
  EXPECT_EQ(first.revision(), 1);
  EXPECT_EQ(first.state(), wv1::ASSESSMENT_STATE_SIGNED_OFF);
  EXPECT_EQ(first.signed_off_by(), kManager.practitioner);
  EXPECT_EQ(first.sign_off_time().seconds(), signed_off.sign_off_time().seconds());
  EXPECT_EQ(first.analysis(), "He engaged with every session.");
  EXPECT_EQ(first.conclusion(), "Able to parent safely with support.");
  ASSERT_EQ(first.modules_size(), 1);
  EXPECT_EQ(first.modules(0).sessions(), 1);
  EXPECT_EQ(first.trends(0).latest(), 4);
  EXPECT_TRUE(first.history().empty());

  // Signed off again: revision 2 frozen, revision 1 still in the history.
  wv1::ParentingAssessment rewritten;
  ASSERT_TRUE(Update(kAssessor, revised, "", "Revised conclusion", &rewritten).ok());
  wv1::ParentingAssessment second;
  ASSERT_TRUE(SignOffAssessment(kDeputyManager, rewritten, &second).ok());
  ModuleSession(family_.father, 8, 2);
  wv1::ParentingAssessment again = Read(written.name());
  EXPECT_EQ(again.revision(), 2);
  EXPECT_EQ(again.conclusion(), "Revised conclusion");
  EXPECT_EQ(again.modules_size(), 2);  // module 8 came after
  ASSERT_EQ(again.history_size(), 1);
  EXPECT_EQ(again.history(0).revision(), 1);
  EXPECT_EQ(again.history(0).conclusion(), "Able to parent safely with support.");
}

TEST_F(WorkbookAssessmentTest, ASignedOffAssessmentIsNotRevisedWhileAnotherDraftExists) {
  wv1::ParentingAssessment written = Written(kAssessor, family_.father);
  wv1::ParentingAssessment signed_off;
  ASSERT_TRUE(SignOffAssessment(kManager, written, &signed_off).ok());
  // With the first signed off, a new assessment of the same parent may begin ...
  wv1::ParentingAssessment fresh = NewAssessment(kAssessor, family_.father);
  EXPECT_NE(fresh.name(), written.name());
  // ... and then the old one cannot become a second draft.
  wv1::ParentingAssessment out;
  EXPECT_EQ(Revise(kManager, signed_off, "Needs another look at module 2", &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Read(written.name()).state(), wv1::ASSESSMENT_STATE_SIGNED_OFF);
}

TEST_F(WorkbookAssessmentTest, SignOffPublishesAnEventToTheWorkbookOutbox) {
  ModuleSession(family_.father, 2, 50);
  ModuleSession(family_.father, 5, 40);
  ModuleSession(family_.father, 2, 30);
  wv1::ParentingAssessment written = Written(kAssessor, family_.father);
  long long before = WorkbookCount("outbox");
  wv1::ParentingAssessment signed_off;
  ASSERT_TRUE(SignOffAssessment(kManager, written, &signed_off).ok());
  EXPECT_EQ(WorkbookCount("outbox"), before + 1);

  pqxx::connection conn(workbook_server_.database().admin_url());
  pqxx::read_transaction tx(conn);
  auto rows = tx.exec(
      "SELECT envelope, case_key FROM workbook.outbox WHERE type = "
      "'fs.events.v1.ParentingAssessmentSignedOff'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1].as<std::string>(), family_.c.name());
  pqxx::binarystring bytes(rows[0][0]);
  ::fs::events::v1::EventEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(bytes.str()));
  ASSERT_TRUE(envelope.has_parenting_assessment_signed_off());
  const auto& e = envelope.parenting_assessment_signed_off();
  EXPECT_EQ(e.assessment(), written.name());
  EXPECT_EQ(e.revision(), 1);
  EXPECT_EQ(e.person(), family_.father);
  EXPECT_EQ(e.assessor(), kAssessor.practitioner);
  EXPECT_EQ(e.signed_off_by(), kManager.practitioner);
  EXPECT_THAT(e.modules_attended(), ElementsAre(2, 5));
  // Revising publishes nothing.
  wv1::ParentingAssessment revised;
  ASSERT_TRUE(Revise(kAssessor, signed_off, "Further work to consider", &revised).ok());
  tx.abort();
  EXPECT_EQ(WorkbookCount("outbox"), before + 1);
}

TEST_F(WorkbookAssessmentTest, ListingPagesThroughTheCasesAssessments) {
  std::string gran = AddPerson(family_.c, Adult("Maureen", "O'Brien")).person().name();
  Sync();
  std::set<std::string> created;
  for (const auto& person : {family_.father, family_.mother, gran}) {
    created.insert(NewAssessment(kAssessor, person).name());
  }
  NewFamily();  // another case's assessments are not listed
  std::vector<std::string> seen;
  std::vector<int> sizes;
  std::string token;
  for (int page = 0; page < 5; ++page) {
    wv1::ListParentingAssessmentsRequest request;
    request.set_parent(family_.c.name());
    request.set_page_size(2);
    request.set_page_token(token);
    wv1::ListParentingAssessmentsResponse response;
    auto status = workbook_->ListParentingAssessments(ContextFor(kLead).get(), request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    sizes.push_back(response.parenting_assessments_size());
    for (const auto& a : response.parenting_assessments()) {
      seen.push_back(a.name());
      EXPECT_TRUE(a.history().empty());
    }
    token = response.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(sizes, ElementsAre(2, 1));
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);

  wv1::ListParentingAssessmentsRequest bad;
  bad.set_parent(family_.c.name());
  bad.set_page_token("garbage");
  wv1::ListParentingAssessmentsResponse response;
  EXPECT_TRUE(InvalidNaming(
      workbook_->ListParentingAssessments(ContextFor(kLead).get(), bad, &response), "page_token"));
  bad.clear_page_token();
  EXPECT_EQ(
      workbook_->ListParentingAssessments(ContextFor(kStranger).get(), bad, &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Names of the wrong shape or another case's assessment through this case: not found.
  wv1::ParentingAssessment read;
  EXPECT_TRUE(InvalidNaming(GetAssessment(kLead, family_.c.name() + "/entries/x", &read), "name"));
  std::string id = IdOf(*created.begin());
  Family other = NewFamily();
  EXPECT_EQ(
      GetAssessment(kLead, other.c.name() + "/parentingAssessments/" + id, &read).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// The manager signs off the evidence they read: if a session is recorded after their read, the
// etag they hold no longer matches.
TEST_F(WorkbookAssessmentTest, SignOffIsRefusedWhenTheEvidenceChangedSinceTheRead) {
  ModuleSession(family_.father, 1, 50);
  wv1::ParentingAssessment written = Written(kAssessor, family_.father);
  wv1::ParentingAssessment seen_by_manager;
  ASSERT_TRUE(GetAssessment(kManager, written.name(), &seen_by_manager).ok());
  ModuleSession(family_.father, 2, 10);  // recorded after the manager's read
  wv1::ParentingAssessment signed_off;
  EXPECT_EQ(SignOffAssessment(kManager, seen_by_manager, &signed_off).error_code(),
            grpc::StatusCode::ABORTED);
  ASSERT_TRUE(GetAssessment(kManager, written.name(), &seen_by_manager).ok());
  EXPECT_EQ(seen_by_manager.modules_size(), 2);
  auto status = SignOffAssessment(kManager, seen_by_manager, &signed_off);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(signed_off.modules_size(), 2);
}

// Signed-off evidence keeps its counts, but a session sealed since is neither named nor quoted
// to a reader who may not see it.
TEST_F(WorkbookAssessmentTest, FrozenEvidenceWithholdsEntriesHiddenSinceTheSignOff) {
  wv1::Entry session = ModuleSession(family_.father, 3, 50, wv1::VISIBILITY_NORMAL, 6);
  wv1::ParentingAssessment written = Written(kAssessor, family_.father);
  wv1::ParentingAssessment signed_off;
  ASSERT_TRUE(SignOffAssessment(kManager, Read(written.name()), &signed_off).ok());

  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = session;
  correct.mutable_entry()->set_visibility(wv1::VISIBILITY_SEALED);
  correct.mutable_entry()->add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_PARENTING_ASSESSOR);
  correct.mutable_update_mask()->add_paths("visibility");
  correct.mutable_update_mask()->add_paths("sealed_for_roles");
  correct.set_reason("The session notes hold health details");
  wv1::Entry corrected;
  auto status = workbook_->CorrectEntry(ContextFor(kManager).get(), correct, &corrected);
  ASSERT_TRUE(status.ok()) << Describe(status);

  wv1::ParentingAssessment read;
  ASSERT_TRUE(GetAssessment(kLead, written.name(), &read).ok());  // not a named role
  ASSERT_EQ(read.modules_size(), 1);
  EXPECT_EQ(read.modules(0).sessions(), 1);
  EXPECT_TRUE(read.modules(0).entries().empty());
  ASSERT_EQ(read.scores_size(), 1);
  EXPECT_TRUE(read.scores(0).withheld());
  EXPECT_FALSE(read.scores(0).has_importance());
  EXPECT_EQ(read.scores(0).entry(), "");
  EXPECT_EQ(read.SerializeAsString().find(session.name()), std::string::npos);
  // The assessor (a named role) still sees the evidence whole.
  read = Read(written.name());
  ASSERT_EQ(read.modules(0).entries_size(), 1);
  EXPECT_EQ(read.modules(0).entries(0), session.name());
  EXPECT_FALSE(read.scores(0).withheld());
  EXPECT_EQ(read.scores(0).importance(), 6);
}

TEST_F(WorkbookAssessmentTest, TextWithNulOrControlCharactersIsRefusedNotCut) {
  wv1::ParentingAssessment created = NewAssessment(kAssessor, family_.father);
  wv1::ParentingAssessment out;
  EXPECT_TRUE(InvalidNaming(Update(kAssessor, created, std::string("Engaged\0 well", 14), "", &out),
                            "parenting_assessment.analysis"));
  EXPECT_TRUE(InvalidNaming(Update(kAssessor, created, "", "Safe\x07", &out),
                            "parenting_assessment.conclusion"));
  EXPECT_EQ(Read(created.name()).analysis(), "");
}

}  // namespace
}  // namespace fs::workbook
