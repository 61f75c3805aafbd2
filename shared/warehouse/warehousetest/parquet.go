package warehousetest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// ArrowType is the Arrow type the product writes to Parquet for a port type
// (tabular's mapping, so test files look like staged parts).
func ArrowType(t warehouse.Type) (arrow.DataType, error) { return tabular.ArrowType(t) }

// ParquetFile encodes rows as a Parquet file with the given columns. Values
// are nil or: string (STRING, JSON; NUMERIC as exact decimal text), int64,
// float64 (FLOAT64, NUMERIC), bool,
// time.Time (DATE, TIMESTAMP, DATETIME, TIME: its clock part), []byte.
func ParquetFile(schema warehouse.Schema, rows [][]any) ([]byte, error) {
	fields := make([]arrow.Field, len(schema))
	for i, c := range schema {
		at, err := ArrowType(c.Type)
		if err != nil {
			return nil, err
		}
		fields[i] = arrow.Field{Name: c.Name, Type: at, Nullable: true}
	}
	as := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, as)
	defer b.Release()
	for r, row := range rows {
		if len(row) != len(schema) {
			return nil, fmt.Errorf("warehousetest: row %d has %d values for %d columns", r, len(row), len(schema))
		}
		for i, v := range row {
			if err := appendValue(b.Field(i), schema[i].Type, v); err != nil {
				return nil, fmt.Errorf("warehousetest: row %d column %q: %w", r, schema[i].Name, err)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	w, err := pqarrow.NewFileWriter(as, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendValue(fb array.Builder, t warehouse.Type, v any) error {
	if v == nil {
		fb.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("value %#v for %s", v, t) }
	switch bb := fb.(type) {
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		bb.Append(s)
	case *array.Int64Builder:
		n, ok := v.(int64)
		if !ok {
			return bad()
		}
		bb.Append(n)
	case *array.Float64Builder:
		f, ok := v.(float64)
		if !ok {
			return bad()
		}
		bb.Append(f)
	case *array.Decimal128Builder:
		var n decimal128.Num
		var err error
		switch x := v.(type) {
		case float64:
			n, err = decimal128.FromFloat64(x, 38, 9)
		case string: // exact decimal text
			n, err = decimal128.FromString(x, 38, 9)
		default:
			return bad()
		}
		if err != nil {
			return err
		}
		bb.Append(n)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		bb.Append(x)
	case *array.Date32Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Date32FromTime(x))
	case *array.TimestampBuilder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Timestamp(x.UnixMicro()))
	case *array.Time64Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		h, m, s := x.Clock()
		us := (int64(h)*3600+int64(m)*60+int64(s))*1e6 + int64(x.Nanosecond()/1e3)
		bb.Append(arrow.Time64(us))
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		bb.Append(x)
	default:
		return bad()
	}
	return nil
}
