package tabular

import (
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Values repeated on consecutive rows (which inference and coercion
// remember) read exactly as when they are not repeated: around nulls,
// null tokens and rejects.
func TestRepeatedValues(t *testing.T) {
	data := "n,d,s\n" +
		"5,2024-01-02 10:00:00,a\n" +
		"5,2024-01-02 10:00:00,a\n" +
		",,\n" +
		"5,2024-01-02 10:00:00,a\n" +
		"NULL,NULL,NULL\n" +
		"x,2024-01-02 10:00:00,a\n" +
		"x,2024-01-02 10:00:00,a\n" +
		"5,2024-01-02 10:00:00,NULL\n"
	in := mustInfer(t, data, CSV, Options{})
	if in.Columns[0].Type != warehouse.String || in.Columns[1].Type != warehouse.Timestamp || in.Columns[2].Type != warehouse.String {
		t.Fatalf("inferred %+v", in.Columns)
	}
	if in.Columns[0].Values != 6 || in.Columns[1].Values != 6 || in.Columns[2].Values != 5 {
		t.Errorf("values %d %d %d", in.Columns[0].Values, in.Columns[1].Values, in.Columns[2].Values)
	}
	// INT64 for n, so that the "x" rows are rejected.
	in, err := in.Override(warehouse.Schema{
		{Name: "n", Type: warehouse.Int64, Nullable: true},
		{Name: "d", Type: warehouse.Timestamp, Nullable: true},
		{Name: "s", Type: warehouse.String, Nullable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := convert(t, data, CSV, in, 0)
	if res.stats.RowsWritten != 6 || res.stats.RowsRejected != 2 {
		t.Fatalf("stats %+v", res.stats)
	}
	ts := "2024-01-02T10:00:00Z"
	want := [][]any{
		{int64(5), ts, "a"},
		{int64(5), ts, "a"},
		{nil, nil, nil},
		{int64(5), ts, "a"},
		{nil, nil, "NULL"},
		{int64(5), ts, "NULL"},
	}
	if len(res.rows) != len(want) {
		t.Fatalf("rows %v", res.rows)
	}
	for i := range want {
		for j := range want[i] {
			if res.rows[i][j] != want[i][j] {
				t.Errorf("row %d col %d = %v, want %v", i, j, res.rows[i][j], want[i][j])
			}
		}
	}
	for i, rj := range res.rejects {
		if rj.Line != int64(7+i) || rj.Column != "n" {
			t.Errorf("reject %d = %+v", i, rj)
		}
	}
}
