package connections_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
)

const notAllowed = " are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"

// cloudService is a Service with the cloud's default policy: nothing
// internal may be reached.
func cloudService(e *env) *connections.Service {
	return connections.New(e.docs, e.secrets, connections.Options{
		Egress: egress.Default(false), Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	})
}

// TestOutboundPolicy: every kind of connection (PostgreSQL, MySQL, S3,
// Azure Blob and Cloud Storage endpoints) dials through the policy. An
// internal address is a failed test with a message naming the address and
// the setting, reached without any request (and without the SDKs' retries);
// loopback works in local mode.
func TestOutboundPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	cloud := cloudService(e)
	var requests atomic.Int32
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(local.Close)
	port := local.Listener.Addr().(*net.TCPAddr).Port

	db := func(typ connections.Type, host string, port int) connections.NewConnection {
		return connections.NewConnection{Fields: connections.Fields{Name: "db", Type: typ, Host: host, Port: port, Database: "d", Username: "u"},
			Secret: connections.Secret{Password: "pw-S3cret-value"}}
	}
	bucket := func(typ connections.Type, bucketURL, endpoint string) connections.NewConnection {
		n := connections.NewConnection{Fields: connections.Fields{Name: "b", Type: typ, BucketURL: bucketURL, Endpoint: endpoint}}
		switch typ {
		case connections.S3:
			n.AccessKeyID, n.Secret.AWSSecretAccessKey = "AKIATEST", "aws-S3cret-value"
		case connections.AzureBlob:
			n.Account, n.Secret.AzureSASToken = "acct1", "sv=2024&sig=Sas-S3cret-value"
		}
		return n
	}
	loop := fmt.Sprintf("http://127.0.0.1:%d", port)
	cases := []struct {
		name string
		svc  *connections.Service
		in   connections.NewConnection
		want string
	}{
		{"postgres on loopback, cloud", cloud, db(connections.Postgres, "127.0.0.1", port), "connections to 127.0.0.1 (loopback)" + notAllowed},
		{"postgres at the metadata address", e.svc, db(connections.Postgres, "169.254.169.254", 5432), "connections to 169.254.169.254 (link-local)" + notAllowed},
		{"postgres at the metadata name", e.svc, db(connections.Postgres, "metadata.google.internal", 5432), "connections to metadata.google.internal (the cloud metadata server)" + notAllowed},
		{"mysql in a private range", e.svc, db(connections.MySQL, "10.1.2.3", 3306), "connections to 10.1.2.3 (private)" + notAllowed},
		{"mariadb by a name resolving to loopback, cloud", cloud, db(connections.MariaDB, "localhost", port), "connections to localhost ("},
		{"s3 endpoint on loopback, cloud", cloud, bucket(connections.S3, "s3://orders", loop), "connections to 127.0.0.1 (loopback)" + notAllowed},
		{"s3 endpoint at the metadata address", e.svc, bucket(connections.S3, "s3://orders", "http://169.254.169.254"), "connections to 169.254.169.254 (link-local)" + notAllowed},
		{"azure endpoint on loopback, cloud", cloud, bucket(connections.AzureBlob, "azblob://exports", loop), "connections to 127.0.0.1 (loopback)" + notAllowed},
		{"azure endpoint at the metadata name", e.svc, bucket(connections.AzureBlob, "azblob://exports", "http://metadata.google.internal"), "connections to metadata.google.internal (the cloud metadata server)" + notAllowed},
		{"gcs endpoint on loopback, cloud", cloud, bucket(connections.GCS, "gs://drops", loop), "connections to 127.0.0.1 (loopback)" + notAllowed},
		{"gcs endpoint in a private range", e.svc, bucket(connections.GCS, "gs://drops", "http://192.168.0.10:4443"), "connections to 192.168.0.10 (private)" + notAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			tr, err := c.svc.TestValues(ctx, tenantA, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if tr.OK || !strings.HasPrefix(tr.Message, c.want) {
				t.Errorf("test: ok=%v message %q\nwant it to start with %q", tr.OK, tr.Message, c.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the refusal took %v (retried or dialled?)", d)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the loopback server received %d requests from refused connections", n)
	}
	// Local mode: the same loopback endpoint is reached.
	tr, err := e.svc.TestValues(ctx, tenantA, bucket(connections.S3, "s3://orders", loop))
	if err != nil || tr.OK || requests.Load() == 0 || strings.Contains(tr.Message, "not allowed") {
		t.Errorf("local mode did not reach the loopback endpoint: %v %+v", err, tr)
	}

	// Discovery of a saved connection is refused the same way, as a
	// permission error (not retried by ETL runs).
	res, err := cloud.Create(ctx, tenantA, db(connections.Postgres, "127.0.0.1", port))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cloud.Schemas(ctx, tenantA, res.Connection.ID)
	if !errs.Is(err, errs.Permission) || err.Error() != "connections to 127.0.0.1 (loopback)"+notAllowed {
		t.Errorf("Schemas: %v", err)
	}
	if _, _, err := cloud.OpenSource(ctx, tenantA, res.Connection.ID); err != nil {
		t.Errorf("OpenSource does not dial: %v", err)
	}
}
