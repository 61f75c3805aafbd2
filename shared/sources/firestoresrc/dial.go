package firestoresrc

import (
	"context"
	"net"
	"sync"

	"github.com/b2brecs/b2brecs/shared/egress"
)

// dialGuard dials the gRPC connection through the outbound policy and ends
// the calls in flight when the policy refuses the address. gRPC reports a
// failed dial only as "unavailable" (the refusal's text, not the error)
// and the client library retries unavailable calls until their deadline;
// the guard keeps the refusal and cancels every watched call with it as
// the cause, at once. A refusal is final for the driver: later calls fail
// with it before any dial (the address does not change).
type dialGuard struct {
	dialer *egress.Dialer

	mu     sync.Mutex
	denied *egress.DeniedError
	failed error // the last dial that failed otherwise (nil once one works)
	next   int
	calls  map[int]context.CancelCauseFunc
}

func newDialGuard(d *egress.Dialer) *dialGuard {
	return &dialGuard{dialer: d, calls: map[int]context.CancelCauseFunc{}}
}

// dial is the gRPC context dialer.
func (g *dialGuard) dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := g.dialer.DialContext(ctx, "tcp", addr)
	if d, ok := egress.AsDenied(err); ok {
		g.deny(d)
		return conn, err
	}
	g.mu.Lock()
	g.failed = err
	g.mu.Unlock()
	return conn, err
}

// dialFailure is the error of the last dial if it failed: gRPC retries a
// server it cannot reach until the call's deadline, and says only that
// the deadline passed.
func (g *dialGuard) dialFailure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

func (g *dialGuard) deny(d *egress.DeniedError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.denied == nil {
		g.denied = d
	}
	for _, cancel := range g.calls {
		cancel(d)
	}
}

// watch returns a context for one call that the guard cancels on a
// refusal; call stop when the call is over.
func (g *dialGuard) watch(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.denied != nil {
		cancel(g.denied)
		return ctx, func() {}
	}
	id := g.next
	g.next++
	g.calls[id] = cancel
	return ctx, func() {
		g.mu.Lock()
		delete(g.calls, id)
		g.mu.Unlock()
		cancel(nil)
	}
}

// refusal is the policy's refusal, if the guard saw one.
func (g *dialGuard) refusal() *egress.DeniedError {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.denied
}
