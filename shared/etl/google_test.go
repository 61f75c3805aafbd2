package etl_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/sources/bigquerysrc/bqrequestfake"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// firestoreSource gives the test a fresh project on the Firestore emulator
// (emptied when the test ends), a function that writes documents through
// the library's client, and the connection to save.
func firestoreSource(t *testing.T) (set func(path string, doc map[string]any), in connections.NewConnection) {
	t.Helper()
	addr := testenv.Require(t, testenv.Firestore)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	project := "etl-" + hex.EncodeToString(b)
	c, err := firestore.NewClient(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/emulator/v1/projects/"+project+"/databases/(default)/documents", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
	set = func(path string, doc map[string]any) {
		t.Helper()
		if _, err := c.Doc(path).Set(context.Background(), doc); err != nil {
			t.Fatal(err)
		}
	}
	return set, connections.NewConnection{Fields: connections.Fields{Name: "app " + project, Type: connections.Firestore, Project: project, Endpoint: "http://" + addr}}
}

// TestDatabaseJobFirestore: a collection on the Firestore emulator is
// loaded by database jobs: a snapshot (document id and update time as
// columns, a nested map as JSON, a missing field as NULL) and an
// incremental append on a field, keyed on the document id, that loads a
// document at the watermark once and a new one once.
func TestDatabaseJobFirestore(t *testing.T) {
	e := newEnv(t)
	set, in := firestoreSource(t)
	t1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	set("orders/o1", map[string]any{"customer": "acme", "placed_at": t1, "lines": map[string]any{"sku": "A-1", "qty": int64(2)}})
	set("orders/o2", map[string]any{"customer": "globex", "placed_at": t2})
	set("orders/o3", map[string]any{"customer": "initech", "placed_at": t2, "vip": true})
	connID := e.createConn(in)

	snap := e.createJob(etl.NewJob{Name: "FS snapshot", SourceType: "firestore", LoadMode: etl.Truncate, Dest: etl.Dest{Table: "fs_snap"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders"}})
	if snap.SourceType != etl.SourceDatabase {
		t.Fatalf("source type = %s", snap.SourceType)
	}
	if r := e.runJob(snap.ID); r.RowsRead != 3 || r.RowsLoaded != 3 || r.RowsRejected != 0 {
		t.Fatalf("snapshot run = read %d loaded %d rejected %d", r.RowsRead, r.RowsLoaded, r.RowsRejected)
	}
	rows := e.query(`SELECT document_id, customer, CAST(lines AS VARCHAR), vip, update_time IS NOT NULL FROM raw_data.fs_snap ORDER BY document_id`)
	want := [][]any{{"o1", "acme", `{"qty":2,"sku":"A-1"}`, nil, true}, {"o2", "globex", nil, nil, true}, {"o3", "initech", nil, true, true}}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("snapshot rows = %v, want %v", rows, want)
	}

	inc := e.createJob(etl.NewJob{Name: "FS orders", SourceType: "firestore", Dest: etl.Dest{Table: "fs_orders"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", TimestampColumn: "placed_at"}})
	if inc.LoadMode != etl.Append {
		t.Fatalf("load mode = %s", inc.LoadMode)
	}
	r1 := e.runJob(inc.ID)
	if r1.RowsLoaded != 3 || r1.WatermarkTo == nil || r1.WatermarkTo.Value != "2026-03-01T11:00:00Z" {
		t.Fatalf("run 1 = loaded %d to %+v", r1.RowsLoaded, r1.WatermarkTo)
	}
	// One document at the watermark, one after it, one rewritten before it
	// (below the watermark: not read again by an append).
	set("orders/o4", map[string]any{"customer": "umbrella", "placed_at": t2})
	set("orders/o5", map[string]any{"customer": "hooli", "placed_at": t2.Add(time.Minute)})
	set("orders/o1", map[string]any{"customer": "acme2", "placed_at": t1})
	r2 := e.runJob(inc.ID)
	if r2.RowsRead != 2 || r2.RowsLoaded != 2 || r2.WatermarkTo.Value != "2026-03-01T11:01:00Z" {
		t.Fatalf("run 2 = read %d loaded %d to %+v", r2.RowsRead, r2.RowsLoaded, r2.WatermarkTo)
	}
	got := e.query(`SELECT document_id, customer FROM raw_data.fs_orders ORDER BY document_id`)
	want = [][]any{{"o1", "acme"}, {"o2", "globex"}, {"o3", "initech"}, {"o4", "umbrella"}, {"o5", "hooli"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("incremental rows = %v, want %v", got, want)
	}

	// By update time: the rewritten document is read again, merged on the id.
	byTime := e.createJob(etl.NewJob{Name: "FS by update time", SourceType: "firestore", LoadMode: etl.Merge, Dest: etl.Dest{Table: "fs_latest"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", TimestampColumn: "__update_time"}})
	if !slices.Equal(byTime.MergeKeys, []string{"document_id"}) {
		t.Fatalf("merge keys = %v", byTime.MergeKeys)
	}
	e.runJob(byTime.ID)
	set("orders/o2", map[string]any{"customer": "globex2", "placed_at": t2})
	if r := e.runJob(byTime.ID); r.RowsRead != 1 {
		t.Fatalf("update-time run read %d documents, want 1", r.RowsRead)
	}
	got = e.query(`SELECT document_id, customer FROM raw_data.fs_latest ORDER BY document_id`)
	want = [][]any{{"o1", "acme2"}, {"o2", "globex2"}, {"o3", "initech"}, {"o4", "umbrella"}, {"o5", "hooli"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("update-time rows = %v, want %v", got, want)
	}
}

// TestDatabaseJobBigQuery: a BigQuery table without a primary key (on the
// request fake) is loaded by a snapshot; an incremental append on it is
// refused with what to do instead (rows at the watermark could load
// twice), and an incremental merge on named keys re-reads the rows at the
// watermark and upserts them, so none loads twice.
func TestDatabaseJobBigQuery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := bqrequestfake.New(t)
	t1 := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	fields := []bqrequestfake.Field{{Name: "id", Type: "INTEGER"}, {Name: "name", Type: "STRING"}, {Name: "updated_at", Type: "TIMESTAMP"}}
	table := [][]any{{"1", "acme", bqrequestfake.Micros(t1)}, {"2", "globex", bqrequestfake.Micros(t1.Add(time.Hour))}}
	f.Tables["tenant-proj.shop.customers"] = bqrequestfake.Table{Kind: "TABLE", Fields: fields, Rows: table}
	// The query job: the table's rows at or after the since parameter
	// (all without it).
	f.Answer = func(q bqrequestfake.Query) ([]bqrequestfake.Field, [][]any, int) {
		var since int64
		for _, p := range q.QueryParameter {
			if p.Name == "since" {
				ts, err := time.Parse("2006-01-02 15:04:05.999999-07:00", p.ParameterValue.Value)
				if err != nil {
					t.Errorf("since parameter %q: %v", p.ParameterValue.Value, err)
				}
				since = ts.UnixMicro()
			}
		}
		var out [][]any
		for _, r := range f.Tables["tenant-proj.shop.customers"].Rows {
			if us, _ := strconv.ParseInt(r[2].(string), 10, 64); us >= since {
				out = append(out, r)
			}
		}
		return fields, out, http.StatusOK
	}
	connID := e.createConn(connections.NewConnection{Fields: connections.Fields{Name: "warehouse", Type: connections.BigQuery, Project: "tenant-proj",
		Dataset: "shop", Endpoint: "http://" + net.JoinHostPort(f.Host, strconv.Itoa(f.Port))}})

	snap := e.createJob(etl.NewJob{Name: "BQ snapshot", SourceType: "bigquery", LoadMode: etl.Truncate, Dest: etl.Dest{Table: "bq_snap"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "customers"}})
	if r := e.runJob(snap.ID); r.RowsRead != 2 || r.RowsLoaded != 2 {
		t.Fatalf("snapshot run = read %d loaded %d", r.RowsRead, r.RowsLoaded)
	}
	if got := e.query(`SELECT id, name FROM raw_data.bq_snap ORDER BY id`); fmt.Sprint(got) != "[[1 acme] [2 globex]]" {
		t.Fatalf("snapshot rows = %v", got)
	}

	_, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "BQ append", SourceType: "bigquery", Dest: etl.Dest{Table: "bq_append"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "customers", TimestampColumn: "updated_at"}})
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "database.timestamp_column" || !strings.Contains(errs.UserMessage(err), "has no primary key") ||
		!strings.Contains(errs.UserMessage(err), "merge") {
		t.Fatalf("append without a key: %v (field %q)", err, errs.FieldOf(err))
	}

	merge := e.createJob(etl.NewJob{Name: "BQ merge", SourceType: "bigquery", LoadMode: etl.Merge, MergeKeys: []string{"id"}, Dest: etl.Dest{Table: "bq_merge"},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "customers", TimestampColumn: "updated_at"}})
	r1 := e.runJob(merge.ID)
	if r1.RowsLoaded != 2 || r1.WatermarkTo == nil || r1.WatermarkTo.Value != "2026-04-01T09:00:00Z" {
		t.Fatalf("merge run 1 = loaded %d to %+v", r1.RowsLoaded, r1.WatermarkTo)
	}
	st := f.Tables["tenant-proj.shop.customers"]
	st.Rows = append(st.Rows, []any{"3", "initech", bqrequestfake.Micros(t1.Add(time.Hour))}, []any{"4", "hooli", bqrequestfake.Micros(t1.Add(2 * time.Hour))})
	st.Rows[1] = []any{"2", "globex2", bqrequestfake.Micros(t1.Add(time.Hour))}
	f.Tables["tenant-proj.shop.customers"] = st
	r2 := e.runJob(merge.ID)
	if r2.RowsRead != 3 || r2.WatermarkTo.Value != "2026-04-01T10:00:00Z" {
		t.Fatalf("merge run 2 = read %d to %+v (rows at the watermark are read again)", r2.RowsRead, r2.WatermarkTo)
	}
	if got := e.query(`SELECT id, name FROM raw_data.bq_merge ORDER BY id`); fmt.Sprint(got) != "[[1 acme] [2 globex2] [3 initech] [4 hooli]]" {
		t.Fatalf("merged rows = %v", got)
	}
}
