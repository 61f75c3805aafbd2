package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestStatusOf(t *testing.T) {
	cases := []struct {
		kind errs.Kind
		want int
	}{
		{errs.Invalid, http.StatusBadRequest},
		{errs.Unauthenticated, http.StatusUnauthorized},
		{errs.Permission, http.StatusForbidden},
		{errs.NotFound, http.StatusNotFound},
		{errs.Conflict, http.StatusConflict},
		{errs.Unsupported, http.StatusNotImplemented},
		{errs.Transient, http.StatusServiceUnavailable},
		{errs.Unknown, http.StatusInternalServerError},
		{errs.Kind(99), http.StatusInternalServerError},
	}
	for _, c := range cases {
		if got := statusOf(c.kind); got != c.want {
			t.Errorf("statusOf(%s) = %d, want %d", c.kind, got, c.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	const secret = "dsn=postgres://app:hunter2@db"
	cases := []struct {
		name       string
		err        error
		wantStatus int
		wantKind   string
		wantMsg    string // exact
	}{
		{"invalid", errs.Userf(errs.Invalid, "bad %s", "input"), 400, "invalid", "bad input"},
		{"unauthenticated", errs.Userf(errs.Unauthenticated, "no token"), 401, "unauthenticated", "no token"},
		{"permission", errs.Userf(errs.Permission, "needs admin"), 403, "permission", "needs admin"},
		{"not found", errs.Userf(errs.NotFound, "this run does not exist"), 404, "not_found", "this run does not exist"},
		{"conflict", errs.Userf(errs.Conflict, "email taken"), 409, "conflict", "email taken"},
		{"unsupported operation", errs.Userf(errs.Unsupported, "password sign-in is turned off"), 501, "unsupported", "password sign-in is turned off"},
		{"internal over a kinded cause", errs.Wrap(errs.Unknown, errs.WrapField(errs.Invalid, errors.New(secret), "schedule.time", "bad time"), "etl: stored schedule"), 500, "unknown", "something went wrong on our side; the details are in the server log"},
		{"transient", errs.Userf(errs.Transient, "try later"), 503, "transient", "try later"},
		{"rate limited", errs.Userf(errs.RateLimited, "wait"), 429, "rate_limited", "wait"},
		{"a log message is not shown", errs.E(errs.NotFound, "etl: run r_1 not found"), 404, "not_found", "this was not found (it may have been deleted)"},
		{"wrapped kind: the user message inside", fmt.Errorf("outer: %w", errs.Userf(errs.NotFound, "inner")), 404, "not_found", "inner"},
		{"a kinded wrap hides its cause", errs.Wrap(errs.NotFound, errors.New(secret), "rejects of run r1"), 404, "not_found", "this was not found (it may have been deleted)"},
		{"an explained error hides its cause", errs.Explain(errs.Wrap(errs.Transient, errors.New(secret), "docstore: get"), "try again"), 503, "transient", "try again"},
		{"unknown error hides its message", errors.New("open " + secret + ": refused"), 500, "unknown", "something went wrong on our side; the details are in the server log"},
		{"unknown wrapped error hides its message", fmt.Errorf("query: %w", errors.New(secret)), 500, "unknown", "something went wrong on our side; the details are in the server log"},
		{"body too large", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, "invalid", "the upload is too large (limit 10 bytes)"},
		{"body too large, MiB", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 2 << 20}), 413, "invalid", "the upload is too large (limit 2 MiB)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/api/x", nil), log, c.err)
			if w.Code != c.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, c.wantStatus)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			var raw map[string]map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if len(raw) != 1 || len(raw["error"]) != 2 {
				t.Errorf("body = %s, want exactly {\"error\":{\"kind\",\"message\"}}", w.Body.String())
			}
			if raw["error"]["kind"] != c.wantKind || raw["error"]["message"] != c.wantMsg {
				t.Errorf("body = %s, want kind %q message %q", w.Body.String(), c.wantKind, c.wantMsg)
			}
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Errorf("the response leaks the cause: %s", w.Body.String())
			}
			if c.wantKind == "unknown" && !strings.Contains(logs.String(), "hunter2") {
				// The cause must reach the log, where operators can see it.
				t.Errorf("an internal error was not logged with its cause: %q", logs.String())
			}
		})
	}
}

// TestUnsupportedInputIs422: an Unsupported error about an input field (a
// file type) is 422, one about the operation 501; 415 is left to media
// types.
func TestUnsupportedInputIs422(t *testing.T) {
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest("POST", "/api/uploads", nil), slog.New(slog.DiscardHandler),
		errs.Fieldf(errs.Unsupported, "name", "book.xlsx cannot be loaded"))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"name"`) {
		t.Errorf("unsupported input = %d %s, want 422 naming the field", w.Code, w.Body.String())
	}
}

func TestQueryInt(t *testing.T) {
	cases := []struct {
		query   string
		want    int
		wantErr bool
	}{
		{"", 50, false},
		{"limit=7", 7, false},
		{"limit=500", 500, false},
		{"limit=501", 500, false},
		{"limit=99999999999", 500, false},
		{"limit=0", 0, true},
		{"limit=-3", 0, true},
		{"limit=abc", 0, true},
		{"limit=1.5", 0, true},
		{"limit=", 50, false},
		{"other=3", 50, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/api/runs?"+c.query, nil)
		got, err := queryInt(r, "limit", 50, 500)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("queryInt(%q) = %d, %v; want %d, error %v", c.query, got, err, c.want, c.wantErr)
		}
		if err != nil && (!errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "limit")) {
			t.Errorf("queryInt(%q) error %v: want invalid naming the parameter", c.query, err)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	type body struct {
		Email string `json:"email"`
	}
	cases := []struct {
		name, in string
		wantErr  bool
	}{
		{"ok", `{"email":"a@b.c"}`, false},
		{"unknown field", `{"email":"a@b.c","role":"admin"}`, true},
		{"malformed", `{"email":`, true},
		{"wrong type", `{"email":42}`, true},
		{"empty", ``, true},
		{"too large", `{"email":"` + strings.Repeat("a", 1<<20) + `"}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b body
			err := decodeBody(httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(c.in))), &b)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil && !errs.Is(err, errs.Invalid) {
				t.Errorf("err kind = %s, want invalid", errs.KindOf(err))
			}
			if !c.wantErr && b.Email != "a@b.c" {
				t.Errorf("decoded %+v", b)
			}
		})
	}
}
