package policy

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"

	"research/internal/tinymodel"

	"research/dataset"
	"research/generate"
	"research/generate/server"
	"research/model"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
)

// TestLocalRolloutModes runs the tiny random model through the rollout loop
// on the in-process engine, synchronous rounds and continuous batching:
// with each sequence's random stream tied to its key, both give the same
// trajectories.
func TestLocalRolloutModes(t *testing.T) {
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Config.MaxPositions = 4096 // the nominal 128 hold no ReSearch prompt
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	examples := []dataset.Example{{ID: "a", Question: "q1", Answers: []string{"x"}}, {ID: "b", Question: "q22", Answers: []string{"y"}}}
	run := func(sync bool) []*rollout.Trajectory {
		dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
		e, err := generate.NewEngine(m, generate.Options{Sampling: generate.Sampling{Temperature: 1, Seed: 3}, Decoder: dec})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		cfg := rollout.Defaults(protocol.Base, []int{tinymodel.EndOfText, tinymodel.IMEnd}, "<|endoftext|>")
		cfg.N, cfg.MaxResponseTokens, cfg.Synchronous = 3, 24, sync
		r := &rollout.Runner{Policy: Local{Engine: e}, Retriever: &rollouttest.Retriever{}, Tokenizer: tok, Config: cfg}
		trajs, err := r.Run(context.Background(), examples)
		if err != nil {
			t.Fatal(err)
		}
		return trajs
	}
	a, b := run(true), run(false)
	if len(a) != 6 {
		t.Fatalf("%d trajectories, want 6", len(a))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Response, b[i].Response) || a[i].Finish != b[i].Finish {
			t.Errorf("trajectory %d: synchronous %v (%s), continuous %v (%s)", i, a[i].Response, a[i].Finish, b[i].Response, b[i].Finish)
		}
		if len(a[i].Response) == 0 || len(a[i].Response) > 24 || len(a[i].Logprobs) != len(a[i].Response) {
			t.Errorf("trajectory %d: %d tokens, %d logprobs", i, len(a[i].Response), len(a[i].Logprobs))
		}
	}
	if reflect.DeepEqual(a[0].Response, a[1].Response) {
		t.Error("two samples of one question are identical: the streams are not per sequence")
	}
}

// TestServedPolicyMatchesLocal: the same questions rolled out greedily on
// the in-process engine and through serve-model's OpenAI route with the
// OpenAI policy give the same trajectories, token for token.
func TestServedPolicyMatchesLocal(t *testing.T) {
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Config.MaxPositions = 4096 // the nominal 128 hold no ReSearch prompt
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	newEngine := func() *generate.Engine {
		e, err := generate.NewEngine(m, generate.Options{Decoder: dec})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.Close)
		return e
	}
	// The base prompt (938 byte tokens) exceeds the tiny model's nominal 128
	// positions, which RoPE does not enforce: leave the context uncapped.
	h, err := server.New(server.Config{Engine: newEngine(), Tokenizer: tok, ModelName: "tiny", EOSIDs: []int{tinymodel.EndOfText}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	remote, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "tiny", TokenPrompt: true}, tok)
	if err != nil {
		t.Fatal(err)
	}
	examples := []dataset.Example{{ID: "a", Question: "q1", Answers: []string{"x"}}, {ID: "b", Question: "who?", Answers: []string{"y"}}}
	run := func(p rollout.Policy) []*rollout.Trajectory {
		cfg := rollout.Defaults(protocol.Base, []int{tinymodel.EndOfText, tinymodel.IMEnd}, "<|endoftext|>")
		cfg.N, cfg.MaxResponseTokens = 1, 30
		r := &rollout.Runner{Policy: p, Retriever: &rollouttest.Retriever{}, Tokenizer: tok, Config: cfg}
		trajs, err := r.Run(context.Background(), examples)
		if err != nil {
			t.Fatal(err)
		}
		return trajs
	}
	local, served := run(Local{Engine: newEngine()}), run(remote)
	for i := range local {
		if !reflect.DeepEqual(local[i].Response, served[i].Response) || local[i].ResponseText != served[i].ResponseText {
			t.Errorf("trajectory %d: in-process %v, served %v", i, local[i].Response, served[i].Response)
		}
		for k := range local[i].Logprobs {
			if d := local[i].Logprobs[k] - served[i].Logprobs[k]; d > 1e-5 || d < -1e-5 { // float32 rounding varies with batch company
				t.Errorf("trajectory %d token %d: logprob %v in-process, %v served", i, k, local[i].Logprobs[k], served[i].Logprobs[k])
				break
			}
		}
	}
}
