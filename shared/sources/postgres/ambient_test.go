package postgres_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	"github.com/b2brecs/b2brecs/shared/sources/postgres"
)

// A fake PostgreSQL server on a loopback listener: it accepts TLS
// (requesting, not requiring, a client certificate), asks for a cleartext
// password and records what the client sent: startup parameters, the
// password and whether a client certificate came with the handshake. The
// test server the other tests use trusts every local user (-A trust), so
// it would never show what a client sends; this one does.

type startupRecord struct {
	params     map[string]string
	password   string
	clientCert bool
}

type fakePG struct {
	port    int
	mu      sync.Mutex
	records []startupRecord
}

func (f *fakePG) all() []startupRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]startupRecord(nil), f.records...)
}

func startFakePG(t *testing.T) *fakePG {
	t.Helper()
	cert, _, _ := selfSigned(t, "fake-postgres")
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f := &fakePG{port: l.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c, tlsCfg)
		}
	}()
	return f
}

func (f *fakePG) serve(c net.Conn, tlsCfg *tls.Config) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var rec startupRecord
	var conn net.Conn = c
	be := pgproto3.NewBackend(conn, conn)
	var startup *pgproto3.StartupMessage
	for startup == nil {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if _, err := conn.Write([]byte("S")); err != nil {
				return
			}
			tc := tls.Server(conn, tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			rec.clientCert = len(tc.ConnectionState().PeerCertificates) > 0
			conn = tc
			be = pgproto3.NewBackend(conn, conn)
		case *pgproto3.GSSEncRequest:
			if _, err := conn.Write([]byte("N")); err != nil {
				return
			}
		case *pgproto3.StartupMessage:
			startup = m
		default:
			return
		}
	}
	rec.params = startup.Parameters
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	if err := be.Flush(); err != nil {
		return
	}
	if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return
	}
	msg, err := be.Receive()
	if pm, ok := msg.(*pgproto3.PasswordMessage); err == nil && ok {
		rec.password = pm.Password
	}
	f.mu.Lock()
	f.records = append(f.records, rec)
	f.mu.Unlock()
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: "password authentication failed for user \"" + startup.Parameters["user"] + "\""})
	_ = be.Flush()
}

// selfSigned returns a certificate with its key, and both as PEM.
func selfSigned(t *testing.T, cn string) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM, keyPEM
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNoAmbientCredentials: whatever the server's environment holds (PG*
// variables, a password file, ~/.pgpass, a service file, a client
// certificate), a connection sends only what was saved with it.
func TestNoAmbientCredentials(t *testing.T) {
	const (
		passfilePW = "Ambient-Passfile-S3cret"
		envPW      = "Ambient-Env-S3cret"
		homePW     = "Ambient-Home-S3cret"
		servicePW  = "Ambient-Service-S3cret"
	)
	_, certPEM, keyPEM := selfSigned(t, "ambient-client")
	cases := []struct {
		name     string
		password string // the connection's own
		setup    func(t *testing.T, home string)
	}{
		{"PGPASSFILE and PGPASSWORD", "", func(t *testing.T, home string) {
			t.Setenv("PGPASSFILE", writeFile(t, filepath.Join(t.TempDir(), "pgpass"), []byte("*:*:*:*:"+passfilePW+"\n")))
			t.Setenv("PGPASSWORD", envPW)
		}},
		{"~/.pgpass and ~/.postgresql client certificate", "", func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, ".pgpass"), []byte("*:*:*:*:"+homePW+"\n"))
			writeFile(t, filepath.Join(home, ".postgresql", "postgresql.crt"), certPEM)
			writeFile(t, filepath.Join(home, ".postgresql", "postgresql.key"), keyPEM)
		}},
		{"service file", "", func(t *testing.T, home string) {
			dir := t.TempDir()
			svc := "[b2b]\npassword=" + servicePW + "\napplication_name=ambient-service\nsslcert=" +
				writeFile(t, filepath.Join(dir, "c.crt"), certPEM) + "\nsslkey=" + writeFile(t, filepath.Join(dir, "c.key"), keyPEM) + "\n"
			t.Setenv("PGSERVICEFILE", writeFile(t, filepath.Join(dir, "pg_service.conf"), []byte(svc)))
			t.Setenv("PGSERVICE", "b2b")
		}},
		{"PGSSLCERT, PGAPPNAME, PGOPTIONS", "", func(t *testing.T, home string) {
			dir := t.TempDir()
			t.Setenv("PGSSLCERT", writeFile(t, filepath.Join(dir, "c.crt"), certPEM))
			t.Setenv("PGSSLKEY", writeFile(t, filepath.Join(dir, "c.key"), keyPEM))
			t.Setenv("PGAPPNAME", "ambient-app")
			t.Setenv("PGOPTIONS", "-c search_path=ambient")
			t.Setenv("PGTZ", "Ambient/Zone")
		}},
		{"own password with a password file around", "Own-Saved-S3cret", func(t *testing.T, home string) {
			t.Setenv("PGPASSFILE", writeFile(t, filepath.Join(t.TempDir(), "pgpass"), []byte("*:*:*:*:"+passfilePW+"\n")))
			writeFile(t, filepath.Join(home, ".pgpass"), []byte("*:*:*:*:"+homePW+"\n"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			c.setup(t, home)
			srv := startFakePG(t)
			d, err := postgres.New(sources.Connection{Host: "127.0.0.1", Port: srv.port, Database: "shop", Username: "etl",
				Password: c.password, SSLMode: "prefer", ConnectTimeout: 5 * time.Second, Egress: egress.LoopbackOnly()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if _, err := d.Test(ctx); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("Test against the fake server: %v, want unauthenticated", err)
			}
			recs := srv.all()
			if len(recs) == 0 {
				t.Fatal("the fake server saw no startup")
			}
			for _, r := range recs {
				if r.password != c.password {
					t.Errorf("password sent %q, want %q (the connection's own)", r.password, c.password)
				}
				for _, amb := range []string{passfilePW, envPW, homePW, servicePW} {
					if strings.Contains(r.password, amb) {
						t.Errorf("an ambient password was sent: %q", r.password)
					}
				}
				if r.clientCert {
					t.Error("a client certificate from the environment was presented")
				}
				if r.params["user"] != "etl" || r.params["database"] != "shop" {
					t.Errorf("startup user/database %q/%q", r.params["user"], r.params["database"])
				}
				for _, k := range []string{"application_name", "options", "timezone"} {
					if v, ok := r.params[k]; ok {
						t.Errorf("startup parameter %s=%q came from the environment", k, v)
					}
				}
			}
		})
	}
}
