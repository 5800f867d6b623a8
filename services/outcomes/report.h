#pragma once

#include <string>

#include "fs/outcomes/v1/outcomes.pb.h"

// The files ExportOutcomes returns: a report's series as CSV or JSON, and the evaluator's report
// as one HTML page with inline SVG charts. Pure C++: no database, no clock, no locale.
namespace fs::outcomes {

namespace v1 = ::fs::outcomes::v1;

// One row per (series, month), CRLF line ends, header row first:
//   team,indicator,month,value,denominator,rate,complete
// Fields are quoted as RFC 4180 says (only those holding a comma, quote, CR or LF). team "" is
// written "council"; indicator is the enum name without "INDICATOR_" ("CP_PLAN_STARTS", the
// number for values this build does not know). value and rate have at most 4 decimals, trailing
// zeros dropped ("3", "0.3333"); rate is empty when denominator is 0 (a plain count, or a rate
// with nothing to divide by), as are NaN and infinite values; complete is "true" or "false".
std::string RenderCsv(const v1::IndicatorReport& report);

// Protobuf's JSON mapping of the report, indented, every field present (zeros included). ""
// when the report has no JSON form (a Timestamp outside 0001-9999), which the service should
// treat as an internal error.
std::string RenderJson(const v1::IndicatorReport& report);

// A single self-contained HTML5 page (no scripts, no external resources, laid out for printing)
// for an evaluator: who it is for (the team, or the council), when it was computed and how fresh
// its data is; one section per series with an SVG line chart of its months (the rate as a
// percentage when any month has a denominator, else the value; months not complete drawn hollow
// and dashed; a dashed line at the adoption month when comparison.adoption_date falls within the
// series' months) and a table of its figures; then the comparison's tables: before and after,
// cohorts by start month, by vulnerability, and cost avoided. Every string read from the
// messages is HTML-escaped. Times are shown in Europe/London.
std::string RenderHtml(const v1::IndicatorReport& report, const v1::Comparison& comparison);

// What an indicator counts, in words ("Children on child protection plans (month end)").
std::string IndicatorLabel(v1::Indicator indicator);

}  // namespace fs::outcomes
