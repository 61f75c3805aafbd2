package main

import (
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestDropQuietFromEnv(t *testing.T) {
	for v, want := range map[string]time.Duration{"": DefaultDropQuiet, "50ms": 50 * time.Millisecond, " 2s ": 2 * time.Second} {
		if got, err := dropQuietFromEnv(func(string) string { return v }); err != nil || got != want {
			t.Errorf("%q: %v, %v", v, got, err)
		}
	}
	for _, v := range []string{"5ms", "2m", "fast", "250"} {
		if _, err := dropQuietFromEnv(func(string) string { return v }); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v, want invalid", v, err)
		}
	}
}
