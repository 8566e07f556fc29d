package tsp

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/httpx"
)

// TestClientRedirects: a redirect that is refused (a loop, too many, not
// http) is a permanent failure, not retried, naming both addresses; a
// redirect to another host is followed, and a failure there names it.
func TestClientRedirects(t *testing.T) {
	tsa := newTSA(t)
	srv := tsa.server()

	var otherHits atomic.Int32
	var other *httptest.Server
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		other = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			otherHits.Add(1)
			if r.URL.Path == "/good" {
				srv.ServeHTTP(w, r)
				return
			}
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}))
		other.Listener.Close()
		other.Listener = ln
		other.Start()
		defer other.Close()
	}

	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch p := r.URL.Path; {
		case p == "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case p == "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusTemporaryRedirect)
		case strings.HasPrefix(p, "/hop"):
			var n int
			fmt.Sscanf(p, "/hop%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/hop%d", n+1), http.StatusTemporaryRedirect)
		case p == "/other-bad" && other != nil:
			http.Redirect(w, r, other.URL+"/bad", http.StatusTemporaryRedirect)
		case p == "/other-good" && other != nil:
			http.Redirect(w, r, other.URL+"/good", http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()

	tests := []struct {
		path      string
		want      string
		hits      int32
		otherHits int32
		redirect  bool
	}{
		{path: "/loop", want: "redirect from " + ts.URL + "/loop to " + ts.URL + "/loop not followed: a redirect loop", hits: 1, redirect: true},
		{path: "/file", want: "redirect from " + ts.URL + "/file to file:///etc/passwd not followed: only http and https addresses are", hits: 1, redirect: true},
		{path: "/hop0", want: "redirect from " + ts.URL + "/hop3 to " + ts.URL + "/hop4 not followed: more than 3 redirects", hits: 4, redirect: true},
		{path: "/other-bad", want: ts.URL + "/other-bad: redirected to OTHER/bad: http status 503 Service Unavailable (after 3 attempts)", hits: 3, otherHits: 3},
		{path: "/other-good", hits: 1, otherHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if strings.HasPrefix(tt.path, "/other") && other == nil {
				t.Skip("127.0.0.2 is not available")
			}
			hits.Store(0)
			otherHits.Store(0)
			c := &Client{URLs: []string{ts.URL + tt.path}, Backoff: time.Millisecond}
			_, err := c.Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
			want := tt.want
			if other != nil {
				want = strings.ReplaceAll(want, "OTHER", other.URL)
			}
			switch {
			case want == "" && err != nil:
				t.Errorf("error %v", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("error %v, want %q", err, want)
			}
			if tt.redirect && strings.Contains(err.Error(), "attempts") {
				t.Errorf("a refused redirect was retried: %v", err)
			}
			if tt.redirect {
				var re *httpx.RedirectError
				if _, err := c.try(context.Background(), ts.URL+tt.path, []byte("q")); !errors.As(err, &re) {
					t.Errorf("try: not a redirect error: %v", err)
				}
				hits.Add(-tt.hits)
			}
			if hits.Load() != tt.hits || otherHits.Load() != tt.otherHits {
				t.Errorf("requests %d and %d at the other host, want %d and %d", hits.Load(), otherHits.Load(), tt.hits, tt.otherHits)
			}
		})
	}
}
