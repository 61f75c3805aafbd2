package registry

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func opener(name string) Opener[string] {
	return func(context.Context, *url.URL) (string, error) { return name, nil }
}

func TestRegisterAndOpen(t *testing.T) {
	r := New[string]("thing")
	r.Register("Mem", opener("mem"))
	r.Register("file", opener("file"))
	for _, tc := range []struct {
		url, want string
		kind      errs.Kind
	}{
		{"mem://", "mem", errs.Unknown},
		{"MEM://x", "mem", errs.Unknown}, // schemes are case-insensitive
		{"file:///tmp/x", "file", errs.Unknown},
		{"nope://x", "", errs.Invalid},
		{"::", "", errs.Invalid},
	} {
		got, err := r.Open(context.Background(), tc.url)
		if got != tc.want || errs.KindOf(err) != tc.kind {
			t.Errorf("Open(%q) = %q, %v; want %q, kind %v", tc.url, got, err, tc.want, tc.kind)
		}
	}
	if got := strings.Join(r.Schemes(), ","); got != "file,mem" {
		t.Errorf("Schemes = %s, want file,mem (lower case)", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scheme string
		o      URLOpener[string]
	}{
		{"duplicate", "mem", opener("again")},
		{"duplicate in another case", "MEM", opener("again")},
		{"empty scheme", "", opener("x")},
		{"scheme with a colon", "a:b", opener("x")},
		{"scheme starting with a digit", "1x", opener("x")},
		{"nil opener", "other", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New[string]("thing")
			r.Register("mem", opener("mem"))
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", tc.scheme)
				}
			}()
			r.Register(tc.scheme, tc.o)
		})
	}
}

// dependent is an opener value carrying a dependency, as a bus-backed
// scheduler does.
type dependent struct{ dep string }

func (d *dependent) OpenURL(_ context.Context, u *url.URL) (string, error) {
	return d.dep + "@" + u.Host, nil
}

func TestWith(t *testing.T) {
	r := New[string]("thing")
	r.Register("mem", opener("default"))
	w := r.With("local", &dependent{dep: "bus"}).With("MEM", opener("replaced"))
	ctx := context.Background()
	if got, err := w.Open(ctx, "local://h"); err != nil || got != "bus@h" {
		t.Errorf("With: Open(local://h) = %q, %v; want bus@h", got, err)
	}
	if got, _ := w.Open(ctx, "mem://"); got != "replaced" {
		t.Errorf("With: Open(mem://) = %q, want replaced", got)
	}
	if got, _ := r.Open(ctx, "mem://"); got != "default" {
		t.Errorf("original: Open(mem://) = %q, want default (With must not change it)", got)
	}
	if _, err := r.Open(ctx, "local://h"); !errs.Is(err, errs.Invalid) {
		t.Errorf("original: Open(local://h) = %v, want invalid", err)
	}
}
