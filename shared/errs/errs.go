// Package errs gives every error in b2brecs a kind, so that callers (HTTP
// handlers, event dispatchers, retry loops) can decide what to do with it
// without string matching.
//
// Wrap causes with %w through E or Wrap; read the kind back with KindOf.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller should do about it.
type Kind int

// The kinds. Unknown is the zero value: an error that carries no kind.
const (
	Unknown         Kind = iota
	Invalid              // the input is wrong; do not retry
	NotFound             // the object does not exist (or belongs to another tenant)
	Permission           // the caller may not do this
	Unauthenticated      // no or bad credentials
	Conflict             // a precondition (version, uniqueness) failed
	Transient            // try again later
	Unsupported          // the operation or format is not supported
)

var kindNames = map[Kind]string{
	Unknown:         "unknown",
	Invalid:         "invalid",
	NotFound:        "not_found",
	Permission:      "permission",
	Unauthenticated: "unauthenticated",
	Conflict:        "conflict",
	Transient:       "transient",
	Unsupported:     "unsupported",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a kind and an optional cause.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg == "" && e.Err != nil:
		return e.Err.Error()
	case e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	default:
		return e.Msg
	}
}

func (e *Error) Unwrap() error { return e.Err }

// E returns a new error of the given kind. The format follows fmt.Errorf;
// a %w verb wraps its argument as the cause.
func E(kind Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap gives err a kind and a message describing the operation that failed.
// It returns nil when err is nil.
func Wrap(kind Kind, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf reports the kind of the outermost error in err's chain that has one.
func KindOf(err error) Kind {
	var e *Error
	for err != nil {
		if errors.As(err, &e) {
			if e.Kind != Unknown {
				return e.Kind
			}
			err = e.Err
			continue
		}
		return Unknown
	}
	return Unknown
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool { return KindOf(err) == kind }

// Retryable reports whether an operation that failed with err may succeed
// if tried again: transient and unknown errors are, the rest are not.
func Retryable(err error) bool {
	switch KindOf(err) {
	case Invalid, NotFound, Permission, Unauthenticated, Unsupported:
		return false
	default:
		return true
	}
}
