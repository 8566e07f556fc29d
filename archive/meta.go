package archive

import (
	"encoding/csv"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// ReadMeta reads a --meta CSV: a header row naming the columns (file,
// dossier_code, procedure_code, procedure_name, unit_code, unit_name, level,
// issued_date, result_number, copy_form, sector; others are ignored), one row per
// file, keyed by the file's base name. name is used in errors.
func ReadMeta(r io.Reader, name string) (map[string]Meta, error) {
	rows, header, err := readCSV(r, name, []string{"file"})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Meta, len(rows))
	for i, row := range rows {
		get := func(col string) string { return cell(row, header, col) }
		file := filepath.Base(strings.ReplaceAll(get("file"), `\`, "/"))
		if get("file") == "" {
			return nil, i18n.Errorf("%s line %d: the file column is empty", name, i+2)
		}
		m := Meta{
			Dossier: get("dossier_code"), Procedure: get("procedure_code"), ProcedureName: get("procedure_name"),
			Unit: get("unit_code"), UnitName: get("unit_name"), Level: strings.ToLower(get("level")),
			ResultNumber: get("result_number"), CopyForm: get("copy_form"), Sector: get("sector"),
		}
		d, err := normalizeDate(get("issued_date"))
		if err != nil {
			return nil, i18n.Errorf("%s line %d: %v", name, i+2, err)
		}
		m.Issued = d
		if err := validateMeta(&m); err != nil {
			return nil, i18n.Errorf("%s line %d: %v", name, i+2, err)
		}
		if _, dup := out[file]; dup {
			return nil, i18n.Errorf("%s line %d: %s is described twice", name, i+2, file)
		}
		out[file] = m
	}
	return out, nil
}

// The bounds of every CSV kyso reads (--meta, totals, --targets, --merge):
// such a file may travel with the documents, so a row that never ends or a
// file of millions of rows is refused, naming the file and the line, before
// it costs memory.
const (
	maxCSVRow   = 64 << 10 // bytes of one row
	maxCSVBytes = 16 << 20 // bytes of the file
	maxCSVRows  = 200000
)

// readCSV reads a UTF-8 CSV with a header row that must have the required
// columns; it returns the rows and the column positions.
func readCSV(r io.Reader, name string, required []string) ([][]string, map[string]int, error) {
	total := &budgetReader{r: r, left: maxCSVBytes}
	// csv reads ahead through a 4 KiB buffer: a row's budget allows it.
	rowBudget := &budgetReader{r: total, left: maxCSVRow + 4096}
	cr := csv.NewReader(rowBudget)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	tooBig := func(line int) error {
		if total.left <= 0 {
			return i18n.Errorf("%s: more than %d MiB, the most kyso reads from a CSV file", name, maxCSVBytes>>20)
		}
		return i18n.Errorf("%s line %d: more than %d KiB, the most a CSV row may be", name, line, maxCSVRow>>10)
	}
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, i18n.Errorf("%s: empty file, want a header row", name)
	}
	if errors.Is(err, errLineTooLong) {
		return nil, nil, tooBig(1)
	}
	if err != nil {
		return nil, nil, i18n.Errorf("%s: %v", name, err)
	}
	header := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := header[h]; !dup {
			header[h] = i
		}
	}
	for _, col := range required {
		if _, ok := header[col]; !ok {
			return nil, nil, i18n.Errorf("%s: no %s column in the header row (%s)", name, col, strings.Join(head, ","))
		}
	}
	var rows [][]string
	for {
		rowBudget.left = maxCSVRow + 4096
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errLineTooLong) {
			return nil, nil, tooBig(len(rows) + 2)
		}
		if err != nil {
			return nil, nil, i18n.Errorf("%s: %v", name, err)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if len(rows) == maxCSVRows {
			return nil, nil, i18n.Errorf("%s: more than %d rows, the most kyso reads from a CSV file", name, maxCSVRows)
		}
		for _, v := range row {
			if !utf8.ValidString(v) {
				return nil, nil, i18n.Errorf("%s line %d: not UTF-8 text", name, len(rows)+2)
			}
		}
		rows = append(rows, row)
	}
	return rows, header, nil
}

func cell(row []string, header map[string]int, col string) string {
	i, ok := header[col]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// normalizeDate accepts YYYY-MM-DD and the Vietnamese DD/MM/YYYY.
func normalizeDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", i18n.Errorf("issued_date %q: want YYYY-MM-DD", s)
}

// NamePattern takes metadata from file names, such as
// "{dossier}_{procedure}.pdf". Fields: {dossier}, {procedure}, {unit},
// {date} (YYYY-MM-DD or YYYYMMDD), {number}, and {any} for text to skip.
type NamePattern struct {
	re     *regexp.Regexp
	fields []string
}

var patternFields = map[string]string{
	"dossier": `(.+?)`, "procedure": `(.+?)`, "unit": `(.+?)`, "number": `(.+?)`, "any": `(.*?)`,
	"date": `(\d{4}-?\d{2}-?\d{2})`,
}

// ParseNamePattern compiles a --name-pattern.
func ParseNamePattern(p string) (*NamePattern, error) {
	var b strings.Builder
	b.WriteString("(?i)^")
	np := &NamePattern{}
	rest := p
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, i18n.Errorf("name pattern %q: unclosed {", p)
		}
		field := rest[i+1 : i+j]
		re, ok := patternFields[field]
		if !ok {
			names := make([]string, 0, len(patternFields))
			for k := range patternFields {
				names = append(names, "{"+k+"}")
			}
			sort.Strings(names)
			return nil, i18n.Errorf("name pattern %q: unknown field {%s}, want one of %s", p, field, strings.Join(names, " "))
		}
		b.WriteString(re)
		np.fields = append(np.fields, field)
		rest = rest[i+j+1:]
	}
	b.WriteString("$")
	if len(np.fields) == 0 {
		return nil, i18n.Errorf("name pattern %q: no {field} in it", p)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, i18n.Errorf("name pattern %q: %v", p, err)
	}
	np.re = re
	return np, nil
}

// Match reads metadata from a base name.
func (np *NamePattern) Match(base string) (Meta, bool) {
	var m Meta
	sub := np.re.FindStringSubmatch(base)
	if sub == nil {
		return m, false
	}
	for i, f := range np.fields {
		v := sub[i+1]
		switch f {
		case "dossier":
			m.Dossier = v
		case "procedure":
			m.Procedure = v
		case "unit":
			m.Unit = v
		case "number":
			m.ResultNumber = v
		case "date":
			if len(v) == 8 {
				v = v[0:4] + "-" + v[4:6] + "-" + v[6:8]
			}
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return Meta{}, false
			}
			m.Issued = v
		}
	}
	return m, validateMeta(&m) == nil
}
