// Package registry is the URL-scheme registry every port uses to find its
// drivers (the gocloud.dev pattern): drivers call Register from init, and
// Open picks the opener by the URL's scheme.
package registry

import (
	"context"
	"net/url"
	"sort"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Opener opens a driver of type D from a URL.
type Opener[D any] func(ctx context.Context, u *url.URL) (D, error)

// Registry maps URL schemes to openers. The zero value is ready to use.
type Registry[D any] struct {
	port    string
	mu      sync.RWMutex
	openers map[string]Opener[D]
}

// New returns a registry for the named port (used in error messages).
func New[D any](port string) *Registry[D] {
	return &Registry[D]{port: port, openers: map[string]Opener[D]{}}
}

// Register makes a driver available under a scheme.
func (r *Registry[D]) Register(scheme string, o Opener[D]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.openers[scheme] = o
}

// Schemes lists the registered schemes, sorted.
func (r *Registry[D]) Schemes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := make([]string, 0, len(r.openers))
	for k := range r.openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open parses rawURL and calls the opener registered for its scheme.
func (r *Registry[D]) Open(ctx context.Context, rawURL string) (D, error) {
	var zero D
	u, err := url.Parse(rawURL)
	if err != nil {
		return zero, errs.Wrap(errs.Invalid, err, "%s: parse url", r.port)
	}
	r.mu.RLock()
	o := r.openers[u.Scheme]
	r.mu.RUnlock()
	if o == nil {
		return zero, errs.E(errs.Invalid, "%s: no driver for scheme %q (registered: %v)", r.port, u.Scheme, r.Schemes())
	}
	return o(ctx, u)
}

// LocalPath returns the file system path named by a driver URL:
// scheme:///abs/path gives /abs/path, scheme:rel/path and scheme://./rel/path
// give rel/path.
func LocalPath(u *url.URL) string {
	switch {
	case u.Opaque != "":
		return u.Opaque
	case u.Host == ".":
		return "." + u.Path
	case u.Host != "":
		return u.Host + u.Path
	default:
		return u.Path
	}
}
