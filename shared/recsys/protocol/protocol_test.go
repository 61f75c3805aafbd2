package protocol

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadRequests(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.csv")
	os.WriteFile(f, []byte("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,100,a,1,2011-01-01 10:00:00,1,1,UK\n"), 0o644)
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Data: f, Protocol: "nope", Models: []string{"popularity"}}, "unknown protocol"},
		{Request{Data: f, Protocol: "or-temporal", Split: "soon", Models: []string{"popularity"}}, "not a date"},
		{Request{Data: f, Protocol: "or-temporal", Models: []string{"ease:lambda"}}, "key=value"},
		{Request{Data: filepath.Join(dir, "missing.csv"), Protocol: "or-temporal", Models: []string{"popularity"}}, "does not exist"},
		{Request{Data: f, Protocol: "or-temporal", Split: "2010-01-01", Models: []string{"popularity"}}, "no purchases before the split"},
		{Request{Data: f, Protocol: "or-temporal", Split: "2012-01-01", Models: []string{"popularity"}}, "choose an earlier split"},
		{Request{Data: f, Protocol: "or-temporal", Split: "2011-01-01 11:00:00", Models: nil}, "no model"},
	} {
		err := Run(context.Background(), tc.req, func(Line) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.req, err, tc.want)
		}
	}
}
