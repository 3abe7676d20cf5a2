package server

import (
	"reflect"
	"slices"
	"testing"

	"research/generate"
	"research/tinker"
)

// TestSampleBatch: sampling requests sent together, which the executor
// generates on one engine, sample what each samples alone, and what
// generate.Generate samples.
func TestSampleBatch(t *testing.T) {
	srv, c := newServer(t, nil)
	const n = 12
	submit := func(k int) string {
		return c.submit("asample", map[string]any{"num_samples": 2, "prompt": tinker.TextInput([]int{1, 2, 3 + k%4, 5}),
			"sampling_params": map[string]any{"temperature": 1, "max_tokens": 12, "seed": 100 + k}, "base_model": "tiny",
			"prompt_logprobs": k%3 == 0, "type": "sample"})
	}
	result := func(id string) tinker.SampleResponse {
		var r tinker.SampleResponse
		c.result(id, "Sample", &r)
		return r
	}
	alone := make([]tinker.SampleResponse, n)
	for k := range alone {
		alone[k] = result(submit(k))
	}
	// Hold the executor so that all n requests are queued before it
	// takes them, as one batch.
	release := make(chan struct{})
	srv.mu.Lock()
	srv.queued++
	srv.enqueue(&job{f: srv.newFuture(), run: func() (any, error) { <-release; return nil, nil }})
	srv.mu.Unlock()
	ids := make([]string, n)
	for k := range ids {
		ids[k] = submit(k)
	}
	srv.mu.Lock()
	queued := len(srv.runq)
	srv.mu.Unlock()
	close(release)
	if queued != n {
		t.Fatalf("%d requests queued behind the held executor, want %d", queued, n)
	}
	for k, id := range ids {
		if got := result(id); !reflect.DeepEqual(got, alone[k]) {
			t.Errorf("request %d sent with %d others: %+v, alone: %+v", k, n-1, got, alone[k])
		}
	}
	// What generate.Generate samples for the same request, lone.
	eos := []int(srv.cfg.Model.Config.EOSTokenIDs)
	reqs := []generate.Request{{Prompt: []int{1, 2, 3, 5}, MaxTokens: 12, StopIDs: eos}, {Prompt: []int{1, 2, 3, 5}, MaxTokens: 12, StopIDs: eos}}
	gen, err := generate.Generate(srv.cfg.Model, reqs, generate.Options{Sampling: generate.Sampling{Temperature: 1, Seed: 100}})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gen {
		if !reflect.DeepEqual(g.Tokens, alone[0].Sequences[i].Tokens) {
			t.Errorf("sample %d: %v, generate.Generate: %v", i, alone[0].Sequences[i].Tokens, g.Tokens)
		}
	}
	if reflect.DeepEqual(alone[0].Sequences[0].Tokens, alone[0].Sequences[1].Tokens) && reflect.DeepEqual(alone[0].Sequences[0].Tokens, alone[4].Sequences[0].Tokens) {
		t.Errorf("samples do not differ by index or seed: %v", alone[0].Sequences)
	}
}

// TestTakeSample: a running batch admits the sampling request at the head
// of the queue when it is for the same session, and nothing else.
func TestTakeSample(t *testing.T) {
	a, b := &samplingSession{id: "a"}, &samplingSession{id: "b"}
	sample := func(ss *samplingSession) *job { return &job{sample: &sampleJob{ss: ss}} }
	for _, tc := range []struct {
		name  string
		queue []*job
		take  bool
	}{
		{"same session", []*job{sample(a), sample(b)}, true},
		{"another session", []*job{sample(b), sample(a)}, false},
		{"a training job first", []*job{{}, sample(a)}, false},
		{"nothing queued", nil, false},
	} {
		s := &Server{runq: tc.queue}
		got := s.takeSample("a")
		if (got != nil) != tc.take || (got != nil && (got != tc.queue[0] || len(s.runq) != len(tc.queue)-1)) {
			t.Errorf("%s: took %v, %d left queued", tc.name, got, len(s.runq))
		}
	}
}

// TestSampleContinues: a request whose prompt continues a sequence sampled
// before (a rollout's next turn) reuses that sequence's KV cache and
// samples what generate.Generate samples for its whole prompt.
func TestSampleContinues(t *testing.T) {
	srv, c := newServer(t, nil)
	sample := func(prompt []int, seed int) []int {
		var r tinker.SampleResponse
		c.result(c.submit("asample", map[string]any{"num_samples": 1, "prompt": tinker.TextInput(prompt),
			"sampling_params": map[string]any{"temperature": 1, "max_tokens": 10, "seed": seed}, "base_model": "tiny", "type": "sample"}), "Sample", &r)
		return r.Sequences[0].Tokens
	}
	lone := func(prompt []int, seed int) []int {
		eos := []int(srv.cfg.Model.Config.EOSTokenIDs)
		g, err := generate.Generate(srv.cfg.Model, []generate.Request{{Prompt: prompt, MaxTokens: 10, StopIDs: eos}},
			generate.Options{Sampling: generate.Sampling{Temperature: 1, Seed: uint64(seed)}})
		if err != nil {
			t.Fatal(err)
		}
		return g[0].Tokens
	}
	first := []int{1, 2, 3, 4}
	turn1 := sample(first, 7)
	key := srv.sampler.order[len(srv.sampler.order)-1]
	second := append(append(slices.Clone(first), turn1...), 9, 10, 11)
	turn2 := sample(second, 8)
	if want := lone(second, 8); !reflect.DeepEqual(turn2, want) {
		t.Errorf("second turn %v, generate.Generate %v", turn2, want)
	}
	if got, want := srv.sampler.seqs[key], append(slices.Clone(second), turn2...); !reflect.DeepEqual(got, want) {
		t.Errorf("the second turn did not continue the first's sequence %q: it holds %v, want %v", key, got, want)
	}
}
