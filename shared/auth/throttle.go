package auth

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// LoginLimits bound password logins. The zero value of a field means its
// default (docs/api.md, "Login throttling"; B2B_LOGIN_* variables).
type LoginLimits struct {
	// FreeFailures is how many failed logins an account, and a client
	// address, may have before each further failure makes it wait
	// (default 5).
	FreeFailures int
	// BaseDelay is the wait after the first failure beyond FreeFailures;
	// each further failure doubles it (default 1s).
	BaseDelay time.Duration
	// MaxDelay caps the wait (default 15m).
	MaxDelay time.Duration
	// Forget is how long after its last failure an account or address
	// starts again with FreeFailures (default 1h).
	Forget time.Duration
	// HashConcurrency is how many password checks (bcrypt, ~50 ms of CPU
	// each) run at once (default GOMAXPROCS), so a flood of logins cannot
	// take every CPU from the rest of the API.
	HashConcurrency int
	// HashQueueTimeout is how long a login waits for a free slot before
	// it is answered 503 with Retry-After (default 2s).
	HashQueueTimeout time.Duration
	// MaxTracked bounds the accounts and addresses remembered (default
	// 100,000); the oldest unblocked entries are dropped first.
	MaxTracked int
}

// withDefaults fills the zero fields.
func (l LoginLimits) withDefaults() LoginLimits {
	if l.FreeFailures <= 0 {
		l.FreeFailures = 5
	}
	if l.BaseDelay <= 0 {
		l.BaseDelay = time.Second
	}
	if l.MaxDelay <= 0 {
		l.MaxDelay = 15 * time.Minute
	}
	l.MaxDelay = max(l.MaxDelay, l.BaseDelay)
	if l.Forget <= 0 {
		l.Forget = time.Hour
	}
	if l.HashConcurrency <= 0 {
		l.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	if l.HashQueueTimeout <= 0 {
		l.HashQueueTimeout = 2 * time.Second
	}
	if l.MaxTracked <= 0 {
		l.MaxTracked = 100_000
	}
	return l
}

// LoginGuard runs password logins under LoginLimits: an account or a
// client address with too many recent failures waits (errs.RateLimited
// with a RetryAfter, before any password work), and password checks run
// a bounded number at a time. The counts live in the process (each
// function instance keeps its own), which bounds an attacker per instance.
// It is safe for concurrent use.
type LoginGuard struct {
	limits LoginLimits
	now    func() time.Time
	slots  chan struct{}
	// login checks the password and issues the token (Login; tests
	// replace it to observe concurrency).
	login func(ctx context.Context, svc *tenancy.Service, issuer *SessionIssuer, email, password string) (string, time.Time, tenancy.User, error)

	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	count   int
	last    time.Time // last failure
	blocked time.Time // no attempt before this
}

// NewLoginGuard returns a guard with the given limits (zero fields take
// their defaults). now is the clock (nil: time.Now).
func NewLoginGuard(limits LoginLimits, now func() time.Time) *LoginGuard {
	limits = limits.withDefaults()
	if now == nil {
		now = time.Now
	}
	return &LoginGuard{limits: limits, now: now, slots: make(chan struct{}, limits.HashConcurrency),
		login: Login, entries: map[string]*failures{}}
}

// Limits returns the limits in force (defaults filled in).
func (g *LoginGuard) Limits() LoginLimits { return g.limits }

// Login is Login under the guard's limits. clientAddr is the caller's IP
// address (ClientAddr); IPv6 addresses count per /64.
func (g *LoginGuard) Login(ctx context.Context, svc *tenancy.Service, issuer *SessionIssuer, email, password, clientAddr string) (string, time.Time, tenancy.User, error) {
	keys := g.keys(email, clientAddr)
	if wait := g.wait(keys); wait > 0 {
		return "", time.Time{}, tenancy.User{}, tooManyFailures(wait)
	}
	if err := g.acquire(ctx); err != nil {
		return "", time.Time{}, tenancy.User{}, err
	}
	token, exp, u, err := g.login(ctx, svc, issuer, email, password)
	<-g.slots
	switch {
	case err == nil:
		g.forget(keys[0]) // the account; the address keeps its failures
	case errs.Is(err, errs.Unauthenticated):
		g.fail(keys)
	}
	return token, exp, u, err
}

// tooManyFailures is the answer while an account or address waits.
func tooManyFailures(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return errs.WithRetryAfter(errs.Userf(errs.RateLimited,
		"too many failed sign-ins: wait %d seconds before trying again", secs), time.Duration(secs)*time.Second)
}

// acquire takes a password-check slot, waiting at most HashQueueTimeout.
func (g *LoginGuard) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(g.limits.HashQueueTimeout)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errs.WithRetryAfter(errs.Explain(errs.E(errs.Transient, "auth: no password-check slot within %s (%d busy)", g.limits.HashQueueTimeout, cap(g.slots)),
			"sign-in is busy: try again in a moment"), time.Second)
	case <-ctx.Done():
		return errs.Wrap(errs.Transient, ctx.Err(), "auth: waiting for a password-check slot")
	}
}

// keys are the throttle keys of a login: the account, then the address.
func (g *LoginGuard) keys(email, clientAddr string) []string {
	account := "account:" + strings.ToLower(strings.TrimSpace(email))
	if clientAddr == "" {
		return []string{account}
	}
	return []string{account, "addr:" + addrKey(clientAddr)}
}

// addrKey is an IPv4 address, or the /64 of an IPv6 address (one host
// usually holds a whole /64).
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// wait is how long the longest-blocked key still waits.
func (g *LoginGuard) wait(keys []string) time.Duration {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if f := g.entries[k]; f != nil && f.blocked.After(now) {
			wait = max(wait, f.blocked.Sub(now))
		}
	}
	return wait
}

// fail counts a failure for each key and blocks those past FreeFailures.
func (g *LoginGuard) fail(keys []string) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range keys {
		f := g.entries[k]
		if f == nil {
			g.makeRoom(now)
			f = &failures{}
			g.entries[k] = f
		}
		if now.Sub(f.last) > g.limits.Forget {
			f.count = 0
		}
		f.count++
		f.last = now
		if over := f.count - g.limits.FreeFailures; over > 0 {
			delay := g.limits.MaxDelay
			if over < 40 && g.limits.BaseDelay<<(over-1) < g.limits.MaxDelay {
				delay = g.limits.BaseDelay << (over - 1)
			}
			f.blocked = now.Add(delay)
		}
	}
}

func (g *LoginGuard) forget(key string) {
	g.mu.Lock()
	delete(g.entries, key)
	g.mu.Unlock()
}

// makeRoom drops forgotten entries when the table is full, then, if it is
// still full, unblocked ones. g.mu is held.
func (g *LoginGuard) makeRoom(now time.Time) {
	if len(g.entries) < g.limits.MaxTracked {
		return
	}
	for k, f := range g.entries {
		if now.Sub(f.last) > g.limits.Forget && !f.blocked.After(now) {
			delete(g.entries, k)
		}
	}
	for k, f := range g.entries {
		if len(g.entries) < g.limits.MaxTracked {
			return
		}
		if !f.blocked.After(now) {
			delete(g.entries, k)
		}
	}
}

// ClientAddr is the address a request came from: the host of RemoteAddr,
// or, when trustForwarded is set (behind Google's front end, which appends
// the caller's address), the last X-Forwarded-For entry.
func ClientAddr(remoteAddr, forwardedFor string, trustForwarded bool) string {
	if trustForwarded && forwardedFor != "" {
		parts := strings.Split(forwardedFor, ",")
		if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
			return a
		}
	}
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}
