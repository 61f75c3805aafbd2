package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startAppWithTimeouts starts the platform with short server timeouts.
func startAppWithTimeouts(t *testing.T) (*App, *client) {
	t.Helper()
	t.Setenv("B2B_HTTP_READ_HEADER_TIMEOUT", "300ms")
	t.Setenv("B2B_HTTP_READ_TIMEOUT", "600ms")
	t.Setenv("B2B_HTTP_WRITE_TIMEOUT", "1s")
	t.Setenv("B2B_HTTP_STREAM_IDLE_TIMEOUT", "500ms")
	app := startApp(t)
	c := &client{t: t, base: app.URL()}
	var login struct {
		Token string `json:"token"`
	}
	if st := c.do("POST", "/api/auth/login", strings.NewReader(`{"email":"admin@acme.test","password":"correct horse battery"}`), "application/json", &login); st != 200 {
		t.Fatalf("login = %d", st)
	}
	c.token = login.Token
	return app, c
}

// closedWithin reads conn until the server closes it, and reports whether
// that happened within d (what was read comes back too).
func closedWithin(conn net.Conn, d time.Duration) (bool, string) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b)
}

// A client that sends its headers, or a body, too slowly is cut off by the
// server's timeouts.
func TestSlowClientCutOff(t *testing.T) {
	app, c := startAppWithTimeouts(t)
	addr := strings.TrimPrefix(app.URL(), "http://")

	// Headers that never end (slowloris).
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	if closed, _ := closedWithin(conn, 5*time.Second); !closed {
		t.Fatalf("a connection with unfinished headers was still open after 5s (read-header timeout 300ms)")
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("closed after %v, before the read-header timeout", el)
	}

	// A body that stops half-way on a normal route.
	conn2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	body := `{"type":"hourly","minute":15}`
	fmt.Fprintf(conn2, "POST /api/schedules/preview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		c.token, len(body), body[:10])
	closed, got := closedWithin(conn2, 5*time.Second)
	if !closed {
		t.Fatalf("a request whose body stopped was still open after 5s (read timeout 600ms)")
	}
	if strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Errorf("the cut request was answered 200: %q", got)
	}
}

// uploadSlowly posts a multipart upload whose body arrives in pieces, every
// gap long, for about total; stall, when set, stops sending half-way for
// that long.
func uploadSlowly(c *client, name string, gap, total, stall time.Duration) (int, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", name)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		bw := bufio.NewWriter(part)
		fmt.Fprintln(bw, "sku,qty")
		deadline := time.Now().Add(total)
		stalled := false
		for i := 0; time.Now().Before(deadline); i++ {
			fmt.Fprintf(bw, "S%d,%d\n", i, i)
			if err := bw.Flush(); err != nil {
				pw.CloseWithError(err)
				return
			}
			if stall > 0 && !stalled && time.Until(deadline) < total/2 {
				stalled = true
				time.Sleep(stall)
			}
			time.Sleep(gap)
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequest("POST", c.base+"/api/files", pr)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// An upload that keeps sending runs past the read and write timeouts (its
// deadlines move on with the data); one that stops sending is cut after
// the stream idle timeout.
func TestStreamingUploadNotCutOff(t *testing.T) {
	_, c := startAppWithTimeouts(t)
	st, err := uploadSlowly(c, "slow.csv", 100*time.Millisecond, 2500*time.Millisecond, 0)
	if err != nil || st != http.StatusAccepted {
		t.Fatalf("an upload sending for 2.5s (read timeout 600ms, write timeout 1s) = %d, %v; want 202", st, err)
	}
	st, err = uploadSlowly(c, "stalled.csv", 100*time.Millisecond, 1500*time.Millisecond, 3*time.Second)
	if err == nil && st == http.StatusAccepted {
		t.Fatalf("an upload that stopped sending for 3s (stream idle timeout 500ms) was accepted")
	}
}
