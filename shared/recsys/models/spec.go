// Package models trains the recommendation models of the platform from a
// data.Dataset: the classic baselines (popularity, buy-again, item-kNN,
// implicit ALS, EASE), blends of them, and the model a user gets by
// default ("recommended", in package rank). A model is named by a spec,
// `name[:key=value,...]`, as on the `recs eval` command line.
package models

import (
	"sort"
	"strconv"
	"strings"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Spec is a parsed model spec.
type Spec struct {
	Raw    string // as written
	Name   string
	Params map[string]string
	used   map[string]bool
}

// ParseSpec parses `name[:key=value,...]`.
func ParseSpec(s string) (*Spec, error) {
	raw := strings.TrimSpace(s)
	name, rest, _ := strings.Cut(raw, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil, errs.Userf(errs.Invalid, "model spec %q has no model name (write name[:key=value,...], e.g. ease:lambda=500)", s)
	}
	sp := &Spec{Raw: raw, Name: name, Params: map[string]string{}, used: map[string]bool{}}
	if strings.TrimSpace(rest) == "" {
		return sp, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, errs.Userf(errs.Invalid, "model spec %q: %q is not key=value", s, kv)
		}
		if _, dup := sp.Params[k]; dup {
			return nil, errs.Userf(errs.Invalid, "model spec %q sets %s twice", s, k)
		}
		sp.Params[k] = v
	}
	return sp, nil
}

// SplitSpecs splits a comma-separated list of specs, where a spec's own
// parameters also use commas: a new spec starts at an element without "=".
func SplitSpecs(list string) []string {
	var out []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if len(out) > 0 && strings.Contains(part, "=") && !strings.Contains(part, ":") {
			out[len(out)-1] += "," + part
			continue
		}
		out = append(out, part)
	}
	return out
}

// Float returns a float parameter, or def when it is not set.
func (s *Spec) Float(key string, def float64) (float64, error) {
	s.used[key] = true
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, errs.Userf(errs.Invalid, "model %s: %s=%q is not a number", s.Name, key, v)
	}
	return f, nil
}

// Int returns an integer parameter, or def when it is not set.
func (s *Spec) Int(key string, def int) (int, error) {
	s.used[key] = true
	v, ok := s.Params[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.Userf(errs.Invalid, "model %s: %s=%q is not a whole number", s.Name, key, v)
	}
	return n, nil
}

// String returns a string parameter, or def when it is not set.
func (s *Spec) String(key, def string) string {
	s.used[key] = true
	if v, ok := s.Params[key]; ok {
		return v
	}
	return def
}

// Unused reports parameters no getter asked for (a typo in a spec).
func (s *Spec) Unused() error {
	var bad []string
	for k := range s.Params {
		if !s.used[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	var known []string
	for k := range s.used {
		known = append(known, k)
	}
	sort.Strings(known)
	return errs.Userf(errs.Invalid, "model %s has no parameter %s (it takes: %s)", s.Name, strings.Join(bad, ", "), strings.Join(known, ", "))
}

// Range checks lo <= v <= hi.
func Range[T int | float64](s *Spec, key string, v, lo, hi T) error {
	if v < lo || v > hi {
		return errs.Userf(errs.Invalid, "model %s: %s=%v is out of range (%v to %v)", s.Name, key, v, lo, hi)
	}
	return nil
}
