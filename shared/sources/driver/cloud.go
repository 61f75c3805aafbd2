package driver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Client is a client a cloud driver creates on first use (the Firestore
// and BigQuery clients): Get creates it once, Close closes it once and
// makes later Gets fail. Safe for concurrent use.
type Client[C interface{ Close() error }] struct {
	// Name names the driver in the log text of the closed error.
	Name string

	mu     sync.Mutex
	client C
	made   bool
	closed bool
}

// Get returns the client, creating it with create on the first call.
func (l *Client[C]) Get(create func() (C, error)) (C, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var zero C
	if l.closed {
		return zero, errs.E(errs.Invalid, "%s: the driver is closed", l.Name)
	}
	if l.made {
		return l.client, nil
	}
	c, err := create()
	if err != nil {
		return zero, err
	}
	l.client, l.made = c, true
	return c, nil
}

// Close closes the client, if one was created.
func (l *Client[C]) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if !l.made {
		return nil
	}
	var zero C
	err := l.client.Close()
	l.client, l.made = zero, false
	return err
}

// EndedErr classifies what every driver's error mapping starts with: a
// refusal of the outbound policy in err's chain or as the cause of ctx's
// end (errs.Permission with the policy's message for users), and the end
// of ctx (errs.Transient keeping context.Canceled or DeadlineExceeded in
// the chain, which client libraries report as a status of their own). It
// returns nil for any other error. red is err with secrets redacted (see
// Redact); op names the operation.
func EndedErr(ctx context.Context, err, red error, op string) error {
	denied, ok := egress.AsDenied(err)
	if !ok {
		denied, ok = egress.AsDenied(context.Cause(ctx))
	}
	if ok {
		// The policy's message is written for users.
		return errs.Explain(errs.WrapField(errs.Permission, red, "", "%s: refused by the outbound policy", op), "%s", denied.Error())
	}
	if cerr := ctx.Err(); cerr != nil {
		return errs.WrapField(errs.Transient, fmt.Errorf("%w: %w", cerr, red), "", "%s: timed out or cancelled", op)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.WrapField(errs.Transient, red, "", "%s: timed out or cancelled", op)
	}
	return nil
}

// Parallel runs fn(ctx, i) for i in [0, n), at most limit at a time, and
// returns the first error; the context fn gets ends at the first error.
// Cloud drivers use it for one request per table (row counts).
func Parallel(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
