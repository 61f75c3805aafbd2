package errs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Unknown},
		{"plain", errors.New("x"), Unknown},
		{"E", E(NotFound, "docstore: key %s", "k"), NotFound},
		{"wrapped by fmt", fmt.Errorf("outer: %w", E(Conflict, "c")), Conflict},
		{"outermost kind wins", Wrap(Transient, E(Invalid, "inner"), "outer"), Transient},
		{"Explain keeps the kind", Explain(E(Permission, "p"), "you may not"), Permission},
		{"WithRetryAfter keeps the kind", WithRetryAfter(Userf(RateLimited, "slow down"), time.Second), RateLimited},
		{"Fieldf", Fieldf(Invalid, "name", "is required"), Invalid},
	}
	for _, c := range cases {
		if got := KindOf(c.err); got != c.want {
			t.Errorf("%s: KindOf = %s, want %s", c.name, got, c.want)
		}
	}
}

// The user sees only text written for a user; the logs (Error) keep the
// operation and the cause.
func TestUserMessage(t *testing.T) {
	const cause = "open /var/data/t_1/config.db: permission denied"
	cases := []struct {
		name      string
		err       error
		wantUser  string
		wantField string
		wantLog   string // Error()
	}{
		{"E shows the kind's sentence", E(NotFound, "etl: run r_123 not found"),
			userTexts[NotFound], "", "etl: run r_123 not found"},
		{"Wrap hides its cause", Wrap(Transient, errors.New(cause), "docstore: get"),
			userTexts[Transient], "", "docstore: get: " + cause},
		{"unknown", errors.New(cause), userTexts[Unknown], "", cause},
		{"Userf", Userf(Conflict, "a job named %q already exists", "orders"),
			`a job named "orders" already exists`, "", `a job named "orders" already exists`},
		{"Explain over a technical error", Explain(E(NotFound, "etl: run r_123 not found"), "this run does not exist"),
			"this run does not exist", "", "this run does not exist: etl: run r_123 not found"},
		{"outermost user message wins", Explain(Userf(Invalid, "inner"), "outer"), "outer", "", "outer: inner"},
		{"a user message below technical wraps is found", Wrap(Invalid, fmt.Errorf("stage: %w", Userf(Invalid, "the file is empty")), "etl: extract"),
			"the file is empty", "", "etl: extract: stage: the file is empty"},
		{"Fieldf", Fieldf(Invalid, "schedule.time", "%q is not a time", "25:00"),
			`"25:00" is not a time`, "schedule.time", `schedule.time: "25:00" is not a time`},
		{"field survives wrapping", fmt.Errorf("x: %w", Fieldf(Invalid, "name", "is required")), "is required", "name", "x: name: is required"},
		{"WrapField", WrapField(Invalid, errors.New(cause), "database.table", "table %q was not found", "x"),
			`table "x" was not found`, "database.table", `database.table: table "x" was not found: ` + cause},
		{"log text, user text and field apart", &Error{Kind: Invalid, Msg: "connection: port: must be 1-65535", Field: "port", User: "must be 1-65535"},
			"must be 1-65535", "port", "connection: port: must be 1-65535"},
		{"nil", nil, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := UserMessage(c.err); got != c.wantUser {
				t.Errorf("UserMessage = %q, want %q", got, c.wantUser)
			}
			if got := FieldOf(c.err); got != c.wantField {
				t.Errorf("FieldOf = %q, want %q", got, c.wantField)
			}
			if c.err != nil && c.err.Error() != c.wantLog {
				t.Errorf("Error() = %q, want %q", c.err.Error(), c.wantLog)
			}
			if strings.Contains(UserMessage(c.err), "permission denied") {
				t.Errorf("the user message carries the cause: %q", UserMessage(c.err))
			}
		})
	}
}

func TestEveryKindHasAUserText(t *testing.T) {
	for k := range kindNames {
		if userTexts[k] == "" {
			t.Errorf("kind %s has no user text", k)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	if d := RetryAfter(E(Transient, "x")); d != 0 {
		t.Errorf("RetryAfter without one = %v", d)
	}
	err := fmt.Errorf("login: %w", WithRetryAfter(Userf(RateLimited, "wait"), 3*time.Second))
	if d := RetryAfter(err); d != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", d)
	}
	if WithRetryAfter(nil, time.Second) != nil || Explain(nil, "x") != nil || Wrap(Invalid, nil, "x") != nil {
		t.Error("nil errors must stay nil")
	}
	if !Retryable(Userf(RateLimited, "wait")) || Retryable(Userf(Invalid, "bad")) {
		t.Error("Retryable: rate-limited retries, invalid does not")
	}
}

// TestUnknownMeansInternal: wrapping with kind Unknown makes the error
// internal whatever its cause's kind (the user sees the plain sentence);
// Explain and WithRetryAfter keep the cause's kind.
func TestUnknownMeansInternal(t *testing.T) {
	invalid := Fieldf(Invalid, "schedule.time", "give a time such as 09:00")
	for _, tc := range []struct {
		name     string
		err      error
		kind     Kind
		userText string
	}{
		{"Wrap Unknown over Invalid", Wrap(Unknown, invalid, "etl: stored schedule of job j1"), Unknown, userTexts[Unknown]},
		{"E Unknown over Invalid", E(Unknown, "stored: %w", invalid), Unknown, userTexts[Unknown]},
		{"Wrap with the cause's kind", Wrap(KindOf(invalid), invalid, "context"), Invalid, "give a time such as 09:00"},
		{"fmt.Errorf keeps the kind", fmt.Errorf("context: %w", invalid), Invalid, "give a time such as 09:00"},
		{"Explain keeps the kind", Explain(E(Conflict, "taken"), "the name is taken"), Conflict, "the name is taken"},
		{"WithRetryAfter keeps the kind", WithRetryAfter(E(RateLimited, "slow down"), time.Second), RateLimited, userTexts[RateLimited]},
		{"Explain over internal", Explain(Wrap(Unknown, invalid, "x"), "ask your administrator"), Unknown, "ask your administrator"},
	} {
		if got := KindOf(tc.err); got != tc.kind {
			t.Errorf("%s: KindOf = %v, want %v", tc.name, got, tc.kind)
		}
		if got := UserMessage(tc.err); got != tc.userText {
			t.Errorf("%s: UserMessage = %q, want %q", tc.name, got, tc.userText)
		}
	}
}

func TestAtKeepsKindAndUserMessage(t *testing.T) {
	base := Fieldf(Invalid, "schedule.time", "the time must be HH:MM, for example 06:30")
	err := At("etl.UpdateJob", At("schedule.Parse", base))
	if got := KindOf(err); got != Invalid {
		t.Errorf("KindOf = %v, want invalid", got)
	}
	if got := UserMessage(err); got != "the time must be HH:MM, for example 06:30" {
		t.Errorf("UserMessage = %q", got)
	}
	if got := FieldOf(err); got != "schedule.time" {
		t.Errorf("FieldOf = %q", got)
	}
	if got, want := err.Error(), "etl.UpdateJob: schedule.Parse: schedule.time: the time must be HH:MM, for example 06:30"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if At("x", nil) != nil {
		t.Error("At(nil) is not nil")
	}
	internal := At("warehouse.Load", E(Unknown, "load: %w", E(Invalid, "bad")))
	if KindOf(internal) != Unknown || HasUserMessage(internal) {
		t.Errorf("At must not unmask an internal error: kind %v", KindOf(internal))
	}
	rl := At("auth.Login", WithRetryAfter(E(RateLimited, "slow down"), 3*time.Second))
	if RetryAfter(rl) != 3*time.Second || !Is(rl, RateLimited) {
		t.Errorf("retry hint lost: %v %v", RetryAfter(rl), KindOf(rl))
	}
}

func TestClassify(t *testing.T) {
	driverErr := errors.New("driver: relation missing")
	kindOf := func(err error) Kind {
		if errors.Is(err, driverErr) {
			return NotFound
		}
		return Unknown
	}
	cases := []struct {
		name string
		err  error
		want Kind
		same bool // returned unchanged
	}{
		{"nil", nil, Unknown, true},
		{"driver error", driverErr, NotFound, false},
		{"kind kept", E(Conflict, "version"), Conflict, true},
		{"cancelled", context.Canceled, Transient, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Transient, false},
		{"unclassified stays internal", errors.New("boom"), Unknown, true},
	}
	for _, c := range cases {
		got := Classify(c.err, kindOf, "warehouse: load %s", "t")
		if KindOf(got) != c.want || (got == c.err) != c.same {
			t.Errorf("%s: %v (kind %v), want kind %v, unchanged %v", c.name, got, KindOf(got), c.want, c.same)
		}
		if !c.same && (!errors.Is(got, c.err) || !strings.HasPrefix(got.Error(), "warehouse: load t")) {
			t.Errorf("%s: %q lost its cause or operation", c.name, got)
		}
	}
}
