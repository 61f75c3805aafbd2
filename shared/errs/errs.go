// Package errs gives every error in b2brecs a kind, so that callers (HTTP
// handlers, event dispatchers, retry loops) can decide what to do with it
// without string matching, and keeps apart the two audiences of an error:
//
//   - the operator, who reads Error(): the operation, internal names, ids
//     and the wrapped causes (driver text, paths), in the logs;
//   - the user, who reads UserMessage(err): only text written for a user by
//     the code that understood the problem (Userf, Explain, Fieldf), or a
//     plain sentence for the error's kind. Package prefixes ("docstore:"),
//     internal ids and causes never reach it.
//
// Wrap causes with %w through E or Wrap; read the kind back with KindOf.
// To add where an error happened without changing its kind or its user
// message, use At with an Op.
package errs

import (
	"context"
	"errors"
	"fmt"
	"time"
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
	RateLimited          // too many attempts: wait (RetryAfter) before trying again
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
	RateLimited:     "rate_limited",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// userTexts are what a user is told when no code wrote a message for them.
var userTexts = map[Kind]string{
	Unknown:         "something went wrong on our side; the details are in the server log",
	Invalid:         "the request is not valid",
	NotFound:        "this was not found (it may have been deleted)",
	Permission:      "you do not have permission to do this",
	Unauthenticated: "please sign in",
	Conflict:        "this conflicts with a change made meanwhile: reload and try again",
	Transient:       "the service is busy or a system it depends on is unavailable: try again in a moment",
	Unsupported:     "this is not supported",
	RateLimited:     "too many attempts: wait a moment and try again",
}

// Error is an error with a kind, a message for the logs, an optional
// message for a user and an optional cause.
type Error struct {
	Kind Kind
	// Msg describes what failed for the logs; it may name packages,
	// internal ids and paths. It is never shown to a user. When empty, the
	// logs show the user message (after its field).
	Msg string
	// User, when set, is the message a user sees: what is wrong, where,
	// what to do, in a user's words. It never contains the cause's text.
	User string
	// Field is the input field (a JSON path such as "schedule.time") a
	// user-facing validation error is about, if any.
	Field string
	// RetryAfter, when positive, is how long the caller should wait before
	// trying again (RateLimited, Transient).
	RetryAfter time.Duration
	// Op names the operation that failed ("etl.extract", "warehouse.Load")
	// for the logs; see At.
	Op  Op
	Err error

	// internal is set by E and Wrap with kind Unknown: the error is ours
	// (a 500), whatever kind its cause has, and the cause's user message
	// is not the user's (see KindOf, UserMessage).
	internal bool
}

func (e *Error) Error() string {
	if e.Op != "" {
		if e.Err == nil {
			return string(e.Op)
		}
		return string(e.Op) + ": " + e.Err.Error()
	}
	msg := e.Msg
	if msg == "" && e.User != "" {
		msg = e.User
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
	}
	switch {
	case msg == "" && e.Err != nil:
		return e.Err.Error()
	case e.Err != nil:
		return msg + ": " + e.Err.Error()
	default:
		return msg
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Op names an operation for the logs, in upspin's style: the package and
// the exported function or step ("etl.extract", "warehouse.Load").
type Op string

// At records that err happened during operation op. It adds context for
// the logs only: err's kind, user message, field and retry hint are
// unchanged, so wrapping with At never replaces what a user is told. Use it
// instead of re-wrapping an error only to restate its kind. Nil stays nil.
func At(op Op, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err}
}

// E returns a new error of the given kind. The format follows fmt.Errorf;
// a %w verb wraps its argument as the cause. The message is for the logs:
// a user sees the kind's plain sentence unless Explain adds one. Kind
// Unknown means an internal error, whatever the cause's kind (see Wrap).
func E(kind Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: err.Error(), Err: errors.Unwrap(err), internal: kind == Unknown}
}

// Wrap gives err a kind and a message describing the operation that failed
// (for the logs). It returns nil when err is nil. Kind Unknown means the
// failure is internal (the API answers 500 and the kind's plain sentence),
// even when err carries a kind of its own: a stored schedule that no longer
// parses is our fault, not an invalid request. To add context and keep
// err's kind, wrap with errs.KindOf(err) or fmt.Errorf("...: %w", err).
func Wrap(kind Kind, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err, internal: kind == Unknown}
}

// Userf returns an error of the given kind whose message is written for a
// user and is also what the logs show. Name things as the user knows them
// (the job's name, the file's name), never internal ids or packages. It
// wraps no cause: use Explain to put a user message on an error that has one.
func Userf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, User: fmt.Sprintf(format, args...)}
}

// Fieldf returns a user-facing error about one input field (a JSON path
// such as "schedule.time"). The API answers the field beside the message,
// so forms can show the message under the field.
func Fieldf(kind Kind, field, format string, args ...any) error {
	return &Error{Kind: kind, Field: field, User: fmt.Sprintf(format, args...)}
}

// WrapField is Fieldf with a cause: the user sees the message (and the
// field), the logs also the cause. Nil stays nil.
func WrapField(kind Kind, err error, field, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Field: field, User: fmt.Sprintf(format, args...), Err: err}
}

// Explain puts a message for a user on err, keeping err's kind and chain
// (the logs show the message followed by err's own text). It returns nil
// when err is nil.
func Explain(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{User: fmt.Sprintf(format, args...), Err: err}
}

// WithRetryAfter records how long the caller should wait before trying
// again; the API answers it as a Retry-After header. Nil stays nil.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{RetryAfter: d, Err: err}
}

// RetryAfter returns the outermost positive RetryAfter in err's chain, or 0.
func RetryAfter(err error) time.Duration {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return 0
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter
		}
		err = e.Err
	}
	return 0
}

// UserMessage is what a user may be told about err: the outermost message
// written for a user (Userf, Fieldf, Explain) in its chain, else a plain
// sentence for its kind. It never contains a cause's text, a log message
// or anything else written for operators.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	if e := userError(err); e != nil {
		return e.User
	}
	return userTexts[KindOf(err)]
}

// FieldOf returns the input field of the user-facing message UserMessage
// returns, if it names one.
func FieldOf(err error) string {
	if e := userError(err); e != nil {
		return e.Field
	}
	return ""
}

// HasUserMessage reports whether some code wrote a message for a user in
// err's chain (otherwise UserMessage is the kind's plain sentence).
func HasUserMessage(err error) bool { return userError(err) != nil }

// userError is the outermost *Error with a user message in err's chain,
// not looking past an internal error (E or Wrap with kind Unknown).
func userError(err error) *Error {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return nil
		}
		if e.User != "" {
			return e
		}
		if e.internal {
			return nil
		}
		err = e.Err
	}
	return nil
}

// KindOf reports the kind of the outermost error in err's chain that has
// one. An internal error (E or Wrap with kind Unknown) ends the search:
// its kind is Unknown whatever its cause's.
func KindOf(err error) Kind {
	var e *Error
	for err != nil {
		if errors.As(err, &e) {
			if e.Kind != Unknown || e.internal {
				return e.Kind
			}
			err = e.Err
			continue
		}
		return Unknown
	}
	return Unknown
}

// Classify gives err a kind when it has none, for a port's portable type
// over a driver: a driver's own error gets what kindOf (the driver's
// ErrorKind) says, a cancelled or timed-out context is Transient, and an
// error nothing can classify is returned unchanged (internal). The message
// describes the operation for the logs. Nil stays nil; an error that has a
// kind keeps it.
func Classify(err error, kindOf func(error) Kind, format string, args ...any) error {
	if err == nil || KindOf(err) != Unknown {
		return err
	}
	k := kindOf(err)
	if k == Unknown && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		k = Transient
	}
	if k == Unknown {
		return err
	}
	return Wrap(k, err, format, args...)
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool { return KindOf(err) == kind }

// Retryable reports whether an operation that failed with err may succeed
// if tried again: transient, rate-limited and unknown errors are, the rest
// are not.
func Retryable(err error) bool {
	switch KindOf(err) {
	case Invalid, NotFound, Permission, Unauthenticated, Unsupported:
		return false
	default:
		return true
	}
}
