package tinker

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ModelInput is a sequence of chunks; this package carries token chunks
// ("encoded_text") only and refuses image and audio chunks.
type ModelInput struct {
	Chunks []Chunk `json:"chunks"`
}

// Chunk is one encoded_text chunk of a ModelInput.
type Chunk struct {
	Tokens []int  `json:"tokens"`
	Type   string `json:"type"` // "encoded_text"
}

// TextInput returns a ModelInput of one chunk holding tokens.
func TextInput(tokens []int) ModelInput {
	return ModelInput{Chunks: []Chunk{{Tokens: tokens, Type: "encoded_text"}}}
}

// Tokens returns the chunks' tokens in order.
func (m ModelInput) Tokens() []int {
	var out []int
	for _, c := range m.Chunks {
		out = append(out, c.Tokens...)
	}
	return out
}

// UnmarshalJSON decodes {"chunks": [...]} strictly.
func (m *ModelInput) UnmarshalJSON(raw []byte) error {
	*m = ModelInput{Chunks: []Chunk{}}
	return decodeObject(raw, field{name: "chunks", required: true, dec: func(raw []byte) error {
		_, err := decodeList(raw, func(_ int, raw []byte) error {
			var c Chunk
			if err := c.UnmarshalJSON(raw); err != nil {
				return err
			}
			m.Chunks = append(m.Chunks, c)
			return nil
		})
		return err
	}})
}

// UnmarshalJSON decodes {"tokens": [...], "type": "encoded_text"}; a
// missing type is encoded_text, the chunk's default.
func (c *Chunk) UnmarshalJSON(raw []byte) error {
	*c = Chunk{Type: "encoded_text"}
	var typ string
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err == nil {
		if t, ok := probe["type"]; ok && json.Unmarshal(t, &typ) == nil && typ != "encoded_text" {
			return fieldErrorf("type", "%q chunks are not supported (token chunks only: \"encoded_text\")", typ)
		}
	}
	return decodeObject(raw,
		field{name: "tokens", dst: &c.Tokens, required: true},
		field{name: "type", dec: literal("encoded_text")},
	)
}

// LossFnInputs maps the names of a loss's per-token inputs (target_tokens,
// weights, logprobs, advantages) to their tensors.
type LossFnInputs map[string]TensorData

// Datum is one training example: the model's input and the loss's
// per-token inputs, each as long as the input.
type Datum struct {
	LossFnInputs LossFnInputs `json:"loss_fn_inputs"`
	ModelInput   ModelInput   `json:"model_input"`
}

// UnmarshalJSON decodes a datum strictly, naming a bad tensor by its key.
func (d *Datum) UnmarshalJSON(raw []byte) error {
	*d = Datum{LossFnInputs: LossFnInputs{}}
	return decodeObject(raw,
		field{name: "loss_fn_inputs", required: true, dec: func(raw []byte) error {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				var t TensorData
				if err := t.UnmarshalJSON(m[k]); err != nil {
					return under(k, err)
				}
				d.LossFnInputs[k] = t
			}
			return nil
		}},
		field{name: "model_input", dst: &d.ModelInput, required: true},
	)
}

// ForwardBackwardInput is a batch of data with the loss to apply.
type ForwardBackwardInput struct {
	Data         []Datum            `json:"data"`
	LossFn       string             `json:"loss_fn"`
	LossFnConfig map[string]float64 `json:"loss_fn_config,omitempty"`
}

// UnmarshalJSON decodes the input strictly, naming a bad datum by index.
func (in *ForwardBackwardInput) UnmarshalJSON(raw []byte) error {
	*in = ForwardBackwardInput{Data: []Datum{}}
	return decodeObject(raw,
		field{name: "data", required: true, dec: func(raw []byte) error {
			_, err := decodeList(raw, func(_ int, raw []byte) error {
				var d Datum
				if err := d.UnmarshalJSON(raw); err != nil {
					return err
				}
				in.Data = append(in.Data, d)
				return nil
			})
			return err
		}},
		field{name: "loss_fn", dst: &in.LossFn, required: true},
		field{name: "loss_fn_config", dst: &in.LossFnConfig},
	)
}

// String names the datum count and loss, for logs.
func (in ForwardBackwardInput) String() string {
	return fmt.Sprintf("%d datums, %s", len(in.Data), in.LossFn)
}
