// Package idpfake is a named fake of the Firebase Auth emulator's REST
// surface, for the calls shared/auth/idplatform makes (the emulator is part
// of firebase-tools, which the test machines do not have). It serves, under
// /identitytoolkit.googleapis.com/v1/projects/{project}/:
//
//	accounts:lookup       {"email": [...]}               → {"users": [...]} (none: {})
//	accounts              {"email", "displayName", "password", ...} → {"localId", ...} (EMAIL_EXISTS, WEAK_PASSWORD)
//	accounts:sendOobCode  {"requestType", "email"}       → {"email"} (EMAIL_NOT_FOUND)
//
// and, like the emulator, GET /emulator/v1/projects/{project}/oobCodes
// lists the mails "sent" with their links. Admin calls must carry
// "Authorization: Bearer owner", as the emulator requires of callers
// without Google credentials; other requests are refused and noted in
// Problems.
package idpfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// Account is one account of the fake.
type Account struct {
	LocalID       string `json:"localId"`
	Email         string `json:"email"`
	DisplayName   string `json:"displayName,omitempty"`
	EmailVerified bool   `json:"emailVerified"`
	// PasswordHash is the hex SHA-256 of the password set at creation
	// (PasswordHashOf), empty without one.
	PasswordHash string `json:"passwordHash,omitempty"`
}

// PasswordHashOf is how the fake keeps a password.
func PasswordHashOf(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// OobCode is a mail the fake "sent".
type OobCode struct {
	Email       string `json:"email"`
	RequestType string `json:"requestType"`
	OobCode     string `json:"oobCode"`
	OobLink     string `json:"oobLink"`
}

// Fake is the server. Use New.
type Fake struct {
	project string

	mu       sync.Mutex
	accounts []Account
	oob      []OobCode
	calls    []string
	problems []string
	fail     map[string]int // method => HTTP status to answer with
}

// New returns a fake for project.
func New(project string) *Fake { return &Fake{project: project, fail: map[string]int{}} }

// Start serves the fake on a free local port; host is its host:port (the
// value of FIREBASE_AUTH_EMULATOR_HOST).
func (f *Fake) Start() (host string, stop func()) {
	srv := httptest.NewServer(f)
	return strings.TrimPrefix(srv.URL, "http://"), srv.Close
}

// AddAccount adds an account (a user who has one already).
func (f *Fake) AddAccount(a Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.LocalID == "" {
		a.LocalID = fmt.Sprintf("uid%d", len(f.accounts)+1)
	}
	f.accounts = append(f.accounts, a)
}

// Fail makes method ("accounts", "accounts:lookup", "accounts:sendOobCode")
// answer with status (0: answer normally).
func (f *Fake) Fail(method string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = status
}

// Accounts returns the accounts.
func (f *Fake) Accounts() []Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accounts)
}

// OobCodes returns the mails sent.
func (f *Fake) OobCodes() []OobCode {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.oob)
}

// Calls returns the methods called, in order.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Problems returns the requests the emulator would refuse.
func (f *Fake) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

func writeErr(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": message,
		"errors": []map[string]string{{"message": message, "reason": "invalid", "domain": "global"}}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodGet && r.URL.Path == "/emulator/v1/projects/"+f.project+"/oobCodes" {
		writeJSON(w, map[string]any{"oobCodes": f.oob})
		return
	}
	prefix := "/identitytoolkit.googleapis.com/v1/projects/" + f.project + "/"
	method, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || r.Method != http.MethodPost {
		f.problems = append(f.problems, "unexpected request "+r.Method+" "+r.URL.Path)
		writeErr(w, http.StatusNotFound, "NOT_FOUND")
		return
	}
	f.calls = append(f.calls, method)
	if r.Header.Get("Authorization") != "Bearer owner" {
		f.problems = append(f.problems, method+" without admin credentials")
		writeErr(w, http.StatusUnauthorized, "INSUFFICIENT_PERMISSION : admin credentials are required")
		return
	}
	if st := f.fail[method]; st != 0 {
		writeErr(w, st, http.StatusText(st))
		return
	}
	var body struct {
		Email         json.RawMessage `json:"email"`
		DisplayName   string          `json:"displayName"`
		EmailVerified bool            `json:"emailVerified"`
		Password      *string         `json:"password"`
		RequestType   string          `json:"requestType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "INVALID_JSON")
		return
	}
	switch method {
	case "accounts:lookup":
		var emails []string
		if json.Unmarshal(body.Email, &emails) != nil {
			writeErr(w, http.StatusBadRequest, "INVALID_EMAIL")
			return
		}
		var users []Account
		for _, a := range f.accounts {
			if slices.ContainsFunc(emails, func(e string) bool { return strings.EqualFold(e, a.Email) }) {
				users = append(users, a)
			}
		}
		if len(users) == 0 {
			writeJSON(w, map[string]any{"kind": "identitytoolkit#GetAccountInfoResponse"})
			return
		}
		writeJSON(w, map[string]any{"kind": "identitytoolkit#GetAccountInfoResponse", "users": users})
	case "accounts":
		email, ok := f.email(w, body.Email)
		if !ok {
			return
		}
		if f.find(email) >= 0 {
			writeErr(w, http.StatusBadRequest, "EMAIL_EXISTS")
			return
		}
		a := Account{LocalID: fmt.Sprintf("uid%d", len(f.accounts)+1), Email: email, DisplayName: body.DisplayName, EmailVerified: body.EmailVerified}
		if body.Password != nil {
			if len(*body.Password) < 6 {
				writeErr(w, http.StatusBadRequest, "WEAK_PASSWORD : Password should be at least 6 characters")
				return
			}
			a.PasswordHash = PasswordHashOf(*body.Password)
		}
		f.accounts = append(f.accounts, a)
		writeJSON(w, a)
	case "accounts:sendOobCode":
		email, ok := f.email(w, body.Email)
		if !ok {
			return
		}
		if body.RequestType != "PASSWORD_RESET" && body.RequestType != "VERIFY_EMAIL" && body.RequestType != "EMAIL_SIGNIN" {
			writeErr(w, http.StatusBadRequest, "INVALID_REQ_TYPE : "+body.RequestType)
			return
		}
		if body.RequestType == "PASSWORD_RESET" && f.find(email) < 0 {
			writeErr(w, http.StatusBadRequest, "EMAIL_NOT_FOUND")
			return
		}
		code := fmt.Sprintf("code%d", len(f.oob)+1)
		f.oob = append(f.oob, OobCode{Email: email, RequestType: body.RequestType, OobCode: code,
			OobLink: "http://" + r.Host + "/emulator/action?mode=resetPassword&oobCode=" + code + "&apiKey=fake-api-key"})
		writeJSON(w, map[string]any{"kind": "identitytoolkit#GetOobConfirmationCodeResponse", "email": email})
	default:
		f.problems = append(f.problems, "unexpected method "+method)
		writeErr(w, http.StatusNotFound, "NOT_FOUND")
	}
}

// email reads a single email field.
func (f *Fake) email(w http.ResponseWriter, raw json.RawMessage) (string, bool) {
	var email string
	if json.Unmarshal(raw, &email) != nil || !strings.Contains(email, "@") {
		writeErr(w, http.StatusBadRequest, "INVALID_EMAIL")
		return "", false
	}
	return email, true
}

func (f *Fake) find(email string) int {
	return slices.IndexFunc(f.accounts, func(a Account) bool { return strings.EqualFold(a.Email, email) })
}
