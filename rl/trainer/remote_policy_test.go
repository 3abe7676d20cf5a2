package trainer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"research/generate"
	"research/rl"
	"research/rollout"
	"research/tinker"
	"research/tinker/client"
)

// TestRemotePolicy: a rollout turn becomes one asample — the context as
// tokens, the call's seed, max_tokens, the stop string with the stop ids'
// texts (the API takes strings or ids, not both) — and the answer a
// Completion that says which stop ended it, as the in-process engine does.
func TestRemotePolicy(t *testing.T) {
	texts := map[int]string{1: "a", 2: "</search>", 3: "<|im_end|>", 4: "b", 5: "</sea", 6: "rch>"}
	dec := generate.DecoderFunc(func(ids []int) string {
		var b strings.Builder
		for _, id := range ids {
			b.WriteString(texts[id])
		}
		return b.String()
	})
	var answer tinker.SampleResponse
	var got []tinker.SampleRequest
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/api/v1/client/config", func(w http.ResponseWriter, r *http.Request) { reply(w, map[string]any{}) })
	mux.HandleFunc("/api/v1/create_session", func(w http.ResponseWriter, r *http.Request) { reply(w, map[string]any{"session_id": "s"}) })
	mux.HandleFunc("/api/v1/create_sampling_session", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"sampling_session_id": "s:sample:0"})
	})
	mux.HandleFunc("/api/v1/asample", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req tinker.SampleRequest
		if err := req.UnmarshalJSON(body); err != nil {
			w.WriteHeader(400)
			reply(w, map[string]string{"detail": err.Error()})
			return
		}
		got = append(got, req)
		reply(w, map[string]string{"request_id": "r"})
	})
	mux.HandleFunc("/api/v1/retrieve_future", func(w http.ResponseWriter, r *http.Request) {
		b, _ := answer.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := client.Dial(context.Background(), client.Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := c.CreateSamplingClient(context.Background(), "tinker://m/sampler_weights/s", "")
	if err != nil {
		t.Fatal(err)
	}
	p := &remotePolicy{sc: sc, s: generate.Sampling{Temperature: 1}, decoder: dec, maxCtx: 100}

	tests := []struct {
		name   string
		seq    tinker.SampledSequence
		want   rollout.Completion
		errMsg string
	}{
		{"stop id", tinker.SampledSequence{Tokens: []int{1, 3}, Logprobs: []float32{-1, -0.5}, StopReason: "stop"},
			rollout.Completion{Tokens: []int{1, 3}, Logprobs: []float64{-1, -0.5}, Finish: rollout.FinishStop, StopID: 3}, ""},
		{"stop string across tokens", tinker.SampledSequence{Tokens: []int{4, 5, 6}, Logprobs: []float32{-1, -1, -1}, StopReason: "stop"},
			rollout.Completion{Tokens: []int{4, 5, 6}, Logprobs: []float64{-1, -1, -1}, Finish: rollout.FinishStop, StopID: -1, StopString: "</search>"}, ""},
		{"the service's own end", tinker.SampledSequence{Tokens: []int{1, 4}, Logprobs: []float32{-1, -2}, StopReason: "stop"},
			rollout.Completion{Tokens: []int{1, 4}, Logprobs: []float64{-1, -2}, Finish: rollout.FinishStop, StopID: 4}, ""},
		{"length", tinker.SampledSequence{Tokens: []int{1, 1}, Logprobs: []float32{-1, -2}, StopReason: "length"},
			rollout.Completion{Tokens: []int{1, 1}, Logprobs: []float64{-1, -2}, Finish: rollout.FinishLength, StopID: -1}, ""},
		{"no logprobs", tinker.SampledSequence{Tokens: []int{1}, StopReason: "length"}, rollout.Completion{}, "0 logprobs for 1 tokens"},
		{"over budget", tinker.SampledSequence{Tokens: []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, Logprobs: make([]float32, 9), StopReason: "length"}, rollout.Completion{}, "9 tokens for max_tokens 8"},
	}
	seed := uint64(1<<63 | 42) // beyond int64: the top bit is dropped
	for _, tc := range tests {
		answer = tinker.SampleResponse{Sequences: []tinker.SampledSequence{tc.seq}}
		c, err := p.Generate(context.Background(), rollout.Request{Key: "0/0", Tokens: []int{1, 4, 1}, MaxTokens: 8,
			StopIDs: []int{3}, StopStrings: []string{"</search>"}, Seed: &seed})
		if tc.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.errMsg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(c, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, c, tc.want)
		}
	}
	req := got[0]
	if !reflect.DeepEqual(req.Prompt.Tokens(), []int{1, 4, 1}) || *req.SamplingParams.MaxTokens != 8 || *req.SamplingParams.Seed != 42 ||
		!reflect.DeepEqual(req.SamplingParams.Stop.Strings, []string{"</search>", "<|im_end|>"}) || req.SamplingParams.Temperature != 1 {
		t.Errorf("asample request %+v, params %+v", req, req.SamplingParams)
	}
	if p.MaxContext() != 99 {
		t.Errorf("max context %d: want the service's less one", p.MaxContext())
	}
}

// TestRemoteRefuses: what no Tinker loss computes is refused before
// anything is sent, naming the config key; so is a checkpoint of an
// in-process run.
func TestRemoteRefuses(t *testing.T) {
	r := &Remote{loss: RemotePPO, baseModel: "m", lora: tinker.LoRAConfig{Rank: 8}}
	d := Datum{Tokens: []int{1, 2, 3}, From: 1, Mask: []float64{1, 1}, Advantages: []float64{1, 1}, OldLogp: []float64{-1, -1}}
	onPolicy := d
	onPolicy.OldLogp = nil
	tests := []struct {
		name string
		data []Datum
		loss rl.Loss
		want string
	}{
		{"kl", []Datum{d}, rl.Loss{KL: rl.K3, Aggregation: rl.TokenMean}, "algorithm.kl: k3"},
		{"entropy", []Datum{d}, rl.Loss{KL: rl.KLNone, EntropyCoef: 0.001, Aggregation: rl.TokenMean}, "algorithm.entropy_coef"},
		{"on-policy", []Datum{onPolicy}, rl.Loss{KL: rl.KLNone, Aggregation: rl.TokenMean}, "no old logprobs"},
	}
	for _, tc := range tests {
		if _, err := r.ForwardBackward(context.Background(), tc.data, tc.loss, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := r.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a checkpoint of a remote run") {
		t.Errorf("loading an in-process checkpoint: %v", err)
	}
}
