#include "services/supervision/icalendar.h"

#include <libical/ical.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace fs::supervision {
namespace {

// How far ahead busy time is read: the planner never looks further.
constexpr absl::Duration kHorizon = absl::Hours(24 * 731);
// Work allowed for expanding recurrences, in days (hours for HOURLY rules) from each rule's
// DTSTART to where expansion stops. libical walks a rule step by step, and a rule that never
// matches (e.g. BYMONTH=2;BYMONTHDAY=30) walks to its end without returning, so the cost must be
// bounded before iterating: about 3 µs a step, so this is well under two seconds.
constexpr int64_t kRecurrenceBudget = 500'000;

struct ComponentDeleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentDeleter>;

struct IteratorDeleter {
  void operator()(icalrecur_iterator* i) const { icalrecur_iterator_free(i); }
};

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("icalendar: ", message));
}

const absl::TimeZone& London() {
  static const absl::TimeZone* const kLondon = [] {
    auto* zone = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/London", zone)) *zone = absl::UTCTimeZone();
    return zone;
  }();
  return *kLondon;
}

// Where local times of a property are: an Olson zone, or a VTIMEZONE of the calendar (Outlook
// sends its Windows-named zones with their rules).
struct Zone {
  absl::TimeZone olson;
  icaltimezone* embedded = nullptr;  // owned by the calendar component
};

absl::CivilSecond CivilOf(const icaltimetype& t) {
  if (t.is_date) return absl::CivilSecond(t.year, t.month, t.day, 0, 0, 0);
  return absl::CivilSecond(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

icaltimetype IcalOf(absl::CivilSecond civil, bool is_date) {
  icaltimetype t = icaltime_null_time();
  // Years beyond int are nonsense in a calendar; clamp rather than overflow.
  t.year = static_cast<int>(std::clamp<int64_t>(civil.year(), 0, 9999));
  t.month = civil.month();
  t.day = civil.day();
  if (is_date) {
    t.is_date = 1;
  } else {
    t.hour = civil.hour();
    t.minute = civil.minute();
    t.second = civil.second();
  }
  return t;
}

absl::Time Resolve(const Zone& zone, absl::CivilSecond civil) {
  if (zone.embedded == nullptr) return absl::FromCivil(civil, zone.olson);
  icaltimetype t = IcalOf(civil, false);
  icaltimezone_convert_time(&t, zone.embedded, icaltimezone_get_utc_timezone());
  return absl::FromCivil(CivilOf(t), absl::UTCTimeZone());
}

// A time as written: local wall-clock time in a zone. Recurrences step in local time (a weekly
// 09:00 meeting stays at 09:00 across the clock change), so instances are made from this.
struct Local {
  absl::CivilSecond civil;
  Zone zone;
  bool is_date = false;
  absl::Time Absolute() const { return Resolve(zone, civil); }
};

// Outlook's names of the zones a council in England meets (others come with a VTIMEZONE).
const std::map<std::string, std::string>& WindowsZones() {
  static const auto* const kZones = new std::map<std::string, std::string>{
      {"GMT Standard Time", "Europe/London"},
      {"Greenwich Standard Time", "Atlantic/Reykjavik"},
      {"UTC", "UTC"},
      {"Coordinated Universal Time", "UTC"},
      {"W. Europe Standard Time", "Europe/Berlin"},
      {"Romance Standard Time", "Europe/Paris"},
      {"Central Europe Standard Time", "Europe/Budapest"},
      {"Central European Standard Time", "Europe/Warsaw"},
      {"Irish Standard Time", "Europe/Dublin"},
  };
  return *kZones;
}

// Only names that are files of the zone database are given to absl: absl opens absolute paths
// as given, and keeps every name it was asked for (even unknown ones) for the life of the
// process.
bool LoadOlson(const std::string& name, absl::TimeZone* zone) {
  if (name.empty() || name.size() > 64 || name[0] == '/' || name.find("..") != std::string::npos) {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+') {
      return false;
    }
  }
  const char* dir = std::getenv("TZDIR");
  std::filesystem::path path = std::filesystem::path(dir != nullptr ? dir : "/usr/share/zoneinfo");
  std::error_code error;
  if (!std::filesystem::is_regular_file(path / name, error)) return false;
  return absl::LoadTimeZone(name, zone);
}

class Reader {
 public:
  explicit Reader(absl::Time now) : window_start_(now), window_end_(now + kHorizon) {}

  absl::StatusOr<BusyTime> Read(const std::vector<icalcomponent*>& calendars);

 private:
  absl::Status ReadFreeBusy(icalcomponent* calendar, icalcomponent* freebusy);
  absl::Status ReadEvent(icalcomponent* calendar, icalcomponent* event);
  absl::Status Expand(icalcomponent* event, const Local& start, int days, absl::Duration exact,
                      const std::set<absl::Time>& skip);
  absl::StatusOr<Local> LocalOf(icalcomponent* calendar, icalproperty* property, icaltimetype t);
  absl::StatusOr<Zone> ZoneNamed(icalcomponent* calendar, const std::string& tzid);
  absl::Status Add(absl::Time start, absl::Time end);

  absl::Time window_start_;
  absl::Time window_end_;
  std::vector<std::pair<absl::Time, absl::Time>> periods_;
  // RECURRENCE-IDs by UID: instances replaced by a VEVENT of their own.
  std::map<std::string, std::set<absl::Time>> overridden_;
  std::map<std::pair<icalcomponent*, std::string>, Zone> zones_;
  int64_t budget_ = kRecurrenceBudget;
};

absl::StatusOr<Zone> Reader::ZoneNamed(icalcomponent* calendar, const std::string& tzid) {
  auto key = std::make_pair(calendar, tzid);
  if (auto it = zones_.find(key); it != zones_.end()) return it->second;
  Zone zone;
  bool found = false;
  if (auto it = WindowsZones().find(tzid); it != WindowsZones().end()) {
    found = LoadOlson(it->second, &zone.olson);
  }
  // "Europe/London", or generated names such as "/freeassociation.sourceforge.net/Tzfile/
  // Europe/London" and "/citadel.org/20070227_1/Europe/London": the first suffix that is a zone.
  std::vector<std::string> candidates = {tzid};
  if (tzid[0] == '/') {
    for (size_t pos = tzid.find('/'); pos != std::string::npos; pos = tzid.find('/', pos + 1)) {
      candidates.push_back(tzid.substr(pos + 1));
    }
  }
  for (const std::string& candidate : candidates) {
    if (found) break;
    found = LoadOlson(candidate, &zone.olson);
  }
  if (!found) {
    zone.embedded = icalcomponent_get_timezone(calendar, tzid.c_str());
    found = zone.embedded != nullptr;
  }
  if (!found) {
    return Invalid(absl::StrFormat("unknown time zone \"%s\"", tzid.substr(0, 64)));
  }
  zones_.emplace(key, zone);
  return zone;
}

absl::StatusOr<Local> Reader::LocalOf(icalcomponent* calendar, icalproperty* property,
                                      icaltimetype t) {
  Local local;
  local.civil = CivilOf(t);
  if (t.is_date) {
    local.is_date = true;
    local.zone.olson = London();
    return local;
  }
  if (icaltime_is_utc(t)) {
    local.zone.olson = absl::UTCTimeZone();
    return local;
  }
  icalparameter* tzid = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER);
  const char* name = tzid != nullptr ? icalparameter_get_tzid(tzid) : nullptr;
  if (name == nullptr || *name == '\0') {
    local.zone.olson = London();  // floating: the council's time
    return local;
  }
  absl::StatusOr<Zone> zone = ZoneNamed(calendar, name);
  if (!zone.ok()) return zone.status();
  local.zone = *zone;
  return local;
}

absl::Status Reader::Add(absl::Time start, absl::Time end) {
  if (end < start) return Invalid("a period ends before it starts");
  start = std::max(start, window_start_);
  end = std::min(end, window_end_);
  if (start >= end) return absl::OkStatus();
  if (static_cast<int>(periods_.size()) >= kMaxBusyPeriods) {
    return Invalid("more than 5,000 busy periods");
  }
  periods_.emplace_back(start, end);
  return absl::OkStatus();
}

absl::Status Reader::ReadFreeBusy(icalcomponent* calendar, icalcomponent* freebusy) {
  for (icalproperty* p = icalcomponent_get_first_property(freebusy, ICAL_FREEBUSY_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(freebusy, ICAL_FREEBUSY_PROPERTY)) {
    icalparameter* type = icalproperty_get_first_parameter(p, ICAL_FBTYPE_PARAMETER);
    // Absent means BUSY, and RFC 5545 has unknown types treated as BUSY too.
    if (type != nullptr && icalparameter_get_fbtype(type) == ICAL_FBTYPE_FREE) continue;
    icalperiodtype period = icalproperty_get_freebusy(p);
    if (icaltime_is_null_time(period.start)) continue;
    absl::StatusOr<Local> start = LocalOf(calendar, p, period.start);
    if (!start.ok()) return start.status();
    absl::Time from = start->Absolute();
    absl::Time to;
    if (!icaltime_is_null_time(period.end)) {
      absl::StatusOr<Local> end = LocalOf(calendar, p, period.end);
      if (!end.ok()) return end.status();
      to = end->Absolute();
    } else {
      int seconds = icaldurationtype_as_int(period.duration);
      to = from + absl::Seconds(seconds);
    }
    if (absl::Status s = Add(from, to); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadEvent(icalcomponent* calendar, icalcomponent* event) {
  if (icalcomponent_get_status(event) == ICAL_STATUS_CANCELLED) return absl::OkStatus();
  if (icalproperty* transp = icalcomponent_get_first_property(event, ICAL_TRANSP_PROPERTY);
      transp != nullptr && icalproperty_get_transp(transp) == ICAL_TRANSP_TRANSPARENT) {
    return absl::OkStatus();
  }
  icalproperty* dtstart = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
  if (dtstart == nullptr || icaltime_is_null_time(icalproperty_get_dtstart(dtstart))) {
    return Invalid("an event has no start (DTSTART)");
  }
  absl::StatusOr<Local> start = LocalOf(calendar, dtstart, icalproperty_get_dtstart(dtstart));
  if (!start.ok()) return start.status();

  // The length of each instance: whole local days (DATE values, and the days and weeks of a
  // DURATION, which are nominal) plus an exact duration.
  int days = 0;
  absl::Duration exact;
  if (icalproperty* dtend = icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY);
      dtend != nullptr) {
    absl::StatusOr<Local> end = LocalOf(calendar, dtend, icalproperty_get_dtend(dtend));
    if (!end.ok()) return end.status();
    if (start->is_date && end->is_date) {
      int64_t span = absl::CivilDay(end->civil) - absl::CivilDay(start->civil);
      if (span < 0) return Invalid("a period ends before it starts");
      days = static_cast<int>(std::min<int64_t>(span, 100'000));
    } else {
      exact = end->Absolute() - start->Absolute();
    }
  } else if (icalproperty* duration =
                 icalcomponent_get_first_property(event, ICAL_DURATION_PROPERTY);
             duration != nullptr) {
    icaldurationtype d = icalproperty_get_duration(duration);
    if (d.is_neg && !icaldurationtype_is_null_duration(d)) {
      return Invalid("a period ends before it starts");
    }
    days = static_cast<int>(std::min<int64_t>(int64_t{d.weeks} * 7 + d.days, 100'000));
    exact = absl::Hours(d.hours) + absl::Minutes(d.minutes) + absl::Seconds(d.seconds);
  } else if (start->is_date) {
    days = 1;  // RFC 5545: an all-day event without an end takes its day
  }
  if (exact < absl::ZeroDuration()) return Invalid("a period ends before it starts");

  // An instance moved or cancelled by a VEVENT with its RECURRENCE-ID is that VEVENT's business.
  std::set<absl::Time> skip;
  if (icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY) == nullptr) {
    if (const char* uid = icalcomponent_get_uid(event); uid != nullptr) {
      if (auto it = overridden_.find(uid); it != overridden_.end()) skip = it->second;
    }
  }
  for (icalproperty* p = icalcomponent_get_first_property(event, ICAL_EXDATE_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(event, ICAL_EXDATE_PROPERTY)) {
    absl::StatusOr<Local> excluded = LocalOf(calendar, p, icalproperty_get_exdate(p));
    if (!excluded.ok()) return excluded.status();
    skip.insert(excluded->Absolute());
  }
  if (absl::Status s = Expand(event, *start, days, exact, skip); !s.ok()) return s;

  for (icalproperty* p = icalcomponent_get_first_property(event, ICAL_RDATE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(event, ICAL_RDATE_PROPERTY)) {
    icaldatetimeperiodtype rdate = icalproperty_get_rdate(p);
    if (!icaltime_is_null_time(rdate.time)) {
      absl::StatusOr<Local> extra = LocalOf(calendar, p, rdate.time);
      if (!extra.ok()) return extra.status();
      absl::Time from = extra->Absolute();
      if (skip.contains(from)) continue;
      absl::Time to = days == 0 ? from : Resolve(extra->zone, extra->civil + int64_t{days} * 86400);
      if (absl::Status s = Add(from, to + exact); !s.ok()) return s;
    } else if (!icaltime_is_null_time(rdate.period.start)) {
      absl::StatusOr<Local> from = LocalOf(calendar, p, rdate.period.start);
      if (!from.ok()) return from.status();
      absl::Time to;
      if (!icaltime_is_null_time(rdate.period.end)) {
        absl::StatusOr<Local> end = LocalOf(calendar, p, rdate.period.end);
        if (!end.ok()) return end.status();
        to = end->Absolute();
      } else {
        to = from->Absolute() + absl::Seconds(icaldurationtype_as_int(rdate.period.duration));
      }
      if (absl::Status s = Add(from->Absolute(), to); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::Expand(icalcomponent* event, const Local& start, int days,
                            absl::Duration exact, const std::set<absl::Time>& skip) {
  auto add_instance = [&](absl::CivilSecond civil) -> absl::Status {
    absl::Time from = Resolve(start.zone, civil);
    if (skip.contains(from)) return absl::OkStatus();
    // Days are nominal: local wall-clock time, whatever the clock changes.
    absl::Time to = days == 0 ? from : Resolve(start.zone, civil + int64_t{days} * 86400);
    return Add(from, to + exact);
  };

  icalproperty* rrule = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY);
  if (rrule == nullptr) return add_instance(start.civil);
  icalrecurrencetype rule = icalproperty_get_rrule(rrule);
  if (rule.freq == ICAL_SECONDLY_RECURRENCE || rule.freq == ICAL_MINUTELY_RECURRENCE) {
    return Invalid("events repeating more often than hourly are not supported");
  }

  // UNTIL is applied here: libical would compare a UTC UNTIL with local instances as if both
  // were UTC. As a DATE it includes its whole day; floating, it is the event's local time.
  std::optional<absl::Time> until_time;
  std::optional<absl::CivilSecond> until_civil;
  if (!icaltime_is_null_time(rule.until)) {
    if (rule.until.is_date) {
      until_civil = absl::CivilSecond(absl::CivilDay(CivilOf(rule.until))) + 86399;
    } else if (icaltime_is_utc(rule.until)) {
      until_time = absl::FromCivil(CivilOf(rule.until), absl::UTCTimeZone());
    } else {
      until_civil = CivilOf(rule.until);
    }
  }
  // libical stops at the end of the window, in local time with a margin for any zone's offset.
  absl::CivilSecond stop = absl::ToCivilSecond(window_end_, absl::UTCTimeZone()) + 2 * 86400;
  if (until_time) {
    stop = std::min(stop, absl::ToCivilSecond(*until_time, absl::UTCTimeZone()) + 2 * 86400);
  }
  if (until_civil) stop = std::min(stop, *until_civil);
  if (start.civil > stop) return add_instance(start.civil);  // DTSTART is always an instance
  int64_t cost = stop - start.civil;                         // seconds
  cost = rule.freq == ICAL_HOURLY_RECURRENCE ? cost / 3600 : cost / 86400;
  budget_ -= cost + 1;
  if (budget_ < 0) return Invalid("recurring events reach too far to expand");
  rule.until = IcalOf(stop, start.is_date);

  std::unique_ptr<icalrecur_iterator, IteratorDeleter> it(
      icalrecur_iterator_new(rule, IcalOf(start.civil, start.is_date)));
  // A rule libical cannot follow: the event's own DTSTART is still busy.
  if (it == nullptr) return add_instance(start.civil);
  for (;;) {
    icaltimetype next = icalrecur_iterator_next(it.get());
    if (icaltime_is_null_time(next)) break;
    absl::CivilSecond civil = CivilOf(next);
    if (civil > stop || (until_civil && civil > *until_civil)) break;
    absl::Time from = Resolve(start.zone, civil);
    if (from >= window_end_ || (until_time && from > *until_time)) break;
    if (absl::Status s = add_instance(civil); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<BusyTime> Reader::Read(const std::vector<icalcomponent*>& calendars) {
  // The VFREEBUSY range narrows the window; RECURRENCE-IDs are needed before any event is read.
  std::optional<std::pair<absl::Time, absl::Time>> range;
  for (icalcomponent* calendar : calendars) {
    for (icalcomponent* fb = icalcomponent_get_first_component(calendar, ICAL_VFREEBUSY_COMPONENT);
         fb != nullptr; fb = icalcomponent_get_next_component(calendar, ICAL_VFREEBUSY_COMPONENT)) {
      icalproperty* dtstart = icalcomponent_get_first_property(fb, ICAL_DTSTART_PROPERTY);
      icalproperty* dtend = icalcomponent_get_first_property(fb, ICAL_DTEND_PROPERTY);
      if (dtstart == nullptr || dtend == nullptr) continue;
      absl::StatusOr<Local> from = LocalOf(calendar, dtstart, icalproperty_get_dtstart(dtstart));
      if (!from.ok()) return from.status();
      absl::StatusOr<Local> to = LocalOf(calendar, dtend, icalproperty_get_dtend(dtend));
      if (!to.ok()) return to.status();
      if (to->Absolute() < from->Absolute()) return Invalid("a period ends before it starts");
      if (!range) {
        range.emplace(from->Absolute(), to->Absolute());
      } else {
        range->first = std::min(range->first, from->Absolute());
        range->second = std::max(range->second, to->Absolute());
      }
    }
    for (icalcomponent* ev = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
         ev != nullptr; ev = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
      icalproperty* id = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
      const char* uid = icalcomponent_get_uid(ev);
      if (id == nullptr || uid == nullptr) continue;
      absl::StatusOr<Local> original = LocalOf(calendar, id, icalproperty_get_recurrenceid(id));
      if (!original.ok()) return original.status();
      overridden_[uid].insert(original->Absolute());
    }
  }
  if (range) {
    window_start_ = std::max(window_start_, range->first);
    window_end_ = std::max(window_start_, std::min(window_end_, range->second));
  }

  for (icalcomponent* calendar : calendars) {
    for (icalcomponent* fb = icalcomponent_get_first_component(calendar, ICAL_VFREEBUSY_COMPONENT);
         fb != nullptr; fb = icalcomponent_get_next_component(calendar, ICAL_VFREEBUSY_COMPONENT)) {
      if (absl::Status s = ReadFreeBusy(calendar, fb); !s.ok()) return s;
    }
    for (icalcomponent* ev = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
         ev != nullptr; ev = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
      if (absl::Status s = ReadEvent(calendar, ev); !s.ok()) return s;
    }
  }

  BusyTime busy;
  std::sort(periods_.begin(), periods_.end());
  for (const auto& [from, to] : periods_) {
    if (!busy.periods.empty() && from <= busy.periods.back().second) {
      busy.periods.back().second = std::max(busy.periods.back().second, to);
    } else {
      busy.periods.emplace_back(from, to);
    }
  }
  if (range) {
    busy.range_start = window_start_;
    busy.range_end = window_end_;
  } else if (!busy.periods.empty()) {
    busy.range_start = busy.periods.front().first;
    busy.range_end = busy.periods.back().second;
  } else {
    busy.range_start = busy.range_end = window_start_;
  }
  return busy;
}

// Text as calendars take it: CRLF and CR become LF (escaped as \n by libical), other control
// characters go.
std::string CleanText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

icaltimetype Utc(absl::Time t) {
  return icaltime_from_timet_with_zone(absl::ToTimeT(t), 0, icaltimezone_get_utc_timezone());
}

icaldurationtype DurationOf(absl::Duration d) {
  return icaldurationtype_from_int(
      static_cast<int>(std::clamp<int64_t>(absl::ToInt64Seconds(d), 60, 7 * 86400)));
}

// What the session is for, by case reference and time; never a child's name.
std::string Description(const FeedInfo& info, const FeedEvent& event) {
  std::string text = event.cancelled ? "This session has been cancelled.\n\n" : "";
  absl::StrAppend(&text, "Group Case Supervision");
  if (event.cases.empty()) return text;
  absl::StrAppend(&text, "\n\nCases:");
  for (const FeedCase& c : event.cases) {
    absl::StrAppend(&text, "\n", absl::FormatTime("%H:%M", c.start, info.zone), "-",
                    absl::FormatTime("%H:%M", c.end, info.zone), " ", CleanText(c.reference));
  }
  return text;
}

icalcomponent* RenderEvent(const FeedInfo& info, const FeedEvent& event) {
  icalcomponent* vevent = icalcomponent_new_vevent();
  std::string uid = CleanText(absl::StrCat(event.session_id, "@", info.domain));
  icalcomponent_add_property(vevent, icalproperty_new_uid(uid.c_str()));
  icalcomponent_add_property(vevent, icalproperty_new_dtstamp(Utc(info.stamp)));
  icalcomponent_add_property(vevent, icalproperty_new_dtstart(Utc(event.start)));
  icalcomponent_add_property(vevent, icalproperty_new_dtend(Utc(event.end)));
  icalcomponent_add_property(vevent, icalproperty_new_summary(CleanText(event.summary).c_str()));
  icalcomponent_add_property(vevent,
                             icalproperty_new_description(Description(info, event).c_str()));
  if (!event.location.empty()) {
    icalcomponent_add_property(vevent,
                               icalproperty_new_location(CleanText(event.location).c_str()));
  }
  if (!event.chair_email.empty() || !event.chair_name.empty()) {
    // ORGANIZER is a URI; without an address, an address mail clients will not use.
    std::string address = event.chair_email.empty()
                              ? std::string("invalid:nomail")
                              : absl::StrCat("mailto:", CleanText(event.chair_email));
    icalproperty* organizer = icalproperty_new_organizer(address.c_str());
    if (!event.chair_name.empty()) {
      icalproperty_add_parameter(organizer,
                                 icalparameter_new_cn(CleanText(event.chair_name).c_str()));
    }
    icalcomponent_add_property(vevent, organizer);
  }
  icalcomponent_add_property(vevent, icalproperty_new_sequence(std::max(event.sequence, 0)));
  icalcomponent_add_property(
      vevent,
      icalproperty_new_status(event.cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
  icalcomponent_add_property(
      vevent,
      icalproperty_new_transp(event.cancelled ? ICAL_TRANSP_TRANSPARENT : ICAL_TRANSP_OPAQUE));
  return vevent;
}

}  // namespace

absl::StatusOr<BusyTime> ParseBusyTime(absl::string_view icalendar, absl::Time now) {
  if (icalendar.size() > kMaxICalendarBytes) {
    return Invalid("the calendar is larger than 1 MB");
  }
  std::string text(icalendar);  // libical wants a NUL-terminated string
  ComponentPtr root(text.empty() ? nullptr : icalparser_parse_string(text.c_str()));
  if (root == nullptr) return Invalid("not an iCalendar object");
  std::vector<icalcomponent*> calendars;
  if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
    calendars.push_back(root.get());
  } else if (icalcomponent_isa(root.get()) == ICAL_XROOT_COMPONENT) {
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT);
         c != nullptr; c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT)) {
      calendars.push_back(c);
    }
  }
  if (calendars.empty()) return Invalid("not an iCalendar object");
  Reader reader(now);
  return reader.Read(calendars);
}

std::string RenderFeed(const FeedInfo& info, const std::vector<FeedEvent>& events) {
  ComponentPtr calendar(icalcomponent_new_vcalendar());
  icalcomponent_add_property(
      calendar.get(), icalproperty_new_prodid("-//Family Safeguarding Services//Supervision//EN"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  icalproperty* name = icalproperty_new_x(CleanText(info.calendar_name).c_str());
  icalproperty_set_x_name(name, "X-WR-CALNAME");
  icalcomponent_add_property(calendar.get(), name);
  // RFC 7986's REFRESH-INTERVAL, and the name Outlook reads.
  icalproperty* refresh = icalproperty_new_refreshinterval(DurationOf(info.refresh));
  icalproperty_add_parameter(refresh, icalparameter_new_value(ICAL_VALUE_DURATION));
  icalcomponent_add_property(calendar.get(), refresh);
  char* ttl = icaldurationtype_as_ical_string_r(DurationOf(info.refresh));
  icalproperty* published_ttl = icalproperty_new_x(ttl);
  icalmemory_free_buffer(ttl);
  icalproperty_set_x_name(published_ttl, "X-PUBLISHED-TTL");
  icalcomponent_add_property(calendar.get(), published_ttl);

  for (const FeedEvent& event : events) {
    icalcomponent_add_component(calendar.get(), RenderEvent(info, event));
  }
  char* serialized = icalcomponent_as_ical_string_r(calendar.get());
  std::string out = serialized != nullptr ? serialized : "";
  icalmemory_free_buffer(serialized);
  return out;
}

}  // namespace fs::supervision
