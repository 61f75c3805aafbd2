package driver

import (
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// QuoteIdent quotes an identifier for the dialect: "x" with embedded '"'
// doubled for PostgreSQL, `x` with embedded '`' doubled for MySQL. Empty
// names and names containing NUL are errs.Invalid.
func QuoteIdent(d sources.Dialect, name string) (string, error) {
	if name == "" {
		return "", errs.E(errs.Invalid, "sources: empty identifier")
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", errs.E(errs.Invalid, "sources: identifier contains a NUL byte")
	}
	q := `"`
	if d == sources.MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(name, q, q+q) + q, nil
}

// QuoteTable quotes schema.table (just table when schema is "").
func QuoteTable(d sources.Dialect, schema, table string) (string, error) {
	t, err := QuoteIdent(d, table)
	if err != nil || schema == "" {
		return t, err
	}
	s, err := QuoteIdent(d, schema)
	if err != nil {
		return "", err
	}
	return s + "." + t, nil
}

// Redact returns err with every occurrence of secret in its text replaced
// by "****" (Unwrap still reaches the original error for errors.Is / As).
// Drivers wrap server and client errors with it before they leave the
// package.
func Redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	return &redacted{err: err, secret: secret}
}

type redacted struct {
	err    error
	secret string
}

func (r *redacted) Error() string { return strings.ReplaceAll(r.err.Error(), r.secret, "****") }
func (r *redacted) Unwrap() error { return r.err }

// EvenCuts picks up to n-1 values, evenly spaced and distinct, from
// ascending equal-frequency bounds (a histogram whose first and last
// values are the least and greatest): the cuts that split the rows into
// n groups of about the same size. Nil with fewer than three bounds.
func EvenCuts(bounds []any, n int) []any {
	if len(bounds) < 3 || n < 2 {
		return nil
	}
	last := len(bounds) - 1
	var cuts []any
	for i := 1; i < n; i++ {
		j := (i*last + n/2) / n
		if j <= 0 || j >= last {
			continue
		}
		if len(cuts) > 0 && sources.Compare(cuts[len(cuts)-1], bounds[j]) >= 0 {
			continue
		}
		cuts = append(cuts, bounds[j])
	}
	return cuts
}
