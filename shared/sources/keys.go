package sources

import (
	"encoding/base64"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// FormatValue formats an extracted value as a sample string: "NULL" for
// nil, RFC 3339 for TIMESTAMP instants, "2006-01-02" for dates at midnight,
// base64 for bytes.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case *big.Rat:
		return x.RatString()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	}
	return "?"
}

// EncodeKey encodes primary key values as one string for BoundaryKeys and
// SeenAtSince: each value with FormatValue, strconv-quoted, joined by ",".
func EncodeKey(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			b.WriteString("null")
			continue
		}
		b.WriteString(strconv.Quote(FormatValue(v)))
	}
	return b.String()
}

// Compare orders two watermark values of the same type (time.Time, int64,
// float64, string): -1, 0 or +1. nil sorts first; values of different types
// compare equal to nothing (+1).
func Compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case int64:
		if y, ok := b.(int64); ok {
			return cmp3(x < y, x > y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp3(x < y, x > y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	}
	return 1
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}
