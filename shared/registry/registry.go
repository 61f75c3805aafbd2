// Package registry is the URL-scheme registry every port uses to find its
// drivers (the gocloud.dev pattern): drivers call Register from init, and
// Open picks the opener by the URL's scheme.
package registry

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// URLOpener opens a driver of type D from a URL. An opener is a value: it
// may carry the dependencies its driver needs (a bus, a logger, options),
// as gocloud.dev's URL openers do, so that a driver that cannot be opened
// from a URL alone is still opened by URL through a mux that holds such an
// opener (see With).
type URLOpener[D any] interface {
	OpenURL(ctx context.Context, u *url.URL) (D, error)
}

// Opener is a URLOpener that is a function: the form drivers that need
// nothing beyond the URL register from init.
type Opener[D any] func(ctx context.Context, u *url.URL) (D, error)

// OpenURL implements URLOpener.
func (f Opener[D]) OpenURL(ctx context.Context, u *url.URL) (D, error) { return f(ctx, u) }

// Registry maps URL schemes to openers (gocloud.dev's URLMux). Create one
// with New; the zero value is not usable.
type Registry[D any] struct {
	port    string
	mu      sync.RWMutex
	openers map[string]URLOpener[D]
}

// New returns a registry for the named port (used in error messages).
func New[D any](port string) *Registry[D] {
	return &Registry[D]{port: port, openers: map[string]URLOpener[D]{}}
}

// Register makes a driver available under a scheme, which is matched
// without regard to case (URL schemes are case-insensitive). It panics if
// the scheme is not a valid URL scheme or already has an opener: two
// drivers claiming one scheme is a programming error, found at start-up.
func (r *Registry[D]) Register(scheme string, o URLOpener[D]) {
	s := strings.ToLower(scheme)
	if !validScheme(s) {
		panic(fmt.Sprintf("registry: %s: invalid scheme %q", r.port, scheme))
	}
	if o == nil {
		panic(fmt.Sprintf("registry: %s: nil opener for scheme %q", r.port, scheme))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.openers[s]; dup {
		panic(fmt.Sprintf("registry: %s: scheme %q registered twice", r.port, s))
	}
	r.openers[s] = o
}

// With returns a new registry holding r's openers and o for scheme (which
// replaces r's opener for that scheme, if any); r is unchanged. It is how a
// caller that owns a dependency (the in-process bus, a dead-letter
// callback) makes a driver openable by URL.
func (r *Registry[D]) With(scheme string, o URLOpener[D]) *Registry[D] {
	r.mu.RLock()
	c := New[D](r.port)
	for k, v := range r.openers {
		c.openers[k] = v
	}
	r.mu.RUnlock()
	delete(c.openers, strings.ToLower(scheme))
	c.Register(scheme, o)
	return c
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
	o := r.openers[strings.ToLower(u.Scheme)]
	r.mu.RUnlock()
	if o == nil {
		return zero, errs.E(errs.Invalid, "%s: no driver for scheme %q (registered: %v)", r.port, u.Scheme, r.Schemes())
	}
	return o.OpenURL(ctx, u)
}

// validScheme reports whether s is a lower-case URL scheme (RFC 3986:
// a letter, then letters, digits, '+', '-' or '.').
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
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
