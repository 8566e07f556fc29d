// Package fail classifies errors by whom they are the fault of, so the
// command line can map them to the exit codes of the contract without the
// libraries knowing about exit codes.
package fail

import (
	"errors"
	"fmt"
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

// Error is an error with a Kind and an optional next step: a Hint in words
// that name no command-line flag, or a Remedy that the command line words
// with its own flags.
type Error struct {
	Kind Kind
	Err  error
	Hint string
	// Remedy is a next step the command line words (it knows its flags);
	// RemedyArgs are the values its wording needs (a catalogue path).
	Remedy     Remedy
	RemedyArgs []any
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

// UsageWith, InputWith and RunWith wrap err with their kind and a remedy;
// args are the values the remedy's wording needs, if any.
func UsageWith(err error, r Remedy, args ...any) error {
	return &Error{Kind: KindUsage, Err: err, Remedy: r, RemedyArgs: args}
}
func InputWith(err error, r Remedy, args ...any) error {
	return &Error{Kind: KindInput, Err: err, Remedy: r, RemedyArgs: args}
}
func RunWith(err error, r Remedy, args ...any) error {
	return &Error{Kind: KindRun, Err: err, Remedy: r, RemedyArgs: args}
}

// KindOf returns the kind of the outermost classified error in err's chain.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindNone
}

// NextStep returns the first classified error in err's chain that carries
// a hint or a remedy, or nil.
func NextStep(err error) *Error {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return nil
		}
		if e.Hint != "" || e.Remedy != RemedyNone {
			return e
		}
		err = e.Err
	}
	return nil
}

// HintOf returns the first free-text hint in err's chain, unless a remedy
// comes first (then ""; see NextStep and RemedyOf).
func HintOf(err error) string {
	if e := NextStep(err); e != nil {
		return e.Hint
	}
	return ""
}

// RemedyOf returns the first remedy in err's chain, unless a free-text hint
// comes first (then RemedyNone).
func RemedyOf(err error) Remedy {
	if e := NextStep(err); e != nil {
		return e.Remedy
	}
	return RemedyNone
}

// PanicError is a panic recovered while kyso worked on one input: a bug of
// kyso that this input triggers. A batch turns it into that input's
// failure (an input error: the other files go on) rather than dying with
// every file unfinished; the stack is kept for a debug log, not shown.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprint(e.Value) }

// Recovered wraps a value recovered from a panic, and the stack where it
// was recovered, as an input error holding a *PanicError (errors.As finds
// it).
func Recovered(v any, stack []byte) error {
	return Input(i18n.Errorf("internal error (a kyso bug that this file triggers; please report it): %v", &PanicError{Value: v, Stack: stack}), "")
}
