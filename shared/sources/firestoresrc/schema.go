package firestoresrc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"

	"github.com/b2brecs/b2brecs/shared/colname"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Columns every collection has besides its fields.
const (
	// IDColumn is the document id (the last segment of its path): the key.
	IDColumn = "__id"
	// UpdateTimeColumn is the time the document was last written.
	UpdateTimeColumn = "__update_time"
)

// Firestore value types as Describe spells them (ColumnMeta.SourceType).
const (
	tNull      = "null"
	tBool      = "boolean"
	tInt       = "integer"
	tDouble    = "double"
	tTimestamp = "timestamp"
	tString    = "string"
	tBytes     = "bytes"
	tReference = "reference"
	tGeoPoint  = "geopoint"
	tArray     = "array"
	tMap       = "map"
)

// Warnings of inferred columns.
const (
	// MixedTypesWarning is set on a field whose sampled values have types
	// that no one warehouse type holds.
	MixedTypesWarning = "mixed value types in the sampled documents: read as text"
	// OnlyNullWarning is set on a field that is null in every sampled
	// document.
	OnlyNullWarning = "only null values in the sampled documents: read as text"
)

// mapped is the warehouse type of each Firestore value type.
var mapped = map[string]warehouse.Type{
	tBool: warehouse.Bool, tInt: warehouse.Int64, tDouble: warehouse.Float64,
	tTimestamp: warehouse.Timestamp, tString: warehouse.String, tBytes: warehouse.Bytes,
	tReference: warehouse.String, tGeoPoint: warehouse.JSON, tArray: warehouse.JSON, tMap: warehouse.JSON,
}

// typeName is the Firestore type of a value.
func typeName(v *pb.Value) string {
	switch v.GetValueType().(type) {
	case *pb.Value_BooleanValue:
		return tBool
	case *pb.Value_IntegerValue:
		return tInt
	case *pb.Value_DoubleValue:
		return tDouble
	case *pb.Value_TimestampValue:
		return tTimestamp
	case *pb.Value_StringValue:
		return tString
	case *pb.Value_BytesValue:
		return tBytes
	case *pb.Value_ReferenceValue:
		return tReference
	case *pb.Value_GeoPointValue:
		return tGeoPoint
	case *pb.Value_ArrayValue:
		return tArray
	case *pb.Value_MapValue:
		return tMap
	}
	return tNull
}

// fieldStats is what the sample says about one field.
type fieldStats struct {
	present int
	types   map[string]bool // non-null types seen
}

// infer describes a collection from sampled documents: IDColumn, the
// top-level fields sorted by name, UpdateTimeColumn. Each field is nullable
// with its presence share, typed by mapType.
func infer(docs []*pb.Document) []sources.ColumnMeta {
	stats := map[string]*fieldStats{}
	for _, d := range docs {
		for name, v := range d.GetFields() {
			if name == IDColumn || name == UpdateTimeColumn {
				continue // shadowed by the driver's own columns
			}
			st := stats[name]
			if st == nil {
				st = &fieldStats{types: map[string]bool{}}
				stats[name] = st
			}
			st.present++
			if t := typeName(v); t != tNull {
				st.types[t] = true
			}
		}
	}
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	slices.Sort(names)
	cols := make([]sources.ColumnMeta, 0, len(names)+2)
	cols = append(cols, sources.ColumnMeta{OriginalName: IDColumn, SourceType: "document id", Type: warehouse.String, Confidence: sources.High, PrimaryKey: true})
	for _, n := range names {
		st := stats[n]
		typ, conf, warn, src := mapType(st.types)
		cols = append(cols, sources.ColumnMeta{
			OriginalName: n, SourceType: src, Type: typ, Confidence: conf, Warning: warn, Nullable: true,
			Presence: float64(st.present) / float64(len(docs)),
		})
	}
	cols = append(cols, sources.ColumnMeta{OriginalName: UpdateTimeColumn, SourceType: "document update time", Type: warehouse.Timestamp, Confidence: sources.High, Temporal: true})
	nameColumns(cols)
	return cols
}

// Warehouse names of the driver's own columns.
const (
	idName         = "document_id"
	updateTimeName = "update_time"
)

// nameColumns gives the columns infer made their warehouse names: the
// fields first (colname.SanitizeNames, so a field "id" stays id), then
// document_id and update_time for the driver's columns (with a suffix if
// a field took the name).
func nameColumns(cols []sources.ColumnMeta) {
	names := make([]string, 0, len(cols))
	for _, c := range cols[1 : len(cols)-1] {
		names = append(names, c.OriginalName)
	}
	names = append(names, idName, updateTimeName)
	san, _ := colname.SanitizeNames(names)
	last := len(cols) - 1
	for i := range cols {
		switch i {
		case 0:
			cols[i].Name = san[len(san)-2]
		case last:
			cols[i].Name = san[len(san)-1]
		default:
			cols[i].Name = san[i-1]
		}
		cols[i].NameChanged = cols[i].Name != cols[i].OriginalName
	}
}

// mapType is the warehouse type of a field whose sampled values have the
// given types (see the package doc), and the source type as shown
// ("integer", "double|integer").
func mapType(types map[string]bool) (warehouse.Type, sources.Confidence, string, string) {
	ts := make([]string, 0, len(types))
	for t := range types {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	src := strings.Join(ts, "|")
	switch {
	case len(ts) == 0:
		return warehouse.String, sources.Medium, OnlyNullWarning, tNull
	case len(ts) == 1:
		return mapped[ts[0]], sources.High, "", src
	case slices.Equal(ts, []string{tDouble, tInt}):
		return warehouse.Float64, sources.High, "", src
	}
	json := true
	for _, t := range ts {
		json = json && mapped[t] == warehouse.JSON
	}
	if json { // arrays, maps and geopoints
		return warehouse.JSON, sources.High, "", src
	}
	return warehouse.String, sources.Medium, MixedTypesWarning, src
}

// relPath is a document or collection name relative to the database's
// documents root ("users/alice").
func relPath(name string) string {
	if _, rest, ok := strings.Cut(name, "/documents/"); ok {
		return rest
	}
	return name
}

// docID is the last segment of a document name.
func docID(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// natural is a value as its own type: nil, bool, int64, float64,
// time.Time (UTC), string (also a reference, as its relative path),
// []byte, or JSON text for geopoints, arrays and maps.
func natural(v *pb.Value) any {
	switch x := v.GetValueType().(type) {
	case *pb.Value_BooleanValue:
		return x.BooleanValue
	case *pb.Value_IntegerValue:
		return x.IntegerValue
	case *pb.Value_DoubleValue:
		return x.DoubleValue
	case *pb.Value_TimestampValue:
		return x.TimestampValue.AsTime().UTC()
	case *pb.Value_StringValue:
		return x.StringValue
	case *pb.Value_BytesValue:
		if x.BytesValue == nil {
			return []byte{}
		}
		return x.BytesValue
	case *pb.Value_ReferenceValue:
		return relPath(x.ReferenceValue)
	case *pb.Value_GeoPointValue, *pb.Value_ArrayValue, *pb.Value_MapValue:
		return jsonText(v)
	}
	return nil
}

// convert is a value for a column of type t: its natural value when it
// has that type, an exact conversion between integer and double, JSON text
// in a JSON column; any other value is its text (sources.FormatValue, or
// JSON for composite values), which the loader converts or rejects naming
// the column.
func convert(v *pb.Value, t warehouse.Type) any {
	n := natural(v)
	if n == nil {
		return nil
	}
	name := typeName(v)
	if mapped[name] == t {
		return n
	}
	switch x := n.(type) {
	case int64:
		if t == warehouse.Float64 {
			return float64(x)
		}
	case float64:
		if t == warehouse.Int64 && x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x)
		}
	}
	if t == warehouse.JSON {
		return jsonText(v)
	}
	return sources.FormatValue(n)
}

// jsonText is a value as JSON: maps with sorted keys, integers as numbers,
// timestamps as RFC 3339 text, bytes as base64, references as relative
// paths, geopoints as {"latitude", "longitude"}, non-finite doubles as
// text ("NaN").
func jsonText(v *pb.Value) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonValue(v)); err != nil {
		return "null" // jsonValue builds only encodable values
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func jsonValue(v *pb.Value) any {
	switch x := v.GetValueType().(type) {
	case *pb.Value_DoubleValue:
		f := x.DoubleValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return f
	case *pb.Value_TimestampValue:
		return x.TimestampValue.AsTime().UTC().Format(time.RFC3339Nano)
	case *pb.Value_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *pb.Value_GeoPointValue:
		return map[string]float64{"latitude": x.GeoPointValue.GetLatitude(), "longitude": x.GeoPointValue.GetLongitude()}
	case *pb.Value_ArrayValue:
		out := make([]any, len(x.ArrayValue.GetValues()))
		for i, e := range x.ArrayValue.GetValues() {
			out[i] = jsonValue(e)
		}
		return out
	case *pb.Value_MapValue:
		out := make(map[string]any, len(x.MapValue.GetFields()))
		for k, e := range x.MapValue.GetFields() {
			out[k] = jsonValue(e)
		}
		return out
	}
	return natural(v)
}
