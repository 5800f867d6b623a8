#include "services/outcomes/report.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/dates.h"

namespace fs::outcomes {
namespace {

// Fixed point with at most `decimals` decimals and no trailing zeros ("3", "0.3333", "2.5").
// std::to_chars because printf's decimal point follows the process locale. "" for NaN and
// infinities, which neither a spreadsheet nor an SVG attribute can take.
std::string FormatNumber(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  // Fixed notation of the largest double: 309 digits, sign, point and the decimals.
  char buffer[330];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc()) return "";
  std::string text(buffer, end);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";  // a tiny negative rounded away
  return text;
}

// Where a figure is missing or not a number, tables show a dash rather than nothing.
std::string Figure(double value, int decimals) {
  std::string text = FormatNumber(value, decimals);
  return text.empty() ? "–" : text;
}

std::string Percent(double proportion) {
  std::string text = FormatNumber(proportion * 100, 1);
  return text.empty() ? "–" : absl::StrCat(text, "%");
}

// "£1,234" or "£1,234.50"; "-£250" when the cost went up.
std::string Money(double value) {
  std::string text = FormatNumber(std::fabs(value), 2);
  if (text.empty()) return "–";
  size_t point = text.find('.');
  if (point != std::string::npos && text.size() - point == 2) text += '0';  // pence: 2 digits
  for (int i = static_cast<int>(point == std::string::npos ? text.size() : point) - 3; i > 0;
       i -= 3) {
    text.insert(static_cast<size_t>(i), ",");
  }
  return absl::StrCat(value < 0 && text != "0" ? "-" : "", "£", text);
}

std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

// The enum name without its prefix; the number for a value newer than this build.
std::string IndicatorCode(v1::Indicator indicator) {
  const std::string& name = v1::Indicator_Name(indicator);
  if (name.empty()) return absl::StrCat(static_cast<int>(indicator));
  return std::string(absl::StripPrefix(name, "INDICATOR_"));
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  absl::Time time =
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
  return absl::FormatTime("%d %b %Y %H:%M %Z", time, EnglandZone());
}

// A series is charted and tabulated as a rate when any of its months has a denominator.
bool IsRateSeries(const v1::Series& series) {
  return std::any_of(series.months().begin(), series.months().end(),
                     [](const v1::MonthValue& m) { return m.denominator() > 0; });
}

// ---- Charts ----

constexpr double kWidth = 720;
constexpr double kHeight = 280;
constexpr double kLeft = 64;
constexpr double kRight = 36;
// Room above the plot for the adoption label, clear of the line.
constexpr double kTop = 32;
constexpr double kBottom = 52;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kHeight - kTop - kBottom;
// The first and last months are kept off the axes, where their points would be hard to see.
constexpr double kInset = 12;
// More month labels than this would overlap; the others are left to the table.
constexpr int kMaxMonthLabels = 12;
constexpr char kInk[] = "#1d4f91";

struct ChartPoint {
  std::string month;
  std::optional<double> y;  // nothing: no figure (a rate without denominator, NaN)
  bool complete = false;
};

// The y axis: [low, high] with ticks every `step` (0: no ticks, the range being unusable).
struct Axis {
  double low = 0;
  double high = 1;
  double step = 0;
};

// Counts and rates are charted from zero so that a small change does not look like a large
// one; a flat series gets a unit range, so that nothing divides by zero.
Axis MakeAxis(const std::vector<ChartPoint>& points) {
  Axis axis{0, 0, 0};
  for (const auto& point : points) {
    if (!point.y) continue;
    axis.low = std::min(axis.low, *point.y);
    axis.high = std::max(axis.high, *point.y);
  }
  if (axis.high <= axis.low) axis.high = axis.low + 1;
  // A "nice" step (1, 2 or 5 times a power of ten) giving about five ticks.
  double raw = (axis.high - axis.low) / 5;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double normalised = raw / magnitude;
  double step = (normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10) * magnitude;
  double low = std::floor(axis.low / step) * step;
  double high = std::ceil(axis.high / step) * step;
  if (std::isfinite(step) && step > 0 && std::isfinite(low) && std::isfinite(high) && high > low) {
    axis = {low, high, step};
  }
  return axis;
}

double ChartX(size_t index, size_t count) {
  if (count <= 1) return kLeft + kPlotWidth / 2;
  return kLeft + kInset +
         (kPlotWidth - 2 * kInset) * static_cast<double>(index) / static_cast<double>(count - 1);
}

// Clamped and never NaN, whatever the figures (a range overflowing to infinity included).
double ChartY(double value, const Axis& axis) {
  double fraction = (value - axis.low) / (axis.high - axis.low);
  if (!std::isfinite(fraction)) fraction = 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  return kTop + kPlotHeight * (1 - fraction);
}

std::string Coordinate(double value) { return FormatNumber(value, 1); }

std::string Point(double x, double y) { return absl::StrCat(Coordinate(x), ",", Coordinate(y)); }

// "2026-04" of an ISO adoption date; nothing when there is no valid date.
std::optional<std::string> AdoptionMonth(const v1::Comparison& comparison) {
  auto day = ParseDate(comparison.adoption_date(), "adoption_date");
  if (!day.ok()) return std::nullopt;
  return absl::StrFormat("%04d-%02d", day->year(), day->month());
}

std::string RenderChart(const v1::Series& series, const std::string& label,
                        const std::optional<std::string>& adoption_month,
                        const std::string& adoption_date) {
  const bool rate = IsRateSeries(series);
  std::vector<ChartPoint> points;
  for (const auto& month : series.months()) {
    ChartPoint point{month.month(), std::nullopt, month.complete()};
    if (!rate) {
      point.y = month.value();
    } else if (month.denominator() > 0) {
      point.y = month.rate() * 100;
    }
    if (point.y && !std::isfinite(*point.y)) point.y.reset();
    points.push_back(point);
  }
  const Axis axis = MakeAxis(points);
  const std::string unit = rate ? "%" : "";

  std::string svg = absl::StrCat(
      "<svg class=\"chart\" viewBox=\"0 0 ", Coordinate(kWidth), " ", Coordinate(kHeight),
      "\" width=\"", Coordinate(kWidth), "\" height=\"", Coordinate(kHeight),
      "\" role=\"img\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"11\">\n<title>",
      HtmlEscape(label), " by month</title>\n");

  // Axes, y ticks with grid lines, and the axis titles.
  const double bottom = kTop + kPlotHeight;
  absl::StrAppend(&svg, "<polyline points=\"", Point(kLeft, kTop), " ", Point(kLeft, bottom), " ",
                  Point(kLeft + kPlotWidth, bottom), "\" fill=\"none\" stroke=\"#000\"/>\n");
  if (axis.step > 0) {
    // Bounded so that rounding can never make the loop long.
    for (int i = 0; i <= 20; ++i) {
      double value = axis.low + axis.step * i;
      if (value > axis.high + axis.step / 2) break;
      double y = ChartY(value, axis);
      absl::StrAppend(&svg, "<polyline points=\"", Point(kLeft, y), " ",
                      Point(kLeft + kPlotWidth, y),
                      "\" fill=\"none\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n", "<text x=\"",
                      Coordinate(kLeft - 6), "\" y=\"", Coordinate(y + 4),
                      "\" text-anchor=\"end\">", FormatNumber(value, 4), unit, "</text>\n");
    }
  }
  const std::string y_title = rate                                                     ? "Rate (%)"
                              : series.indicator() == v1::INDICATOR_LOOKED_AFTER_WEEKS ? "Weeks"
                                                                                       : "Count";
  absl::StrAppend(&svg, "<text x=\"", Coordinate(-(kTop + kPlotHeight / 2)),
                  "\" y=\"14\" transform=\"rotate(-90)\" text-anchor=\"middle\">", y_title,
                  "</text>\n<text x=\"", Coordinate(kLeft + kPlotWidth / 2), "\" y=\"",
                  Coordinate(kHeight - 6), "\" text-anchor=\"middle\">Month</text>\n");

  if (points.empty()) {
    absl::StrAppend(&svg, "<text x=\"", Coordinate(kLeft + kPlotWidth / 2), "\" y=\"",
                    Coordinate(kTop + kPlotHeight / 2),
                    "\" text-anchor=\"middle\">No months in this range</text>\n</svg>\n");
    return svg;
  }

  const size_t count = points.size();
  const size_t label_every = (count + kMaxMonthLabels - 1) / kMaxMonthLabels;
  for (size_t i = 0; i < count; i += label_every) {
    absl::StrAppend(&svg, "<text x=\"", Coordinate(ChartX(i, count)), "\" y=\"",
                    Coordinate(bottom + 16), "\" text-anchor=\"middle\">",
                    HtmlEscape(points[i].month), "</text>\n");
  }

  if (adoption_month) {
    auto [first, last] = std::minmax_element(
        points.begin(), points.end(),
        [](const ChartPoint& a, const ChartPoint& b) { return a.month < b.month; });
    if (first->month <= *adoption_month && *adoption_month <= last->month) {
      size_t index = 0;
      while (index + 1 < count && points[index].month < *adoption_month) ++index;
      double x = ChartX(index, count);
      // On the right of the chart the label goes to the left of the line, to stay inside.
      bool label_left = x > kLeft + kPlotWidth * 0.7;
      absl::StrAppend(&svg, "<g class=\"adoption\"><polyline points=\"", Point(x, kTop), " ",
                      Point(x, bottom),
                      "\" fill=\"none\" stroke=\"#b00\" stroke-width=\"1.5\" "
                      "stroke-dasharray=\"6 4\"/><text x=\"",
                      Coordinate(label_left ? x - 4 : x + 4), "\" y=\"", Coordinate(kTop - 8),
                      "\" text-anchor=\"", label_left ? "end" : "start",
                      "\" fill=\"#b00\">Adopted ", HtmlEscape(adoption_date), "</text></g>\n");
    }
  }

  // Lines join neighbouring months that both have a figure; a run is dashed where either month
  // is incomplete, as its figure may still change.
  struct Run {
    bool dashed;
    size_t last;
    std::string points;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i + 1 < count; ++i) {
    if (!points[i].y || !points[i + 1].y) continue;
    bool dashed = !points[i].complete || !points[i + 1].complete;
    std::string next = Point(ChartX(i + 1, count), ChartY(*points[i + 1].y, axis));
    if (!runs.empty() && runs.back().dashed == dashed && runs.back().last == i) {
      absl::StrAppend(&runs.back().points, " ", next);
    } else {
      runs.push_back(
          {dashed, i,
           absl::StrCat(Point(ChartX(i, count), ChartY(*points[i].y, axis)), " ", next)});
    }
    runs.back().last = i + 1;
  }
  for (const auto& run : runs) {
    absl::StrAppend(&svg, "<polyline class=\"", run.dashed ? "line incomplete" : "line",
                    "\" points=\"", run.points, "\" fill=\"none\" stroke=\"", kInk,
                    "\" stroke-width=\"2\"", run.dashed ? " stroke-dasharray=\"5 4\"" : "", "/>\n");
  }
  for (size_t i = 0; i < count; ++i) {
    if (!points[i].y) continue;
    const bool complete = points[i].complete;
    absl::StrAppend(&svg, "<circle class=\"", complete ? "complete" : "incomplete", "\" cx=\"",
                    Coordinate(ChartX(i, count)), "\" cy=\"",
                    Coordinate(ChartY(*points[i].y, axis)), "\" r=\"3.5\" fill=\"",
                    complete ? kInk : "#fff", "\" stroke=\"", kInk,
                    "\" stroke-width=\"1.5\"><title>", HtmlEscape(points[i].month), ": ",
                    FormatNumber(*points[i].y, 4), unit, complete ? "" : " (not complete)",
                    "</title></circle>\n");
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

// ---- Tables ----

std::string SeriesTable(const v1::Series& series) {
  const bool rate = IsRateSeries(series);
  std::string html = absl::StrCat(
      "<table>\n<thead><tr><th>Month</th><th>", rate ? "Count" : "Value", "</th>",
      rate ? "<th>Of</th><th>Rate</th>" : "", "<th>Complete</th></tr></thead>\n<tbody>\n");
  for (const auto& month : series.months()) {
    absl::StrAppend(&html, "<tr", month.complete() ? "" : " class=\"incomplete\"", "><td>",
                    HtmlEscape(month.month()), "</td><td class=\"number\">",
                    Figure(month.value(), 4), "</td>");
    if (rate) {
      absl::StrAppend(&html, "<td class=\"number\">", month.denominator(),
                      "</td><td class=\"number\">",
                      month.denominator() > 0 ? Percent(month.rate()) : "–", "</td>");
    }
    absl::StrAppend(&html, "<td>", month.complete() ? "Yes" : "Not yet", "</td></tr>\n");
  }
  absl::StrAppend(&html, "</tbody>\n</table>\n");
  return html;
}

// "0.82 (0.65–1.03)", or "12.5% (8.1–18.9%)" for a proportion; the interval only when there is
// one.
std::string EstimateText(const v1::Estimate& estimate, bool proportion) {
  auto format = [proportion](double value) {
    return proportion ? Percent(value) : Figure(value, 2);
  };
  if (!estimate.has_interval()) return format(estimate.value());
  return absl::StrCat(format(estimate.value()), " (", format(estimate.lower()), "–",
                      format(estimate.upper()), ")");
}

std::string PeriodText(const v1::PeriodSummary& period) {
  if (period.from_month().empty() && period.to_month().empty()) return "–";
  return absl::StrCat(HtmlEscape(period.from_month()), " to ", HtmlEscape(period.to_month()), " (",
                      period.months(), period.months() == 1 ? " month)" : " months)");
}

// Per month, and for rate indicators the rate over the period and what it is of.
std::string PerMonthText(const v1::PeriodSummary& period) {
  std::string text = Figure(period.per_month(), 2);
  if (period.denominator() > 0) {
    absl::StrAppend(&text, "<br>rate ", EstimateText(period.rate(), true), "<br>",
                    period.numerator(), " of ", period.denominator());
  }
  return text;
}

std::string BeforeAfterTable(const v1::Comparison& comparison) {
  if (comparison.before_after().empty()) return "<p>No before and after figures.</p>\n";
  std::string html =
      "<table>\n<thead><tr><th>Indicator</th><th>Before</th><th>Before per month</th>"
      "<th>After</th><th>After per month</th><th>Ratio (95% CI)</th><th>Change</th>"
      "<th>Note</th></tr></thead>\n<tbody>\n";
  for (const auto& row : comparison.before_after()) {
    std::string change = Figure(row.change_percent(), 1);
    if (change != "–") change = absl::StrCat(row.change_percent() > 0 ? "+" : "", change, "%");
    absl::StrAppend(
        &html, "<tr><td>", HtmlEscape(IndicatorLabel(row.indicator())), "</td><td>",
        PeriodText(row.before()), "</td><td class=\"number\">", PerMonthText(row.before()),
        "</td><td>", PeriodText(row.after()), "</td><td class=\"number\">",
        PerMonthText(row.after()), "</td><td class=\"number\">", EstimateText(row.ratio(), false),
        "</td><td class=\"number\">", change, "</td><td>", HtmlEscape(row.note()), "</td></tr>\n");
  }
  absl::StrAppend(&html, "</tbody>\n</table>\n");
  return html;
}

std::string CohortTable(const google::protobuf::RepeatedPtrField<v1::CohortRow>& rows,
                        const std::string& cohort_heading) {
  if (rows.empty()) return "<p>No cohorts.</p>\n";
  std::string html = absl::StrCat(
      "<table>\n<thead><tr><th>", cohort_heading,
      "</th><th>Cases</th><th>Followed 12 months</th><th>Child protection plan</th>"
      "<th>Looked after</th><th>Repeat domestic abuse</th><th>Adult emergency admission</th>"
      "</tr></thead>\n<tbody>\n");
  for (const auto& row : rows) {
    // With no case followed for 12 months yet a proportion would be 0 of 0: not shown.
    auto cell = [&row](const v1::Estimate& estimate) {
      return row.cases_followed_12_months() > 0 ? EstimateText(estimate, true) : "–";
    };
    absl::StrAppend(&html, "<tr><td>", HtmlEscape(row.cohort()), "</td><td class=\"number\">",
                    row.cases(), "</td><td class=\"number\">", row.cases_followed_12_months(),
                    "</td><td class=\"number\">", cell(row.cp_plan_within_12_months()),
                    "</td><td class=\"number\">", cell(row.looked_after_within_12_months()),
                    "</td><td class=\"number\">", cell(row.repeat_da_within_12_months()),
                    "</td><td class=\"number\">", cell(row.adult_admission_within_12_months()),
                    "</td></tr>\n");
  }
  absl::StrAppend(&html, "</tbody>\n</table>\n");
  return html;
}

// The cost item and payer in words, as HTML; codes this build does not know are shown as sent.
std::string CostItemLabel(const std::string& item) {
  if (item == "LOOKED_AFTER_WEEK") return "Week looked after";
  if (item == "POLICE_CALL_OUT") return "Police call-out";
  if (item == "EMERGENCY_ADMISSION") return "Emergency admission";
  return HtmlEscape(item);
}

std::string PayerLabel(const std::string& payer) {
  if (payer == "CHILDRENS_SERVICES") return "Children&#39;s services";
  if (payer == "POLICE") return "Police";
  if (payer == "NHS") return "NHS";
  return HtmlEscape(payer);
}

std::string CostTable(const v1::Comparison& comparison) {
  if (comparison.costs().empty()) return "<p>No costs.</p>\n";
  std::string html =
      "<table>\n<thead><tr><th>Item</th><th>Paid by</th><th>Unit cost</th>"
      "<th>Before per month</th><th>After per month</th><th>Units avoided</th>"
      "<th>Cost avoided</th></tr></thead>\n<tbody>\n";
  for (const auto& line : comparison.costs()) {
    absl::StrAppend(&html, "<tr><td>", CostItemLabel(line.item()), "</td><td>",
                    PayerLabel(line.payer()), "</td><td class=\"number\">",
                    Money(line.unit_cost_gbp()), "</td><td class=\"number\">",
                    Figure(line.before_per_month(), 2), "</td><td class=\"number\">",
                    Figure(line.after_per_month(), 2), "</td><td class=\"number\">",
                    Figure(line.units_avoided(), 2), "</td><td class=\"number\">",
                    Money(line.cost_avoided_gbp()), "</td></tr>\n");
  }
  absl::StrAppend(&html,
                  "</tbody>\n<tfoot><tr><th colspan=\"6\">Total cost avoided</th>"
                  "<th class=\"number\">",
                  Money(comparison.total_cost_avoided_gbp()), "</th></tr></tfoot>\n</table>\n");
  return html;
}

constexpr char kStyle[] =
    "body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;margin:2em;color:#000}\n"
    "h1{font-size:18pt;margin:0 0 .3em}\n"
    "h2{font-size:14pt;margin:1.5em 0 .4em;border-bottom:1px solid #555}\n"
    "h3{font-size:12pt;margin:1em 0 .3em}\n"
    "section{page-break-inside:avoid;break-inside:avoid}\n"
    "svg.chart{display:block;max-width:100%;height:auto;margin:.5em 0}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #555;padding:3px 6px;vertical-align:top;text-align:left}\n"
    "th{background:#eee}\n"
    "td.number,th.number{text-align:right}\n"
    "tr.incomplete td{font-style:italic}\n"
    "thead{display:table-header-group}\n"
    "tr{page-break-inside:avoid}\n"
    ".key{font-size:10pt}\n"
    "@page{size:A4;margin:15mm}\n"
    "@media print{body{margin:0}th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

}  // namespace

std::string IndicatorLabel(v1::Indicator indicator) {
  switch (indicator) {
    case v1::INDICATOR_CHILDREN_ON_CP_PLANS:
      return "Children on child protection plans (month end)";
    case v1::INDICATOR_CP_PLAN_STARTS:
      return "Child protection plans starting";
    case v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS:
      return "Repeat child protection plans (within 2 years of the previous plan)";
    case v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER:
      return "Children becoming looked after";
    case v1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE:
      return "Children kept safely at home at case closure";
    case v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS:
      return "Repeat domestic abuse within 6 months of the case starting";
    case v1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS:
      return "Repeat domestic abuse within 12 months of the case starting";
    case v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS:
      return "Adult emergency admissions and A&E attendances";
    case v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS:
      return "Re-referrals within 12 months of closure";
    case v1::INDICATOR_GCS_HELD_ON_TIME:
      return "Group case supervision held on time";
    case v1::INDICATOR_MODULES_COMPLETED:
      return "Modules completed";
    case v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES:
      return "Police domestic abuse incidents on open cases";
    case v1::INDICATOR_LOOKED_AFTER_WEEKS:
      return "Weeks children spent looked after";
    case v1::INDICATOR_OPEN_CASES:
      return "Open cases (month end)";
    case v1::INDICATOR_UNSPECIFIED:
      return "Unspecified indicator";
    default:
      return absl::StrCat("Indicator ", static_cast<int>(indicator));
  }
}

std::string RenderCsv(const v1::IndicatorReport& report) {
  std::string csv = "team,indicator,month,value,denominator,rate,complete\r\n";
  for (const auto& series : report.series()) {
    const std::string team = CsvField(series.team().empty() ? "council" : series.team());
    const std::string indicator = CsvField(IndicatorCode(series.indicator()));
    for (const auto& month : series.months()) {
      absl::StrAppend(&csv, team, ",", indicator, ",", CsvField(month.month()), ",",
                      FormatNumber(month.value(), 4), ",", month.denominator(), ",",
                      month.denominator() > 0 ? FormatNumber(month.rate(), 4) : "", ",",
                      month.complete() ? "true" : "false", "\r\n");
    }
  }
  return csv;
}

std::string RenderJson(const v1::IndicatorReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(report, &json, options).ok()) return "";
  return json;
}

std::string RenderHtml(const v1::IndicatorReport& report, const v1::Comparison& comparison) {
  const std::string subject =
      report.team().empty() ? "the council" : absl::StrCat("team ", HtmlEscape(report.team()));
  auto when = [](bool has, const google::protobuf::Timestamp& timestamp) {
    return has ? FormatTimestamp(timestamp) : std::string("not recorded");
  };
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Outcomes report for ",
      subject, "</title>\n<style>\n", kStyle, "</style>\n</head>\n<body>\n<h1>Outcomes report for ",
      subject, "</h1>\n<p>Computed ", when(report.has_compute_time(), report.compute_time()),
      ". Data as of ", when(report.has_data_as_of(), report.data_as_of()),
      " (the newest event applied).</p>\n"
      "<p class=\"key\">Hollow points, dashed lines and italic rows are months not yet complete: "
      "their figures may still change. A dashed red line marks the adoption month.</p>\n");

  const std::optional<std::string> adoption_month = AdoptionMonth(comparison);
  if (report.series().empty()) absl::StrAppend(&html, "<p>No indicators in this report.</p>\n");
  for (const auto& series : report.series()) {
    const std::string label = IndicatorLabel(series.indicator());
    absl::StrAppend(&html, "<section>\n<h2>", HtmlEscape(label),
                    series.team() == report.team()
                        ? ""
                        : absl::StrCat(" (", series.team().empty() ? "council" : "team ",
                                       HtmlEscape(series.team()), ")"),
                    "</h2>\n",
                    RenderChart(series, label, adoption_month, comparison.adoption_date()),
                    SeriesTable(series), "</section>\n");
  }

  absl::StrAppend(
      &html, "<h2>Before and after adoption</h2>\n<p>Adoption date: ",
      comparison.adoption_date().empty() ? "not given" : HtmlEscape(comparison.adoption_date()),
      ". Data as of ", when(comparison.has_data_as_of(), comparison.data_as_of()),
      ".</p>\n<h3>Before and after</h3>\n", BeforeAfterTable(comparison),
      "<h3>Cohorts by start month</h3>\n"
      "<p class=\"key\">Proportions of each cohort's cases followed for 12 months who had each "
      "outcome within 12 months of the start, with 95% confidence intervals.</p>\n",
      CohortTable(comparison.cohorts_by_start_month(), "Start month"),
      "<h3>By vulnerability</h3>\n", CohortTable(comparison.by_vulnerability(), "Vulnerability"),
      "<h3>Cost avoided</h3>\n", CostTable(comparison), "</body>\n</html>\n");
  return html;
}

}  // namespace fs::outcomes
