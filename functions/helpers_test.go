package functions

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// recorder is a registry that keeps what register registers.
type recorder struct {
	names  []string
	http   map[string]func(http.ResponseWriter, *http.Request)
	events map[string]func(context.Context, cloudevents.Event) error
}

func (r *recorder) HTTP(name string, fn func(http.ResponseWriter, *http.Request)) {
	r.names = append(r.names, name)
	r.http[name] = fn
}

func (r *recorder) CloudEvent(name string, fn func(context.Context, cloudevents.Event) error) {
	r.names = append(r.names, name)
	r.events[name] = fn
}

// registered registers the entry points over app as init does, into a
// recorder, so that tests call exactly the functions a deployment serves.
func registered(app *lazyApp) *recorder {
	r := &recorder{http: map[string]func(http.ResponseWriter, *http.Request){}, events: map[string]func(context.Context, cloudevents.Event) error{}}
	register(r, app)
	return r
}
