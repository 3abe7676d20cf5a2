package server

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"research/tinker"
)

// datum builds a next-token datum over seq: input seq[:-1], targets
// seq[1:], and the loss inputs named in extra (one value per position).
func datum(seq []int, extra map[string][]float32) tinker.Datum {
	n := len(seq) - 1
	targets := make([]int64, n)
	for i := range targets {
		targets[i] = int64(seq[i+1])
	}
	in := tinker.LossFnInputs{"target_tokens": tinker.IntTensor(targets)}
	for k, v := range extra {
		in[k] = tinker.FloatTensor(v)
	}
	return tinker.Datum{ModelInput: tinker.TextInput(seq[:n]), LossFnInputs: in}
}

func bytesOf(s string) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = int(s[i])
	}
	return out
}

func fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func logprobs(t *testing.T, o tinker.ForwardBackwardOutput, i int) []float32 {
	t.Helper()
	td, ok := o.LossFnOutputs[i]["logprobs"]
	if !ok || td.DType != tinker.Float32 {
		t.Fatalf("datum %d: no float32 logprobs in %+v", i, o.LossFnOutputs[i])
	}
	return td.Floats
}

// TestSDKLoop drives the server through the whole loop an SDK user runs:
// start-up, a LoRA model, supervised steps with the loss falling (JSON and
// protobuf), ppo and importance_sampling with per-token advantages,
// sampler weights and sampling from them, and a save / load round trip.
func TestSDKLoop(t *testing.T) {
	_, c := newServer(t, nil)

	// Start-up, as SDK 0.25's client holder does it.
	if status, body, _ := c.do("GET", "healthz", nil); status != 200 || string(body) != "{\"status\":\"ok\"}\n" {
		t.Fatalf("healthz: %d %s", status, body)
	}
	var cfg map[string]any
	c.post("client/config", `{"sdk_version": "0.25.0"}`, &cfg)
	if cfg["use_pyqwest_transport"] != false || cfg["pjwt_auth_enabled"] != false {
		t.Fatalf("client/config %v", cfg)
	}
	var caps tinker.ServerCapabilities
	status, data, _ := c.do("GET", "get_server_capabilities", nil)
	if json.Unmarshal(data, &caps); status != 200 || len(caps.SupportedModels) != 1 || caps.SupportedModels[0].ModelName != "tiny" {
		t.Fatalf("capabilities: %d %s", status, data)
	}
	var sess tinker.CreateSessionResponse
	c.post("create_session", `{"tags": [], "user_metadata": {}, "sdk_version": "0.25.0", "type": "create_session"}`, &sess)
	c.post("session_heartbeat", map[string]any{"session_id": sess.SessionID, "type": "session_heartbeat"}, nil)

	id := c.submit("create_model", map[string]any{"session_id": sess.SessionID, "model_seq_id": 0, "base_model": "tiny",
		"lora_config": map[string]any{"rank": 8, "seed": 1, "train_unembed": true, "train_mlp": true, "train_attn": true}, "type": "create_model"})
	var cm tinker.CreateModelResponse
	c.result(id, "CreateModel", &cm)
	mid := cm.ModelID
	var info tinker.GetInfoResponse
	c.post("get_info", map[string]any{"model_id": mid, "type": "get_info"}, &info)
	if info.ModelData.ModelName != "tiny" || info.LoRARank != 8 || !info.IsLoRA {
		t.Fatalf("get_info %+v", info)
	}

	// Supervised: five cross_entropy steps on two sequences, weights 0 on
	// the prompt, alternating JSON and protobuf; the loss must fall.
	a, b := bytesOf("the cat sat on the mat."), bytesOf("a dog ran in the fog!")
	wa, wb := fill(len(a)-1, 1), fill(len(b)-1, 1)
	wa[0], wa[1] = 0, 0
	seq := int64(1)
	var losses []float64
	for step := range 5 {
		out := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: seq, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy",
			Data: []tinker.Datum{datum(a, map[string][]float32{"weights": wa}), datum(b, map[string][]float32{"weights": wb})}}}, step%2 == 1)
		seq++
		// loss:sum is −Σ lp·w over both datums, from the returned logprobs.
		var want float64
		for i, w := range [][]float32{wa, wb} {
			lp := logprobs(t, out, i)
			if len(lp) != len(w) {
				t.Fatalf("datum %d: %d logprobs for %d positions", i, len(lp), len(w))
			}
			for j := range lp {
				want -= float64(lp[j]) * float64(w[j])
			}
		}
		got := out.Metrics["loss:sum"]
		if math.Abs(got-want) > 1e-4*math.Abs(want) {
			t.Fatalf("step %d: loss:sum %g, −Σ lp·w from the logprobs %g", step, got, want)
		}
		losses = append(losses, got)
		c.optim(mid, seq, 1e-2)
		seq++
	}
	for i := 1; i < len(losses); i++ {
		if !(losses[i] < losses[i-1]) {
			t.Fatalf("loss did not fall: %v", losses)
		}
	}
	t.Logf("cross_entropy loss:sum over 5 steps: %.4g", losses)

	// RL: sampler logprobs from a forward-only pass (protobuf), then ppo
	// and importance_sampling with per-token advantages. With q equal to
	// the learner's logprobs the ratio is 1, so each loss is −Σ A.
	fwd := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: seq, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy",
		Data: []tinker.Datum{datum(a, map[string][]float32{"weights": wa})}}}, true)
	seq++
	q := logprobs(t, fwd, 0)
	adv := make([]float32, len(q))
	var sumA float64
	for i := range adv {
		adv[i] = float32(math.Sin(float64(i))) // positive and negative
		sumA += float64(adv[i])
	}
	for k, loss := range []string{"ppo", "importance_sampling", "cispo"} {
		out := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: seq, Input: tinker.ForwardBackwardInput{LossFn: loss,
			LossFnConfig: map[string]map[string]float64{"ppo": {"clip_low_threshold": 0.9, "clip_high_threshold": 1.1}}[loss],
			Data:         []tinker.Datum{datum(a, map[string][]float32{"logprobs": q, "advantages": adv})}}}, k != 1)
		seq++
		// The loss from the returned logprobs, by the documented formulas
		// (after the first step, the ratio is no longer 1).
		var want float64
		for i, lp := range logprobs(t, out, 0) {
			r, a := math.Exp(float64(lp)-float64(q[i])), float64(adv[i])
			switch loss {
			case "ppo":
				want -= math.Min(r*a, math.Max(0.9, math.Min(1.1, r))*a)
			case "importance_sampling":
				want -= r * a
			case "cispo":
				want -= math.Max(0, math.Min(4, r)) * a * float64(lp)
			}
		}
		if got := out.Metrics["loss:sum"]; math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
			t.Fatalf("%s: loss:sum %g, want %g", loss, got, want)
		}
		if k == 0 && math.Abs(want+sumA) > 1e-4*(1+math.Abs(sumA)) {
			t.Fatalf("ppo before any step: loss %g, want −Σ A = %g (ratio 1)", want, -sumA)
		}
		c.optim(mid, seq, 1e-3)
		seq++
	}

	// Sampler weights, a sampling session from their path, and samples:
	// token in, token out, a stop token ends (and stays in) a sequence.
	var sw tinker.SaveWeightsResponse
	c.result(c.submit("save_weights_for_sampler", map[string]any{"model_id": mid, "path": "s1", "seq_id": seq, "type": "save_weights_for_sampler"}), "SaveWeightsForSampler", &sw)
	seq++
	if sw.Path == nil || *sw.Path != "tinker://"+mid+"/sampler_weights/s1" {
		t.Fatalf("sampler weights path %v", sw.Path)
	}
	var ss tinker.CreateSamplingSessionResponse
	c.post("create_sampling_session", map[string]any{"session_id": sess.SessionID, "sampling_session_seq_id": 0, "model_path": *sw.Path, "type": "create_sampling_session"}, &ss)
	prompt := a[:6]
	sample := func(params map[string]any, proto bool) tinker.SampleResponse {
		id := c.submit("asample", map[string]any{"num_samples": 3, "prompt": tinker.TextInput(prompt), "sampling_params": params,
			"sampling_session_id": ss.SamplingSessionID, "seq_id": 0, "prompt_logprobs": true, "topk_prompt_logprobs": 0, "type": "sample"},
			"X-Tinker-Sampling-Backpressure", "1")
		data, ct, failed := c.poll(id, "Sample", proto)
		if failed != nil {
			t.Fatalf("sample failed: %+v", failed)
		}
		var r tinker.SampleResponse
		if proto {
			var err error
			if r, err = tinker.DecodeSampleResponse(data); err != nil || ct != tinker.ProtoContentType {
				t.Fatalf("protobuf sample (%s): %v", ct, err)
			}
			return r
		}
		var js struct {
			Sequences []struct {
				Tokens     []int     `json:"tokens"`
				Logprobs   []float32 `json:"logprobs"`
				StopReason string    `json:"stop_reason"`
			} `json:"sequences"`
			PromptLogprobs []*float32 `json:"prompt_logprobs"`
		}
		if err := json.Unmarshal(data, &js); err != nil {
			t.Fatalf("sample JSON: %v: %s", err, data)
		}
		for _, s := range js.Sequences {
			r.Sequences = append(r.Sequences, tinker.SampledSequence{Tokens: s.Tokens, Logprobs: s.Logprobs, StopReason: s.StopReason})
		}
		if len(js.PromptLogprobs) != len(prompt) || js.PromptLogprobs[0] != nil {
			t.Fatalf("prompt logprobs %v: want %d, the first null", js.PromptLogprobs, len(prompt))
		}
		return r
	}
	params := map[string]any{"max_tokens": 12, "seed": 7, "temperature": 1.0, "top_k": -1, "top_p": 1.0}
	r1, r2 := sample(params, false), sample(params, true)
	if len(r1.Sequences) != 3 || !slices.Equal(r1.Sequences[0].Tokens, r2.Sequences[0].Tokens) || !slices.Equal(r1.Sequences[2].Logprobs, r2.Sequences[2].Logprobs) {
		t.Fatalf("same seed, JSON and protobuf results differ:\n%+v\n%+v", r1, r2)
	}
	for _, s := range r1.Sequences {
		if s.StopReason != "length" || len(s.Tokens) != 12 || len(s.Logprobs) != 12 {
			t.Fatalf("unstopped sequence %+v: want 12 tokens, stop_reason length", s)
		}
	}
	// Stop on the second token the first sample drew: it ends the sequence.
	stop := r1.Sequences[0].Tokens[1]
	r3 := sample(map[string]any{"max_tokens": 12, "seed": 7, "stop": []int{stop}}, true)
	if s := r3.Sequences[0]; s.StopReason != "stop" || s.Tokens[len(s.Tokens)-1] != stop || len(s.Tokens) > 2 || !slices.Equal(s.Tokens, r1.Sequences[0].Tokens[:len(s.Tokens)]) {
		t.Fatalf("stop token %d: got %+v", stop, s)
	}
	// Greedy samples' logprobs are the trained model's: score them with a
	// forward pass of the same weights.
	g := sample(map[string]any{"max_tokens": 6, "temperature": 0.0}, true).Sequences[0]
	full := append(slices.Clone(prompt), g.Tokens...)
	fo := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: seq, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy",
		Data: []tinker.Datum{datum(full, map[string][]float32{"weights": fill(len(full)-1, 0)})}}}, false)
	seq++
	lp := logprobs(t, fo, 0)[len(prompt)-1:]
	for i := range g.Logprobs {
		if math.Abs(float64(g.Logprobs[i]-lp[i])) > 1e-4 {
			t.Fatalf("greedy token %d: sampler logprob %g, trainer %g", i, g.Logprobs[i], lp[i])
		}
	}
	// An unnamed sampler save answers a sampling session.
	var un tinker.SaveWeightsResponse
	c.result(c.submit("save_weights_for_sampler", map[string]any{"model_id": mid, "seq_id": seq, "sampling_session_seq_id": 1, "type": "save_weights_for_sampler"}), "SaveWeightsForSampler", &un)
	seq++
	if un.Path != nil || un.SamplingSessionID == "" {
		t.Fatalf("unnamed sampler save %+v", un)
	}

	// Save and load: a second model loaded from the checkpoint (optimizer
	// too) scores bit-identically, and stays identical after a step.
	var saved tinker.SaveWeightsResponse
	c.result(c.submit("save_weights", map[string]any{"model_id": mid, "path": "ckpt-1", "seq_id": seq, "overwrite": false, "type": "save_weights"}), "SaveWeights", &saved)
	seq++
	var wi tinker.WeightsInfoResponse
	c.post("weights_info", map[string]any{"tinker_path": *saved.Path}, &wi)
	if wi.BaseModel != "tiny" || wi.LoRARank != 8 || !wi.IsLoRA {
		t.Fatalf("weights_info %+v", wi)
	}
	var cm2 tinker.CreateModelResponse
	c.result(c.submit("create_model", map[string]any{"session_id": sess.SessionID, "model_seq_id": 1, "base_model": "tiny",
		"lora_config": map[string]any{"rank": 8, "train_unembed": true, "train_mlp": true, "train_attn": true}, "type": "create_model"}), "CreateModel", &cm2)
	var lw tinker.LoadWeightsResponse
	c.result(c.submit("load_weights", map[string]any{"model_id": cm2.ModelID, "seq_id": 1, "path": *saved.Path, "optimizer": true, "type": "load_weights"}), "LoadWeights", &lw)
	seq2 := int64(2)
	data1 := []tinker.Datum{datum(b, map[string][]float32{"weights": wb})}
	for round := range 2 {
		o1 := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: seq, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: data1}}, true)
		o2 := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: cm2.ModelID, SeqID: seq2, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: data1}}, true)
		if !slices.Equal(logprobs(t, o1, 0), logprobs(t, o2, 0)) {
			t.Fatalf("round %d: loaded model's logprobs differ:\n%v\n%v", round, logprobs(t, o1, 0), logprobs(t, o2, 0))
		}
		c.optim(mid, seq+1, 1e-2)
		c.optim(cm2.ModelID, seq2+1, 1e-2)
		seq, seq2 = seq+2, seq2+2
	}
}
