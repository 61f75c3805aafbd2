package etl

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/memdoc"
)

// A long message is cut at maxLogMessage bytes on a character boundary,
// so a run's log stays one document of bounded size.
func TestRunLogCutsLongMessages(t *testing.T) {
	ctx := context.Background()
	s := New(docstore.NewStore(memdoc.New()), nil, nil, nil)
	run := Run{ID: "r_1", Tenant: "acme", Status: StatusRunning}
	if _, err := docstore.Put(ctx, s.store, docstore.Key{Tenant: "acme", Kind: KindRun, ID: "r_1"}, run, docstore.MustCreate); err != nil {
		t.Fatal(err)
	}
	s.runLog(ctx, run, LogError, PhaseLoad, strings.Repeat("é", 400), nil) // 800 bytes
	s.runLog(ctx, run, LogInfo, PhaseLoad, "short", nil)
	l, err := s.RunLogs(ctx, "acme", "r_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Lines) != 2 {
		t.Fatalf("lines = %+v", l.Lines)
	}
	got := l.Lines[0].Message
	if want := strings.Repeat("é", maxLogMessage/2) + "…"; got != want || !utf8.ValidString(got) {
		t.Errorf("cut message = %d bytes %q, want %d bytes", len(got), got, len(want))
	}
	if l.Lines[1].Message != "short" || l.Lines[1].Seq != 2 {
		t.Errorf("second line = %+v", l.Lines[1])
	}
}
