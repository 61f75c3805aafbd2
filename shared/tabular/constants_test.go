package tabular

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestConvertConstants(t *testing.T) {
	data := "sku,qty\nA1,1\nA2,x\nA3,3\n"
	in := mustInfer(t, data, CSV, Options{})
	in, err := in.Override(warehouse.Schema{{Name: "sku", Type: warehouse.String, Nullable: true}, {Name: "qty", Type: warehouse.Int64, Nullable: true}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 30, 0, 123456000, time.UTC)
	var mp memParts
	st, err := Convert(context.Background(), strings.NewReader(data), CSV, in, ConvertOptions{
		NewPart: mp.newPart, RowsPerPart: 2, Rejects: &bytes.Buffer{},
		Constants: []Constant{
			{Name: "_src", Type: warehouse.String, Value: "drop/orders.csv"},
			{Name: "_n", Type: warehouse.Int64, Value: int64(7)},
			{Name: "_at", Type: warehouse.Timestamp, Value: at},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != 2 || st.RowsRejected != 1 || len(mp.parts) != 1 {
		t.Fatalf("stats = %+v, parts %d", st, len(mp.parts))
	}
	schema, rows := readParquet(t, mp.parts[0].Bytes())
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "sku,qty,_src,_n,_at" {
		t.Fatalf("columns = %s", got)
	}
	want := [][]any{
		{"A1", int64(1), "drop/orders.csv", int64(7), "2026-11-26T10:30:00.123456Z"},
		{"A3", int64(3), "drop/orders.csv", int64(7), "2026-11-26T10:30:00.123456Z"},
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("row %d col %d = %v, want %v", i, j, rows[i][j], want[i][j])
			}
		}
	}
}

func TestConvertConstantsInvalid(t *testing.T) {
	in := mustInfer(t, "a\n1\n", CSV, Options{})
	var mp memParts
	for name, k := range map[string]Constant{
		"clash":      {Name: "a", Type: warehouse.String, Value: "x"},
		"empty":      {Name: "", Type: warehouse.String, Value: "x"},
		"wrong type": {Name: "b", Type: warehouse.Int64, Value: "x"},
		"bad type":   {Name: "b", Type: warehouse.Bool, Value: true},
	} {
		_, err := Convert(context.Background(), strings.NewReader("a\n1\n"), CSV, in, ConvertOptions{NewPart: mp.newPart, Constants: []Constant{k}})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}
