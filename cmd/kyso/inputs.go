package main

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

// inputFile is one PDF named on the command line or found in a folder.
type inputFile struct {
	// Path is where to read it.
	Path string
	// Rel is its path relative to the folder argument it was found in
	// (its base name for a file argument): outputs mirror it.
	Rel string
	// Err is set when a folder could not be read: Path names the folder
	// and the input fails on its own account (exit 4) while the others go
	// on.
	Err error
}

// collectPDFs expands files and folders (recursively, *.pdf in any case)
// into a list in argument order, folders sorted by path. A named file is
// taken whatever its extension; a missing argument is a usage error. A
// folder that cannot be read becomes an entry with Err, and a *.pdf that
// is not a regular file (a named pipe, a device, a socket) is listed like
// any other: opening it with fileutil.OpenRegular fails without waiting.
func collectPDFs(args []string) ([]inputFile, error) {
	var out []inputFile
	seen := map[string]bool{}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fail.Usage(i18n.Errorf("%s: %v", a, fileutil.UnwrapPath(err)), "")
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
				// An unreadable folder is one failed input; the walk goes on.
				rel, rerr := filepath.Rel(a, p)
				if rerr != nil {
					rel = p
				}
				found = append(found, inputFile{Path: p, Rel: rel, Err: i18n.Errorf("reading folder %s: %v", p, fileutil.UnwrapPath(err))})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
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
			return nil, fail.Usage(i18n.Errorf("reading folder %s: %v", a, err), "")
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

// nothingToDo tells the user that the inputs hold no PDF: an empty folder
// is not a mistake on the command line, so the run ends with exit 0.
func nothingToDo(g *globalOptions, args []string) error {
	fmt.Fprint(g.io.err, g.t("kyso: nothing to do: no PDF files in %s\n", strings.Join(args, ", ")))
	return nil
}

// inputError is the error of an input whose folder could not be read,
// classified as the input's own failure.
func (in inputFile) inputError() error { return fail.Input(in.Err, "check the folder's permissions") }
