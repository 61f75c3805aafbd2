package warehouse

import (
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestResolveReplaceWhere(t *testing.T) {
	cols := Schema{
		{Name: "_b2b_source_file", Type: String},
		{Name: "Batch", Type: Int64},
		{Name: "amount", Type: Numeric},
		{Name: "score", Type: Float64},
		{Name: "ok", Type: Bool},
		{Name: "at", Type: Timestamp},
		{Name: "day", Type: Date},
	}
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2025, 1, 2, 4, 5, 6, 0, berlin)
	ok := []struct {
		in   []Param
		want []Param
	}{
		{[]Param{{Name: "_b2b_source_file", Value: "it's.csv"}}, []Param{{Name: "_b2b_source_file", Value: "it's.csv"}}},
		{[]Param{{Name: "batch", Value: int64(3)}, {Name: "AMOUNT", Value: int64(2)}, {Name: "score", Value: int64(1)}},
			[]Param{{Name: "Batch", Value: int64(3)}, {Name: "amount", Value: int64(2)}, {Name: "score", Value: int64(1)}}},
		{[]Param{{Name: "score", Value: 0.5}, {Name: "amount", Value: 1.5}, {Name: "ok", Value: false}},
			[]Param{{Name: "score", Value: 0.5}, {Name: "amount", Value: 1.5}, {Name: "ok", Value: false}}},
		{[]Param{{Name: "at", Value: at}}, []Param{{Name: "at", Value: at.UTC()}}},
	}
	for _, tt := range ok {
		got, err := ResolveReplaceWhere(tt.in, cols)
		if err != nil {
			t.Errorf("%v: %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%v = %v, want %v", tt.in, got, tt.want)
		}
		for i := range got {
			if got[i].Name != tt.want[i].Name || got[i].Value != tt.want[i].Value {
				t.Errorf("%v: condition %d = %#v, want %#v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
	bad := []struct {
		in   []Param
		name string // the error names this
	}{
		{nil, "ReplaceWhere"},
		{[]Param{}, "ReplaceWhere"},
		{[]Param{{Name: "", Value: "x"}}, "column name"},
		{[]Param{{Name: "nope", Value: "x"}}, `"nope"`},
		{[]Param{{Name: "_b2b_source_file", Value: nil}}, `"_b2b_source_file"`},
		{[]Param{{Name: "batch", Value: 1}}, `"batch"`}, // int, not int64
		{[]Param{{Name: "batch", Value: "1"}}, `"Batch"`},
		{[]Param{{Name: "batch", Value: 1.5}}, `"Batch"`},
		{[]Param{{Name: "_b2b_source_file", Value: []byte("x")}}, `"_b2b_source_file"`},
		{[]Param{{Name: "day", Value: at}}, `"day"`},
		{[]Param{{Name: "ok", Value: "true"}}, `"ok"`},
		{[]Param{{Name: "batch", Value: int64(1)}, {Name: "BATCH", Value: int64(2)}}, `"BATCH"`},
	}
	for _, tt := range bad {
		_, err := ResolveReplaceWhere(tt.in, cols)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%v: %v, want invalid", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%v: error %q does not mention %s", tt.in, err, tt.name)
		}
	}
	// CheckReplaceWhere needs no table.
	if err := CheckReplaceWhere([]Param{{Name: "anything", Value: "x"}}); err != nil {
		t.Errorf("CheckReplaceWhere: %v", err)
	}
}
