package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"research/tinker"
)

// setup returns a client with a session and a LoRA model.
func setup(t *testing.T, c *sdk) (sessionID, modelID string) {
	var sess tinker.CreateSessionResponse
	c.post("create_session", `{"tags": [], "sdk_version": "0.25.0", "type": "create_session"}`, &sess)
	var cm tinker.CreateModelResponse
	c.result(c.submit("create_model", map[string]any{"session_id": sess.SessionID, "model_seq_id": 0, "base_model": "tiny",
		"lora_config": map[string]any{"rank": 4, "seed": 3}, "type": "create_model"}), "CreateModel", &cm)
	return sess.SessionID, cm.ModelID
}

// TestBadRequests wants a 4xx naming the field for every bad input.
func TestBadRequests(t *testing.T) {
	_, c := newServer(t, nil)
	sid, mid := setup(t, c)
	ok := datum(bytesOf("abcd"), map[string][]float32{"weights": fill(3, 1)})
	fb := func(mut func(*tinker.Datum), loss string) []byte {
		d := ok
		d.LossFnInputs = tinker.LossFnInputs{}
		for k, v := range ok.LossFnInputs {
			d.LossFnInputs[k] = v
		}
		if mut != nil {
			mut(&d)
		}
		b, _ := json.Marshal(tinker.ForwardBackwardRequest{ModelID: mid, Input: tinker.ForwardBackwardInput{LossFn: loss, Data: []tinker.Datum{d}}})
		return b
	}
	for _, tc := range []struct {
		name, route string
		body        any
		status      int
		field       string
	}{
		{"unknown key", "forward_backward", `{"forward_backward_input": {"data": [], "loss_fn": "cross_entropy"}, "model_id": "` + mid + `", "mask": 1}`, 400, "mask"},
		{"bad JSON", "forward_backward", `{"model_id": `, 400, "body"},
		{"unknown loss", "forward_backward", string(fb(nil, "dro")), 400, "forward_backward_input.loss_fn"},
		{"missing weights", "forward_backward", string(fb(func(d *tinker.Datum) { delete(d.LossFnInputs, "weights") }, "cross_entropy")), 400, "forward_backward_input.data[0].loss_fn_inputs.weights"},
		{"extra input", "forward_backward", string(fb(func(d *tinker.Datum) { d.LossFnInputs["mask"] = tinker.FloatTensor(fill(3, 1)) }, "cross_entropy")), 400, "forward_backward_input.data[0].loss_fn_inputs.mask"},
		{"short weights", "forward_backward", string(fb(func(d *tinker.Datum) { d.LossFnInputs["weights"] = tinker.FloatTensor(fill(2, 1)) }, "cross_entropy")), 400, "forward_backward_input.data[0].loss_fn_inputs.weights"},
		{"unshifted targets", "forward_backward", string(fb(func(d *tinker.Datum) { d.LossFnInputs["target_tokens"] = tinker.IntTensor([]int64{98, 120, 100}) }, "cross_entropy")), 400, "forward_backward_input.data[0].loss_fn_inputs.target_tokens.data[1]"},
		{"token out of range", "forward_backward", string(fb(func(d *tinker.Datum) { d.ModelInput = tinker.TextInput([]int{97, 9999, 99}) }, "cross_entropy")), 400, "forward_backward_input.data[0].model_input"},
		{"float targets", "forward_backward", string(fb(func(d *tinker.Datum) { d.LossFnInputs["target_tokens"] = tinker.FloatTensor([]float32{98, 99, 100}) }, "cross_entropy")), 400, "forward_backward_input.data[0].loss_fn_inputs.target_tokens.dtype"},
		{"ppo config key", "forward_backward", `{"forward_backward_input": {"data": [], "loss_fn": "ppo", "loss_fn_config": {"eps": 0.2}}, "model_id": "` + mid + `"}`, 400, "forward_backward_input.loss_fn_config.eps"},
		{"protobuf garbage", "forward_backward", "\x0a\xff", 400, "body"},
		{"unknown model", "forward_backward", `{"forward_backward_input": {"data": [], "loss_fn": "cross_entropy"}, "model_id": "nope"}`, 404, "model_id"},
		{"adam beta", "optim_step", `{"adam_params": {"beta2": 1.5}, "model_id": "` + mid + `"}`, 400, "adam_params.beta2"},
		{"no adam params", "optim_step", `{"model_id": "` + mid + `"}`, 400, "adam_params"},
		{"checkpoint name", "save_weights", `{"model_id": "` + mid + `", "path": "../x"}`, 400, "path"},
		{"load path", "load_weights", `{"model_id": "` + mid + `", "path": "/etc/passwd", "optimizer": false}`, 400, "path"},
		{"load sampler with optimizer", "load_weights", `{"model_id": "` + mid + `", "path": "tinker://` + mid + `/sampler_weights/x", "optimizer": true}`, 400, "optimizer"},
		{"weights_info missing", "weights_info", `{"tinker_path": "tinker://` + mid + `/weights/none"}`, 404, "tinker_path"},
		{"base model", "create_model", `{"session_id": "` + sid + `", "model_seq_id": 5, "base_model": "Qwen/Qwen3-8B", "lora_config": {"rank": 8}}`, 400, "base_model"},
		{"rank", "create_model", `{"session_id": "` + sid + `", "model_seq_id": 5, "base_model": "tiny", "lora_config": {"rank": 0}}`, 400, "lora_config.rank"},
		{"no lora", "create_model", `{"session_id": "` + sid + `", "model_seq_id": 5, "base_model": "tiny"}`, 400, "lora_config"},
		{"nothing to train", "create_model", `{"session_id": "` + sid + `", "model_seq_id": 5, "base_model": "tiny", "lora_config": {"rank": 2, "train_mlp": false, "train_attn": false}}`, 400, "lora_config.train_attn"},
		{"unknown session", "create_model", `{"session_id": "x", "model_seq_id": 5, "base_model": "tiny", "lora_config": {"rank": 2}}`, 404, "session_id"},
		{"sample no session", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {}}`, 400, "sampling_session_id"},
		{"sample unknown session", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {}, "sampling_session_id": "x"}`, 404, "sampling_session_id"},
		{"sample max tokens", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {"max_tokens": 100000}, "base_model": "tiny"}`, 400, "sampling_params.max_tokens"},
		{"sample stop", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {"stop": [1, "x"]}, "base_model": "tiny"}`, 400, "sampling_params.stop[1]"},
		{"sample temperature", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {"temperature": -1}, "base_model": "tiny"}`, 400, "sampling_params.temperature"},
		{"sample empty prompt", "asample", `{"prompt": {"chunks": []}, "sampling_params": {}, "base_model": "tiny"}`, 400, "prompt"},
		{"sample missing path", "asample", `{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {}, "model_path": "tinker://` + mid + `/sampler_weights/none"}`, 404, "model_path"},
		{"sampling session path", "create_sampling_session", `{"session_id": "` + sid + `", "sampling_session_seq_id": 0, "model_path": "s3://x"}`, 400, "model_path"},
		{"retrieve unknown", "retrieve_future", `{"request_id": "req-0"}`, 404, "request_id"},
		{"retrieve no id", "retrieve_future", `{}`, 400, "request_id"},
		{"heartbeat type", "session_heartbeat", `{"session_id": "` + sid + `", "type": "create_session"}`, 400, "type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.name == "protobuf garbage" {
				header = []string{"Content-Type", tinker.ProtoContentType}
			}
			status, data, _ := c.do("POST", tc.route, jsonBody(t, tc.body), header...)
			var e struct{ Detail string }
			json.Unmarshal(data, &e)
			if status != tc.status || !strings.HasPrefix(e.Detail, tc.field+":") {
				t.Fatalf("%d %s; want %d naming %q", status, data, tc.status, tc.field)
			}
		})
	}
}

// TestOrderingAndIdempotency: a later seq_id waits for the earlier one; a
// repeat of a (model, seq_id) gets the same future; a gap that never fills
// fails the waiting request after SeqWait, and the model goes on.
func TestOrderingAndIdempotency(t *testing.T) {
	_, c := newServer(t, func(c *Config) { c.SeqWait = 600 * time.Millisecond; c.LongPoll = 300 * time.Millisecond })
	_, mid := setup(t, c)
	d := []tinker.Datum{datum(bytesOf("hello there"), map[string][]float32{"weights": fill(10, 1)})}
	before := c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 1, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}}, false)
	// seq 2 gives a gradient; seq 4 (a forward) comes before seq 3 (the
	// step) and must see the stepped weights.
	c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 2, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}}, true)
	fwd := tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 4, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}}
	early := c.submit("forward", fwd)
	if again := c.submit("forward", fwd); again != early {
		t.Fatalf("repeat of seq_id 4 got %s, first %s", again, early)
	}
	status, data, _ := c.do("POST", "retrieve_future", jsonBody(t, map[string]any{"request_id": early}))
	if status != 200 || !strings.Contains(string(data), `"try_again"`) {
		t.Fatalf("seq_id 4 before 3: %d %s; want try_again", status, data)
	}
	other := tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 4, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d[:0]}}
	if status, data, _ := c.do("POST", "forward", jsonBody(t, other)); status != 400 || !strings.Contains(string(data), "seq_id") {
		t.Fatalf("another body under seq_id 4: %d %s", status, data)
	}
	c.optim(mid, 3, 0.05)
	var after tinker.ForwardBackwardOutput
	c.result(early, "Forward", &after)
	if logprobs(t, after, 0)[0] == logprobs(t, before, 0)[0] {
		t.Fatal("seq_id 4 ran before seq_id 3's optimizer step")
	}
	if status, data, _ := c.do("POST", "forward", jsonBody(t, fwd)); status != 200 {
		t.Fatalf("repeat of a finished seq_id: %d %s", status, data)
	}
	// seq 6 without a 5: fails after SeqWait, then 7 runs.
	gap := c.submit("forward", tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 6, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}})
	_, _, failed := c.poll(gap, "Forward", false)
	if failed == nil || failed.Category != tinker.CategoryUser || !strings.Contains(failed.Error, "seq_id 5") {
		t.Fatalf("gap: %+v; want a user failure naming seq_id 5", failed)
	}
	c.fwdbwd(tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 7, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}}, true)
	if status, _, _ := c.do("POST", "forward", jsonBody(t, tinker.ForwardBackwardRequest{ModelID: mid, SeqID: 5, ForwardOnly: true, Input: tinker.ForwardBackwardInput{LossFn: "cross_entropy", Data: d}})); status != 400 {
		t.Fatalf("late seq_id 5: %d, want 400", status)
	}
}

// TestAPIKeyAndLimits: X-API-Key when a key is set (healthz open), the
// model cap, and the body cap.
func TestAPIKeyAndLimits(t *testing.T) {
	_, c := newServer(t, func(c *Config) { c.APIKey = "tml-secret"; c.MaxModels = 1; c.MaxSessions = 1; c.MaxBodyBytes = 4096 })
	if status, _, _ := c.do("GET", "healthz", nil); status != 200 {
		t.Fatalf("healthz without key: %d", status)
	}
	status, data, _ := c.do("POST", "create_session", []byte(`{"tags": [], "sdk_version": "0.25.0"}`))
	if status != 401 || !strings.Contains(string(data), "X-API-Key") {
		t.Fatalf("wrong key: %d %s", status, data)
	}
	c.key = "tml-secret"
	sid, _ := setup(t, c)
	if status, data, _ := c.do("POST", "create_model", []byte(`{"session_id": "`+sid+`", "model_seq_id": 1, "base_model": "tiny", "lora_config": {"rank": 2}}`)); status != 429 {
		t.Fatalf("second model over the cap: %d %s", status, data)
	}
	if status, data, _ := c.do("POST", "create_session", []byte(`{"tags": [], "sdk_version": "0.25.0"}`)); status != 429 || !strings.Contains(string(data), "sessions") {
		t.Fatalf("second session over the cap: %d %s", status, data)
	}
	if status, data, _ := c.do("POST", "create_session", []byte(`{"tags": ["`+strings.Repeat("x", 5000)+`"], "sdk_version": "0.25.0"}`)); status != 413 || !strings.Contains(string(data), "body") {
		t.Fatalf("big body: %d %s", status, data)
	}
}
