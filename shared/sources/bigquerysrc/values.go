package bigquerysrc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// UnknownTypeWarning is set on the types read as text (GEOGRAPHY,
// INTERVAL, RANGE and any type BigQuery adds later).
const UnknownTypeWarning = "read as text, as BigQuery writes it"

var types = map[bigquery.FieldType]warehouse.Type{
	bigquery.IntegerFieldType: warehouse.Int64, bigquery.FloatFieldType: warehouse.Float64,
	bigquery.NumericFieldType: warehouse.Numeric, bigquery.BigNumericFieldType: warehouse.Numeric,
	bigquery.BooleanFieldType: warehouse.Bool, bigquery.StringFieldType: warehouse.String,
	bigquery.BytesFieldType: warehouse.Bytes, bigquery.DateFieldType: warehouse.Date,
	bigquery.DateTimeFieldType: warehouse.DateTime, bigquery.TimeFieldType: warehouse.Time,
	bigquery.TimestampFieldType: warehouse.Timestamp, bigquery.JSONFieldType: warehouse.JSON,
	bigquery.RecordFieldType: warehouse.JSON,
}

// mapType is the warehouse type of a column (see the package doc).
func mapType(f *bigquery.FieldSchema) (warehouse.Type, sources.Confidence, string) {
	if f.Repeated {
		return warehouse.JSON, sources.High, ""
	}
	if t, ok := types[f.Type]; ok {
		return t, sources.High, ""
	}
	return warehouse.String, sources.Medium, UnknownTypeWarning
}

// convert is a value the client read as the sources value of its column:
// NUMERIC as exact decimal text, DATE and DATETIME as UTC times, TIME as
// text, records and arrays as JSON text, other types as text.
func convert(v bigquery.Value, f *bigquery.FieldSchema) any {
	if v == nil {
		return nil
	}
	if f.Repeated || f.Type == bigquery.RecordFieldType {
		b, err := json.Marshal(jsonValue(v, f, f.Repeated))
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	switch x := v.(type) {
	case int64, float64, bool, string:
		return x
	case []byte:
		return x
	case time.Time:
		return x.UTC()
	case civil.Date:
		return time.Date(x.Year, x.Month, x.Day, 0, 0, 0, 0, time.UTC)
	case civil.DateTime:
		return time.Date(x.Date.Year, x.Date.Month, x.Date.Day, x.Time.Hour, x.Time.Minute, x.Time.Second, x.Time.Nanosecond, time.UTC)
	case civil.Time:
		return bigquery.CivilTimeString(x)
	case *big.Rat:
		if f.Type == bigquery.BigNumericFieldType {
			return bigquery.BigNumericString(x)
		}
		return bigquery.NumericString(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// jsonValue is a record or array value as JSON: records as objects by
// field name, times as text, bytes as base64, non-finite floats as text.
func jsonValue(v bigquery.Value, f *bigquery.FieldSchema, repeated bool) any {
	if v == nil {
		return nil
	}
	if repeated {
		elem := *f // the elements' field: not repeated
		elem.Repeated = false
		vs, _ := v.([]bigquery.Value)
		out := make([]any, len(vs))
		for i, e := range vs {
			out[i] = jsonValue(e, &elem, false)
		}
		return out
	}
	if f.Type == bigquery.RecordFieldType {
		vs, _ := v.([]bigquery.Value)
		out := make(map[string]any, len(vs))
		for i, e := range vs {
			if i < len(f.Schema) {
				out[f.Schema[i].Name] = jsonValue(e, f.Schema[i], f.Schema[i].Repeated)
			}
		}
		return out
	}
	switch x := convert(v, f).(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		if f.Type == bigquery.DateFieldType {
			return x.Format(time.DateOnly)
		}
		if f.Type == bigquery.DateTimeFieldType {
			return x.Format("2006-01-02T15:04:05.999999")
		}
		return x.Format(time.RFC3339Nano)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case string:
		if f.Type == bigquery.JSONFieldType && json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		return x
	default:
		return x
	}
}
