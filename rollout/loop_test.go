package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"research/dataset"
	"research/protocol"
	"research/reward"
	"research/rollout"
	"research/rollout/rollouttest"
	"research/score"
)

var question = dataset.Example{ID: "q1", Question: "Where was the director of Dune born?", Answers: []string{"Paris"}}

func newRunner(scripts map[string][]string, ret *rollouttest.Retriever, edit func(*rollout.Config)) (*rollout.Runner, *rollouttest.ScriptedPolicy) {
	cfg := rollout.Defaults(protocol.Instruct, []int{rollouttest.IMEnd, rollouttest.EndOfText}, "<|im_end|>")
	cfg.N = len(scripts)
	cfg.TopK = 2
	cfg.RetryBackoff = time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	p := &rollouttest.ScriptedPolicy{Scripts: scripts}
	return &rollout.Runner{Policy: p, Retriever: ret, Tokenizer: rollouttest.ByteTokenizer{}, Config: cfg}, p
}

// run rolls out question and scores the trajectories with the ReSearch
// reward, as the trainer's reward stage does.
func run(t *testing.T, r *rollout.Runner) []*rollout.Trajectory {
	t.Helper()
	trajs, err := r.Run(context.Background(), []dataset.Example{question})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trajs {
		if tr.Reward != 0 || tr.Reason != "" {
			t.Fatalf("the rollout scored: reward %v %q", tr.Reward, tr.Reason)
		}
	}
	score.All(score.ReSearch{}, trajs...)
	return trajs
}

// TestGroups: each trajectory carries the index of its question among
// the examples run, the same question twice making two groups.
func TestGroups(t *testing.T) {
	r, _ := newRunner(map[string][]string{"0": {answer}, "1": {answer}, "2": {answer}, "3": {answer}, "4": {answer}, "5": {answer}}, &rollouttest.Retriever{},
		func(c *rollout.Config) { c.N = 2 })
	other := dataset.Example{ID: "q2", Question: "Who?", Answers: []string{"Ann"}}
	trajs, err := r.Run(context.Background(), []dataset.Example{question, other, question})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range trajs {
		got = append(got, fmt.Sprintf("%s/%d/%d", tr.ExampleID, tr.Group, tr.Sample))
	}
	if want := []string{"q1/0/0", "q1/0/1", "q2/1/0", "q2/1/1", "q1/2/0", "q1/2/1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("example/group/sample %q, want %q", got, want)
	}
}

// expect builds the response ids and mask expected from alternating
// policy (mask 1) and inserted (mask 0) texts.
func expect(parts ...string) (ids []int, mask []uint8) {
	tok := rollouttest.ByteTokenizer{}
	for i, p := range parts {
		m := uint8(1 - i%2)
		for _, id := range tok.Encode(p) {
			ids = append(ids, id)
			mask = append(mask, m)
		}
	}
	return ids, mask
}

func checkTokens(t *testing.T, tr *rollout.Trajectory, parts ...string) {
	t.Helper()
	ids, mask := expect(parts...)
	if !reflect.DeepEqual(tr.Response, ids) {
		got, _ := rollouttest.ByteTokenizer{}.Decode(tr.Response, false)
		want, _ := rollouttest.ByteTokenizer{}.Decode(ids, false)
		t.Fatalf("response\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(tr.Mask, mask) {
		t.Fatalf("mask\n got %v\nwant %v", tr.Mask, mask)
	}
	for i, m := range tr.Mask {
		if want := -0.5 * float64(m); tr.Logprobs[i] != want {
			t.Fatalf("logprob %d = %v, want %v (mask %d)", i, tr.Logprobs[i], want, m)
		}
	}
}

const (
	turn1  = "<think> find the director </think> <search> director of Dune </search>"
	answer = " <think> got it </think> <answer> The final answer is \\[ \\boxed{Paris} \\] </answer><|im_end|>"
)

func docsText(q string) string {
	return " <result>\n\"" + q + "\"\npassage 0\n\n\"" + q + "\"\npassage 1\n</result>"
}

func TestSearchThenAnswer(t *testing.T) {
	ret := &rollouttest.Retriever{}
	r, _ := newRunner(map[string][]string{"0": {turn1, answer}}, ret, nil)
	tr := run(t, r)[0]
	checkTokens(t, tr, turn1, docsText("director of Dune"), answer)
	if tr.Finish != rollout.EndEOS || tr.StopID != rollouttest.IMEnd {
		t.Errorf("finish %q stop %d", tr.Finish, tr.StopID)
	}
	if tr.Reward != 1 || tr.Reason != "correct answer, get f1 score: 1.0" {
		t.Errorf("reward %v %q", tr.Reward, tr.Reason)
	}
	want := []rollout.Search{{Turn: 0, Query: "director of Dune", DocIDs: []string{"director of Dune#0", "director of Dune#1"}, Scores: []float64{2, 1}, Inserted: len(docsText("director of Dune"))}}
	tr.Searches[0].Latency = 0
	if !reflect.DeepEqual(tr.Searches, want) {
		t.Errorf("searches %+v, want %+v", tr.Searches, want)
	}
	if tr.PolicyTokens() != len(turn1)+len(answer)-len("<|im_end|>")+1 {
		t.Errorf("policy tokens %d", tr.PolicyTokens())
	}
}

// TestSecondEOS: Qwen2.5-Instruct may end with <|endoftext|>; the rollout
// stops there, and the reward, which wants <|im_end|>, gives 0 as the
// reference does.
func TestSecondEOS(t *testing.T) {
	r, _ := newRunner(map[string][]string{"0": {"<think> x </think> <answer> \\boxed{Paris} </answer><|endoftext|>"}}, &rollouttest.Retriever{}, nil)
	tr := run(t, r)[0]
	if tr.Finish != rollout.EndEOS || tr.StopID != rollouttest.EndOfText || tr.Reward != 0 || tr.Reason != "over length" {
		t.Errorf("finish %q stop %d reward %v %q", tr.Finish, tr.StopID, tr.Reward, tr.Reason)
	}
}

func TestBudgetMidGeneration(t *testing.T) {
	inserted := docsText("director of Dune")
	budget := len(turn1) + len(inserted) + 10
	r, p := newRunner(map[string][]string{"0": {turn1, answer}}, &rollouttest.Retriever{}, func(c *rollout.Config) { c.MaxResponseTokens = budget })
	tr := run(t, r)[0]
	// The second turn gets what is left of this sequence's budget.
	if got := p.Requests()[1].MaxTokens; got != 10 {
		t.Errorf("second request budget %d, want 10", got)
	}
	checkTokens(t, tr, turn1, inserted, answer[:10])
	if tr.Finish != rollout.EndLength || tr.Reward != 0 {
		t.Errorf("finish %q reward %v %q", tr.Finish, tr.Reward, tr.Reason)
	}
}

func TestBudgetMidResult(t *testing.T) {
	inserted := docsText("director of Dune")
	budget := len(turn1) + 20
	r, p := newRunner(map[string][]string{"0": {turn1, answer}}, &rollouttest.Retriever{}, func(c *rollout.Config) { c.MaxResponseTokens = budget })
	tr := run(t, r)[0]
	checkTokens(t, tr, turn1, inserted[:20])
	if tr.Finish != rollout.EndLength || len(tr.Response) != budget || len(p.Requests()) != 1 || tr.Searches[0].Inserted != 20 {
		t.Errorf("finish %q, %d tokens, %d policy calls, %d inserted", tr.Finish, len(tr.Response), len(p.Requests()), tr.Searches[0].Inserted)
	}
}

func TestBudgetAtSearchClose(t *testing.T) {
	r, _ := newRunner(map[string][]string{"0": {turn1}}, &rollouttest.Retriever{}, func(c *rollout.Config) { c.MaxResponseTokens = len(turn1) })
	tr := run(t, r)[0]
	checkTokens(t, tr, turn1)
	if tr.Finish != rollout.EndLength || len(tr.Searches) != 0 {
		t.Errorf("finish %q, %d searches", tr.Finish, len(tr.Searches))
	}
}

func TestEmptyQuery(t *testing.T) {
	ret := &rollouttest.Retriever{}
	empty := "<think> hmm </think> <search>  </search>"
	r, _ := newRunner(map[string][]string{"0": {empty, answer}}, ret, nil)
	tr := run(t, r)[0]
	checkTokens(t, tr, empty, " <result>\ninvalid query\n</result>", answer)
	if len(ret.Batches()) != 0 || tr.Searches[0].Query != "" {
		t.Errorf("retriever saw %v; search %+v", ret.Batches(), tr.Searches[0])
	}
}

func TestRetrieverFailure(t *testing.T) {
	t.Run("transient", func(t *testing.T) {
		ret := &rollouttest.Retriever{Failures: 2}
		r, _ := newRunner(map[string][]string{"0": {turn1, answer}}, ret, nil)
		tr := run(t, r)[0]
		checkTokens(t, tr, turn1, docsText("director of Dune"), answer)
		if tr.SearchFailed || len(ret.Batches()) != 3 {
			t.Errorf("flagged %v after %d calls", tr.SearchFailed, len(ret.Batches()))
		}
	})
	t.Run("persistent", func(t *testing.T) {
		ret := &rollouttest.Retriever{Failures: 100}
		r, _ := newRunner(map[string][]string{"0": {turn1, answer}}, ret, func(c *rollout.Config) { c.SearchRetries = 2 })
		tr := run(t, r)[0]
		checkTokens(t, tr, turn1, " <result>\nsearch failed\n</result>", answer)
		if !tr.SearchFailed || len(ret.Batches()) != 3 || !strings.Contains(tr.Searches[0].Error, "connection refused") {
			t.Errorf("flagged %v after %d calls, error %q", tr.SearchFailed, len(ret.Batches()), tr.Searches[0].Error)
		}
	})
}

func TestMaxTurns(t *testing.T) {
	turn2 := " <think> again </think> <search> birthplace </search>"
	r, p := newRunner(map[string][]string{"0": {turn1, turn2, answer}}, &rollouttest.Retriever{}, func(c *rollout.Config) { c.MaxTurns = 1 })
	tr := run(t, r)[0]
	checkTokens(t, tr, turn1, docsText("director of Dune"), turn2)
	if tr.Finish != rollout.EndMaxTurns || len(tr.Searches) != 1 || len(p.Requests()) != 2 || tr.Reward != 0 {
		t.Errorf("finish %q, %d searches, %d calls, reward %v", tr.Finish, len(tr.Searches), len(p.Requests()), tr.Reward)
	}
}

// TestSynchronousRounds: with the barrier, the round's searches of all live
// rollouts go to the retriever as one batch, as in the reference.
func TestSynchronousRounds(t *testing.T) {
	ret := &rollouttest.Retriever{}
	scripts := map[string][]string{
		"0": {turn1, answer},
		"1": {"<think> a </think> <search> second </search>", " <think> b </think> <search> third </search>", answer},
		"2": {"<think> sure </think> <answer> \\boxed{Lyon} </answer><|im_end|>"},
		"3": {"<think> c </think> <search> fourth </search>", answer},
	}
	r, _ := newRunner(scripts, ret, func(c *rollout.Config) { c.Synchronous = true })
	trajs := run(t, r)
	want := [][]string{{"director of Dune", "fourth", "second"}, {"third"}}
	batches := ret.Batches()
	for _, b := range batches {
		sort.Strings(b)
	}
	if !reflect.DeepEqual(batches, want) {
		t.Errorf("batches %q, want %q", batches, want)
	}
	for i, tr := range trajs {
		if tr.Sample != i || tr.ExampleID != "q1" || tr.Finish != rollout.EndEOS {
			t.Errorf("trajectory %d: sample %d example %q finish %q", i, tr.Sample, tr.ExampleID, tr.Finish)
		}
	}
	if trajs[2].Reward != reward.FormatOnly {
		t.Errorf("wrong answer rewarded %v %q", trajs[2].Reward, trajs[2].Reason)
	}
}

func TestPolicyErrorStopsRun(t *testing.T) {
	r, p := newRunner(map[string][]string{"0": {turn1}, "1": {turn1}}, &rollouttest.Retriever{}, nil)
	p.Fail = errors.New("engine exploded")
	_, err := r.Run(context.Background(), []dataset.Example{question})
	if err == nil || !strings.Contains(err.Error(), "engine exploded") || !strings.Contains(err.Error(), `"q1"`) {
		t.Errorf("error %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, edit := range map[string]func(*rollout.Config){
		"n":        func(c *rollout.Config) { c.N = 0 },
		"budget":   func(c *rollout.Config) { c.MaxResponseTokens = -1 },
		"eos":      func(c *rollout.Config) { c.EOSIDs = nil },
		"template": func(c *rollout.Config) { c.Template = "chat" },
		"topk":     func(c *rollout.Config) { c.TopK = 0 },
		"access":   func(c *rollout.Config) { c.Access = "some" },
	} {
		r, _ := newRunner(map[string][]string{"0": {answer}}, &rollouttest.Retriever{}, edit)
		if _, err := r.Run(context.Background(), []dataset.Example{question}); err == nil {
			t.Errorf("%s: bad config accepted", name)
		}
	}
}

// gatedPolicy holds back every call for one sequence until a gate opens.
type gatedPolicy struct {
	rollout.Policy
	key  string
	gate chan struct{}
}

func (g gatedPolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	if req.Key == g.key {
		<-g.gate
	}
	return g.Policy.Generate(ctx, req)
}

// TestContinuousNoBarrier: without the barrier a rollout searches, reads
// and finishes while another is still generating its first turn.
func TestContinuousNoBarrier(t *testing.T) {
	r, p := newRunner(map[string][]string{"0": {turn1, answer}, "1": {answer}}, &rollouttest.Retriever{}, nil)
	gate := make(chan struct{})
	r.Policy = gatedPolicy{Policy: p, key: "0/1", gate: gate}
	r.OnDone = func(tr *rollout.Trajectory) {
		if tr.Sample == 0 {
			close(gate)
		}
	}
	done := make(chan error)
	go func() { _, err := r.Run(context.Background(), []dataset.Example{question}); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rollout 0 waited for rollout 1: a round barrier in continuous mode")
	}
}

// TestAccess: the baselines in the ReSearch format search nothing
// (closed-book) or only the question, which the environment writes.
func TestAccess(t *testing.T) {
	const empty = " <result>\n\n</result>"
	opening := " <search> Where was the director of Dune born </search>"
	tests := []struct {
		access   rollout.Access
		want     []string // policy and inserted texts, in order
		inserted []bool
		queries  []string // what the retriever saw
	}{
		{rollout.SearchNothing, []string{turn1, empty, answer}, []bool{false, true, false}, nil},
		{rollout.SearchQuestion, []string{opening, docsText("Where was the director of Dune born"), turn1, empty, answer},
			[]bool{true, true, false, true, false}, []string{"Where was the director of Dune born"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.access), func(t *testing.T) {
			ret := &rollouttest.Retriever{}
			r, _ := newRunner(map[string][]string{"0": {turn1, answer}}, ret, func(c *rollout.Config) { c.Access = tc.access })
			tr := run(t, r)[0]
			var ids []int
			var mask []uint8
			for i, part := range tc.want {
				for _, id := range (rollouttest.ByteTokenizer{}).Encode(part) {
					ids = append(ids, id)
					mask = append(mask, map[bool]uint8{false: 1, true: 0}[tc.inserted[i]])
				}
			}
			if !reflect.DeepEqual(tr.Response, ids) || !reflect.DeepEqual(tr.Mask, mask) {
				got, _ := rollouttest.ByteTokenizer{}.Decode(tr.Response, false)
				t.Fatalf("response %q\nwant %q", got, strings.Join(tc.want, ""))
			}
			var queries []string
			for _, b := range ret.Batches() {
				queries = append(queries, b...)
			}
			if !reflect.DeepEqual(queries, tc.queries) || tr.Reward != 1 {
				t.Errorf("retriever saw %q, want %q; reward %v %q", queries, tc.queries, tr.Reward, tr.Reason)
			}
		})
	}
}

// TestTurnSeeds: with TurnSeeds each policy call carries TurnSeed of the
// run's seed, the rollout's key and its turn, all different; without, none.
func TestTurnSeeds(t *testing.T) {
	for _, on := range []bool{false, true} {
		r, p := newRunner(map[string][]string{"0": {turn1, answer}, "1": {turn1, answer}}, &rollouttest.Retriever{}, func(c *rollout.Config) {
			c.TurnSeeds, c.Seed = on, 7
		})
		run(t, r)
		seen := map[uint64]bool{}
		turns := map[string]int{}
		for _, req := range p.Requests() {
			turn := turns[req.Key]
			turns[req.Key]++
			if !on {
				if req.Seed != nil {
					t.Errorf("TurnSeeds off: request of %s carries seed %d", req.Key, *req.Seed)
				}
				continue
			}
			if req.Seed == nil || *req.Seed != rollout.TurnSeed(7, req.Key, turn) || *req.Seed >= 1<<63 || seen[*req.Seed] {
				t.Errorf("request of %s turn %d: seed %v", req.Key, turn, req.Seed)
				continue
			}
			seen[*req.Seed] = true
		}
		if on && len(seen) != 4 {
			t.Errorf("%d distinct seeds over 2 rollouts of 2 turns", len(seen))
		}
	}
}
