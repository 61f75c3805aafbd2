package blobstore_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestCompareGenerations(t *testing.T) {
	tests := []struct {
		a, b string
		c    int
		ok   bool
	}{
		{"1", "2", -1, true},
		{"2", "1", 1, true},
		{"1764547200000000000", "1764547200000000000", 0, true},
		{"9", "10", -1, true}, // numeric, not lexical
		{"", "1", 0, false},
		{"abc", "1", 0, false},
		{"1", "v2", 0, false},
	}
	for _, tt := range tests {
		c, ok := blobstore.CompareGenerations(tt.a, tt.b)
		if c != tt.c || ok != tt.ok {
			t.Errorf("CompareGenerations(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, c, ok, tt.c, tt.ok)
		}
	}
}

// attrsGen writes content and returns the new version's generation, also
// checking that listing reports the same generation.
func writeGen(t *testing.T, b *blob.Bucket, key, content string) string {
	t.Helper()
	ctx := context.Background()
	if err := b.WriteAll(ctx, key, []byte(content), nil); err != nil {
		t.Fatal(err)
	}
	a, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	gen := blobstore.Generation(a)
	it := b.List(&blob.ListOptions{Prefix: key})
	o, err := it.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lg := blobstore.ListGeneration(o); lg != gen {
		t.Fatalf("list generation %s != attributes generation %s", lg, gen)
	}
	return gen
}

func readAt(b *blob.Bucket, key, gen string) (string, error) {
	r, err := b.NewReader(context.Background(), key, blobstore.AtGeneration(gen))
	if err != nil {
		return "", err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return string(data), err
}

func TestGenerationsFolder(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, "file://"+dir)
	g1 := writeGen(t, b, "in/a.csv", "v1")
	fi, err := os.Stat(filepath.Join(dir, "in", "a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if fg := blobstore.FileGeneration(fi); fg != g1 {
		t.Fatalf("FileGeneration (what the drop watcher announces) %s != bucket generation %s", fg, g1)
	}
	if got, err := readAt(b, "in/a.csv", g1); err != nil || got != "v1" {
		t.Fatalf("read at its own generation = %q, %v", got, err)
	}
	time.Sleep(20 * time.Millisecond)
	g2 := writeGen(t, b, "in/a.csv", "v2")
	if c, ok := blobstore.CompareGenerations(g2, g1); !ok || c != 1 {
		t.Fatalf("rewrite generation %s not newer than %s", g2, g1)
	}
	_, err = readAt(b, "in/a.csv", g1)
	if !errors.Is(err, blobstore.ErrGenerationChanged) || errs.KindOf(err) != errs.Conflict {
		t.Fatalf("read of a replaced generation: err %v, want ErrGenerationChanged (Conflict)", err)
	}
	if got, err := readAt(b, "in/a.csv", g2); err != nil || got != "v2" {
		t.Fatalf("read at the new generation = %q, %v", got, err)
	}
	// A file moved in with an old modification time (cp -p, an unpacked
	// archive) is still a newer version.
	time.Sleep(20 * time.Millisecond)
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "in", "a.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	a, err := b.Attributes(context.Background(), "in/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := blobstore.CompareGenerations(blobstore.Generation(a), g2); !ok || c != 1 {
		t.Fatalf("generation after setting an old mtime = %s, not newer than %s", blobstore.Generation(a), g2)
	}
}

func TestGenerationsGCSFakeServer(t *testing.T) {
	srv, newBucket := newFakeGCS(t)
	b := mustOpen(t, "gs://"+newBucket()+"?endpoint="+url.QueryEscape(srv.URL()))
	g1 := writeGen(t, b, "in/a.csv", "v1")
	g2 := writeGen(t, b, "in/a.csv", "v2")
	if c, ok := blobstore.CompareGenerations(g2, g1); !ok || c != 1 {
		t.Fatalf("rewrite generation %s not newer than %s", g2, g1)
	}
	if got, err := readAt(b, "in/a.csv", g2); err != nil || got != "v2" {
		t.Fatalf("read at the new generation = %q, %v", got, err)
	}
	// The bucket keeps no old versions: the replaced one is gone, and a
	// pinned read must not return the new content instead.
	got, err := readAt(b, "in/a.csv", g1)
	if err == nil && got != "v1" {
		t.Fatalf("read pinned to generation %s returned %q", g1, got)
	}
	if err != nil && blobstore.KindOf(err) != errs.NotFound {
		t.Fatalf("read of a replaced generation: %v (kind %s), want not found", err, blobstore.KindOf(err))
	}
}
