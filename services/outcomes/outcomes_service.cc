#include "services/outcomes/outcomes_service.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/idempotency.h"
#include "common/name_match.h"
#include "common/nhs_number.h"
#include "common/pagination.h"
#include "common/resource_name.h"
#include "common/status.h"
#include "common/timestamps.h"
#include "services/outcomes/outcomes_events.h"
#include "services/outcomes/outcomes_store.h"
#include "services/outcomes/report.h"

namespace fs::outcomes {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxReference = 64;
constexpr size_t kMaxName = 100;
constexpr int kMaxPeople = 20;
// A partner's clock may run a little ahead of ours.
constexpr absl::Duration kClockSkew = absl::Minutes(5);
constexpr int kMaxMonths = 240;
constexpr int kMaxFrontDoorPage = 50;

// 09:00 in England on the first working day after `received`: when the lead worker (or the front
// door) should have acted, as Operation Encompass asks schools to know before the next school day.
absl::Time RespondBy(absl::Time received, const HolidayCalendar& holidays) {
  absl::CivilDay today(absl::ToCivilDay(received, EnglandZone()));
  absl::CivilDay next = holidays.NextWorkingDay(today);
  return absl::FromCivil(absl::CivilHour(next.year(), next.month(), next.day(), 9), EnglandZone());
}

// What a resend is compared by. Keyed with the match secret when there is one, so that the hash
// of an NHS report kept without its NHS number does not give the number back to whoever tries
// every one; without a secret the caller leaves the number out (`message` is then a copy without
// it).
std::string ContentHash(const google::protobuf::Message& message, const std::string& secret) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (secret.empty()) {
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    length = SHA256_DIGEST_LENGTH;
  } else {
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest, &length);
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

// An optional NHS number, normalised to its digits.
absl::Status NormaliseNhsNumber(std::string* nhs_number, const std::string& field) {
  if (nhs_number->empty()) return absl::OkStatus();
  auto parsed = NhsNumber::Parse(*nhs_number);
  if (!parsed.ok()) return InvalidField(field, "not a valid NHS number");
  *nhs_number = parsed->digits();
  return absl::OkStatus();
}

absl::Status CheckBirthDate(const std::string& date, const std::string& field, bool required) {
  if (date.empty()) return required ? InvalidField(field, "required") : absl::OkStatus();
  return ParsePastDate(date, field).status();
}

// Checks a police report and normalises its NHS numbers.
absl::StatusOr<v1::ReportDomesticAbuseIncidentRequest> CheckIncident(
    const v1::ReportDomesticAbuseIncidentRequest& request, absl::Time now) {
  v1::ReportDomesticAbuseIncidentRequest r = request;
  if (auto s = CheckText(r.police_reference(), "police_reference", kMaxReference, true); !s.ok()) {
    return s;
  }
  if (!r.has_incident_time()) return InvalidField("incident_time", "required");
  if (!ValidTimestamp(r.incident_time())) return InvalidField("incident_time", "not a valid time");
  if (FromTimestamp(r.incident_time()) > now + kClockSkew) {
    return InvalidField("incident_time", "is in the future");
  }
  if (auto s = CheckText(r.place(), "place", 500, true); !s.ok()) return s;
  if (auto s = CheckText(r.circumstances(), "circumstances", 8000, false); !s.ok()) return s;
  if (auto s = CheckText(r.officer(), "officer", 200, false); !s.ok()) return s;
  if (r.children_size() == 0) return InvalidField("children", "at least one child is required");
  if (r.children_size() > kMaxPeople || r.adults_size() > kMaxPeople) {
    return InvalidField(r.children_size() > kMaxPeople ? "children" : "adults",
                        absl::StrCat("at most ", kMaxPeople));
  }
  for (int i = 0; i < r.children_size(); ++i) {
    auto* c = r.mutable_children(i);
    std::string f = absl::StrCat("children[", i, "].");
    if (auto s = CheckText(c->given_name(), f + "given_name", kMaxName, true); !s.ok()) return s;
    if (auto s = CheckText(c->family_name(), f + "family_name", kMaxName, true); !s.ok()) return s;
    if (auto s = CheckBirthDate(c->birth_date(), f + "birth_date", true); !s.ok()) return s;
    if (auto s = NormaliseNhsNumber(c->mutable_nhs_number(), f + "nhs_number"); !s.ok()) return s;
    if (auto s = CheckText(c->child_said(), f + "child_said", 4000, false); !s.ok()) return s;
  }
  for (int i = 0; i < r.adults_size(); ++i) {
    auto* a = r.mutable_adults(i);
    std::string f = absl::StrCat("adults[", i, "].");
    if (auto s = CheckText(a->given_name(), f + "given_name", kMaxName, false); !s.ok()) return s;
    if (auto s = CheckText(a->family_name(), f + "family_name", kMaxName, true); !s.ok()) return s;
    if (auto s = CheckBirthDate(a->birth_date(), f + "birth_date", false); !s.ok()) return s;
    if (auto s = NormaliseNhsNumber(a->mutable_nhs_number(), f + "nhs_number"); !s.ok()) return s;
    if (!v1::AdultRole_IsValid(a->role()) || a->role() == v1::ADULT_ROLE_UNSPECIFIED) {
      return InvalidField(f + "role", "VICTIM, PERPETRATOR or OTHER");
    }
  }
  return r;
}

struct Found {
  Match match;
  std::string matched_by;
  bool child_present = false;
};

struct Matched {
  std::vector<Found> found;
  // Children of the report who matched nobody open now: the front door must look at them.
  int children_unrouted = 0;
};

// The people of cases open on the incident's day or now a report names: by NHS number when
// given, else by name and birth date, never someone recorded with another NHS number. A person
// is named once however many ways they match.
Matched MatchPeople(pqxx::work& tx, const v1::ReportDomesticAbuseIncidentRequest& r,
                    const std::string& secret, absl::CivilDay incident_day) {
  Matched result;
  std::vector<Found>& found = result.found;
  auto add = [&](const std::vector<Match>& matches, const char* how, bool present) {
    for (const auto& m : matches) {
      bool seen = std::any_of(found.begin(), found.end(),
                              [&](const Found& f) { return f.match.person_id == m.person_id; });
      if (!seen) found.push_back({m, how, present});
    }
  };
  // Whether anyone open now was found for this person.
  auto match = [&](const std::string& nhs, const std::string& given, const std::string& family,
                   const std::string& born, bool present) {
    std::vector<Match> matches;
    const char* how = "NHS_NUMBER";
    if (!nhs.empty()) matches = OutcomesStore::MatchNhsNumber(tx, nhs, incident_day);
    if (matches.empty()) {
      auto day = ParseDate(born, "birth_date");
      if (!day.ok()) return false;
      how = "NAME_AND_BIRTH_DATE";
      for (auto& m : OutcomesStore::MatchNameKeys(
               tx, NameMatchCandidates(secret, given, family, *day), incident_day)) {
        // A namesake recorded with another NHS number is someone else.
        if (nhs.empty() || m.nhs_number.empty() || m.nhs_number == nhs) {
          matches.push_back(std::move(m));
        }
      }
    }
    add(matches, how, present);
    return std::any_of(matches.begin(), matches.end(), [](const Match& m) { return m.open_now; });
  };
  for (const auto& c : r.children()) {
    if (!match(c.nhs_number(), c.given_name(), c.family_name(), c.birth_date(), c.present())) {
      ++result.children_unrouted;
    }
  }
  for (const auto& a : r.adults()) {
    match(a.nhs_number(), a.given_name(), a.family_name(), a.birth_date(), false);
  }
  return result;
}

// Tells case_records, through the outbox, to alert the case's lead worker.
void PublishMatch(pqxx::work& tx, const std::string& incident_id, const std::string& force,
                  const std::string& police_reference,
                  const google::protobuf::Timestamp& incident_time, const Found& f,
                  absl::Time respond_by) {
  ev::EventEnvelope envelope;
  auto* m = envelope.mutable_partner_incident_matched();
  m->set_incident(absl::StrCat("incidents/", incident_id));
  m->set_person(absl::StrCat("cases/", f.match.case_id, "/people/", f.match.person_id));
  m->set_police_reference(police_reference);
  m->set_force(force);
  *m->mutable_incident_time() = incident_time;
  *m->mutable_respond_by() = ToTimestamp(respond_by);
  m->set_child_present(f.child_present);
  m->set_matched_by(f.matched_by);
  AppendEvent(tx, kProducer, absl::StrCat("cases/", f.match.case_id), std::move(envelope));
}

absl::Status PoliceOnly(const Caller& caller) {
  if (caller.principal.kind != PrincipalKind::kPolicePartner) {
    return absl::PermissionDeniedError("only a police force reports domestic abuse incidents");
  }
  return absl::OkStatus();
}

absl::Status NhsOnly(const Caller& caller) {
  if (caller.principal.kind != PrincipalKind::kNhsPartner) {
    return absl::PermissionDeniedError("only an NHS organisation reports admissions");
  }
  return absl::OkStatus();
}

// The resend rule: the same content returns the first acknowledgement; other content under the
// same reference is the caller's mistake.
absl::StatusOr<v1::IntakeAcknowledgement> FirstResult(const StoredReport& stored,
                                                      const std::string& hash,
                                                      absl::string_view reference) {
  if (stored.content_hash != hash) {
    return absl::AlreadyExistsError(
        absl::StrCat(reference, " ", Quote(stored.acknowledgement.reference()),
                     " was already reported with different content; send corrections to the "
                     "council's front door"));
  }
  return stored.acknowledgement;
}

absl::StatusOr<std::string> FrontDoorId(const std::string& name) {
  auto ids = ParseResourceName(name, "name", {"frontDoorItems"});
  if (!ids.ok()) return ids.status();
  if (!IsUuid((*ids)[0])) return InvalidField("name", "not a front door item id");
  return (*ids)[0];
}

absl::Status FrontDoorOnly(const Caller& caller, const OutcomesOptions& options) {
  if (std::find(caller.teams.begin(), caller.teams.end(), options.front_door_team) ==
      caller.teams.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the front door queue is for the ", options.front_door_team, " team"));
  }
  return absl::OkStatus();
}

bool InTeams(const Caller& caller, const std::string& team) {
  return !team.empty() &&
         std::find(caller.teams.begin(), caller.teams.end(), team) != caller.teams.end();
}

// Aggregates: the council's for team managers and administrators; a team's for its managers and
// administrators.
absl::Status MayReadFigures(const Caller& caller, const std::string& team) {
  if (!team.empty()) {
    if (auto s = CheckIdentifier(team, "team"); !s.ok()) return s;
  }
  if (caller.role == PractitionerRole::kAdministrator) return absl::OkStatus();
  if (caller.role != PractitionerRole::kTeamManager) {
    return absl::PermissionDeniedError("outcome figures are for team managers and administrators");
  }
  if (!team.empty() &&
      std::find(caller.teams.begin(), caller.teams.end(), team) == caller.teams.end()) {
    return absl::PermissionDeniedError(absl::StrCat("not a manager of team ", team));
  }
  return absl::OkStatus();
}

IndicatorOptions Indicating(const OutcomesOptions& options) {
  IndicatorOptions out;
  out.today = absl::ToCivilDay(options.clock(), EnglandZone());
  out.module_sessions_to_complete = options.module_sessions_to_complete;
  return out;
}

// The projection, loaded once per request and only once the request has been checked.
class Facts {
 public:
  explicit Facts(pqxx::work& tx) : tx_(tx) {}
  const Dataset& data() {
    if (!data_) data_ = OutcomesStore::LoadDataset(tx_);
    return *data_;
  }
  // NOT_FOUND for a team no case was ever of (a mistyped name would otherwise read as zeros).
  absl::Status CheckTeam(const std::string& team) {
    if (team.empty() || OutcomesStore::TeamKnown(tx_, team)) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("no case of team ", Quote(team), " is known here"));
  }
  std::optional<absl::Time> as_of() {
    if (!as_of_loaded_) {
      as_of_ = OutcomesStore::DataAsOf(tx_);
      as_of_loaded_ = true;
    }
    return as_of_;
  }

 private:
  pqxx::work& tx_;
  std::optional<Dataset> data_;
  std::optional<absl::Time> as_of_;
  bool as_of_loaded_ = false;
};

absl::Status BuildIndicators(Facts& facts, const v1::GetIndicatorsRequest& request,
                             const OutcomesOptions& options, v1::IndicatorReport* report) {
  IndicatorOptions indicating = Indicating(options);
  absl::CivilMonth to(indicating.today);
  if (!request.to_month().empty()) {
    auto parsed = ParseMonth(request.to_month());
    if (!parsed) return InvalidField("to_month", "not a month (YYYY-MM)");
    to = *parsed;
  }
  absl::CivilMonth from = to - 11;
  if (!request.from_month().empty()) {
    auto parsed = ParseMonth(request.from_month());
    if (!parsed) return InvalidField("from_month", "not a month (YYYY-MM)");
    from = *parsed;
  }
  if (from > to) return InvalidField("from_month", "is after to_month");
  if (to - from >= kMaxMonths) {
    return InvalidField("from_month", absl::StrCat("at most ", kMaxMonths, " months at once"));
  }
  std::vector<v1::Indicator> which;
  for (int i : request.indicators()) {
    if (!v1::Indicator_IsValid(i) || i == v1::INDICATOR_UNSPECIFIED) {
      return InvalidField("indicators", "unknown indicator");
    }
    // Each once, in the order first asked.
    if (std::find(which.begin(), which.end(), i) == which.end()) {
      which.push_back(static_cast<v1::Indicator>(i));
    }
  }
  if (auto s = facts.CheckTeam(request.team()); !s.ok()) return s;
  report->set_team(request.team());
  for (auto& series :
       ComputeIndicators(facts.data(), request.team(), from, to, which, indicating)) {
    *report->add_series() = std::move(series);
  }
  *report->mutable_compute_time() = ToTimestamp(options.clock());
  if (auto as_of = facts.as_of()) *report->mutable_data_as_of() = ToTimestamp(*as_of);
  return absl::OkStatus();
}

absl::Status BuildComparison(Facts& facts, const v1::CompareOutcomesRequest& request,
                             const OutcomesOptions& options, v1::Comparison* comparison) {
  std::string adoption_text =
      request.adoption_date().empty() ? options.adoption_date : request.adoption_date();
  if (adoption_text.empty()) {
    return InvalidField("adoption_date", "required (no --adoption_date is configured)");
  }
  auto adoption = ParseDate(adoption_text, "adoption_date");
  if (!adoption.ok()) return adoption.status();
  int months = request.months() == 0 ? 12 : request.months();
  if (months < 1 || months > 60) return InvalidField("months", "1 to 60");
  *comparison =
      Compare(facts.data(), request.team(), *adoption, months, options.costs, Indicating(options));
  if (auto as_of = facts.as_of()) *comparison->mutable_data_as_of() = ToTimestamp(*as_of);
  return absl::OkStatus();
}

std::string Scope(const std::string& team) { return team.empty() ? "council" : team; }

// Figures load the whole projection and count in memory, holding a database connection: only a
// few at once, so that police reports and event delivery keep theirs. A caller waits up to 10 s.
class FigureSlot {
 public:
  explicit FigureSlot(std::counting_semaphore<>& slots)
      : slots_(slots), held_(slots.try_acquire_for(std::chrono::seconds(10))) {}
  ~FigureSlot() {
    if (held_) slots_.release();
  }
  bool held() const { return held_; }

 private:
  std::counting_semaphore<>& slots_;
  bool held_;
};

grpc::Status FiguresBusy() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "outcome figures are being computed for others; try again shortly");
}

}  // namespace

// ---- Partner intake ----

grpc::Status PartnerIntakeServiceImpl::ReportDomesticAbuseIncident(
    grpc::ServerContext* context, const v1::ReportDomesticAbuseIncidentRequest* request,
    v1::IntakeAcknowledgement* response) {
  return runner_.Run(
      context, "ReportDomesticAbuseIncident", "incidents", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) -> absl::Status {
        if (auto s = PoliceOnly(caller); !s.ok()) return s;
        absl::Time now = options_.clock();
        auto report = CheckIncident(*request, now);
        if (!report.ok()) return report.status();
        const std::string& force = caller.principal.id;
        std::string hash = ContentHash(*report, options_.match_secret);
        absl::Time respond_by = RespondBy(now, options_.holidays);
        auto stored = OutcomesStore::InsertIncident(tx, force, *report, hash, respond_by);
        if (!stored) {
          // Reported before (or a parallel resend committed first): the first result.
          auto first = OutcomesStore::FindIncident(tx, force, report->police_reference());
          if (!first) return absl::AbortedError("the report is being stored; try again");
          event.resource = first->acknowledgement.name();
          auto ack = FirstResult(*first, hash, "police_reference");
          if (!ack.ok()) return ack.status();
          *response = *ack;
          return absl::OkStatus();
        }
        event.resource = stored->acknowledgement.name();
        absl::CivilDay day =
            absl::ToCivilDay(FromTimestamp(report->incident_time()), EnglandZone());
        Matched matched = MatchPeople(tx, *report, options_.match_secret, day);
        const std::vector<Found>& found = matched.found;
        // Every match counts for the case's figures; only a case open now has a lead to alert.
        std::map<std::string, const Found*> alerted;  // one alert per case
        for (const auto& f : found) {
          OutcomesStore::InsertIncidentMatch(tx, stored->id, f.match, f.matched_by, day);
          if (!f.match.open_now) continue;
          auto [it, first] = alerted.emplace(f.match.case_id, &f);
          // The alert names a child of the case when the report names one.
          if (!first && it->second->match.kind != "CHILD" && f.match.kind == "CHILD") {
            it->second = &f;
          }
        }
        for (const auto& [case_id, f] : alerted) {
          Found alert = *f;
          alert.child_present = std::any_of(found.begin(), found.end(), [&](const Found& o) {
            return o.match.case_id == case_id && o.child_present;
          });
          PublishMatch(tx, stored->id, force, report->police_reference(), report->incident_time(),
                       alert, respond_by);
        }
        // Nobody to alert (no match, or only cases closed since), or a child nobody open now
        // knows (an adult matched, the children are another family's): the front door decides.
        if (alerted.empty() || matched.children_unrouted > 0) {
          OutcomesStore::InsertFrontDoorItem(tx, stored->id);
        }
        *response = stored->acknowledgement;
        return absl::OkStatus();
      });
}

grpc::Status PartnerIntakeServiceImpl::ReportEmergencyAdmission(
    grpc::ServerContext* context, const v1::ReportEmergencyAdmissionRequest* request,
    v1::IntakeAcknowledgement* response) {
  return runner_.Run(
      context, "ReportEmergencyAdmission", "admissions", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) -> absl::Status {
        if (auto s = NhsOnly(caller); !s.ok()) return s;
        v1::ReportEmergencyAdmissionRequest r = *request;
        if (auto s = CheckText(r.episode_reference(), "episode_reference", kMaxReference, true);
            !s.ok()) {
          return s;
        }
        if (r.nhs_number().empty()) return InvalidField("nhs_number", "required");
        if (auto s = NormaliseNhsNumber(r.mutable_nhs_number(), "nhs_number"); !s.ok()) return s;
        if (r.date().empty()) return InvalidField("date", "required");
        auto date =
            ParsePastDate(r.date(), "date", absl::ToCivilDay(options_.clock(), EnglandZone()));
        if (!date.ok()) return date.status();
        r.set_date(FormatDate(*date));
        if (!v1::AdmissionKind_IsValid(r.kind()) || r.kind() == v1::ADMISSION_KIND_UNSPECIFIED) {
          return InvalidField("kind", "EMERGENCY_ADMISSION or AE_ATTENDANCE");
        }
        if (!v1::ReasonCategory_IsValid(r.reason()) ||
            r.reason() == v1::REASON_CATEGORY_UNSPECIFIED) {
          return InvalidField("reason", "a reason category is required");
        }
        const std::string& org = caller.principal.id;
        v1::ReportEmergencyAdmissionRequest hashed = r;
        if (options_.match_secret.empty()) hashed.clear_nhs_number();
        std::string hash = ContentHash(hashed, options_.match_secret);
        auto stored = OutcomesStore::InsertAdmission(tx, org, r, hash, 1);
        if (!stored) {
          auto first = OutcomesStore::FindAdmission(tx, org, r.episode_reference());
          if (!first) return absl::AbortedError("the report is being stored; try again");
          event.resource = first->acknowledgement.name();
          auto ack = FirstResult(*first, hash, "episode_reference");
          if (!ack.ok()) return ack.status();
          *response = *ack;
          return absl::OkStatus();
        }
        event.resource = stored->acknowledgement.name();
        // Only people of open cases are kept; of anyone else, nothing but the episode reference.
        for (const auto& m : OutcomesStore::MatchNhsNumber(tx, r.nhs_number(), *date)) {
          OutcomesStore::InsertAdmissionMatch(tx, stored->id, m, r.date());
        }
        *response = stored->acknowledgement;
        return absl::OkStatus();
      });
}

grpc::Status PartnerIntakeServiceImpl::GetIntakeAcknowledgement(
    grpc::ServerContext* context, const v1::GetIntakeAcknowledgementRequest* request,
    v1::IntakeAcknowledgement* response) {
  return runner_.Run(
      context, "GetIntakeAcknowledgement", "acknowledgements", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) -> absl::Status {
        if (caller.principal.kind != PrincipalKind::kPolicePartner &&
            caller.principal.kind != PrincipalKind::kNhsPartner) {
          return absl::PermissionDeniedError("acknowledgements are for the partner that reported");
        }
        if (auto s = CheckText(request->reference(), "reference", kMaxReference, true); !s.ok()) {
          return s;
        }
        // Another organisation's reference is simply not found: its existence is not told.
        auto stored =
            caller.principal.kind == PrincipalKind::kPolicePartner
                ? OutcomesStore::FindIncident(tx, caller.principal.id, request->reference())
                : OutcomesStore::FindAdmission(tx, caller.principal.id, request->reference());
        if (!stored) {
          return absl::NotFoundError(absl::StrCat("no report ", Quote(request->reference()),
                                                  " from ", caller.principal.id));
        }
        event.resource = stored->acknowledgement.name();
        *response = stored->acknowledgement;
        return absl::OkStatus();
      });
}

grpc::Status PartnerIntakeServiceImpl::ListIntakeAcknowledgements(
    grpc::ServerContext* context, const v1::ListIntakeAcknowledgementsRequest* request,
    v1::ListIntakeAcknowledgementsResponse* response) {
  return runner_.Run(
      context, "ListIntakeAcknowledgements", "acknowledgements", response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) -> absl::Status {
        if (caller.principal.kind != PrincipalKind::kPolicePartner &&
            caller.principal.kind != PrincipalKind::kNhsPartner) {
          return absl::PermissionDeniedError("acknowledgements are for the partner that reported");
        }
        auto page = ParsePage(request->page_size(), request->page_token());
        if (!page.ok()) return page.status();
        int64_t last_key = 0;
        auto acks = caller.principal.kind == PrincipalKind::kPolicePartner
                        ? OutcomesStore::ListIncidentAcknowledgements(tx, caller.principal.id,
                                                                      *page, &last_key)
                        : OutcomesStore::ListAdmissionAcknowledgements(tx, caller.principal.id,
                                                                       *page, &last_key);
        for (auto& ack : acks) *response->add_acknowledgements() = std::move(ack);
        if (last_key > 0) response->set_next_page_token(PageToken(last_key));
        return absl::OkStatus();
      });
}

// ---- Front door ----

grpc::Status OutcomesServiceImpl::ListFrontDoorItems(grpc::ServerContext* context,
                                                     const v1::ListFrontDoorItemsRequest* request,
                                                     v1::ListFrontDoorItemsResponse* response) {
  return runner_.Run(context, "ListFrontDoorItems", "frontDoorItems", response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) -> absl::Status {
                       if (auto s = FrontDoorOnly(caller, options_); !s.ok()) return s;
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       // Whole reports (children's names, what they said): a page at most 50, and
                       // the audit log has a row for every item shown, so "who saw this child's
                       // report?" has an answer.
                       page->size = std::min(page->size, kMaxFrontDoorPage);
                       FrontDoorPage listed = OutcomesStore::ListFrontDoorItems(
                           tx, request->include_resolved(), *page, options_.clock());
                       for (auto& item : listed.items) {
                         AppendAudit(tx, caller, AuditEvent{event.action, item.name(), "OK", ""});
                         *response->add_items() = std::move(item);
                       }
                       if (listed.more) response->set_next_page_token(PageToken(listed.last_key));
                       response->set_waiting_count(listed.waiting);
                       response->set_overdue_count(listed.overdue);
                       return absl::OkStatus();
                     });
}

grpc::Status OutcomesServiceImpl::GetFrontDoorItem(grpc::ServerContext* context,
                                                   const v1::GetFrontDoorItemRequest* request,
                                                   v1::FrontDoorItem* response) {
  return runner_.Run(
      context, "GetFrontDoorItem", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) -> absl::Status {
        if (auto s = FrontDoorOnly(caller, options_); !s.ok()) return s;
        auto id = FrontDoorId(request->name());
        if (!id.ok()) return id.status();
        auto item = OutcomesStore::FindFrontDoorItem(tx, *id, false);
        if (!item) return absl::NotFoundError(absl::StrCat(Quote(request->name()), " not found"));
        *response = *item;
        return absl::OkStatus();
      });
}

grpc::Status OutcomesServiceImpl::GetIncident(grpc::ServerContext* context,
                                              const v1::GetIncidentRequest* request,
                                              v1::Incident* response) {
  return runner_.Run(
      context, "GetIncident", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) -> absl::Status {
        auto ids = ParseResourceName(request->name(), "name", {"incidents"});
        if (!ids.ok()) return ids.status();
        if (!IsUuid((*ids)[0])) return InvalidField("name", "not an incident id");
        auto incident = OutcomesStore::FindIncidentById(tx, (*ids)[0]);
        if (!incident)
          return absl::NotFoundError(absl::StrCat(Quote(request->name()), " not found"));
        if (FrontDoorOnly(caller, options_).ok()) {
          *response = *incident;
          return absl::OkStatus();
        }
        // Otherwise the social workers and DA victim workers allocated to a case it names, and
        // the managers of that case's team (not, e.g., the perpetrator's worker); of the matches,
        // only those cases.
        static const std::vector<std::string> kReaders = {"LEAD_SOCIAL_WORKER", "TEAM_MANAGER",
                                                          "DA_VICTIM_WORKER"};
        std::vector<v1::IncidentMatch> visible;
        for (const auto& m : incident->matches()) {
          std::string case_id = ParseResourceName(m.person(), "person", {"cases", "people"})
                                    .value_or(std::vector<std::string>{""})[0];
          bool manager = caller.role == PractitionerRole::kTeamManager &&
                         InTeams(caller, OutcomesStore::CurrentTeam(tx, case_id));
          if (manager || OutcomesStore::AllocatedAs(tx, case_id, caller.principal.id, kReaders)) {
            visible.push_back(m);
          }
        }
        if (visible.empty()) {
          return absl::PermissionDeniedError(
              "a police report is for the front door and the workers of the family it names");
        }
        *response = *incident;
        response->clear_matches();
        for (auto& m : visible) *response->add_matches() = std::move(m);
        return absl::OkStatus();
      });
}

grpc::Status OutcomesServiceImpl::ResolveFrontDoorItem(
    grpc::ServerContext* context, const v1::ResolveFrontDoorItemRequest* request,
    v1::FrontDoorItem* response) {
  return runner_.Run(
      context, "ResolveFrontDoorItem", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) -> absl::Status {
        if (auto s = FrontDoorOnly(caller, options_); !s.ok()) return s;
        auto id = FrontDoorId(request->name());
        if (!id.ok()) return id.status();
        if (request->linked_person().empty() == !request->no_further_action()) {
          return InvalidField("linked_person", "give a person to link or no_further_action");
        }
        if (auto s = CheckText(request->reason(), "reason", 2000, true); !s.ok()) return s;
        std::vector<std::string> person;
        if (!request->linked_person().empty()) {
          auto ids =
              ParseResourceName(request->linked_person(), "linked_person", {"cases", "people"});
          if (!ids.ok()) return ids.status();
          person = *ids;
        }
        auto item = OutcomesStore::FindFrontDoorItem(tx, *id, true);
        if (!item) return absl::NotFoundError(absl::StrCat(Quote(request->name()), " not found"));
        if (auto s = CheckEtag(request->etag(), item->etag(), "etag"); !s.ok()) return s;
        if (item->state() != v1::FRONT_DOOR_STATE_WAITING) {
          return absl::FailedPreconditionError("the item was already resolved");
        }
        std::string incident_id = LastSegment(item->incident());
        if (!person.empty()) {
          auto match = OutcomesStore::PersonOfOpenCase(tx, person[0], person[1]);
          if (!match) {
            return absl::FailedPreconditionError(
                absl::StrCat(Quote(request->linked_person()), " is not a person of an open case"));
          }
          absl::CivilDay day =
              absl::ToCivilDay(FromTimestamp(item->incident_time()), EnglandZone());
          OutcomesStore::InsertIncidentMatch(tx, incident_id, *match, "FRONT_DOOR", day);
          bool present = std::any_of(item->children().begin(), item->children().end(),
                                     [](const v1::IncidentChild& c) { return c.present(); });
          Found found{*match, "FRONT_DOOR", present && match->kind == "CHILD"};
          absl::Time respond_by = RespondBy(options_.clock(), options_.holidays);
          PublishMatch(tx, incident_id, item->force(), item->police_reference(),
                       item->incident_time(), found, respond_by);
        }
        OutcomesStore::ResolveFrontDoorItem(
            tx, *id, person.empty() ? "NO_FURTHER_ACTION" : "LINKED", request->linked_person(),
            request->reason(), caller.principal.id);
        *response = *OutcomesStore::FindFrontDoorItem(tx, *id, false);
        return absl::OkStatus();
      });
}

// ---- Figures ----

grpc::Status OutcomesServiceImpl::GetIndicators(grpc::ServerContext* context,
                                                const v1::GetIndicatorsRequest* request,
                                                v1::IndicatorReport* response) {
  FigureSlot slot(figures_);
  if (!slot.held()) return FiguresBusy();
  return runner_.Run(context, "GetIndicators", absl::StrCat("indicators/", Scope(request->team())),
                     response, [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (auto s = MayReadFigures(caller, request->team()); !s.ok()) return s;
                       Facts facts(tx);
                       return BuildIndicators(facts, *request, options_, response);
                     });
}

grpc::Status OutcomesServiceImpl::CompareOutcomes(grpc::ServerContext* context,
                                                  const v1::CompareOutcomesRequest* request,
                                                  v1::Comparison* response) {
  FigureSlot slot(figures_);
  if (!slot.held()) return FiguresBusy();
  return runner_.Run(context, "CompareOutcomes",
                     absl::StrCat("comparisons/", Scope(request->team())), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (auto s = MayReadFigures(caller, request->team()); !s.ok()) return s;
                       Facts facts(tx);
                       return BuildComparison(facts, *request, options_, response);
                     });
}

grpc::Status OutcomesServiceImpl::ExportOutcomes(grpc::ServerContext* context,
                                                 const v1::ExportOutcomesRequest* request,
                                                 v1::ExportOutcomesResponse* response) {
  const std::string& team = request->indicators().team();
  FigureSlot slot(figures_);
  if (!slot.held()) return FiguresBusy();
  return runner_.Run(
      context, "ExportOutcomes", absl::StrCat("exports/", Scope(team)), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) -> absl::Status {
        if (auto s = MayReadFigures(caller, team); !s.ok()) return s;
        if (request->format() == v1::EXPORT_FORMAT_HTML && request->comparison().team() != team &&
            !request->comparison().team().empty()) {
          return InvalidField("comparison.team", "must be the indicators' team");
        }
        v1::IndicatorReport report;
        Facts facts(tx);
        if (auto s = BuildIndicators(facts, request->indicators(), options_, &report); !s.ok()) {
          return s;
        }
        std::string stem = absl::StrCat("outcomes-", Scope(team));
        switch (request->format()) {
          case v1::EXPORT_FORMAT_CSV:
            response->set_content_type("text/csv");
            response->set_file_name(stem + ".csv");
            response->set_content(RenderCsv(report));
            return absl::OkStatus();
          case v1::EXPORT_FORMAT_JSON:
            response->set_content_type("application/json");
            response->set_file_name(stem + ".json");
            response->set_content(RenderJson(report));
            return absl::OkStatus();
          case v1::EXPORT_FORMAT_HTML: {
            v1::CompareOutcomesRequest compare = request->comparison();
            compare.set_team(team);
            v1::Comparison comparison;
            // Without an adoption date (none asked, none configured) the report has the
            // figures alone.
            bool comparable = !compare.adoption_date().empty() || !options_.adoption_date.empty();
            if (comparable) {
              if (auto s = BuildComparison(facts, compare, options_, &comparison); !s.ok())
                return s;
            }
            response->set_content_type("text/html");
            response->set_file_name(stem + ".html");
            response->set_content(RenderHtml(report, comparison));
            return absl::OkStatus();
          }
          default:
            return InvalidField("format", "CSV, JSON or HTML");
        }
      });
}

}  // namespace fs::outcomes
