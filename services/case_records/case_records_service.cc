#include "services/case_records/case_records_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/case_access.h"
#include "common/idempotency.h"
#include "common/metrics.h"
#include "common/name_match.h"
#include "common/nhs_number.h"
#include "common/pagination.h"
#include "common/resource_name.h"
#include "common/status.h"
#include "services/case_records/case_events.h"
#include "services/case_records/case_rules.h"
#include "services/case_records/case_store.h"

namespace fs::cases {
namespace {

constexpr int kNhsAccessesShown = 25;

std::string StateText(CaseState state) { return std::string(CaseStateName(state)); }

absl::StatusOr<CaseState> FromProto(v1::CaseState state, absl::string_view field) {
  switch (state) {
    case v1::CASE_STATE_REFERRAL:
      return CaseState::kReferral;
    case v1::CASE_STATE_ASSESSMENT:
      return CaseState::kAssessment;
    case v1::CASE_STATE_CHILD_IN_NEED:
      return CaseState::kChildInNeed;
    case v1::CASE_STATE_CHILD_PROTECTION:
      return CaseState::kChildProtection;
    case v1::CASE_STATE_LOOKED_AFTER:
      return CaseState::kLookedAfter;
    case v1::CASE_STATE_CLOSED:
      return CaseState::kClosed;
    default:
      return InvalidField(field, "a case state is required");
  }
}

CaseState ToDomain(const v1::Case& c) {
  auto state = FromProto(c.state(), "state");
  return state.ok() ? *state : CaseState::kClosed;
}

std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// Whether the caller is the case's active lead social worker.
bool IsLead(pqxx::work& tx, const std::string& case_id, const Caller& caller) {
  auto lead = CaseStore::ActiveLead(tx, case_id);
  return lead && lead->practitioner() == caller.principal.id;
}

// Loads a case the caller may access, recording in the audit event when access relied on
// break-glass. NOT_FOUND when there is no such case.
absl::StatusOr<v1::Case> LoadCase(pqxx::work& tx, const Caller& caller, const std::string& id,
                                  CaseIntent intent, AuditEvent& event) {
  // Writers lock the case row: changes to one case (and closing it) are serialised.
  auto found = CaseStore::FindCase(tx, id, intent == CaseIntent::kWrite);
  if (!found) return absl::NotFoundError(absl::StrCat("case 'cases/", id, "' not found"));
  CaseRelationship relationship{CaseStore::IsAllocated(tx, id, caller.principal.id), found->team()};
  auto basis = DecideCaseAccess(caller, relationship, intent);
  if (!basis.ok()) return basis.status();
  if (*basis == AccessBasis::kBreakGlass) event.break_glass_reason = caller.break_glass_reason;
  return *found;
}

absl::Status RequireOpen(const v1::Case& c) {
  if (c.state() == v1::CASE_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.name(), " is closed; reopen it with ReopenCase first"));
  }
  return absl::OkStatus();
}

// Validates a person as a whole (on create, and after an update mask is applied). Normalises
// the NHS number to its 10 digits.
absl::Status ValidatePerson(pqxx::work& tx, const std::string& case_id, v1::Person& person) {
  if (person.kind() == v1::PERSON_KIND_UNSPECIFIED || !v1::PersonKind_IsValid(person.kind())) {
    return InvalidField("person.kind", "CHILD or ADULT is required");
  }
  if (auto s = CheckText(person.given_name(), "person.given_name", 100, true); !s.ok()) return s;
  if (auto s = CheckText(person.family_name(), "person.family_name", 100, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckText(person.la_child_id(), "person.la_child_id", 36, false); !s.ok()) return s;
  if (auto s = CheckText(person.upn(), "person.upn", 13, false); !s.ok()) return s;
  if (!person.nhs_number().empty()) {
    auto nhs = NhsNumber::Parse(person.nhs_number());
    if (!nhs.ok()) return InvalidField("person.nhs_number", nhs.status().message());
    person.set_nhs_number(nhs->digits());
  }
  if (auto s = CheckGenderCurrent(person.gender_current(), "person.gender_current"); !s.ok()) {
    return s;
  }
  std::optional<absl::CivilDay> born;
  if (!person.birth_date().empty()) {
    auto day = ParsePastDate(person.birth_date(), "person.birth_date");
    if (!day.ok()) return day.status();
    born = *day;
  }
  if (!person.expected_birth_date().empty()) {
    auto day = ParseDate(person.expected_birth_date(), "person.expected_birth_date");
    if (!day.ok()) return day.status();
    if (born) {
      return InvalidField("person.expected_birth_date",
                          "give either birth_date or, for an unborn child, expected_birth_date");
    }
  }
  std::set<std::string> factors;
  for (const auto& factor : person.assessment_factors()) {
    if (auto s = CheckAssessmentFactor(factor, "person.assessment_factors"); !s.ok()) return s;
    factors.insert(factor);
  }
  person.clear_assessment_factors();
  for (const auto& factor : factors) person.add_assessment_factors(factor);

  if (person.kind() == v1::PERSON_KIND_CHILD) {
    if (person.birth_date().empty() && person.expected_birth_date().empty()) {
      return InvalidField("person.birth_date",
                          "a child needs birth_date, or expected_birth_date when unborn");
    }
    if (person.relationships_size() > 0) {
      return InvalidField("person.relationships", "recorded on the adults, not on a child");
    }
  } else {
    if (!person.expected_birth_date().empty()) {
      return InvalidField("person.expected_birth_date", "only for an unborn child");
    }
    // An adult's NHS number is recorded too: NHS organisations report adults' emergency
    // admissions by it (outcomes). The DfE identifiers are children's.
    if (!person.la_child_id().empty() || !person.upn().empty()) {
      return InvalidField("person", "la_child_id and upn are recorded for children");
    }
    std::set<std::string> seen;
    for (const auto& rel : person.relationships()) {
      auto ids = ParseResourceName(rel.child(), "person.relationships.child", {"cases", "people"});
      if (!ids.ok()) return ids.status();
      if ((*ids)[0] != case_id) {
        return InvalidField("person.relationships.child", "must be a child on the same case");
      }
      if (!seen.insert((*ids)[1]).second) {
        return InvalidField("person.relationships.child", "each child at most once");
      }
      if (rel.relationship() == v1::RELATIONSHIP_UNSPECIFIED ||
          !v1::Relationship_IsValid(rel.relationship())) {
        return InvalidField("person.relationships.relationship", "required");
      }
      auto child = CaseStore::FindPerson(tx, case_id, (*ids)[1], false);
      if (!child || child->kind() != v1::PERSON_KIND_CHILD) {
        return InvalidField("person.relationships.child",
                            absl::StrCat(Quote(rel.child()), " is not a child on this case"));
      }
    }
  }
  return absl::OkStatus();
}

// People held anywhere who are probably this person (excluding `self`). Matches on cases the
// caller has a relationship to are shown whole, each disclosure audited; others only say that a
// record exists, why it matched and which team holds it.
std::vector<v1::PersonMatch> LikelyDuplicates(pqxx::work& tx, const Caller& caller,
                                              absl::string_view action, const v1::Person& person,
                                              const std::string& self, int limit) {
  std::vector<v1::PersonMatch> out;
  std::set<std::string> seen = {self};
  auto add = [&](const PersonCandidate& c, const std::string& reason) {
    if (!seen.insert(c.name).second || static_cast<int>(out.size()) >= limit) return;
    v1::PersonMatch match;
    match.set_reason(reason);
    match.set_team(c.case_team);
    if (ManagesTeam(caller, c.case_team) ||
        CaseStore::IsAllocated(tx, c.case_id, caller.principal.id)) {
      match.set_person(c.name);
      match.set_display_name(absl::StrCat(c.given_name, " ", c.family_name));
      match.set_birth_date(c.birth_date);
      AppendAudit(tx, caller, AuditEvent{absl::StrCat(action, ".match"), c.name, "OK", ""});
    } else {
      match.set_restricted(true);
    }
    out.push_back(std::move(match));
  };
  if (!person.nhs_number().empty()) {
    for (const auto& c : CaseStore::FindByNhsNumber(tx, person.nhs_number())) {
      add(c, "nhs_number");
    }
  }
  const std::string& date =
      person.birth_date().empty() ? person.expected_birth_date() : person.birth_date();
  auto day = ParseDate(date, "birth_date");
  if (!day.ok()) return out;
  std::vector<std::string> dates = {FormatDate(*day)};
  if (auto swapped = SwapDayAndMonth(*day)) dates.push_back(FormatDate(*swapped));
  std::vector<std::string> keys = {NormalizeName(person.given_name()),
                                   NormalizeName(person.family_name())};
  for (const auto& c : CaseStore::FindByNameKeys(tx, keys, dates, 200)) {
    auto born = ParseDate(c.birth_date, "birth_date");
    if (!born.ok()) continue;
    if (auto reason = MatchReason(person.given_name(), person.family_name(), *day, c.given_name,
                                  c.family_name, *born)) {
      add(c, *reason);
    }
  }
  return out;
}

absl::Status ApplyPersonMask(const v1::Person& update, const google::protobuf::FieldMask& mask,
                             v1::Person& person) {
  if (mask.paths_size() == 0) return InvalidField("update_mask", "required");
  for (const auto& path : mask.paths()) {
    if (path == "given_name") {
      person.set_given_name(update.given_name());
    } else if (path == "family_name") {
      person.set_family_name(update.family_name());
    } else if (path == "nhs_number") {
      person.set_nhs_number(update.nhs_number());
    } else if (path == "la_child_id") {
      person.set_la_child_id(update.la_child_id());
    } else if (path == "upn") {
      person.set_upn(update.upn());
    } else if (path == "birth_date") {
      person.set_birth_date(update.birth_date());
    } else if (path == "expected_birth_date") {
      person.set_expected_birth_date(update.expected_birth_date());
    } else if (path == "gender_current") {
      person.set_gender_current(update.gender_current());
    } else if (path == "relationships") {
      *person.mutable_relationships() = update.relationships();
    } else if (path == "assessment_factors") {
      *person.mutable_assessment_factors() = update.assessment_factors();
    } else {
      return InvalidField("update_mask", absl::StrCat(Quote(path), " cannot be updated"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
void SetNextPageToken(const Listed<T>& listed, std::string* token) {
  if (listed.more) *token = PageToken(listed.last_key);
}

}  // namespace

grpc::Status CaseRecordsServiceImpl::CreateCase(grpc::ServerContext* context,
                                                const v1::CreateCaseRequest* request,
                                                v1::Case* response) {
  const v1::Case& c = request->case_();
  return runner_.Run(
      context, "CreateCase", "cases", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        if (auto s = RequirePractitioner(caller); !s.ok()) return s;
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        if (auto s = CheckIdentifier(c.team(), "case.team"); !s.ok()) return s;
        if (auto s = CheckIdentifier(c.lead_social_worker(), "case.lead_social_worker"); !s.ok()) {
          return s;
        }
        if (auto s = CheckText(c.council_reference(), "case.council_reference", 64, false);
            !s.ok()) {
          return s;
        }
        if (auto d = ParsePastDate(c.referral_date(), "case.referral_date"); !d.ok())
          return d.status();
        if (auto s = CheckReferralSource(c.referral_source(), "case.referral_source"); !s.ok()) {
          return s;
        }
        if (!c.primary_need_code().empty()) {
          if (auto s = CheckPrimaryNeedCode(c.primary_need_code(), "case.primary_need_code");
              !s.ok()) {
            return s;
          }
        }
        if (std::find(caller.teams.begin(), caller.teams.end(), c.team()) == caller.teams.end()) {
          return absl::PermissionDeniedError(
              absl::StrCat("you may open cases only for your own team(s); '", c.team(),
                           "' is not in x-fs-team"));
        }
        std::string id;
        if (auto first = EarlierCreate(tx, caller, "CreateCase", request->request_id())) {
          id = *first;
        }
        if (id.empty()) {
          id = CaseStore::InsertCase(tx, c, caller.principal.uri);
          v1::Allocation lead = CaseStore::InsertAllocation(tx, id, c.lead_social_worker(),
                                                            "LEAD_SOCIAL_WORKER", c.team());
          v1::Case opened = *CaseStore::FindCase(tx, id, false);
          Publish(tx, opened.name(), CaseOpenedEvent(opened));
          Publish(tx, lead.name(), AllocationStartedEvent(lead));
          CaseStore::InsertAlert(
              tx, c.lead_social_worker(), id, "",
              absl::StrCat("You are the lead social worker on new case cases/", id));
          RememberCreate(tx, caller, "CreateCase", request->request_id(),
                         absl::StrCat("cases/", id));
        }
        auto created = CaseStore::FindCase(tx, id, false);
        if (!created) return absl::InternalError("created case not found");
        *response = *created;
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::GetCase(grpc::ServerContext* context,
                                             const v1::GetCaseRequest* request,
                                             v1::Case* response) {
  return runner_.Run(context, "GetCase", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->name(), "name", {"cases"});
                       if (!ids.ok()) return ids.status();
                       auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
                       if (!c.ok()) return c.status();
                       *response = *c;
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::ListCases(grpc::ServerContext* context,
                                               const v1::ListCasesRequest* request,
                                               v1::ListCasesResponse* response) {
  return runner_.Run(context, "ListCases", "cases", response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (auto s = RequirePractitioner(caller); !s.ok()) return s;
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       std::string state;
                       if (request->state() != v1::CASE_STATE_UNSPECIFIED) {
                         auto parsed = FromProto(request->state(), "state");
                         if (!parsed.ok()) return parsed.status();
                         state = StateText(*parsed);
                       }
                       std::vector<std::string> managed;
                       if (caller.role == PractitionerRole::kTeamManager) managed = caller.teams;
                       auto listed =
                           CaseStore::ListCasesFor(tx, caller.principal.id, managed, state, *page);
                       for (auto& c : listed.items) *response->add_cases() = std::move(c);
                       SetNextPageToken(listed, response->mutable_next_page_token());
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::UpdateCase(grpc::ServerContext* context,
                                                const v1::UpdateCaseRequest* request,
                                                v1::Case* response) {
  const v1::Case& update = request->case_();
  return runner_.Run(
      context, "UpdateCase", update.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(update.name(), "case.name", {"cases"});
        if (!ids.ok()) return ids.status();
        if (request->update_mask().paths_size() == 0)
          return InvalidField("update_mask", "required");
        auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        if (auto s = CheckEtag(update.etag(), c->etag(), "case.etag"); !s.ok()) return s;
        if (auto s = RequireOpen(*c); !s.ok()) return s;
        v1::Case changed = *c;
        for (const auto& path : request->update_mask().paths()) {
          if (path == "council_reference") {
            if (auto s = CheckText(update.council_reference(), "case.council_reference", 64, false);
                !s.ok()) {
              return s;
            }
            changed.set_council_reference(update.council_reference());
          } else if (path == "primary_need_code") {
            if (auto s = CheckPrimaryNeedCode(update.primary_need_code(), "case.primary_need_code");
                !s.ok()) {
              return s;
            }
            changed.set_primary_need_code(update.primary_need_code());
          } else if (path == "team") {
            if (auto s = CheckIdentifier(update.team(), "case.team"); !s.ok()) return s;
            // A transfer between teams: the manager of the current team sends the case, to a
            // team they also manage (the receiving manager then allocates).
            if (!ManagesTeam(caller, c->team()) || !ManagesTeam(caller, update.team())) {
              return absl::PermissionDeniedError(
                  absl::StrCat("moving a case needs the team manager of both ", c->team(), " and ",
                               update.team()));
            }
            changed.set_team(update.team());
          } else {
            return InvalidField("update_mask",
                                absl::StrCat(Quote(path),
                                             " cannot be updated (council_reference, "
                                             "primary_need_code, team)"));
          }
        }
        CaseStore::UpdateCaseDetails(tx, changed);
        if (changed.team() != c->team()) {
          Publish(tx, c->name(), CaseTeamChangedEvent(c->team(), changed.team()));
        }
        *response = *CaseStore::FindCase(tx, (*ids)[0], false);
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ChangeCaseState(grpc::ServerContext* context,
                                                     const v1::ChangeCaseStateRequest* request,
                                                     v1::Case* response) {
  return runner_.Run(context, "ChangeCaseState", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->name(), "name", {"cases"});
                       if (!ids.ok()) return ids.status();
                       auto target = FromProto(request->state(), "state");
                       if (!target.ok()) return target.status();
                       auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
                       if (!c.ok()) return c.status();
                       if (auto s = CheckEtag(request->etag(), c->etag(), "etag"); !s.ok())
                         return s;
                       CaseState from = ToDomain(*c);
                       if (auto s = CheckStateChange(from, *target); !s.ok()) return s;
                       CaseStore::ChangeState(tx, (*ids)[0], StateText(from), StateText(*target),
                                              caller.principal.uri);
                       Publish(tx, c->name(),
                               CaseStateChangedEvent(StateText(from), StateText(*target)));
                       *response = *CaseStore::FindCase(tx, (*ids)[0], false);
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::CloseCase(grpc::ServerContext* context,
                                               const v1::CloseCaseRequest* request,
                                               v1::Case* response) {
  return runner_.Run(
      context, "CloseCase", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->name(), "name", {"cases"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckReasonForClosure(request->reason_for_closure(), "reason_for_closure");
            !s.ok()) {
          return s;
        }
        auto closure = ParsePastDate(request->closure_date(), "closure_date");
        if (!closure.ok()) return closure.status();
        auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        if (auto s = CheckEtag(request->etag(), c->etag(), "etag"); !s.ok()) return s;
        if (auto s = CheckClosure(ToDomain(*c), CaseStore::CountOpenPlans(tx, (*ids)[0]),
                                  CaseStore::CountOpenEpisodes(tx, (*ids)[0]));
            !s.ok()) {
          return s;
        }
        if (FormatDate(*closure) < c->referral_date()) {
          return InvalidField("closure_date", "is before the referral date");
        }
        CaseStore::CloseCase(tx, (*ids)[0], FormatDate(*closure), request->reason_for_closure(),
                             StateText(ToDomain(*c)), caller.principal.uri);
        auto ended = CaseStore::EndAllAllocations(tx, (*ids)[0], "case closed");
        *response = *CaseStore::FindCase(tx, (*ids)[0], false);
        Publish(tx, c->name(), CaseClosedEvent(*response));
        for (const auto& allocation : ended) {
          Publish(tx, allocation.name(), AllocationEndedEvent(allocation));
        }
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ReopenCase(grpc::ServerContext* context,
                                                const v1::ReopenCaseRequest* request,
                                                v1::Case* response) {
  return runner_.Run(
      context, "ReopenCase", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->name(), "name", {"cases"});
        if (!ids.ok()) return ids.status();
        auto referral = ParsePastDate(request->referral_date(), "referral_date");
        if (!referral.ok()) return referral.status();
        if (auto s = CheckReferralSource(request->referral_source(), "referral_source"); !s.ok()) {
          return s;
        }
        if (auto s = CheckIdentifier(request->lead_social_worker(), "lead_social_worker");
            !s.ok()) {
          return s;
        }
        auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        if (auto s = CheckEtag(request->etag(), c->etag(), "etag"); !s.ok()) return s;
        if (c->state() != v1::CASE_STATE_CLOSED) {
          return absl::FailedPreconditionError("only a closed case can be reopened");
        }
        if (FormatDate(*referral) < c->closure_date()) {
          return InvalidField("referral_date", "is before the case was closed");
        }
        CaseStore::ReopenCase(tx, (*ids)[0], FormatDate(*referral), request->referral_source(),
                              caller.principal.uri);
        v1::Allocation lead = CaseStore::InsertAllocation(
            tx, (*ids)[0], request->lead_social_worker(), "LEAD_SOCIAL_WORKER", c->team());
        CaseStore::InsertAlert(
            tx, request->lead_social_worker(), (*ids)[0], "",
            absl::StrCat("You are the lead social worker on re-referred case ", c->name()));
        *response = *CaseStore::FindCase(tx, (*ids)[0], false);
        Publish(tx, c->name(), CaseReopenedEvent(*response));
        Publish(tx, lead.name(), AllocationStartedEvent(lead));
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::CreatePerson(grpc::ServerContext* context,
                                                  const v1::CreatePersonRequest* request,
                                                  v1::CreatePersonResponse* response) {
  return runner_.Run(
      context, "CreatePerson", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        const std::string& case_id = (*ids)[0];
        auto c = LoadCase(tx, caller, case_id, CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        std::string person_id;
        if (auto first = EarlierCreate(tx, caller, "CreatePerson", request->request_id())) {
          person_id = *first;
        }
        if (person_id.empty()) {
          if (auto s = RequireOpen(*c); !s.ok()) return s;
          v1::Person person = request->person();
          if (auto s = ValidatePerson(tx, case_id, person); !s.ok()) return s;
          person_id =
              CaseStore::InsertPerson(tx, case_id, person, NormalizeName(person.given_name()),
                                      NormalizeName(person.family_name()));
          CaseStore::ReplaceRelationships(tx, person_id, person);
          RememberCreate(tx, caller, "CreatePerson", request->request_id(),
                         absl::StrCat(c->name(), "/people/", person_id));
          Publish(tx, c->name(),
                  PersonAddedEvent(*CaseStore::FindPerson(tx, case_id, person_id, false),
                                   match_secret_));
        }
        auto created = CaseStore::FindPerson(tx, case_id, person_id, false);
        if (!created) return RequestIdReused();
        *response->mutable_person() = *created;
        for (auto& match :
             LikelyDuplicates(tx, caller, "CreatePerson", *created, created->name(), 20)) {
          *response->add_likely_duplicates() = std::move(match);
        }
        event.resource = created->name();
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::GetPerson(grpc::ServerContext* context,
                                               const v1::GetPersonRequest* request,
                                               v1::Person* response) {
  return runner_.Run(context, "GetPerson", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->name(), "name", {"cases", "people"});
                       if (!ids.ok()) return ids.status();
                       auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
                       if (!c.ok()) return c.status();
                       auto person = CaseStore::FindPerson(tx, (*ids)[0], (*ids)[1], false);
                       if (!person)
                         return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
                       *response = *person;
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::ListPeople(grpc::ServerContext* context,
                                                const v1::ListPeopleRequest* request,
                                                v1::ListPeopleResponse* response) {
  return runner_.Run(context, "ListPeople", request->parent(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
                       if (!ids.ok()) return ids.status();
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
                       if (!c.ok()) return c.status();
                       auto listed = CaseStore::ListPeople(tx, (*ids)[0], *page);
                       for (auto& p : listed.items) *response->add_people() = std::move(p);
                       SetNextPageToken(listed, response->mutable_next_page_token());
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::UpdatePerson(grpc::ServerContext* context,
                                                  const v1::UpdatePersonRequest* request,
                                                  v1::Person* response) {
  const v1::Person& update = request->person();
  return runner_.Run(
      context, "UpdatePerson", update.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(update.name(), "person.name", {"cases", "people"});
        if (!ids.ok()) return ids.status();
        auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        auto person = CaseStore::FindPerson(tx, (*ids)[0], (*ids)[1], true);
        if (!person) return absl::NotFoundError(absl::StrCat(update.name(), " not found"));
        if (auto s = CheckEtag(update.etag(), person->etag(), "person.etag"); !s.ok()) return s;
        if (auto s = RequireOpen(*c); !s.ok()) return s;
        v1::Person changed = *person;
        if (auto s = ApplyPersonMask(update, request->update_mask(), changed); !s.ok()) return s;
        if (auto s = ValidatePerson(tx, (*ids)[0], changed); !s.ok()) return s;
        CaseStore::UpdatePerson(tx, (*ids)[1], changed, NormalizeName(changed.given_name()),
                                NormalizeName(changed.family_name()));
        CaseStore::ReplaceRelationships(tx, (*ids)[1], changed);
        *response = *CaseStore::FindPerson(tx, (*ids)[0], (*ids)[1], false);
        Publish(tx, response->name(), PersonUpdatedEvent(*response, match_secret_));
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::SearchPeople(grpc::ServerContext* context,
                                                  const v1::SearchPeopleRequest* request,
                                                  v1::SearchPeopleResponse* response) {
  return runner_.Run(
      context, "SearchPeople", "people", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        if (auto s = RequirePractitioner(caller); !s.ok()) return s;
        if (request->page_size() < 0) return InvalidField("page_size", "must not be negative");
        int limit = request->page_size() == 0 ? 20 : std::min(request->page_size(), 100);
        v1::Person probe;
        if (!request->nhs_number().empty()) {
          auto nhs = NhsNumber::Parse(request->nhs_number());
          if (!nhs.ok()) return InvalidField("nhs_number", nhs.status().message());
          probe.set_nhs_number(nhs->digits());
        } else {
          if (request->given_name().empty() || request->family_name().empty() ||
              request->birth_date().empty()) {
            return InvalidField("nhs_number",
                                "give an NHS number, or given_name, family_name and birth_date");
          }
          probe.set_given_name(request->given_name());
          probe.set_family_name(request->family_name());
        }
        if (!request->birth_date().empty()) {
          auto day = ParseDate(request->birth_date(), "birth_date");
          if (!day.ok()) return day.status();
          probe.set_birth_date(request->birth_date());
        }
        for (auto& match : LikelyDuplicates(tx, caller, "SearchPeople", probe, "", limit)) {
          *response->add_matches() = std::move(match);
        }
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::AllocatePractitioner(
    grpc::ServerContext* context, const v1::AllocatePractitionerRequest* request,
    v1::Allocation* response) {
  const v1::Allocation& allocation = request->allocation();
  return runner_.Run(
      context, "AllocatePractitioner", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        if (auto s = CheckIdentifier(allocation.practitioner(), "allocation.practitioner");
            !s.ok()) {
          return s;
        }
        if (allocation.role() == v1::FAMILY_SAFEGUARDING_ROLE_UNSPECIFIED ||
            !v1::FamilySafeguardingRole_IsValid(allocation.role())) {
          return InvalidField("allocation.role", "a Family Safeguarding role is required");
        }
        if (!allocation.team().empty()) {
          if (auto s = CheckIdentifier(allocation.team(), "allocation.team"); !s.ok()) return s;
        }
        const std::string& case_id = (*ids)[0];
        auto c = LoadCase(tx, caller, case_id, CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        if (auto first = EarlierCreate(tx, caller, "AllocatePractitioner", request->request_id())) {
          auto existing = CaseStore::FindAllocation(tx, case_id, *first);
          if (!existing) return RequestIdReused();
          *response = *existing;
          event.resource = response->name();
          return absl::OkStatus();
        }
        if (auto s = RequireOpen(*c); !s.ok()) return s;
        std::string role = RoleText(allocation.role());
        bool lead = allocation.role() == v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER;
        if (lead && !ManagesTeam(caller, c->team())) {
          return absl::PermissionDeniedError(absl::StrCat("only the team manager of ", c->team(),
                                                          " hands the case to a new lead"));
        }
        if (!lead && !ManagesTeam(caller, c->team()) && !IsLead(tx, case_id, caller)) {
          return absl::PermissionDeniedError(
              absl::StrCat("only the lead social worker or the team manager of ", c->team(),
                           " allocates practitioners"));
        }
        if (CaseStore::FindActiveAllocation(tx, case_id, allocation.practitioner(), role)) {
          return absl::AlreadyExistsError(absl::StrCat(
              allocation.practitioner(), " is already allocated to ", c->name(), " as ", role));
        }
        if (lead) {
          // Handover: the new lead replaces the old one in the same transaction, so an open case
          // always has exactly one.
          if (auto previous = CaseStore::ActiveLead(tx, case_id)) {
            v1::Allocation ended = CaseStore::EndAllocation(
                tx, LastSegment(previous->name()),
                absl::StrCat("handed over to ", allocation.practitioner()));
            Publish(tx, ended.name(), AllocationEndedEvent(ended));
          }
        }
        *response =
            CaseStore::InsertAllocation(tx, case_id, allocation.practitioner(), role,
                                        allocation.team().empty() ? c->team() : allocation.team());
        Publish(tx, response->name(), AllocationStartedEvent(*response));
        CaseStore::InsertAlert(tx, allocation.practitioner(), case_id, "",
                               absl::StrCat("You were allocated to ", c->name(), " as ", role));
        RememberCreate(tx, caller, "AllocatePractitioner", request->request_id(), response->name());
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::EndAllocation(grpc::ServerContext* context,
                                                   const v1::EndAllocationRequest* request,
                                                   v1::Allocation* response) {
  return runner_.Run(
      context, "EndAllocation", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->name(), "name", {"cases", "allocations"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckText(request->reason(), "reason", 500, false); !s.ok()) return s;
        auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!c.ok()) return c.status();
        auto allocation = CaseStore::FindAllocation(tx, (*ids)[0], (*ids)[1]);
        if (!allocation) return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
        if (allocation->practitioner() != caller.principal.id && !ManagesTeam(caller, c->team()) &&
            !IsLead(tx, (*ids)[0], caller)) {
          return absl::PermissionDeniedError(
              absl::StrCat("only the practitioner, the lead social worker or the team manager of ",
                           c->team(), " ends an allocation"));
        }
        if (allocation->has_end_time()) {
          return absl::FailedPreconditionError(absl::StrCat(request->name(), " has already ended"));
        }
        if (allocation->role() == v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER &&
            c->state() != v1::CASE_STATE_CLOSED) {
          return absl::FailedPreconditionError(
              "an open case keeps its lead social worker: allocate the new lead (which ends this "
              "allocation) or close the case");
        }
        *response = CaseStore::EndAllocation(tx, (*ids)[1], request->reason());
        Publish(tx, response->name(), AllocationEndedEvent(*response));
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ListAllocations(grpc::ServerContext* context,
                                                     const v1::ListAllocationsRequest* request,
                                                     v1::ListAllocationsResponse* response) {
  return runner_.Run(context, "ListAllocations", request->parent(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
                       if (!ids.ok()) return ids.status();
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       auto c = LoadCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
                       if (!c.ok()) return c.status();
                       auto listed = CaseStore::ListAllocations(tx, (*ids)[0],
                                                                request->include_ended(), *page);
                       for (auto& a : listed.items) *response->add_allocations() = std::move(a);
                       SetNextPageToken(listed, response->mutable_next_page_token());
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::ListCaseload(grpc::ServerContext* context,
                                                  const v1::ListCaseloadRequest* request,
                                                  v1::ListCaseloadResponse* response) {
  return runner_.Run(
      context, "ListCaseload", absl::StrCat("practitioners/", request->practitioner()), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        if (auto s = RequirePractitioner(caller); !s.ok()) return s;
        std::string practitioner =
            request->practitioner().empty() ? caller.principal.id : request->practitioner();
        if (auto s = CheckIdentifier(practitioner, "practitioner"); !s.ok()) return s;
        if (practitioner != caller.principal.id && caller.role != PractitionerRole::kTeamManager) {
          return absl::PermissionDeniedError(
              "only team managers see another practitioner's "
              "caseload");
        }
        event.resource = absl::StrCat("practitioners/", practitioner);
        auto page = ParsePage(request->page_size(), request->page_token());
        if (!page.ok()) return page.status();
        // Someone else's caseload shows only the cases the manager may read: their teams'.
        std::optional<std::vector<std::string>> only_teams;
        if (practitioner != caller.principal.id) only_teams = caller.teams;
        auto listed = CaseStore::ListCaseload(tx, practitioner, only_teams, *page);
        for (auto& item : listed.items) *response->add_items() = std::move(item);
        SetNextPageToken(listed, response->mutable_next_page_token());
        return absl::OkStatus();
      });
}

namespace {
// Loads the case and the child a plan or episode belongs to.
absl::StatusOr<v1::Person> LoadChild(pqxx::work& tx, const Caller& caller,
                                     const std::vector<std::string>& ids, CaseIntent intent,
                                     AuditEvent& event, v1::Case* c) {
  auto loaded = LoadCase(tx, caller, ids[0], intent, event);
  if (!loaded.ok()) return loaded.status();
  *c = *loaded;
  auto person = CaseStore::FindPerson(tx, ids[0], ids[1], false);
  if (!person) {
    return absl::NotFoundError(absl::StrCat("cases/", ids[0], "/people/", ids[1], " not found"));
  }
  if (person->kind() != v1::PERSON_KIND_CHILD) {
    return absl::FailedPreconditionError(absl::StrCat(person->name(), " is not a child"));
  }
  return *person;
}
}  // namespace

grpc::Status CaseRecordsServiceImpl::StartChildProtectionPlan(
    grpc::ServerContext* context, const v1::StartChildProtectionPlanRequest* request,
    v1::ChildProtectionPlan* response) {
  const v1::ChildProtectionPlan& plan = request->plan();
  return runner_.Run(
      context, "StartChildProtectionPlan", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases", "people"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        auto start = ParsePastDate(plan.start_date(), "plan.start_date");
        if (!start.ok()) return start.status();
        if (auto s = CheckCategoryOfAbuse(plan.initial_category_of_abuse(),
                                          "plan.initial_category_of_abuse");
            !s.ok()) {
          return s;
        }
        if (!plan.review_date().empty()) {
          auto review = ParseDate(plan.review_date(), "plan.review_date");
          if (!review.ok()) return review.status();
          if (*review < *start) return InvalidField("plan.review_date", "is before the start date");
        }
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kWrite, event, &c);
        if (!child.ok()) return child.status();
        if (auto first =
                EarlierCreate(tx, caller, "StartChildProtectionPlan", request->request_id())) {
          auto existing = CaseStore::FindPlan(tx, (*ids)[1], *first);
          if (!existing) return RequestIdReused();
          *response = *existing;
          event.resource = response->name();
          return absl::OkStatus();
        }
        if (auto s = RequireOpen(c); !s.ok()) return s;
        if (CaseStore::HasOpenPlan(tx, (*ids)[1])) {
          return absl::FailedPreconditionError(
              absl::StrCat(child->name(), " already has an open child protection plan"));
        }
        *response = CaseStore::InsertPlan(tx, (*ids)[0], (*ids)[1], plan,
                                          CaseStore::CountPlans(tx, (*ids)[1]));
        Publish(tx, response->name(), PlanStartedEvent(child->name(), *response));
        RememberCreate(tx, caller, "StartChildProtectionPlan", request->request_id(),
                       response->name());
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::UpdateChildProtectionPlan(
    grpc::ServerContext* context, const v1::UpdateChildProtectionPlanRequest* request,
    v1::ChildProtectionPlan* response) {
  const v1::ChildProtectionPlan& update = request->plan();
  return runner_.Run(
      context, "UpdateChildProtectionPlan", update.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(update.name(), "plan.name",
                                     {"cases", "people", "childProtectionPlans"});
        if (!ids.ok()) return ids.status();
        if (request->update_mask().paths_size() == 0)
          return InvalidField("update_mask", "required");
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kWrite, event, &c);
        if (!child.ok()) return child.status();
        auto current = CaseStore::FindPlan(tx, (*ids)[1], (*ids)[2]);
        if (!current) return absl::NotFoundError(absl::StrCat(update.name(), " not found"));
        if (auto s = CheckEtag(update.etag(), current->etag(), "plan.etag"); !s.ok()) return s;
        if (!current->end_date().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(update.name(), " has ended"));
        }
        v1::ChildProtectionPlan changed = *current;
        for (const auto& path : request->update_mask().paths()) {
          if (path == "latest_category_of_abuse") {
            if (auto s = CheckCategoryOfAbuse(update.latest_category_of_abuse(),
                                              "plan.latest_category_of_abuse");
                !s.ok()) {
              return s;
            }
            changed.set_latest_category_of_abuse(update.latest_category_of_abuse());
          } else if (path == "review_date") {
            auto review = ParseDate(update.review_date(), "plan.review_date");
            if (!review.ok()) return review.status();
            if (FormatDate(*review) < current->start_date()) {
              return InvalidField("plan.review_date", "is before the start date");
            }
            changed.set_review_date(update.review_date());
          } else {
            return InvalidField("update_mask",
                                absl::StrCat(Quote(path),
                                             " cannot be updated (latest_category_of_abuse, "
                                             "review_date)"));
          }
        }
        *response = CaseStore::UpdatePlan(tx, (*ids)[2], changed);
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::EndChildProtectionPlan(
    grpc::ServerContext* context, const v1::EndChildProtectionPlanRequest* request,
    v1::ChildProtectionPlan* response) {
  return runner_.Run(
      context, "EndChildProtectionPlan", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids =
            ParseResourceName(request->name(), "name", {"cases", "people", "childProtectionPlans"});
        if (!ids.ok()) return ids.status();
        auto end = ParsePastDate(request->end_date(), "end_date");
        if (!end.ok()) return end.status();
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kWrite, event, &c);
        if (!child.ok()) return child.status();
        auto current = CaseStore::FindPlan(tx, (*ids)[1], (*ids)[2]);
        if (!current) return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
        if (!current->end_date().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(request->name(), " has already ended"));
        }
        if (FormatDate(*end) < current->start_date()) {
          return InvalidField("end_date", "is before the plan's start date");
        }
        *response = CaseStore::EndPlan(tx, (*ids)[2], FormatDate(*end));
        Publish(tx, response->name(), PlanEndedEvent(child->name(), *response));
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ListChildProtectionPlans(
    grpc::ServerContext* context, const v1::ListChildProtectionPlansRequest* request,
    v1::ListChildProtectionPlansResponse* response) {
  return runner_.Run(
      context, "ListChildProtectionPlans", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases", "people"});
        if (!ids.ok()) return ids.status();
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kRead, event, &c);
        if (!child.ok()) return child.status();
        for (auto& plan : CaseStore::ListPlans(tx, (*ids)[1])) *response->add_plans() = plan;
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::StartLookedAfterEpisode(
    grpc::ServerContext* context, const v1::StartLookedAfterEpisodeRequest* request,
    v1::LookedAfterEpisode* response) {
  const v1::LookedAfterEpisode& episode = request->episode();
  return runner_.Run(
      context, "StartLookedAfterEpisode", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases", "people"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        if (auto d = ParsePastDate(episode.start_date(), "episode.start_date"); !d.ok())
          return d.status();
        if (auto s = CheckLegalStatus(episode.legal_status(), "episode.legal_status"); !s.ok()) {
          return s;
        }
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kWrite, event, &c);
        if (!child.ok()) return child.status();
        if (auto first =
                EarlierCreate(tx, caller, "StartLookedAfterEpisode", request->request_id())) {
          auto existing = CaseStore::FindEpisode(tx, (*ids)[1], *first);
          if (!existing) return RequestIdReused();
          *response = *existing;
          event.resource = response->name();
          return absl::OkStatus();
        }
        if (auto s = RequireOpen(c); !s.ok()) return s;
        if (CaseStore::HasOpenEpisode(tx, (*ids)[1])) {
          return absl::FailedPreconditionError(
              absl::StrCat(child->name(), " already has an open looked-after episode"));
        }
        *response = CaseStore::InsertEpisode(tx, (*ids)[0], (*ids)[1], episode);
        Publish(tx, response->name(), EpisodeStartedEvent(child->name(), *response));
        RememberCreate(tx, caller, "StartLookedAfterEpisode", request->request_id(),
                       response->name());
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::EndLookedAfterEpisode(
    grpc::ServerContext* context, const v1::EndLookedAfterEpisodeRequest* request,
    v1::LookedAfterEpisode* response) {
  return runner_.Run(
      context, "EndLookedAfterEpisode", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids =
            ParseResourceName(request->name(), "name", {"cases", "people", "lookedAfterEpisodes"});
        if (!ids.ok()) return ids.status();
        auto end = ParsePastDate(request->end_date(), "end_date");
        if (!end.ok()) return end.status();
        if (auto s = CheckReasonEpisodeEnded(request->reason_ended(), "reason_ended"); !s.ok()) {
          return s;
        }
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kWrite, event, &c);
        if (!child.ok()) return child.status();
        auto current = CaseStore::FindEpisode(tx, (*ids)[1], (*ids)[2]);
        if (!current) return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
        if (!current->end_date().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(request->name(), " has already ended"));
        }
        if (FormatDate(*end) < current->start_date()) {
          return InvalidField("end_date", "is before the episode's start date");
        }
        *response = CaseStore::EndEpisode(tx, (*ids)[2], FormatDate(*end), request->reason_ended());
        Publish(tx, response->name(), EpisodeEndedEvent(child->name(), *response));
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ListLookedAfterEpisodes(
    grpc::ServerContext* context, const v1::ListLookedAfterEpisodesRequest* request,
    v1::ListLookedAfterEpisodesResponse* response) {
  return runner_.Run(
      context, "ListLookedAfterEpisodes", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases", "people"});
        if (!ids.ok()) return ids.status();
        v1::Case c;
        auto child = LoadChild(tx, caller, *ids, CaseIntent::kRead, event, &c);
        if (!child.ok()) return child.status();
        for (auto& e : CaseStore::ListEpisodes(tx, (*ids)[1])) *response->add_episodes() = e;
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ListAlerts(grpc::ServerContext* context,
                                                const v1::ListAlertsRequest* request,
                                                v1::ListAlertsResponse* response) {
  return runner_.Run(context, "ListAlerts", "alerts", response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       if (auto s = RequirePractitioner(caller); !s.ok()) return s;
                       event.resource =
                           absl::StrCat("practitioners/", caller.principal.id, "/alerts");
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       auto listed = CaseStore::ListAlerts(tx, caller.principal.id,
                                                           request->include_acknowledged(), *page);
                       for (auto& a : listed.items) *response->add_alerts() = std::move(a);
                       SetNextPageToken(listed, response->mutable_next_page_token());
                       return absl::OkStatus();
                     });
}

grpc::Status CaseRecordsServiceImpl::AcknowledgeAlert(grpc::ServerContext* context,
                                                      const v1::AcknowledgeAlertRequest* request,
                                                      v1::Alert* response) {
  return runner_.Run(
      context, "AcknowledgeAlert", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        if (auto s = RequirePractitioner(caller); !s.ok()) return s;
        auto ids = ParseResourceName(request->name(), "name", {"practitioners", "alerts"});
        if (!ids.ok()) return ids.status();
        if ((*ids)[0] != caller.principal.id) {
          return absl::PermissionDeniedError("you may acknowledge only your own alerts");
        }
        auto alert = CaseStore::AcknowledgeAlert(tx, caller.principal.id, (*ids)[1]);
        if (!alert) return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
        *response = *alert;
        return absl::OkStatus();
      });
}

grpc::Status CaseRecordsServiceImpl::ListBreakGlassAccesses(
    grpc::ServerContext* context, const v1::ListBreakGlassAccessesRequest* request,
    v1::ListBreakGlassAccessesResponse* response) {
  return runner_.Run(context, "ListBreakGlassAccesses", "audit/breakGlass", response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (auto s = RequireTeamManager(caller); !s.ok()) return s;
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       auto listed = CaseStore::ListBreakGlass(tx, *page);
                       for (auto& a : listed.items) *response->add_accesses() = std::move(a);
                       SetNextPageToken(listed, response->mutable_next_page_token());
                       return absl::OkStatus();
                     });
}

grpc::Status ChildProtectionInformationServiceImpl::LookupChildProtectionStatus(
    grpc::ServerContext* context, const v1::LookupChildProtectionStatusRequest* request,
    v1::LookupChildProtectionStatusResponse* response) {
  return runner_.Run(
      context, "LookupChildProtectionStatus", "nhs-lookup", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        if (caller.principal.kind != PrincipalKind::kNhsPartner) {
          return absl::PermissionDeniedError("the CP-IS look-up is for NHS organisations");
        }
        auto nhs = NhsNumber::Parse(request->nhs_number());
        if (!nhs.ok()) return InvalidField("nhs_number", nhs.status().message());
        event.resource = absl::StrCat("nhs-number/", nhs->digits());
        auto status = CaseStore::FindChildStatus(tx, nhs->digits());
        CaseStore::RecordNhsAccess(tx, nhs->digits(), caller.principal.id);
        response->set_office_hours_phone(contacts_.office_hours_phone);
        response->set_out_of_hours_phone(contacts_.out_of_hours_phone);
        for (auto& access : CaseStore::RecentNhsAccesses(tx, nhs->digits(), kNhsAccessesShown)) {
          *response->add_recent_accesses() = std::move(access);
        }
        if (!status) return absl::OkStatus();
        event.resource = absl::StrCat("cases/", status->case_id, "/people/", status->person_id);
        if (status->has_plan || status->looked_after) {
          response->set_information_held(true);
          response->set_has_child_protection_plan(status->has_plan && !status->unborn);
          response->set_unborn_with_child_protection_plan(status->has_plan && status->unborn);
          response->set_looked_after(status->looked_after);
          response->set_plan_start_date(status->plan_start);
        }
        // A handover in flight holds the case row: wait for it, then read the lead it left.
        CaseStore::LockCaseShared(tx, status->case_id);
        if (auto lead = CaseStore::ActiveLead(tx, status->case_id)) {
          CaseStore::InsertAlert(
              tx, lead->practitioner(), status->case_id, status->person_id,
              absl::StrCat("NHS organisation ", caller.principal.id, " looked up this child at ",
                           absl::FormatTime("%Y-%m-%d %H:%M", absl::Now(), absl::LocalTimeZone())));
        }
        return absl::OkStatus();
      });
}

}  // namespace fs::cases
