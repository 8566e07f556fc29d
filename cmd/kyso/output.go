package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/termsafe"
)

// jsonLines writes one JSON object per line; safe for concurrent use. The
// encoder escapes control characters itself, so it writes to the raw
// stream: JSON output is the same whether or not it goes to a terminal.
type jsonLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONLines(w io.Writer) *jsonLines {
	enc := json.NewEncoder(termsafe.RawWriter(w))
	enc.SetEscapeHTML(false)
	return &jsonLines{enc: enc}
}

func (j *jsonLines) write(v any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(v)
}

// progress draws a one-line progress bar on stderr when enabled.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	on      bool
	label   string
	total   int
	done    int
	started time.Time
	last    time.Time
	// drawn says the bar is on the screen (and must be cleared before a
	// line is printed).
	drawn bool
}

func newProgress(g *globalOptions, label string, total int) *progress {
	// The bar draws with \r and ESC[K itself: it writes to the raw stream.
	// The lines given to print go through the stream they are printed on.
	return &progress{w: termsafe.RawWriter(g.io.err), on: g.showProgress() && total > 0, label: g.t(label), total: total, started: time.Now()}
}

// print writes s to w (a per-file line, a summary) without colliding with
// the bar: the bar's line is cleared first and drawn again after.
func (p *progress) print(w io.Writer, s string) {
	if p == nil {
		io.WriteString(w, s)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	io.WriteString(w, s)
	if p.on && p.drawn {
		p.draw(time.Now())
	}
}

// step records one finished item and redraws at most ten times a second.
func (p *progress) step() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !p.on {
		return
	}
	now := time.Now()
	if p.done < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.draw(now)
}

// draw draws the bar; p.mu is held.
func (p *progress) draw(now time.Time) {
	p.drawn = true
	const width = 30
	filled := width * p.done / p.total
	bar := make([]byte, width)
	for i := range bar {
		if i < filled {
			bar[i] = '#'
		} else {
			bar[i] = '.'
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d %s", p.label, bar, p.done, p.total, now.Sub(p.started).Round(time.Second))
}

// finish clears the progress line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// oneLine shows one message (a reason, a warning, an error: text that may
// carry a document's or a file's words) on its own line: a newline or any
// other control character in it is shown escaped, so that the words of a
// file name or a document cannot print lines of their own (a forged
// "valid" row).
func oneLine(s string) string { return termsafe.String(s) }
