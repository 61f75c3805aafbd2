package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := cors([]string{"https://storage.googleapis.com"}, next)
	for _, tc := range []struct {
		name, method, origin, reqMethod string
		wantStatus                      int
		wantAllow                       string
	}{
		{"same origin", "GET", "", "", http.StatusTeapot, ""},
		{"allowed", "GET", "https://storage.googleapis.com", "", http.StatusTeapot, "https://storage.googleapis.com"},
		{"other origin", "GET", "https://evil.example", "", http.StatusTeapot, ""},
		{"preflight allowed", "OPTIONS", "https://storage.googleapis.com", "POST", http.StatusNoContent, "https://storage.googleapis.com"},
		{"preflight other", "OPTIONS", "https://evil.example", "POST", http.StatusTeapot, ""},
	} {
		r := httptest.NewRequest(tc.method, "/api/runs", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.reqMethod != "" {
			r.Header.Set("Access-Control-Request-Method", tc.reqMethod)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.wantStatus || rec.Header().Get("Access-Control-Allow-Origin") != tc.wantAllow {
			t.Errorf("%s: status %d allow-origin %q; want %d %q", tc.name, rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), tc.wantStatus, tc.wantAllow)
		}
		if tc.name == "preflight allowed" && rec.Header().Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" {
			t.Errorf("preflight allow-headers = %q", rec.Header().Get("Access-Control-Allow-Headers"))
		}
		if tc.name == "allowed" && rec.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials must not be allowed cross-origin")
		}
	}
	if got := cors(nil, next); got == nil {
		t.Fatal("nil handler")
	}
}
