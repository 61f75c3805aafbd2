package api

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"
)

// download is an endpoint's answer that is a file, streamed to the client
// as it is read (a run's rejected rows) instead of encoded as JSON. Its
// route is a streaming route (streamingRoutes): no call deadline, and the
// connection's deadlines move on while data flows.
type download struct {
	name        string // the file name offered to the browser
	contentType string
	body        interface {
		io.WriterTo
		io.Closer
	}
	idle time.Duration // how long the client may stop reading
}

func isDownload(v any) bool {
	_, ok := v.(download)
	return ok
}

// write answers the file as an attachment. An error once the body has
// begun cannot change the status: it is logged and the connection cut,
// so the client sees a broken download rather than a file that looks
// complete.
func (d download) write(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int) {
	defer d.body.Close()
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.name}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if _, err := d.body.WriteTo(&deadlineWriter{w: w, deadlines: newDeadlines(w, d.idle)}); err != nil {
		log.ErrorContext(r.Context(), "api: download stopped", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}

type deadlineWriter struct {
	w io.Writer
	*deadlines
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	d.moved(n)
	return n, err
}
