package auth

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/tenancy/tenancytest"
)

type throttleFixture struct {
	clock *fakeClock
	g     *LoginGuard
	svc   *tenancy.Service
	iss   *SessionIssuer
	pw    string
}

func newThrottleFixture(t *testing.T, limits LoginLimits) *throttleFixture {
	t.Helper()
	f := &throttleFixture{clock: newFakeClock()}
	f.g = NewLoginGuard(limits, f.clock.Now)
	f.svc, _ = tenancytest.NewService(t)
	f.iss = newIssuer(t, f.clock)
	var err error
	if _, _, f.pw, _, err = f.svc.Bootstrap(ctx, "Acme", "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *throttleFixture) login(email, password, addr string) error {
	_, _, _, err := f.g.Login(ctx, f.svc, f.iss, email, password, addr)
	return err
}

// After the free failures each failure doubles the wait, up to the cap;
// while waiting even the right password is refused without a check; a
// success clears the account.
func TestLoginBackoffPerAccount(t *testing.T) {
	f := newThrottleFixture(t, LoginLimits{FreeFailures: 3, BaseDelay: time.Second, MaxDelay: 8 * time.Second})
	for i := range 3 {
		if err := f.login("admin@acme.example", "wrong-password", "10.0.0.1"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("free failure %d: %v", i+1, err)
		}
	}
	if err := f.login("admin@acme.example", f.pw, "10.0.0.2"); err != nil {
		t.Fatalf("the right password within the free failures: %v", err)
	}
	// The success cleared the account: three more free failures, from
	// other addresses so that only the account counts.
	for i := range 3 {
		if err := f.login("admin@acme.example", "wrong-password", "10.0.1."+string(rune('1'+i))); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("free failure %d after a success: %v", i+1, err)
		}
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if err := f.login("admin@acme.example", "wrong-password", "10.0.2.1"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("failure before a wait of %v: %v", want, err)
		}
		err := f.login("admin@acme.example", f.pw, "10.0.3.1")
		if !errs.Is(err, errs.RateLimited) || errs.RetryAfter(err) != want {
			t.Fatalf("during the wait: %v (retry after %v), want rate limited for %v", err, errs.RetryAfter(err), want)
		}
		if msg := errs.UserMessage(err); !strings.Contains(msg, "too many failed sign-ins") {
			t.Errorf("user message %q", msg)
		}
		f.clock.Advance(want - time.Millisecond)
		if err := f.login("admin@acme.example", f.pw, "10.0.3.1"); !errs.Is(err, errs.RateLimited) {
			t.Fatalf("just before the wait ends: %v", err)
		}
		f.clock.Advance(time.Millisecond)
	}
	if err := f.login("admin@acme.example", f.pw, "10.0.3.1"); err != nil {
		t.Fatalf("after the wait, the right password: %v", err)
	}
	// Failures are forgotten after a quiet hour.
	f2 := newThrottleFixture(t, LoginLimits{FreeFailures: 1})
	_ = f2.login("admin@acme.example", "wrong-password", "")
	f2.clock.Advance(2 * time.Hour)
	if err := f2.login("admin@acme.example", "wrong-password", ""); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("a failure after the quiet period counts as the first: %v", err)
	}
}

// One address trying many accounts is slowed down, though no account
// reaches its limit; another address is not.
func TestLoginBackoffPerAddress(t *testing.T) {
	f := newThrottleFixture(t, LoginLimits{FreeFailures: 2, BaseDelay: 10 * time.Second})
	for _, email := range []string{"a@x.example", "b@x.example"} {
		if err := f.login(email, "guess-guess", "2001:db8::1"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatal(err)
		}
	}
	if err := f.login("c@x.example", "guess-guess", "2001:db8::1"); !errs.Is(err, errs.Unauthenticated) {
		t.Fatal(err)
	}
	// The same /64 is the same address.
	err := f.login("admin@acme.example", f.pw, "2001:db8::ffff")
	if !errs.Is(err, errs.RateLimited) || errs.RetryAfter(err) != 10*time.Second {
		t.Fatalf("address in backoff: %v", err)
	}
	if err := f.login("admin@acme.example", f.pw, "192.0.2.7"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

// Password checks run at most HashConcurrency at once; a login that waits
// longer than HashQueueTimeout for a slot is answered transient with a
// Retry-After, without doing the check.
func TestLoginHashSlots(t *testing.T) {
	f := newThrottleFixture(t, LoginLimits{HashConcurrency: 2, HashQueueTimeout: 50 * time.Millisecond})
	var running, peak atomic.Int32
	release := make(chan struct{})
	f.g.login = func(ctx context.Context, svc *tenancy.Service, iss *SessionIssuer, email, password string) (string, time.Time, tenancy.User, error) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		running.Add(-1)
		return "", time.Time{}, tenancy.User{}, errs.Userf(errs.Unauthenticated, "invalid email or password")
	}
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 2 {
		wg.Go(func() { results <- f.login("admin@acme.example", "x-x-x-x-x-x", "") })
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Both slots are busy: further logins wait, then give up.
	for range 6 {
		wg.Go(func() { results <- f.login("someone@acme.example", "x-x-x-x-x-x", "") })
	}
	busy := 0
	for range 6 {
		err := <-results
		if !errs.Is(err, errs.Transient) || errs.RetryAfter(err) <= 0 || !strings.Contains(errs.UserMessage(err), "busy") {
			t.Errorf("a login without a slot: %v (retry after %v)", err, errs.RetryAfter(err))
		}
		busy++
	}
	close(release)
	wg.Wait()
	close(results)
	for err := range results {
		if !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("a login holding a slot: %v", err)
		}
	}
	if p := peak.Load(); p != 2 || busy != 6 {
		t.Errorf("peak concurrent checks = %d (want 2), refused = %d (want 6)", p, busy)
	}
}

func TestLoginLimitsDefaults(t *testing.T) {
	l := LoginLimits{}.withDefaults()
	if l.FreeFailures != 5 || l.BaseDelay != time.Second || l.MaxDelay != 15*time.Minute || l.Forget != time.Hour ||
		l.HashConcurrency < 1 || l.HashQueueTimeout != 2*time.Second || l.MaxTracked != 100_000 {
		t.Errorf("defaults = %+v", l)
	}
}

func TestLoginGuardBoundedMemory(t *testing.T) {
	f := newThrottleFixture(t, LoginLimits{MaxTracked: 10, FreeFailures: 100})
	for i := range 50 {
		f.g.fail([]string{"account:" + strings.Repeat("x", i)})
	}
	if n := len(f.g.entries); n > 10 {
		t.Errorf("%d entries tracked, want at most 10", n)
	}
}

func TestClientAddr(t *testing.T) {
	cases := []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.1:5555", "", false, "192.0.2.1"},
		{"192.0.2.1:5555", "198.51.100.9", false, "192.0.2.1"},
		{"192.0.2.1:5555", "6.6.6.6, 198.51.100.9", true, "198.51.100.9"},
		{"[2001:db8::1]:443", "", true, "2001:db8::1"},
		{"pipe", "", false, "pipe"},
	}
	for _, c := range cases {
		if got := ClientAddr(c.remote, c.xff, c.trust); got != c.want {
			t.Errorf("ClientAddr(%q, %q, %v) = %q, want %q", c.remote, c.xff, c.trust, got, c.want)
		}
	}
}
