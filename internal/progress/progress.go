// Package progress shows progress bars for long work (index builds, training,
// evaluation) on standard error.
//
// A bar draws itself only when stderr is a terminal. When stderr is a pipe or
// a file (CI logs, nohup, docker logs), the animated bar would flood the log
// with carriage returns, so it is replaced by a plain line printed at most
// every LogInterval, plus one at the end. Callers never need to check for a
// TTY themselves:
//
//	bar := progress.New(total, "indexing", "passages")
//	for ... {
//		bar.Add(1)
//	}
//	bar.Finish()
//
// A total of -1 means unknown (a spinner with a running count and rate).
// Bars are safe for use from several goroutines.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// LogInterval is how often a bar writes a line when stderr is not a terminal.
var LogInterval = 10 * time.Second

// Bar counts units of work done and reports the count and rate.
type Bar struct {
	bar *progressbar.ProgressBar // nil when not drawing to a terminal

	mu      sync.Mutex
	w       io.Writer
	desc    string
	unit    string
	total   int64
	done    int64
	start   time.Time
	lastLog time.Time
}

// New returns a bar for total units of work (-1 if unknown) described by
// desc, counting units named by unit (e.g. "passages"), written to stderr.
func New(total int64, desc, unit string) *Bar {
	return NewTo(os.Stderr, term.IsTerminal(int(os.Stderr.Fd())), total, desc, unit)
}

// NewTo is New writing to w; tty says whether w is an interactive terminal.
// Tests use it with tty false to capture the log lines.
func NewTo(w io.Writer, tty bool, total int64, desc, unit string) *Bar {
	now := time.Now()
	b := &Bar{w: w, desc: desc, unit: unit, total: total, start: now, lastLog: now}
	if tty {
		b.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int) {
	if b.bar != nil {
		b.bar.Add(n)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += int64(n)
	if now := time.Now(); now.Sub(b.lastLog) >= LogInterval {
		b.lastLog = now
		b.logLocked(now)
	}
}

// Finish marks the work complete and writes the final count and rate.
func (b *Bar) Finish() {
	if b.bar != nil {
		b.bar.Finish()
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.logLocked(time.Now())
}

func (b *Bar) logLocked(now time.Time) {
	secs := now.Sub(b.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(b.done) / secs
	}
	if b.total >= 0 {
		fmt.Fprintf(b.w, "%s: %d/%d %s (%s %s/s, %.1fs)\n", b.desc, b.done, b.total, b.unit, rateText(rate), b.unit, secs)
	} else {
		fmt.Fprintf(b.w, "%s: %d %s (%s %s/s, %.1fs)\n", b.desc, b.done, b.unit, rateText(rate), b.unit, secs)
	}
}

// rateText keeps three significant digits below 100 per second, so a slow
// loop (a GRPO step every 10 s) shows 0.1, not 0.
func rateText(rate float64) string {
	if rate >= 100 {
		return fmt.Sprintf("%.0f", rate)
	}
	return fmt.Sprintf("%.3g", rate)
}
