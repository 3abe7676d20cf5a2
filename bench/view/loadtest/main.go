// Command loadtest writes a synthetic demo-like run (train/ with
// config.yaml, metrics.jsonl, a question file with types and rollout dumps
// of every step, validation dumps every ten steps, and a BM25 index/ of
// the passages the rollouts cite), starts research view's server on
// loopback over it and drives it with concurrent clients for a given
// duration. The mix opens the overview, polls /api/metrics after a count
// as the overview's page does, lists the steps, opens step pages with and
// without filters and single rollouts, searches the index, and sends bad
// requests that must get their 4xx: an unknown step or rollout (404), a
// path climbing out of the run (404), a POST (405). It prints the load
// held, p50/p99 latency, peak RSS (server and load generator share the
// process), requests shed with 503, 5xx and dropped connections, and exits
// non-zero on any 5xx other than a shed 503, a wrong status or a dropped
// connection.
//
//	go run -C bench ./view/loadtest --duration 60s --clients 64
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"research/internal/httpserve"
	"research/reward"
	"research/rollout"
	"research/search/bm25"
	"research/search/server/loadtest"
	"research/view"
)

// apiKey is sent as a bearer token, so that the key check of the shared
// policy is part of what is measured, as it is in use.
const apiKey = "loadtest-key"

func main() {
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	steps := flag.Int("steps", 50, "training steps in the run")
	questions := flag.Int("questions", 4, "questions per step")
	samples := flag.Int("samples", 2, "rollouts per question")
	flag.Parse()
	if err := run(*clients, *duration, fixture{steps: *steps, questions: *questions, samples: *samples, valEvery: 10}); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(clients int, duration time.Duration, fx fixture) error {
	if fx.steps < 2 || fx.questions < 1 || fx.samples < 1 {
		return fmt.Errorf("want at least 2 steps, 1 question and 1 sample")
	}
	dir, err := os.MkdirTemp("", "view-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeRun(dir, fx); err != nil {
		return fmt.Errorf("writing the run: %w", err)
	}
	r, err := view.Open(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	h, err := view.New(r, view.Options{APIKey: apiKey})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserve.Serve(ctx, ln, h, httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: time.Minute, Shutdown: 30 * time.Second})
	}()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		BaseURL: "http://" + ln.Addr().String(), Clients: clients, Duration: duration, APIKey: apiKey,
		Mix: func(rng *rand.Rand) loadtest.Request { return mix(rng, fx) },
	})
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Printf("view, %d steps × %d rollouts, %d clients: %s\n", fx.steps, fx.questions*fx.samples, clients, rep)
	if rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
		return fmt.Errorf("failures; first: %s", rep.FirstIssue)
	}
	return nil
}

// mix draws a request: about four fifths good pages over every route the
// run has, the rest bad.
func mix(rng *rand.Rand, fx fixture) loadtest.Request {
	get := func(path string, want int) loadtest.Request {
		return loadtest.Request{Method: "GET", Path: path, Want: want}
	}
	step := 1 + rng.IntN(fx.steps)
	filters := []url.Values{
		{"type": {questionTypes[rng.IntN(len(questionTypes))]}},
		{"rmin": {"0.5"}},
		{"searches": {"2+"}, "finish": {string(rollout.EndEOS)}},
		{"q": {fmt.Sprintf("nile %d", rng.IntN(fx.questions))}},
		{"rmax": {"0"}, "page": {"2"}},
	}
	switch rng.IntN(20) {
	case 0, 1:
		return get("/", 200)
	case 2, 3, 4:
		// The overview's poll: the points after those it has.
		return get(fmt.Sprintf("/api/metrics?after=%d", rng.IntN(fx.steps+fx.steps/fx.valEvery+1)), 200)
	case 5:
		return get(fmt.Sprintf("/steps?page=%d", 1+rng.IntN(3)), 200)
	case 6, 7, 8:
		return get(fmt.Sprintf("/rollouts/train/%d", step), 200)
	case 9, 10:
		return get(fmt.Sprintf("/rollouts/train/%d?%s", step, filters[rng.IntN(len(filters))].Encode()), 200)
	case 11:
		return get(fmt.Sprintf("/rollouts/val/%d", fx.valEvery*(1+rng.IntN(fx.steps/fx.valEvery))), 200)
	case 12, 13, 14:
		return get(fmt.Sprintf("/rollouts/train/%d/%d", step, rng.IntN(fx.questions*fx.samples)), 200)
	case 15:
		// Contains: a passage's text, which only a search that ran shows
		// (a run whose index cannot be opened answers 200 too).
		r := get("/search?"+url.Values{"q": {fmt.Sprintf("passage of question %d", rng.IntN(fx.questions))}, "k": {"5"}}.Encode(), 200)
		r.Contains = "about the river Nile"
		return r
	case 16:
		return get(fmt.Sprintf("/rollouts/train/%d", fx.steps+1+rng.IntN(1000)), 404)
	case 17:
		return get(fmt.Sprintf("/rollouts/train/%d/%d", step, fx.questions*fx.samples+rng.IntN(100)), 404)
	case 18:
		// An escaped traversal reaches the handler as one segment, which is
		// not a step: 404, and never the file.
		return get("/rollouts/train/..%2f..%2fetc%2fpasswd", 404)
	}
	return loadtest.Request{Method: "POST", Path: "/api/metrics", Body: "{}", Want: 405}
}

// fixture describes the synthetic run.
type fixture struct {
	steps, questions, samples, valEvery int
}

var questionTypes = []string{"bridge", "chain", "comparison", "yesno"}

// writeRun lays out a run as research demo does: dir/train with
// config.yaml, metrics.jsonl, rollouts/{train,val}-stepNNNNNN.jsonl and
// the question file the config names, and dir/index, the BM25 index the
// search page queries. Prompts are 300 ids long, a real prompt's size, so
// that the pages decode and render what they would for a real run.
func writeRun(dir string, fx fixture) error {
	train := filepath.Join(dir, "train")
	for _, d := range []string{filepath.Join(train, "rollouts"), filepath.Join(train, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var qs, passages strings.Builder
	for q := range fx.questions {
		fmt.Fprintf(&qs, `{"id":"q-%d","question":"question %d","golden_answers":["Nile %d"],"type":%q}`+"\n", q, q, q, questionTypes[q%len(questionTypes)])
		fmt.Fprintf(&passages, `{"id":"doc-%d","contents":"\"Doc %d\"\nthe passage of question %d, about the river Nile %d"}`+"\n", q, q, q, q)
	}
	dataPath := filepath.Join(train, "data", "train.jsonl")
	if err := os.WriteFile(dataPath, []byte(qs.String()), 0o644); err != nil {
		return err
	}
	indexDir := filepath.Join(dir, "index")
	if _, err := bm25.Build(context.Background(), strings.NewReader(passages.String()), "loadtest", indexDir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	cfg := fmt.Sprintf("data:\n  train: [%s]\n  val: [%s]\nmodel: nowhere\nretriever: {index: %s, top_k: 3}\n", dataPath, dataPath, indexDir) +
		fmt.Sprintf("rollout: {n: %d}\nalgorithm: {advantage: grpo}\ntrain: {steps: %d, batch_size: %d}\n", fx.samples, fx.steps, fx.questions)
	if err := os.WriteFile(filepath.Join(train, "config.yaml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	var metrics strings.Builder
	point := func(m map[string]any) {
		line, _ := json.Marshal(m)
		metrics.Write(append(line, '\n'))
	}
	for step := 1; step <= fx.steps; step++ {
		var trajs []*rollout.Trajectory
		for q := range fx.questions {
			for s := range fx.samples {
				trajs = append(trajs, trajectory(step, q, s))
			}
		}
		if err := writeDump(filepath.Join(train, "rollouts", fmt.Sprintf("train-step%06d.jsonl", step)), trajs); err != nil {
			return err
		}
		x := float64(step) / float64(fx.steps)
		point(map[string]any{"step": step, "phase": "train", "reward_mean": 0.2 + 0.5*x, "em": 0.1 + 0.3*x,
			"searches_per_rollout": 1 + float64(step%5)/4, "kl": 0.001 * float64(step), "grad_norm": 1.5 - x/2, "lr": 1e-5, "time_update_s": 0.8})
		if step%fx.valEvery == 0 {
			var val []*rollout.Trajectory
			for q := range fx.questions {
				val = append(val, trajectory(step, q, 0))
			}
			if err := writeDump(filepath.Join(train, "rollouts", fmt.Sprintf("val-step%06d.jsonl", step)), val); err != nil {
				return err
			}
			point(map[string]any{"step": step, "phase": "val", "reward_mean": 0.3 + 0.4*x, "em": 0.2 + 0.3*x})
		}
	}
	return os.WriteFile(filepath.Join(train, "metrics.jsonl"), []byte(metrics.String()), 0o644)
}

func writeDump(path string, trajs []*rollout.Trajectory) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rollout.WriteJSONL(f, trajs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// trajectory makes one rollout: sample s of question q searches s%3+1
// times; even samples answer right; sample 0 of even questions ran out of
// length, so that every filter selects some and leaves out others.
func trajectory(step, q, s int) *rollout.Trajectory {
	question := fmt.Sprintf("question %d", q)
	query, result, answer := fmt.Sprintf("query %d-%d", q, s), fmt.Sprintf("\"Doc %d\"\nthe passage of question %d", q, q), fmt.Sprintf("Nile %d", q)
	if s%2 == 1 {
		answer = "wrong"
	}
	t := &rollout.Trajectory{
		Version: rollout.TrajectoryVersion, ExampleID: fmt.Sprintf("q-%d", q), Sample: s, Question: question,
		Golds: []string{fmt.Sprintf("Nile %d", q)}, Prompt: make([]int, 300),
		PromptText: strings.Repeat("Answer the question, searching when you need to. ", 30) + "User: " + question + "\nAssistant: ",
		Finish:     rollout.EndEOS, EOSText: "<|endoftext|>", GenerateTime: 120 * time.Millisecond, SearchTime: 3 * time.Millisecond,
	}
	var b strings.Builder
	for i := range s%3 + 1 {
		fmt.Fprintf(&b, "<think>step %d of my plan</think>\n<search>%s</search>\n<result>\n%s\n</result>\n", i, query, result)
		t.Searches = append(t.Searches, rollout.Search{Turn: i, Query: query, DocIDs: []string{fmt.Sprintf("doc-%d", q)}, Scores: []float64{7.5}, Inserted: 12})
		for range 8 {
			t.Response, t.Mask, t.Logprobs = append(t.Response, 10), append(t.Mask, 1), append(t.Logprobs, -0.3)
		}
		for range 12 {
			t.Response, t.Mask, t.Logprobs = append(t.Response, 11), append(t.Mask, 0), append(t.Logprobs, 0)
		}
	}
	fmt.Fprintf(&b, "<think>so the answer</think>\n<answer>The answer is \\boxed{%s}</answer>", answer)
	t.Response, t.Mask, t.Logprobs = append(t.Response, 12, 13), append(t.Mask, 1, 1), append(t.Logprobs, -2.5, -6)
	t.ResponseText = b.String() + t.EOSText
	res := reward.ScoreSolution(t.PromptText+t.ResponseText, t.Golds, t.EOSText)
	t.Reward, t.Reason = res.Score, res.Reason
	if s == 0 && q%2 == 0 {
		t.Finish = rollout.EndLength
	}
	return t
}
