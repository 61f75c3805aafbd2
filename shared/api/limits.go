package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth"
)

// Limits bound the API's time and the logins it accepts. Zero fields take
// the defaults (DefaultLimits); each is set by a B2B_* variable
// (LimitsFromEnv, docs/api.md "Limits").
type Limits struct {
	// Server timeouts of the local HTTP server (ServeWith).
	ReadHeaderTimeout time.Duration // B2B_HTTP_READ_HEADER_TIMEOUT, 10s
	ReadTimeout       time.Duration // B2B_HTTP_READ_TIMEOUT, 60s: the whole request, body included
	WriteTimeout      time.Duration // B2B_HTTP_WRITE_TIMEOUT, 90s: from the end of the headers to the end of the answer
	IdleTimeout       time.Duration // B2B_HTTP_IDLE_TIMEOUT, 120s: a kept-alive connection waiting for the next request
	// CallTimeout is the deadline of every API request's work (listing,
	// discovery and tests of external sources, warehouse reads), except
	// streaming routes. B2B_API_CALL_TIMEOUT, 30s.
	CallTimeout time.Duration
	// StreamIdleTimeout is how long a streaming route (an upload) may go
	// without receiving data; the read and write deadlines move on with
	// every chunk. B2B_HTTP_STREAM_IDLE_TIMEOUT, 60s.
	StreamIdleTimeout time.Duration
	// Login bounds password logins (B2B_LOGIN_*).
	Login auth.LoginLimits
	// TrustForwardedFor takes the client address of login throttling from
	// the last X-Forwarded-For entry (set by the cloud's front end).
	// B2B_TRUST_FORWARDED_FOR, default false (true in cloud mode).
	TrustForwardedFor bool
}

// DefaultLimits are the limits of zero fields.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       60 * time.Second,
	WriteTimeout:      90 * time.Second,
	IdleTimeout:       120 * time.Second,
	CallTimeout:       30 * time.Second,
	StreamIdleTimeout: 60 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	set(&l.CallTimeout, d.CallTimeout)
	set(&l.StreamIdleTimeout, d.StreamIdleTimeout)
	return l
}

// LimitsFromEnv reads the limits from B2B_* variables through getenv
// (os.Getenv). Durations are Go durations ("30s", "2m"); a value that does
// not parse, or is not positive, is an error naming the variable.
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	var l Limits
	var all []error
	dur := func(name string, v *time.Duration) {
		s := getenv(name)
		if s == "" {
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			all = append(all, fmt.Errorf("%s=%q is not a positive duration (such as 30s or 2m)", name, s))
			return
		}
		*v = d
	}
	num := func(name string, v *int) {
		s := getenv(name)
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			all = append(all, fmt.Errorf("%s=%q is not a positive integer", name, s))
			return
		}
		*v = n
	}
	dur("B2B_HTTP_READ_HEADER_TIMEOUT", &l.ReadHeaderTimeout)
	dur("B2B_HTTP_READ_TIMEOUT", &l.ReadTimeout)
	dur("B2B_HTTP_WRITE_TIMEOUT", &l.WriteTimeout)
	dur("B2B_HTTP_IDLE_TIMEOUT", &l.IdleTimeout)
	dur("B2B_HTTP_STREAM_IDLE_TIMEOUT", &l.StreamIdleTimeout)
	dur("B2B_API_CALL_TIMEOUT", &l.CallTimeout)
	num("B2B_LOGIN_FREE_FAILURES", &l.Login.FreeFailures)
	dur("B2B_LOGIN_BACKOFF_BASE", &l.Login.BaseDelay)
	dur("B2B_LOGIN_BACKOFF_MAX", &l.Login.MaxDelay)
	dur("B2B_LOGIN_FORGET_AFTER", &l.Login.Forget)
	num("B2B_LOGIN_HASH_CONCURRENCY", &l.Login.HashConcurrency)
	dur("B2B_LOGIN_QUEUE_TIMEOUT", &l.Login.HashQueueTimeout)
	if s := getenv("B2B_TRUST_FORWARDED_FOR"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			all = append(all, fmt.Errorf("B2B_TRUST_FORWARDED_FOR=%q is not true or false", s))
		}
		l.TrustForwardedFor = b
	}
	return l, errors.Join(all...)
}

// ServeWith sets the server timeouts of l on srv (zero fields: defaults).
// Streaming routes move their own deadlines on (http.ResponseController),
// so an upload that keeps sending is not cut by ReadTimeout.
func (l Limits) ServeWith(srv *http.Server) {
	l = l.withDefaults()
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.ReadTimeout = l.ReadTimeout
	srv.WriteTimeout = l.WriteTimeout
	srv.IdleTimeout = l.IdleTimeout
}

// streamingRoutes are the route patterns that stream a body: they get no
// call deadline, and move the connection's deadlines on while data flows.
var streamingRoutes = map[string]bool{
	"POST /api/files":                     true,
	"GET /api/runs/{id}/rejects/download": true,
}

// withDeadlines gives every request routed by mux a context deadline of
// d, except streaming routes.
func withDeadlines(mux *http.ServeMux, d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); streamingRoutes[pattern] {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// streamBody makes r's body move the connection's read and write deadlines
// on by idle whenever data arrives, so a streaming route runs as long as
// the client keeps sending (the server's ReadTimeout and WriteTimeout
// would cut it otherwise), and a client that stops is cut after idle.
func streamBody(w http.ResponseWriter, r *http.Request, idle time.Duration) {
	s := &deadlineReader{r: r.Body, deadlines: newDeadlines(w, idle)}
	r.Body = s
}

// deadlines moves a connection's read and write deadlines on by idle
// while data flows (moved at most every idle/4).
type deadlines struct {
	rc   *http.ResponseController
	idle time.Duration
	next time.Time
}

func newDeadlines(w http.ResponseWriter, idle time.Duration) *deadlines {
	d := &deadlines{rc: http.NewResponseController(w), idle: idle}
	d.extend(time.Now())
	return d
}

func (d *deadlines) extend(now time.Time) {
	// Errors mean the writer cannot set deadlines (a test recorder, a
	// server without timeouts): nothing to move then.
	_ = d.rc.SetReadDeadline(now.Add(d.idle))
	_ = d.rc.SetWriteDeadline(now.Add(d.idle))
	d.next = now.Add(d.idle / 4)
}

// moved notes that n bytes moved.
func (d *deadlines) moved(n int) {
	if n > 0 {
		if now := time.Now(); now.After(d.next) {
			d.extend(now)
		}
	}
}

type deadlineReader struct {
	r io.ReadCloser
	*deadlines
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.moved(n)
	return n, err
}

func (d *deadlineReader) Close() error { return d.r.Close() }
