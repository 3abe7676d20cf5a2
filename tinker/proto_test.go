package tinker

import (
	"bytes"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readHex reads a .pb.hex fixture: hex bytes, '#' comments.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(data)) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestForwardBackwardRequestFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture, json string
		forward       bool
	}{
		{"fwdbwd_cross_entropy.pb.hex", "fwdbwd_cross_entropy.json", false},
		{"fwdbwd_ppo_forward_only.pb.hex", "fwdbwd_ppo_forward_only.json", true},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			pb := readHex(t, tc.fixture)
			got, err := DecodeForwardBackwardRequest(pb)
			if err != nil {
				t.Fatal(err)
			}
			js, err := os.ReadFile(filepath.Join("testdata", tc.json))
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecodeForwardBackwardJSON(js, tc.forward)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("protobuf decodes to\n%+v\nJSON to\n%+v", got, want)
			}
			if enc := EncodeForwardBackwardRequest(got); !bytes.Equal(enc, pb) {
				t.Fatalf("re-encoded\n%x\nwant\n%x", enc, pb)
			}
		})
	}
}

func TestForwardBackwardRequestValues(t *testing.T) {
	r, err := DecodeForwardBackwardRequest(readHex(t, "fwdbwd_ppo_forward_only.pb.hex"))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Input.Data[0]
	switch {
	case r.ModelID != "s1:train:0" || r.SeqID != 7 || !r.ForwardOnly || r.Input.LossFn != "ppo":
		t.Fatalf("header %+v", r)
	case !reflect.DeepEqual(d.ModelInput.Tokens(), []int{1, 2}):
		t.Fatalf("tokens %v", d.ModelInput.Tokens())
	case !reflect.DeepEqual(d.LossFnInputs["advantages"].Floats, []float32{0.5, -2}):
		t.Fatalf("advantages %v", d.LossFnInputs["advantages"])
	case !reflect.DeepEqual(d.LossFnInputs["target_tokens"].Ints, []int64{2, 3}):
		t.Fatalf("targets %v", d.LossFnInputs["target_tokens"])
	case r.Input.LossFnConfig["clip_low_threshold"] != 0.75 || r.Input.LossFnConfig["clip_high_threshold"] != 1.25:
		t.Fatalf("config %v", r.Input.LossFnConfig)
	}
}

func TestForwardBackwardOutputFixture(t *testing.T) {
	pb := readHex(t, "fwdbwd_output.pb.hex")
	want := ForwardBackwardOutput{
		LossFnOutputType: "ArrayRecord",
		LossFnOutputs: []map[string]TensorData{
			{"logprobs": FloatTensor([]float32{-0.5, -1})},
			{"logprobs": FloatTensor([]float32{-2})},
		},
		Metrics: map[string]float64{"loss:sum": 3.5},
	}
	if enc := EncodeForwardBackwardOutput(want); !bytes.Equal(enc, pb) {
		t.Fatalf("encoded\n%x\nwant\n%x", enc, pb)
	}
	got, err := DecodeForwardBackwardOutput(pb)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
}

func TestSampleResponseFixture(t *testing.T) {
	pb := readHex(t, "sample_response.pb.hex")
	want := SampleResponse{
		Sequences: []SampledSequence{
			{Tokens: []int{10, 257}, Logprobs: []float32{-0.5, -0.25}, StopReason: StopReasonStop},
			{Tokens: []int{3}, Logprobs: []float32{-1}, StopReason: StopReasonLength},
		},
		PromptLogprobs: []float32{float32(math.NaN()), -2},
	}
	if enc := EncodeSampleResponse(want); !bytes.Equal(enc, pb) {
		t.Fatalf("encoded\n%x\nwant\n%x", enc, pb)
	}
	got, err := DecodeSampleResponse(pb)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(got.PromptLogprobs[0])) || got.PromptLogprobs[1] != -2 {
		t.Fatalf("prompt logprobs %v", got.PromptLogprobs)
	}
	got.PromptLogprobs, want.PromptLogprobs = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	js, _ := SampleResponse{Sequences: want.Sequences[:1], PromptLogprobs: []float32{float32(math.NaN()), -2}}.MarshalJSON()
	if w := `{"sequences":[{"tokens":[10,257],"logprobs":[-0.5,-0.25],"stop_reason":"stop"}],"prompt_logprobs":[null,-2],"type":"sample"}`; string(js) != w {
		t.Fatalf("JSON %s, want %s", js, w)
	}
}

func TestProtoErrorsNameTheField(t *testing.T) {
	ce := readHex(t, "fwdbwd_cross_entropy.pb.hex")
	for _, tc := range []struct {
		name  string
		body  []byte
		field string
	}{
		{"truncated", ce[:len(ce)-3], ""},
		{"seq_id as bytes", append([]byte{0x12, 0x01, 0x00}, ce...), "seq_id"},
		{"odd token bytes", []byte{0x1a, 0x07, 0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x05}, "data[0].model_input.chunks[0].encoded_text.tokens"},
		{"image chunk", []byte{0x1a, 0x04, 0x0a, 0x02, 0x12, 0x00}, "data[0].model_input.chunks[0]"},
		{"bf16 tensor", []byte{0x1a, 0x0b, 0x12, 0x09, 0x0a, 0x01, 0x77, 0x12, 0x04, 0x18, 0x04, 0x0a, 0x00}, "data[0].loss_fn_inputs.w.dtype"},
		{"shape mismatch", []byte{0x1a, 0x0e, 0x12, 0x0c, 0x0a, 0x01, 0x77, 0x12, 0x07, 0x0a, 0x00, 0x18, 0x01, 0x22, 0x01, 0x02}, "data[0].loss_fn_inputs.w.shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeForwardBackwardRequest(tc.body)
			fe, ok := err.(*FieldError)
			if !ok {
				t.Fatalf("error %v (%T), want a *FieldError", err, err)
			}
			if tc.field != "" && fe.Field != tc.field {
				t.Fatalf("field %q (%v), want %q", fe.Field, fe, tc.field)
			}
		})
	}
}

func FuzzDecodeForwardBackwardRequest(f *testing.F) {
	f.Add(readHex(f, "fwdbwd_cross_entropy.pb.hex"))
	f.Add(readHex(f, "fwdbwd_ppo_forward_only.pb.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeForwardBackwardRequest(b)
		if err != nil {
			return
		}
		// What decodes re-encodes and decodes to the same request.
		r2, err := DecodeForwardBackwardRequest(EncodeForwardBackwardRequest(r))
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if len(r2.Input.Data) != len(r.Input.Data) || r2.ModelID != r.ModelID || r2.Input.LossFn != r.Input.LossFn {
			t.Fatalf("round trip changed the request: %+v vs %+v", r, r2)
		}
	})
}

func FuzzDecodeForwardBackwardOutput(f *testing.F) {
	f.Add(readHex(f, "fwdbwd_output.pb.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeForwardBackwardOutput(b)
		if err != nil {
			return
		}
		for _, d := range o.LossFnOutputs {
			for name, td := range d {
				if _, err := td.Vector(); err != nil && len(td.Shape) < 2 {
					t.Fatalf("field %s: decoded an inconsistent tensor: %v", name, err)
				}
			}
		}
	})
}

func FuzzDecodeSampleResponse(f *testing.F) {
	f.Add(readHex(f, "sample_response.pb.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeSampleResponse(b)
		if err != nil {
			return
		}
		for _, s := range r.Sequences {
			if s.StopReason != StopReasonStop && s.StopReason != StopReasonLength {
				t.Fatalf("stop reason %q", s.StopReason)
			}
		}
	})
}
