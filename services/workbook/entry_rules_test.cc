// The pure rules of entries: module titles, validation and normalisation, update masks, the
// lifecycle checks, score trends and search snippets.
#include "services/workbook/entry_rules.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>

namespace fs::workbook {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
namespace cv1 = ::fs::cases::v1;

// ---- Module titles ----

TEST(ParseModuleTitlesTest, EmptyOrBlankGivesEightNumberedModules) {
  for (const char* spec : {"", "   ", "\t"}) {
    auto titles = ParseModuleTitles(spec);
    ASSERT_TRUE(titles.ok()) << titles.status();
    ASSERT_EQ(titles->size(), 8u) << spec;
    EXPECT_EQ(titles->front(), "Module 1");
    EXPECT_EQ(titles->back(), "Module 8");
  }
}

TEST(ParseModuleTitlesTest, TitlesAreSplitOnBarsAndTrimmed) {
  auto titles = ParseModuleTitles(" Understanding abuse |Triggers| Safety planning ");
  ASSERT_TRUE(titles.ok()) << titles.status();
  EXPECT_THAT(*titles, ElementsAre("Understanding abuse", "Triggers", "Safety planning"));
  auto one = ParseModuleTitles("Only one");
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(*one, ElementsAre("Only one"));
}

TEST(ParseModuleTitlesTest, EmptyOrLongTitlesAndTooManyModulesAreRefused) {
  EXPECT_FALSE(ParseModuleTitles("A||B").ok());
  EXPECT_FALSE(ParseModuleTitles("A| |B").ok());
  EXPECT_FALSE(ParseModuleTitles("A|").ok());
  EXPECT_TRUE(ParseModuleTitles(std::string(100, 'x')).ok());
  EXPECT_FALSE(ParseModuleTitles(std::string(101, 'x')).ok());
  std::string twenty = "m";
  for (int i = 1; i < 20; ++i) twenty += "|m";
  auto ok = ParseModuleTitles(twenty);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 20u);
  auto too_many = ParseModuleTitles(twenty + "|m");
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_many.status().message()), HasSubstr("module_titles"));
}

// ---- NormaliseEntry ----

class NormaliseEntryTest : public ::testing::Test {
 protected:
  NormaliseEntryTest() {
    context_.case_id = "c1";
    context_.people = {{"child", "CHILD"}, {"mum", "ADULT"}, {"dad", "ADULT"}};
    context_.module_count = 8;
    context_.now = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0), absl::UTCTimeZone());
  }

  google::protobuf::Timestamp At(absl::Duration from_now) const {
    return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(context_.now + from_now));
  }

  v1::Entry Valid() const {
    v1::Entry e;
    e.set_kind(v1::ENTRY_KIND_CASE_NOTE);
    e.set_title("Note");
    e.set_text("Line one\n\tLine two\r\n");
    *e.mutable_occur_time() = At(-absl::Hours(1));
    return e;
  }

  // INVALID_ARGUMENT naming `field` after `spoil`.
  ::testing::AssertionResult Refused(const std::function<void(v1::Entry&)>& spoil,
                                     const std::string& field) const {
    v1::Entry e = Valid();
    spoil(e);
    absl::Status s = NormaliseEntry(e, context_);
    if (s.code() != absl::StatusCode::kInvalidArgument) {
      return ::testing::AssertionFailure() << "got " << s;
    }
    if (std::string(s.message()).rfind(field + ":", 0) != 0) {
      return ::testing::AssertionFailure() << "does not name " << field << ": " << s;
    }
    return ::testing::AssertionSuccess();
  }

  EntryContext context_;
};

TEST_F(NormaliseEntryTest, AValidNoteIsNormalOnceNormalised) {
  v1::Entry e = Valid();
  ASSERT_TRUE(NormaliseEntry(e, context_).ok());
  EXPECT_EQ(e.visibility(), v1::VISIBILITY_NORMAL);
  EXPECT_TRUE(e.sealed_for_roles().empty());
  EXPECT_EQ(e.text(), "Line one\n\tLine two\r\n");  // tabs and line breaks allowed
}

TEST_F(NormaliseEntryTest, SealedRolesAreDeduplicatedSortedAndIncludeTheTeamManager) {
  v1::Entry e = Valid();
  e.set_visibility(v1::VISIBILITY_SEALED);
  e.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
  e.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER);
  e.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
  ASSERT_TRUE(NormaliseEntry(e, context_).ok());
  std::vector<int> roles(e.sealed_for_roles().begin(), e.sealed_for_roles().end());
  std::vector<int> expected = {cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER,
                               cv1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER,
                               cv1::FAMILY_SAFEGUARDING_ROLE_TEAM_MANAGER};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(roles, expected);
  // Normalising again changes nothing.
  v1::Entry again = e;
  ASSERT_TRUE(NormaliseEntry(again, context_).ok());
  EXPECT_EQ(again.SerializeAsString(), e.SerializeAsString());
}

TEST_F(NormaliseEntryTest, SubjectsAreDeduplicatedAndSortedAndScoresSortedByPerson) {
  v1::Entry e = Valid();
  e.set_kind(v1::ENTRY_KIND_MI_SESSION);
  e.add_subjects("cases/c1/people/mum");
  e.add_subjects("cases/c1/people/dad");
  e.add_subjects("cases/c1/people/mum");
  auto* s1 = e.add_scaling_scores();
  s1->set_person("cases/c1/people/mum");
  s1->set_importance(0);
  auto* s2 = e.add_scaling_scores();
  s2->set_person("cases/c1/people/dad");
  s2->set_readiness(10);
  ASSERT_TRUE(NormaliseEntry(e, context_).ok());
  EXPECT_THAT(e.subjects(), ElementsAre("cases/c1/people/dad", "cases/c1/people/mum"));
  ASSERT_EQ(e.scaling_scores_size(), 2);
  EXPECT_EQ(e.scaling_scores(0).person(), "cases/c1/people/dad");
  EXPECT_EQ(e.scaling_scores(1).person(), "cases/c1/people/mum");
  EXPECT_TRUE(e.scaling_scores(1).has_importance());  // 0 is an answer
}

TEST_F(NormaliseEntryTest, OccurTimeMayBeAFewMinutesAheadButNotInTheFutureNorBefore1990) {
  v1::Entry e = Valid();
  *e.mutable_occur_time() = At(absl::Minutes(4));  // clock skew
  EXPECT_TRUE(NormaliseEntry(e, context_).ok());
  EXPECT_TRUE(Refused([&](v1::Entry& x) { *x.mutable_occur_time() = At(absl::Minutes(6)); },
                      "entry.occur_time"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) { *x.mutable_occur_time() = TimeUtil::SecondsToTimestamp(631152000 - 1); },
      "entry.occur_time"));  // 1989-12-31T23:59:59Z
  e = Valid();
  *e.mutable_occur_time() = TimeUtil::SecondsToTimestamp(631152000);  // 1990-01-01T00:00:00Z
  EXPECT_TRUE(NormaliseEntry(e, context_).ok());
  EXPECT_TRUE(
      Refused([](v1::Entry& x) { x.mutable_occur_time()->set_nanos(-1); }, "entry.occur_time"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.mutable_occur_time()->set_seconds(-1LL << 40); },
                      "entry.occur_time"));
}

TEST_F(NormaliseEntryTest, BadContentIsRefusedNamingTheField) {
  EXPECT_TRUE(
      Refused([](v1::Entry& x) { x.set_kind(static_cast<v1::EntryKind>(99)); }, "entry.kind"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_visibility(static_cast<v1::Visibility>(42)); },
                      "entry.visibility"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_title(std::string(201, 'a')); }, "entry.title"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_title("tab\x7f"); }, "entry.title"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_text(std::string(100001, 'a')); }, "entry.text"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_text(std::string("nul\0here", 8)); }, "entry.text"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_visibility(v1::VISIBILITY_SEALED);
        x.add_sealed_for_roles(static_cast<cv1::FamilySafeguardingRole>(999));
      },
      "entry.sealed_for_roles"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_visibility(v1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR);
        x.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
      },
      "entry.sealed_for_roles"));
  EXPECT_TRUE(
      Refused([](v1::Entry& x) { x.add_subjects("cases/c1/people/nobody"); }, "entry.subjects"));
  EXPECT_TRUE(
      Refused([](v1::Entry& x) { x.add_subjects("cases/c2/people/mum"); }, "entry.subjects"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_module(-1); }, "entry.module"));
  EXPECT_TRUE(Refused([](v1::Entry& x) { x.set_module(9); }, "entry.module"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_kind(v1::ENTRY_KIND_MI_SESSION);
        x.add_subjects("cases/c1/people/mum");
        x.add_scaling_scores()->set_person("cases/c1/people/mum");  // no scale answered
      },
      "entry.scaling_scores"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_kind(v1::ENTRY_KIND_MODULE_SESSION);
        x.set_module(1);
        x.add_subjects("cases/c1/people/mum");
        x.add_scaling_scores()->set_person("cases/c1/people/mum");
        x.mutable_scaling_scores(0)->set_confidence(-1);
      },
      "entry.scaling_scores.confidence"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_kind(v1::ENTRY_KIND_MI_SESSION);
        x.add_subjects("cases/c1/people/mum");
        x.add_scaling_scores()->set_person("cases/c1/people/mum");
        x.mutable_scaling_scores(0)->set_readiness(11);
      },
      "entry.scaling_scores.readiness"));
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_kind(v1::ENTRY_KIND_MI_SESSION);
        x.add_subjects("cases/c1/people/mum");
        for (int i = 0; i < 2; ++i) {
          x.add_scaling_scores()->set_person("cases/c1/people/mum");
          x.mutable_scaling_scores(i)->set_importance(i);
        }
      },
      "entry.scaling_scores.person"));
}

TEST_F(NormaliseEntryTest, ModuleCountComesFromTheContext) {
  context_.module_count = 3;
  v1::Entry e = Valid();
  e.set_kind(v1::ENTRY_KIND_MODULE_SESSION);
  e.set_module(3);
  EXPECT_TRUE(NormaliseEntry(e, context_).ok());
  EXPECT_TRUE(Refused(
      [](v1::Entry& x) {
        x.set_kind(v1::ENTRY_KIND_MODULE_SESSION);
        x.set_module(4);
      },
      "entry.module"));
  // A module on another kind of entry is allowed (work touching a module).
  e = Valid();
  e.set_module(2);
  EXPECT_TRUE(NormaliseEntry(e, context_).ok());
}

// ---- ApplyEntryMask ----

TEST(ApplyEntryMaskTest, CopiesOnlyTheMaskedFields) {
  v1::Entry entry;
  entry.set_title("Old title");
  entry.set_text("Old text");
  entry.set_author("sw-1");
  entry.set_significant(false);
  v1::Entry update;
  update.set_title("New title");
  update.set_text("New text");
  update.set_significant(true);
  update.set_author("intruder");
  update.add_subjects("cases/c1/people/p");
  google::protobuf::FieldMask mask;
  mask.add_paths("text");
  mask.add_paths("significant");
  ASSERT_TRUE(ApplyEntryMask(update, mask, entry).ok());
  EXPECT_EQ(entry.title(), "Old title");
  EXPECT_EQ(entry.text(), "New text");
  EXPECT_TRUE(entry.significant());
  EXPECT_EQ(entry.author(), "sw-1");
  EXPECT_TRUE(entry.subjects().empty());

  // A masked repeated field is replaced, also by an empty list.
  entry.add_subjects("cases/c1/people/a");
  google::protobuf::FieldMask subjects;
  subjects.add_paths("subjects");
  v1::Entry none;
  ASSERT_TRUE(ApplyEntryMask(none, subjects, entry).ok());
  EXPECT_TRUE(entry.subjects().empty());
}

TEST(ApplyEntryMaskTest, EveryDocumentedPathIsAccepted) {
  v1::Entry update;
  update.set_kind(v1::ENTRY_KIND_PLAN);
  update.set_visibility(v1::VISIBILITY_SEALED);
  update.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
  *update.mutable_occur_time() = TimeUtil::SecondsToTimestamp(1700000000);
  update.add_subjects("cases/c1/people/p");
  update.set_module(4);
  update.add_scaling_scores()->set_person("cases/c1/people/p");
  update.set_title("t");
  update.set_text("x");
  update.set_significant(true);
  google::protobuf::FieldMask mask;
  for (const char* path : {"kind", "visibility", "sealed_for_roles", "occur_time", "subjects",
                           "module", "scaling_scores", "title", "text", "significant"}) {
    mask.add_paths(path);
  }
  v1::Entry entry;
  ASSERT_TRUE(ApplyEntryMask(update, mask, entry).ok());
  EXPECT_EQ(entry.SerializeAsString(), update.SerializeAsString());
}

TEST(ApplyEntryMaskTest, EmptyMasksAndOutputFieldsAreRefused) {
  v1::Entry entry, update;
  google::protobuf::FieldMask empty;
  absl::Status s = ApplyEntryMask(update, empty, entry);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("update_mask"));
  for (const char* path : {"author", "state", "revision", "name", "etag", "history", "Text"}) {
    google::protobuf::FieldMask mask;
    mask.add_paths("title");
    mask.add_paths(path);
    update.set_title("changed");
    v1::Entry target;
    s = ApplyEntryMask(update, mask, target);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  }
}

// ---- Reasons ----

TEST(CheckReasonTest, TenToTwoThousandCharactersNotCountingSurroundingBlanks) {
  EXPECT_TRUE(CheckReason("0123456789", "reason").ok());
  EXPECT_FALSE(CheckReason("012345678", "reason").ok());
  EXPECT_FALSE(CheckReason("   12345678   ", "reason").ok());
  EXPECT_TRUE(CheckReason(std::string(2000, 'r'), "reason").ok());
  absl::Status s = CheckReason(std::string(2001, 'r'), "my.reason");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("my.reason"));
}

// ---- Lifecycle ----

v1::Entry EntryIn(v1::EntryState state, const std::string& author = "sw-1") {
  v1::Entry e;
  e.set_name("cases/c1/entries/e1");
  e.set_state(state);
  e.set_author(author);
  e.set_revision(state == v1::ENTRY_STATE_DRAFT ? 0 : 1);
  return e;
}

TEST(LifecycleTest, OnlyTheAuthorEditsADraft) {
  EXPECT_TRUE(CheckCanEditDraft(EntryIn(v1::ENTRY_STATE_DRAFT), "sw-1").ok());
  EXPECT_EQ(CheckCanEditDraft(EntryIn(v1::ENTRY_STATE_DRAFT), "tm-1").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanEditDraft(EntryIn(v1::ENTRY_STATE_FINAL), "sw-1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckCanEditDraft(EntryIn(v1::ENTRY_STATE_SIGNED_OFF), "sw-1").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LifecycleTest, OnlyTheAuthorFinalisesAndOnlyOnce) {
  EXPECT_TRUE(CheckCanFinalise(EntryIn(v1::ENTRY_STATE_DRAFT), "sw-1").ok());
  EXPECT_EQ(CheckCanFinalise(EntryIn(v1::ENTRY_STATE_DRAFT), "sw-2").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanFinalise(EntryIn(v1::ENTRY_STATE_FINAL), "sw-1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckCanFinalise(EntryIn(v1::ENTRY_STATE_SIGNED_OFF), "sw-1").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LifecycleTest, AManagerOtherThanTheAuthorSignsOffAFinalEntry) {
  EXPECT_TRUE(CheckCanSignOff(EntryIn(v1::ENTRY_STATE_FINAL), "tm-1", true).ok());
  EXPECT_EQ(CheckCanSignOff(EntryIn(v1::ENTRY_STATE_FINAL), "sw-2", false).code(),
            absl::StatusCode::kPermissionDenied);
  // A manager who wrote the entry does not sign it off.
  EXPECT_EQ(CheckCanSignOff(EntryIn(v1::ENTRY_STATE_FINAL, "tm-1"), "tm-1", true).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanSignOff(EntryIn(v1::ENTRY_STATE_DRAFT), "tm-1", true).code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status twice = CheckCanSignOff(EntryIn(v1::ENTRY_STATE_SIGNED_OFF), "tm-1", true);
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(twice.message()), HasSubstr("revision 1"));
  // Permission is decided before state: a non-manager learns nothing about the state.
  EXPECT_EQ(CheckCanSignOff(EntryIn(v1::ENTRY_STATE_DRAFT), "sw-2", false).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(LifecycleTest, TheAuthorOrAManagerCorrectsAFinalOrSignedOffEntry) {
  EXPECT_TRUE(CheckCanCorrect(EntryIn(v1::ENTRY_STATE_FINAL), "sw-1", false).ok());
  EXPECT_TRUE(CheckCanCorrect(EntryIn(v1::ENTRY_STATE_SIGNED_OFF), "sw-1", false).ok());
  EXPECT_TRUE(CheckCanCorrect(EntryIn(v1::ENTRY_STATE_SIGNED_OFF), "tm-1", true).ok());
  EXPECT_EQ(CheckCanCorrect(EntryIn(v1::ENTRY_STATE_FINAL), "sw-2", false).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanCorrect(EntryIn(v1::ENTRY_STATE_DRAFT), "sw-1", false).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RevisionOfTest, CarriesTheContentAndWhoRevisedIt) {
  v1::Entry e;
  e.set_revision(3);
  e.set_kind(v1::ENTRY_KIND_HOME_VISIT);
  e.set_visibility(v1::VISIBILITY_SEALED);
  e.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_TEAM_MANAGER);
  *e.mutable_occur_time() = TimeUtil::SecondsToTimestamp(1700000000);
  e.add_subjects("cases/c1/people/p");
  e.set_module(2);
  e.set_title("T");
  e.set_text("X");
  e.set_significant(true);
  e.set_author("not-copied");
  v1::EntryRevision r = RevisionOf(e, "sw-9", "because of a typo");
  EXPECT_EQ(r.revision(), 3);
  EXPECT_EQ(r.revised_by(), "sw-9");
  EXPECT_EQ(r.reason(), "because of a typo");
  EXPECT_EQ(r.kind(), v1::ENTRY_KIND_HOME_VISIT);
  EXPECT_EQ(r.visibility(), v1::VISIBILITY_SEALED);
  EXPECT_EQ(r.sealed_for_roles_size(), 1);
  EXPECT_EQ(r.occur_time().seconds(), 1700000000);
  EXPECT_THAT(r.subjects(), ElementsAre("cases/c1/people/p"));
  EXPECT_EQ(r.module(), 2);
  EXPECT_EQ(r.title(), "T");
  EXPECT_EQ(r.text(), "X");
  EXPECT_TRUE(r.significant());
  EXPECT_EQ(r.signed_off_by(), "");
}

// ---- Storage names ----

TEST(StorageNamesTest, RoundTrip) {
  EXPECT_EQ(KindName(v1::ENTRY_KIND_MODULE_SESSION), "MODULE_SESSION");
  EXPECT_EQ(KindFromName("MODULE_SESSION"), v1::ENTRY_KIND_MODULE_SESSION);
  EXPECT_EQ(KindFromName("nonsense"), v1::ENTRY_KIND_UNSPECIFIED);
  EXPECT_EQ(StateName(v1::ENTRY_STATE_SIGNED_OFF), "SIGNED_OFF");
  EXPECT_EQ(StateFromName("FINAL"), v1::ENTRY_STATE_FINAL);
  EXPECT_EQ(VisibilityName(v1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR),
            "RESTRICTED_FROM_PERPETRATOR");
  EXPECT_EQ(VisibilityFromName("SEALED"), v1::VISIBILITY_SEALED);
}

// ---- Score trends ----

v1::ScorePoint Point(std::optional<int> importance, std::optional<int> confidence,
                     std::optional<int> readiness) {
  v1::ScorePoint p;
  if (importance) p.set_importance(*importance);
  if (confidence) p.set_confidence(*confidence);
  if (readiness) p.set_readiness(*readiness);
  return p;
}

TEST(ScoreTrendsTest, FirstLatestAndChangePerScaleSkippingUnanswered) {
  std::vector<v1::ScorePoint> points = {
      Point(3, std::nullopt, std::nullopt),
      Point(std::nullopt, 8, std::nullopt),
      Point(7, std::nullopt, std::nullopt),
      Point(6, 2, std::nullopt),
  };
  auto trends = ScoreTrends(points);
  ASSERT_EQ(trends.size(), 2u);  // readiness never answered
  EXPECT_EQ(trends[0].scale(), "importance");
  EXPECT_EQ(trends[0].first(), 3);
  EXPECT_EQ(trends[0].latest(), 6);
  EXPECT_EQ(trends[0].change(), 3);
  EXPECT_EQ(trends[0].answers(), 3);
  EXPECT_EQ(trends[1].scale(), "confidence");
  EXPECT_EQ(trends[1].first(), 8);
  EXPECT_EQ(trends[1].latest(), 2);
  EXPECT_EQ(trends[1].change(), -6);
  EXPECT_EQ(trends[1].answers(), 2);
}

TEST(ScoreTrendsTest, ZeroIsAnAnswerAndOneAnswerHasNoChange) {
  auto trends = ScoreTrends({Point(std::nullopt, std::nullopt, 0)});
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_EQ(trends[0].scale(), "readiness");
  EXPECT_EQ(trends[0].first(), 0);
  EXPECT_EQ(trends[0].latest(), 0);
  EXPECT_EQ(trends[0].change(), 0);
  EXPECT_EQ(trends[0].answers(), 1);
  EXPECT_TRUE(ScoreTrends({}).empty());
  EXPECT_TRUE(ScoreTrends({Point(std::nullopt, std::nullopt, std::nullopt)}).empty());
}

// ---- Snippets ----

TEST(HtmlEscapeTest, EscapesTheFiveCharacters) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x">Tom & Jerry's</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("Zoë – plain"), "Zoë – plain");
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");  // not idempotent: escapes once per call
}

TEST(ParseHeadlineTest, MarksBecomeHighlightsAndMarkTags) {
  Snippet s = ParseHeadline("Saw \x01mother\x02 at <home> & \x01mother\x02's car");
  EXPECT_EQ(s.text, "Saw mother at <home> & mother's car");
  EXPECT_THAT(s.highlights, ElementsAre(Pair(4, 6), Pair(23, 6)));
  for (const auto& [start, length] : s.highlights) {
    EXPECT_EQ(s.text.substr(start, length), "mother");
  }
  EXPECT_EQ(s.html, "Saw <mark>mother</mark> at &lt;home&gt; &amp; <mark>mother</mark>&#39;s car");
}

TEST(ParseHeadlineTest, OffsetsAreInBytesAfterMultiByteCharacters) {
  Snippet s = ParseHeadline("Zoë’s \x01visit\x02");
  EXPECT_EQ(s.text, "Zoë’s visit");
  ASSERT_EQ(s.highlights.size(), 1u);
  EXPECT_EQ(s.highlights[0].first, static_cast<int>(std::string("Zoë’s ").size()));
  EXPECT_EQ(s.text.substr(s.highlights[0].first, s.highlights[0].second), "visit");
  EXPECT_EQ(s.html, "Zoë’s <mark>visit</mark>");
}

TEST(ParseHeadlineTest, NoMatchesGivesThePlainText) {
  Snippet s = ParseHeadline("nothing <matched>");
  EXPECT_EQ(s.text, "nothing <matched>");
  EXPECT_TRUE(s.highlights.empty());
  EXPECT_EQ(s.html, "nothing &lt;matched&gt;");
}

TEST(ParseHeadlineTest, ACutOffMatchIsClosedAndHighlightedToTheEnd) {
  Snippet s = ParseHeadline(
      "before \x01"
      "cut off");
  EXPECT_EQ(s.text, "before cut off");
  EXPECT_EQ(s.html, "before <mark>cut off</mark>");
  // The highlights say the same as the <mark>s.
  EXPECT_THAT(s.highlights, ElementsAre(Pair(7, 7)));
  // A stray end marker closes nothing; a start inside a match opens nothing: the HTML stays
  // balanced.
  Snippet stray = ParseHeadline(
      "a\x02"
      "b");
  EXPECT_EQ(stray.text, "ab");
  EXPECT_EQ(stray.html, "ab");
  EXPECT_TRUE(stray.highlights.empty());
  Snippet nested = ParseHeadline(
      "\x01"
      "a\x01"
      "b\x02"
      "c");
  EXPECT_EQ(nested.text, "abc");
  EXPECT_EQ(nested.html, "<mark>ab</mark>c");
  EXPECT_THAT(nested.highlights, ElementsAre(Pair(0, 2)));
}

}  // namespace
}  // namespace fs::workbook
