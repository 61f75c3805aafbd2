package etl_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// Azurite's well-known development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azuriteContainer creates a container of its own on Azurite (deleted at
// the end) and returns a function that uploads a blob and the connection
// to save (connection prefix "exports/").
func azuriteContainer(t *testing.T) (put func(key, content string), in connections.NewConnection) {
	t.Helper()
	svcURL := strings.TrimRight(testenv.Require(t, testenv.Azurite), "/")
	cred, err := container.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("b2b-etl-%x-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	cc, err := container.NewClientWithSharedKeyCredential(svcURL+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(context.Background(), nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { _, _ = cc.Delete(context.Background(), nil) })
	put = func(key, content string) {
		t.Helper()
		if _, err := cc.NewBlockBlobClient(key).UploadBuffer(context.Background(), []byte(content), nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // Azurite's modification times are whole seconds
	}
	return put, connections.NewConnection{
		Fields: connections.Fields{Name: "Azure " + name, Type: connections.AzureBlob, BucketURL: "azblob://" + name,
			Account: azuriteAccount, Endpoint: svcURL, Prefix: "exports/"},
		Secret: connections.Secret{AzureAccountKey: azuriteKey},
	}
}

// TestFileJobLatestOnAzurite: a file job in latest mode on an Azure Blob
// connection (Azurite) loads only the newest matching file of its folder
// (not one in a subfolder, not another name) as a snapshot. An older
// file's run whose load is held until the newer file's run has committed
// is superseded, not applied: the table keeps the newest file. A later
// run of the same newest file is skipped as unchanged.
func TestFileJobLatestOnAzurite(t *testing.T) {
	e, held, release := newEnvHoldingFirstLoad(t)
	ctx := context.Background()
	put, in := azuriteContainer(t)
	put("exports/in/orders_1.csv", "id,name\n1,old-a\n2,old-b\n")
	put("exports/in/notes.csv", "id,name\n7,notes\n")
	connID := e.createConn(in)
	job := e.createJob(etl.NewJob{Name: "Latest orders", Dest: etl.Dest{Table: "latest_orders"},
		File: etl.FileSource{ConnectionID: connID, Prefix: "in", Pattern: "orders_*.csv", Mode: etl.FilesLatest}})
	if job.LoadMode != etl.Truncate || job.File.Mode != etl.FilesLatest {
		t.Fatalf("job = load mode %s, file mode %s; want truncate, latest", job.LoadMode, job.File.Mode)
	}

	// The older file's run: extracted, its load held.
	oldRuns, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil || len(oldRuns) != 1 || oldRuns[0].Object.Name != "exports/in/orders_1.csv" {
		t.Fatalf("first trigger: %v %+v", err, oldRuns)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the older file's load was never requested")
	}
	// A newer file, and a still newer one in a subfolder (not claimed).
	put("exports/in/orders_2.csv", "id,name\n3,new-c\n")
	put("exports/in/sub/orders_9.csv", "id,name\n9,sub\n")
	newRuns, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil || len(newRuns) != 1 || newRuns[0].Object.Name != "exports/in/orders_2.csv" {
		t.Fatalf("second trigger: %v %+v", err, newRuns)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !e.getRun(newRuns[0].ID).Terminal() {
		if time.Now().After(deadline) {
			t.Fatal("the newer file's run did not finish while the older one's load was held")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	e.wait()
	if r := e.getRun(newRuns[0].ID); r.Status != etl.StatusCompleted || r.RowsLoaded != 1 {
		t.Errorf("newer file's run = %s, %d rows (%s); want completed, 1", r.Status, r.RowsLoaded, r.ErrorMessage)
	}
	old := e.getRun(oldRuns[0].ID)
	if old.Status != etl.StatusCompleted || old.RowsLoaded != 0 ||
		old.SkippedReason != "superseded: the newer file exports/in/orders_2.csv has already replaced the table, so this older file exports/in/orders_1.csv is not loaded" {
		t.Errorf("older file's run = %s, %d rows, skipped %q; want completed, 0, superseded by orders_2.csv", old.Status, old.RowsLoaded, old.SkippedReason)
	}
	if got := e.query(`SELECT id, name, _b2b_source_file FROM raw_data.latest_orders ORDER BY id`); fmt.Sprint(got) != "[[3 new-c exports/in/orders_2.csv]]" {
		t.Errorf("table = %v, want only orders_2.csv's row", got)
	}

	// Nothing newer: the newest file's next run is skipped as unchanged.
	again, err := e.p.ETL.TriggerJob(ctx, tenant, job.ID, eventschemas.TriggerManual)
	if err != nil || len(again) != 1 {
		t.Fatalf("third trigger: %v %+v", err, again)
	}
	e.wait()
	if r := e.getRun(again[0].ID); r.RowsLoaded != 0 || !strings.HasPrefix(r.SkippedReason, "unchanged:") {
		t.Errorf("third run = %d rows, skipped %q; want unchanged", r.RowsLoaded, r.SkippedReason)
	}
	if n := e.rows("latest_orders"); n != 1 {
		t.Errorf("rows after the third run = %d, want 1", n)
	}
}

// TestFileJobAllOnS3: a file job in mode all (the default) on an S3
// connection (gofakes3) with subfolders loads every matching file once;
// a schedule tick then loads only the new file and the changed one (which
// replaces its own rows), starting no run for unchanged files. The
// connection counts the job, shows it was used, and cannot be deleted
// under the job.
func TestFileJobAllOnS3(t *testing.T) {
	e := newEnv(t)
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	if err := backend.CreateBucket("orders"); err != nil {
		t.Fatal(err)
	}
	put := func(key, content string) {
		t.Helper()
		if _, err := backend.PutObject("orders", key, map[string]string{}, strings.NewReader(content), int64(len(content)), nil); err != nil {
			t.Fatal(err)
		}
	}
	put("in/x-1.csv", "id\n1\n2\n")
	put("in/x-2.csv", "id\n3\n")
	put("in/sub/x-3.csv", "id\n4\n")
	put("in/y.csv", "id\n99\n")
	put("out/x-5.csv", "id\n98\n")
	connID := e.createConn(connections.NewConnection{
		Fields: connections.Fields{Name: "S3 orders", Type: connections.S3, BucketURL: "s3://orders", AccessKeyID: "AKIATEST", Endpoint: ts.URL},
		Secret: connections.Secret{AWSSecretAccessKey: "aws-Secret-Key-123"},
	})
	job := e.createJob(etl.NewJob{Name: "All orders", Dest: etl.Dest{Table: "all_orders"},
		File: etl.FileSource{ConnectionID: connID, Prefix: "in", Subfolders: true, Pattern: "x-*.csv"}})
	if job.LoadMode != etl.Append || job.File.Mode != etl.FilesAll {
		t.Fatalf("job = load mode %s, file mode %s; want append, all", job.LoadMode, job.File.Mode)
	}
	runs, err := e.p.ETL.TriggerJob(context.Background(), tenant, job.ID, eventschemas.TriggerManual)
	if err != nil || len(runs) != 3 {
		t.Fatalf("trigger: %v, %d runs; want 3", err, len(runs))
	}
	e.wait()
	if got := ids(e.query(`SELECT id FROM raw_data.all_orders ORDER BY id`)); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("ids after the first trigger = %v", got)
	}

	put("in/sub/x-4.csv", "id\n5\n")
	put("in/x-1.csv", "id\n1\n20\n")
	tick := event.New()
	tick.SetID("tick-bucket")
	tick.SetType(eventschemas.TypeRunRequested)
	tick.SetSource("test")
	_ = tick.SetData(event.ApplicationJSON, eventschemas.RunRequested{Tenant: tenant, JobID: job.ID, Trigger: eventschemas.TriggerSchedule})
	if err := e.bus.Publish(context.Background(), eventschemas.TopicRunRequested, tick); err != nil {
		t.Fatal(err)
	}
	e.wait()
	all, err := e.p.ETL.ListRuns(context.Background(), tenant, etl.RunFilter{JobID: job.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ticked []string
	for _, r := range all {
		if r.Trigger == eventschemas.TriggerSchedule {
			if r.Status != etl.StatusCompleted || r.SkippedReason != "" {
				t.Errorf("tick run of %s = %s, skipped %q (%s)", r.Object.Name, r.Status, r.SkippedReason, r.ErrorMessage)
			}
			ticked = append(ticked, r.Object.Name)
		}
	}
	slices.Sort(ticked)
	if !slices.Equal(ticked, []string{"in/sub/x-4.csv", "in/x-1.csv"}) {
		t.Errorf("the tick ran %v, want the new and the changed file only", ticked)
	}
	if got := ids(e.query(`SELECT id FROM raw_data.all_orders ORDER BY id`)); !slices.Equal(got, []int64{1, 3, 4, 5, 20}) {
		t.Errorf("ids after the tick = %v, want each file's current rows once", got)
	}
	// The connection is in use: counted, and not deleted under the job.
	if v, err := e.p.Connections.Get(context.Background(), tenant, connID); err != nil || v.JobsCount != 1 || v.LastUsedAt == nil {
		t.Errorf("connection = %+v, %v; want jobs_count 1 and last_used_at set", v, err)
	}
	if err := e.p.Connections.Delete(context.Background(), tenant, connID); !errs.Is(err, errs.Conflict) {
		t.Errorf("Delete of a connection a file job reads = %v, want a conflict", err)
	}
}

// TestFileJobOnConnectionChecks: what a file job on a bucket connection is
// refused, each naming its field.
func TestFileJobOnConnectionChecks(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(ts.Close)
	connID := e.createConn(connections.NewConnection{
		Fields: connections.Fields{Name: "S3", Type: connections.S3, BucketURL: "s3://bkt", AccessKeyID: "AKIATEST", Endpoint: ts.URL},
		Secret: connections.Secret{AWSSecretAccessKey: "aws-Secret-Key-123"},
	})
	for _, tc := range []struct {
		name  string
		file  etl.FileSource
		mode  etl.LoadMode
		kind  errs.Kind
		field string
		text  string
	}{
		{"latest appends", etl.FileSource{ConnectionID: connID, Pattern: "*.csv", Mode: etl.FilesLatest}, etl.Append, errs.Invalid, "load_mode", "use load mode truncate"},
		{"unknown mode", etl.FileSource{ConnectionID: connID, Pattern: "*.csv", Mode: "newest"}, "", errs.Invalid, "file.mode", `"newest" is not one of all`},
		{"unknown connection", etl.FileSource{ConnectionID: "conn_nope", Pattern: "*.csv"}, "", errs.NotFound, "file.connection_id", "does not exist"},
		{"subfolders of the drop area", etl.FileSource{Pattern: "*.csv", Subfolders: true}, "", errs.Invalid, "file.subfolders", "bucket connection"},
		{"mode of the drop area", etl.FileSource{Pattern: "*.csv", Mode: etl.FilesLatest}, "", errs.Invalid, "file.mode", "bucket connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.p.ETL.CreateJob(context.Background(), tenant, etl.NewJob{Name: tc.name, File: tc.file, LoadMode: tc.mode})
			if !errs.Is(err, tc.kind) || errs.FieldOf(err) != tc.field || !strings.Contains(errs.UserMessage(err), tc.text) {
				t.Errorf("CreateJob = %v (kind %v, field %q, message %q); want %v on %s with %q", err, errs.KindOf(err), errs.FieldOf(err), errs.UserMessage(err), tc.kind, tc.field, tc.text)
			}
		})
	}
}

// TestFileJobOnFakeGCS: a file job on a GCS connection (fake-gcs-server)
// in latest mode loads the newest file of its folder; once an older name
// is rewritten (a new generation, now the newest by modification time),
// the next run loads that file alone in place of the table.
func TestFileJobOnFakeGCS(t *testing.T) {
	e := newEnv(t)
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "drops"})
	put := func(key, content string) {
		t.Helper()
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "drops", Name: key}, Content: []byte(content)})
		time.Sleep(5 * time.Millisecond)
	}
	put("stock/s-1.csv", "sku\nA\n")
	put("stock/s-2.csv", "sku\nB\nC\n")
	connID := e.createConn(connections.NewConnection{Fields: connections.Fields{Name: "gcs", Type: connections.GCS, BucketURL: "gs://drops", Endpoint: srv.URL()}})
	job := e.createJob(etl.NewJob{Name: "Stock", Dest: etl.Dest{Table: "gcs_stock"},
		File: etl.FileSource{ConnectionID: connID, Prefix: "stock", Pattern: "s-*.csv", Mode: etl.FilesLatest}})
	if r := e.runJob(job.ID); r.Object.Name != "stock/s-2.csv" || r.RowsLoaded != 2 {
		t.Fatalf("first run = %s, %d rows", r.Object.Name, r.RowsLoaded)
	}
	put("stock/s-1.csv", "sku\nD\n")
	if r := e.runJob(job.ID); r.Object.Name != "stock/s-1.csv" || r.RowsLoaded != 1 {
		t.Fatalf("second run = %s, %d rows; want the rewritten s-1.csv", r.Object.Name, r.RowsLoaded)
	}
	if got := e.query(`SELECT sku FROM raw_data.gcs_stock`); fmt.Sprint(got) != "[[D]]" {
		t.Errorf("table = %v, want the newest file's row D", got)
	}
}
