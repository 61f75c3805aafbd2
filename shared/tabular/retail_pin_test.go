package tabular

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// retailConstants are lineage columns like those the ETL appends.
func retailConstants() []Constant {
	return []Constant{
		{Name: "_source_file", Type: warehouse.String, Value: "drop/online_retail.csv.gz"},
		{Name: "_run_id", Type: warehouse.String, Value: "run-0001"},
		{Name: "_loaded_at", Type: warehouse.Timestamp, Value: time.Date(2026, 11, 26, 10, 30, 0, 123456000, time.UTC)},
	}
}

// sampleAndConvert is the ETL's optimistic path: Infer over the first
// 50,000 rows, every column nullable, Convert with StrictTypes and the
// lineage constants.
func sampleAndConvert(tb testing.TB, path string, newPart func(int) (io.WriteCloser, error)) (Inferred, Stats) {
	tb.Helper()
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	in, err := Infer(ctx, f, CSV, Options{SampleRows: 50_000})
	if err != nil {
		tb.Fatal(err)
	}
	schema := in.Schema()
	for i := range schema {
		schema[i].Nullable = true
	}
	if in, err = in.Override(schema); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		tb.Fatal(err)
	}
	st, err := Convert(ctx, f, CSV, in, ConvertOptions{
		NewPart:     newPart,
		StrictTypes: true,
		Constants:   retailConstants(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return in, st
}

func BenchmarkSampleConvertOnlineRetail(b *testing.B) {
	path := sampleFile(b, retailPath)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		var written int64
		_, st := sampleAndConvert(b, path, func(int) (io.WriteCloser, error) { return discardSink{&written}, nil })
		rows += st.RowsWritten
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// digest summarises the values of Parquet parts read back.
type digest struct {
	rows        int64
	columns     []string
	hashes      []uint64 // FNV-64a of every value of each column, in order
	sumQuantity int64
	invoices    int // distinct invoiceno
	nullCust    int64
	schema      string // "name type nullable" of each field
}

func (d digest) String() string {
	s := fmt.Sprintf("rows=%d sumQuantity=%d invoices=%d nullCustomer=%d\n", d.rows, d.sumQuantity, d.invoices, d.nullCust)
	for i, c := range d.columns {
		s += fmt.Sprintf("  %q: %#016x,\n", c, d.hashes[i])
	}
	return s
}

func digestParts(t testing.TB, parts []*memPart) digest {
	t.Helper()
	var d digest
	var hs []interface {
		Write([]byte) (int, error)
		Sum64() uint64
	}
	invoices := map[string]struct{}{}
	var buf [8]byte
	for _, p := range parts {
		tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(p.Bytes()), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		if d.columns == nil {
			for _, f := range tbl.Schema().Fields() {
				d.schema += fmt.Sprintf("%s %s %v; ", f.Name, f.Type, f.Nullable)
				d.columns = append(d.columns, f.Name)
				hs = append(hs, fnv.New64a())
			}
		}
		d.rows += tbl.NumRows()
		for j := 0; j < int(tbl.NumCols()); j++ {
			name := d.columns[j]
			h := hs[j]
			for _, chunk := range tbl.Column(j).Data().Chunks() {
				for i := 0; i < chunk.Len(); i++ {
					if chunk.IsNull(i) {
						h.Write([]byte{0})
						if name == "customerid" {
							d.nullCust++
						}
						continue
					}
					h.Write([]byte{1})
					switch a := chunk.(type) {
					case *array.Int64:
						binary.LittleEndian.PutUint64(buf[:], uint64(a.Value(i)))
						h.Write(buf[:])
						if name == "quantity" {
							d.sumQuantity += a.Value(i)
						}
					case *array.Float64:
						binary.LittleEndian.PutUint64(buf[:], math.Float64bits(a.Value(i)))
						h.Write(buf[:])
					case *array.Timestamp:
						binary.LittleEndian.PutUint64(buf[:], uint64(a.Value(i)))
						h.Write(buf[:])
					case *array.String:
						v := a.Value(i)
						binary.LittleEndian.PutUint64(buf[:], uint64(len(v)))
						h.Write(buf[:])
						h.Write([]byte(v))
						if name == "invoiceno" {
							invoices[v] = struct{}{}
						}
					default:
						t.Fatalf("column %s: unexpected array %T", name, chunk)
					}
				}
			}
		}
		tbl.Release()
	}
	d.invoices = len(invoices)
	for _, h := range hs {
		d.hashes = append(d.hashes, h.Sum64())
	}
	return d
}

// Pinned digests of the Online Retail file's Parquet output, computed
// before the performance work: optimisations must not change a value.
var (
	wantRetailData = map[string]uint64{
		"invoiceno":   0xea9cefe94e01bcae,
		"stockcode":   0xa2b2862291b203ca,
		"description": 0x6485bc7c39a9c2c6,
		"quantity":    0x7fa11748ba1183dd,
		"invoicedate": 0x10d0dfc12c559a82,
		"unitprice":   0x6cc50dbc22d52f62,
		"customerid":  0xc379251ac55266e0,
		"country":     0x9e52a44ac5de3042,
	}
	wantRetailConstants = map[string]uint64{
		"_source_file": 0x92495f83c6a52d55,
		"_run_id":      0x3c0205d390f7e1f7,
		"_loaded_at":   0x293fb6e61eca82e0,
	}
)

const (
	wantRetailRows        = 541909
	wantRetailSumQuantity = 5176450
	wantRetailInvoices    = 25900
	wantRetailNullCust    = 135080
)

func checkDigest(t *testing.T, d digest, withConstants bool, wantSchema string) {
	t.Helper()
	if d.schema != wantSchema {
		t.Errorf("schema\n%s\nwant\n%s", d.schema, wantSchema)
	}
	if d.rows != wantRetailRows || d.sumQuantity != wantRetailSumQuantity || d.invoices != wantRetailInvoices || d.nullCust != wantRetailNullCust {
		t.Errorf("rows=%d sum(quantity)=%d distinct(invoiceno)=%d null(customerid)=%d, want %d %d %d %d",
			d.rows, d.sumQuantity, d.invoices, d.nullCust, wantRetailRows, wantRetailSumQuantity, wantRetailInvoices, wantRetailNullCust)
	}
	want := len(wantRetailData)
	if withConstants {
		want += len(wantRetailConstants)
	}
	if len(d.columns) != want {
		t.Fatalf("columns %v", d.columns)
	}
	for i, c := range d.columns {
		w, ok := wantRetailData[c]
		if !ok && withConstants {
			w, ok = wantRetailConstants[c]
		}
		if !ok {
			t.Errorf("unexpected column %q", c)
			continue
		}
		if d.hashes[i] != w {
			t.Errorf("column %q: value digest %#016x, want %#016x", c, d.hashes[i], w)
		}
	}
	if t.Failed() {
		t.Logf("digest:\n%s", d)
	}
}

// TestOnlineRetailValuesPinned converts the real file both ways the ETL
// does (whole-file inference; sample inference with StrictTypes and
// lineage constants), reads the parts back and checks every value against
// digests pinned before the performance work.
func TestOnlineRetailValuesPinned(t *testing.T) {
	path := sampleFile(t, retailPath)
	if testing.Short() {
		t.Skip("reads 541,909 rows twice")
	}
	t.Run("whole file", func(t *testing.T) {
		ctx := context.Background()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in, err := Infer(ctx, f, CSV, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		var mp memParts
		st, err := Convert(ctx, f, CSV, in, ConvertOptions{NewPart: mp.newPart})
		if err != nil {
			t.Fatal(err)
		}
		if st.Parts != 3 || st.RowsWritten != wantRetailRows {
			t.Errorf("stats %+v", st)
		}
		checkInferred(t, in, wantRetailInferredWhole)
		checkDigest(t, digestParts(t, mp.parts), false, wantRetailSchemaWhole)
	})
	t.Run("sample strict with constants", func(t *testing.T) {
		var mp memParts
		in, st := sampleAndConvert(t, path, mp.newPart)
		if in.Complete || in.Rows != 50_000 {
			t.Errorf("sample inference: complete=%v rows=%d", in.Complete, in.Rows)
		}
		if st.Parts != 3 || st.RowsWritten != wantRetailRows || st.RowsRejected != 0 {
			t.Errorf("stats %+v", st)
		}
		checkInferred(t, in, wantRetailInferredSample)
		checkDigest(t, digestParts(t, mp.parts), true, wantRetailSchemaSample)
	})
}

// Pinned inference results (the JSON of Inferred, MD5) and part schemas.
const (
	wantRetailInferredWhole  = "6f5dcde4251221dc9a2d9854ae857f46"
	wantRetailInferredSample = "fd49e86b7e0a4d843b1f03de005c11bc"
	wantRetailSchemaWhole    = "invoiceno utf8 false; stockcode utf8 false; description utf8 true; quantity int64 false; invoicedate timestamp[us, tz=UTC] false; unitprice float64 false; customerid int64 true; country utf8 false; "
	wantRetailSchemaSample   = "invoiceno utf8 true; stockcode utf8 true; description utf8 true; quantity int64 true; invoicedate timestamp[us, tz=UTC] true; unitprice float64 true; customerid int64 true; country utf8 true; _source_file utf8 true; _run_id utf8 true; _loaded_at timestamp[us, tz=UTC] true; "
)

func checkInferred(t *testing.T, in Inferred, want string) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", md5.Sum(b)); got != want {
		t.Errorf("inferred digest %s, want %s; inferred:\n%s", got, want, b)
	}
}
