package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// Total is how many TTHC results a unit issued in a period: the
// denominator of the digitization rate. A row covers the whole year, or a
// quarter, half year, nine months or month (Period), for the whole unit or
// for one procedure (Procedure) or sector (Sector); it may also carry the
// dossiers received and resolved, as the provincial portals publish them.
type Total struct {
	Unit     string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	Level    string `json:"level"`
	Year     int    `json:"year"`
	Issued   int    `json:"issued"`
	// Period is empty for the whole year, else Q1-Q4, H1, H2, 9M or 01-12.
	Period        string `json:"period,omitempty"`
	Procedure     string `json:"procedure_code,omitempty"`
	ProcedureName string `json:"procedure_name,omitempty"`
	Sector        string `json:"sector,omitempty"`
	Received      *int   `json:"received,omitempty"`
	Resolved      *int   `json:"resolved,omitempty"`
}

func (t Total) validate() error {
	if t.Unit == "" {
		return i18n.Errorf("unit_code is empty")
	}
	if err := validateMeta(&Meta{Unit: t.Unit, UnitName: t.UnitName, Level: t.Level, Procedure: t.Procedure, ProcedureName: t.ProcedureName}); err != nil {
		return err
	}
	if strings.ContainsFunc(t.Sector, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return i18n.Errorf("sector %q contains a control character", t.Sector)
	}
	if t.Year < 1900 || t.Year > 9999 {
		return i18n.Errorf("year %d: want a year such as 2025", t.Year)
	}
	if _, _, err := parseSpanCode(t.Period, t.Year); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"issued", &t.Issued}, {"received", t.Received}, {"resolved", t.Resolved}} {
		if f.v != nil && *f.v < 0 {
			return i18n.Errorf("%s %d: must not be negative", f.name, *f.v)
		}
	}
	return nil
}

// span is the months the total covers.
func (t Total) span() monthSpan {
	first, last, _ := parseSpanCode(t.Period, t.Year)
	return monthSpan{t.Year, first, last}
}

// key is where the total is stored: the whole unit's yearly figure keeps
// the key of the first schema (unit|0|YYYY); the others add
// |0|period|0|procedure|0|sector.
func (t Total) key() []byte {
	k := totalKey(t.Unit, t.Year)
	if t.Period == "" && t.Procedure == "" && t.Sector == "" {
		return k
	}
	return append(k, joinKey("", []byte(t.Period), []byte{0}, []byte(t.Procedure), []byte{0}, []byte(t.Sector))...)
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

// ReadTotals reads a totals CSV. Columns: unit_code, year and issued are
// required; unit_name, level, period (empty or year, Q1-Q4, H1, H2, 9M,
// 01-12), procedure_code, procedure_name, sector, received and resolved
// are optional. Vietnamese column names (ma_don_vi, nam, ky, ma_thu_tuc,
// ten_thu_tuc, linh_vuc, tiep_nhan, da_giai_quyet, da_ban_hanh) are read
// too.
func ReadTotals(r io.Reader, name string) ([]Total, error) {
	rows, header, err := readCSV(r, name, nil)
	if err != nil {
		return nil, err
	}
	for col, alias := range totalsAliases {
		if i, ok := header[alias]; ok {
			if _, have := header[col]; !have {
				header[col] = i
			}
		}
	}
	for _, col := range []string{"unit_code", "year", "issued"} {
		if _, ok := header[col]; !ok {
			return nil, i18n.Errorf("%s: no %s column in the header row", name, col)
		}
	}
	out := make([]Total, 0, len(rows))
	seen := map[string]int{}
	for i, row := range rows {
		get := func(col string) string { return cell(row, header, col) }
		line := i + 2
		t := Total{Unit: get("unit_code"), UnitName: get("unit_name"), Level: strings.ToLower(get("level")),
			Procedure: get("procedure_code"), ProcedureName: get("procedure_name"), Sector: get("sector")}
		if t.Year, err = strconv.Atoi(get("year")); err != nil {
			return nil, i18n.Errorf("%s line %d: year %q is not a number", name, line, get("year"))
		}
		if t.Issued, err = strconv.Atoi(get("issued")); err != nil {
			return nil, i18n.Errorf("%s line %d: issued %q is not a number", name, line, get("issued"))
		}
		for _, f := range []struct {
			col string
			dst **int
		}{{"received", &t.Received}, {"resolved", &t.Resolved}} {
			v := get(f.col)
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, i18n.Errorf("%s line %d: %s %q is not a number", name, line, f.col, v)
			}
			*f.dst = &n
		}
		if t.Year >= 1900 && t.Year <= 9999 {
			first, last, err := parseSpanCode(get("period"), t.Year)
			if err != nil {
				return nil, i18n.Errorf("%s line %d: %v", name, line, err)
			}
			if t.Period = spanCode(first, last); t.Period == "year" {
				t.Period = ""
			}
		}
		if err := t.validate(); err != nil {
			return nil, i18n.Errorf("%s line %d: %v", name, line, err)
		}
		k := string(t.key())
		if prev, dup := seen[k]; dup {
			return nil, i18n.Errorf("%s line %d: %s %d %s%s is already on line %d", name, line, t.Unit, t.Year,
				t.Period, strings.TrimSpace(" "+t.Procedure+" "+t.Sector), prev)
		}
		seen[k] = line
		out = append(out, t)
	}
	return out, nil
}

// totalsAliases are the Vietnamese names of the totals columns.
var totalsAliases = map[string]string{
	"unit_code": "ma_don_vi", "unit_name": "ten_don_vi", "level": "cap", "year": "nam", "period": "ky",
	"procedure_code": "ma_thu_tuc", "procedure_name": "ten_thu_tuc", "sector": "linh_vuc",
	"received": "tiep_nhan", "resolved": "da_giai_quyet", "issued": "da_ban_hanh",
}

// ImportTotals stores totals, replacing those of the same unit, year,
// period, procedure and sector.
func (c *Catalogue) ImportTotals(ctx context.Context, rows []Total) (int, error) {
	err := c.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTotals)
		for _, t := range rows {
			if err := t.validate(); err != nil {
				return fail.Input(err, "")
			}
			if err := b.Put(t.key(), jsonMarshal(t)); err != nil {
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
			return nil, i18n.Errorf("%s line %d: year %q: want a year such as 2025", name, i+2, get("year"))
		}
		p, err := strconv.ParseFloat(strings.TrimSuffix(get("target_percent"), "%"), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return nil, i18n.Errorf("%s line %d: target_percent %q: want a number from 0 to 100", name, i+2, get("target_percent"))
		}
		level := strings.ToLower(get("level"))
		if level == "" {
			return nil, i18n.Errorf("%s line %d: level is empty", name, i+2)
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
