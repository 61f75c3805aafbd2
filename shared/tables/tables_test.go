package tables_test

import (
	"context"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tables"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// noWarehouse fails the test if a warehouse is opened: the names below
// are answered before any.
type noWarehouse struct{ t *testing.T }

func (n noWarehouse) Warehouse(context.Context, string) (*warehouse.Warehouse, error) {
	n.t.Fatal("a warehouse was opened for a name that needs none")
	return nil, nil
}

// Internal datasets are neither listed nor readable, and names that
// cannot be datasets are refused, without asking the warehouse. (Tables
// that exist are read in shared/api's tests on DuckDB.)
func TestNames(t *testing.T) {
	ctx := context.Background()
	svc := tables.New(noWarehouse{t})
	if ts, err := svc.List(ctx, "acme", "_b2brecs_meta"); err != nil || ts == nil || len(ts) != 0 {
		t.Errorf("List of an internal dataset = %#v, %v; want an empty list", ts, err)
	}
	if _, err := svc.List(ctx, "acme", "raw data; DROP"); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "dataset" {
		t.Errorf("List of a bad name = %v, want invalid about dataset", err)
	}
	for _, c := range [][2]string{{"_b2brecs_meta", "runs"}, {"raw_data", "a-b"}, {"raw data", "t"}} {
		_, err := svc.Get(ctx, "acme", c[0], c[1], 5)
		want := `there is no table "` + c[1] + `" in dataset "` + c[0] + `": a job creates its table at its first load`
		if !errs.Is(err, errs.NotFound) || errs.UserMessage(err) != want {
			t.Errorf("Get(%s.%s) = %v (%q), want not found: %s", c[0], c[1], err, errs.UserMessage(err), want)
		}
	}
}
