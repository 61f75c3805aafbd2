package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/auth"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// thing is the body of the adapter's test route.
type thing struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// adapterRoutes are routes of every shape, over no domain: they echo what
// the adapter gave them, or fail as asked.
func adapterRoutes() []route {
	return []route{
		{"POST /things/{id}", tenancy.RoleEditor, http.StatusCreated, withJSON(func(_ context.Context, c *call, in thing) (any, error) {
			return map[string]any{"id": c.path("id"), "tenant": c.tenant(), "name": in.Name, "count": in.Count}, nil
		})},
		{"DELETE /things/{id}", tenancy.RoleEditor, http.StatusNoContent, func(_ context.Context, c *call) (any, error) {
			c.setCookie(&http.Cookie{Name: "gone", Value: c.path("id")})
			return map[string]string{"ignored": "with 204"}, nil
		}},
		{"GET /fail", tenancy.RoleViewer, http.StatusOK, func(_ context.Context, c *call) (any, error) {
			switch c.query("as") {
			case "internal":
				return map[string]string{"partial": "result"}, errors.New("pq: connection to 10.0.0.7 refused")
			case "field":
				return nil, errs.Fieldf(errs.Invalid, "when", "give a date")
			}
			return nil, errs.E(errs.NotFound, "store: doc t_1/x missing")
		}},
	}
}

// TestServe checks the adapter itself: what a route's endpoint returns
// becomes the answer (status, JSON, cookies), its error the error body, and
// a request body that does not decode never reaches the endpoint.
func TestServe(t *testing.T) {
	mux := http.NewServeMux()
	mount(mux, slog.New(slog.DiscardHandler), adapterRoutes())
	h := http.Handler(mux)
	editor := auth.Principal{TenantID: "t_acme", UserID: "u_1", Role: tenancy.RoleEditor}
	viewer := auth.Principal{TenantID: "t_acme", UserID: "u_2", Role: tenancy.RoleViewer}
	cases := []struct {
		name        string
		as          auth.Principal
		method, url string
		body        string
		status      int
		wantBody    string // exact JSON (compact), "" for none
		wantField   string
		wantMessage string
	}{
		{"decoded, called, 201", editor, "POST", "/things/a1", `{"name":"x","count":2}`, 201,
			`{"count":2,"id":"a1","name":"x","tenant":"t_acme"}`, "", ""},
		{"bad JSON", editor, "POST", "/things/a1", `{"name":`, 400, "", "", "the JSON body ends too early"},
		{"wrong type names the field", editor, "POST", "/things/a1", `{"count":"two"}`, 400, "", "count", "must be a number, not string"},
		{"unknown field named", editor, "POST", "/things/a1", `{"colour":"red"}`, 400, "", "colour", `the field "colour" is not accepted here`},
		{"empty body", editor, "POST", "/things/a1", ``, 400, "", "", "the body is empty: send a JSON object"},
		{"role below the route's", viewer, "POST", "/things/a1", `{}`, 403, "", "", ""},
		{"204 has no body", editor, "DELETE", "/things/a1", "", 204, "", "", ""},
		{"unknown kind is 500 with the plain sentence", viewer, "GET", "/fail?as=internal", "", 500, "", "",
			"something went wrong on our side; the details are in the server log"},
		{"field error", viewer, "GET", "/fail?as=field", "", 400, "", "when", "give a date"},
		{"kinded log text is not shown", viewer, "GET", "/fail", "", 404, "", "", "this was not found (it may have been deleted)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.url, strings.NewReader(c.body))
			req = req.WithContext(auth.WithPrincipal(req.Context(), c.as))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.status {
				t.Fatalf("status = %d %s, want %d", w.Code, w.Body, c.status)
			}
			if c.status == http.StatusNoContent {
				if w.Body.Len() != 0 || w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Header().Get("Set-Cookie"), "gone=a1") {
					t.Errorf("204 answer = %q, headers %v; want no body, no-store and the endpoint's cookie", w.Body, w.Header())
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if c.wantBody != "" {
				var v any
				if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(v)
				if string(got) != c.wantBody {
					t.Errorf("body = %s, want %s", got, c.wantBody)
				}
				return
			}
			var e struct {
				Error map[string]string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error["kind"] == "" {
				t.Fatalf("error body %s: %v", w.Body, err)
			}
			if e.Error["field"] != c.wantField {
				t.Errorf("field = %q, want %q (%s)", e.Error["field"], c.wantField, w.Body)
			}
			if c.wantMessage != "" && e.Error["message"] != c.wantMessage {
				t.Errorf("message = %q, want %q", e.Error["message"], c.wantMessage)
			}
		})
	}
}

func TestQueryIntIn(t *testing.T) {
	cases := []struct {
		q       string
		want    int
		invalid bool
	}{
		{"", 24, false}, {"hours=1", 1, false}, {"hours=720", 720, false},
		{"hours=0", 0, true}, {"hours=721", 0, true}, {"hours=-3", 0, true}, {"hours=1.5", 0, true}, {"hours=day", 0, true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/x?"+c.q, nil)
		n, err := queryIntIn(r, "hours", 24, 1, 720)
		if c.invalid {
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "hours" || !strings.Contains(errs.UserMessage(err), "from 1 to 720") {
				t.Errorf("%q: err = %v (field %q), want Invalid naming hours and the range", c.q, err, errs.FieldOf(err))
			}
			continue
		}
		if err != nil || n != c.want {
			t.Errorf("%q = %d, %v; want %d", c.q, n, err, c.want)
		}
	}
}
