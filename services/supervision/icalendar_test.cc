#include "services/supervision/icalendar.h"

#include <libical/ical.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs::supervision {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::Time Utc(int y, int m, int d, int h = 0, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), absl::UTCTimeZone());
}

absl::Time Local(int y, int m, int d, int h = 0, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), London());
}

// A calendar from lines, with CRLF line ends.
std::string Calendar(const std::vector<std::string>& body) {
  return absl::StrCat("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n",
                      absl::StrJoin(body, "\r\n"), "\r\nEND:VCALENDAR\r\n");
}

// Reading from the start of 2026 so that the samples are in the window.
const absl::Time kNow = Utc(2026, 1, 1);

absl::StatusOr<BusyTime> Parse(const std::string& text, absl::Time now = kNow) {
  return ParseBusyTime(text, now);
}

void ExpectInvalid(const std::string& text, const std::string& message) {
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(busy.status().message()), HasSubstr(message));
}

TEST(ParseBusyTime, FreeBusyExport) {
  // As Outlook publishes free/busy: several periods on a line, BUSY-TENTATIVE and
  // BUSY-UNAVAILABLE busy too, FREE not, a period given by its duration, one without FBTYPE.
  std::string text = Calendar({
      "METHOD:PUBLISH",
      "BEGIN:VFREEBUSY",
      "ORGANIZER:mailto:jo.smith@example.gov.uk",
      "DTSTAMP:20260301T120000Z",
      "DTSTART:20260302T000000Z",
      "DTEND:20260309T000000Z",
      "FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T100000Z,20260303T140000Z/PT1H30M",
      "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260304T090000Z/20260304T093000Z",
      "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260305T000000Z/20260306T000000Z",
      "FREEBUSY;FBTYPE=FREE:20260306T090000Z/20260306T170000Z",
      "FREEBUSY:20260308T230000Z/20260309T010000Z",
      "END:VFREEBUSY",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 3, 2, 9), Utc(2026, 3, 2, 10)),
                                         Pair(Utc(2026, 3, 3, 14), Utc(2026, 3, 3, 15, 30)),
                                         Pair(Utc(2026, 3, 4, 9), Utc(2026, 3, 4, 9, 30)),
                                         Pair(Utc(2026, 3, 5), Utc(2026, 3, 6)),
                                         // Clipped to the range the VFREEBUSY speaks for.
                                         Pair(Utc(2026, 3, 8, 23), Utc(2026, 3, 9))));
  EXPECT_EQ(busy->range_start, Utc(2026, 3, 2));
  EXPECT_EQ(busy->range_end, Utc(2026, 3, 9));
}

TEST(ParseBusyTime, GoogleStyleFreeBusyWithoutType) {
  std::string text = Calendar({
      "BEGIN:VFREEBUSY",
      "DTSTART:20260401T000000Z",
      "DTEND:20260430T000000Z",
      "FREEBUSY:20260401T080000Z/20260401T090000Z",
      "FREEBUSY:20260401T090000Z/20260401T093000Z",  // touching: merged
      "END:VFREEBUSY",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 4, 1, 8), Utc(2026, 4, 1, 9, 30))));
}

TEST(ParseBusyTime, TzidLondonAcrossTheClockChange) {
  // British Summer Time ends on 25 October 2026.
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "UID:a@test",
      "DTSTART;TZID=Europe/London:20261023T090000",
      "DTEND;TZID=Europe/London:20261023T100000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:b@test",
      "DTSTART;TZID=Europe/London:20261026T090000",
      "DURATION:PT1H",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 10, 23, 8), Utc(2026, 10, 23, 9)),
                                         Pair(Utc(2026, 10, 26, 9), Utc(2026, 10, 26, 10))));
  EXPECT_EQ(busy->range_start, Utc(2026, 10, 23, 8));
  EXPECT_EQ(busy->range_end, Utc(2026, 10, 26, 10));
}

TEST(ParseBusyTime, UtcFloatingAndOtherZones) {
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T130000Z",
      "END:VEVENT",
      "BEGIN:VEVENT",  // floating: London time (BST)
      "DTSTART:20260602T090000",
      "DTEND:20260602T100000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART;TZID=Europe/Paris:20260603T090000",
      "DTEND;TZID=Europe/Paris:20260603T100000",
      "END:VEVENT",
      "BEGIN:VEVENT",  // as libical-based clients name zones
      "DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/London:20260604T090000",
      "DTEND;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/London:20260604T100000",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 6, 1, 12), Utc(2026, 6, 1, 13)),
                                         Pair(Utc(2026, 6, 2, 8), Utc(2026, 6, 2, 9)),
                                         Pair(Utc(2026, 6, 3, 7), Utc(2026, 6, 3, 8)),
                                         Pair(Utc(2026, 6, 4, 8), Utc(2026, 6, 4, 9))));
}

TEST(ParseBusyTime, OutlookZoneNamesAndVtimezone) {
  // Outlook's Windows name, and a zone known only by the VTIMEZONE sent with it.
  std::string text = Calendar({
      "BEGIN:VTIMEZONE",
      "TZID:Council Time",
      "BEGIN:STANDARD",
      "DTSTART:16011028T020000",
      "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
      "TZOFFSETFROM:+0100",
      "TZOFFSETTO:-0000",
      "END:STANDARD",
      "BEGIN:DAYLIGHT",
      "DTSTART:16010325T010000",
      "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
      "TZOFFSETFROM:-0000",
      "TZOFFSETTO:+0100",
      "END:DAYLIGHT",
      "END:VTIMEZONE",
      "BEGIN:VEVENT",
      "DTSTART;TZID=GMT Standard Time:20260701T090000",
      "DTEND;TZID=GMT Standard Time:20260701T093000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART;TZID=Council Time:20260702T090000",
      "DTEND;TZID=Council Time:20260702T093000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART;TZID=Council Time:20261202T090000",
      "DTEND;TZID=Council Time:20261202T093000",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 7, 1, 8), Utc(2026, 7, 1, 8, 30)),
                                         Pair(Utc(2026, 7, 2, 8), Utc(2026, 7, 2, 8, 30)),
                                         Pair(Utc(2026, 12, 2, 9), Utc(2026, 12, 2, 9, 30))));
}

TEST(ParseBusyTime, AllDayEventsAreWholeLondonDays) {
  std::string text = Calendar({
      "BEGIN:VEVENT",  // no end: its day
      "DTSTART;VALUE=DATE:20260701",
      "END:VEVENT",
      "BEGIN:VEVENT",  // DTEND is exclusive: 10 and 11 August
      "DTSTART;VALUE=DATE:20260810",
      "DTEND;VALUE=DATE:20260812",
      "END:VEVENT",
      "BEGIN:VEVENT",  // across the clock change: 25 October has 25 hours
      "DTSTART;VALUE=DATE:20261025",
      "DURATION:P1D",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Local(2026, 7, 1), Local(2026, 7, 2)),
                                         Pair(Local(2026, 8, 10), Local(2026, 8, 12)),
                                         Pair(Utc(2026, 10, 24, 23), Utc(2026, 10, 26))));
}

TEST(ParseBusyTime, TransparentAndCancelledEventsAreNotBusy) {
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "SUMMARY:Working from home",
      "DTSTART:20260601T080000Z",
      "DTEND:20260601T160000Z",
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "SUMMARY:Called off",
      "DTSTART:20260602T080000Z",
      "DTEND:20260602T090000Z",
      "STATUS:CANCELLED",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "SUMMARY:Home visit",
      "DTSTART:20260603T080000Z",
      "DTEND:20260603T090000Z",
      "TRANSP:OPAQUE",
      "STATUS:CONFIRMED",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 6, 3, 8), Utc(2026, 6, 3, 9))));
}

TEST(ParseBusyTime, WeeklyRecurrenceExpandedInLocalTimeWithinTheRange) {
  // A Monday 09:00 team meeting since 2025, one week skipped, one moved, read against a
  // VFREEBUSY range of October and November 2026.
  std::string text = Calendar({
      "BEGIN:VFREEBUSY",
      "DTSTART:20261012T000000Z",
      "DTEND:20261110T000000Z",
      "END:VFREEBUSY",
      "BEGIN:VEVENT",
      "UID:team-meeting@test",
      "DTSTART;TZID=Europe/London:20250106T090000",
      "DTEND;TZID=Europe/London:20250106T100000",
      "RRULE:FREQ=WEEKLY;BYDAY=MO",
      "EXDATE;TZID=Europe/London:20261019T090000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:team-meeting@test",
      "RECURRENCE-ID;TZID=Europe/London:20261102T090000",
      "DTSTART;TZID=Europe/London:20261103T140000",
      "DTEND;TZID=Europe/London:20261103T150000",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 10, 12, 8), Utc(2026, 10, 12, 9)),
                                         Pair(Utc(2026, 10, 26, 9), Utc(2026, 10, 26, 10)),
                                         Pair(Utc(2026, 11, 3, 14), Utc(2026, 11, 3, 15)),
                                         Pair(Utc(2026, 11, 9, 9), Utc(2026, 11, 9, 10))));
  EXPECT_EQ(busy->range_start, Utc(2026, 10, 12));
  EXPECT_EQ(busy->range_end, Utc(2026, 11, 10));
}

TEST(ParseBusyTime, RecurrenceUntilInUtc) {
  // UNTIL in UTC is the start of the last instance: 09:00 BST is 08:00Z.
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "DTSTART;TZID=Europe/London:20260525T090000",
      "DTEND;TZID=Europe/London:20260525T093000",
      "RRULE:FREQ=WEEKLY;UNTIL=20260608T080000Z",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 5, 25, 8), Utc(2026, 5, 25, 8, 30)),
                                         Pair(Utc(2026, 6, 1, 8), Utc(2026, 6, 1, 8, 30)),
                                         Pair(Utc(2026, 6, 8, 8), Utc(2026, 6, 8, 8, 30))));
}

TEST(ParseBusyTime, OpenEndedRecurrenceStopsTwoYearsAhead) {
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "DTSTART:20200106T090000Z",
      "DURATION:PT30M",
      "RRULE:FREQ=DAILY",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  ASSERT_FALSE(busy->periods.empty());
  EXPECT_EQ(busy->periods.front().first, Utc(2026, 1, 1, 9));
  EXPECT_LT(busy->periods.back().second, kNow + absl::Hours(24 * 731));
  EXPECT_GT(busy->periods.back().first, kNow + absl::Hours(24 * 729));
  EXPECT_EQ(busy->periods.size(), 731u);
}

TEST(ParseBusyTime, PastBusyTimeIsDropped) {
  std::string text = Calendar({
      "BEGIN:VEVENT",
      "DTSTART:20251230T090000Z",
      "DTEND:20251230T100000Z",
      "END:VEVENT",
      "BEGIN:VEVENT",  // in progress: from now
      "DTSTART:20251231T230000Z",
      "DTEND:20260101T010000Z",
      "END:VEVENT",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(kNow, Utc(2026, 1, 1, 1))));
}

TEST(ParseBusyTime, OverlappingPeriodsAreMergedAndSorted) {
  std::string text = Calendar({
      "BEGIN:VEVENT",           "DTSTART:20260601T110000Z",
      "DTEND:20260601T120000Z", "END:VEVENT",
      "BEGIN:VEVENT",           "DTSTART:20260601T090000Z",
      "DTEND:20260601T100000Z", "END:VEVENT",
      "BEGIN:VEVENT",           "DTSTART:20260601T093000Z",
      "DTEND:20260601T103000Z", "END:VEVENT",
      "BEGIN:VEVENT",           "DTSTART:20260601T100000Z",
      "DTEND:20260601T101500Z", "END:VEVENT",
      "BEGIN:VEVENT",           "DTSTART:20260601T103000Z",
      "DTEND:20260601T104500Z", "END:VEVENT",
      "BEGIN:VFREEBUSY",        "FREEBUSY:20260601T113000Z/20260601T130000Z",
      "END:VFREEBUSY",
  });
  absl::StatusOr<BusyTime> busy = Parse(text);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 6, 1, 9), Utc(2026, 6, 1, 10, 45)),
                                         Pair(Utc(2026, 6, 1, 11), Utc(2026, 6, 1, 13))));
}

TEST(ParseBusyTime, EmptyCalendarHasAnEmptyRange) {
  absl::StatusOr<BusyTime> busy = Parse(Calendar({"METHOD:PUBLISH"}));
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_TRUE(busy->periods.empty());
  EXPECT_EQ(busy->range_start, kNow);
  EXPECT_EQ(busy->range_end, kNow);
}

TEST(ParseBusyTime, NotAnICalendarObject) {
  ExpectInvalid("", "icalendar: not an iCalendar object");
  ExpectInvalid("hello, world", "icalendar: not an iCalendar object");
  ExpectInvalid("BEGIN:VCALENDAR", "icalendar: not an iCalendar object");
  ExpectInvalid("BEGIN:VEVENT\r\nDTSTART:20260601T090000Z\r\nEND:VEVENT\r\n",
                "icalendar: not an iCalendar object");
  ExpectInvalid(std::string("\0\x01\x02:;,\\", 8), "icalendar: not an iCalendar object");
  ExpectInvalid("{\"json\": true}", "icalendar: not an iCalendar object");
}

TEST(ParseBusyTime, TooLarge) {
  std::string text = Calendar({absl::StrCat("X-PADDING:", std::string(kMaxICalendarBytes, 'x'))});
  ExpectInvalid(text, "larger than 1 MB");
}

TEST(ParseBusyTime, PeriodEndingBeforeItStarts) {
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "DTSTART:20260601T100000Z", "DTEND:20260601T090000Z",
                          "END:VEVENT"}),
                "icalendar: a period ends before it starts");
  ExpectInvalid(
      Calendar({"BEGIN:VFREEBUSY", "FREEBUSY:20260601T100000Z/20260601T090000Z", "END:VFREEBUSY"}),
      "icalendar: a period ends before it starts");
  ExpectInvalid(Calendar({"BEGIN:VFREEBUSY", "DTSTART:20260601T100000Z", "DTEND:20260501T090000Z",
                          "END:VFREEBUSY"}),
                "icalendar: a period ends before it starts");
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "DTSTART;VALUE=DATE:20260601",
                          "DTEND;VALUE=DATE:20260530", "END:VEVENT"}),
                "icalendar: a period ends before it starts");
}

TEST(ParseBusyTime, OtherInvalidInput) {
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "SUMMARY:no start", "END:VEVENT"}),
                "icalendar: an event has no start");
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "DTSTART:not a time", "END:VEVENT"}),
                "icalendar: an event has no start");
  ExpectInvalid(
      Calendar({"BEGIN:VEVENT", "DTSTART;TZID=Mars/Olympus_Mons:20260601T090000", "END:VEVENT"}),
      "icalendar: unknown time zone \"Mars/Olympus_Mons\"");
  // Names that are not zone names never reach the file system.
  ExpectInvalid(
      Calendar({"BEGIN:VEVENT", "DTSTART;TZID=/etc/passwd:20260601T090000", "END:VEVENT"}),
      "unknown time zone");
  ExpectInvalid(
      Calendar({"BEGIN:VEVENT", "DTSTART;TZID=../../etc/passwd:20260601T090000", "END:VEVENT"}),
      "unknown time zone");
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "DTSTART:20260601T090000Z", "DURATION:PT1M",
                          "RRULE:FREQ=MINUTELY", "END:VEVENT"}),
                "more often than hourly");
}

TEST(ParseBusyTime, MoreThan5000BusyPeriods) {
  ExpectInvalid(Calendar({"BEGIN:VEVENT", "DTSTART:20260601T090000Z", "DURATION:PT30M",
                          "RRULE:FREQ=HOURLY;COUNT=6000", "END:VEVENT"}),
                "icalendar: more than 5,000 busy periods");
  std::vector<std::string> lines;
  for (int i = 0; i < 5001; ++i) {
    absl::Time t = Utc(2026, 2, 1) + absl::Hours(2 * i);
    lines.push_back(absl::StrCat(
        "FREEBUSY:", absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone()), "/PT1H"));
  }
  lines.insert(lines.begin(), "BEGIN:VFREEBUSY");
  lines.push_back("END:VFREEBUSY");
  ExpectInvalid(Calendar(lines), "icalendar: more than 5,000 busy periods");
}

TEST(ParseBusyTime, RecurrencesThatNeverMatchAreBoundedInTime) {
  // libical walks such a rule hour by hour to its end; the window and the budget bound it (a
  // hang would trip ctest's timeout; speed itself is no unit test's business).
  absl::StatusOr<BusyTime> busy =
      Parse(Calendar({"BEGIN:VEVENT", "DTSTART:20260105T090000Z", "DURATION:PT1H",
                      "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", "END:VEVENT"}));
  ASSERT_TRUE(busy.ok()) << busy.status();
  // Many of them, from long ago, are refused rather than walked.
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) {
    lines.insert(lines.end(), {"BEGIN:VEVENT", "DTSTART:19000105T090000Z", "DURATION:PT1H",
                               "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "END:VEVENT"});
  }
  ExpectInvalid(Calendar(lines), "too far to expand");
}

TEST(ParseBusyTime, GarbageNeverCrashes) {
  // Mutations of a valid calendar: deleted, duplicated and replaced bytes.
  const std::string valid = Calendar({"BEGIN:VTIMEZONE",
                                      "TZID:Z",
                                      "BEGIN:STANDARD",
                                      "DTSTART:16011028T020000",
                                      "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
                                      "TZOFFSETFROM:+0100",
                                      "TZOFFSETTO:+0000",
                                      "END:STANDARD",
                                      "END:VTIMEZONE",
                                      "BEGIN:VFREEBUSY",
                                      "DTSTART:20260601T000000Z",
                                      "DTEND:20260701T000000Z",
                                      "FREEBUSY;FBTYPE=BUSY:20260601T090000Z/PT1H",
                                      "END:VFREEBUSY",
                                      "BEGIN:VEVENT",
                                      "UID:x",
                                      "DTSTART;TZID=Z:20260601T090000",
                                      "DURATION:P1DT1H",
                                      "RRULE:FREQ=WEEKLY;BYDAY=MO,TU;COUNT=10",
                                      "EXDATE;TZID=Z:20260602T090000",
                                      "RDATE;VALUE=PERIOD:20260603T090000Z/PT1H",
                                      "END:VEVENT"});
  ASSERT_TRUE(Parse(valid).ok());
  std::mt19937 random(20260601);
  const std::string alphabet = ":;,=/\\\"\r\nZTPDWHMS0123456789-+ABCDEFGHIJKLMNOPQRSTUVWXYZ\xff";
  for (int i = 0; i < 1000; ++i) {
    std::string text = valid;
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text.erase(at, 1 + random() % 12);
          break;
        case 1:
          text.insert(at, text.substr(at, 1 + random() % 40));
          break;
        default:
          text[at] = alphabet[random() % alphabet.size()];
          break;
      }
    }
    absl::StatusOr<BusyTime> busy = Parse(text);
    if (!busy.ok()) {
      EXPECT_EQ(busy.status().code(), absl::StatusCode::kInvalidArgument) << busy.status();
    }
  }
}

// The rendered feed, parsed back by libical.
struct Parsed {
  struct Deleter {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
  };
  explicit Parsed(const std::string& text) : root(icalparser_parse_string(text.c_str())) {}
  std::unique_ptr<icalcomponent, Deleter> root;
  std::vector<icalcomponent*> Events() const {
    std::vector<icalcomponent*> events;
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
         c != nullptr; c = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT)) {
      events.push_back(c);
    }
    return events;
  }
};

absl::Time FromIcal(icaltimetype t) {
  EXPECT_TRUE(icaltime_is_utc(t));
  return absl::FromCivil(absl::CivilSecond(t.year, t.month, t.day, t.hour, t.minute, t.second),
                         absl::UTCTimeZone());
}

FeedInfo Info() {
  FeedInfo info;
  info.calendar_name = "Group Case Supervision - Jo Smith";
  info.domain = "supervision.example.gov.uk";
  info.stamp = Utc(2026, 10, 1, 12);
  info.zone = London();
  return info;
}

FeedEvent Session(const std::string& id) {
  FeedEvent event;
  event.session_id = id;
  event.start = Local(2026, 10, 26, 10);
  event.end = Local(2026, 10, 26, 11);
  event.summary = "Group Case Supervision";
  event.location = "Room 2, County Hall";
  event.chair_name = "Sam Taylor";
  event.chair_email = "sam.taylor@example.gov.uk";
  event.cases = {{"C-2024-0173", Local(2026, 10, 26, 10), Local(2026, 10, 26, 10, 30)},
                 {"C-2025-0042", Local(2026, 10, 26, 10, 30), Local(2026, 10, 26, 11)}};
  event.sequence = 2;
  return event;
}

TEST(RenderFeed, CalendarProperties) {
  std::string feed = RenderFeed(Info(), {});
  EXPECT_THAT(feed, HasSubstr("PRODID:-//Family Safeguarding Services//Supervision//EN\r\n"));
  EXPECT_THAT(feed, HasSubstr("VERSION:2.0\r\n"));
  EXPECT_THAT(feed, HasSubstr("CALSCALE:GREGORIAN\r\n"));
  EXPECT_THAT(feed, HasSubstr("METHOD:PUBLISH\r\n"));
  EXPECT_THAT(feed, HasSubstr("X-WR-CALNAME:Group Case Supervision - Jo Smith\r\n"));
  EXPECT_THAT(feed, HasSubstr("X-PUBLISHED-TTL:PT1H\r\n"));
  EXPECT_THAT(feed, HasSubstr("REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
}

TEST(RenderFeed, RoundTripsThroughLibical) {
  FeedEvent other = Session("s-2");
  other.start = Local(2026, 11, 2, 14);
  other.end = Local(2026, 11, 2, 15);
  other.location.clear();
  other.sequence = 0;
  std::string feed = RenderFeed(Info(), {Session("s-1"), other});
  Parsed parsed(feed);
  ASSERT_NE(parsed.root, nullptr);
  ASSERT_EQ(icalcomponent_isa(parsed.root.get()), ICAL_VCALENDAR_COMPONENT);
  std::vector<icalcomponent*> events = parsed.Events();
  ASSERT_EQ(events.size(), 2u);

  icalcomponent* first = events[0];
  EXPECT_STREQ(icalcomponent_get_uid(first), "s-1@supervision.example.gov.uk");
  EXPECT_EQ(icalcomponent_get_sequence(first), 2);
  EXPECT_EQ(icalcomponent_get_status(first), ICAL_STATUS_CONFIRMED);
  EXPECT_EQ(FromIcal(icalcomponent_get_dtstart(first)), Utc(2026, 10, 26, 10));  // GMT again
  EXPECT_EQ(FromIcal(icalcomponent_get_dtend(first)), Utc(2026, 10, 26, 11));
  EXPECT_EQ(FromIcal(icalcomponent_get_dtstamp(first)), Utc(2026, 10, 1, 12));
  EXPECT_STREQ(icalcomponent_get_summary(first), "Group Case Supervision");
  EXPECT_STREQ(icalcomponent_get_location(first), "Room 2, County Hall");
  icalproperty* organizer = icalcomponent_get_first_property(first, ICAL_ORGANIZER_PROPERTY);
  ASSERT_NE(organizer, nullptr);
  EXPECT_STREQ(icalproperty_get_organizer(organizer), "mailto:sam.taylor@example.gov.uk");
  icalparameter* cn = icalproperty_get_first_parameter(organizer, ICAL_CN_PARAMETER);
  ASSERT_NE(cn, nullptr);
  EXPECT_STREQ(icalparameter_get_cn(cn), "Sam Taylor");
  // Cases by reference and local time.
  EXPECT_STREQ(icalcomponent_get_description(first),
               "Group Case Supervision\n\nCases:\n10:00-10:30 C-2024-0173\n"
               "10:30-11:00 C-2025-0042");

  icalcomponent* second = events[1];
  EXPECT_STREQ(icalcomponent_get_uid(second), "s-2@supervision.example.gov.uk");
  EXPECT_EQ(icalcomponent_get_sequence(second), 0);
  EXPECT_EQ(FromIcal(icalcomponent_get_dtstart(second)), Utc(2026, 11, 2, 14));
  EXPECT_EQ(icalcomponent_get_first_property(second, ICAL_LOCATION_PROPERTY), nullptr);
  EXPECT_THAT(feed, HasSubstr("DTSTART:20261102T140000Z\r\n"));
}

TEST(RenderFeed, CancelledSessionStaysWithItsSequence) {
  FeedEvent event = Session("s-3");
  event.cancelled = true;
  event.sequence = 5;
  std::string feed = RenderFeed(Info(), {event});
  EXPECT_THAT(feed, HasSubstr("STATUS:CANCELLED\r\n"));
  EXPECT_THAT(feed, HasSubstr("SEQUENCE:5\r\n"));
  Parsed parsed(feed);
  ASSERT_NE(parsed.root, nullptr);
  std::vector<icalcomponent*> events = parsed.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(icalcomponent_get_status(events[0]), ICAL_STATUS_CANCELLED);
  EXPECT_EQ(icalcomponent_get_sequence(events[0]), 5);
  EXPECT_STREQ(icalcomponent_get_uid(events[0]), "s-3@supervision.example.gov.uk");
}

TEST(RenderFeed, TextIsEscapedAndLinesFolded) {
  FeedEvent event = Session("s-4");
  event.summary = "GCS, North; A\\B\r\nsecond line";
  event.chair_name = "Taylor, Sam; \"Chair\"";
  event.location = std::string(30, 'x') + " Ré union " + std::string(120, 'y') + " ééééé";
  std::string feed = RenderFeed(Info(), {event});
  EXPECT_THAT(feed, HasSubstr("SUMMARY:GCS\\, North\\; A\\\\B\\nsecond line\r\n"));
  // Every line at most 75 octets, CRLF apart.
  for (absl::string_view line : absl::StrSplit(feed, "\r\n")) {
    EXPECT_LE(line.size(), 75u) << line;
    EXPECT_EQ(line.find('\n'), absl::string_view::npos);
  }
  Parsed parsed(feed);
  ASSERT_NE(parsed.root, nullptr);
  std::vector<icalcomponent*> events = parsed.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_STREQ(icalcomponent_get_summary(events[0]), "GCS, North; A\\B\nsecond line");
  EXPECT_EQ(std::string(icalcomponent_get_location(events[0])), event.location);
  icalproperty* organizer = icalcomponent_get_first_property(events[0], ICAL_ORGANIZER_PROPERTY);
  ASSERT_NE(organizer, nullptr);
  icalparameter* cn = icalproperty_get_first_parameter(organizer, ICAL_CN_PARAMETER);
  ASSERT_NE(cn, nullptr);
  EXPECT_STREQ(icalparameter_get_cn(cn), "Taylor, Sam; \"Chair\"");
}

TEST(RenderFeed, ControlCharactersAreDropped) {
  FeedEvent event = Session("s-5");
  event.summary = std::string(
      "a\x01"
      "b\x7f"
      "c\x1b[0m",
      9);
  std::string feed = RenderFeed(Info(), {event});
  EXPECT_THAT(feed, HasSubstr("SUMMARY:abc[0m\r\n"));
}

TEST(RenderFeed, ReadBackAsBusyTime) {
  // What we publish, imported elsewhere, is busy when confirmed and free when cancelled.
  FeedEvent cancelled = Session("s-7");
  cancelled.start = Local(2026, 10, 27, 10);
  cancelled.end = Local(2026, 10, 27, 11);
  cancelled.cancelled = true;
  absl::StatusOr<BusyTime> busy =
      ParseBusyTime(RenderFeed(Info(), {Session("s-6"), cancelled}), Utc(2026, 10, 1));
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_THAT(busy->periods, ElementsAre(Pair(Utc(2026, 10, 26, 10), Utc(2026, 10, 26, 11))));
}

}  // namespace
}  // namespace fs::supervision
