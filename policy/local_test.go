package policy

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"research/dataset"
	"research/generate"
	"research/generate/server"
	"research/model"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
	"research/tokenizer"
)

// byteVocab is a tokenizer for the tiny test model's 258 ids: the 256
// bytes, then <|endoftext|> and <|im_end|>.
type byteVocab struct{}

func (byteVocab) Encode(text string) []int {
	var ids []int
	for len(text) > 0 {
		switch {
		case strings.HasPrefix(text, "<|endoftext|>"):
			ids, text = append(ids, 256), text[len("<|endoftext|>"):]
		case strings.HasPrefix(text, "<|im_end|>"):
			ids, text = append(ids, 257), text[len("<|im_end|>"):]
		default:
			ids, text = append(ids, int(text[0])), text[1:]
		}
	}
	return ids
}

func (byteVocab) Decode(ids []int, skipSpecial bool) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		switch {
		case id < 256:
			b.WriteByte(byte(id))
		case id == 256 && !skipSpecial:
			b.WriteString("<|endoftext|>")
		case id == 257 && !skipSpecial:
			b.WriteString("<|im_end|>")
		case id > 257 || id < 0:
			return "", fmt.Errorf("id %d out of the vocabulary", id)
		}
	}
	return b.String(), nil
}

// TestLocalRolloutModes runs the tiny random model through the rollout loop
// on the in-process engine, synchronous rounds and continuous batching:
// with each sequence's random stream tied to its key, both give the same
// trajectories.
func TestLocalRolloutModes(t *testing.T) {
	m, err := model.Load("../model/testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	examples := []dataset.Example{{ID: "a", Question: "q1", Answers: []string{"x"}}, {ID: "b", Question: "q22", Answers: []string{"y"}}}
	run := func(sync bool) []*rollout.Trajectory {
		dec := generate.DecoderFunc(func(ids []int) string { s, _ := byteVocab{}.Decode(ids, false); return s })
		e, err := generate.NewEngine(m, generate.Options{Sampling: generate.Sampling{Temperature: 1, Seed: 3}, Decoder: dec})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		cfg := rollout.Defaults(protocol.Base, []int{256, 257}, "<|endoftext|>")
		cfg.N, cfg.MaxResponseTokens, cfg.Synchronous = 3, 24, sync
		r := &rollout.Runner{Policy: Local{Engine: e}, Retriever: &rollouttest.Retriever{}, Tokenizer: byteVocab{}, Config: cfg}
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
	m, err := model.Load("../model/testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{VocabSize: 258, Special: []string{"<|endoftext|>", "<|im_end|>"}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Add("x")
	tok, err := tr.Train()
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
	h, err := server.New(server.Config{Engine: newEngine(), Tokenizer: tok, ModelName: "tiny", EOSIDs: []int{256}})
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
		cfg := rollout.Defaults(protocol.Base, []int{256, 257}, "<|endoftext|>")
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
