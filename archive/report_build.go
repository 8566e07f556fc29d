package archive

import (
	"bytes"
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// ReportOptions choose the period, the breakdowns and the targets.
type ReportOptions struct {
	// Period is what the report covers; when empty, the whole of Year.
	Period Period
	Year   int
	// Split cuts the period into "month" or "quarter" rows ("" for none).
	Split string
	// ByMonth is Split "month" (the first CLI's --by month).
	ByMonth bool
	// Details adds the breakdowns by procedure and by sector (they read
	// every record of the period, not only the report index).
	Details bool
	Targets Targets
	// Merges maps units that no longer exist (communes merged in 2025) to
	// the unit that took them over, so earlier periods roll up.
	Merges Merges
	// Trend adds one point per year the catalogues hold figures for.
	Trend bool
}

// Figures are the counts of one row and what they give.
type Figures struct {
	// Issued, Percent and Shortfall are nil (JSON null) when the row has
	// no denominator: nothing is guessed, and a missing figure is not 0.
	Issued        *int     `json:"issued"`
	Digitized     int      `json:"digitized"`
	Percent       *float64 `json:"percent"`
	TargetPercent float64  `json:"target_percent"`
	Shortfall     *int     `json:"shortfall"`
	// DigitizedCounted, on a partial row only, is the digitized results
	// of the parts that have a denominator: Percent is DigitizedCounted
	// of Issued, never Digitized (which counts every part) of Issued.
	DigitizedCounted *int `json:"digitized_counted,omitempty"`
	Received         *int `json:"received,omitempty"`
	Resolved         *int `json:"resolved,omitempty"`
	// Denominator says where Issued comes from: "imported" (a stored total
	// of exactly this period), "summed" (stored totals of shorter periods,
	// procedures or merged units that cover it), "partial" (some of the
	// units or procedures the row adds up have none: Issued, Percent and
	// Shortfall are over those that have one, DigitizedCounted says how
	// many of the digitized results they hold) or "missing" (none: Issued,
	// Percent and Shortfall are nil).
	Denominator string `json:"denominator"`

	// issued, percent and shortfall are the figures as summed (0 when
	// missing); publish sets the exported ones from them.
	issued    int
	percent   float64
	shortfall int

	// need is how many results the targets require; digitizedKnown the
	// digitized results of the parts with a denominator.
	need           int
	digitizedKnown int
	targetSum      float64 // target percent x issued, summed over the parts
}

// Row totals: a row that adds up the rows of one level, or every row.
const (
	TotalLevel = "level"
	TotalAll   = "all"
)

// Denominator sources.
const (
	DenImported = "imported"
	DenSummed   = "summed"
	DenPartial  = "partial"
	DenMissing  = "missing"
)

// ReportRow is one unit in one period: the contract of `kyso archive
// report --format json` (unit_code, unit_name, level, year, issued,
// digitized, percent, target_percent, shortfall come first). Total rows
// have Total set and, for TotalAll, no unit code.
type ReportRow struct {
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	Level    string `json:"level"`
	Year     int    `json:"year"`
	Month    int    `json:"month,omitempty"`
	Figures
	Period string `json:"period"`
	Total  string `json:"total,omitempty"`
}

// ProcedureRow is one procedure (all units) in one period.
type ProcedureRow struct {
	ProcedureCode string `json:"procedure_code"`
	ProcedureName string `json:"procedure_name"`
	Sector        string `json:"sector,omitempty"`
	Figures
	Period string `json:"period"`
	Total  string `json:"total,omitempty"`
}

// SectorRow is one sector (lĩnh vực, all units) in one period.
type SectorRow struct {
	Sector string `json:"sector"`
	Figures
	Period string `json:"period"`
	Total  string `json:"total,omitempty"`
}

// TrendPoint is all units together in one year.
type TrendPoint struct {
	Year          int     `json:"year"`
	Issued        int     `json:"issued"`
	Digitized     int     `json:"digitized"`
	Percent       float64 `json:"percent"`
	TargetPercent float64 `json:"target_percent"`
}

// Report is the digitization report of one period.
type Report struct {
	Year       int            `json:"year"`
	Period     Period         `json:"period"`
	Periods    []Period       `json:"periods"`
	Rows       []ReportRow    `json:"rows"`
	Procedures []ProcedureRow `json:"procedures,omitempty"`
	Sectors    []SectorRow    `json:"sectors,omitempty"`
	Trend      []TrendPoint   `json:"trend,omitempty"`
	Sources    []Unit         `json:"sources"`
	// Undated counts the records without an issue date: no period counts
	// them until `kyso archive set-meta` gives them one.
	Undated int `json:"undated"`
	// Missing lists the units (and periods) without a denominator.
	Missing []string `json:"missing,omitempty"`
	// DistrictsLeftOut says, per period that starts after districts were
	// abolished, what district-level data was found and left out.
	DistrictsLeftOut []DistrictNote `json:"districts_left_out,omitempty"`
}

// DistrictNote is the district-level data a period left out.
type DistrictNote struct {
	Period  string   `json:"period"`
	Results int      `json:"results"`
	Totals  int      `json:"totals"`
	Units   []string `json:"units"`
}

// digitizedResult is one counted record: a dossier of a unit issued on a
// date.
type digitizedResult struct {
	unit, origUnit, date, dossier string
	procedure, procedureName      string
	sector, level                 string
}

type reportData struct {
	results []digitizedResult
	totals  []Total // Unit is the (merged) unit; origUnit in totalsOrig
	orig    []string
	units   map[string]unitInfo
	// procInfo: procedure code -> name and sector.
	procInfo map[string]procInfo
	years    map[int]bool
	undated  int
}

type unitInfo struct{ name, level string }
type procInfo struct{ name, sector string }

func (d *reportData) learn(unit, name, level string) {
	info := d.units[unit]
	if info.name == "" {
		info.name = name
	}
	if info.level == "" {
		info.level = level
	}
	d.units[unit] = info
}

func (d *reportData) learnProc(code, name, sector string) {
	if code == "" {
		return
	}
	p := d.procInfo[code]
	if p.name == "" {
		p.name = name
	}
	if p.sector == "" {
		p.sector = sector
	}
	d.procInfo[code] = p
}

// scan adds one catalogue's results issued from lo to hi (YYYYMMDD) and its
// totals. A record counts when its verdict is valid or indeterminate; one
// without a dossier code counts as a dossier of its own.
func (d *reportData) scan(tx *bolt.Tx, self Unit, lo, hi string, details bool, merges Merges, seenTotals map[string]bool) error {
	totals, err := readAllTotals(tx)
	if err != nil {
		return err
	}
	for _, t := range totals {
		k := string(t.key())
		if seenTotals[k] { // the first catalogue given wins
			continue
		}
		seenTotals[k] = true
		orig := t.Unit
		if m, ok := merges[t.Unit]; ok {
			t.Unit = m.Code
			d.learn(m.Code, m.Name, m.Level)
		}
		d.totals = append(d.totals, t)
		d.orig = append(d.orig, orig)
		d.learn(t.Unit, t.UnitName, t.Level)
		d.learnProc(t.Procedure, t.ProcedureName, t.Sector)
		d.years[t.Year] = true
	}
	d.learn(self.Code, self.Name, self.Level)
	d.undated += countPrefix(tx.Bucket(bucketIdx).Bucket(idxIssued), []byte("00000000"))
	records := tx.Bucket(bucketRecords)
	cur := tx.Bucket(bucketIdx).Bucket(idxReport).Cursor()
	hiKey := []byte(hi)
	var rc recordChecker
	for k, _ := cur.Seek([]byte(lo)); k != nil; k, _ = cur.Next() {
		if len(k) <= 18 {
			return damagef("a report index entry is too short")
		}
		if bytes.Compare(k[:8], hiKey) > 0 {
			break
		}
		rest := k[8 : len(k)-9] // unit|0|dossier
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return damagef("a report index entry has no unit")
		}
		res := digitizedResult{unit: string(rest[:i]), dossier: string(rest[i+1:]),
			date: string(k[0:4]) + "-" + string(k[4:6]) + "-" + string(k[6:8])}
		res.origUnit = res.unit
		_, known := d.units[res.unit]
		// Every record counted must be there and decode, even when the
		// figures need only the index: a damaged catalogue is never
		// reported on as if it were whole (exit 5, as every command).
		id := idOfKey(k[len(k)-8:])
		v := records.Get(k[len(k)-8:])
		if v == nil {
			return damagef("the report index names record %d, which is not in the catalogue", id)
		}
		if !details && known {
			if err := rc.check(v); err != nil {
				return i18n.Errorf("record %d: %v", id, err)
			}
		} else {
			r, err := decodeRecord(v)
			if err != nil {
				return i18n.Errorf("record %d: %v", id, err)
			}
			res.procedure, res.procedureName, res.sector, res.level = r.Procedure, r.ProcedureName, r.Sector, r.Level
			d.learn(res.unit, r.UnitName, r.Level)
			d.learnProc(r.Procedure, r.ProcedureName, r.Sector)
		}
		if m, ok := merges[res.unit]; ok {
			res.unit = m.Code
			d.learn(m.Code, m.Name, m.Level)
		}
		year := int(k[0]-'0')*1000 + int(k[1]-'0')*100 + int(k[2]-'0')*10 + int(k[3]-'0')
		d.years[year] = true
		d.results = append(d.results, res)
	}
	return nil
}

// BuildReport computes the report over one or more catalogues (a roll-up:
// dossiers are counted once across them, and of totals for the same unit,
// period, procedure and sector the first catalogue's win).
func BuildReport(ctx context.Context, cats []*Catalogue, opts ReportOptions) (*Report, error) {
	if opts.Period.From == "" {
		if opts.Year < 1900 || opts.Year > 9999 {
			return nil, fail.Usagef("report year %d: want a year such as 2025", opts.Year)
		}
		opts.Period = YearPeriod(opts.Year)
	}
	if opts.ByMonth && opts.Split == "" {
		opts.Split = "month"
	}
	switch opts.Split {
	case "", "month", "quarter":
	default:
		return nil, fail.Usagef("split %q: want month or quarter", opts.Split)
	}
	d := &reportData{units: map[string]unitInfo{}, procInfo: map[string]procInfo{}, years: map[int]bool{}}
	lo, hi := dateKey(opts.Period.From), dateKey(opts.Period.To)
	if opts.Trend {
		lo, hi = []byte("00000001"), []byte("99999999")
	}
	rep := &Report{Year: opts.Period.EndYear(), Period: opts.Period}
	seenTotals := map[string]bool{}
	for _, c := range cats {
		err := c.view(ctx, func(tx *bolt.Tx) error {
			return d.scan(tx, c.unit, string(lo), string(hi), opts.Details, opts.Merges, seenTotals)
		})
		if err != nil {
			if fail.KindOf(err) != fail.KindNone {
				return nil, err
			}
			return nil, fail.Run(i18n.Errorf("catalogue %s: %v", c.path, err), "")
		}
		rep.Sources = append(rep.Sources, c.unit)
	}
	rep.Undated = d.undated
	if len(cats) > 1 {
		// Each catalogue's results come in date order; several are merged.
		sort.SliceStable(d.results, func(i, j int) bool { return d.results[i].date < d.results[j].date })
	}
	// Procedures learn their sector from the totals when records lack it.
	for i := range d.results {
		r := &d.results[i]
		if r.sector == "" {
			r.sector = d.procInfo[r.procedure].sector
		}
	}
	periods := []Period{opts.Period}
	if opts.Split != "" {
		periods = opts.Period.Split(opts.Split)
	}
	rep.Periods = periods
	for _, p := range periods {
		b := d.periodView(p, opts.Targets)
		rep.Rows = append(rep.Rows, b.unitRows(opts.Split == "month")...)
		if opts.Details {
			rep.Procedures = append(rep.Procedures, b.procedureRows()...)
			rep.Sectors = append(rep.Sectors, b.sectorRows()...)
		}
		rep.Missing = append(rep.Missing, b.missing...)
		if b.districts != nil {
			rep.DistrictsLeftOut = append(rep.DistrictsLeftOut, *b.districts)
		}
	}
	if opts.Trend {
		rep.Trend = d.trend(opts.Targets)
	}
	return rep, nil
}

// periodView is the data of one period, districts dropped after they were
// abolished.
type periodView struct {
	d         *reportData
	p         Period
	year      int
	targets   Targets
	results   []digitizedResult
	totals    []int // indexes into d.totals whose years meet the period
	missing   []string
	districts *DistrictNote
}

func (d *reportData) periodView(p Period, targets Targets) *periodView {
	v := &periodView{d: d, p: p, year: p.EndYear(), targets: targets}
	fromY, toY := p.From[:4], p.To[:4]
	droppedUnits := map[string]bool{}
	droppedResults := 0
	// d.results is sorted by date: the period is a slice of it.
	lo := sort.Search(len(d.results), func(i int) bool { return d.results[i].date >= p.From })
	hi := sort.Search(len(d.results), func(i int) bool { return d.results[i].date > p.To })
	v.results = d.results[lo:hi:hi]
	if !p.districtsExist() {
		var kept []digitizedResult
		for _, r := range v.results {
			if levelClass(d.units[r.unit].level) == "district" {
				droppedUnits[r.unit] = true
				droppedResults++
				continue
			}
			kept = append(kept, r)
		}
		v.results = kept
	}
	droppedTotals := 0
	for i, t := range d.totals {
		y := fmt.Sprintf("%04d", t.Year)
		if y < fromY || y > toY {
			continue
		}
		if !p.districtsExist() && levelClass(d.units[t.Unit].level) == "district" {
			// Worth a word only when the total is for months after the
			// districts ended (a 2025 yearly total is not).
			if sp := t.span(); spanMeets(sp, p) && fmt.Sprintf("%04d-%02d-01", sp.year, sp.first) >= districtsAbolished {
				droppedUnits[t.Unit] = true
				droppedTotals++
			}
			continue
		}
		v.totals = append(v.totals, i)
	}
	if len(droppedUnits) > 0 {
		v.districts = &DistrictNote{Period: p.Label, Results: droppedResults, Totals: droppedTotals, Units: sortedKeys(droppedUnits)}
	}
	return v
}

// spanMeets says whether a total's months overlap the period.
func spanMeets(sp monthSpan, p Period) bool {
	from := fmt.Sprintf("%04d-%02d-01", sp.year, sp.first)
	to := fmt.Sprintf("%04d-%02d-31", sp.year, sp.last)
	return from <= p.To && to >= p.From
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// part is one denominator the period needs: the totals of one original
// unit (and procedure or sector) that tile the period.
type part struct {
	ok                 bool
	exact              bool
	issued             int
	received, resolved *int
}

// tile covers the period's months with the spans of rows (all of one unit
// and scope), longest first; ok is false when they do not cover it.
func (v *periodView) tile(rows []Total) part {
	spans, aligned := v.p.months()
	if !aligned || len(rows) == 0 {
		return part{}
	}
	res := part{ok: true, exact: len(spans) == 1}
	rec, resv := 0, 0
	recOK, resOK := true, true
	tiles := 0
	for _, sp := range spans {
		var byFirst = map[int][]Total{}
		for _, t := range rows {
			if t.Year == sp.year {
				s := t.span()
				byFirst[s.first] = append(byFirst[s.first], t)
			}
		}
		var path []Total
		var walk func(m int) bool
		walk = func(m int) bool {
			if m == sp.last+1 {
				return true
			}
			cands := byFirst[m]
			sort.Slice(cands, func(i, j int) bool { return cands[i].span().last > cands[j].span().last })
			for _, c := range cands {
				if c.span().last > sp.last {
					continue
				}
				path = append(path, c)
				if walk(c.span().last + 1) {
					return true
				}
				path = path[:len(path)-1]
			}
			return false
		}
		if !walk(sp.first) {
			return part{}
		}
		for _, t := range path {
			tiles++
			res.issued += t.Issued
			if t.Received != nil {
				rec += *t.Received
			} else {
				recOK = false
			}
			if t.Resolved != nil {
				resv += *t.Resolved
			} else {
				resOK = false
			}
		}
	}
	res.exact = tiles == 1
	if recOK {
		res.received = &rec
	}
	if resOK {
		res.resolved = &resv
	}
	return res
}

// combine adds up the parts of a row. target applies to each part's
// issued results (each unit's level).
type combined struct {
	f      Figures
	known  int
	parts  int
	exact  bool
	recOK  bool
	resOK  bool
	rec    int
	resv   int
	anyDen bool
}

func newCombined() *combined { return &combined{recOK: true, resOK: true, exact: true} }

func (c *combined) add(p part, digitized int, target float64) {
	c.parts++
	c.f.Digitized += digitized
	if !p.ok {
		return
	}
	c.known++
	c.exact = c.exact && p.exact
	c.f.issued += p.issued
	c.f.digitizedKnown += digitized
	c.f.need += need(target, p.issued)
	c.f.targetSum += target * float64(p.issued)
	if p.received != nil {
		c.rec += *p.received
	} else {
		c.recOK = false
	}
	if p.resolved != nil {
		c.resv += *p.resolved
	} else {
		c.resOK = false
	}
}

func need(target float64, issued int) int { return int(math.Ceil(target*float64(issued)/100 - 1e-9)) }

func (c *combined) figures() Figures {
	f := c.f
	switch {
	case c.known == 0:
		f.Denominator = DenMissing
		return f
	case c.known < c.parts:
		f.Denominator = DenPartial
	case c.parts == 1 && c.exact:
		f.Denominator = DenImported
	default:
		f.Denominator = DenSummed
	}
	if c.recOK {
		r := c.rec
		f.Received = &r
	}
	if c.resOK {
		r := c.resv
		f.Resolved = &r
	}
	f.percent = percent(f.digitizedKnown, f.issued)
	f.TargetPercent = weighted(f.targetSum, f.issued)
	f.shortfall = max(0, f.need-f.digitizedKnown)
	return f.publish()
}

// publish sets the exported figures from the sums, leaving those without a
// denominator nil.
func (f Figures) publish() Figures {
	f.Issued, f.Percent, f.Shortfall, f.DigitizedCounted = nil, nil, nil, nil
	if f.Denominator == DenMissing || f.Denominator == "" {
		return f
	}
	issued, pct, short := f.issued, f.percent, f.shortfall
	f.Issued, f.Percent, f.Shortfall = &issued, &pct, &short
	if f.Denominator == DenPartial {
		counted := f.digitizedKnown
		f.DigitizedCounted = &counted
	}
	return f
}

// sumFigures adds rows up (a level's or every unit's total): the
// shortfall is the sum of the rows' shortfalls, so that one unit's surplus
// never hides another's gap.
func sumFigures(rows []Figures) Figures {
	var t Figures
	known, parts := 0, 0
	recOK, resOK := true, true
	rec, resv := 0, 0
	for _, f := range rows {
		parts++
		t.Digitized += f.Digitized
		t.shortfall += f.shortfall
		if f.Denominator == DenMissing {
			continue
		}
		if f.Denominator == DenPartial {
			parts++ // so the sum is partial too
		}
		known++
		t.issued += f.issued
		t.need += f.need
		t.targetSum += f.targetSum
		t.digitizedKnown += f.digitizedKnown
		if f.Received != nil {
			rec += *f.Received
		} else {
			recOK = false
		}
		if f.Resolved != nil {
			resv += *f.Resolved
		} else {
			resOK = false
		}
	}
	switch {
	case known == 0:
		t.Denominator = DenMissing
		return t
	case known < parts:
		t.Denominator = DenPartial
	case len(rows) == 1:
		t.Denominator = rows[0].Denominator
	default:
		t.Denominator = DenSummed
	}
	if recOK {
		t.Received = &rec
	}
	if resOK {
		t.Resolved = &resv
	}
	t.percent = percent(t.digitizedKnown, t.issued)
	t.TargetPercent = weighted(t.targetSum, t.issued)
	return t.publish()
}

// distinct counts the distinct dossiers (per unit) of results.
func distinct(results []digitizedResult) int {
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.unit+"\x00"+r.dossier] = true
	}
	return len(seen)
}

// unitRows is the breakdown by unit: units by level then code, a total row
// after each level, and every unit's total (the province's) last.
func (v *periodView) unitRows(monthly bool) []ReportRow {
	d := v.d
	// The distinct dossiers of each unit, and of each original unit that
	// merged into it.
	type pair struct{ unit, orig string }
	dossiers := map[string]map[string]struct{}{}
	byOrig := map[pair]map[string]struct{}{}
	units := map[string]bool{}
	for i := range v.results {
		r := &v.results[i]
		units[r.unit] = true
		set := dossiers[r.unit]
		if set == nil {
			set = map[string]struct{}{}
			dossiers[r.unit] = set
		}
		set[r.dossier] = struct{}{}
		if r.origUnit != r.unit {
			k := pair{r.unit, r.origUnit}
			if byOrig[k] == nil {
				byOrig[k] = map[string]struct{}{}
			}
			byOrig[k][r.dossier] = struct{}{}
		}
	}
	// unit -> original unit -> its whole-unit totals
	totalsBy := map[string]map[string][]Total{}
	for _, i := range v.totals {
		t := d.totals[i]
		if t.Procedure != "" || t.Sector != "" {
			continue
		}
		units[t.Unit] = true
		if totalsBy[t.Unit] == nil {
			totalsBy[t.Unit] = map[string][]Total{}
		}
		totalsBy[t.Unit][d.orig[i]] = append(totalsBy[t.Unit][d.orig[i]], t)
	}
	var rows []ReportRow
	for _, u := range sortedKeys(units) {
		info := d.units[u]
		target := v.targets.For(info.level, v.year)
		// The original units that make up u: those with totals, and those
		// with results but none.
		origs := map[string]bool{}
		for o := range totalsBy[u] {
			origs[o] = true
		}
		digBy := map[string]int{}
		own := len(dossiers[u])
		for k, set := range byOrig {
			if k.unit == u {
				origs[k.orig] = true
				digBy[k.orig] = len(set)
				own -= len(set)
			}
		}
		if own > 0 || len(origs) == 0 {
			origs[u] = true
		}
		// The unit's own dossiers: all of them less the merged units'
		// (a dossier in both counts once, for the merged unit).
		digBy[u] = max(0, own)
		c := newCombined()
		for _, o := range sortedKeys(origs) {
			c.add(v.tile(totalsBy[u][o]), digBy[o], target)
		}
		f := c.figures()
		// A dossier in two merged units' catalogues counts once.
		f.Digitized = len(dossiers[u])
		if f.Denominator == DenMissing {
			v.missing = append(v.missing, fmt.Sprintf("%s %s: %s", u, info.name, v.p.Label))
		}
		f.TargetPercent = target // the unit's own, even without a denominator
		row := ReportRow{UnitCode: u, UnitName: info.name, Level: info.level, Year: v.year, Figures: f, Period: v.p.Label}
		if monthly {
			row.Month = monthOf(v.p)
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if ri, rj := levelRank(rows[i].Level), levelRank(rows[j].Level); ri != rj {
			return ri < rj
		}
		return rows[i].UnitCode < rows[j].UnitCode
	})
	if len(rows) == 0 {
		return nil
	}
	var out []ReportRow
	var all []Figures
	for i := 0; i < len(rows); {
		j := i
		var group []Figures
		for j < len(rows) && levelClass(rows[j].Level) == levelClass(rows[i].Level) {
			group = append(group, rows[j].Figures)
			j++
		}
		out = append(out, rows[i:j]...)
		all = append(all, group...)
		if j-i > 1 {
			out = append(out, ReportRow{Level: rows[i].Level, Year: v.year, Month: rows[i].Month, Figures: sumFigures(group), Period: v.p.Label, Total: TotalLevel})
		}
		i = j
	}
	month := 0
	if monthly {
		month = monthOf(v.p)
	}
	return append(out, ReportRow{Year: v.year, Month: month, Figures: sumFigures(all), Period: v.p.Label, Total: TotalAll})
}

func monthOf(p Period) int {
	m := 0
	fmt.Sscanf(p.From[5:7], "%d", &m)
	return m
}

// procedureRows is the breakdown by procedure: each procedure's digitized
// dossiers against the totals imported for it, summed over units.
func (v *periodView) procedureRows() []ProcedureRow {
	d := v.d
	type key struct{ proc, orig string }
	procs := map[string]bool{}
	resultsBy := map[key][]digitizedResult{}
	for _, r := range v.results {
		if r.procedure == "" {
			continue
		}
		procs[r.procedure] = true
		resultsBy[key{r.procedure, r.origUnit}] = append(resultsBy[key{r.procedure, r.origUnit}], r)
	}
	totalsBy := map[key][]Total{}
	for _, i := range v.totals {
		t := d.totals[i]
		if t.Procedure == "" {
			continue
		}
		procs[t.Procedure] = true
		k := key{t.Procedure, d.orig[i]}
		totalsBy[k] = append(totalsBy[k], t)
	}
	var rows []ProcedureRow
	var figs []Figures
	for _, p := range sortedKeys(procs) {
		origs := map[string]bool{}
		for k := range totalsBy {
			if k.proc == p {
				origs[k.orig] = true
			}
		}
		for k := range resultsBy {
			if k.proc == p {
				origs[k.orig] = true
			}
		}
		c := newCombined()
		for _, o := range sortedKeys(origs) {
			k := key{p, o}
			c.add(v.tile(totalsBy[k]), distinct(resultsBy[k]), v.targets.For(v.levelOf(o), v.year))
		}
		f := c.figures()
		info := d.procInfo[p]
		rows = append(rows, ProcedureRow{ProcedureCode: p, ProcedureName: info.name, Sector: info.sector, Figures: f, Period: v.p.Label})
		figs = append(figs, f)
	}
	if len(rows) == 0 {
		return nil
	}
	return append(rows, ProcedureRow{Figures: sumFigures(figs), Period: v.p.Label, Total: TotalAll})
}

// levelOf is the level of an original unit (or the unit it merged into).
func (v *periodView) levelOf(orig string) string {
	if l := v.d.units[orig].level; l != "" {
		return l
	}
	return ""
}

// sectorRows is the breakdown by sector: a unit's sector denominator is
// its totals for the sector, else the sum of its procedures' totals in it.
func (v *periodView) sectorRows() []SectorRow {
	d := v.d
	type key struct{ sector, orig string }
	sectors := map[string]bool{}
	resultsBy := map[key][]digitizedResult{}
	for _, r := range v.results {
		if r.sector == "" {
			continue
		}
		sectors[r.sector] = true
		resultsBy[key{r.sector, r.origUnit}] = append(resultsBy[key{r.sector, r.origUnit}], r)
	}
	own := map[key][]Total{}
	byProc := map[key]map[string][]Total{}
	for _, i := range v.totals {
		t := d.totals[i]
		s := t.Sector
		if s == "" && t.Procedure != "" {
			s = d.procInfo[t.Procedure].sector
		}
		if s == "" {
			continue
		}
		sectors[s] = true
		k := key{s, d.orig[i]}
		if t.Procedure == "" {
			own[k] = append(own[k], t)
			continue
		}
		if byProc[k] == nil {
			byProc[k] = map[string][]Total{}
		}
		byProc[k][t.Procedure] = append(byProc[k][t.Procedure], t)
	}
	var rows []SectorRow
	var figs []Figures
	for _, s := range sortedKeys(sectors) {
		origs := map[string]bool{}
		for k := range resultsBy {
			if k.sector == s {
				origs[k.orig] = true
			}
		}
		for k := range own {
			if k.sector == s {
				origs[k.orig] = true
			}
		}
		for k := range byProc {
			if k.sector == s {
				origs[k.orig] = true
			}
		}
		c := newCombined()
		for _, o := range sortedKeys(origs) {
			k := key{s, o}
			var p part
			if len(own[k]) > 0 {
				p = v.tile(own[k])
			} else if len(byProc[k]) > 0 {
				p = part{ok: true}
				procs := make(map[string]bool, len(byProc[k]))
				for proc := range byProc[k] {
					procs[proc] = true
				}
				recOK, resOK := true, true
				rec, resv := 0, 0
				for _, proc := range sortedKeys(procs) {
					q := v.tile(byProc[k][proc])
					if !q.ok {
						p = part{}
						break
					}
					p.issued += q.issued
					if q.received != nil {
						rec += *q.received
					} else {
						recOK = false
					}
					if q.resolved != nil {
						resv += *q.resolved
					} else {
						resOK = false
					}
				}
				if p.ok {
					if recOK {
						p.received = &rec
					}
					if resOK {
						p.resolved = &resv
					}
				}
			}
			c.add(p, distinct(resultsBy[k]), v.targets.For(v.levelOf(o), v.year))
		}
		c.exact = false
		f := c.figures()
		rows = append(rows, SectorRow{Sector: s, Figures: f, Period: v.p.Label})
		figs = append(figs, f)
	}
	if len(rows) == 0 {
		return nil
	}
	return append(rows, SectorRow{Figures: sumFigures(figs), Period: v.p.Label, Total: TotalAll})
}

// trend is every unit together, one point per year that has a denominator;
// years without figures are left out rather than drawn as 0%.
func (d *reportData) trend(targets Targets) []TrendPoint {
	var years []int
	for y := range d.years {
		years = append(years, y)
	}
	sort.Ints(years)
	if len(years) > 30 {
		years = years[len(years)-30:]
	}
	var out []TrendPoint
	for _, y := range years {
		rows := d.periodView(YearPeriod(y), targets).unitRows(false)
		if len(rows) == 0 {
			continue
		}
		t := rows[len(rows)-1]
		if t.Denominator == DenMissing || t.issued == 0 {
			continue
		}
		out = append(out, TrendPoint{Year: y, Issued: t.issued, Digitized: t.digitizedKnown, Percent: t.percent, TargetPercent: t.TargetPercent})
	}
	return out
}

// Shortfall is how many more results must be digitized to meet target
// percent of issued: ceil(target*issued/100) - digitized, never negative.
func Shortfall(target float64, issued, digitized int) int {
	return max(0, need(target, issued)-digitized)
}

// weighted is the target of a sum row: the parts' targets weighted by
// their results issued.
func weighted(sum float64, issued int) float64 {
	if issued <= 0 {
		return 0
	}
	return math.Round(100*sum/float64(issued)) / 100
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
