package client

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"testing"

	"research/internal/tinymodel"
	"research/model"
	"research/tinker"
	"research/tinker/server"
)

// TestAgainstServeTinker: the client's requests are what serve-tinker
// takes, in both encodings: forward (the JSON forward route, or
// forward_backward with forward_only under protobuf) and forward_backward
// score the same logprobs, optim_step, the saves and load_weights run, and
// a sampler on the saved weights answers with logprobs and prompt
// logprobs.
func TestAgainstServeTinker(t *testing.T) {
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := server.New(server.Config{Model: m, Name: "tiny", DataDir: t.TempDir(), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := context.Background()
	for _, proto := range []bool{false, true} {
		c, err := Dial(ctx, Options{BaseURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		c.proto = proto
		tc, err := c.CreateModel(ctx, "tiny", tinker.LoRAConfig{Rank: 2, TrainAttn: true, TrainMLP: true})
		if err != nil {
			t.Fatal(err)
		}
		toks := []int{5, 9, 13, 2, 7, 11}
		in := tinker.ForwardBackwardInput{LossFn: tinker.LossCrossEntropy, Data: []tinker.Datum{{ModelInput: tinker.TextInput(toks[:5]),
			LossFnInputs: tinker.LossFnInputs{"target_tokens": tinker.IntTensor([]int64{9, 13, 2, 7, 11}), "weights": tinker.FloatTensor([]float32{0, 0, 1, 1, 1})}}}}
		fwd, err := tc.Forward(ctx, in)
		if err != nil {
			t.Fatalf("proto %v: forward: %v", proto, err)
		}
		fb, err := tc.ForwardBackward(ctx, in)
		if err != nil {
			t.Fatalf("proto %v: forward_backward: %v", proto, err)
		}
		a, b := fwd.LossFnOutputs[0]["logprobs"].Floats, fb.LossFnOutputs[0]["logprobs"].Floats
		if len(a) != 5 || !slices.Equal(a, b) || fb.Metrics["loss:sum"] <= 0 {
			t.Errorf("proto %v: forward %v, forward_backward %v, metrics %v", proto, a, b, fb.Metrics)
		}
		if _, err := tc.OptimStep(ctx, tinker.AdamParams{LearningRate: 1e-2, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.01, GradClipNorm: 1}); err != nil {
			t.Fatal(err)
		}
		path, err := tc.SaveWeights(ctx, "w1", false)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := tc.SaveWeightsForSampler(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.LoadWeights(ctx, path, true); err != nil {
			t.Fatal(err)
		}
		sc, err := c.CreateSamplingClient(ctx, sp, "")
		if err != nil {
			t.Fatal(err)
		}
		four, seed := 4, int64(7)
		res, err := sc.Sample(ctx, toks, 2, tinker.SamplingParams{MaxTokens: &four, Seed: &seed, Temperature: 1, TopK: -1, TopP: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range res.Sequences {
			if len(q.Tokens) == 0 || len(q.Logprobs) != len(q.Tokens) {
				t.Errorf("proto %v: sequence %+v", proto, q)
			}
		}
		if len(res.PromptLogprobs) != len(toks) {
			t.Errorf("proto %v: %d prompt logprobs", proto, len(res.PromptLogprobs))
		}
		if err := tc.Unload(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}
