package egress

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		addr  string
		class string // "" = public
	}{
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"2001:4860:4860::8888", ""},
		{"0.0.0.0", Unspecified},
		{"0.1.2.3", Unspecified},
		{"::", Unspecified},
		{"127.0.0.1", Loopback},
		{"127.255.255.254", Loopback},
		{"::1", Loopback},
		{"169.254.169.254", LinkLocal},
		{"fe80::1", LinkLocal},
		{"fe80::1%eth0", LinkLocal},
		{"10.1.2.3", Private},
		{"172.16.0.1", Private},
		{"172.31.255.255", Private},
		{"172.32.0.1", ""},
		{"192.168.1.1", Private},
		{"100.64.0.1", Private},
		{"100.100.100.200", Private},
		{"100.128.0.1", ""},
		{"fd20:ce::254", Private},
		{"fc00::1", Private},
		{"224.0.0.1", Reserved},
		{"255.255.255.255", Reserved},
		{"ff02::1", Reserved},
		// IPv6 forms of IPv4 addresses are judged by the IPv4 address.
		{"::ffff:127.0.0.1", Loopback},
		{"::ffff:169.254.169.254", LinkLocal},
		{"::ffff:10.0.0.1", Private},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::a9fe:a9fe", LinkLocal}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", ""},
		{"::127.0.0.1", Loopback}, // IPv4-compatible
		{"64:ff9b:1::1", Private},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			a := netip.MustParseAddr(c.addr)
			class, internal := Classify(a)
			if class != c.class || internal != (c.class != "") {
				t.Errorf("Classify(%s) = %q, %v; want %q", c.addr, class, internal, c.class)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"", "none", ""},
		{"none", "none", ""},
		{" NONE ", "none", ""},
		{"10.0.0.0/8", "10.0.0.0/8", ""},
		{"10.1.2.3/8", "10.0.0.0/8", ""}, // masked
		{" 10.0.0.0/8 , , 192.168.1.5 ", "10.0.0.0/8,192.168.1.5", ""},
		{"::1,[fd00::5]", "::1,fd00::5", ""},
		{"fd00::/8", "fd00::/8", ""},
		{"DB.Corp.Example.", "db.corp.example", ""},
		{"*.corp.example", "*.corp.example", ""},
		{"localhost,127.0.0.0/8", "localhost,127.0.0.0/8", ""},
		{"10.0.0.0/33", "", `"10.0.0.0/33" is not a valid CIDR range`},
		{"10.0.0/8", "", `"10.0.0/8" is not a valid CIDR range`},
		{"fe80::1%eth0", "", `"fe80::1%eth0" must not have an IPv6 zone`},
		{"http://db", "", `"http://db" is not a valid CIDR range`},
		{"db:5432", "", `"db:5432" is not a valid address, CIDR range or host name`},
		{"-db", "", `"-db" is not a valid address`},
		{"*.", "", `"*." is not a valid`}, {"*.-x", "", `"*.-x" is not a valid wildcard host name`},
		{"*", "", `"*" is not a valid address`},
		{"a..b", "", `"a..b" is not a valid address`},
		{"1234", "", `"1234" is not a valid address`},
		{"none,10.0.0.0/8", "", `entry "none" can only be used alone`},
		{"ok.example,bad host", "", `"bad host"`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, err := Parse(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error()+" "+fmt.Sprintf("%q", c.in), c.err) || !strings.HasPrefix(err.Error(), Variable+": ") {
					t.Fatalf("Parse(%q) = %v, %v; want an error containing %s", c.in, p, err, c.err)
				}
				return
			}
			if err != nil || p.String() != c.want {
				t.Fatalf("Parse(%q) = %q, %v; want %q", c.in, p.String(), err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	for _, c := range []struct {
		setting string
		local   bool
		want    string
	}{
		{"", true, "127.0.0.0/8,::1/128"},
		{"", false, "none"},
		{"  ", false, "none"},
		{"none", true, "none"},
		{"10.0.0.0/8", true, "10.0.0.0/8"}, // the setting replaces the default
	} {
		p, err := FromSetting(c.setting, c.local)
		if err != nil || p.String() != c.want {
			t.Errorf("FromSetting(%q, local=%v) = %q, %v; want %q", c.setting, c.local, p.String(), err, c.want)
		}
	}
	if _, err := FromSetting("10.0.0.0/99", true); err == nil {
		t.Error("FromSetting accepted a bad range")
	}
}

func TestCheck(t *testing.T) {
	must := func(s string) *Policy {
		p, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name   string
		policy *Policy
		host   string
		addr   string
		want   string // "" = allowed; else the message
	}{
		{"public", Strict(), "example.com", "93.184.216.34", ""},
		{"nil policy is strict", nil, "", "10.0.0.1", "connections to 10.0.0.1 (private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"metadata address", Strict(), "169.254.169.254", "169.254.169.254",
			"connections to 169.254.169.254 (link-local) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"name resolving to loopback", Strict(), "localhost", "127.0.0.1",
			"connections to localhost (127.0.0.1, loopback) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"mapped loopback", Strict(), "", "::ffff:127.0.0.1",
			"connections to ::ffff:127.0.0.1 (loopback) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"loopback in local mode", Default(true), "localhost", "127.0.0.1", ""},
		{"ipv6 loopback in local mode", Default(true), "", "::1", ""},
		{"mapped loopback in local mode", Default(true), "", "::ffff:127.0.0.2", ""},
		{"private not allowed in local mode", Default(true), "db", "10.0.0.5",
			"connections to db (10.0.0.5, private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"link-local not allowed in local mode", Default(true), "", "169.254.169.254",
			"connections to 169.254.169.254 (link-local) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"loopback refused when the setting says so", must("none"), "", "127.0.0.1",
			"connections to 127.0.0.1 (loopback) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"allowed range", must("10.20.0.0/16"), "", "10.20.3.4", ""},
		{"outside the allowed range", must("10.20.0.0/16"), "", "10.21.0.1",
			"connections to 10.21.0.1 (private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"allowed range, mapped form", must("10.20.0.0/16"), "", "::ffff:10.20.0.1", ""},
		{"allowed host", must("db.corp.example"), "DB.corp.example.", "10.9.9.9", ""},
		{"other host", must("db.corp.example"), "evil.corp.example", "10.9.9.9",
			"connections to evil.corp.example (10.9.9.9, private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"wildcard host", must("*.corp.example"), "a.b.corp.example", "10.9.9.9", ""},
		{"wildcard excludes the apex", must("*.corp.example"), "corp.example", "10.9.9.9",
			"connections to corp.example (10.9.9.9, private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
		{"wildcard is not a substring", must("*.corp.example"), "evilcorp.example", "10.9.9.9",
			"connections to evilcorp.example (10.9.9.9, private) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.Check(c.host, netip.MustParseAddr(c.addr))
			got := ""
			if err != nil {
				got = err.Error()
				if _, ok := AsDenied(err); !ok {
					t.Errorf("%v is not a *DeniedError", err)
				}
			}
			if got != c.want {
				t.Errorf("Check(%q, %s) = %q\nwant %q", c.host, c.addr, got, c.want)
			}
		})
	}
}

// listen returns a loopback listener and a counter of accepted connections.
func listen(t *testing.T) (net.Listener, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return l, &n
}

func TestDialer(t *testing.T) {
	l, accepted := listen(t)
	port := l.Addr().(*net.TCPAddr).Port
	ctx := t.Context()
	dial := func(p *Policy, savedHost, addr string) error {
		d := p.Dialer(savedHost)
		d.Timeout = 5 * time.Second
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	ip := fmt.Sprintf("127.0.0.1:%d", port)
	host := fmt.Sprintf("localhost:%d", port)

	// Refused: by address and by a name that resolves to loopback.
	for _, addr := range []string{ip, host} {
		err := dial(Strict(), "", addr)
		d, ok := AsDenied(err)
		if !ok || d.Class != Loopback || !strings.Contains(err.Error(), "are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW") {
			t.Fatalf("strict dial %s: %v", addr, err)
		}
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			t.Errorf("refusal is not a dial *net.OpError: %T", err)
		}
	}
	if d, _ := AsDenied(dial(Strict(), "", host)); d.Host != "localhost" {
		t.Errorf("refusal of a name names %q, want localhost", d.Host)
	}
	// Allowed: loopback in local mode; an allowed name, also for a later
	// address-only dial to the same server (PostgreSQL cancel requests).
	for _, c := range []struct {
		p          *Policy
		saved, dst string
	}{
		{Default(true), "", ip},
		{Default(true), "", host},
		{mustParse(t, "localhost"), "", host},
		{mustParse(t, "localhost"), "localhost", ip},
	} {
		if err := dial(c.p, c.saved, c.dst); err != nil {
			t.Errorf("dial %s (saved host %q) under %s: %v", c.dst, c.saved, c.p, err)
		}
	}
	// A name allowed is not an address allowed.
	if _, ok := AsDenied(dial(mustParse(t, "localhost"), "", ip)); !ok {
		t.Error("an allowed name let an address-only dial through")
	}
	waitFor(t, func() bool { return accepted.Load() == 4 })
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 4 {
		t.Errorf("the listener accepted %d connections, want 4 (refused dials must not connect)", n)
	}

	// Only TCP.
	if _, err := Default(true).DialContext(ctx, "unix", "/var/run/postgresql/.s.PGSQL.5432"); err == nil || !strings.Contains(err.Error(), "unix sockets are not allowed") {
		t.Errorf("unix dial: %v", err)
	}
}

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeDNS answers every A query with addr and every other query with no
// records, counting the queries. It is a minimal DNS server over UDP on
// loopback, enough for Go's resolver.
func fakeDNS(t *testing.T, addr netip.Addr) (*net.Resolver, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var queries atomic.Int32
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			queries.Add(1)
			q := buf[:n]
			if len(q) < 12 {
				continue
			}
			// The question: labels up to a zero byte, then type and class.
			end := 12
			for end < len(q) && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5
			if end > len(q) {
				continue
			}
			qtype := binary.BigEndian.Uint16(q[end-4 : end-2])
			resp := append([]byte{}, q[:end]...)
			resp[2], resp[3] = 0x81, 0x80 // response, recursion desired and available, no error
			binary.BigEndian.PutUint16(resp[6:8], 0)
			binary.BigEndian.PutUint16(resp[8:10], 0)
			binary.BigEndian.PutUint16(resp[10:12], 0)
			if qtype == 1 { // A
				binary.BigEndian.PutUint16(resp[6:8], 1)
				a4 := addr.As4()
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4)
				resp = append(resp, a4[:]...)
			}
			pc.WriteTo(resp, from)
		}
	}()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
	return r, &queries
}

// TestResolvedAddressIsChecked: a name is judged by the address it resolves
// to when the socket connects, not by how it looks; a public-looking name
// that resolves to the metadata server (DNS rebinding) is refused.
func TestResolvedAddressIsChecked(t *testing.T) {
	ctx := t.Context()
	r, _ := fakeDNS(t, netip.MustParseAddr("169.254.169.254"))
	p := Strict()
	p.resolver = r
	_, err := p.DialContext(ctx, "tcp", "totally-public.b2brecs-test.example:80")
	d, ok := AsDenied(err)
	if !ok || d.Addr != netip.MustParseAddr("169.254.169.254") || d.Class != LinkLocal {
		t.Fatalf("dial of a name resolving to the metadata server: %v", err)
	}
	if want := "connections to totally-public.b2brecs-test.example (169.254.169.254, link-local) are not allowed by this deployment; an operator can allow it with B2B_CONNECT_ALLOW"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("message %q, want %q", err, want)
	}

	// The same name resolving to loopback connects in local mode.
	l, accepted := listen(t)
	r2, _ := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	lp := LoopbackOnly()
	lp.resolver = r2
	c, err := lp.DialContext(ctx, "tcp", fmt.Sprintf("db.b2brecs-test.example:%d", l.Addr().(*net.TCPAddr).Port))
	if err != nil {
		t.Fatalf("local dial through the fake resolver: %v", err)
	}
	c.Close()
	waitFor(t, func() bool { return accepted.Load() == 1 })
}

func TestMetadataHostRefusedByName(t *testing.T) {
	r, queries := fakeDNS(t, netip.MustParseAddr("169.254.169.254"))
	for _, host := range []string{"metadata.google.internal", "METADATA.google.internal.", "metadata"} {
		p := Default(true)
		p.resolver = r
		_, err := p.DialContext(t.Context(), "tcp", host+":80")
		d, ok := AsDenied(err)
		if !ok || d.Class != MetadataServer {
			t.Fatalf("%s: %v", host, err)
		}
		if !strings.Contains(err.Error(), "connections to "+strings.TrimSuffix(strings.ToLower(host), ".")+" (the cloud metadata server) are not allowed") {
			t.Errorf("message %q", err)
		}
	}
	if n := queries.Load(); n != 0 {
		t.Errorf("%d DNS queries for refused names, want 0", n)
	}
	// An operator may allow the name explicitly (then its address decides
	// nothing more).
	if err := mustParse(t, "metadata.google.internal").CheckHost("metadata.google.internal"); err != nil {
		t.Errorf("allowed metadata host: %v", err)
	}
}

func TestHTTPClient(t *testing.T) {
	var calls atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(target.Close)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/x", http.StatusFound))
	t.Cleanup(redirect.Close)

	if tr := Strict().Transport(); tr.Proxy != nil || tr.DialContext == nil {
		t.Error("the transport uses a proxy from the environment or the default dialer")
	}
	// Strict: refused before any request.
	_, err := Strict().HTTPClient().Get(target.URL)
	if d, ok := AsDenied(err); !ok || d.Class != Loopback {
		t.Fatalf("strict GET: %v", err)
	}
	// Local mode: loopback is fine.
	resp, err := Default(true).HTTPClient().Get(target.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("local GET: %v", err)
	}
	resp.Body.Close()
	// A redirect is dialled through the same policy: the name "localhost"
	// is allowed, the address the redirect points at is not.
	u := strings.Replace(redirect.URL, "127.0.0.1", "localhost", 1)
	_, err = mustParse(t, "localhost").HTTPClient().Get(u)
	if d, ok := AsDenied(err); !ok || d.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("redirect to a refused address: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the target served %d requests, want 1", n)
	}
}

// FuzzParse: Parse never panics; what it accepts prints back to an
// equivalent list (String parses to itself), and every address or range
// entry it accepts is allowed by the policy.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "none", "10.0.0.0/8,db.corp.example", "*.x.example,::1", "[fd00::1]", "a,,b", "1.2.3.4/32, 169.254.169.254", "x/y", "*.", "Δ.example", "::ffff:10.0.0.1/104"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), Variable+": entry ") {
				t.Fatalf("error %q does not name the setting and the entry", err)
			}
			return
		}
		again, err := Parse(p.String())
		if err != nil || again.String() != p.String() {
			t.Fatalf("String %q does not parse back: %v (%q)", p.String(), err, again.String())
		}
		for _, pf := range p.prefixes {
			if !p.AddrAllowed(pf.Addr()) {
				t.Fatalf("%s: the range's own address %s is refused", p, pf.Addr())
			}
		}
		for _, h := range p.hosts {
			if !p.HostAllowed(h) || h != strings.ToLower(h) || strings.HasSuffix(h, ".") {
				t.Fatalf("%s: host %q not normalised or not allowed", p, h)
			}
		}
	})
}
