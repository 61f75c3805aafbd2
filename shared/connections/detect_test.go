package connections_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tabular"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// nopCloser is a bytes.Buffer as the io.WriteCloser Convert writes a part to.
type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func TestDetectFile(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	dir := e.folder(t, tenantA, "exports")
	writeFile(t, dir, "orders.csv", "Order ID;Amount;Day\n1;2.5;2024-01-02\n2;;2024-01-03\n3;7;2024-01-04\n", time.Now())
	writeFile(t, dir, "events.jsonl", `{"id":1,"tags":["a"],"who":"ann"}`+"\n"+`{"id":2,"who":null}`+"\n", time.Now())
	writeFile(t, dir, "noheader.csv", "1,x\n2,y\n", time.Now())
	var big strings.Builder
	big.WriteString("n,label\n")
	for i := range 200000 {
		big.WriteString(strconv.Itoa(i) + ",row-" + strconv.Itoa(i) + "\n")
	}
	writeFile(t, dir, "big.csv", big.String(), time.Now())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, "a,b\n1,2\n3,4\n")
	zw.Close()
	writeFile(t, dir, "small.csv.gz", gz.String(), time.Now())
	writeParquet(t, dir, "items.parquet")

	svc := connections.New(e.docs, e.secrets, connections.Options{
		FileRoots: []string{filepath.Join(e.imports, "{tenant}")},
		Detect:    connections.DetectOptions{MaxBytes: 64 << 10, MaxRows: 500},
	})
	res, err := svc.Create(ctx, tenantA, fileConn("exports", dir))
	if err != nil {
		t.Fatal(err)
	}
	id := res.Connection.Connection.ID

	d, err := svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "orders.csv"})
	if err != nil {
		t.Fatal(err)
	}
	in := d.Inferred
	if d.Format != tabular.CSV || in.Delimiter != ';' || !in.HasHeader || len(in.Columns) != 3 ||
		in.Columns[0].Name != "order_id" || in.Columns[1].Type != warehouse.Float64 || !in.Columns[1].Nullable || in.Columns[2].Type != warehouse.Date {
		t.Fatalf("orders.csv: %+v", in)
	}
	if len(d.Rows) != 3 || *d.Rows[0][0] != "1" || d.Rows[1][1] != nil || *d.Rows[2][2] != "2024-01-04" || d.Truncated {
		t.Errorf("rows %v truncated %v", d.Rows, d.Truncated)
	}

	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "noheader.csv", Header: ptr(false)})
	if err != nil || d.Inferred.HasHeader || d.Inferred.Columns[0].Name != "column_0" || len(d.Rows) != 2 {
		t.Errorf("no header: %+v %v", d.Inferred, err)
	}
	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "events.jsonl"})
	if err != nil || d.Inferred.Format != tabular.JSONL || len(d.Rows) != 2 || *d.Rows[0][1] != `["a"]` || d.Rows[1][2] != nil {
		t.Errorf("jsonl: %+v rows %v, %v", d.Inferred.Columns, d.Rows, err)
	}
	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "small.csv.gz"})
	if err != nil || len(d.Inferred.Columns) != 2 || len(d.Rows) != 2 {
		t.Errorf("gzip: %+v %v", d, err)
	}

	// A large file: only the first 64 KiB and 500 rows are read.
	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "big.csv"})
	if err != nil || !d.Truncated || d.Inferred.Complete || d.Inferred.Rows != 500 || d.Inferred.BadRows != 0 || len(d.Rows) != connections.DetectPreviewRows {
		t.Errorf("big: truncated %v complete %v rows %d bad %d, %v", d.Truncated, d.Inferred.Complete, d.Inferred.Rows, d.Inferred.BadRows, err)
	}
	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "big.csv", SampleRows: 20})
	if err != nil || d.Inferred.Rows != 20 {
		t.Errorf("20 rows: %d, %v", d.Inferred.Rows, err)
	}

	d, err = svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "items.parquet"})
	if err != nil || d.Format != tabular.Parquet || len(d.Inferred.Columns) != 2 || d.Inferred.Rows != 3 || d.Inferred.Columns[0].Samples[0] != "A1" {
		t.Errorf("parquet: %+v, %v", d.Inferred, err)
	}

	for _, c := range []struct {
		req   connections.DetectRequest
		field string
		kind  errs.Kind
	}{
		{connections.DetectRequest{Name: "../other/secret.csv"}, "name", errs.Invalid},
		{connections.DetectRequest{Name: "/etc/passwd"}, "name", errs.Invalid},
		{connections.DetectRequest{Name: "a/../../b.csv"}, "name", errs.Invalid},
		{connections.DetectRequest{Name: "orders.csv", Delimiter: ";;"}, "delimiter", errs.Invalid},
		{connections.DetectRequest{Name: "orders.csv", Encoding: "ebcdic"}, "encoding", errs.Invalid},
		{connections.DetectRequest{Name: "orders.csv", SampleRows: 501}, "sample_rows", errs.Invalid},
		{connections.DetectRequest{Name: "orders.csv", Format: "xlsx"}, "format", errs.Invalid},
		{connections.DetectRequest{Name: "notes.txt"}, "format", errs.Unsupported},
	} {
		_, err := svc.DetectFile(ctx, tenantA, id, c.req)
		if !errs.Is(err, c.kind) || errs.FieldOf(err) != c.field {
			t.Errorf("%+v: %v (kind %v, field %q)", c.req, err, errs.KindOf(err), errs.FieldOf(err))
		}
	}
	if _, err := svc.DetectFile(ctx, tenantA, id, connections.DetectRequest{Name: "missing.csv"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := svc.DetectFile(ctx, tenantB, id, connections.DetectRequest{Name: "orders.csv"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("another tenant's connection: %v", err)
	}
}

// writeParquet writes a 3-row Parquet file through the tabular converter.
func writeParquet(t *testing.T, dir, name string) {
	t.Helper()
	csv := "sku,qty\nA1,1\nB2,2\nC3,3\n"
	in, err := tabular.Infer(context.Background(), strings.NewReader(csv), tabular.CSV, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := tabular.Convert(context.Background(), strings.NewReader(csv), tabular.CSV, in, tabular.ConvertOptions{
		NewPart: func(int) (io.WriteCloser, error) { return nopCloser{&buf}, nil },
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDetectOptionsFromEnv(t *testing.T) {
	o, err := connections.DetectOptionsFromEnv(func(k string) string {
		return map[string]string{"B2B_DETECT_MAX_BYTES": "65536", "B2B_DETECT_MAX_ROWS": "50"}[k]
	})
	if err != nil || o.MaxBytes != 65536 || o.MaxRows != 50 {
		t.Errorf("%+v %v", o, err)
	}
	for k, v := range map[string]string{"B2B_DETECT_MAX_BYTES": "10", "B2B_DETECT_MAX_ROWS": "0"} {
		_, err := connections.DetectOptionsFromEnv(func(n string) string {
			if n == k {
				return v
			}
			return ""
		})
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
