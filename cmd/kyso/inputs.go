package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kyso-project/kyso/internal/fail"
)

// inputFile is one PDF named on the command line or found in a folder.
type inputFile struct {
	// Path is where to read it.
	Path string
	// Rel is its path relative to the folder argument it was found in
	// (its base name for a file argument): outputs mirror it.
	Rel string
}

// collectPDFs expands files and folders (recursively, *.pdf in any case)
// into a list in argument order, folders sorted by path. A named file is
// taken whatever its extension; a missing argument is a usage error.
func collectPDFs(args []string) ([]inputFile, error) {
	var out []inputFile
	seen := map[string]bool{}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fail.Usage(fmt.Errorf("%s: %w", a, unwrapPathErr(err)), "")
		}
		if !st.IsDir() {
			if !seen[a] {
				seen[a] = true
				out = append(out, inputFile{Path: slashPath(a), Rel: filepath.Base(a)})
			}
			continue
		}
		var found []inputFile
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".pdf") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			rel, err := filepath.Rel(a, p)
			if err != nil {
				return err
			}
			found = append(found, inputFile{Path: slashPath(p), Rel: slashPath(rel)})
			return nil
		})
		if err != nil {
			return nil, fail.Usage(fmt.Errorf("reading folder %s: %w", a, err), "")
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Rel < found[j].Rel })
		for _, f := range found {
			if !seen[f.Path] {
				seen[f.Path] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
