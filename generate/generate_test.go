package generate

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"research/model"
)

func tinyModel(t *testing.T) (*model.Model, []int, []int) {
	t.Helper()
	m, err := model.Load("../model/testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	data, err := os.ReadFile("../model/testdata/tiny/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Prompt    []int `json:"prompt"`
		GreedyIDs []int `json:"greedy_ids"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return m, ref.Prompt, ref.GreedyIDs[len(ref.Prompt):] // this file lists the prompt first
}

func TestGreedyMatchesReference(t *testing.T) {
	m, prompt, want := tinyModel(t)
	res, err := Generate(m, []Request{{Prompt: prompt, MaxTokens: len(want)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if !slices.Equal(r.Tokens, want) || r.Finish != FinishLength {
		t.Fatalf("got %v (%s), want %v (length)", r.Tokens, r.Finish, want)
	}
	// The first logprob is log softmax of the prompt's last logits.
	logits, err := m.Forward([]model.Input{{Cache: m.NewCache(0), Tokens: prompt}})
	if err != nil {
		t.Fatal(err)
	}
	if lp := logSoftmax64(logits[0], want[0]); math.Abs(lp-r.Logprobs[0]) > 1e-6 {
		t.Errorf("logprob %v, want %v", r.Logprobs[0], lp)
	}
}

// TestBatchingDoesNotChangeResults runs sampled requests of different
// lengths all at once and one at a time (continuous batching with one slot):
// the tokens and logprobs must agree.
func TestBatchingDoesNotChangeResults(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	reqs := []Request{
		{Prompt: prompt, MaxTokens: 9},
		{Prompt: prompt[:3], MaxTokens: 5},
		{Prompt: prompt[2:], MaxTokens: 12, StopIDs: []int{7}},
		{Prompt: []int{5}, MaxTokens: 7},
	}
	opt := Options{Sampling: Sampling{Temperature: 0.9, TopP: 0.95, TopK: 50, Seed: 42}, PrefillChunk: 3}
	all, err := Generate(m, reqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxBatch = 1
	one, err := Generate(m, reqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		if !slices.Equal(all[i].Tokens, one[i].Tokens) {
			t.Errorf("request %d: batched %v, alone %v", i, all[i].Tokens, one[i].Tokens)
		}
		for j := range all[i].Logprobs {
			if math.Abs(all[i].Logprobs[j]-one[i].Logprobs[j]) > 1e-5 {
				t.Errorf("request %d token %d: logprob %v vs %v", i, j, all[i].Logprobs[j], one[i].Logprobs[j])
			}
		}
	}
}

// idDecoder spells token i as "<i>".
var idDecoder = DecoderFunc(func(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "<%d>", id)
	}
	return b.String()
})

func TestStops(t *testing.T) {
	m, prompt, greedy := tinyModel(t)
	cases := []struct {
		name       string
		req        Request
		wantN      int
		wantFinish string
		wantID     int
		wantStr    string
	}{
		{"stop id", Request{StopIDs: []int{greedy[2]}}, 3, FinishStop, greedy[2], ""},
		{"stop string in one token", Request{StopStrings: []string{fmt.Sprintf("<%d>", greedy[3])}}, 4, FinishStop, -1, fmt.Sprintf("<%d>", greedy[3])},
		{"stop string across tokens", Request{StopStrings: []string{"zzz", fmt.Sprintf("%d><%d", greedy[4], greedy[5])}}, 6, FinishStop, -1, fmt.Sprintf("%d><%d", greedy[4], greedy[5])},
		{"budget", Request{StopStrings: []string{"never"}}, 10, FinishLength, -1, ""},
	}
	for _, tc := range cases {
		tc.req.Prompt, tc.req.MaxTokens = prompt, 10
		res, err := Generate(m, []Request{tc.req}, Options{Decoder: idDecoder})
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if !slices.Equal(r.Tokens, greedy[:tc.wantN]) || r.Finish != tc.wantFinish || r.StopID != tc.wantID || r.StopString != tc.wantStr {
			t.Errorf("%s: got %v %s id=%d str=%q; want %v %s id=%d str=%q", tc.name, r.Tokens, r.Finish, r.StopID, r.StopString,
				greedy[:tc.wantN], tc.wantFinish, tc.wantID, tc.wantStr)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	cases := []struct {
		name string
		req  Request
		opt  Options
	}{
		{"empty prompt", Request{MaxTokens: 1}, Options{}},
		{"no budget", Request{Prompt: prompt}, Options{}},
		{"stop strings without decoder", Request{Prompt: prompt, MaxTokens: 1, StopStrings: []string{"x"}}, Options{}},
		{"empty stop string", Request{Prompt: prompt, MaxTokens: 1, StopStrings: []string{""}}, Options{Decoder: idDecoder}},
		{"negative temperature", Request{Prompt: prompt, MaxTokens: 1}, Options{Sampling: Sampling{Temperature: -1}}},
		{"top-p above 1", Request{Prompt: prompt, MaxTokens: 1}, Options{Sampling: Sampling{Temperature: 1, TopP: 1.5}}},
		{"token outside vocabulary", Request{Prompt: []int{999}, MaxTokens: 1}, Options{}},
	}
	for _, tc := range cases {
		if _, err := Generate(m, []Request{tc.req}, tc.opt); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestCacheReuse runs two rounds — generate, insert tokens, generate again
// on the kept cache — and checks the second round against a fresh run on the
// whole context, as the ReSearch loop does after inserting search results.
func TestCacheReuse(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	cache := m.NewCache(0)
	first, err := Generate(m, []Request{{Prompt: prompt, MaxTokens: 5, Cache: cache}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(prompt) + 5 - 1; cache.Len != want {
		t.Fatalf("cache holds %d positions, want %d", cache.Len, want)
	}
	ctx := append(append(append([]int{}, prompt...), first[0].Tokens...), 17, 42, 99)
	second, err := Generate(m, []Request{{Prompt: ctx, MaxTokens: 6, Cache: cache}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Generate(m, []Request{{Prompt: ctx, MaxTokens: 6}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second[0].Tokens, fresh[0].Tokens) {
		t.Fatalf("with the kept cache %v, fresh %v", second[0].Tokens, fresh[0].Tokens)
	}
	for i := range fresh[0].Logprobs {
		if math.Abs(second[0].Logprobs[i]-fresh[0].Logprobs[i]) > 1e-5 {
			t.Errorf("logprob %d: %v vs %v", i, second[0].Logprobs[i], fresh[0].Logprobs[i])
		}
	}
	// A cache holding more than the prompt is rewound.
	again, err := Generate(m, []Request{{Prompt: prompt, MaxTokens: 5, Cache: cache}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again[0].Tokens, first[0].Tokens) {
		t.Errorf("after rewinding %v, want %v", again[0].Tokens, first[0].Tokens)
	}
}

// TestLogprobsMatchScoring checks that the logprobs reported while sampling
// are what model.Logprobs gives when the trainer rescores the same tokens.
func TestLogprobsMatchScoring(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	const temp = 0.8
	res, err := Generate(m, []Request{{Prompt: prompt, MaxTokens: 20}, {Prompt: prompt[:2], MaxTokens: 9}},
		Options{Sampling: Sampling{Temperature: temp, Seed: 9}})
	if err != nil {
		t.Fatal(err)
	}
	seqs := [][]int{append(append([]int{}, prompt...), res[0].Tokens...), append(append([]int{}, prompt[:2]...), res[1].Tokens...)}
	got, err := m.Logprobs(seqs, []int{len(prompt), 2}, temp)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if len(got[i]) != len(r.Logprobs) {
			t.Fatalf("sequence %d: %d scores for %d tokens", i, len(got[i]), len(r.Logprobs))
		}
		for j := range r.Logprobs {
			if math.Abs(got[i][j]-r.Logprobs[j]) > 1e-5 {
				t.Errorf("sequence %d token %d: sampled with logprob %v, scored %v", i, j, r.Logprobs[j], got[i][j])
			}
		}
	}
}

// logSoftmax64 is log softmax(x)[id] in float64, the reference for logprobs.
func logSoftmax64(x []float32, id int) float64 {
	mx := float64(x[argmax(x)])
	var sum float64
	for _, z := range x {
		sum += math.Exp(float64(z) - mx)
	}
	return float64(x[id]) - mx - math.Log(sum)
}
