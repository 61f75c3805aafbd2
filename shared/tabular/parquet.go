package tabular

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

const parquetBatch = 64 * 1024

// openParquet opens a Parquet file and reads its schema, which must have
// at most lim.MaxColumns columns.
func openParquet(r io.ReaderAt, size int64, lim Limits) (*pqarrow.FileReader, *arrow.Schema, error) {
	pr, err := file.NewParquetReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, nil, errs.Explain(errs.Wrap(errs.Invalid, err, "open Parquet file (%d bytes)", size),
			"not a valid Parquet file (the footer is missing or damaged)")
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: parquetBatch}, memory.DefaultAllocator)
	if err != nil {
		pr.Close()
		return nil, nil, damagedParquet(err, "read Parquet schema")
	}
	sc, err := fr.Schema()
	if err != nil {
		pr.Close()
		return nil, nil, damagedParquet(err, "read Parquet schema")
	}
	if sc.NumFields() > lim.withDefaults().MaxColumns {
		pr.Close()
		return nil, nil, lim.withDefaults().tooManyColumns()
	}
	return fr, sc, nil
}

// damagedParquet is a Parquet file whose footer reads but whose schema
// or pages do not.
func damagedParquet(err error, op string) error {
	return errs.Explain(errs.Wrap(errs.Invalid, err, "%s", op), "the Parquet file is damaged: its schema or rows cannot be read")
}

// WarehouseType maps an Arrow type to a warehouse type: integers INT64
// (uint64 values beyond INT64 are rejected by Convert), floats FLOAT64,
// strings STRING, binaries BYTES, dates DATE, timestamps TIMESTAMP (naive
// ones taken as UTC), times TIME, decimals that fit NUMERIC(38, 9) NUMERIC
// (wider ones STRING, with a warning), nested types JSON; dictionaries map
// as their values. Anything else is STRING with a warning.
func WarehouseType(dt arrow.DataType) (warehouse.Type, string) {
	switch t := dt.(type) {
	case *arrow.DictionaryType:
		return WarehouseType(t.ValueType)
	case *arrow.Decimal128Type:
		return decimalType(t.Precision, t.Scale)
	case *arrow.Decimal256Type:
		return decimalType(t.Precision, t.Scale)
	case arrow.ExtensionType:
		if t.ExtensionName() == "arrow.json" {
			return warehouse.JSON, ""
		}
		return WarehouseType(t.StorageType())
	}
	switch dt.ID() {
	case arrow.BOOL:
		return warehouse.Bool, ""
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return warehouse.Int64, ""
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return warehouse.Float64, ""
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return warehouse.String, ""
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return warehouse.Bytes, ""
	case arrow.DATE32, arrow.DATE64:
		return warehouse.Date, ""
	case arrow.TIMESTAMP:
		return warehouse.Timestamp, ""
	case arrow.TIME32, arrow.TIME64:
		return warehouse.Time, ""
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.MAP, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW:
		return warehouse.JSON, ""
	case arrow.NULL:
		return warehouse.String, "no values; typed STRING"
	}
	return warehouse.String, fmt.Sprintf("Arrow type %s read as STRING", dt)
}

func decimalType(prec, scale int32) (warehouse.Type, string) {
	if scale >= 0 && scale <= numericScale && prec-scale <= numericPrecision-numericScale {
		return warehouse.Numeric, ""
	}
	return warehouse.String, fmt.Sprintf("decimal(%d, %d) does not fit NUMERIC(38, 9); read as STRING", prec, scale)
}

// InferParquet reads the schema from the footer of a Parquet file (and
// up to 5 sample values per column from its first rows). The whole file
// must be at hand: r is read at offsets up to size.
func InferParquet(r io.ReaderAt, size int64) (Inferred, error) {
	return inferParquet(r, size, DefaultLimits())
}

func inferParquet(r io.ReaderAt, size int64, lim Limits) (Inferred, error) {
	fr, sc, err := openParquet(r, size, lim)
	if err != nil {
		return Inferred{}, err
	}
	defer fr.ParquetReader().Close()
	in := Inferred{Format: Parquet, Rows: fr.ParquetReader().NumRows(), Complete: true}
	originals := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		originals[i] = f.Name
	}
	names, _ := SanitizeNames(originals)
	samples := parquetSamples(fr, in.Rows)
	for i, f := range sc.Fields() {
		t, warn := WarehouseType(f.Type)
		ic := InferredColumn{Name: names[i], Original: f.Name, Type: t, Nullable: f.Nullable, Confidence: 1, Warning: warn, Samples: []string{}}
		if warn != "" {
			ic.Confidence = 0.7
		}
		if samples != nil {
			ic.Samples = samples[i]
		}
		in.Columns = append(in.Columns, ic)
	}
	in.Fingerprint = Fingerprint(in.Schema())
	return in, nil
}

// parquetSamples returns up to 5 distinct values per column from the first
// rows; nil if they cannot be read.
func parquetSamples(fr *pqarrow.FileReader, rows int64) [][]string {
	if rows == 0 {
		return nil
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, []int{0})
	if err != nil {
		return nil
	}
	defer rr.Release()
	if !rr.Next() {
		return nil
	}
	rec := rr.RecordBatch()
	out := make([][]string, rec.NumCols())
	for j, col := range rec.Columns() {
		out[j] = []string{}
		for i := 0; i < col.Len() && i < 100 && len(out[j]) < 5; i++ {
			v := "NULL"
			if !col.IsNull(i) {
				v = col.ValueStr(i)
			}
			if len(v) > 200 {
				v = v[:200]
			}
			dup := false
			for _, x := range out[j] {
				dup = dup || x == v
			}
			if !dup {
				out[j] = append(out[j], v)
			}
		}
	}
	return out
}

// ConvertParquet is Convert for a Parquet file at hand in r (size bytes).
// Columns match by name; values are converted to the column types
// (integers widen, timestamps become microseconds, dictionaries are
// decoded), and a value that does not fit (a uint64 beyond INT64, a
// nanosecond remainder, text that does not parse) rejects its row;
// Reject.Line is then the 1-based row number.
func ConvertParquet(ctx context.Context, r io.ReaderAt, size int64, in Inferred, opts ConvertOptions) (Stats, error) {
	c, err := newConverter(ctx, in, opts)
	if err != nil {
		return Stats{}, err
	}
	c.bytesRead = func() int64 { return size }
	fr, sc, err := openParquet(r, size, c.lim)
	if err != nil {
		return c.abort(err)
	}
	defer fr.ParquetReader().Close()
	fileNames := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		fileNames[i] = f.Name
	}
	if err := c.mapColumns(fileNames); err != nil {
		return c.abort(err)
	}
	if fr.ParquetReader().NumRows() == 0 || sc.NumFields() == 0 {
		return c.finish()
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return c.abort(damagedParquet(err, "read Parquet rows"))
	}
	defer rr.Release()
	var rowNum int64
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := rec.Columns()
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			rowNum++
			if err := c.tick(); err != nil {
				return c.abort(err)
			}
			line := rowNum
			raw := func() string { return parquetRaw(cols, fileNames, i) }
			var reason, column string
			for k := range c.cols {
				oc := &c.cols[k]
				var arr arrow.Array
				if oc.field >= 0 {
					arr = cols[oc.field]
				}
				if reason = fromArrow(oc, arr, i, &c.ns, &c.cells[k]); reason != "" {
					column = oc.Name
					break
				}
			}
			if reason != "" {
				err = c.reject(line, column, reason, raw)
			} else {
				err = c.pw.append(c.cells)
				if err == nil {
					c.stats.RowsWritten++
				}
			}
			if err != nil {
				return c.abort(err)
			}
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return c.abort(damagedParquet(err, "read Parquet rows"))
	}
	return c.finish()
}

func parquetRaw(cols []arrow.Array, names []string, i int) string {
	m := make(map[string]any, len(cols))
	for j, col := range cols {
		m[names[j]] = col.GetOneForMarshal(i)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// fromArrow converts value i of arr into out for column oc. Same-family
// types convert directly; others go through their text form and the text
// coercion.
func fromArrow(oc *outCol, arr arrow.Array, i int, ns *nullSet, out *cell) string {
	if arr == nil || arr.IsNull(i) {
		return coerce(oc, "", kJSONNull, ns, out)
	}
	if d, ok := arr.(*array.Dictionary); ok {
		return fromArrow(oc, d.Dictionary(), d.GetValueIndex(i), ns, out)
	}
	*out = cell{}
	switch oc.Type {
	case warehouse.Int64:
		if v, ok, handled := arrowInt(arr, i); handled {
			if !ok {
				return fmt.Sprintf("%s does not fit INT64", arr.ValueStr(i))
			}
			out.i = v
			return ""
		}
	case warehouse.Float64:
		if v, ok, handled := arrowInt(arr, i); handled && ok {
			out.f = float64(v)
			return ""
		}
		switch a := arr.(type) {
		case *array.Float64:
			out.f = a.Value(i)
			return ""
		case *array.Float32:
			out.f = float64(a.Value(i))
			return ""
		case *array.Float16:
			out.f = float64(a.Value(i).Float32())
			return ""
		}
	case warehouse.Bool:
		if a, ok := arr.(*array.Boolean); ok {
			out.b = a.Value(i)
			return ""
		}
	case warehouse.String:
		switch a := arr.(type) {
		case *array.String:
			out.s = a.Value(i)
			return ""
		case *array.LargeString:
			out.s = a.Value(i)
			return ""
		case *array.StringView:
			out.s = a.Value(i)
			return ""
		}
		if isNested(arr) {
			return marshalCell(arr, i, out)
		}
	case warehouse.JSON:
		if isNested(arr) {
			return marshalCell(arr, i, out)
		}
	case warehouse.Date, warehouse.Timestamp, warehouse.DateTime:
		if us, ok, handled := arrowMicros(arr, i); handled {
			if !ok {
				return fmt.Sprintf("%s has sub-microsecond precision", arr.ValueStr(i))
			}
			if oc.Type == warehouse.Date {
				if us%86400e6 != 0 {
					return fmt.Sprintf("%s has a time of day, not a DATE", arr.ValueStr(i))
				}
				out.i = us / 86400e6
			} else {
				out.i = us
			}
			return ""
		}
	case warehouse.Time:
		switch a := arr.(type) {
		case *array.Time32:
			unit := a.DataType().(*arrow.Time32Type).Unit
			out.i = int64(a.Value(i)) * int64(unit.Multiplier()/arrow.Microsecond.Multiplier())
			return ""
		case *array.Time64:
			v := int64(a.Value(i))
			if a.DataType().(*arrow.Time64Type).Unit == arrow.Nanosecond {
				if v%1000 != 0 {
					return fmt.Sprintf("%s has sub-microsecond precision", arr.ValueStr(i))
				}
				v /= 1000
			}
			out.i = v
			return ""
		}
	case warehouse.Numeric:
		if a, ok := arr.(*array.Decimal128); ok {
			scale := a.DataType().(*arrow.Decimal128Type).Scale
			if scale <= numericScale {
				n, err := a.Value(i).Rescale(scale, numericScale)
				if err == nil && n.FitsInPrecision(numericPrecision) {
					out.dec = n
					return ""
				}
			}
		}
		if v, ok, handled := arrowInt(arr, i); handled && ok {
			out.dec = decimal128.FromI64(v).Mul(decimal128.FromI64(1_000_000_000))
			return ""
		}
	case warehouse.Bytes:
		switch a := arr.(type) {
		case *array.Binary:
			out.by = a.Value(i)
			return ""
		case *array.LargeBinary:
			out.by = a.Value(i)
			return ""
		case *array.FixedSizeBinary:
			out.by = a.Value(i)
			return ""
		case *array.String:
			out.by = []byte(a.Value(i))
			return ""
		}
	}
	// Fallback: the text form through the text rules.
	s := arr.ValueStr(i)
	k := kText
	if isNested(arr) {
		k = kJSONNested
	}
	return coerce(oc, s, k, ns, out)
}

func isNested(arr arrow.Array) bool {
	switch arr.DataType().ID() {
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.MAP, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW:
		return true
	}
	return false
}

func marshalCell(arr arrow.Array, i int, out *cell) string {
	b, err := json.Marshal(arr.GetOneForMarshal(i))
	if err != nil {
		return "cannot encode as JSON: " + err.Error()
	}
	out.s = string(b)
	return ""
}

// arrowInt reads an integer value; handled is false for non-integer types,
// ok false when a uint64 exceeds INT64 or a float is not integral.
func arrowInt(arr arrow.Array, i int) (v int64, ok, handled bool) {
	switch a := arr.(type) {
	case *array.Int64:
		return a.Value(i), true, true
	case *array.Int32:
		return int64(a.Value(i)), true, true
	case *array.Int16:
		return int64(a.Value(i)), true, true
	case *array.Int8:
		return int64(a.Value(i)), true, true
	case *array.Uint64:
		u := a.Value(i)
		return int64(u), u <= math.MaxInt64, true
	case *array.Uint32:
		return int64(a.Value(i)), true, true
	case *array.Uint16:
		return int64(a.Value(i)), true, true
	case *array.Uint8:
		return int64(a.Value(i)), true, true
	case *array.Float64:
		f := a.Value(i)
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), true, true
		}
		return 0, false, true
	}
	return 0, false, false
}

// arrowMicros reads a date or timestamp as micros since the epoch.
func arrowMicros(arr arrow.Array, i int) (us int64, ok, handled bool) {
	switch a := arr.(type) {
	case *array.Date32:
		return int64(a.Value(i)) * 86400e6, true, true
	case *array.Date64:
		return int64(a.Value(i)) * 1000, true, true
	case *array.Timestamp:
		v := int64(a.Value(i))
		switch a.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			return v * 1e6, true, true
		case arrow.Millisecond:
			return v * 1e3, true, true
		case arrow.Microsecond:
			return v, true, true
		default:
			return v / 1e3, v%1000 == 0, true
		}
	}
	return 0, false, false
}
