package train

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"research/internal/safefile"
	"research/model"
	"research/safetensors"
)

// CheckpointVersion is the version of the checkpoint layout Save writes;
// Load refuses any other.
const CheckpointVersion = 1

// A checkpoint is a directory holding
//
//	config.json, model.safetensors                (full fine-tuning) or
//	adapter_config.json, adapter_model.safetensors (LoRA, PEFT layout)
//	optimizer.safetensors   AdamW moments: exp_avg.<name>, exp_avg_sq.<name>
//	trainer_state.json      format version, step, Adam's step, RNG state
//
// Each file is written atomically, trainer_state.json last: a checkpoint
// whose state file is missing is incomplete.
const (
	stateFile     = "trainer_state.json"
	optimizerFile = "optimizer.safetensors"
)

type trainerState struct {
	Version   int    `json:"research_train_checkpoint_version"`
	Step      int    `json:"step"`
	AdamSteps int    `json:"adam_steps"`
	LoRA      bool   `json:"lora"`
	RNG       []byte `json:"rng,omitempty"` // the caller's generator, as it marshals itself
}

// Save writes a checkpoint of the trained weights, the optimizer state, the
// step and rng's state (nil for none) to dir.
func (e *Engine) Save(dir string, rng encoding.BinaryMarshaler) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	var err error
	if e.LoRA != nil {
		err = e.LoRA.Save(dir, "")
	} else {
		err = e.Model.Save(dir, "F32")
	}
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	var ts []safetensors.Tensor
	for i, p := range e.params {
		ts = append(ts, safetensors.Tensor{Name: "exp_avg." + p.Name, Shape: p.Shape, Data: e.adam.m[i]},
			safetensors.Tensor{Name: "exp_avg_sq." + p.Name, Shape: p.Shape, Data: e.adam.v[i]})
	}
	if err := safetensors.Write(filepath.Join(dir, optimizerFile), ts, "F32", nil); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	st := trainerState{Version: CheckpointVersion, Step: e.step, AdamSteps: e.adam.steps, LoRA: e.LoRA != nil}
	if rng != nil {
		if st.RNG, err = rng.MarshalBinary(); err != nil {
			return fmt.Errorf("save checkpoint: rng state: %w", err)
		}
	}
	return safefile.Write(filepath.Join(dir, stateFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
}

// Load restores a checkpoint written by Save into the engine: the trained
// weights, the optimizer state, the step and, if rng is not nil, rng's state.
// The engine must train the same kind of weights (full or LoRA) of the same
// shapes. A failed Load may leave the engine partly loaded: start again
// from a fresh engine.
func (e *Engine) Load(dir string, rng encoding.BinaryUnmarshaler) error {
	path := filepath.Join(dir, stateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("load checkpoint: %s: no %s (not a checkpoint, or an incomplete one)", dir, stateFile)
	}
	if err != nil {
		return fmt.Errorf("load checkpoint: %w", err)
	}
	st, err := parseState(data)
	if err != nil {
		return fmt.Errorf("load checkpoint: %s: %w", path, err)
	}
	if st.LoRA != (e.LoRA != nil) {
		return fmt.Errorf("load checkpoint: %s: lora %v, but this run's lora is %v", path, st.LoRA, e.LoRA != nil)
	}
	weights := "model.safetensors"
	if st.LoRA {
		weights = "adapter_model.safetensors"
	}
	if err := readInto(filepath.Join(dir, weights), e.params); err != nil {
		return err
	}
	moments := make([]model.Param, 0, 2*len(e.params))
	for i, p := range e.params {
		moments = append(moments, model.Param{Name: "exp_avg." + p.Name, Shape: p.Shape, Data: e.adam.m[i]},
			model.Param{Name: "exp_avg_sq." + p.Name, Shape: p.Shape, Data: e.adam.v[i]})
	}
	if err := readInto(filepath.Join(dir, optimizerFile), moments); err != nil {
		return err
	}
	if rng != nil {
		if err := rng.UnmarshalBinary(st.RNG); err != nil {
			return fmt.Errorf("load checkpoint: %s: rng state: %w", path, err)
		}
	}
	e.step, e.adam.steps = st.Step, st.AdamSteps
	e.ZeroGrads()
	return nil
}

// parseState reads trainer_state.json, refusing versions this build does not
// know.
func parseState(data []byte) (trainerState, error) {
	var st trainerState
	if err := json.Unmarshal(data, &st); err != nil {
		return trainerState{}, err
	}
	if st.Version != CheckpointVersion {
		return trainerState{}, fmt.Errorf("format version %d is not supported (this build reads %d)", st.Version, CheckpointVersion)
	}
	if st.Step < 0 || st.AdamSteps < 0 {
		return trainerState{}, fmt.Errorf("negative step (%d, adam %d)", st.Step, st.AdamSteps)
	}
	return st, nil
}

// readInto copies every listed tensor from the safetensors file at path into
// its Data, checking shapes.
func readInto(path string, ps []model.Param) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("load checkpoint: %w", err)
	}
	defer f.Close()
	for _, p := range ps {
		data, shape, err := f.Float32(p.Name)
		if err != nil {
			return fmt.Errorf("load checkpoint: %s: %w", path, err)
		}
		if !slices.Equal(shape, p.Shape) {
			return fmt.Errorf("load checkpoint: %s: tensor %q has shape %v, want %v", path, p.Name, shape, p.Shape)
		}
		copy(p.Data, data)
	}
	return nil
}
