package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// Total is how many TTHC results a unit issued in a year.
type Total struct {
	Unit     string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	Level    string `json:"level"`
	Year     int    `json:"year"`
	Issued   int    `json:"issued"`
}

func (t Total) validate() error {
	if t.Unit == "" {
		return fmt.Errorf("unit_code is empty")
	}
	if err := validateMeta(&Meta{Unit: t.Unit, UnitName: t.UnitName, Level: t.Level}); err != nil {
		return err
	}
	if t.Year < 1900 || t.Year > 9999 {
		return fmt.Errorf("year %d: want a year such as 2025", t.Year)
	}
	if t.Issued < 0 {
		return fmt.Errorf("issued %d: must not be negative", t.Issued)
	}
	return nil
}

func totalKey(unit string, year int) []byte { return joinKey(unit, []byte(fmt.Sprintf("%04d", year))) }

func readAllTotals(tx *bolt.Tx) ([]Total, error) {
	var out []Total
	err := tx.Bucket(bucketTotals).ForEach(func(k, v []byte) error {
		var t Total
		if err := json.Unmarshal(v, &t); err != nil {
			return damagef("totals %q do not decode: %v", k, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// ReadTotals reads a totals CSV: unit_code,unit_name,level,year,issued.
func ReadTotals(r io.Reader, name string) ([]Total, error) {
	rows, header, err := readCSV(r, name, []string{"unit_code", "year", "issued"})
	if err != nil {
		return nil, err
	}
	out := make([]Total, 0, len(rows))
	seen := map[string]int{}
	for i, row := range rows {
		get := func(col string) string { return cell(row, header, col) }
		t := Total{Unit: get("unit_code"), UnitName: get("unit_name"), Level: strings.ToLower(get("level"))}
		if t.Year, err = strconv.Atoi(get("year")); err != nil {
			return nil, fmt.Errorf("%s line %d: year %q is not a number", name, i+2, get("year"))
		}
		if t.Issued, err = strconv.Atoi(get("issued")); err != nil {
			return nil, fmt.Errorf("%s line %d: issued %q is not a number", name, i+2, get("issued"))
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, i+2, err)
		}
		k := string(totalKey(t.Unit, t.Year))
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s line %d: %s %d is already on line %d", name, i+2, t.Unit, t.Year, prev)
		}
		seen[k] = i + 2
		out = append(out, t)
	}
	return out, nil
}

// ImportTotals stores totals, replacing those of the same unit and year.
func (c *Catalogue) ImportTotals(ctx context.Context, rows []Total) (int, error) {
	err := c.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTotals)
		for _, t := range rows {
			if err := t.validate(); err != nil {
				return fail.Input(err, "")
			}
			if err := b.Put(totalKey(t.Unit, t.Year), jsonMarshal(t)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// Totals returns every stored total.
func (c *Catalogue) Totals(ctx context.Context) ([]Total, error) {
	var out []Total
	err := c.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = readAllTotals(tx)
		return err
	})
	return out, err
}

// Targets overrides the default schedule for some levels and years.
type Targets map[TargetKey]float64

// TargetKey is a level and a year.
type TargetKey struct {
	Level string
	Year  int
}

// ReadTargets reads a targets CSV: level,year,target_percent.
func ReadTargets(r io.Reader, name string) (Targets, error) {
	rows, header, err := readCSV(r, name, []string{"level", "year", "target_percent"})
	if err != nil {
		return nil, err
	}
	out := Targets{}
	for i, row := range rows {
		get := func(col string) string { return cell(row, header, col) }
		y, err := strconv.Atoi(get("year"))
		if err != nil || y < 1900 || y > 9999 {
			return nil, fmt.Errorf("%s line %d: year %q: want a year such as 2025", name, i+2, get("year"))
		}
		p, err := strconv.ParseFloat(strings.TrimSuffix(get("target_percent"), "%"), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return nil, fmt.Errorf("%s line %d: target_percent %q: want a number from 0 to 100", name, i+2, get("target_percent"))
		}
		level := strings.ToLower(get("level"))
		if level == "" {
			return nil, fmt.Errorf("%s line %d: level is empty", name, i+2)
		}
		out[TargetKey{levelClass(level), y}] = p
	}
	return out, nil
}

// For returns the target percent of a level in a year: the override if
// there is one, else the default schedule.
func (t Targets) For(level string, year int) float64 {
	if p, ok := t[TargetKey{levelClass(level), year}]; ok {
		return p
	}
	return DefaultTarget(level, year)
}

// levelClass maps the Vietnamese and English names of a level to the name
// the schedule knows; other levels stay as they are.
func levelClass(level string) string {
	switch l := strings.ToLower(strings.TrimSpace(level)); l {
	case "xã", "xa", "phường", "phuong", "thị trấn", "thi tran", "ward":
		return "commune"
	case "huyện", "huyen", "quận", "quan", "thị xã", "thi xa":
		return "district"
	case "tỉnh", "tinh", "thành phố", "thanh pho":
		return "province"
	default:
		return l
	}
}

// DefaultTarget is the schedule of ../shared/docs/domain.md: commune-level
// results 15, 50, 70, 90 then 100% from 2021; district-level 20, 20, 40,
// 60, 80% from 2021, then +20 points a year up to 100%. Province and any
// other level follow the district schedule. Before 2021 there is no target.
func DefaultTarget(level string, year int) float64 {
	if year < 2021 {
		return 0
	}
	if levelClass(level) == "commune" {
		sched := []float64{15, 50, 70, 90}
		if i := year - 2021; i < len(sched) {
			return sched[i]
		}
		return 100
	}
	sched := []float64{20, 20, 40, 60, 80}
	if i := year - 2021; i < len(sched) {
		return sched[i]
	}
	return math.Min(100, 80+20*float64(year-2025))
}

// ReportOptions choose the year, the targets and the extra views.
type ReportOptions struct {
	Year    int
	ByMonth bool
	Targets Targets
	// Trend adds one point per year the catalogues hold.
	Trend bool
	// Now limits monthly rows of the current year to the months past (default time.Now).
	Now func() time.Time
}

// ReportRow is one unit (and month, with ByMonth): the contract of
// `kyso archive report --format json`. With ByMonth, Digitized counts
// the dossiers issued from January to the end of Month.
type ReportRow struct {
	UnitCode      string  `json:"unit_code"`
	UnitName      string  `json:"unit_name"`
	Level         string  `json:"level"`
	Year          int     `json:"year"`
	Month         int     `json:"month,omitempty"`
	Issued        int     `json:"issued"`
	Digitized     int     `json:"digitized"`
	Percent       float64 `json:"percent"`
	TargetPercent float64 `json:"target_percent"`
	Shortfall     int     `json:"shortfall"`
}

// TrendPoint is all units together in one year.
type TrendPoint struct {
	Year          int     `json:"year"`
	Issued        int     `json:"issued"`
	Digitized     int     `json:"digitized"`
	Percent       float64 `json:"percent"`
	TargetPercent float64 `json:"target_percent"`
}

// Report is the digitization report of one year.
type Report struct {
	Year    int          `json:"year"`
	Rows    []ReportRow  `json:"rows"`
	Trend   []TrendPoint `json:"trend,omitempty"`
	Sources []Unit       `json:"sources"`
}

type unitInfo struct{ name, level string }

// tally holds, per unit, year and month, the distinct dossiers digitized.
type tally struct {
	sets   map[string]map[int]map[int]map[string]bool // unit -> year -> month -> dossier
	totals map[string]map[int]Total                   // unit -> year
	units  map[string]unitInfo
	years  map[int]bool
}

func (t *tally) add(unit string, year, month int, dossier string) {
	y := t.sets[unit]
	if y == nil {
		y = map[int]map[int]map[string]bool{}
		t.sets[unit] = y
	}
	m := y[year]
	if m == nil {
		m = map[int]map[string]bool{}
		y[year] = m
	}
	s := m[month]
	if s == nil {
		s = map[string]bool{}
		m[month] = s
	}
	s[dossier] = true
	t.years[year] = true
}

func (t *tally) learn(unit, name, level string) {
	info := t.units[unit]
	if info.name == "" {
		info.name = name
	}
	if info.level == "" {
		info.level = level
	}
	t.units[unit] = info
}

// scan adds one catalogue's records issued in years lo..hi and its totals.
// A record counts when its verdict is valid or indeterminate; one without a
// dossier code counts as a dossier of its own.
func (t *tally) scan(tx *bolt.Tx, self Unit, lo, hi int) error {
	totals, err := readAllTotals(tx)
	if err != nil {
		return err
	}
	for _, tt := range totals {
		if t.totals[tt.Unit] == nil {
			t.totals[tt.Unit] = map[int]Total{}
		}
		if _, have := t.totals[tt.Unit][tt.Year]; !have { // the first catalogue given wins
			t.totals[tt.Unit][tt.Year] = tt
		}
		t.learn(tt.Unit, tt.UnitName, tt.Level)
		t.years[tt.Year] = true
	}
	t.learn(self.Code, self.Name, self.Level)
	records := tx.Bucket(bucketRecords)
	cur := tx.Bucket(bucketIdx).Bucket(idxReport).Cursor()
	hiKey := []byte(fmt.Sprintf("%04d9999", hi))
	for k, _ := cur.Seek([]byte(fmt.Sprintf("%04d0101", lo))); k != nil && len(k) > 18 && bytes.Compare(k[:8], hiKey) <= 0; k, _ = cur.Next() {
		rest := k[8 : len(k)-9] // unit|0|dossier
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			continue
		}
		unit, dossier := string(rest[:i]), string(rest[i+1:])
		year, _ := strconv.Atoi(string(k[0:4]))
		month, _ := strconv.Atoi(string(k[4:6]))
		t.add(unit, year, month, dossier)
		if _, known := t.units[unit]; !known {
			// A unit without totals: its name and level from one of its records.
			if r, err := decodeRecord(records.Get(k[len(k)-8:])); err == nil {
				t.learn(unit, r.UnitName, r.Level)
			} else {
				t.learn(unit, "", "")
			}
		}
	}
	return nil
}

// BuildReport computes the report of opts.Year over one or more catalogues
// (a roll-up: dossiers are counted once across them, and for totals of the
// same unit and year the first catalogue given wins). Rows are the units
// with totals or digitized results that year, by level then unit code.
func BuildReport(ctx context.Context, cats []*Catalogue, opts ReportOptions) (*Report, error) {
	if opts.Year < 1900 || opts.Year > 9999 {
		return nil, fail.Usagef("report year %d: want a year such as 2025", opts.Year)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &tally{sets: map[string]map[int]map[int]map[string]bool{}, totals: map[string]map[int]Total{},
		units: map[string]unitInfo{}, years: map[int]bool{}}
	lo, hi := opts.Year, opts.Year
	if opts.Trend {
		lo, hi = 1900, 9999
	}
	rep := &Report{Year: opts.Year}
	for _, c := range cats {
		if err := c.view(ctx, func(tx *bolt.Tx) error { return t.scan(tx, c.unit, lo, hi) }); err != nil {
			if fail.KindOf(err) != fail.KindNone {
				return nil, err
			}
			return nil, fail.Run(fmt.Errorf("catalogue %s: %w", c.path, err), "")
		}
		rep.Sources = append(rep.Sources, c.unit)
	}
	for unit := range unionUnits(t, opts.Year) {
		info := t.units[unit]
		total, hasTotal := t.totals[unit][opts.Year]
		if hasTotal {
			info = unitInfo{name: firstNonEmpty(total.UnitName, info.name), level: firstNonEmpty(total.Level, info.level)}
		}
		target := opts.Targets.For(info.level, opts.Year)
		months := t.sets[unit][opts.Year]
		if !opts.ByMonth {
			d := countUnion(months, 12)
			rep.Rows = append(rep.Rows, makeRow(unit, info, opts.Year, 0, total.Issued, d, target))
			continue
		}
		last := 12
		if now := opts.Now(); now.Year() == opts.Year {
			last = int(now.Month())
		}
		for m := 1; m <= last; m++ {
			rep.Rows = append(rep.Rows, makeRow(unit, info, opts.Year, m, total.Issued, countUnion(months, m), target))
		}
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if ra, rb := levelRank(a.Level), levelRank(b.Level); ra != rb {
			return ra < rb
		}
		if a.UnitCode != b.UnitCode {
			return a.UnitCode < b.UnitCode
		}
		return a.Month < b.Month
	})
	if opts.Trend {
		rep.Trend = trend(t, opts.Targets)
	}
	return rep, nil
}

// unionUnits lists the units with totals or digitized results in year.
func unionUnits(t *tally, year int) map[string]bool {
	out := map[string]bool{}
	for u, years := range t.totals {
		if _, ok := years[year]; ok {
			out[u] = true
		}
	}
	for u, years := range t.sets {
		if len(years[year]) > 0 {
			out[u] = true
		}
	}
	return out
}

// countUnion counts the distinct dossiers of months 1..last.
func countUnion(months map[int]map[string]bool, last int) int {
	seen := map[string]bool{}
	for m, set := range months {
		if m <= last {
			for d := range set {
				seen[d] = true
			}
		}
	}
	return len(seen)
}

func makeRow(unit string, info unitInfo, year, month, issued, digitized int, target float64) ReportRow {
	return ReportRow{UnitCode: unit, UnitName: info.name, Level: info.level, Year: year, Month: month,
		Issued: issued, Digitized: digitized, Percent: percent(digitized, issued), TargetPercent: target,
		Shortfall: Shortfall(target, issued, digitized)}
}

// Shortfall is how many more results must be digitized to meet target
// percent of issued: ceil(target*issued/100) - digitized, never negative.
func Shortfall(target float64, issued, digitized int) int {
	need := int(math.Ceil(target*float64(issued)/100 - 1e-9))
	return max(0, need-digitized)
}

func percent(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(10000*float64(part)/float64(whole)) / 100
}

func levelRank(level string) int {
	switch levelClass(level) {
	case "province":
		return 0
	case "district":
		return 1
	case "commune":
		return 2
	}
	return 3
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// trend sums all units per year, from the first year the catalogues know to
// the last; the target is the share that meeting every unit's target gives.
func trend(t *tally, targets Targets) []TrendPoint {
	if len(t.years) == 0 {
		return nil
	}
	first, last := 9999, 0
	for y := range t.years {
		first, last = min(first, y), max(last, y)
	}
	first = max(first, last-29)
	var out []TrendPoint
	for y := first; y <= last; y++ {
		p := TrendPoint{Year: y}
		need := 0
		for u := range unionUnits(t, y) {
			total := t.totals[u][y]
			level := firstNonEmpty(total.Level, t.units[u].level)
			p.Issued += total.Issued
			p.Digitized += countUnion(t.sets[u][y], 12)
			need += int(math.Ceil(targets.For(level, y)*float64(total.Issued)/100 - 1e-9))
		}
		p.Percent = percent(p.Digitized, p.Issued)
		p.TargetPercent = percent(need, p.Issued)
		out = append(out, p)
	}
	return out
}
