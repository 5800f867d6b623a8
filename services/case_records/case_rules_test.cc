#include "services/case_records/case_rules.h"

#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs::cases {
namespace {

using ::testing::HasSubstr;

constexpr CaseState kAllStates[] = {
    CaseState::kReferral,        CaseState::kAssessment,  CaseState::kChildInNeed,
    CaseState::kChildProtection, CaseState::kLookedAfter, CaseState::kClosed,
};

// ---------------------------------------------------------------------------------------------
// CheckStateChange: every one of the 6x6 pairs.

struct TransitionCase {
  CaseState from;
  CaseState to;
  absl::StatusCode expected;
};

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kRefused = absl::StatusCode::kFailedPrecondition;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

using S = CaseState;

constexpr TransitionCase kTransitions[] = {
    // From REFERRAL: only on to ASSESSMENT.
    {S::kReferral, S::kReferral, kInvalid},
    {S::kReferral, S::kAssessment, kOk},
    {S::kReferral, S::kChildInNeed, kRefused},
    {S::kReferral, S::kChildProtection, kRefused},
    {S::kReferral, S::kLookedAfter, kRefused},
    {S::kReferral, S::kClosed, kInvalid},
    // From ASSESSMENT: to any statutory plan.
    {S::kAssessment, S::kReferral, kInvalid},
    {S::kAssessment, S::kAssessment, kRefused},
    {S::kAssessment, S::kChildInNeed, kOk},
    {S::kAssessment, S::kChildProtection, kOk},
    {S::kAssessment, S::kLookedAfter, kOk},
    {S::kAssessment, S::kClosed, kInvalid},
    // From CHILD_IN_NEED: stepped up or across, never back to ASSESSMENT.
    {S::kChildInNeed, S::kReferral, kInvalid},
    {S::kChildInNeed, S::kAssessment, kRefused},
    {S::kChildInNeed, S::kChildInNeed, kRefused},
    {S::kChildInNeed, S::kChildProtection, kOk},
    {S::kChildInNeed, S::kLookedAfter, kOk},
    {S::kChildInNeed, S::kClosed, kInvalid},
    // From CHILD_PROTECTION.
    {S::kChildProtection, S::kReferral, kInvalid},
    {S::kChildProtection, S::kAssessment, kRefused},
    {S::kChildProtection, S::kChildInNeed, kOk},
    {S::kChildProtection, S::kChildProtection, kRefused},
    {S::kChildProtection, S::kLookedAfter, kOk},
    {S::kChildProtection, S::kClosed, kInvalid},
    // From LOOKED_AFTER.
    {S::kLookedAfter, S::kReferral, kInvalid},
    {S::kLookedAfter, S::kAssessment, kRefused},
    {S::kLookedAfter, S::kChildInNeed, kOk},
    {S::kLookedAfter, S::kChildProtection, kOk},
    {S::kLookedAfter, S::kLookedAfter, kRefused},
    {S::kLookedAfter, S::kClosed, kInvalid},
    // From CLOSED: always refused, whatever the target (ReopenCase is the way back).
    {S::kClosed, S::kReferral, kRefused},
    {S::kClosed, S::kAssessment, kRefused},
    {S::kClosed, S::kChildInNeed, kRefused},
    {S::kClosed, S::kChildProtection, kRefused},
    {S::kClosed, S::kLookedAfter, kRefused},
    {S::kClosed, S::kClosed, kRefused},
};

TEST(CheckStateChangeTableTest, CoversAllThirtySixPairsOnce) {
  std::set<std::pair<CaseState, CaseState>> pairs;
  for (const auto& transition : kTransitions) pairs.insert({transition.from, transition.to});
  EXPECT_EQ(pairs.size(), 36u);
  EXPECT_EQ(std::size(kTransitions), 36u);
}

class CheckStateChangeTest : public ::testing::TestWithParam<TransitionCase> {};

TEST_P(CheckStateChangeTest, ReturnsExpectedCode) {
  const TransitionCase& transition = GetParam();
  absl::Status status = CheckStateChange(transition.from, transition.to);
  EXPECT_EQ(status.code(), transition.expected)
      << CaseStateName(transition.from) << " -> " << CaseStateName(transition.to) << ": " << status;
  if (transition.expected != kOk) {
    EXPECT_FALSE(status.message().empty());
  }
}

std::string TransitionName(const ::testing::TestParamInfo<TransitionCase>& info) {
  std::string name;
  for (char c :
       absl::StrCat(CaseStateName(info.param.from), "_to_", CaseStateName(info.param.to))) {
    if (c != '_') name.push_back(c);
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllPairs, CheckStateChangeTest, ::testing::ValuesIn(kTransitions),
                         TransitionName);

TEST(CheckStateChangeTest, ClosedTargetPointsAtCloseCase) {
  absl::Status status = CheckStateChange(CaseState::kChildInNeed, CaseState::kClosed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("state"));
  EXPECT_THAT(status.message(), HasSubstr("CloseCase"));
}

TEST(CheckStateChangeTest, ReferralTargetPointsAtReopenCase) {
  absl::Status status = CheckStateChange(CaseState::kAssessment, CaseState::kReferral);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("ReopenCase"));
}

TEST(CheckStateChangeTest, FromClosedPointsAtReopenCase) {
  absl::Status status = CheckStateChange(CaseState::kClosed, CaseState::kAssessment);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("ReopenCase"));
}

TEST(CheckStateChangeTest, RefusedMoveNamesBothStates) {
  absl::Status status = CheckStateChange(CaseState::kReferral, CaseState::kChildProtection);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("REFERRAL"));
  EXPECT_THAT(status.message(), HasSubstr("CHILD_PROTECTION"));
}

// ---------------------------------------------------------------------------------------------
// CheckClosure.

TEST(CheckClosureTest, AlreadyClosedIsRefused) {
  EXPECT_EQ(CheckClosure(CaseState::kClosed, 0, 0).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CheckClosureTest, OpenPlanIsRefusedMentioningPlan) {
  absl::Status status = CheckClosure(CaseState::kChildProtection, 1, 0);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("plan"));
}

TEST(CheckClosureTest, OpenEpisodeIsRefusedMentioningEpisode) {
  absl::Status status = CheckClosure(CaseState::kLookedAfter, 0, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("episode"));
}

TEST(CheckClosureTest, NothingOpenIsAllowedFromEveryOpenState) {
  for (CaseState state : kAllStates) {
    if (state == CaseState::kClosed) continue;
    EXPECT_TRUE(CheckClosure(state, 0, 0).ok()) << CaseStateName(state);
  }
}

// ---------------------------------------------------------------------------------------------
// CaseStateName / ParseCaseState.

TEST(CaseStateNameTest, Names) {
  EXPECT_EQ(CaseStateName(CaseState::kReferral), "REFERRAL");
  EXPECT_EQ(CaseStateName(CaseState::kAssessment), "ASSESSMENT");
  EXPECT_EQ(CaseStateName(CaseState::kChildInNeed), "CHILD_IN_NEED");
  EXPECT_EQ(CaseStateName(CaseState::kChildProtection), "CHILD_PROTECTION");
  EXPECT_EQ(CaseStateName(CaseState::kLookedAfter), "LOOKED_AFTER");
  EXPECT_EQ(CaseStateName(CaseState::kClosed), "CLOSED");
}

TEST(CaseStateNameTest, RoundTripsThroughParseCaseState) {
  for (CaseState state : kAllStates) {
    absl::StatusOr<CaseState> parsed = ParseCaseState(CaseStateName(state));
    ASSERT_TRUE(parsed.ok()) << CaseStateName(state) << ": " << parsed.status();
    EXPECT_EQ(*parsed, state) << CaseStateName(state);
  }
}

TEST(ParseCaseStateTest, UnknownNamesAreInvalid) {
  for (const char* name : {"", "closed", "CHILD IN NEED", "UNKNOWN", "OPEN"}) {
    absl::StatusOr<CaseState> parsed = ParseCaseState(name);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << "'" << name << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// DfE code lists.

void ExpectValid(absl::Status (*check)(absl::string_view, absl::string_view),
                 const std::vector<std::string>& codes) {
  for (const std::string& code : codes) {
    EXPECT_TRUE(check(code, "field").ok()) << "'" << code << "': " << check(code, "field");
  }
}

void ExpectInvalid(absl::Status (*check)(absl::string_view, absl::string_view),
                   const std::vector<std::string>& codes, const std::string& field) {
  for (const std::string& code : codes) {
    absl::Status status = check(code, field);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << "'" << code << "'";
    EXPECT_THAT(status.message(), HasSubstr(field)) << "'" << code << "'";
  }
}

TEST(CodeListTest, ReasonForClosure) {
  ExpectValid(CheckReasonForClosure,
              {"RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"});
  ExpectInvalid(CheckReasonForClosure, {"RC0", "RC10", "rc1", "RC", ""}, "reason_for_closure");
}

TEST(CodeListTest, ReasonForClosureMessageQuotesTheCode) {
  EXPECT_THAT(CheckReasonForClosure("RC10", "reason_for_closure").message(), HasSubstr("'RC10'"));
}

TEST(CodeListTest, PrimaryNeedCode) {
  ExpectValid(CheckPrimaryNeedCode, {"N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"});
  ExpectInvalid(CheckPrimaryNeedCode, {"N10", "n1", "N", "1", ""}, "primary_need_code");
}

TEST(CodeListTest, ReferralSource) {
  ExpectValid(CheckReferralSource, {"6", "3E", "1A", "10"});
  ExpectInvalid(CheckReferralSource, {"3G", "11", "3e", ""}, "referral_source");
}

TEST(CodeListTest, CategoryOfAbuse) {
  ExpectValid(CheckCategoryOfAbuse, {"NEG", "PHY", "EMO", "SAB", "MUL"});
  ExpectInvalid(CheckCategoryOfAbuse, {"neg", "SEX", "NEGLECT", ""}, "initial_category_of_abuse");
}

TEST(CodeListTest, AssessmentFactor) {
  ExpectValid(CheckAssessmentFactor, {"1B", "2B", "3A", "3B", "3C", "4B"});
  ExpectInvalid(CheckAssessmentFactor, {"1b", "3D", "99Z", ""}, "assessment_factors");
}

TEST(CodeListTest, LegalStatus) {
  ExpectValid(CheckLegalStatus, {"C2", "V2"});
  ExpectInvalid(CheckLegalStatus, {"c2", "C3", "V1", ""}, "legal_status");
}

TEST(CodeListTest, ReasonEpisodeEnded) {
  ExpectValid(CheckReasonEpisodeEnded, {"E11", "E4A"});
  ExpectInvalid(CheckReasonEpisodeEnded, {"e11", "E10", "E1", ""}, "reason_episode_ended");
}

TEST(CodeListTest, GenderCurrent) {
  for (int code : {0, 1, 2, 9}) {
    EXPECT_TRUE(CheckGenderCurrent(code, "gender_current").ok()) << code;
  }
  for (int code : {3, -1, 8, 10}) {
    absl::Status status = CheckGenderCurrent(code, "child.gender_current");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << code;
    EXPECT_THAT(status.message(), HasSubstr("child.gender_current")) << code;
  }
}

}  // namespace
}  // namespace fs::cases
