package sqlitedoc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// validField is the rule the fuzz test checks the driver against,
// written out independently of docstore.ValidateField.
func validField(s string) bool {
	if len(s) == 0 || len(s) > 64 || strings.HasPrefix(s, "_ds_") {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// FuzzQuery builds and runs queries from arbitrary field names, operators
// and values: it must never panic, must reject every invalid field name as
// errs.Invalid, must never put a field name into the SQL text, and every
// query it accepts must run.
func FuzzQuery(f *testing.F) {
	f.Add("name", "==", "bob", "n", int64(3), 1.5, true, 0)
	f.Add("a.b", "<", "x", "", int64(0), 0.0, false, 1)
	f.Add("x'); DROP TABLE docs; --", ">=", "", "y", int64(-1), -2.5, true, 2)
	f.Add("_ds_version", "<=", "2026-01-01T00:00:00Z", "$", int64(1<<62), 1e300, false, 3)
	f.Add("ok", "!=", "é", "a b", int64(0), 0.0, true, 4)
	ctx := context.Background()
	s, err := docstore.Open(ctx, "sqlite::memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if _, err := s.Put(ctx, docstore.Key{Tenant: "t", Kind: "k", ID: "1"}, []byte(`{"name":"bob","n":3,"ok":true,"at":"2026-01-01T00:00:00Z","x":[1]}`), docstore.Any); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, field, op, str, orderBy string, i int64, fl float64, b bool, which int) {
		var v any
		switch uint(which) % 4 {
		case 0:
			v = str
		case 1:
			v = i
		case 2:
			v = fl
		default:
			v = b
		}
		q := docstore.Query{Tenant: "t", Kind: "k", Filters: []docstore.Filter{{Field: field, Op: docstore.Op(op), Value: v}}, OrderBy: orderBy, Limit: int(uint(which) % 3)}
		sql, _, err := sqlitedoc.BuildQuery(q)
		validOp := op == "==" || op == "<" || op == "<=" || op == ">" || op == ">="
		_, vErr := docstore.FilterValue(v)
		wantOK := validField(field) && validOp && vErr == nil && (orderBy == "" || validField(orderBy))
		if !wantOK {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("BuildQuery(%+v) = %v, want Invalid", q, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("BuildQuery(%+v): %v", q, err)
		}
		if strings.Contains(sql, field) || (orderBy != "" && strings.Contains(sql, orderBy)) {
			// Short names such as "d" or "id" may occur in the fixed SQL text;
			// a name long enough to be unique must not.
			if len(field) > 12 || len(orderBy) > 12 {
				t.Fatalf("field name in SQL: %s", sql)
			}
		}
		if _, err := s.List(ctx, q); err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
	})
}
