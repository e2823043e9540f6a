package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progressBar draws one line on stderr, redrawn at most every 100 ms:
// a bar, the percentage, bytes read and the rate (only the bytes and the
// rate when the total is unknown, 0).
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	start time.Time
	last  time.Time
	drawn bool
	// count formats an amount (default humanBytes); label, when set,
	// starts the line; noRate leaves the rate out.
	count  func(int64) string
	label  string
	noRate bool
}

func newProgressBar(w io.Writer, now func() time.Time) *progressBar {
	t := now()
	return &progressBar{w: w, now: now, start: t, count: humanBytes}
}

func (p *progressBar) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if p.drawn && t.Sub(p.last) < 100*time.Millisecond && (total <= 0 || done < total) {
		return
	}
	p.last = t
	p.drawn = true
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
	}
	rate := ""
	if el := t.Sub(p.start).Seconds(); el > 0.2 && !p.noRate {
		rate = fmt.Sprintf("  %s/s", p.count(int64(float64(done)/el)))
	}
	if total <= 0 { // size unknown: the bytes so far
		fmt.Fprintf(p.w, "\r%s%s%s ", p.label, p.count(done), rate)
		return
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	clear := ""
	if p.label != "" { // labels change length: clear what a longer one left
		clear = "\033[K"
	}
	fmt.Fprintf(p.w, "\r%s[%s] %3.0f%%  %s / %s%s %s", p.label, bar, frac*100, p.count(done), p.count(total), rate, clear)
}

// relabel starts a new phase: the label changes and the rate restarts.
func (p *progressBar) relabel(label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.label != label {
		p.label, p.start = label, p.now()
	}
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
