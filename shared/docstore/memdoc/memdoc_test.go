package memdoc_test

import (
	"context"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/docstoretest"
	_ "github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestConformance(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T) *docstore.Store {
		s, err := docstore.Open(context.Background(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want errs.Kind
	}{
		{"mem://", errs.Unknown},
		{"MEM://", errs.Unknown},
		{"mem://host", errs.Invalid},
		{"mem:///some/path", errs.Invalid},
		{"mem://?x=1", errs.Invalid},
	} {
		s, err := docstore.Open(context.Background(), tc.url)
		if got := errs.KindOf(err); got != tc.want || (err == nil) != (tc.want == errs.Unknown) {
			t.Errorf("Open(%q) = %v, want kind %v", tc.url, err, tc.want)
		}
		if s != nil {
			s.Close()
		}
	}
}
