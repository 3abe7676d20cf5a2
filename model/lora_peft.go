package model

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"research/internal/safefile"
	"research/safetensors"
)

// peftConfig is the part of PEFT's adapter_config.json that fixes a LoRA
// adapter's shape; fields that would change its meaning are read so that
// adapters using them are refused rather than misapplied.
type peftConfig struct {
	PEFTType       string   `json:"peft_type"`
	TaskType       string   `json:"task_type,omitempty"`
	R              int      `json:"r"`
	LoRAAlpha      float64  `json:"lora_alpha"`
	TargetModules  []string `json:"target_modules"`
	LoRADropout    float64  `json:"lora_dropout"`
	Bias           string   `json:"bias"`
	FanInFanOut    bool     `json:"fan_in_fan_out"`
	BaseModel      *string  `json:"base_model_name_or_path"`
	InferenceMode  bool     `json:"inference_mode"`
	UseRSLoRA      bool     `json:"use_rslora,omitempty"`
	UseDoRA        bool     `json:"use_dora,omitempty"`
	LayersToTransf any      `json:"layers_to_transform,omitempty"`
	RankPattern    any      `json:"rank_pattern,omitempty"`
	AlphaPattern   any      `json:"alpha_pattern,omitempty"`
}

// LoadLoRA reads a PEFT LoRA adapter (adapter_config.json and
// adapter_model.safetensors) from dir for a model of shape c.
func LoadLoRA(dir string, c *Config) (*LoRA, error) {
	path := filepath.Join(dir, "adapter_config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load lora: %w", err)
	}
	l, err := parseLoRAConfig(data, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	wpath := filepath.Join(dir, "adapter_model.safetensors")
	st, err := safetensors.Open(wpath)
	if err != nil {
		return nil, fmt.Errorf("load lora: %w", err)
	}
	defer st.Close()
	for _, p := range l.Params() {
		data, shape, err := st.Float32(p.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", wpath, err)
		}
		if !slices.Equal(shape, p.Shape) {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", wpath, p.Name, shape, p.Shape)
		}
		copy(p.Data, data)
	}
	return l, nil
}

// parseLoRAConfig reads adapter_config.json and returns zeroed adapters of
// its shape for a model of shape c.
func parseLoRAConfig(data []byte, c *Config) (*LoRA, error) {
	var pc peftConfig
	if err := json.Unmarshal(data, &pc); err != nil {
		return nil, fmt.Errorf("%w (target_modules must be a list of module names)", err)
	}
	if err := pc.supported(); err != nil {
		return nil, err
	}
	return emptyLoRA(c, pc.R, pc.LoRAAlpha, pc.TargetModules)
}

func (pc *peftConfig) supported() error {
	switch {
	case pc.PEFTType != "LORA":
		return fmt.Errorf("peft_type %q: only LORA adapters are supported", pc.PEFTType)
	case pc.FanInFanOut:
		return fmt.Errorf("fan_in_fan_out: transposed adapters are not supported")
	case pc.Bias != "" && pc.Bias != "none":
		return fmt.Errorf("bias %q: only \"none\" is supported", pc.Bias)
	case pc.UseRSLoRA || pc.UseDoRA:
		return fmt.Errorf("use_rslora / use_dora are not supported")
	case pc.LayersToTransf != nil:
		return fmt.Errorf("layers_to_transform: adapters on some layers only are not supported")
	case !emptyPattern(pc.RankPattern) || !emptyPattern(pc.AlphaPattern):
		return fmt.Errorf("rank_pattern / alpha_pattern: per-module ranks are not supported")
	}
	return nil
}

func emptyPattern(p any) bool {
	m, ok := p.(map[string]any)
	return p == nil || (ok && len(m) == 0)
}

// Save writes the adapters to dir in PEFT's layout, each file atomically:
// adapter_config.json and adapter_model.safetensors (F32), which HF PEFT
// and vLLM load. base names the base model in the config ("" for none).
func (l *LoRA) Save(dir, base string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save lora: %w", err)
	}
	var ts []safetensors.Tensor
	for _, p := range l.Params() {
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Shape, Data: p.Data})
	}
	if err := safetensors.Write(filepath.Join(dir, "adapter_model.safetensors"), ts, "F32", nil); err != nil {
		return err
	}
	pc := peftConfig{PEFTType: "LORA", TaskType: "CAUSAL_LM", R: l.Rank, LoRAAlpha: l.Alpha,
		TargetModules: l.Targets, Bias: "none", InferenceMode: true}
	if base != "" {
		pc.BaseModel = &base
	}
	data, err := json.MarshalIndent(pc, "", "  ")
	if err != nil {
		return fmt.Errorf("save lora: %w", err)
	}
	return safefile.Write(filepath.Join(dir, "adapter_config.json"), func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
