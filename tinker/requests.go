package tinker

import (
	"encoding/json"
	"fmt"
)

// The request bodies of the API's routes, as the SDK writes them
// (model_dump(exclude_none=True): an optional field left None is absent).
// Each decodes strictly; the json tags write the SDK's shape back, for a
// client.

// ClientConfigRequest is POST client/config.
type ClientConfigRequest struct {
	SDKVersion string `json:"sdk_version"`
}

// UnmarshalJSON decodes strictly.
func (r *ClientConfigRequest) UnmarshalJSON(raw []byte) error {
	return decodeObject(raw, field{name: "sdk_version", dst: &r.SDKVersion, required: true})
}

// CreateSessionRequest is POST create_session.
type CreateSessionRequest struct {
	Tags         []string       `json:"tags"`
	UserMetadata map[string]any `json:"user_metadata,omitempty"`
	SDKVersion   string         `json:"sdk_version"`
	ProjectID    string         `json:"project_id,omitempty"`
	Type         string         `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *CreateSessionRequest) UnmarshalJSON(raw []byte) error {
	*r = CreateSessionRequest{Type: "create_session"}
	return decodeObject(raw,
		field{name: "tags", dst: &r.Tags, required: true},
		field{name: "user_metadata", dst: &r.UserMetadata},
		field{name: "sdk_version", dst: &r.SDKVersion, required: true},
		field{name: "project_id", dst: &r.ProjectID},
		field{name: "type", dec: literal("create_session")},
	)
}

// SessionHeartbeatRequest is POST session_heartbeat.
type SessionHeartbeatRequest struct {
	SessionID string `json:"session_id"`
	Type      string `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *SessionHeartbeatRequest) UnmarshalJSON(raw []byte) error {
	*r = SessionHeartbeatRequest{Type: "session_heartbeat"}
	return decodeObject(raw,
		field{name: "session_id", dst: &r.SessionID, required: true},
		field{name: "type", dec: literal("session_heartbeat")},
	)
}

// LoRAConfig is create_model's lora_config. The SDK has no alpha: the
// service fixes it (32, the "LoRA Without Regret" setting SkyRL copies).
type LoRAConfig struct {
	Rank         int    `json:"rank"`
	Seed         *int64 `json:"seed,omitempty"`
	TrainUnembed bool   `json:"train_unembed"`
	TrainMLP     bool   `json:"train_mlp"`
	TrainAttn    bool   `json:"train_attn"`
}

// UnmarshalJSON decodes strictly, with the SDK's defaults (all true).
func (c *LoRAConfig) UnmarshalJSON(raw []byte) error {
	*c = LoRAConfig{TrainUnembed: true, TrainMLP: true, TrainAttn: true}
	return decodeObject(raw,
		field{name: "rank", dst: &c.Rank, required: true},
		field{name: "seed", dst: &c.Seed},
		field{name: "train_unembed", dst: &c.TrainUnembed},
		field{name: "train_mlp", dst: &c.TrainMLP},
		field{name: "train_attn", dst: &c.TrainAttn},
	)
}

// CreateModelRequest is POST create_model.
type CreateModelRequest struct {
	SessionID    string         `json:"session_id"`
	ModelSeqID   int            `json:"model_seq_id"`
	BaseModel    string         `json:"base_model"`
	UserMetadata map[string]any `json:"user_metadata,omitempty"`
	LoRAConfig   *LoRAConfig    `json:"lora_config,omitempty"`
	Type         string         `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *CreateModelRequest) UnmarshalJSON(raw []byte) error {
	*r = CreateModelRequest{Type: "create_model"}
	return decodeObject(raw,
		field{name: "session_id", dst: &r.SessionID, required: true},
		field{name: "model_seq_id", dst: &r.ModelSeqID, required: true},
		field{name: "base_model", dst: &r.BaseModel, required: true},
		field{name: "user_metadata", dst: &r.UserMetadata},
		field{name: "lora_config", dst: &r.LoRAConfig},
		field{name: "type", dec: literal("create_model")},
	)
}

// ModelRequest is a body naming only a model: get_info and unload_model.
type ModelRequest struct {
	ModelID string `json:"model_id"`
	Type    string `json:"type,omitempty"`
}

// DecodeModelRequest decodes a get_info or unload_model body whose type tag,
// if present, must be typ.
func DecodeModelRequest(raw []byte, typ string) (ModelRequest, error) {
	r := ModelRequest{Type: typ}
	err := decodeObject(raw,
		field{name: "model_id", dst: &r.ModelID, required: true},
		field{name: "type", dec: literal(typ)},
	)
	return r, err
}

// ForwardBackwardRequest is POST forward_backward (and, with the input
// under forward_input, SDK ≤ 0.24's POST forward). SeqID 0 means none was
// given, as on the protobuf wire.
type ForwardBackwardRequest struct {
	Input       ForwardBackwardInput
	ModelID     string
	SeqID       int64
	ForwardOnly bool
}

// DecodeForwardBackwardJSON decodes a JSON forward_backward body, or a
// forward body when forward is set (its input key is forward_input).
func DecodeForwardBackwardJSON(raw []byte, forward bool) (ForwardBackwardRequest, error) {
	r := ForwardBackwardRequest{ForwardOnly: forward}
	key, typ := "forward_backward_input", "forward_backward"
	if forward {
		key, typ = "forward_input", "forward"
	}
	err := decodeObject(raw,
		field{name: key, dst: &r.Input, required: true},
		field{name: "model_id", dst: &r.ModelID, required: true},
		field{name: "seq_id", dst: &r.SeqID},
		field{name: "type", dec: literal(typ)},
	)
	return r, err
}

// MarshalJSON writes the SDK ≤ 0.24 JSON body (forward_input for a
// forward-only request, which goes to the forward route).
func (r ForwardBackwardRequest) MarshalJSON() ([]byte, error) {
	key := "forward_backward_input"
	if r.ForwardOnly {
		key = "forward_input"
	}
	m := map[string]any{key: r.Input, "model_id": r.ModelID}
	if r.SeqID != 0 {
		m["seq_id"] = r.SeqID
	}
	return json.Marshal(m)
}

// AdamParams are optim_step's optimizer settings; absent fields take the
// SDK's defaults (DefaultAdamParams).
type AdamParams struct {
	LearningRate float64 `json:"learning_rate"`
	Beta1        float64 `json:"beta1"`
	Beta2        float64 `json:"beta2"`
	Eps          float64 `json:"eps"`
	WeightDecay  float64 `json:"weight_decay"`
	GradClipNorm float64 `json:"grad_clip_norm"`
}

// DefaultAdamParams are the SDK's AdamParams defaults.
func DefaultAdamParams() AdamParams {
	return AdamParams{LearningRate: 1e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-12}
}

// UnmarshalJSON decodes strictly over the SDK's defaults.
func (p *AdamParams) UnmarshalJSON(raw []byte) error {
	*p = DefaultAdamParams()
	return decodeObject(raw,
		field{name: "learning_rate", dst: &p.LearningRate},
		field{name: "beta1", dst: &p.Beta1},
		field{name: "beta2", dst: &p.Beta2},
		field{name: "eps", dst: &p.Eps},
		field{name: "weight_decay", dst: &p.WeightDecay},
		field{name: "grad_clip_norm", dst: &p.GradClipNorm},
	)
}

// Check refuses settings AdamW cannot use, naming the field.
func (p AdamParams) Check() error {
	finite := func(v float64) bool { return v-v == 0 }
	switch {
	case !(p.LearningRate >= 0) || !finite(p.LearningRate):
		return fieldErrorf("learning_rate", "%g: want a finite value ≥ 0", p.LearningRate)
	case !(p.Beta1 >= 0 && p.Beta1 < 1):
		return fieldErrorf("beta1", "%g: want a value in [0, 1)", p.Beta1)
	case !(p.Beta2 >= 0 && p.Beta2 < 1):
		return fieldErrorf("beta2", "%g: want a value in [0, 1)", p.Beta2)
	case !(p.Eps > 0) || !finite(p.Eps):
		return fieldErrorf("eps", "%g: want a finite value > 0", p.Eps)
	case !(p.WeightDecay >= 0) || !finite(p.WeightDecay):
		return fieldErrorf("weight_decay", "%g: want a finite value ≥ 0", p.WeightDecay)
	case !(p.GradClipNorm >= 0) || !finite(p.GradClipNorm):
		return fieldErrorf("grad_clip_norm", "%g: want a finite value ≥ 0 (0 turns clipping off)", p.GradClipNorm)
	}
	return nil
}

// OptimStepRequest is POST optim_step.
type OptimStepRequest struct {
	AdamParams AdamParams `json:"adam_params"`
	ModelID    string     `json:"model_id"`
	SeqID      int64      `json:"seq_id,omitempty"`
	Type       string     `json:"type"`
}

// UnmarshalJSON decodes strictly and checks the optimizer settings.
func (r *OptimStepRequest) UnmarshalJSON(raw []byte) error {
	*r = OptimStepRequest{Type: "optim_step"}
	err := decodeObject(raw,
		field{name: "adam_params", dst: &r.AdamParams, required: true},
		field{name: "model_id", dst: &r.ModelID, required: true},
		field{name: "seq_id", dst: &r.SeqID},
		field{name: "type", dec: literal("optim_step")},
	)
	if err != nil {
		return err
	}
	return under("adam_params", r.AdamParams.Check())
}

// SaveWeightsRequest is POST save_weights and, with Type
// "save_weights_for_sampler", POST save_weights_for_sampler: Path is the
// checkpoint's name. An unnamed sampler save carries
// SamplingSessionSeqID instead and answers with a sampling session.
type SaveWeightsRequest struct {
	ModelID              string `json:"model_id"`
	Path                 string `json:"path,omitempty"`
	SeqID                int64  `json:"seq_id,omitempty"`
	TTLSeconds           *int64 `json:"ttl_seconds,omitempty"`
	Overwrite            bool   `json:"overwrite,omitempty"`
	SamplingSessionSeqID *int64 `json:"sampling_session_seq_id,omitempty"`
	Type                 string `json:"type"`
}

// DecodeSaveWeights decodes a save_weights body, or a
// save_weights_for_sampler body when forSampler is set.
func DecodeSaveWeights(raw []byte, forSampler bool) (SaveWeightsRequest, error) {
	r := SaveWeightsRequest{Type: "save_weights"}
	fields := []field{
		{name: "model_id", dst: &r.ModelID, required: true},
		{name: "path", dst: &r.Path},
		{name: "seq_id", dst: &r.SeqID},
		{name: "ttl_seconds", dst: &r.TTLSeconds},
	}
	if forSampler {
		r.Type = "save_weights_for_sampler"
		fields = append(fields, field{name: "sampling_session_seq_id", dst: &r.SamplingSessionSeqID})
	} else {
		fields = append(fields, field{name: "overwrite", dst: &r.Overwrite})
	}
	fields = append(fields, field{name: "type", dec: literal(r.Type)})
	if err := decodeObject(raw, fields...); err != nil {
		return r, err
	}
	switch {
	case r.Path == "" && !forSampler:
		return r, fieldErrorf("path", "required: the checkpoint's name")
	case r.Path == "" && r.SamplingSessionSeqID == nil:
		return r, fieldErrorf("path", "required unless sampling_session_seq_id is given")
	case r.Path != "":
		if err := CheckName(r.Path); err != nil {
			return r, fieldErrorf("path", "%v", err)
		}
	}
	return r, nil
}

// LoadWeightsRequest is POST load_weights (model addressing: model_id and
// seq_id; the session addressing of create_model_via_load_weights is not
// offered by this package's server, whose client/config leaves it off).
type LoadWeightsRequest struct {
	ModelID   string `json:"model_id"`
	SeqID     int64  `json:"seq_id,omitempty"`
	Path      string `json:"path"`
	Optimizer bool   `json:"optimizer"`
	Type      string `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *LoadWeightsRequest) UnmarshalJSON(raw []byte) error {
	*r = LoadWeightsRequest{Type: "load_weights"}
	var session bool
	err := decodeObject(raw,
		field{name: "model_id", dst: &r.ModelID},
		field{name: "seq_id", dst: &r.SeqID},
		field{name: "session_id", dst: new(string), seen: &session},
		field{name: "model_seq_id", dst: new(int64)},
		field{name: "base_model", dst: new(string)},
		field{name: "user_metadata", dst: new(map[string]any)},
		field{name: "path", dst: &r.Path, required: true},
		field{name: "optimizer", dst: &r.Optimizer, required: true},
		field{name: "weights_access_token", dst: new(string)},
		field{name: "type", dec: literal("load_weights")},
	)
	switch {
	case err != nil:
		return err
	case session:
		return fieldErrorf("session_id", "load-weights-first model creation is not offered (client/config says create_model_via_load_weights false); create_model first")
	case r.ModelID == "":
		return fieldErrorf("model_id", "required")
	}
	if _, err := ParsePath(r.Path); err != nil {
		return fieldErrorf("path", "%v", err)
	}
	return nil
}

// WeightsInfoRequest is POST weights_info.
type WeightsInfoRequest struct {
	TinkerPath string `json:"tinker_path"`
}

// UnmarshalJSON decodes strictly.
func (r *WeightsInfoRequest) UnmarshalJSON(raw []byte) error {
	if err := decodeObject(raw, field{name: "tinker_path", dst: &r.TinkerPath, required: true}); err != nil {
		return err
	}
	if _, err := ParsePath(r.TinkerPath); err != nil {
		return fieldErrorf("tinker_path", "%v", err)
	}
	return nil
}

// CreateSamplingSessionRequest is POST create_sampling_session: sample from
// ModelPath (a tinker:// path) or, without one, from BaseModel.
type CreateSamplingSessionRequest struct {
	SessionID            string `json:"session_id"`
	SamplingSessionSeqID int64  `json:"sampling_session_seq_id"`
	BaseModel            string `json:"base_model,omitempty"`
	ModelPath            string `json:"model_path,omitempty"`
	Type                 string `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *CreateSamplingSessionRequest) UnmarshalJSON(raw []byte) error {
	*r = CreateSamplingSessionRequest{Type: "create_sampling_session"}
	err := decodeObject(raw,
		field{name: "session_id", dst: &r.SessionID, required: true},
		field{name: "sampling_session_seq_id", dst: &r.SamplingSessionSeqID, required: true},
		field{name: "base_model", dst: &r.BaseModel},
		field{name: "model_path", dst: &r.ModelPath},
		field{name: "type", dec: literal("create_sampling_session")},
	)
	if err != nil {
		return err
	}
	if r.ModelPath != "" {
		if _, err := ParsePath(r.ModelPath); err != nil {
			return fieldErrorf("model_path", "%v", err)
		}
	} else if r.BaseModel == "" {
		return fieldErrorf("base_model", "required when model_path is not given")
	}
	return nil
}

// Stop is sampling_params.stop: stop strings or stop token ids (the SDK's
// str, [str] or [int]).
type Stop struct {
	Strings []string
	Tokens  []int
}

// UnmarshalJSON reads a string, a list of strings or a list of integers.
func (s *Stop) UnmarshalJSON(raw []byte) error {
	*s = Stop{}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		s.Strings = []string{one}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fieldErrorf("", "want a string, a list of strings or a list of token ids")
	}
	for i, it := range items {
		var str string
		var id int
		switch {
		case json.Unmarshal(it, &str) == nil && s.Tokens == nil:
			s.Strings = append(s.Strings, str)
		case json.Unmarshal(it, &id) == nil && s.Strings == nil:
			s.Tokens = append(s.Tokens, id)
		default:
			return fieldErrorf(fmt.Sprintf("[%d]", i), "want all strings or all token ids")
		}
	}
	return nil
}

// MarshalJSON writes the strings, or the token ids.
func (s Stop) MarshalJSON() ([]byte, error) {
	if s.Tokens != nil {
		return json.Marshal(s.Tokens)
	}
	return json.Marshal(s.Strings)
}

// SamplingParams are asample's sampling_params, with the SDK's defaults.
type SamplingParams struct {
	MaxTokens   *int    `json:"max_tokens,omitempty"`
	Seed        *int64  `json:"seed,omitempty"`
	Stop        *Stop   `json:"stop,omitempty"`
	Temperature float64 `json:"temperature"`
	TopK        int     `json:"top_k"`
	TopP        float64 `json:"top_p"`
}

// UnmarshalJSON decodes strictly over the SDK's defaults (temperature 1,
// top_k -1, top_p 1).
func (p *SamplingParams) UnmarshalJSON(raw []byte) error {
	*p = SamplingParams{Temperature: 1, TopK: -1, TopP: 1}
	err := decodeObject(raw,
		field{name: "max_tokens", dst: &p.MaxTokens},
		field{name: "seed", dst: &p.Seed},
		field{name: "stop", dst: &p.Stop},
		field{name: "temperature", dst: &p.Temperature},
		field{name: "top_k", dst: &p.TopK},
		field{name: "top_p", dst: &p.TopP},
	)
	if err != nil {
		return err
	}
	switch {
	case p.MaxTokens != nil && *p.MaxTokens <= 0:
		return fieldErrorf("max_tokens", "%d: want > 0", *p.MaxTokens)
	case !(p.Temperature >= 0) || p.Temperature-p.Temperature != 0:
		return fieldErrorf("temperature", "%g: want a finite value ≥ 0", p.Temperature)
	case p.TopK < -1:
		return fieldErrorf("top_k", "%d: want -1 (no limit) or a value ≥ 0", p.TopK)
	case !(p.TopP > 0 && p.TopP <= 1):
		return fieldErrorf("top_p", "%g: want a value in (0, 1]", p.TopP)
	}
	if p.Stop != nil {
		for i, s := range p.Stop.Strings {
			if s == "" {
				return fieldErrorf(fmt.Sprintf("stop[%d]", i), "empty stop string")
			}
		}
	}
	return nil
}

// SampleRequest is POST asample: NumSamples continuations of Prompt, from
// a sampling session or directly from ModelPath / BaseModel.
type SampleRequest struct {
	NumSamples         int            `json:"num_samples"`
	Prompt             ModelInput     `json:"prompt"`
	SamplingParams     SamplingParams `json:"sampling_params"`
	BaseModel          string         `json:"base_model,omitempty"`
	ModelPath          string         `json:"model_path,omitempty"`
	SamplingSessionID  string         `json:"sampling_session_id,omitempty"`
	SeqID              *int64         `json:"seq_id,omitempty"`
	PromptLogprobs     bool           `json:"prompt_logprobs,omitempty"`
	TopKPromptLogprobs int            `json:"topk_prompt_logprobs"`
	Type               string         `json:"type"`
}

// UnmarshalJSON decodes strictly.
func (r *SampleRequest) UnmarshalJSON(raw []byte) error {
	*r = SampleRequest{NumSamples: 1, Type: "sample"}
	err := decodeObject(raw,
		field{name: "num_samples", dst: &r.NumSamples},
		field{name: "prompt", dst: &r.Prompt, required: true},
		field{name: "sampling_params", dst: &r.SamplingParams, required: true},
		field{name: "base_model", dst: &r.BaseModel},
		field{name: "model_path", dst: &r.ModelPath},
		field{name: "sampling_session_id", dst: &r.SamplingSessionID},
		field{name: "seq_id", dst: &r.SeqID},
		field{name: "prompt_logprobs", dst: &r.PromptLogprobs},
		field{name: "topk_prompt_logprobs", dst: &r.TopKPromptLogprobs},
		field{name: "type", dec: literal("sample")},
	)
	switch {
	case err != nil:
		return err
	case r.NumSamples < 1:
		return fieldErrorf("num_samples", "%d: want ≥ 1", r.NumSamples)
	case r.TopKPromptLogprobs < 0:
		return fieldErrorf("topk_prompt_logprobs", "%d: want ≥ 0", r.TopKPromptLogprobs)
	case len(r.Prompt.Tokens()) == 0:
		return fieldErrorf("prompt", "no tokens")
	case r.SamplingSessionID == "" && r.ModelPath == "" && r.BaseModel == "":
		return fieldErrorf("sampling_session_id", "required unless model_path or base_model is given")
	}
	if r.ModelPath != "" {
		if _, err := ParsePath(r.ModelPath); err != nil {
			return fieldErrorf("model_path", "%v", err)
		}
	}
	return nil
}

// FutureRetrieveRequest is POST retrieve_future.
type FutureRetrieveRequest struct {
	RequestID         string `json:"request_id"`
	AllowMetadataOnly bool   `json:"allow_metadata_only"`
}

// UnmarshalJSON decodes strictly.
func (r *FutureRetrieveRequest) UnmarshalJSON(raw []byte) error {
	return decodeObject(raw,
		field{name: "request_id", dst: &r.RequestID, required: true},
		field{name: "allow_metadata_only", dst: &r.AllowMetadataOnly},
	)
}
