package connections

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/b2brecs/b2brecs/shared/docstore"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/secrets"
	_ "github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
)

// There is no real S3 or Cloud Storage here: these tests use the
// in-process fakes the blobstore conformance suite uses (gofakes3,
// fake-gcs-server) to check the S3 and GCS paths of openBucket (static
// keys, endpoints, bucket names) end to end through the Service.

func newTestService(t *testing.T) *Service {
	t.Helper()
	dir := t.TempDir()
	docs, err := docstore.Open(t.Context(), "sqlite://"+filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docs.Close() })
	sec, err := secrets.Open(t.Context(), "local://"+filepath.Join(dir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sec.Close() })
	// The fakes listen on loopback, as in local mode.
	return New(docs, sec, Options{Egress: egress.LoopbackOnly(), Logger: slog.New(slog.DiscardHandler)})
}

func fileKeys(fs []FileInfo) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Key)
	}
	return strings.Join(out, " ")
}

func TestFakeS3(t *testing.T) {
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	if err := backend.CreateBucket("orders"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"in/x-1.csv", "in/x-2.csv", "in/y.txt", "out/x-3.csv"} {
		if _, err := backend.PutObject("orders", k, map[string]string{}, strings.NewReader("a,b\n"), 4, nil); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestService(t)
	ctx := t.Context()
	res, err := s.Create(ctx, "t1", NewConnection{
		Fields: Fields{Name: "s3", Type: S3, BucketURL: "s3://orders", Prefix: "in/", AccessKeyID: "AKIATEST", Endpoint: ts.URL},
		Secret: Secret{AWSSecretAccessKey: "aws-Secret-Key-123"}, TestFirst: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connection.Region != "us-east-1" || res.Test == nil || len(res.Test.Tables) != 3 {
		t.Fatalf("created %+v test %+v", res.Connection, res.Test)
	}
	files, err := s.ListFiles(ctx, "t1", res.Connection.ID, "", "x-*.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := fileKeys(files); got != "in/x-1.csv in/x-2.csv" && got != "in/x-2.csv in/x-1.csv" {
		t.Errorf("files %q", got)
	}
	// A missing bucket is a failed test naming the problem.
	tr, err := s.TestValues(ctx, "t1", NewConnection{
		Fields: Fields{Name: "s3b", Type: S3, BucketURL: "s3://nope", AccessKeyID: "AKIATEST", Endpoint: ts.URL},
		Secret: Secret{AWSSecretAccessKey: "aws-Secret-Key-123"},
	})
	if err != nil || tr.OK || !strings.Contains(tr.Message, "not found") {
		t.Errorf("missing bucket: %v %+v", err, tr)
	}
}

func TestFakeGCS(t *testing.T) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "drops"})
	for _, k := range []string{"a/orders.csv", "a/b/orders.csv", "a/c.json"} {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "drops", Name: k}, Content: []byte("x")})
	}
	s := newTestService(t)
	ctx := t.Context()
	res, err := s.Create(ctx, "t1", NewConnection{Fields: Fields{Name: "gcs", Type: GCS, BucketURL: "gs://drops/", Prefix: "a/", Endpoint: srv.URL()}, TestFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Connection.BucketURL != "gs://drops" || len(res.Test.Tables) != 3 {
		t.Fatalf("created %+v test %+v", res.Connection, res.Test)
	}
	files, err := s.ListFiles(ctx, "t1", res.Connection.ID, "b/", "*.csv")
	if err != nil || fileKeys(files) != "a/b/orders.csv" {
		t.Errorf("files %v %q", err, fileKeys(files))
	}
	// A service-account JSON that is not one is refused before any call.
	tr, err := s.TestValues(ctx, "t1", NewConnection{Fields: Fields{Name: "g2", Type: GCS, BucketURL: "gs://drops"},
		Secret: Secret{ServiceAccountJSON: `{"type":"authorized_user","client_secret":"cs-Secret-999"}`}})
	if err != nil || tr.OK || strings.Contains(tr.Message, "cs-Secret-999") || !strings.Contains(tr.Message, "service account") {
		t.Errorf("non-service-account JSON: %+v", tr)
	}
}
