// Package egress is the outbound policy of b2brecs: which network addresses
// the connections it makes on behalf of tenants (databases, S3, Azure Blob
// and Cloud Storage endpoints) may reach.
//
// A tenant chooses the host of a connection, so without a policy a tenant
// could make the platform connect to the cloud metadata server
// (169.254.169.254, metadata.google.internal), to services on the
// platform's own loopback interface or to the private network it runs in
// (server-side request forgery). A Policy refuses every address that is not
// public unless the operator allows it:
//
//	unspecified   0.0.0.0/8, ::
//	loopback      127.0.0.0/8, ::1
//	link-local    169.254.0.0/16, fe80::/10 (the metadata servers of the clouds)
//	private       10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7, fec0::/10
//	reserved      multicast, broadcast, 192.0.0.0/24, 198.18.0.0/15, 240.0.0.0/4
//
// IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
// IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96) are judged by that IPv4
// address.
//
// The allow list (B2B_CONNECT_ALLOW, see Parse) holds CIDR ranges, single
// addresses and host names; a host name lets a connection saved with that
// host reach whatever address it resolves to. The local platform allows
// loopback by default (the user's own database lives there); the cloud
// allows nothing internal by default.
//
// The check is made at dial time on the address actually connected to (a
// net.Dialer Control function), after name resolution: a host name that
// resolves to a public address when a connection is saved and to an
// internal one later (DNS rebinding) is still refused. Only TCP is dialled:
// Unix sockets are refused.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Variable is the setting that holds the allow list.
const Variable = "B2B_CONNECT_ALLOW"

// Classes of addresses a policy refuses unless allowed.
const (
	Unspecified = "unspecified"
	Loopback    = "loopback"
	LinkLocal   = "link-local"
	Private     = "private"
	Reserved    = "reserved"
	// MetadataServer is the class of the metadata host names, refused
	// before any name resolution.
	MetadataServer = "the cloud metadata server"
)

var internalRanges = []struct {
	prefix netip.Prefix
	class  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), Unspecified},
	{netip.MustParsePrefix("::/128"), Unspecified},
	{netip.MustParsePrefix("127.0.0.0/8"), Loopback},
	{netip.MustParsePrefix("::1/128"), Loopback},
	{netip.MustParsePrefix("169.254.0.0/16"), LinkLocal},
	{netip.MustParsePrefix("fe80::/10"), LinkLocal},
	{netip.MustParsePrefix("10.0.0.0/8"), Private},
	{netip.MustParsePrefix("172.16.0.0/12"), Private},
	{netip.MustParsePrefix("192.168.0.0/16"), Private},
	{netip.MustParsePrefix("100.64.0.0/10"), Private},  // shared address space (carrier-grade NAT; Alibaba's metadata server)
	{netip.MustParsePrefix("fc00::/7"), Private},       // unique local (GCP's IPv6 metadata server fd20:ce::254)
	{netip.MustParsePrefix("fec0::/10"), Private},      // deprecated site-local
	{netip.MustParsePrefix("64:ff9b:1::/48"), Private}, // local-use NAT64
	{netip.MustParsePrefix("192.0.0.0/24"), Reserved},
	{netip.MustParsePrefix("198.18.0.0/15"), Reserved},
	{netip.MustParsePrefix("224.0.0.0/4"), Reserved},
	{netip.MustParsePrefix("240.0.0.0/4"), Reserved}, // includes 255.255.255.255
	{netip.MustParsePrefix("ff00::/8"), Reserved},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	v4compat  = netip.MustParsePrefix("::/96")
	loopbacks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
)

// metadataHosts are the names of the cloud metadata servers. They are
// refused by name, before resolution, unless the allow list names them.
var metadataHosts = []string{"metadata.google.internal", "metadata.goog", "metadata"}

// embeddedV4 returns the IPv4 address an IPv6 address stands for, if any.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case v4compat.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	}
	return netip.Addr{}, false
}

// Classify returns the class of an internal address ("loopback",
// "link-local", ...) and true, or "" and false for a public address.
func Classify(a netip.Addr) (string, bool) {
	a = a.WithZone("")
	if v4, ok := embeddedV4(a); ok {
		if c, internal := Classify(v4); internal {
			return c, true
		}
		// A NAT64 or IPv4-compatible form of a public IPv4 address is as
		// public as the address itself; an IPv4-mapped one too.
		return "", false
	}
	if !a.IsValid() {
		return Reserved, true
	}
	for _, r := range internalRanges {
		if r.prefix.Contains(a) {
			return r.class, true
		}
	}
	return "", false
}

// Policy is an outbound policy: internal addresses are refused unless
// allowed. The zero value (and a nil *Policy) allows nothing internal.
// A Policy is immutable and safe for concurrent use.
type Policy struct {
	prefixes []netip.Prefix
	hosts    []string // exact names, lower case, without a trailing dot
	suffixes []string // ".corp.example" for an entry "*.corp.example"
	entries  []string // the entries as written by String
	resolver *net.Resolver
}

// Strict returns a policy that allows nothing internal (the cloud default).
func Strict() *Policy { return &Policy{} }

// LoopbackOnly returns a policy that allows loopback addresses only (the
// local platform's default).
func LoopbackOnly() *Policy {
	return &Policy{prefixes: slices.Clone(loopbacks), entries: []string{"127.0.0.0/8", "::1/128"}}
}

// Default is the policy of a deployment that does not set the allow list:
// loopback in local mode, nothing internal in the cloud.
func Default(local bool) *Policy {
	if local {
		return LoopbackOnly()
	}
	return Strict()
}

// FromSetting reads the value of B2B_CONNECT_ALLOW: "" is Default(local),
// anything else replaces the default (see Parse).
func FromSetting(value string, local bool) (*Policy, error) {
	if strings.TrimSpace(value) == "" {
		return Default(local), nil
	}
	return Parse(value)
}

// Parse reads an allow list: entries separated by commas, each a CIDR
// range ("10.20.0.0/16", "fd00::/8"), a single address ("192.168.1.5",
// "::1"), a host name ("db.corp.example") or a wildcard for the names
// under a domain ("*.corp.example", not the domain itself). "none" alone
// allows nothing internal. Empty entries are ignored. An error names the
// entry that is wrong.
func Parse(list string) (*Policy, error) {
	p := &Policy{}
	raw := strings.Split(list, ",")
	if len(raw) == 1 && strings.EqualFold(strings.TrimSpace(raw[0]), "none") {
		return p, nil
	}
	for _, e := range raw {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if err := p.add(e); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Policy) add(e string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s: entry %q %s (use CIDR ranges, addresses or host names separated by commas)", Variable, e, why)
	}
	if strings.Contains(e, "/") {
		pf, err := netip.ParsePrefix(e)
		if err != nil {
			return bad("is not a valid CIDR range")
		}
		pf = pf.Masked()
		p.prefixes = append(p.prefixes, pf)
		p.entries = append(p.entries, pf.String())
		return nil
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")); err == nil {
		if a.Zone() != "" {
			return bad("must not have an IPv6 zone")
		}
		pf := netip.PrefixFrom(a, a.BitLen())
		p.prefixes = append(p.prefixes, pf)
		p.entries = append(p.entries, a.String())
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(e), ".")
	if name == "none" {
		return bad("can only be used alone")
	}
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		if !validHostName(rest) {
			return bad("is not a valid wildcard host name")
		}
		p.suffixes = append(p.suffixes, "."+rest)
		p.entries = append(p.entries, name)
		return nil
	}
	if !validHostName(name) {
		return bad("is not a valid address, CIDR range or host name")
	}
	p.hosts = append(p.hosts, name)
	p.entries = append(p.entries, name)
	return nil
}

// validHostName reports whether s is a DNS name: dot-separated labels of
// letters, digits and hyphens (1-63 bytes, no leading or trailing hyphen),
// at most 253 bytes, not all digits (that would be an address).
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	digitsOnly := true
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case c >= 'a' && c <= 'z', c == '-', c == '_':
				digitsOnly = false
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return !digitsOnly
}

// String is the allow list in the form Parse reads ("none" when empty).
func (p *Policy) String() string {
	if p == nil || len(p.entries) == 0 {
		return "none"
	}
	return strings.Join(p.entries, ",")
}

// normalizeHost lower-cases a host name and drops a trailing dot and IPv6
// brackets.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")), ".")
}

// HostAllowed reports whether the allow list names host (exactly or by a
// wildcard): such a host may reach any address it resolves to.
func (p *Policy) HostAllowed(host string) bool {
	if p == nil {
		return false
	}
	h := normalizeHost(host)
	if h == "" {
		return false
	}
	if slices.Contains(p.hosts, h) {
		return true
	}
	for _, s := range p.suffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

// AddrAllowed reports whether a may be reached: it is public, or an
// allowed range holds it (or the IPv4 address it embeds).
func (p *Policy) AddrAllowed(a netip.Addr) bool {
	a = a.WithZone("")
	if _, internal := Classify(a); !internal {
		return true
	}
	if p == nil {
		return false
	}
	v4, embedded := embeddedV4(a)
	for _, pf := range p.prefixes {
		if pf.Contains(a) || (embedded && pf.Contains(v4)) {
			return true
		}
	}
	return false
}

// Check decides whether a connection saved with host may reach address a:
// nil, or a *DeniedError. host may be "" or the address itself.
func (p *Policy) Check(host string, a netip.Addr) error {
	if p.AddrAllowed(a) || p.HostAllowed(host) {
		return nil
	}
	class, _ := Classify(a)
	h := normalizeHost(host)
	if ha, err := netip.ParseAddr(h); err == nil && ha.WithZone("").Unmap() == a.WithZone("").Unmap() {
		h = ""
	}
	return &DeniedError{Host: h, Addr: a.WithZone(""), Class: class}
}

// CheckHost refuses, before any resolution, a host the policy never lets
// through by name: the cloud metadata server's names, unless allowed.
func (p *Policy) CheckHost(host string) error {
	h := normalizeHost(host)
	if slices.Contains(metadataHosts, h) && !p.HostAllowed(h) {
		return &DeniedError{Host: h, Class: MetadataServer}
	}
	return nil
}

// DeniedError is a connection the policy refused. Its message is written
// for a user; it names the address and why it is refused, never a secret.
type DeniedError struct {
	// Host is the host name asked for ("" when it was the address itself).
	Host string
	// Addr is the refused address (invalid for a host refused by name or a
	// refused network).
	Addr netip.Addr
	// Class is the address class ("link-local", ...), MetadataServer, or
	// "a local socket".
	Class string
}

func (e *DeniedError) Error() string {
	var what string
	switch {
	case !e.Addr.IsValid() && e.Host != "":
		what = fmt.Sprintf("%s (%s)", e.Host, e.Class)
	case !e.Addr.IsValid():
		what = e.Class
	case e.Host != "":
		what = fmt.Sprintf("%s (%s, %s)", e.Host, e.Addr, e.Class)
	default:
		what = fmt.Sprintf("%s (%s)", e.Addr, e.Class)
	}
	return "connections to " + what + " are not allowed by this deployment; an operator can allow it with " + Variable
}

// Timeout reports false: a refusal is not a timeout.
func (e *DeniedError) Timeout() bool { return false }

// Temporary reports false: a refusal does not go away by retrying.
func (e *DeniedError) Temporary() bool { return false }

// RetryableError reports false, so the AWS SDK does not retry a refusal.
func (e *DeniedError) RetryableError() bool { return false }

// NonRetriable marks a refusal as final for the Azure SDK's retry policy.
func (e *DeniedError) NonRetriable() {}

// AsDenied finds a *DeniedError in err's chain.
func AsDenied(err error) (*DeniedError, bool) {
	var d *DeniedError
	ok := errors.As(err, &d)
	return d, ok
}

// DialFunc is the signature of DialContext (pgconn.DialFunc,
// go-sql-driver's Config.DialFunc, http.Transport.DialContext).
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// Dialer dials for one connection under a policy.
type Dialer struct {
	// Policy decides; nil allows nothing internal.
	Policy *Policy
	// Host is the host the connection was saved with. When the allow list
	// names it, every address is allowed, including the address-only dials
	// a driver makes later to the same server (PostgreSQL cancel requests).
	Host string
	// Timeout bounds one dial (0: only the context does).
	Timeout time.Duration
	// KeepAlive is the TCP keep-alive period (0: Go's default).
	KeepAlive time.Duration
}

// Dialer returns a Dialer for a connection saved with host.
func (p *Policy) Dialer(host string) *Dialer { return &Dialer{Policy: p, Host: host} }

// DialContext dials under the policy, with the host of addr as the
// connection's host.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return (&Dialer{Policy: p}).DialContext(ctx, network, addr)
}

// DialContext dials addr ("host:port") over TCP. The host is resolved by
// the dialer and each address is checked just before the socket connects
// to it; a refused address is a *DeniedError inside a *net.OpError.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: &DeniedError{Class: "connections through " + network + " sockets"}}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	for _, h := range []string{host, d.Host} {
		if err := d.Policy.CheckHost(h); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	nameAllowed := d.Policy.HostAllowed(host) || d.Policy.HostAllowed(d.Host)
	askedFor := host
	if askedFor == "" {
		askedFor = d.Host
	}
	nd := &net.Dialer{
		Timeout:   d.Timeout,
		KeepAlive: d.KeepAlive,
		Control: func(_, address string, _ syscall.RawConn) error {
			if nameAllowed {
				return nil
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress: unexpected socket address %q", address)
			}
			return d.Policy.Check(askedFor, ap.Addr())
		},
	}
	if d.Policy != nil && d.Policy.resolver != nil {
		nd.Resolver = d.Policy.resolver
	}
	return nd.DialContext(ctx, network, addr)
}

// Transport returns an HTTP transport whose connections are dialled under
// the policy. It never uses a proxy from the environment (HTTP_PROXY
// would reach what the policy refuses), and its timeouts bound the TLS
// handshake and waiting for a response's headers. Keep one per policy:
// it pools connections.
func (p *Policy) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&Dialer{Policy: p, Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// HTTPClient returns a client over Transport. Redirects are followed
// through the same transport, so they are checked too.
func (p *Policy) HTTPClient() *http.Client { return &http.Client{Transport: p.Transport()} }
