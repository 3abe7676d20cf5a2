package tinker

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// UntypedAPIFuture is the immediate answer of a route whose result comes
// later through retrieve_future.
type UntypedAPIFuture struct {
	RequestID string `json:"request_id"`
	ModelID   string `json:"model_id,omitempty"`
}

// TryAgainResponse is retrieve_future's answer while the request is still
// pending; the SDK polls again at once.
type TryAgainResponse struct {
	Type       string `json:"type"` // "try_again"
	RequestID  string `json:"request_id"`
	QueueState string `json:"queue_state"` // "active", "paused_capacity", "paused_rate_limit"
}

// Error categories of a RequestFailedResponse.
const (
	CategoryUser    = "user"
	CategoryServer  = "server"
	CategoryUnknown = "unknown"
)

// RequestFailedResponse is retrieve_future's answer for a request that
// failed: the SDK raises RequestFailedError with it.
type RequestFailedResponse struct {
	Error    string `json:"error"`
	Category string `json:"category"`
}

// CreateSessionResponse answers create_session.
type CreateSessionResponse struct {
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
}

// CreateModelResponse is create_model's result.
type CreateModelResponse struct {
	ModelID string `json:"model_id"`
	Type    string `json:"type"`
}

// ModelData describes a model's architecture in get_info.
type ModelData struct {
	Arch        string `json:"arch,omitempty"`
	ModelName   string `json:"model_name,omitempty"`
	TokenizerID string `json:"tokenizer_id,omitempty"`
}

// GetInfoResponse answers get_info.
type GetInfoResponse struct {
	Type      string    `json:"type"`
	ModelData ModelData `json:"model_data"`
	ModelID   string    `json:"model_id"`
	IsLoRA    bool      `json:"is_lora"`
	LoRARank  int       `json:"lora_rank,omitempty"`
	ModelName string    `json:"model_name,omitempty"`
}

// SupportedModel is one entry of get_server_capabilities.
type SupportedModel struct {
	ModelName        string `json:"model_name"`
	MaxContextLength int    `json:"max_context_length,omitempty"`
}

// ServerCapabilities answers get_server_capabilities.
type ServerCapabilities struct {
	SupportedModels []SupportedModel `json:"supported_models"`
}

// ForwardBackwardOutput is the result of forward_backward and forward:
// per datum the loss's outputs (logprobs, elementwise_loss), and metrics
// whose keys carry their reduction after one ':' (loss:sum).
type ForwardBackwardOutput struct {
	LossFnOutputType string                  `json:"loss_fn_output_type"`
	LossFnOutputs    []map[string]TensorData `json:"loss_fn_outputs"`
	Metrics          map[string]float64      `json:"metrics"`
}

// OptimStepResponse is optim_step's result.
type OptimStepResponse struct {
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// SaveWeightsResponse is the result of save_weights and of a named
// save_weights_for_sampler; an unnamed sampler save answers
// SamplingSessionID instead of a path.
type SaveWeightsResponse struct {
	Path              *string `json:"path"`
	SamplingSessionID string  `json:"sampling_session_id,omitempty"`
	Type              string  `json:"type"`
}

// LoadWeightsResponse is load_weights's result.
type LoadWeightsResponse struct {
	Path    string `json:"path"`
	ModelID string `json:"model_id,omitempty"`
	Type    string `json:"type"`
}

// UnloadModelResponse is unload_model's result.
type UnloadModelResponse struct {
	ModelID string `json:"model_id"`
	Type    string `json:"type"`
}

// WeightsInfoResponse answers weights_info.
type WeightsInfoResponse struct {
	BaseModel    string `json:"base_model"`
	IsLoRA       bool   `json:"is_lora"`
	LoRARank     int    `json:"lora_rank,omitempty"`
	TrainUnembed bool   `json:"train_unembed"`
	TrainMLP     bool   `json:"train_mlp"`
	TrainAttn    bool   `json:"train_attn"`
}

// CreateSamplingSessionResponse answers create_sampling_session.
type CreateSamplingSessionResponse struct {
	SamplingSessionID string `json:"sampling_session_id"`
	Type              string `json:"type"`
}

// Stop reasons of a sampled sequence.
const (
	StopReasonStop   = "stop"
	StopReasonLength = "length"
)

// SampledSequence is one continuation: its tokens (a stop token, when one
// ended it, is the last), their logprobs and why it ended.
type SampledSequence struct {
	Tokens     []int     `json:"tokens"`
	Logprobs   []float32 `json:"logprobs"`
	StopReason string    `json:"stop_reason"`
}

// SampleResponse is asample's result. PromptLogprobs, when asked for, has
// one entry per prompt token; the first is NaN (none: nothing predicts it),
// written as null in JSON.
type SampleResponse struct {
	Sequences      []SampledSequence
	PromptLogprobs []float32
}

// MarshalJSON writes the JSON form of SDK ≤ 0.24.
func (r SampleResponse) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"sequences":[`)
	for i, s := range r.Sequences {
		if i > 0 {
			b.WriteByte(',')
		}
		toks, _ := json.Marshal(s.Tokens)
		if s.Tokens == nil {
			toks = []byte("[]")
		}
		b.WriteString(`{"tokens":`)
		b.Write(toks)
		b.WriteString(`,"logprobs":`)
		writeFloats(&b, s.Logprobs, false)
		b.WriteString(`,"stop_reason":`)
		b.WriteString(strconv.Quote(s.StopReason))
		b.WriteByte('}')
	}
	b.WriteString(`]`)
	if r.PromptLogprobs != nil {
		b.WriteString(`,"prompt_logprobs":`)
		writeFloats(&b, r.PromptLogprobs, true)
	}
	b.WriteString(`,"type":"sample"}`)
	return b.Bytes(), nil
}

// writeFloats writes a list of float32s; with nanNull a NaN is null.
func writeFloats(b *bytes.Buffer, v []float32, nanNull bool) {
	if v == nil {
		b.WriteString("null")
		return
	}
	b.WriteByte('[')
	for i, f := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		if nanNull && f != f {
			b.WriteString("null")
		} else {
			b.WriteString(pyFloat(float64(f), 32))
		}
	}
	b.WriteByte(']')
}
