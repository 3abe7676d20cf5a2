package view

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"
)

// Point is one line of metrics.jsonl: a training step or a validation,
// with every numeric field but the step.
type Point struct {
	Step   int                `json:"step"`
	Phase  string             `json:"phase"`
	Values map[string]float64 `json:"values"`
}

// metricsLog reads metrics.jsonl incrementally: a run still training
// appends to it, and each refresh parses only the lines added since.
type metricsLog struct {
	path string

	mu      sync.Mutex
	offset  int64 // bytes parsed, always at a line boundary
	line    int   // lines parsed
	modTime time.Time
	points  []Point
	errs    []string // "metrics.jsonl:LINE: what", one per bad line
}

func newMetricsLog(path string) *metricsLog { return &metricsLog{path: path} }

// snapshot refreshes the log and returns its points from index after on,
// every error, the number of points, and when the file last changed.
func (m *metricsLog) snapshot(after int) ([]Point, []string, int, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh()
	after = min(max(after, 0), len(m.points))
	return slices.Clone(m.points[after:]), slices.Clone(m.errs), len(m.points), m.modTime
}

// refresh parses the lines appended since the last call. A file that
// shrank was rewritten (a resumed run) and is read again from the start;
// a last line without its newline is still being written and waits.
func (m *metricsLog) refresh() {
	if m.path == "" {
		return
	}
	st, err := os.Stat(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		m.offset, m.line, m.points, m.errs = 0, 0, nil, nil
		return
	}
	if err != nil {
		m.errs = []string{err.Error()}
		return
	}
	if st.Size() < m.offset {
		m.offset, m.line, m.points, m.errs = 0, 0, nil, nil
	}
	m.modTime = st.ModTime()
	if st.Size() == m.offset {
		return
	}
	f, err := os.Open(m.path)
	if err != nil {
		m.errs = append(m.errs, err.Error())
		return
	}
	defer f.Close()
	if _, err := f.Seek(m.offset, io.SeekStart); err != nil {
		m.errs = append(m.errs, err.Error())
		return
	}
	br := bufio.NewReader(f)
	for {
		text, err := br.ReadBytes('\n')
		if err != nil {
			return // EOF: a partial line waits for its newline
		}
		m.offset += int64(len(text))
		m.line++
		p, perr := parsePoint(bytes.TrimSpace(text))
		switch {
		case perr != nil:
			m.errs = append(m.errs, fmt.Sprintf("metrics.jsonl:%d: %v", m.line, perr))
		case p != nil:
			m.points = append(m.points, *p)
		}
	}
}

// parsePoint reads one line; a blank line gives nil. Every numeric field
// is a metric, so metrics added to the trainer later show up unasked.
func parsePoint(line []byte) (*Point, error) {
	if len(line) == 0 {
		return nil, nil
	}
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	step, ok := raw["step"].(float64)
	if !ok || step < 0 || step != float64(int(step)) {
		return nil, fmt.Errorf(`no whole "step" number`)
	}
	p := &Point{Step: int(step), Phase: "train", Values: map[string]float64{}}
	if ph, ok := raw["phase"].(string); ok && ph != "" {
		p.Phase = ph
	}
	for k, v := range raw {
		if f, ok := v.(float64); ok && k != "step" {
			p.Values[k] = f
		}
	}
	return p, nil
}

// metricOrder is the order charts appear in: what a user watches first,
// then the optimiser, then time; metrics not listed follow by name.
var metricOrder = []string{
	"reward_mean", "reward_std", "em", "f1", "format_valid", "searches_per_rollout",
	"response_tokens", "inserted_tokens", "search_failures",
	"kl", "entropy", "clip_frac", "ppo_kl", "pg_loss", "grad_norm", "lr", "logprob_gap",
	"time_generate_s", "time_search_s", "time_score_s", "time_update_s", "tokens_per_s",
}

// metricTitles are the charts' headings; other metrics show their key.
var metricTitles = map[string]string{
	"reward_mean": "reward (mean)", "reward_std": "reward (std)", "em": "exact match", "f1": "F1",
	"format_valid": "format valid", "searches_per_rollout": "searches per rollout",
	"response_tokens": "response tokens (policy)", "inserted_tokens": "inserted tokens (results)",
	"search_failures": "search failures", "kl": "KL to the reference", "entropy": "entropy",
	"clip_frac": "clip fraction", "ppo_kl": "PPO KL", "pg_loss": "policy-gradient loss",
	"grad_norm": "gradient norm", "lr": "learning rate", "logprob_gap": "sampler/trainer logprob gap",
	"time_generate_s": "time: rollouts (s)", "time_search_s": "time: search (s, summed)",
	"time_score_s": "time: scoring (s)", "time_update_s": "time: update (s)", "tokens_per_s": "rollout tokens per second",
}

// metricKeys orders the keys present in points.
func metricKeys(points []Point) []string {
	seen := map[string]bool{}
	for _, p := range points {
		for k := range p.Values {
			seen[k] = true
		}
	}
	var keys []string
	for _, k := range metricOrder {
		if seen[k] {
			keys = append(keys, k)
			delete(seen, k)
		}
	}
	var rest []string
	for k := range seen {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	return append(keys, rest...)
}
