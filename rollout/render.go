package rollout

import (
	"fmt"
	"io"
	"strings"

	"research/protocol"
)

// Style colours the parts of a trace; the zero Style prints plain text.
type Style struct {
	Think, Search, Result, Answer, Reset string
}

// ANSI is a terminal style: thoughts dim, queries cyan, results yellow,
// answers bold green.
var ANSI = Style{Think: "\x1b[2m", Search: "\x1b[36m", Result: "\x1b[33m", Answer: "\x1b[1;32m", Reset: "\x1b[0m"}

// Paint colours the tagged spans of a response: each span from an opening
// tag to its closing tag (or to the end) takes that tag's colour.
func (s Style) Paint(text string) string {
	if s == (Style{}) {
		return text
	}
	spans := []struct{ open, close, color string }{
		{protocol.ThinkOpen, protocol.ThinkClose, s.Think},
		{protocol.SearchOpen, protocol.SearchClose, s.Search},
		{protocol.ResultOpen, protocol.ResultClose, s.Result},
		{protocol.AnswerOpen, protocol.AnswerClose, s.Answer},
	}
	var b strings.Builder
	for len(text) > 0 {
		first, which := len(text), -1
		for i, sp := range spans {
			if j := strings.Index(text, sp.open); j >= 0 && j < first {
				first, which = j, i
			}
		}
		b.WriteString(text[:first])
		if which < 0 {
			break
		}
		sp := spans[which]
		end := strings.Index(text[first:], sp.close)
		if end < 0 {
			end = len(text)
		} else {
			end += first + len(sp.close)
		}
		b.WriteString(sp.color + text[first:end] + s.Reset)
		text = text[end:]
	}
	return b.String()
}

// Render writes a readable trace of a trajectory: the question, the
// response with its parts styled, the searches and the reward.
func (t *Trajectory) Render(w io.Writer, s Style) {
	fmt.Fprintf(w, "── %s #%d ── %s\n", t.ExampleID, t.Sample, t.Question)
	fmt.Fprintf(w, "gold: %s\n\n", strings.Join(t.Golds, " | "))
	fmt.Fprintln(w, s.Paint(t.ResponseText))
	fmt.Fprintln(w)
	for _, q := range t.Searches {
		status := fmt.Sprintf("%d docs", len(q.DocIDs))
		if q.Error != "" {
			status = "error: " + q.Error
		}
		fmt.Fprintf(w, "search %d: %q → %s, %d tokens inserted, %v\n", q.Turn+1, q.Query, status, q.Inserted, q.Latency.Round(1e6))
	}
	fmt.Fprintf(w, "finish: %s   reward: %.4g (%s)\n", t.Finish, t.Reward, t.Reason)
}
