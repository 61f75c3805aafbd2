package etl

import (
	"math"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func TestAppendJSONValue(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, c := range []struct {
		typ  warehouse.Type
		v    any
		want string
	}{
		{warehouse.Int64, nil, `null`},
		{warehouse.Int64, int64(-7), `-7`},
		{warehouse.Float64, 1.25, `1.25`},
		{warehouse.Float64, math.Inf(1), `"+Inf"`},
		{warehouse.Bool, true, `true`},
		{warehouse.Numeric, "12345.6700", `"12345.6700"`},
		{warehouse.String, "a\"b\nc", `"a\"b\nc"`},
		{warehouse.JSON, "{\"a\": [1,\n 2]}", `{"a":[1,2]}`},
		{warehouse.JSON, "not json", `"not json"`},
		{warehouse.Bytes, []byte{0, 1, 255}, `"AAH/"`},
		{warehouse.Date, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), `"2026-01-02"`},
		{warehouse.Timestamp, ts, `"2026-01-02T03:04:05.6Z"`},
		{warehouse.DateTime, ts, `"2026-01-02T03:04:05.6"`},
		{warehouse.Time, "25:00:01.5", `"25:00:01.5"`},
	} {
		if got := string(appendJSONValue(nil, c.typ, c.v)); got != c.want {
			t.Errorf("%s %#v = %s, want %s", c.typ, c.v, got, c.want)
		}
	}
}
