// Package fail classifies errors by whom they are the fault of, so the
// command line can map them to the exit codes of the contract without the
// libraries knowing about exit codes.
package fail

import (
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
)

// Kind says what an error means for a run.
type Kind int

const (
	// KindNone is an error of no declared kind (treated as a run failure).
	KindNone Kind = iota
	// KindUsage is a bad flag, argument or option combination (exit 2).
	KindUsage
	// KindInput is a problem of one input file; the others go on (exit 4).
	KindInput
	// KindRun stops the run whatever the inputs: bad key, wrong PIN,
	// locked catalogue, no TSA reachable (exit 5).
	KindRun
	// KindInterrupted is a run stopped by SIGINT or SIGTERM (exit 130).
	KindInterrupted
)

// Error is an error with a Kind and an optional hint for the next step.
type Error struct {
	Kind Kind
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usage, Input and Run wrap err with their kind. hint may be empty.
func Usage(err error, hint string) error { return &Error{Kind: KindUsage, Err: err, Hint: hint} }
func Input(err error, hint string) error { return &Error{Kind: KindInput, Err: err, Hint: hint} }
func Run(err error, hint string) error   { return &Error{Kind: KindRun, Err: err, Hint: hint} }

// Usagef, Inputf and Runf format a message into an error of their kind.
func Usagef(format string, a ...any) error { return Usage(i18n.Errorf(format, a...), "") }
func Inputf(format string, a ...any) error { return Input(i18n.Errorf(format, a...), "") }
func Runf(format string, a ...any) error   { return Run(i18n.Errorf(format, a...), "") }

// KindOf returns the kind of the outermost classified error in err's chain.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindNone
}

// HintOf returns the first hint found in err's chain.
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}
