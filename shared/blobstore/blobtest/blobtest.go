// Package blobtest is the conformance suite for buckets: every way of opening
// a bucket that b2brecs supports must pass Run. It covers what the product
// does with buckets (file drops, staging Parquet parts, model artifacts, the
// SPA), not all of gocloud's blob API.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Run runs the suite. open must return an empty bucket that stays usable
// until the test ends; it is called once per subtest. Run closes the buckets.
func Run(t *testing.T, open func(t *testing.T) *blob.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, b *blob.Bucket)
	}{
		{"RoundTripContentType", testRoundTrip},
		{"Attributes", testAttributes},
		{"ListPrefixDelimiter", testList},
		{"AwkwardKeys", testAwkwardKeys},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"NotFoundKinds", testNotFound},
		{"Stream5MB", testStream},
		{"ConcurrentWriters", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			b := open(t)
			t.Cleanup(func() {
				if err := b.Close(); err != nil {
					t.Errorf("close bucket: %v", err)
				}
			})
			tc.fn(t, ctx, b)
		})
	}
}

func write(t *testing.T, ctx context.Context, b *blob.Bucket, key string, data []byte, contentType string) {
	t.Helper()
	if err := blobstore.WriteAll(ctx, b, key, data, contentType); err != nil {
		t.Fatalf("write %q: %v", key, err)
	}
}

func read(t *testing.T, ctx context.Context, b *blob.Bucket, key string) []byte {
	t.Helper()
	data, err := blobstore.ReadAll(ctx, b, key)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data
}

func testRoundTrip(t *testing.T, ctx context.Context, b *blob.Bucket) {
	cases := []struct {
		key, contentType string
		data             []byte
	}{
		{"orders.csv", "text/csv", []byte("order_id,sku,qty\n1,A-1,3\n2,B-7,1\n")},
		{"part-0001.parquet", "application/vnd.apache.parquet", []byte("PAR1\x00\x01\x02binary\xffPAR1")},
		{"config.json", "application/json", []byte(`{"k":"v"}`)},
	}
	for _, c := range cases {
		write(t, ctx, b, c.key, c.data, c.contentType)
	}
	for _, c := range cases {
		if got := read(t, ctx, b, c.key); !bytes.Equal(got, c.data) {
			t.Errorf("%s: read %q, want %q", c.key, got, c.data)
		}
		a, err := b.Attributes(ctx, c.key)
		if err != nil {
			t.Fatalf("attributes %q: %v", c.key, err)
		}
		if a.ContentType != c.contentType {
			t.Errorf("%s: content type %q, want %q", c.key, a.ContentType, c.contentType)
		}
		r, err := b.NewReader(ctx, c.key, nil)
		if err != nil {
			t.Fatalf("reader %q: %v", c.key, err)
		}
		if r.ContentType() != c.contentType || r.Size() != int64(len(c.data)) {
			t.Errorf("%s: reader content type %q size %d, want %q %d", c.key, r.ContentType(), r.Size(), c.contentType, len(c.data))
		}
		if err := r.Close(); err != nil {
			t.Errorf("close reader: %v", err)
		}
	}
}

func testAttributes(t *testing.T, ctx context.Context, b *blob.Bucket) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	before := time.Now().Add(-5 * time.Minute)
	write(t, ctx, b, "dir/attrs.bin", data, "application/octet-stream")
	after := time.Now().Add(5 * time.Minute)

	a, err := b.Attributes(ctx, "dir/attrs.bin")
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if a.Size != int64(len(data)) {
		t.Errorf("size %d, want %d", a.Size, len(data))
	}
	if len(a.MD5) > 0 {
		want := md5.Sum(data)
		if !bytes.Equal(a.MD5, want[:]) {
			t.Errorf("md5 %x, want %x", a.MD5, want)
		}
	}
	if a.ModTime.Before(before) || a.ModTime.After(after) {
		t.Errorf("mod time %v, want between %v and %v", a.ModTime, before, after)
	}

	// List reports the same size.
	it := b.List(&blob.ListOptions{Prefix: "dir/"})
	obj, err := it.Next(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if obj.Key != "dir/attrs.bin" || obj.Size != int64(len(data)) || obj.IsDir {
		t.Errorf("listed %q size %d dir %v, want dir/attrs.bin size %d", obj.Key, obj.Size, obj.IsDir, len(data))
	}
}

// listAll lists everything under prefix with delimiter, returning keys (with
// a trailing "/" marking directories, as gocloud reports them).
func listAll(t *testing.T, ctx context.Context, b *blob.Bucket, prefix, delim string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix, Delimiter: delim})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("list %q %q: %v", prefix, delim, err)
		}
		k := obj.Key
		if obj.IsDir && k[len(k)-1] != '/' {
			t.Errorf("directory %q does not end in the delimiter", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testList(t *testing.T, ctx context.Context, b *blob.Bucket) {
	for _, k := range []string{
		"drop/acme/2026/01/a.csv",
		"drop/acme/2026/01/b.csv",
		"drop/acme/2026/02/c.csv",
		"drop/acme/readme.txt",
		"drop/acmecorp/x.csv",
		"staging/run-1/part-0.parquet",
		"top.txt",
	} {
		write(t, ctx, b, k, []byte(k), "text/plain")
	}
	cases := []struct {
		prefix, delim string
		want          []string
	}{
		{"", "", []string{
			"drop/acme/2026/01/a.csv", "drop/acme/2026/01/b.csv", "drop/acme/2026/02/c.csv",
			"drop/acme/readme.txt", "drop/acmecorp/x.csv", "staging/run-1/part-0.parquet", "top.txt",
		}},
		{"", "/", []string{"drop/", "staging/", "top.txt"}},
		{"drop/acme/", "/", []string{"drop/acme/2026/", "drop/acme/readme.txt"}},
		{"drop/acme/2026/", "/", []string{"drop/acme/2026/01/", "drop/acme/2026/02/"}},
		{"drop/acme/2026/01/", "/", []string{"drop/acme/2026/01/a.csv", "drop/acme/2026/01/b.csv"}},
		{"drop/acme", "", []string{
			"drop/acme/2026/01/a.csv", "drop/acme/2026/01/b.csv", "drop/acme/2026/02/c.csv",
			"drop/acme/readme.txt", "drop/acmecorp/x.csv",
		}},
		{"drop/acme/", "", []string{
			"drop/acme/2026/01/a.csv", "drop/acme/2026/01/b.csv", "drop/acme/2026/02/c.csv", "drop/acme/readme.txt",
		}},
		{"nothing/", "/", nil},
	}
	for _, c := range cases {
		if got := listAll(t, ctx, b, c.prefix, c.delim); !equal(got, c.want) {
			t.Errorf("list prefix %q delim %q:\n got %q\nwant %q", c.prefix, c.delim, got, c.want)
		}
	}

	// Paging returns every object once.
	var seen []string
	opts := &blob.ListOptions{Prefix: "drop/"}
	token := blob.FirstPageToken
	for range 10 {
		page, next, err := b.ListPage(ctx, token, 2, opts)
		if err != nil {
			t.Fatalf("list page: %v", err)
		}
		if len(page) > 2 {
			t.Errorf("page of %d objects, asked for 2", len(page))
		}
		for _, o := range page {
			seen = append(seen, o.Key)
		}
		if len(next) == 0 {
			break
		}
		token = next
	}
	sort.Strings(seen)
	if want := cases[0].want[:5]; !equal(seen, want) {
		t.Errorf("paged list: got %q, want %q", seen, want)
	}
}

func testAwkwardKeys(t *testing.T, ctx context.Context, b *blob.Bucket) {
	keys := []string{
		"a/b/c/deep/nested/file.csv",
		"with space/order lines 2026.csv",
		"unicode/Bestellungen-Größe-日本語-😀.csv",
		"symbols/a+b=c,d;e@f(1)[2]&~'!$.txt",
		"percent/100%.csv",
		"dots/v1.2.3/file..name.csv",
	}
	for i, k := range keys {
		write(t, ctx, b, k, fmt.Appendf(nil, "payload %d", i), "text/plain")
	}
	for i, k := range keys {
		if got, want := string(read(t, ctx, b, k)), fmt.Sprintf("payload %d", i); got != want {
			t.Errorf("%q: read %q, want %q", k, got, want)
		}
		if ok, err := b.Exists(ctx, k); err != nil || !ok {
			t.Errorf("%q: exists = %v, %v", k, ok, err)
		}
	}
	got := listAll(t, ctx, b, "", "")
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if !equal(got, want) {
		t.Errorf("list:\n got %q\nwant %q", got, want)
	}
	if got := listAll(t, ctx, b, "unicode/", "/"); !equal(got, []string{keys[2]}) {
		t.Errorf("list unicode/: got %q", got)
	}
	if got := listAll(t, ctx, b, "with space/", "/"); !equal(got, []string{keys[1]}) {
		t.Errorf("list with space/: got %q", got)
	}
}

func testOverwrite(t *testing.T, ctx context.Context, b *blob.Bucket) {
	write(t, ctx, b, "state/watermark.json", []byte(`{"v":1, "long":"xxxxxxxxxxxxxxxx"}`), "application/json")
	write(t, ctx, b, "state/watermark.json", []byte(`{"v":2}`), "text/plain")
	if got := string(read(t, ctx, b, "state/watermark.json")); got != `{"v":2}` {
		t.Errorf("after overwrite read %q", got)
	}
	a, err := b.Attributes(ctx, "state/watermark.json")
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if a.Size != 7 || a.ContentType != "text/plain" {
		t.Errorf("after overwrite size %d type %q, want 7 text/plain", a.Size, a.ContentType)
	}
	if got := listAll(t, ctx, b, "state/", ""); !equal(got, []string{"state/watermark.json"}) {
		t.Errorf("after overwrite list %q", got)
	}
}

func testDelete(t *testing.T, ctx context.Context, b *blob.Bucket) {
	write(t, ctx, b, "tmp/a.txt", []byte("a"), "text/plain")
	write(t, ctx, b, "tmp/b.txt", []byte("b"), "text/plain")
	if err := b.Delete(ctx, "tmp/a.txt"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if ok, err := b.Exists(ctx, "tmp/a.txt"); err != nil || ok {
		t.Errorf("exists after delete = %v, %v; want false, nil", ok, err)
	}
	if got := listAll(t, ctx, b, "tmp/", ""); !equal(got, []string{"tmp/b.txt"}) {
		t.Errorf("list after delete %q", got)
	}
	err := blobstore.Wrap(b.Delete(ctx, "tmp/a.txt"), "delete again")
	if k := errs.KindOf(err); k != errs.NotFound {
		t.Errorf("deleting a missing object: kind %v (%v), want not_found", k, err)
	}
}

func testNotFound(t *testing.T, ctx context.Context, b *blob.Bucket) {
	write(t, ctx, b, "present.txt", []byte("x"), "text/plain")
	for _, key := range []string{"missing.txt", "dir/missing.csv", "present.txt/child"} {
		if _, err := blobstore.ReadAll(ctx, b, key); errs.KindOf(err) != errs.NotFound {
			t.Errorf("ReadAll %q: %v (kind %v), want not_found", key, err, errs.KindOf(err))
		}
		if _, err := b.Attributes(ctx, key); blobstore.KindOf(err) != errs.NotFound {
			t.Errorf("Attributes %q: %v, want not_found", key, err)
		}
		_, err := b.NewReader(ctx, key, nil)
		if blobstore.KindOf(err) != errs.NotFound {
			t.Errorf("NewReader %q: %v, want not_found", key, err)
		}
	}
	// fileblob's Exists fails (rather than reporting false) when a parent
	// "folder" is a file, so Exists is checked on plain missing keys only.
	for _, key := range []string{"missing.txt", "dir/missing.csv"} {
		if ok, err := b.Exists(ctx, key); err != nil || ok {
			t.Errorf("Exists %q = %v, %v; want false, nil", key, ok, err)
		}
	}
}

func testStream(t *testing.T, ctx context.Context, b *blob.Bucket) {
	const size = 5 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	w, err := b.NewWriter(ctx, "big/model.bin", &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	// Write in uneven chunks, as a producer streaming Parquet would.
	for off := 0; off < size; {
		n := min(size-off, 64<<10+off%777)
		if _, err := w.Write(data[off : off+n]); err != nil {
			t.Fatalf("write at %d: %v", off, err)
		}
		off += n
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer: %v", err)
	}
	a, err := b.Attributes(ctx, "big/model.bin")
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if a.Size != size {
		t.Errorf("size %d, want %d", a.Size, size)
	}
	r, err := b.NewReader(ctx, "big/model.bin", nil)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, make([]byte, 32<<10))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close reader: %v", err)
	}
	want := sha256.Sum256(data)
	if n != size || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("streamed %d bytes with sha256 %x, want %d bytes %x", n, h.Sum(nil), size, want)
	}
	// A range read in the middle (Parquet footers are read this way).
	rr, err := b.NewRangeReader(ctx, "big/model.bin", size-4096, 1000, nil)
	if err != nil {
		t.Fatalf("range reader: %v", err)
	}
	got, err := io.ReadAll(rr)
	rr.Close()
	if err != nil || !bytes.Equal(got, data[size-4096:size-3096]) {
		t.Errorf("range read: %d bytes, err %v; content mismatch", len(got), err)
	}
}

func testConcurrent(t *testing.T, ctx context.Context, b *blob.Bucket) {
	const writers, perWriter = 8, 5
	var wg sync.WaitGroup
	errc := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("staging/run-7/part-%02d-%02d.parquet", w, i)
				data := bytes.Repeat(fmt.Appendf(nil, "%d/%d;", w, i), 1000+w*100+i)
				if err := blobstore.WriteAll(ctx, b, key, data, "application/octet-stream"); err != nil {
					errc <- err
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent write: %v", err)
	}
	keys := listAll(t, ctx, b, "staging/run-7/", "")
	if len(keys) != writers*perWriter {
		t.Fatalf("listed %d parts, want %d", len(keys), writers*perWriter)
	}
	for w := range writers {
		for i := range perWriter {
			key := fmt.Sprintf("staging/run-7/part-%02d-%02d.parquet", w, i)
			want := bytes.Repeat(fmt.Appendf(nil, "%d/%d;", w, i), 1000+w*100+i)
			if got := read(t, ctx, b, key); !bytes.Equal(got, want) {
				t.Errorf("%s: %d bytes, want %d", key, len(got), len(want))
			}
		}
	}
}
