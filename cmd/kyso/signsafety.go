package main

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/sign"
)

// resolvePath returns path with every link resolved, for a path that may
// not exist yet: the deepest existing ancestor is resolved and the rest
// appended.
func resolvePath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	rest := ""
	p := abs
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// within says whether path is dir or below it (both resolved).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// dropOutputs removes from inputs the files found in a folder argument that
// lie below the output folder: an output folder inside an input folder is
// never signed again (signed/signed/...). Files named one by one are kept
// (the same-file check refuses those that would be overwritten).
func dropOutputs(inputs []inputFile, args []string, out string) []inputFile {
	outDir := resolvePath(out)
	// the folder arguments that hold the output folder strictly inside
	var holders []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			if ra := resolvePath(a); ra != outDir && within(outDir, ra) {
				holders = append(holders, ra)
			}
		}
	}
	if len(holders) == 0 {
		return inputs
	}
	named := map[string]bool{}
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			named[a] = true
		}
	}
	kept := inputs[:0:0]
	for _, in := range inputs {
		if !named[in.Path] && within(resolvePath(in.Path), outDir) {
			continue
		}
		kept = append(kept, in)
	}
	return kept
}

// checkJobsSafe refuses, before any work, a run where an output would be
// one of the inputs: the same path after resolving links, or the same file
// through a hard link. Inputs are never written, whatever the flags.
func checkJobsSafe(jobs []sign.Job) error {
	inputs := map[string]string{}
	var inInfo []fs.FileInfo
	var inPath []string
	for _, j := range jobs {
		inputs[resolvePath(j.Input)] = j.Input
		if st, err := os.Stat(j.Input); err == nil {
			inInfo = append(inInfo, st)
			inPath = append(inPath, j.Input)
		}
	}
	outputs := map[string]string{}
	for _, j := range jobs {
		ro := resolvePath(j.Output)
		if in, ok := inputs[ro]; ok {
			return fail.Usage(i18n.Errorf("the output %s would overwrite the input %s", j.Output, in),
				"give an --out folder that is not an input folder; kyso never writes its inputs")
		}
		if prev, ok := outputs[ro]; ok {
			return fail.Usage(i18n.Errorf("inputs %s and %s would both be signed into %s", prev, j.Input, j.Output),
				"sign them in separate runs or into separate --out folders")
		}
		outputs[ro] = j.Input
		st, err := os.Stat(j.Output)
		if err != nil {
			continue // not there yet: nothing to compare
		}
		for i, is := range inInfo {
			if os.SameFile(st, is) {
				return fail.Usage(i18n.Errorf("the output %s is the same file as the input %s (a link)", j.Output, inPath[i]),
					"give an --out folder that is not an input folder; kyso never writes its inputs")
			}
		}
	}
	return nil
}
