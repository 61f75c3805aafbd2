package tabular

import (
	"bytes"
	"context"
	"errors"
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

func TestConvertStrictTypes(t *testing.T) {
	data := "sku,qty\nA,1\nB,2\nC,3\nD,x\nE,5\n"
	in := mustInfer(t, data, CSV, Options{SampleRows: 3})
	if in.Complete || in.Columns[1].Type != warehouse.Int64 {
		t.Fatalf("sample inference = %+v", in)
	}
	var mp memParts
	_, err := Convert(context.Background(), strings.NewReader(data), CSV, in, ConvertOptions{NewPart: mp.newPart, StrictTypes: true})
	if !errors.Is(err, ErrTypeMismatch) || !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "line 5, column qty") {
		t.Fatalf("strict: err = %v, want a type mismatch naming line 5, column qty", err)
	}
	// Malformed rows are still rejected, not fatal, under StrictTypes.
	bad := "sku,qty\nA,1\nB,2,extra\nC,3\n"
	in = mustInfer(t, bad, CSV, Options{})
	mp = memParts{}
	st, err := Convert(context.Background(), strings.NewReader(bad), CSV, in, ConvertOptions{NewPart: mp.newPart, StrictTypes: true})
	if err != nil || st.RowsWritten != 2 || st.RowsRejected != 1 {
		t.Fatalf("strict with a malformed row: %+v, %v", st, err)
	}
	// Without StrictTypes the misfit is a reject.
	mp = memParts{}
	in = mustInfer(t, data, CSV, Options{SampleRows: 3})
	st, err = Convert(context.Background(), strings.NewReader(data), CSV, in, ConvertOptions{NewPart: mp.newPart})
	if err != nil || st.RowsRejected != 1 || st.RowsWritten != 4 {
		t.Fatalf("lenient: %+v, %v", st, err)
	}
}

func TestInferCountsValues(t *testing.T) {
	in := mustInfer(t, "a,b,c\n1,,x\n2,,\n3,NULL,y\n", CSV, Options{})
	want := map[string]int64{"a": 3, "b": 0, "c": 2}
	for _, c := range in.Columns {
		if c.Values != want[c.Name] {
			t.Errorf("column %s: Values = %d, want %d", c.Name, c.Values, want[c.Name])
		}
	}
}
