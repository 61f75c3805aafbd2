package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth"
)

func TestLimitsFromEnv(t *testing.T) {
	env := map[string]string{
		"B2B_HTTP_READ_HEADER_TIMEOUT": "5s", "B2B_HTTP_READ_TIMEOUT": "1m", "B2B_HTTP_WRITE_TIMEOUT": "2m",
		"B2B_HTTP_IDLE_TIMEOUT": "3m", "B2B_HTTP_STREAM_IDLE_TIMEOUT": "45s", "B2B_API_CALL_TIMEOUT": "20s",
		"B2B_LOGIN_FREE_FAILURES": "3", "B2B_LOGIN_BACKOFF_BASE": "2s", "B2B_LOGIN_BACKOFF_MAX": "10m",
		"B2B_LOGIN_FORGET_AFTER": "30m", "B2B_LOGIN_HASH_CONCURRENCY": "4", "B2B_LOGIN_QUEUE_TIMEOUT": "1s",
		"B2B_TRUST_FORWARDED_FOR": "true",
	}
	l, err := LimitsFromEnv(func(k string) string { return env[k] })
	want := Limits{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 3 * time.Minute, StreamIdleTimeout: 45 * time.Second, CallTimeout: 20 * time.Second,
		Login: auth.LoginLimits{FreeFailures: 3, BaseDelay: 2 * time.Second, MaxDelay: 10 * time.Minute, Forget: 30 * time.Minute,
			HashConcurrency: 4, HashQueueTimeout: time.Second},
		TrustForwardedFor: true}
	if err != nil || l != want {
		t.Fatalf("LimitsFromEnv = %+v, %v; want %+v", l, err, want)
	}
	// Unset: zero, so the defaults apply.
	l, err = LimitsFromEnv(func(string) string { return "" })
	if err != nil || l != (Limits{}) {
		t.Fatalf("empty env = %+v, %v", l, err)
	}
	var srv http.Server
	l.ServeWith(&srv)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 60*time.Second || srv.WriteTimeout != 90*time.Second || srv.IdleTimeout != 120*time.Second {
		t.Errorf("default server timeouts: %v %v %v %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	// Bad values are errors naming each variable.
	bad := map[string]string{"B2B_HTTP_READ_TIMEOUT": "soon", "B2B_LOGIN_FREE_FAILURES": "-1", "B2B_API_CALL_TIMEOUT": "0s", "B2B_TRUST_FORWARDED_FOR": "maybe"}
	_, err = LimitsFromEnv(func(k string) string { return bad[k] })
	for k := range bad {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("error %v does not name %s", err, k)
		}
	}
}
