#include "services/outcomes/report.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs::outcomes {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::Not;

v1::MonthValue* AddMonth(v1::Series* series, const std::string& month, double value,
                         bool complete = true, int64_t denominator = 0, double rate = 0) {
  v1::MonthValue* m = series->add_months();
  m->set_month(month);
  m->set_value(value);
  m->set_denominator(denominator);
  m->set_rate(rate);
  m->set_complete(complete);
  return m;
}

v1::Series* AddSeries(v1::IndicatorReport* report, v1::Indicator indicator) {
  v1::Series* series = report->add_series();
  series->set_indicator(indicator);
  series->set_team(report->team());
  return series;
}

// Six complete months of open cases, October 2025 to March 2026.
v1::IndicatorReport SixMonths(const std::string& team = "North") {
  v1::IndicatorReport report;
  report.set_team(team);
  v1::Series* series = AddSeries(&report, v1::INDICATOR_OPEN_CASES);
  const char* months[] = {"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"};
  double value = 40;
  for (const char* month : months) AddMonth(series, month, value++);
  return report;
}

v1::Comparison AdoptedOn(const std::string& date) {
  v1::Comparison comparison;
  comparison.set_adoption_date(date);
  return comparison;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The text of each <svg>...</svg>.
std::vector<std::string> Charts(const std::string& html) {
  std::vector<std::string> charts;
  for (size_t start = html.find("<svg"); start != std::string::npos;
       start = html.find("<svg", start + 1)) {
    size_t end = html.find("</svg>", start);
    if (end == std::string::npos) break;
    charts.push_back(html.substr(start, end - start));
  }
  return charts;
}

bool IsFiniteNumber(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(value);
}

// What a browser needs to draw every chart: balanced elements and a finite number in every
// coordinate; and what the brief forbids anywhere: scripts, external resources, NaN, infinity.
void ExpectWellFormed(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_THAT(html, HasSubstr("</body>\n</html>\n"));
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "<text"), Count(html, "</text>"));
  EXPECT_EQ(Count(html, "<circle"), Count(html, "</circle>"));
  EXPECT_EQ(Count(html, "<title>"), Count(html, "</title>"));
  EXPECT_EQ(Count(html, "<g "), Count(html, "</g>"));
  EXPECT_EQ(Count(html, "<table>"), Count(html, "</table>"));
  EXPECT_EQ(Count(html, "<section>"), Count(html, "</section>"));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\b(nan|inf|infinity)\b)", std::regex::icase)))
      << html;
  EXPECT_FALSE(std::regex_search(
      html, std::regex(R"(<script|src=|href=|url\(|@import)", std::regex::icase)));
  const std::regex attribute(R"re(\s(x|y|cx|cy|r|width|height|points)="([^"]*)")re");
  for (const std::string& chart : Charts(html)) {
    for (std::sregex_iterator it(chart.begin(), chart.end(), attribute), end; it != end; ++it) {
      for (absl::string_view number : absl::StrSplit((*it)[2].str(), absl::ByAnyChar(" ,"))) {
        EXPECT_TRUE(IsFiniteNumber(std::string(number)))
            << (*it)[1] << "=\"" << (*it)[2] << "\" in " << chart;
      }
    }
  }
}

TEST(RenderCsvTest, ExactTextQuotesTheTeamAndFormatsNumbers) {
  v1::IndicatorReport report;
  report.set_team("North, \"East\"");
  v1::Series* plans = AddSeries(&report, v1::INDICATOR_CHILDREN_ON_CP_PLANS);
  AddMonth(plans, "2026-01", 12);
  v1::Series* weeks = AddSeries(&report, v1::INDICATOR_LOOKED_AFTER_WEEKS);
  AddMonth(weeks, "2026-01", 10.0 / 7);
  AddMonth(weeks, "2026-02", 2.5);
  AddMonth(weeks, "2026-03", 2.99999);
  v1::Series* referrals = AddSeries(&report, v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS);
  referrals->set_team("");
  AddMonth(referrals, "2026-03", 1, /*complete=*/false, 3, 1.0 / 3);
  AddMonth(referrals, "2026-04", 2, /*complete=*/false, 3, 2.0 / 3);
  AddMonth(referrals, "2026-05", 0, /*complete=*/false);

  EXPECT_EQ(RenderCsv(report),
            "team,indicator,month,value,denominator,rate,complete\r\n"
            "\"North, \"\"East\"\"\",CHILDREN_ON_CP_PLANS,2026-01,12,0,,true\r\n"
            "\"North, \"\"East\"\"\",LOOKED_AFTER_WEEKS,2026-01,1.4286,0,,true\r\n"
            "\"North, \"\"East\"\"\",LOOKED_AFTER_WEEKS,2026-02,2.5,0,,true\r\n"
            "\"North, \"\"East\"\"\",LOOKED_AFTER_WEEKS,2026-03,3,0,,true\r\n"
            "council,RE_REFERRALS_WITHIN_12_MONTHS,2026-03,1,3,0.3333,false\r\n"
            "council,RE_REFERRALS_WITHIN_12_MONTHS,2026-04,2,3,0.6667,false\r\n"
            "council,RE_REFERRALS_WITHIN_12_MONTHS,2026-05,0,0,,false\r\n");
}

TEST(RenderCsvTest, EmptyReportIsTheHeaderAlone) {
  EXPECT_EQ(RenderCsv(v1::IndicatorReport()),
            "team,indicator,month,value,denominator,rate,complete\r\n");
}

TEST(RenderCsvTest, NonFiniteFiguresAndUnknownIndicatorsStayParseable) {
  v1::IndicatorReport report;
  v1::Series* series = AddSeries(&report, static_cast<v1::Indicator>(99));
  AddMonth(series, "2026-01", std::numeric_limits<double>::quiet_NaN(), true, 2,
           std::numeric_limits<double>::infinity());
  AddMonth(series, "2026-02", -0.00001);

  EXPECT_EQ(RenderCsv(report),
            "team,indicator,month,value,denominator,rate,complete\r\n"
            "council,99,2026-01,,2,,true\r\n"
            "council,99,2026-02,0,0,,true\r\n");
}

TEST(RenderJsonTest, ParsesBackToTheSameMessageWithEveryField) {
  v1::IndicatorReport report;
  report.set_team("North, \"East\"");
  v1::Series* series = AddSeries(&report, v1::INDICATOR_GCS_HELD_ON_TIME);
  AddMonth(series, "2026-01", 3, true, 4, 0.75);
  AddMonth(series, "2026-02", 0, false);
  *report.mutable_compute_time() = TimeUtil::SecondsToTimestamp(1768469400);
  *report.mutable_data_as_of() = TimeUtil::SecondsToTimestamp(1768469000);

  const std::string json = RenderJson(report);
  v1::IndicatorReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, report))
      << parsed.DebugString();
  // Zeros are printed, and the output is indented.
  EXPECT_THAT(json, HasSubstr("\"complete\": false"));
  EXPECT_THAT(json, HasSubstr("\"denominator\": \"0\""));
  EXPECT_THAT(json, HasSubstr("\"indicator\": \"INDICATOR_GCS_HELD_ON_TIME\""));
  EXPECT_THAT(json, HasSubstr("\n"));
}

TEST(RenderJsonTest, EmptyReportPrintsItsPrimitiveFields) {
  v1::IndicatorReport parsed;
  const std::string json = RenderJson(v1::IndicatorReport());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_THAT(json, HasSubstr("\"team\": \"\""));
}

TEST(RenderHtmlTest, EscapesUserSuppliedText) {
  v1::IndicatorReport report = SixMonths("<script>alert('x')</script> & co");
  report.mutable_series(0)->mutable_months(0)->set_month("<b>2025-10");
  v1::Comparison comparison = AdoptedOn("<script>");
  v1::BeforeAfter* row = comparison.add_before_after();
  row->set_indicator(v1::INDICATOR_OPEN_CASES);
  row->set_note("<script>fewer than 5 events before</script>");
  comparison.add_cohorts_by_start_month()->set_cohort("<img onerror=x>");
  comparison.add_costs()->set_item("<iframe>");

  const std::string html = RenderHtml(report, comparison);
  ExpectWellFormed(html);
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;fewer than 5 events before&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;2025-10"));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<iframe")));
}

TEST(RenderHtmlTest, TitleNamesTheTeamOrTheCouncilAndTheTimes) {
  v1::IndicatorReport report = SixMonths("North");
  *report.mutable_compute_time() = TimeUtil::SecondsToTimestamp(1768469400);  // 15 Jan 09:30 UTC
  *report.mutable_data_as_of() = TimeUtil::SecondsToTimestamp(1784021400);    // 14 Jul 09:30 UTC
  const std::string html = RenderHtml(report, v1::Comparison());
  EXPECT_THAT(html, HasSubstr("<title>Outcomes report for team North</title>"));
  EXPECT_THAT(html, HasSubstr("Computed 15 Jan 2026 09:30"));
  // Summer time in England.
  EXPECT_THAT(html, HasSubstr("Data as of 14 Jul 2026 10:30"));
  EXPECT_THAT(html, HasSubstr("<h2>Open cases (month end)</h2>"));

  const std::string council = RenderHtml(SixMonths(""), v1::Comparison());
  EXPECT_THAT(council, HasSubstr("<title>Outcomes report for the council</title>"));
  EXPECT_THAT(council, HasSubstr("Computed not recorded"));
}

TEST(RenderHtmlTest, OneChartPerSeries) {
  v1::IndicatorReport report = SixMonths();
  AddMonth(AddSeries(&report, v1::INDICATOR_CP_PLAN_STARTS), "2026-01", 4);
  AddSeries(&report, v1::INDICATOR_MODULES_COMPLETED);  // no months

  const std::string html = RenderHtml(report, v1::Comparison());
  ExpectWellFormed(html);
  EXPECT_EQ(Count(html, "<svg"), 3u);
  EXPECT_EQ(Count(html, "<section>"), 3u);
  EXPECT_THAT(html, HasSubstr("<h2>Child protection plans starting</h2>"));
  EXPECT_THAT(html, HasSubstr("<h2>Modules completed</h2>"));
}

TEST(RenderHtmlTest, AdoptionMarkerOnlyWhenTheAdoptionMonthIsInsideTheRange) {
  const v1::IndicatorReport report = SixMonths();
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2026-01-15")), "class=\"adoption\""), 1u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2025-10-01")), "class=\"adoption\""), 1u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2026-03-31")), "class=\"adoption\""), 1u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2025-09-30")), "class=\"adoption\""), 0u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2026-04-01")), "class=\"adoption\""), 0u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("")), "class=\"adoption\""), 0u);
  EXPECT_EQ(Count(RenderHtml(report, AdoptedOn("2026-01")), "class=\"adoption\""), 0u);
  EXPECT_EQ(Count(RenderHtml(v1::IndicatorReport(), AdoptedOn("2026-01-15")), "class=\"adoption\""),
            0u);
}

TEST(RenderHtmlTest, AdoptionMarkerStandsAtTheAdoptionMonth) {
  const std::string html = RenderHtml(SixMonths(), AdoptedOn("2026-01-15"));
  ExpectWellFormed(html);
  std::smatch label, marker;
  ASSERT_TRUE(std::regex_search(html, label, std::regex(R"re(<text x="([^"]+)"[^>]*>2026-01<)re")));
  ASSERT_TRUE(std::regex_search(html, marker,
                                std::regex(R"re(class="adoption"><polyline points="([^,]+),)re")));
  EXPECT_EQ(label[1], marker[1]);
  EXPECT_THAT(html, HasSubstr("Adopted 2026-01-15"));
}

TEST(RenderHtmlTest, EmptyReportAndComparison) {
  const std::string html = RenderHtml(v1::IndicatorReport(), v1::Comparison());
  ExpectWellFormed(html);
  EXPECT_EQ(Count(html, "<svg"), 0u);
  EXPECT_THAT(html, HasSubstr("No indicators in this report."));
  EXPECT_THAT(html, HasSubstr("No before and after figures."));
  EXPECT_THAT(html, HasSubstr("No costs."));
}

TEST(RenderHtmlTest, AllZeroSeriesIsAFlatLine) {
  v1::IndicatorReport report;
  v1::Series* series = AddSeries(&report, v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS);
  for (const char* month : {"2026-01", "2026-02", "2026-03"}) AddMonth(series, month, 0);
  v1::Series* rates = AddSeries(&report, v1::INDICATOR_GCS_HELD_ON_TIME);
  AddMonth(rates, "2026-01", 0, true, 5, 0);

  const std::string html = RenderHtml(report, v1::Comparison());
  ExpectWellFormed(html);
  const std::vector<std::string> charts = Charts(html);
  ASSERT_EQ(charts.size(), 2u);
  std::set<std::string> heights;
  const std::regex cy(R"re(<circle[^>]* cy="([^"]+)")re");
  for (std::sregex_iterator it(charts[0].begin(), charts[0].end(), cy), end; it != end; ++it) {
    heights.insert((*it)[1]);
  }
  EXPECT_EQ(heights.size(), 1u);
  EXPECT_EQ(Count(charts[0], "<circle"), 3u);
  EXPECT_EQ(Count(charts[0], "class=\"line\""), 1u);
  EXPECT_EQ(Count(charts[1], "<circle"), 1u);
}

TEST(RenderHtmlTest, SingleMonthIsAPointAndAnEmptySeriesSaysSo) {
  v1::IndicatorReport report;
  AddMonth(AddSeries(&report, v1::INDICATOR_OPEN_CASES), "2026-01", 7);
  AddSeries(&report, v1::INDICATOR_MODULES_COMPLETED);

  const std::string html = RenderHtml(report, AdoptedOn("2026-01-31"));
  ExpectWellFormed(html);
  const std::vector<std::string> charts = Charts(html);
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_EQ(Count(charts[0], "<circle"), 1u);
  EXPECT_EQ(Count(charts[0], "class=\"line"), 0u);
  EXPECT_EQ(Count(charts[0], "class=\"adoption\""), 1u);
  EXPECT_THAT(charts[1], HasSubstr("No months in this range"));
  EXPECT_EQ(Count(charts[1], "<circle"), 0u);
  EXPECT_EQ(Count(charts[1], "class=\"adoption\""), 0u);
}

TEST(RenderHtmlTest, RateSeriesIsChartedAsAPercentage) {
  v1::IndicatorReport report;
  v1::Series* series = AddSeries(&report, v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS);
  AddMonth(series, "2026-01", 1, true, 4, 0.25);
  AddMonth(series, "2026-02", 0, true);  // no referrals: no rate, a gap in the line
  AddMonth(series, "2026-03", 2, true, 4, 0.5);

  const std::string html = RenderHtml(report, v1::Comparison());
  ExpectWellFormed(html);
  EXPECT_THAT(html, HasSubstr(">Rate (%)</text>"));
  EXPECT_THAT(html, HasSubstr("<title>2026-01: 25%</title>"));
  EXPECT_THAT(html, HasSubstr("<title>2026-03: 50%</title>"));
  EXPECT_EQ(Count(html, "<circle"), 2u);
  EXPECT_EQ(Count(html, "class=\"line"), 0u);  // no two neighbouring months have a rate
  EXPECT_THAT(html, HasSubstr("<td class=\"number\">4</td><td class=\"number\">25%</td>"));
}

TEST(RenderHtmlTest, IncompleteMonthsAreHollowAndDashed) {
  v1::IndicatorReport report;
  v1::Series* series = AddSeries(&report, v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS);
  AddMonth(series, "2026-01", 3, true);
  AddMonth(series, "2026-02", 5, true);
  AddMonth(series, "2026-03", 4, true);
  AddMonth(series, "2026-04", 1, false);
  AddMonth(series, "2026-05", 0, false);

  const std::string html = RenderHtml(report, v1::Comparison());
  ExpectWellFormed(html);
  EXPECT_EQ(Count(html, "<circle class=\"complete\""), 3u);
  EXPECT_EQ(Count(html, "<circle class=\"incomplete\""), 2u);
  EXPECT_THAT(html, HasSubstr("<circle class=\"incomplete\" cx="));
  EXPECT_EQ(Count(html, "r=\"3.5\" fill=\"#fff\""), 2u);
  // January to March solid; March to May (touching incomplete months) dashed.
  EXPECT_EQ(Count(html, "class=\"line\""), 1u);
  EXPECT_EQ(Count(html, "class=\"line incomplete\""), 1u);
  EXPECT_EQ(Count(html, "stroke-dasharray=\"5 4\""), 1u);
  EXPECT_EQ(Count(html, "<tr class=\"incomplete\">"), 2u);
}

TEST(RenderHtmlTest, NonFiniteFiguresNeverReachThePage) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  v1::IndicatorReport report;
  v1::Series* counts = AddSeries(&report, v1::INDICATOR_OPEN_CASES);
  AddMonth(counts, "2026-01", nan);
  AddMonth(counts, "2026-02", inf);
  AddMonth(counts, "2026-03", -std::numeric_limits<double>::max());
  AddMonth(counts, "2026-04", std::numeric_limits<double>::max());
  v1::Series* rates = AddSeries(&report, v1::INDICATOR_GCS_HELD_ON_TIME);
  AddMonth(rates, "2026-01", 1, true, 2, inf);
  v1::Comparison comparison;
  v1::BeforeAfter* row = comparison.add_before_after();
  row->mutable_ratio()->set_value(nan);
  row->mutable_ratio()->set_has_interval(true);
  row->mutable_ratio()->set_upper(inf);
  row->set_change_percent(-inf);
  comparison.add_costs()->set_cost_avoided_gbp(nan);
  comparison.set_total_cost_avoided_gbp(inf);

  ExpectWellFormed(RenderHtml(report, comparison));
}

TEST(RenderHtmlTest, ComparisonTables) {
  v1::Comparison comparison = AdoptedOn("2025-04-01");
  v1::BeforeAfter* counts = comparison.add_before_after();
  counts->set_indicator(v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER);
  counts->mutable_before()->set_from_month("2024-04");
  counts->mutable_before()->set_to_month("2025-03");
  counts->mutable_before()->set_months(12);
  counts->mutable_before()->set_per_month(4);
  counts->mutable_after()->set_per_month(2);
  counts->mutable_ratio()->set_value(0.5);
  counts->mutable_ratio()->set_has_interval(true);
  counts->mutable_ratio()->set_lower(0.25);
  counts->mutable_ratio()->set_upper(0.9);
  counts->set_change_percent(-50);
  v1::BeforeAfter* rate = comparison.add_before_after();
  rate->set_indicator(v1::INDICATOR_GCS_HELD_ON_TIME);
  rate->mutable_after()->set_numerator(9);
  rate->mutable_after()->set_denominator(10);
  rate->mutable_after()->mutable_rate()->set_value(0.9);
  rate->mutable_ratio()->set_value(1.2);
  rate->set_change_percent(12.5);
  rate->set_note("fewer than 5 events before");

  v1::CohortRow* cohort = comparison.add_cohorts_by_start_month();
  cohort->set_cohort("2025-05");
  cohort->set_cases(20);
  cohort->set_cases_followed_12_months(20);
  cohort->mutable_cp_plan_within_12_months()->set_value(0.25);
  cohort->mutable_cp_plan_within_12_months()->set_has_interval(true);
  cohort->mutable_cp_plan_within_12_months()->set_lower(0.1);
  cohort->mutable_cp_plan_within_12_months()->set_upper(0.45);
  v1::CohortRow* recent = comparison.add_by_vulnerability();
  recent->set_cohort("DA+SUBSTANCE");
  recent->set_cases(3);

  v1::CostLine* cost = comparison.add_costs();
  cost->set_item("LOOKED_AFTER_WEEK");
  cost->set_payer("CHILDRENS_SERVICES");
  cost->set_unit_cost_gbp(1234.5);
  cost->set_units_avoided(10);
  cost->set_cost_avoided_gbp(12345);
  comparison.set_total_cost_avoided_gbp(1234567.891);

  const std::string html = RenderHtml(v1::IndicatorReport(), comparison);
  ExpectWellFormed(html);
  EXPECT_THAT(html, HasSubstr("<td>Children becoming looked after</td><td>2024-04 to 2025-03 (12 "
                              "months)</td><td class=\"number\">4</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"number\">0.5 (0.25–0.9)</td><td "
                              "class=\"number\">-50%</td>"));
  EXPECT_THAT(html, HasSubstr("rate 90%<br>9 of 10"));
  EXPECT_THAT(html, HasSubstr("<td class=\"number\">1.2</td><td class=\"number\">+12.5%</td>"
                              "<td>fewer than 5 events before</td>"));
  EXPECT_THAT(html, HasSubstr("<td>2025-05</td><td class=\"number\">20</td><td "
                              "class=\"number\">20</td><td class=\"number\">25% (10%–45%)</td>"));
  // Nobody in the group followed for 12 months yet: no proportions.
  EXPECT_THAT(html, HasSubstr("<td>DA+SUBSTANCE</td><td class=\"number\">3</td><td "
                              "class=\"number\">0</td><td class=\"number\">–</td>"));
  EXPECT_THAT(html, HasSubstr("<td>Week looked after</td><td>Children&#39;s services</td><td "
                              "class=\"number\">£1,234.50</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"number\">£12,345</td>"));
  EXPECT_THAT(html, HasSubstr("Total cost avoided</th><th class=\"number\">£1,234,567.89</th>"));
}

TEST(IndicatorLabelTest, EveryIndicatorHasItsOwnLabel) {
  const google::protobuf::EnumDescriptor* indicators = v1::Indicator_descriptor();
  std::set<std::string> labels;
  for (int i = 0; i < indicators->value_count(); ++i) {
    std::string label = IndicatorLabel(static_cast<v1::Indicator>(indicators->value(i)->number()));
    EXPECT_THAT(label, Not(HasSubstr("Indicator "))) << indicators->value(i)->name();
    labels.insert(label);
  }
  EXPECT_EQ(labels.size(), static_cast<size_t>(indicators->value_count()));
  EXPECT_EQ(IndicatorLabel(v1::INDICATOR_CHILDREN_ON_CP_PLANS),
            "Children on child protection plans (month end)");
  EXPECT_EQ(IndicatorLabel(static_cast<v1::Indicator>(99)), "Indicator 99");
}

}  // namespace
}  // namespace fs::outcomes
