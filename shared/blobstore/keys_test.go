package blobstore_test

import (
	"path"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestSafeKey(t *testing.T) {
	tests := []struct {
		in, want string
		problem  string // a word the error must contain; "" means valid
	}{
		{"orders.csv", "orders.csv", ""},
		{"2026/01/orders.csv", "2026/01/orders.csv", ""},
		{"a//b///c.csv", "a/b/c.csv", ""},
		{"./a/./b", "a/b", ""},
		{"drop/acme/", "drop/acme/", ""},
		{"drop//acme//", "drop/acme/", ""},
		{"with space/Größe 😀.csv", "with space/Größe 😀.csv", ""},
		{"...", "...", ""},
		{"a/..b/c..", "a/..b/c..", ""},
		{"", "", "empty"},
		{"/etc/passwd", "", "absolute"},
		{"//x", "", "absolute"},
		{"..", "", ".."},
		{"../x", "", ".."},
		{"a/../../x", "", ".."},
		{"a/..", "", ".."},
		{"a/../b", "", ".."},
		{`a\..\b`, "", "backslash"},
		{`C:\x`, "", "backslash"},
		{"a\x00b", "", "control"},
		{"a\nb", "", "control"},
		{"a\x7fb", "", "control"},
		{"a\u0085b", "", "control"},
		{"bad\xffutf8", "", "UTF-8"},
		{".", "", "no object"},
		{"./", "", "no object"},
		{strings.Repeat("a", 1024), strings.Repeat("a", 1024), ""},
		{strings.Repeat("a", 1025), "", "over the limit"},
	}
	for _, tc := range tests {
		got, err := blobstore.SafeKey(tc.in)
		if tc.problem == "" {
			if err != nil || got != tc.want {
				t.Errorf("SafeKey(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("SafeKey(%q) = %q, want an error about %s", tc.in, got, tc.problem)
			continue
		}
		if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("SafeKey(%q) error %v (kind %v), want invalid mentioning %q", tc.in, err, errs.KindOf(err), tc.problem)
		}
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		prefix string
		parts  []string
		want   string
		ok     bool
	}{
		{"drop/acme", []string{"orders.csv"}, "drop/acme/orders.csv", true},
		{"drop/acme/", []string{"2026/01", "orders.csv"}, "drop/acme/2026/01/orders.csv", true},
		{"", []string{"a.csv"}, "a.csv", true},
		{"t/acme", []string{"staging/", "run-1/"}, "t/acme/staging/run-1/", true},
		{"drop/acme", []string{"a//b.csv"}, "drop/acme/a/b.csv", true},
		{"drop/acme", []string{"../other/orders.csv"}, "", false},
		{"drop/acme", []string{"/etc/passwd"}, "", false},
		{"drop/acme", []string{`..\x`}, "", false},
		{"drop/acme", []string{""}, "", false},
		{"drop/acme", nil, "", false},
		{"../x", []string{"a"}, "", false},
		{"/abs", []string{"a"}, "", false},
		{strings.Repeat("p", 1000), []string{strings.Repeat("n", 30)}, "", false},
	}
	for _, tc := range tests {
		got, err := blobstore.Join(tc.prefix, tc.parts...)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("Join(%q, %q) = %q, %v; want %q ok=%v", tc.prefix, tc.parts, got, err, tc.want, tc.ok)
		}
		if err != nil && errs.KindOf(err) != errs.Invalid {
			t.Errorf("Join(%q, %q) error kind %v, want invalid", tc.prefix, tc.parts, errs.KindOf(err))
		}
	}
}

func TestObjectURL(t *testing.T) {
	tests := []struct{ bucket, key, want string }{
		{"file:///abs/dir", "a/b.csv", "file:///abs/dir/a/b.csv"},
		{"file:///abs/dir/", "k", "file:///abs/dir/k"},
		{"file://./var/staging", "run-1/part-0.parquet", "file://./var/staging/run-1/part-0.parquet"},
		{"gs://b", "k", "gs://b/k"},
		{"gs://b?endpoint=http://127.0.0.1:4443", "dir/k.parquet", "gs://b/dir/k.parquet"},
		{"s3://bkt?region=eu-west-1", "/x/y", "s3://bkt/x/y"},
		{"azblob://c", "with space.csv", "azblob://c/with space.csv"},
	}
	for _, tc := range tests {
		if got := blobstore.ObjectURL(tc.bucket, tc.key); got != tc.want {
			t.Errorf("ObjectURL(%q, %q) = %q, want %q", tc.bucket, tc.key, got, tc.want)
		}
	}
}

// checkSafe asserts the properties every accepted key has.
func checkSafe(t *testing.T, in, key string) {
	t.Helper()
	if key == "" || len(key) > blobstore.MaxKeyLen || !utf8.ValidString(key) {
		t.Fatalf("SafeKey(%q) = %q: empty, too long or bad UTF-8", in, key)
	}
	if strings.HasPrefix(key, "/") || strings.Contains(key, "//") || strings.Contains(key, `\`) {
		t.Fatalf("SafeKey(%q) = %q: absolute, doubled slash or backslash", in, key)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		if seg == ".." || seg == "." || seg == "" {
			t.Fatalf("SafeKey(%q) = %q: segment %q", in, key, seg)
		}
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			t.Fatalf("SafeKey(%q) = %q: control character", in, key)
		}
	}
	// It stays inside the folder it is joined to.
	if p := path.Clean("/base/" + key); !strings.HasPrefix(p, "/base/") {
		t.Fatalf("SafeKey(%q) = %q escapes: %q", in, key, p)
	}
	// Cleaning is idempotent.
	if again, err := blobstore.SafeKey(key); err != nil || again != key {
		t.Fatalf("SafeKey(SafeKey(%q)) = %q, %v; want %q", in, again, err, key)
	}
}

func FuzzSafeKey(f *testing.F) {
	for _, s := range []string{"a/b.csv", "../x", "a//b/", "./.", `a\b`, "a\x00", "日本/語", "/abs", "..../..", strings.Repeat("ab/", 400)} {
		f.Add(s, "drop/acme")
	}
	f.Fuzz(func(t *testing.T, name, prefix string) {
		key, err := blobstore.SafeKey(name)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("SafeKey(%q) error kind %v, want invalid", name, errs.KindOf(err))
			}
		} else {
			checkSafe(t, name, key)
		}
		joined, err := blobstore.Join(prefix, name)
		if err != nil {
			return
		}
		checkSafe(t, name, joined)
		p, _ := blobstore.SafeKey(prefix)
		if p != "" && !strings.HasPrefix(joined, strings.TrimSuffix(p, "/")+"/") {
			t.Fatalf("Join(%q, %q) = %q is not under the prefix", prefix, name, joined)
		}
	})
}
