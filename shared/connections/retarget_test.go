package connections_test

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// attacker is a server an editor controls: it counts the connections it
// receives (a stored secret sent to it would arrive on one of them).
func attacker(t *testing.T) (host string, port int, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port, conns
}

func ptr[T any](v T) *T { return &v }

// TestRetargetNeedsTheSecret: a stored secret is only ever sent to the
// host, port, bucket, endpoint or account it was saved with. A change of
// any of them without the secret entered again is refused before anything
// is dialled, naming the secret field; the stored connection is unchanged.
func TestRetargetNeedsTheSecret(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	evilHost, evilPort, evilConns := attacker(t)
	evilURL := "http://" + net.JoinHostPort(evilHost, strconv.Itoa(evilPort))

	create := func(in connections.NewConnection) string {
		t.Helper()
		res, err := e.svc.Create(ctx, tenantA, in)
		if err != nil {
			t.Fatalf("create %s: %v", in.Name, err)
		}
		return res.Connection.ID
	}
	pg := create(connections.NewConnection{
		Fields: connections.Fields{Name: "pg", Type: connections.Postgres, Host: "db.shop.example", Port: 5432, Database: "shop", Username: "etl"},
		Secret: connections.Secret{Password: "pg-Stored-S3cret"},
	})
	pgVerified := create(connections.NewConnection{
		Fields: connections.Fields{Name: "pg tls", Type: connections.Postgres, Host: "db2.shop.example", Database: "shop", Username: "etl", SSLMode: "verify-full"},
		Secret: connections.Secret{Password: "pg-Stored-S3cret"},
	})
	my := create(connections.NewConnection{
		Fields: connections.Fields{Name: "my", Type: connections.MySQL, Host: "erp.example", Database: "erp", Username: "etl"},
		Secret: connections.Secret{Password: "my-Stored-S3cret"},
	})
	az := create(connections.NewConnection{
		Fields: connections.Fields{Name: "az", Type: connections.AzureBlob, BucketURL: "azblob://exports", Account: "acct1", Endpoint: "https://acct1.blob.core.windows.net"},
		Secret: connections.Secret{AzureSASToken: "sv=2024-01-01&sig=Stored-Sas-S1gnature"},
	})
	azKey := create(connections.NewConnection{
		Fields: connections.Fields{Name: "az key", Type: connections.AzureBlob, BucketURL: "azblob://exports", Account: "acct2"},
		Secret: connections.Secret{AzureAccountKey: "a2V5LXZhbHVlLXN0b3JlZA=="},
	})
	s3 := create(connections.NewConnection{
		Fields: connections.Fields{Name: "s3", Type: connections.S3, BucketURL: "s3://orders", AccessKeyID: "AKIATEST", Endpoint: "https://s3.example.com"},
		Secret: connections.Secret{AWSSecretAccessKey: "aws-Stored-S3cret"},
	})
	gcs := create(connections.NewConnection{
		Fields: connections.Fields{Name: "gcs", Type: connections.GCS, BucketURL: "gs://drops"},
		Secret: connections.Secret{ServiceAccountJSON: `{"type":"service_account","private_key":"Stored-Key"}`},
	})

	cases := []struct {
		name  string
		id    string
		patch connections.Patch
		want  string // "" = accepted
	}{
		{"postgres host", pg, connections.Patch{Host: ptr(evilHost), Port: ptr(evilPort), Test: true},
			"connection: password: re-enter the password to use this connection with another host"},
		{"postgres host, no test", pg, connections.Patch{Host: ptr("other.example")},
			"connection: password: re-enter the password to use this connection with another host"},
		{"postgres port", pg, connections.Patch{Port: ptr(6543), Test: true},
			"connection: password: re-enter the password to use this connection with another port"},
		{"postgres stops verifying the server", pgVerified, connections.Patch{SSLMode: ptr("require")},
			"connection: password: re-enter the password to use this connection without verifying the server's certificate"},
		{"mysql host", my, connections.Patch{Host: ptr(evilHost), Port: ptr(evilPort), Test: true},
			"connection: password: re-enter the password to use this connection with another host"},
		{"azure SAS, endpoint", az, connections.Patch{Endpoint: ptr(evilURL), Test: true},
			"connection: azure_sas_token: re-enter the SAS token to use this connection with another endpoint"},
		{"azure SAS, account", az, connections.Patch{Account: ptr("evilacct")},
			"connection: azure_sas_token: re-enter the SAS token to use this connection with another account"},
		{"azure SAS, container", az, connections.Patch{BucketURL: ptr("azblob://other")},
			"connection: azure_sas_token: re-enter the SAS token to use this connection with another bucket"},
		{"azure key, endpoint", azKey, connections.Patch{Endpoint: ptr(evilURL), Test: true},
			"connection: azure_account_key: re-enter the account key to use this connection with another endpoint"},
		{"s3 endpoint", s3, connections.Patch{Endpoint: ptr(evilURL), Test: true},
			"connection: aws_secret_access_key: re-enter the secret access key to use this connection with another endpoint"},
		{"gcs bucket", gcs, connections.Patch{BucketURL: ptr("gs://someone-elses")},
			"connection: service_account_json: re-enter the service account key to use this connection with another bucket"},
		{"gcs endpoint", gcs, connections.Patch{Endpoint: ptr(evilURL), Test: true},
			"connection: service_account_json: re-enter the service account key to use this connection with another endpoint"},
		// Accepted: the same place, or the secret entered again or cleared.
		{"postgres same host in other case", pg, connections.Patch{Host: ptr("DB.Shop.Example")}, ""},
		{"postgres database and user", pg, connections.Patch{Database: ptr("shop2"), Username: ptr("etl2"), Description: ptr("d")}, ""},
		{"postgres stronger tls", pg, connections.Patch{SSLMode: ptr("verify-full")}, ""},
		{"postgres host with the password", pg, connections.Patch{Host: ptr("other.example"), Secret: connections.SecretPatch{Password: ptr("new-Pw-1234")}}, ""},
		{"mysql host with the password cleared", my, connections.Patch{Host: ptr("erp2.example"), Secret: connections.SecretPatch{Password: ptr("")}}, ""},
		{"azure prefix", az, connections.Patch{Prefix: ptr("in/")}, ""},
		{"azure endpoint with the SAS", az, connections.Patch{Endpoint: ptr("https://acct1.blob.core.windows.net/"), Secret: connections.SecretPatch{AzureSASToken: ptr("sv=2024-01-01&sig=New")}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, err := e.svc.Get(ctx, tenantA, c.id)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Update(ctx, tenantA, c.id, c.patch)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				return
			}
			if !errs.Is(err, errs.Invalid) || err.Error() != c.want {
				t.Fatalf("Update: %v\nwant invalid %q", err, c.want)
			}
			after, err := e.svc.Get(ctx, tenantA, c.id)
			if err != nil || mustJSON(t, after) != mustJSON(t, before) {
				t.Errorf("a refused update changed the connection:\n%s\n%s", mustJSON(t, before), mustJSON(t, after))
			}
		})
	}
	if n := evilConns.Load(); n != 0 {
		t.Errorf("the editor's server received %d connections", n)
	}
	// The stored secrets never appear in a message or a log line.
	for _, v := range []string{"pg-Stored-S3cret", "my-Stored-S3cret", "Stored-Sas-S1gnature", "aws-Stored-S3cret", "Stored-Key"} {
		if strings.Contains(e.logs.String(), v) {
			t.Errorf("a log line holds a stored secret")
		}
	}
}
