package archive

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"strings"
)

// Merges maps the code of a unit that no longer exists to the unit that
// took it over: the communes merged in 2025, or a district's results moved
// to the province. The report counts the old unit's results and totals as
// the new unit's, so earlier periods roll up into today's units.
type Merges map[string]Unit

// ReadMerges reads a mapping CSV: old_unit_code, new_unit_code and,
// optionally, new_unit_name and new_level (Vietnamese column names
// ma_don_vi_cu, ma_don_vi_moi, ten_don_vi_moi, cap_moi are read too).
func ReadMerges(r io.Reader, name string) (Merges, error) {
	rows, header, err := readCSV(r, name, nil)
	if err != nil {
		return nil, err
	}
	for col, alias := range map[string]string{"old_unit_code": "ma_don_vi_cu", "new_unit_code": "ma_don_vi_moi",
		"new_unit_name": "ten_don_vi_moi", "new_level": "cap_moi"} {
		if i, ok := header[alias]; ok {
			if _, have := header[col]; !have {
				header[col] = i
			}
		}
	}
	for _, col := range []string{"old_unit_code", "new_unit_code"} {
		if _, ok := header[col]; !ok {
			return nil, i18n.Errorf("%s: no %s column in the header row", name, col)
		}
	}
	out := Merges{}
	line := map[string]int{}
	for i, row := range rows {
		get := func(col string) string { return cell(row, header, col) }
		old, to := get("old_unit_code"), Unit{Code: get("new_unit_code"), Name: get("new_unit_name"), Level: strings.ToLower(get("new_level"))}
		if old == "" || to.Code == "" {
			return nil, i18n.Errorf("%s line %d: old_unit_code and new_unit_code must both be given", name, i+2)
		}
		if err := validateMeta(&Meta{Unit: to.Code, UnitName: to.Name, Level: to.Level}); err != nil {
			return nil, i18n.Errorf("%s line %d: %v", name, i+2, err)
		}
		if prev, dup := line[old]; dup {
			return nil, i18n.Errorf("%s line %d: %s is already mapped on line %d", name, i+2, old, prev)
		}
		line[old] = i + 2
		out[old] = to
	}
	// A unit mapped to one that is itself mapped goes to the last one.
	for old, to := range out {
		seen := map[string]bool{old: true}
		for {
			next, ok := out[to.Code]
			if !ok {
				break
			}
			if seen[to.Code] {
				return nil, i18n.Errorf("%s: the mapping of %s goes round in a circle", name, old)
			}
			seen[to.Code] = true
			to = next
		}
		out[old] = to
	}
	return out, nil
}
