package archive

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Period is a span of issue dates, both ends included. Units report by
// year, quarter, half year, nine months and month; --from/--to give any
// span.
type Period struct {
	// Label names the period: 2026, 2026-Q3, 2026-H1, 2026-9M, 2026-07, or
	// FROM..TO for a free span.
	Label string `json:"period"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// monthSpan is the months first..last (1-12) of one year: what one stored
// denominator covers.
type monthSpan struct{ year, first, last int }

var (
	rePeriodYear    = regexp.MustCompile(`^(\d{4})$`)
	rePeriodQuarter = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
	rePeriodHalf    = regexp.MustCompile(`^(\d{4})-[Hh]([12])$`)
	rePeriodNine    = regexp.MustCompile(`^(\d{4})-9[Mm]$`)
	rePeriodMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
)

// YearPeriod is the whole of year y.
func YearPeriod(y int) Period {
	p, _ := spanPeriod(monthSpan{y, 1, 12})
	return p
}

// ParsePeriod reads 2026, 2026-Q3, 2026-H1, 2026-9M or 2026-07.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	year := func(m []string) (int, error) {
		y, _ := strconv.Atoi(m[1])
		if y < 1900 || y > 9999 {
			return 0, i18n.Errorf("period %q: want a year from 1900", s)
		}
		return y, nil
	}
	var sp monthSpan
	switch {
	case rePeriodYear.MatchString(s):
		m := rePeriodYear.FindStringSubmatch(s)
		y, err := year(m)
		if err != nil {
			return Period{}, err
		}
		sp = monthSpan{y, 1, 12}
	case rePeriodQuarter.MatchString(s):
		m := rePeriodQuarter.FindStringSubmatch(s)
		y, err := year(m)
		if err != nil {
			return Period{}, err
		}
		q, _ := strconv.Atoi(m[2])
		sp = monthSpan{y, 3*q - 2, 3 * q}
	case rePeriodHalf.MatchString(s):
		m := rePeriodHalf.FindStringSubmatch(s)
		y, err := year(m)
		if err != nil {
			return Period{}, err
		}
		h, _ := strconv.Atoi(m[2])
		sp = monthSpan{y, 6*h - 5, 6 * h}
	case rePeriodNine.MatchString(s):
		m := rePeriodNine.FindStringSubmatch(s)
		y, err := year(m)
		if err != nil {
			return Period{}, err
		}
		sp = monthSpan{y, 1, 9}
	case rePeriodMonth.MatchString(s):
		m := rePeriodMonth.FindStringSubmatch(s)
		y, err := year(m)
		if err != nil {
			return Period{}, err
		}
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, i18n.Errorf("period %q: month %d does not exist", s, mo)
		}
		sp = monthSpan{y, mo, mo}
	default:
		return Period{}, i18n.Errorf("period %q: want YYYY, YYYY-Q1..Q4, YYYY-H1|H2, YYYY-9M or YYYY-MM", s)
	}
	return spanPeriod(sp)
}

// RangePeriod is the span from..to (YYYY-MM-DD, both included). A span
// that is exactly a named period gets that period's label.
func RangePeriod(from, to string) (Period, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return Period{}, fail.UsageWith(i18n.Errorf("start date %q: want a date YYYY-MM-DD", from), fail.RemedyDates)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return Period{}, fail.UsageWith(i18n.Errorf("end date %q: want a date YYYY-MM-DD", to), fail.RemedyDates)
	}
	if t.Before(f) {
		return Period{}, fail.UsageWith(i18n.Errorf("start date %s is after end date %s", from, to), fail.RemedyDates)
	}
	p := Period{Label: from + ".." + to, From: from, To: to}
	if spans, ok := p.months(); ok && len(spans) == 1 {
		if named, _ := spanPeriod(spans[0]); named.Label != "" {
			return named, nil
		}
	}
	return p, nil
}

// spanPeriod names the period of a month span, when it has a name.
func spanPeriod(sp monthSpan) (Period, error) {
	from := time.Date(sp.year, time.Month(sp.first), 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(sp.year, time.Month(sp.last)+1, 0, 0, 0, 0, 0, time.UTC)
	p := Period{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	code := spanCode(sp.first, sp.last)
	switch code {
	case "":
		p.Label = p.From + ".." + p.To
	case "year":
		p.Label = strconv.Itoa(sp.year)
	default:
		p.Label = fmt.Sprintf("%04d-%s", sp.year, code)
	}
	return p, nil
}

// spanCode is how the totals CSV's period column names months first..last
// of a year: year, Q1-Q4, H1, H2, 9M or 01-12; "" for other spans.
func spanCode(first, last int) string {
	switch {
	case first == 1 && last == 12:
		return "year"
	case first == last:
		return fmt.Sprintf("%02d", first)
	case last-first == 2 && first%3 == 1:
		return fmt.Sprintf("Q%d", (first+2)/3)
	case first == 1 && last == 6:
		return "H1"
	case first == 7 && last == 12:
		return "H2"
	case first == 1 && last == 9:
		return "9M"
	}
	return ""
}

// parseSpanCode reads a totals period column: empty or year, Q1-Q4, H1, H2,
// 6M (H1), 9M, a month 1-12 (01, M07, T07 also), or the same prefixed by
// the row's year (2026-Q3).
func parseSpanCode(s string, year int) (first, last int, err error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(c, strconv.Itoa(year)+"-") {
		c = c[5:]
	}
	switch c {
	case "", "YEAR", "NĂM", "NAM", "12M":
		return 1, 12, nil
	case "Q1", "Q2", "Q3", "Q4":
		q := int(c[1] - '0')
		return 3*q - 2, 3 * q, nil
	case "H1", "6M":
		return 1, 6, nil
	case "H2":
		return 7, 12, nil
	case "9M":
		return 1, 9, nil
	}
	c = strings.TrimLeft(c, "MT")
	if m, err := strconv.Atoi(c); err == nil && m >= 1 && m <= 12 {
		return m, m, nil
	}
	return 0, 0, i18n.Errorf("period %q: want year, Q1-Q4, H1, H2, 9M or a month 01-12", s)
}

// months splits the period into whole-month spans, one per year; ok is
// false when it does not start on a first or end on a last day of a month.
func (p Period) months() ([]monthSpan, bool) {
	f, err1 := time.Parse(time.DateOnly, p.From)
	t, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil || f.Day() != 1 || t.AddDate(0, 0, 1).Day() != 1 {
		return nil, false
	}
	var out []monthSpan
	for y := f.Year(); y <= t.Year(); y++ {
		sp := monthSpan{y, 1, 12}
		if y == f.Year() {
			sp.first = int(f.Month())
		}
		if y == t.Year() {
			sp.last = int(t.Month())
		}
		out = append(out, sp)
	}
	return out, true
}

// Split cuts the period into months or quarters (whole ones; a free span
// is cut at month or quarter boundaries).
func (p Period) Split(by string) []Period {
	step := 1
	if by == "quarter" {
		step = 3
	}
	f, _ := time.Parse(time.DateOnly, p.From)
	t, _ := time.Parse(time.DateOnly, p.To)
	var out []Period
	start := f
	for !start.After(t) {
		first := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
		if step == 3 {
			first = time.Date(start.Year(), time.Month((int(start.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
		}
		end := first.AddDate(0, step, -1)
		if end.After(t) {
			end = t
		}
		sub, _ := RangePeriod(start.Format(time.DateOnly), end.Format(time.DateOnly))
		out = append(out, sub)
		start = end.AddDate(0, 0, 1)
	}
	return out
}

// EndYear is the year whose targets apply to the period.
func (p Period) EndYear() int {
	y, _ := strconv.Atoi(p.To[:4])
	return y
}

// districtsAbolished is when Vietnam's district level ended (two-tier local
// government from 1 July 2025).
const districtsAbolished = "2025-07-01"

// districtsExist says whether district-level units can have results in
// the period: it starts before 1 July 2025.
func (p Period) districtsExist() bool { return p.From < districtsAbolished }
