package warehouse

import (
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// normalizeValue checks a query parameter's value (see Param) and returns
// it in the form drivers bind: int and int32 as int64, float32 as float64,
// times (and the elements of []time.Time, copied) in UTC. Another type or
// an empty array is errs.Invalid naming the parameter.
func normalizeValue(name string, v any) (any, error) {
	switch x := v.(type) {
	case nil, string, int64, bool, []byte:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case []string:
		return nonEmpty(name, x)
	case []int64:
		return nonEmpty(name, x)
	case []float64:
		return nonEmpty(name, x)
	case []bool:
		return nonEmpty(name, x)
	case []time.Time:
		out := make([]time.Time, len(x))
		for i, t := range x {
			out[i] = t.UTC()
		}
		return nonEmpty(name, out)
	case []any:
		return nil, errs.E(errs.Invalid, "warehouse: parameter @%s is a []any array: an array parameter is a slice of one scalar type ([]string, []int64, []float64, []bool or []time.Time)", name)
	}
	return nil, errs.E(errs.Invalid, "warehouse: parameter @%s has a value of type %T (want string, int64, float64, bool, time.Time, []byte, nil, or an array []string, []int64, []float64, []bool or []time.Time)", name, v)
}

// nonEmpty refuses an empty array: BigQuery's client sends one as a NULL
// array, which is not what an empty IN list means.
func nonEmpty[T any](name string, s []T) (any, error) {
	if len(s) == 0 {
		return nil, errs.E(errs.Invalid, "warehouse: array parameter @%s is empty (an IN list needs at least one value; leave the condition out or write FALSE instead)", name)
	}
	return s, nil
}
