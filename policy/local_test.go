package policy

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"research/dataset"
	"research/generate"
	"research/model"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
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
