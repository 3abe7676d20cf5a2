package tinker

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestStrictJSONNamesTheField(t *testing.T) {
	const datum = `{"loss_fn_inputs": {"target_tokens": {"data": [2], "dtype": "int64"}}, "model_input": {"chunks": [{"tokens": [1], "type": "encoded_text"}]}}`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"unknown top-level key", `{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m", "extra": 1}`, "extra"},
		{"missing model_id", `{"forward_backward_input": {"data": [], "loss_fn": "ppo"}}`, "model_id"},
		{"seq_id a string", `{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m", "seq_id": "1"}`, "seq_id"},
		{"unknown datum key", `{"forward_backward_input": {"data": [` + datum + `, {"loss_fn_inputs": {}, "model_input": {"chunks": []}, "mask": 1}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[1].mask"},
		{"bad dtype", `{"forward_backward_input": {"data": [{"loss_fn_inputs": {"weights": {"data": [1], "dtype": "float64"}}, "model_input": {"chunks": []}}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[0].loss_fn_inputs.weights.dtype"},
		{"fractional int", `{"forward_backward_input": {"data": [{"loss_fn_inputs": {"target_tokens": {"data": [1, 2.5], "dtype": "int64"}}, "model_input": {"chunks": []}}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[0].loss_fn_inputs.target_tokens.data[1]"},
		{"shape mismatch", `{"forward_backward_input": {"data": [{"loss_fn_inputs": {"weights": {"data": [1], "dtype": "float32", "shape": [3]}}, "model_input": {"chunks": []}}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[0].loss_fn_inputs.weights.shape"},
		{"sparse", `{"forward_backward_input": {"data": [{"loss_fn_inputs": {"weights": {"data": [1], "dtype": "float32", "sparse_crow_indices": [0, 1], "sparse_col_indices": [0]}}, "model_input": {"chunks": []}}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[0].loss_fn_inputs.weights.sparse_crow_indices"},
		{"image chunk", `{"forward_backward_input": {"data": [{"loss_fn_inputs": {}, "model_input": {"chunks": [{"type": "image", "data": "", "format": "png"}]}}], "loss_fn": "ppo"}, "model_id": "m"}`, "forward_backward_input.data[0].model_input.chunks[0].type"},
		{"wrong type tag", `{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m", "type": "optim_step"}`, "type"},
		{"not an object", `[1]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeForwardBackwardJSON([]byte(tc.body), false)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Fatalf("field %q (%v), want %q", fe.Field, fe, tc.field)
			}
		})
	}
}

func TestRequestDefaultsAndChecks(t *testing.T) {
	var o OptimStepRequest
	if err := json.Unmarshal([]byte(`{"adam_params": {"learning_rate": 0.01}, "model_id": "m", "seq_id": 2, "type": "optim_step"}`), &o); err != nil {
		t.Fatal(err)
	}
	if want := (AdamParams{LearningRate: 0.01, Beta1: 0.9, Beta2: 0.95, Eps: 1e-12}); o.AdamParams != want {
		t.Fatalf("adam params %+v, want %+v", o.AdamParams, want)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"adam_params": {"beta1": 1}, "model_id": "m"}`, "adam_params.beta1"},
		{`{"adam_params": {"eps": 0}, "model_id": "m"}`, "adam_params.eps"},
		{`{"adam_params": {"grad_clip_norm": -1}, "model_id": "m"}`, "adam_params.grad_clip_norm"},
		{`{"adam_params": {"momentum": 0.9}, "model_id": "m"}`, "adam_params.momentum"},
	} {
		err := json.Unmarshal([]byte(tc.body), &o)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error %v, want one naming %s", tc.body, err, tc.field)
		}
	}
	var s SampleRequest
	if err := json.Unmarshal([]byte(`{"num_samples": 2, "prompt": {"chunks": [{"tokens": [1, 2], "type": "encoded_text"}]}, "sampling_params": {"max_tokens": 4, "stop": [7, 8]}, "sampling_session_id": "x", "seq_id": 0, "prompt_logprobs": false, "topk_prompt_logprobs": 0, "type": "sample"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.NumSamples != 2 || s.SamplingParams.Temperature != 1 || s.SamplingParams.TopK != -1 || !reflect.DeepEqual(s.SamplingParams.Stop.Tokens, []int{7, 8}) {
		t.Fatalf("sample request %+v", s)
	}
	for _, tc := range []struct{ stop, field string }{
		{`[1, "a"]`, "sampling_params.stop[1]"},
		{`[""]`, "sampling_params.stop[0]"},
		{`{"a": 1}`, "sampling_params.stop"},
	} {
		err := json.Unmarshal([]byte(`{"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {"stop": `+tc.stop+`}, "sampling_session_id": "x"}`), &s)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("stop %s: error %v, want one naming %s", tc.stop, err, tc.field)
		}
	}
}

func TestPaths(t *testing.T) {
	p, err := ParsePath("tinker://abc:train:0/weights/step-1")
	if err != nil || p != (Path{ModelID: "abc:train:0", Kind: KindWeights, Name: "step-1"}) || p.String() != "tinker://abc:train:0/weights/step-1" {
		t.Fatalf("parse: %+v, %v", p, err)
	}
	for _, bad := range []string{"abc/weights/x", "tinker://m/other/x", "tinker://m/weights/..", "tinker://m/weights/a/b", "tinker://m/weights/", "tinker://../weights/x"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestTensorJSONRoundTrip(t *testing.T) {
	for _, in := range []TensorData{FloatTensor([]float32{-0.1, 3, 1e-8}), IntTensor([]int64{0, 151643, -1})} {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out TensorData
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("%s came back as %+v", b, out)
		}
	}
}
