package datasets

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
	"github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh/bqfake"
	bq "google.golang.org/api/bigquery/v2"
)

// TestBigQueryRequests sends every BigQuery query the compiler writes (the
// dataset, training, preview, statistics, top values, quality and Pareto
// queries of every golden case) through the real BigQuery driver to its
// request fake, and checks what BigQuery would receive: the SQL as
// compiled, every parameter named, typed and valued as given, in standard
// SQL with named parameters, and no value in the text (TestCompiledSQLTokens
// and the fuzz test check the text token by token).
func TestBigQueryRequests(t *testing.T) {
	fake := bqfake.New(bqfake.Options{Project: "tenant-proj"})
	fake.Answer(func(*bq.QueryRequest) (*bq.QueryResponse, *bqfake.APIError) { return &bq.QueryResponse{}, nil })
	root, stop := fake.Start()
	defer stop()
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, fake.DriverURL(root))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()

	var sent []Query
	for _, tc := range goldenCases {
		d := baseDataset(tc.filters...)
		for _, f := range []func() (Query, error){
			func() (Query, error) { return Compile(d, testSchemas, warehouse.BigQuery) },
			func() (Query, error) { return CompileTraining(d, testSchemas, warehouse.BigQuery) },
			func() (Query, error) { return CompilePreview(d, testSchemas, warehouse.BigQuery, -5, 20) },
			func() (Query, error) { return CompileStats(d, testSchemas, warehouse.BigQuery) },
			func() (Query, error) { return CompileTopValues(d, testSchemas, warehouse.BigQuery, 10) },
			func() (Query, error) { return CompileQuality(d, testSchemas, warehouse.BigQuery, 5) },
			func() (Query, error) { return CompilePareto(d, testSchemas, warehouse.BigQuery, Product, 50) },
		} {
			q, err := f()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if _, err := wh.Query(ctx, q.SQL, q.Params, 0); err != nil {
				t.Fatalf("%s: the driver refused the query: %v", tc.name, err)
			}
			sent = append(sent, q)
		}
	}
	_, _, reqs, _ := fake.Recorded()
	if len(reqs) != len(sent) {
		t.Fatalf("the fake received %d queries, %d were sent", len(reqs), len(sent))
	}
	for i, req := range reqs {
		q := sent[i]
		if req.Query != q.SQL {
			t.Errorf("query %d: the SQL changed on the way:\n%s\nwant\n%s", i, req.Query, q.SQL)
		}
		if req.UseLegacySql == nil || *req.UseLegacySql {
			t.Errorf("query %d: not sent as standard SQL", i)
		}
		if len(req.QueryParameters) != len(q.Params) {
			t.Fatalf("query %d: %d parameters sent, %d given", i, len(req.QueryParameters), len(q.Params))
		}
		byName := map[string]*bq.QueryParameter{}
		for _, qp := range req.QueryParameters {
			byName[qp.Name] = qp
		}
		for _, p := range q.Params {
			got := byName[p.Name]
			if got == nil {
				t.Errorf("query %d: parameter %s not sent", i, p.Name)
				continue
			}
			wantType, wantValue := bqParam(p.Value)
			if arr, ok := bqArray(p.Value); ok {
				if got.ParameterType == nil || got.ParameterType.Type != "ARRAY" || got.ParameterType.ArrayType == nil ||
					got.ParameterType.ArrayType.Type != arr[0] || got.ParameterValue == nil || len(got.ParameterValue.ArrayValues) != len(arr)-1 {
					t.Errorf("query %d array parameter %s: sent %+v %+v, want ARRAY<%s> of %d", i, p.Name, got.ParameterType, got.ParameterValue, arr[0], len(arr)-1)
					continue
				}
				for k, av := range got.ParameterValue.ArrayValues {
					if av.Value != arr[k+1] {
						t.Errorf("query %d array parameter %s[%d] = %q, want %q", i, p.Name, k, av.Value, arr[k+1])
					}
				}
				continue
			}
			if got.ParameterType == nil || got.ParameterType.Type != wantType ||
				got.ParameterValue == nil || got.ParameterValue.Value != wantValue {
				t.Errorf("query %d parameter %s: sent %+v %+v, want %s %q", i, p.Name, got.ParameterType, got.ParameterValue, wantType, wantValue)
			}
		}
	}
	if probs := fake.Problems(); len(probs) > 0 {
		t.Errorf("the fake noted problems: %v", probs)
	}
}

// bqArray is an array parameter's element type followed by its values'
// text, or false for a scalar.
func bqArray(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return append([]string{"STRING"}, x...), true
	case []int64:
		out := []string{"INT64"}
		for _, n := range x {
			out = append(out, strconv.FormatInt(n, 10))
		}
		return out, true
	case []bool:
		out := []string{"BOOL"}
		for _, b := range x {
			out = append(out, strconv.FormatBool(b))
		}
		return out, true
	}
	return nil, false
}

// bqParam is the BigQuery type and value text of a parameter value.
func bqParam(v any) (string, string) {
	switch x := v.(type) {
	case int64:
		return "INT64", strconv.FormatInt(x, 10)
	case float64:
		return "FLOAT64", strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "STRING", x
	case bool:
		return "BOOL", strconv.FormatBool(x)
	case time.Time:
		return "TIMESTAMP", x.UTC().Format("2006-01-02 15:04:05.999999-07:00")
	}
	return "?", ""
}
