#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// iCalendar (RFC 5545) in and out, with libical: busy time from what a practitioner's calendar
// exports (ImportFreeBusy), and the feed of their sessions that Outlook and Google Calendar
// subscribe to (GetCalendarFeed). Pure C++, no database.
namespace fs::supervision {

// Larger input is refused before libical sees it (the API's limit for ImportFreeBusy).
inline constexpr size_t kMaxICalendarBytes = 1 << 20;
// More busy periods than this (before merging) is refused rather than truncated, so that an
// import never silently loses busy time.
inline constexpr int kMaxBusyPeriods = 5000;

// Busy time read from an iCalendar object.
struct BusyTime {
  // [start, end), sorted, overlapping and touching periods merged.
  std::vector<std::pair<absl::Time, absl::Time>> periods;
  // The range the calendar speaks for, whose earlier imported busy time it replaces: the
  // DTSTART/DTEND of its VFREEBUSY components (clipped to the window read, see ParseBusyTime),
  // else the first start and last end of the busy periods read; empty ([now, now)) when
  // there is neither.
  absl::Time range_start;
  absl::Time range_end;
};

// The busy periods of a VCALENDAR (or several, one after the other):
// - VFREEBUSY: FREEBUSY periods (start/end or start/duration) whose FBTYPE is BUSY,
//   BUSY-TENTATIVE, BUSY-UNAVAILABLE or absent (RFC 5545 default); FREE ones are not busy.
// - VEVENT: busy unless TRANSP:TRANSPARENT or STATUS:CANCELLED. Times in UTC, with an Olson
//   TZID (also Outlook's Windows names and the "/vendor/.../Europe/London" forms), with a TZID
//   defined by a VTIMEZONE of the calendar, or floating (taken as Europe/London); DATE values
//   are whole days in Europe/London. RRULE, RDATE, EXDATE and RECURRENCE-ID overrides are
//   applied.
// Only [now, now + 2 years) is read (the planner never looks further, and busy time in the past
// is of no use), intersected with the VFREEBUSY range if there is one; recurring events are
// expanded within it.
// INVALID_ARGUMENT ("icalendar: ...") for input that is not an iCalendar object, over
// kMaxICalendarBytes, with a period that ends before it starts, an unknown time zone, more than
// kMaxBusyPeriods busy periods, or recurrences too costly to expand. Never crashes on garbage.
// Thread-safe.
absl::StatusOr<BusyTime> ParseBusyTime(absl::string_view icalendar, absl::Time now);

// One case of a session as the feed shows it: its reference only, never a child's name.
struct FeedCase {
  std::string reference;  // e.g. "C-2024-0173"
  absl::Time start;
  absl::Time end;
};

// One session in a practitioner's feed.
struct FeedEvent {
  std::string session_id;  // stable: the UID is "<session_id>@<domain>"
  absl::Time start;
  absl::Time end;
  std::string summary;
  std::string location;  // optional
  // The chair: ORGANIZER;CN=<name>:mailto:<email>; either may be empty (both: no ORGANIZER).
  std::string chair_name;
  std::string chair_email;
  std::vector<FeedCase> cases;
  // iCalendar SEQUENCE: calendars apply an update only when it goes up.
  int sequence = 0;
  // Cancelled sessions stay in the feed with STATUS:CANCELLED so calendars remove them.
  bool cancelled = false;
};

struct FeedInfo {
  std::string calendar_name;  // X-WR-CALNAME
  std::string domain;         // of UIDs, e.g. "supervision.example.gov.uk"
  absl::Time stamp;           // DTSTAMP: when the feed was generated
  // Zone of the case times written in descriptions (DTSTART/DTEND are always UTC); the
  // council's, normally Europe/London.
  absl::TimeZone zone;
  // How often subscribers should poll (REFRESH-INTERVAL and X-PUBLISHED-TTL).
  absl::Duration refresh = absl::Hours(1);
};

// A VCALENDAR (METHOD:PUBLISH) with one VEVENT per session, built and serialized by libical
// (text escaped, lines folded at 75 octets, CRLF line ends). Deterministic for the same input.
std::string RenderFeed(const FeedInfo& info, const std::vector<FeedEvent>& events);

}  // namespace fs::supervision
