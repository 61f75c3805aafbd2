package main

import (
	"flag"
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps drivers' default-logger output out of test and benchmark
// results (benchmark lines must stay parseable) unless -v is given.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}
