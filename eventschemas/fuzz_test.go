package eventschemas

import (
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// FuzzValidate checks that Validate never panics and that every failure is
// errs.Invalid, for any event type and any bytes.
func FuzzValidate(f *testing.F) {
	for _, typ := range Types() {
		ex, err := Example(typ)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(typ, ex)
		f.Add(typ, []byte(`{}`))
		f.Add(typ, []byte(`null`))
	}
	f.Add("", []byte(`{"tenant":`))
	f.Add(TypeRunFinished, []byte(`{"rows_read":1e400}`))
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		err := v.Validate(typ, data)
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("kind = %v, want invalid: %v", errs.KindOf(err), err)
		}
	})
}
