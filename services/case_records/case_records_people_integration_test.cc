// case_records people over real gRPC and PostgreSQL: validation, likely duplicates, search,
// updates with masks and etags, pagination and idempotent creates.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

using CaseRecordsPeopleTest = CaseRecordsTest;

// The match for `person` among `matches`, or nullptr.
const v1::PersonMatch* MatchFor(const google::protobuf::RepeatedPtrField<v1::PersonMatch>& matches,
                                const std::string& person) {
  for (const auto& m : matches) {
    if (m.person() == person) return &m;
  }
  return nullptr;
}

TEST_F(CaseRecordsPeopleTest, ChildWithAnInvalidNhsNumberIsRefusedByName) {
  v1::Case c = NewCase();
  for (const std::string nhs : {"9434765918", "943476591", "94347659190", "943-476-591X"}) {
    v1::CreatePersonResponse response;
    auto status =
        CreatePerson(kLead, c.name(), Child("Amy", "Jones", nhs, "2019-03-07"), &response);
    EXPECT_TRUE(InvalidNaming(status, "person.nhs_number")) << nhs;
  }
  EXPECT_EQ(Count("people"), 0);
  // Spaces in the 3-3-4 groups are accepted and stored as the ten digits.
  v1::Person child = AddPerson(c, Child("Amy", "Jones", "943 476 5919", "2019-03-07")).person();
  EXPECT_EQ(child.nhs_number(), kNhs1);
  EXPECT_EQ(Count("people", "nhs_number = '9434765919'"), 1);
}

TEST_F(CaseRecordsPeopleTest, UnbornChildHasAnExpectedBirthDateOnly) {
  v1::Case c = NewCase();
  v1::Person unborn = Child("Baby", "Jones", "", "");
  unborn.set_expected_birth_date("2027-02-14");
  v1::CreatePersonResponse created = AddPerson(c, unborn);
  EXPECT_EQ(created.person().expected_birth_date(), "2027-02-14");
  EXPECT_EQ(created.person().birth_date(), "");
  EXPECT_EQ(created.person().kind(), v1::PERSON_KIND_CHILD);
  EXPECT_EQ(Count("people", "birth_date IS NULL AND expected_birth_date = '2027-02-14'"), 1);

  v1::CreatePersonResponse response;
  v1::Person both = Child("Baby", "Smith", "", "2026-01-01");
  both.set_expected_birth_date("2027-02-14");
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), both, &response), "expected_birth_date"));
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), Child("No", "Dates", "", ""), &response),
                            "person.birth_date"));
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), Child("Not", "Yet", "", "2027-01-01"), &response),
                    "person.birth_date"));
  v1::Person bad_expected = Child("Baby", "Brown", "", "");
  bad_expected.set_expected_birth_date("2027-02-30");
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), bad_expected, &response),
                            "person.expected_birth_date"));
  v1::Person adult_expected = Adult("Ann", "Jones");
  adult_expected.set_expected_birth_date("2027-02-14");
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), adult_expected, &response),
                            "person.expected_birth_date"));
  v1::Person no_kind = Adult("Ann", "Jones");
  no_kind.set_kind(v1::PERSON_KIND_UNSPECIFIED);
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), no_kind, &response), "person.kind"));
  v1::Person gender = Child("Amy", "Jones", "", "2019-03-07");
  gender.set_gender_current(3);
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), gender, &response), "person.gender_current"));
  EXPECT_EQ(Count("people"), 1);
}

TEST_F(CaseRecordsPeopleTest, AdultRelationshipsMustBeToChildrenOnTheSameCase) {
  v1::Case c = NewCase();
  v1::Case other = NewCase();
  v1::Person child = NewChild(c);
  v1::Person elsewhere = NewChild(other, kNhs2, "2020-01-01");
  v1::Person mother_proto = Adult("Mary", "O'Brien");
  auto* rel = mother_proto.add_relationships();
  rel->set_child(child.name());
  rel->set_relationship(v1::RELATIONSHIP_MOTHER);
  rel->set_parental_responsibility(true);
  v1::CreatePersonResponse mother = AddPerson(c, mother_proto);
  ASSERT_EQ(mother.person().relationships_size(), 1);
  EXPECT_EQ(mother.person().relationships(0).child(), child.name());
  EXPECT_EQ(mother.person().relationships(0).relationship(), v1::RELATIONSHIP_MOTHER);
  EXPECT_TRUE(mother.person().relationships(0).parental_responsibility());

  v1::CreatePersonResponse response;
  v1::Person bad = Adult("Fred", "Bloggs");
  bad.add_relationships()->set_child(elsewhere.name());
  bad.mutable_relationships(0)->set_relationship(v1::RELATIONSHIP_FATHER);
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), bad, &response), "person.relationships.child"));
  // The other child's id under this case's name is not a child on this case either.
  bad.mutable_relationships(0)->set_child(c.name() + "/people/" + IdOf(elsewhere.name()));
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), bad, &response), "person.relationships.child"));
  // Nor is an adult.
  bad.mutable_relationships(0)->set_child(mother.person().name());
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), bad, &response), "person.relationships.child"));
  // A relationship needs its kind.
  bad.mutable_relationships(0)->set_child(child.name());
  bad.mutable_relationships(0)->set_relationship(v1::RELATIONSHIP_UNSPECIFIED);
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), bad, &response),
                            "person.relationships.relationship"));
  // Children do not carry relationships.
  v1::Person child_with_rel = Child("Tom", "O'Brien", "", "2021-06-01");
  *child_with_rel.add_relationships() = mother.person().relationships(0);
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), child_with_rel, &response),
                            "person.relationships"));
  EXPECT_EQ(Count("people"), 3);
  EXPECT_EQ(Count("person_relationships"), 1);
}

TEST_F(CaseRecordsPeopleTest, AdultAssessmentFactorsAreCinCodes) {
  v1::Case c = NewCase();
  v1::CreatePersonResponse response;
  v1::Person bad = Adult("Dan", "Smith");
  bad.add_assessment_factors("2B");
  bad.add_assessment_factors("9Z");
  EXPECT_TRUE(
      InvalidNaming(CreatePerson(kLead, c.name(), bad, &response), "person.assessment_factors"));
  EXPECT_EQ(Count("people"), 0);

  v1::Person good = Adult("Dan", "Smith");
  for (const char* f : {"4B", "1B", "3B", "1B"}) good.add_assessment_factors(f);
  v1::Person created = AddPerson(c, good).person();
  EXPECT_EQ(std::vector<std::string>(created.assessment_factors().begin(),
                                     created.assessment_factors().end()),
            (std::vector<std::string>{"1B", "3B", "4B"}));
  // LA child id and UPN are for children; an adult's NHS number is recorded (NHS admissions are
  // reported by it), but never answers a child protection look-up.
  v1::Person adult_upn = Adult("Dan", "Smith");
  adult_upn.set_upn("A123456789012");
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), adult_upn, &response), "person"));
  v1::Person adult_nhs = Adult("Dan", "Smith");
  adult_nhs.set_nhs_number(kNhs2);
  EXPECT_EQ(AddPerson(c, adult_nhs).person().nhs_number(), kNhs2);
  v1::LookupChildProtectionStatusResponse lookup;
  ASSERT_TRUE(Lookup(kNhsPartner, kNhs2, &lookup).ok());
  EXPECT_FALSE(lookup.information_held());
}

TEST_F(CaseRecordsPeopleTest, CreateReportsLikelyDuplicatesHeldElsewhere) {
  v1::Case first = NewCase();
  v1::Person original = AddPerson(first, Child("Zoë", "Smith-Jones", kNhs1, "2019-03-07")).person();
  v1::Case second = NewCase();

  // The same NHS number on another case, whatever the name.
  v1::CreatePersonResponse by_nhs =
      AddPerson(second, Child("Zed", "Different", kNhs1, "2018-01-01"));
  const v1::PersonMatch* m = MatchFor(by_nhs.likely_duplicates(), original.name());
  ASSERT_NE(m, nullptr) << by_nhs.ShortDebugString();
  EXPECT_EQ(m->reason(), "nhs_number");
  EXPECT_EQ(m->display_name(), "Zoë Smith-Jones");
  EXPECT_EQ(m->birth_date(), "2019-03-07");
  EXPECT_EQ(MatchFor(by_nhs.likely_duplicates(), by_nhs.person().name()), nullptr);

  // The same name apart from accents, hyphens and case, and the same birth date.
  v1::Case third = NewCase();
  v1::CreatePersonResponse by_name =
      AddPerson(third, Child("ZOE", "smith jones", "", "2019-03-07"));
  m = MatchFor(by_name.likely_duplicates(), original.name());
  ASSERT_NE(m, nullptr) << by_name.ShortDebugString();
  EXPECT_EQ(m->reason(), "name_and_birth_date");

  // Day and month swapped.
  v1::Case fourth = NewCase();
  v1::CreatePersonResponse swapped =
      AddPerson(fourth, Child("zoe", "SMITHJONES", "", "2019-07-03"));
  m = MatchFor(swapped.likely_duplicates(), original.name());
  ASSERT_NE(m, nullptr) << swapped.ShortDebugString();
  EXPECT_EQ(m->reason(), "name_and_swapped_birth_date");

  // Someone else: a different name, or the same name born on another day.
  v1::Case fifth = NewCase();
  v1::CreatePersonResponse stranger = AddPerson(fifth, Child("Zoe", "Smith", kNhs3, "2019-03-07"));
  EXPECT_EQ(stranger.likely_duplicates_size(), 0) << stranger.ShortDebugString();
  v1::CreatePersonResponse other_day =
      AddPerson(fifth, Child("Zoe", "Smith-Jones", kNhs4, "2019-03-09"));
  EXPECT_EQ(other_day.likely_duplicates_size(), 0) << other_day.ShortDebugString();
}

TEST_F(CaseRecordsPeopleTest, SearchPeopleByNhsNumberOrNameAndBirthDate) {
  v1::Case c = NewCase();
  v1::Person child = AddPerson(c, Child("Zoë", "O'Brien", kNhs1, "2019-03-07")).person();
  AddPerson(c, Child("Zach", "O'Brien", kNhs2, "2017-05-01"));
  auto search = [&](const v1::SearchPeopleRequest& request, v1::SearchPeopleResponse* response,
                    const As& who = kLead) {
    return cases_->SearchPeople(ContextFor(who).get(), request, response);
  };

  v1::SearchPeopleRequest by_nhs;
  by_nhs.set_nhs_number("943 476 5919");
  v1::SearchPeopleResponse found;
  ASSERT_TRUE(search(by_nhs, &found).ok());
  ASSERT_EQ(found.matches_size(), 1) << found.ShortDebugString();
  EXPECT_EQ(found.matches(0).person(), child.name());
  EXPECT_EQ(found.matches(0).reason(), "nhs_number");
  EXPECT_FALSE(found.matches(0).restricted());
  EXPECT_EQ(AuditCount("action = 'SearchPeople.match' AND resource = '" + child.name() + "'"), 1);

  // Someone with no relationship to the case learns only that a record exists, and where.
  found.Clear();
  ASSERT_TRUE(search(by_nhs, &found, kStranger).ok());
  ASSERT_EQ(found.matches_size(), 1) << found.ShortDebugString();
  EXPECT_TRUE(found.matches(0).restricted());
  EXPECT_EQ(found.matches(0).person(), "");
  EXPECT_EQ(found.matches(0).display_name(), "");
  EXPECT_EQ(found.matches(0).birth_date(), "");
  EXPECT_EQ(found.matches(0).team(), c.team());
  EXPECT_EQ(found.matches(0).reason(), "nhs_number");

  v1::SearchPeopleRequest by_name;
  by_name.set_given_name("ZOE");
  by_name.set_family_name("obrien");
  by_name.set_birth_date("2019-03-07");
  found.Clear();
  ASSERT_TRUE(search(by_name, &found).ok());
  ASSERT_EQ(found.matches_size(), 1) << found.ShortDebugString();
  EXPECT_EQ(found.matches(0).person(), child.name());
  EXPECT_EQ(found.matches(0).reason(), "name_and_birth_date");
  by_name.set_birth_date("2019-07-03");
  found.Clear();
  ASSERT_TRUE(search(by_name, &found).ok());
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(found.matches(0).reason(), "name_and_swapped_birth_date");
  by_name.set_birth_date("2019-03-08");
  found.Clear();
  ASSERT_TRUE(search(by_name, &found).ok());
  EXPECT_EQ(found.matches_size(), 0);
  v1::SearchPeopleRequest unknown;
  unknown.set_nhs_number(kNhs5);
  found.Clear();
  ASSERT_TRUE(search(unknown, &found).ok());
  EXPECT_EQ(found.matches_size(), 0);

  v1::SearchPeopleResponse ignored;
  EXPECT_EQ(search(v1::SearchPeopleRequest(), &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::SearchPeopleRequest partial;
  partial.set_given_name("Zoe");
  partial.set_family_name("O'Brien");
  EXPECT_EQ(search(partial, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::SearchPeopleRequest bad_nhs;
  bad_nhs.set_nhs_number("9434765918");
  EXPECT_TRUE(InvalidNaming(search(bad_nhs, &ignored), "nhs_number"));
  by_name.set_birth_date("2019-02-30");
  EXPECT_TRUE(InvalidNaming(search(by_name, &ignored), "birth_date"));
  EXPECT_EQ(AuditCount("action = 'SearchPeople' AND outcome = 'OK'"), 6);
  EXPECT_EQ(AuditCount("action = 'SearchPeople' AND outcome = 'INVALID_ARGUMENT'"), 4);
}

v1::UpdatePersonRequest PersonUpdate(const v1::Person& person,
                                     const std::vector<std::string>& paths) {
  v1::UpdatePersonRequest request;
  request.mutable_person()->set_name(person.name());
  request.mutable_person()->set_etag(person.etag());
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  return request;
}

TEST_F(CaseRecordsPeopleTest, UpdatePersonAppliesTheMaskUnderTheEtag) {
  v1::Case c = NewCase();
  v1::Person child = AddPerson(c, Child("Amy", "Jones", "", "2019-03-07")).person();
  v1::Person adult = AddPerson(c, Adult("Dan", "Jones")).person();

  v1::UpdatePersonRequest request = PersonUpdate(child, {"nhs_number"});
  request.mutable_person()->set_nhs_number("999 000 0018");
  request.mutable_person()->set_given_name("Ignored");  // not in the mask
  v1::Person updated;
  auto status = cases_->UpdatePerson(ContextFor(kLead).get(), request, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.nhs_number(), kNhs2);
  EXPECT_EQ(updated.given_name(), "Amy");
  EXPECT_NE(updated.etag(), child.etag());

  // The old etag is now stale: ABORTED and nothing changes.
  request = PersonUpdate(child, {"nhs_number"});
  request.mutable_person()->set_nhs_number(kNhs3);
  v1::Person ignored;
  status = cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  v1::GetPersonRequest get;
  get.set_name(child.name());
  v1::Person now;
  ASSERT_TRUE(cases_->GetPerson(ContextFor(kLead).get(), get, &now).ok());
  EXPECT_EQ(now.nhs_number(), kNhs2);
  EXPECT_EQ(now.etag(), updated.etag());

  // Invalid values and masks are refused by name; so is a missing etag.
  request = PersonUpdate(now, {"nhs_number"});
  request.mutable_person()->set_nhs_number("9434765918");
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "person.nhs_number"));
  request = PersonUpdate(now, {"kind"});
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "update_mask"));
  request = PersonUpdate(now, {});
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "update_mask"));
  request = PersonUpdate(now, {"given_name"});
  request.mutable_person()->clear_etag();
  request.mutable_person()->set_given_name("Amelia");
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "person.etag"));
  // Clearing a required field through the mask is refused too.
  request = PersonUpdate(now, {"given_name"});
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "person.given_name"));

  // The adult's assessment factors, replaced as a whole.
  request = PersonUpdate(adult, {"assessment_factors"});
  request.mutable_person()->add_assessment_factors("3B");
  request.mutable_person()->add_assessment_factors("2B");
  v1::Person adult_updated;
  status = cases_->UpdatePerson(ContextFor(kSupport).get(), request, &adult_updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = cases_->UpdatePerson(ContextFor(kLead).get(), request, &adult_updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(std::vector<std::string>(adult_updated.assessment_factors().begin(),
                                     adult_updated.assessment_factors().end()),
            (std::vector<std::string>{"2B", "3B"}));
  request = PersonUpdate(adult_updated, {"assessment_factors"});
  request.mutable_person()->add_assessment_factors("XX");
  EXPECT_TRUE(InvalidNaming(cases_->UpdatePerson(ContextFor(kLead).get(), request, &ignored),
                            "person.assessment_factors"));
  EXPECT_EQ(Count("people", "assessment_factors = '{2B,3B}'"), 1);
  EXPECT_EQ(Count("people", "nhs_number = '9990000018'"), 1);
}

TEST_F(CaseRecordsPeopleTest, ListPeoplePaginates) {
  v1::Case c = NewCase();
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    created.insert(AddPerson(c, Adult("Person", "Number" + std::to_string(i))).person().name());
  }
  // Someone on another case is never listed here.
  v1::Case other = NewCase();
  AddPerson(other, Adult("Elsewhere", "Person"));

  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListPeopleRequest request;
    request.set_parent(c.name());
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListPeopleResponse response;
    auto status = cases_->ListPeople(ContextFor(kLead).get(), request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ++pages;
    EXPECT_LE(response.people_size(), 2);
    for (const auto& p : response.people()) {
      EXPECT_TRUE(seen.insert(p.name()).second) << "listed twice: " << p.name();
    }
    if (pages == 3) {
      EXPECT_EQ(response.people_size(), 1);
      EXPECT_TRUE(response.next_page_token().empty());
    } else {
      EXPECT_EQ(response.people_size(), 2);
    }
    token = response.next_page_token();
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);

  v1::ListPeopleRequest bad;
  bad.set_parent(c.name());
  bad.set_page_token("garbage!");
  v1::ListPeopleResponse ignored;
  EXPECT_TRUE(
      InvalidNaming(cases_->ListPeople(ContextFor(kLead).get(), bad, &ignored), "page_token"));
  bad.set_page_token("");
  bad.set_page_size(-1);
  EXPECT_TRUE(
      InvalidNaming(cases_->ListPeople(ContextFor(kLead).get(), bad, &ignored), "page_size"));
  bad.set_page_size(0);
  EXPECT_EQ(cases_->ListPeople(ContextFor(kStranger).get(), bad, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CaseRecordsPeopleTest, GetPersonIsScopedToItsCaseAndToAccess) {
  v1::Case a = NewCase();
  v1::Case b = NewCase();
  v1::Person on_b = NewChild(b);
  v1::GetPersonRequest get;
  v1::Person fetched;
  get.set_name(a.name() + "/people/" + IdOf(on_b.name()));
  EXPECT_EQ(cases_->GetPerson(ContextFor(kLead).get(), get, &fetched).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_name(on_b.name());
  EXPECT_EQ(cases_->GetPerson(ContextFor(kStranger).get(), get, &fetched).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(cases_->GetPerson(ContextFor(kManager).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.name(), on_b.name());
  EXPECT_EQ(fetched.given_name(), "Zoë");
  get.set_name("cases/x/people");
  EXPECT_TRUE(InvalidNaming(cases_->GetPerson(ContextFor(kLead).get(), get, &fetched), "name"));
}

TEST_F(CaseRecordsPeopleTest, RetriedCreatePersonReturnsTheFirstPerson) {
  v1::Case c = NewCase();
  v1::CreatePersonResponse first, second;
  ASSERT_TRUE(CreatePerson(kLead, c.name(), Adult("Dan", "Jones"), &first, "person-1").ok());
  ASSERT_TRUE(
      CreatePerson(kLead, c.name(), Adult("Dan", "Jones-Retried"), &second, "person-1").ok());
  EXPECT_EQ(second.person().name(), first.person().name());
  EXPECT_EQ(second.person().family_name(), "Jones");
  EXPECT_EQ(Count("people"), 1);
}

TEST_F(CaseRecordsPeopleTest, CreatePersonRetriedInParallelMakesOnePerson) {
  v1::Case c = NewCase();
  constexpr int kThreads = 8;
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<v1::CreatePersonResponse> results(kThreads);
  InParallel(kThreads, [&](int i) {
    statuses[i] = CreatePerson(kLead, c.name(), Child("Amy", "Jones", kNhs2, "2019-03-07"),
                               &results[i], "parallel-person");
  });
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_EQ(results[i].person().name(), results[0].person().name()) << i;
    // The person is not its own duplicate, and there is no other.
    EXPECT_EQ(results[i].likely_duplicates_size(), 0) << results[i].ShortDebugString();
  }
  EXPECT_EQ(Count("people"), 1);
  EXPECT_EQ(Count("create_requests", "method = 'CreatePerson'"), 1);
  EXPECT_EQ(AuditCount("action = 'CreatePerson' AND outcome = 'OK'"), kThreads);
  EXPECT_TRUE(AuditChainIntact());
}

}  // namespace
}  // namespace fs::cases
