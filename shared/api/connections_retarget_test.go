package api_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// editorsServer is a server an editor controls: it counts the connections
// it receives.
func editorsServer(t *testing.T) (port int, conns *atomic.Int32) {
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
	return l.Addr().(*net.TCPAddr).Port, conns
}

// TestConnectionsAPIRetarget: an editor cannot point a saved connection at
// a server of their own and have the stored secret sent there: a PATCH
// that changes the host or port (databases) or the endpoint, bucket or
// account (buckets) without the secret entered again is a 400 naming the
// secret field, nothing is dialled and nothing changes.
func TestConnectionsAPIRetarget(t *testing.T) {
	dsn := testenv.Require(t, testenv.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	f := newConnFixture(t)
	evilPort, evilConns := editorsServer(t)
	evilURL := fmt.Sprintf("http://127.0.0.1:%d", evilPort)

	const pw = "pg-Retarget-S3cret-42"
	port, _ := strconv.Atoi(u.Port())
	body, _ := json.Marshal(map[string]any{"name": "PG", "type": "postgresql", "host": u.Hostname(), "port": port,
		"database": strings.TrimPrefix(u.Path, "/"), "username": u.User.Username(), "sslmode": "disable",
		"secret": map[string]string{"password": pw}})
	r := f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections", string(body))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		Connection struct {
			ID string `json:"id"`
		} `json:"connection"`
	}
	r.decode(t, &created)
	pgID := created.Connection.ID

	const sas = "sv=2024-01-01&sig=Retarget-Sas-S1gnature"
	body, _ = json.Marshal(map[string]any{"name": "Azure", "type": "azure_blob", "bucket_url": "azblob://exports", "account": "acct1",
		"endpoint": "https://acct1.blob.core.windows.net", "secret": map[string]string{"azure_sas_token": sas}})
	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections", string(body))
	if r.status != 201 {
		t.Fatalf("create azure: %d %s", r.status, r.body)
	}
	r.decode(t, &created)
	azID := created.Connection.ID

	message := func(r connResp) string {
		var e struct {
			Error struct{ Kind, Message string } `json:"error"`
		}
		r.decode(t, &e)
		return e.Error.Kind + ": " + e.Error.Message
	}
	for _, c := range []struct {
		name, id, patch string
		want            []string // kind and message parts
	}{
		{"host and port, tested", pgID, fmt.Sprintf(`{"host":"localhost","port":%d,"test":true}`, evilPort),
			[]string{"invalid: ", "password", "re-enter the password to use this connection with another host"}},
		{"host by name", pgID, `{"host":"localhost"}`,
			[]string{"invalid: ", "password", "re-enter the password to use this connection with another host"}},
		{"port", pgID, fmt.Sprintf(`{"port":%d,"test":true}`, evilPort),
			[]string{"invalid: ", "password", "re-enter the password to use this connection with another port"}},
		{"azure endpoint, tested", azID, fmt.Sprintf(`{"endpoint":%q,"test":true}`, evilURL),
			[]string{"invalid: ", "azure_sas_token", "re-enter the SAS token to use this connection with another endpoint"}},
		{"azure account", azID, `{"account":"evilacct"}`,
			[]string{"invalid: ", "azure_sas_token", "re-enter the SAS token to use this connection with another account"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+c.id, c.patch)
			got := message(r)
			if r.status != 400 {
				t.Fatalf("PATCH %s: %d %s, want 400", c.patch, r.status, r.body)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) && !strings.Contains(string(r.body), w) {
					t.Errorf("PATCH %s: %s; want %q", c.patch, r.body, w)
				}
			}
		})
	}
	if n := evilConns.Load(); n != 0 {
		t.Errorf("the editor's server received %d connections", n)
	}
	// Nothing changed: the saved connection still tests against its own
	// server.
	r = f.do(connTenantA, tenancy.RoleViewer, "GET", "/api/connections/"+pgID, "")
	if r.status != 200 || !strings.Contains(string(r.body), fmt.Sprintf(`"port":%d`, port)) || !strings.Contains(string(r.body), `"host":"`+u.Hostname()+`"`) {
		t.Errorf("after refused patches: %s", r.body)
	}
	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections/"+pgID+"/test", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"ok":true`) {
		t.Errorf("test after refused patches: %d %s", r.status, r.body)
	}
	// With the secret entered again the change is accepted.
	r = f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+pgID, `{"host":"localhost","secret":{"password":"a-New-Pw-123"}}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"host":"localhost"`) {
		t.Errorf("host with the password: %d %s", r.status, r.body)
	}
	r = f.do(connTenantA, tenancy.RoleEditor, "PATCH", "/api/connections/"+azID, fmt.Sprintf(`{"endpoint":%q,"secret":{"azure_sas_token":"sv=1&sig=new"}}`, evilURL))
	if r.status != 200 {
		t.Errorf("endpoint with the SAS token: %d %s", r.status, r.body)
	}

	// The outbound policy answers through the API too: the metadata server
	// is a failed test that says why and who can change it.
	body, _ = json.Marshal(map[string]any{"name": "meta", "type": "postgresql", "host": "169.254.169.254", "database": "d", "username": "u"})
	r = f.do(connTenantA, tenancy.RoleEditor, "POST", "/api/connections/test", string(body))
	want := "connections to 169.254.169.254 (link-local) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"
	if r.status != 200 || !strings.Contains(string(r.body), `"ok":false`) || !strings.Contains(string(r.body), want) {
		t.Errorf("test of the metadata server: %d %s", r.status, r.body)
	}
	f.assertNoSecrets(pw, "Retarget-Sas-S1gnature")
}
