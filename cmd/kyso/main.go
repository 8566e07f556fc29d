// Command kyso signs, timestamps, verifies and archives scanned PDFs of
// administrative-procedure results. See docs/ for the user guide.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
)

// Exit codes of the command-line contract (docs/exit-codes.md).
const (
	exitOK            = 0
	exitInvalid       = 1
	exitUsage         = 2
	exitIndeterminate = 3
	exitInput         = 4
	exitRun           = 5
	exitInterrupted   = 130
)

// exitStatus is returned by a command that has already reported its results
// and only needs the process to end with a given code.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	restoreConsole := setupConsole() // UTF-8 console on Windows
	tuneGC()
	// KYSO_CPUPROFILE=FILE writes a CPU profile of the run (for `make bench`).
	if p := os.Getenv("KYSO_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			restoreConsole()
			os.Exit(code)
		}
	}
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	restoreConsole()
	os.Exit(code)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	lang := i18n.Detect(args, os.Getenv)
	// Every line for people goes through a termsafe.Writer, so that no
	// file name, signer or text from a document can drive the terminal
	// (a command cannot forget it); JSON Lines, binary reports and the
	// progress bar's own control sequences take termsafe.RawWriter.
	sout, serr := termsafe.NewWriter(stdout), termsafe.NewWriter(stderr)
	defer sout.Flush()
	defer serr.Flush()
	stderr = serr
	root := newLocalizedRootCmd(&streams{in: stdin, out: sout, err: serr}, lang)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCodeOf(err)
	if ctx.Err() != nil {
		// SIGINT or SIGTERM arrived: the run did not finish as asked,
		// whatever the verdicts reported so far say (docs/exit-codes.md).
		code = exitInterrupted
	}
	if err != nil {
		var es exitStatus
		if !errors.As(err, &es) {
			printError(stderr, err, i18n.New(lang))
		}
	}
	return code
}

func exitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var es exitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	switch fail.KindOf(err) {
	case fail.KindUsage:
		return exitUsage
	case fail.KindInput:
		return exitInput
	case fail.KindInterrupted:
		return exitInterrupted
	case fail.KindRun:
		return exitRun
	}
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitRun
}

// printError writes err in the one style of the project: "kyso: error: ..."
// and, when there is a next step, a "hint: ..." line.
func printError(w io.Writer, err error, p *i18n.Printer) {
	fmt.Fprintln(w, p.T("kyso: error: %s", p.Err(cobraError(err))))
	if h := hintOf(p, err); h != "" {
		fmt.Fprintln(w, p.T("hint: %s", h))
	}
}

// tuneGC trades memory kyso does not use for time: a batch keeps little
// live heap (files are streamed), so the collector runs every 4x growth
// instead of 2x (about 15% less CPU for verify), and a soft limit of
// 192 MiB makes it collect harder long before the 256 MiB a file may cost
// (docs/verify.md, Limits). GOGC or GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
}
