package trainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"research/internal/jsonl"
	"research/internal/safefile"
)

// runStateVersion is the format version of run_state.json.
const runStateVersion = 1

// runState is what a checkpoint holds beyond the engine's own state: the
// trainer's step (the data order and sampling seeds follow from it) and
// the best validation reward.
type runState struct {
	Version int     `json:"research_run_state_version"`
	Step    int     `json:"step"`
	Best    float64 `json:"best_val_reward"`
	// Extra counts the questions dynamic sampling drew beyond the steps'
	// batches: the data order continues after them.
	Extra int `json:"extra_questions,omitempty"`
}

const runStateFile = "run_state.json"

func (t *Trainer) checkpointDir() string { return filepath.Join(t.Config.Train.Out, "checkpoints") }

// save writes checkpoints/step-NNNNNN and removes all but the newest Keep.
func (t *Trainer) save() error {
	if err := t.saveTo(filepath.Join(t.checkpointDir(), fmt.Sprintf("step-%06d", t.step))); err != nil {
		return err
	}
	steps := t.checkpoints()
	for len(steps) > max(t.Config.Train.Keep, 1) {
		if err := os.RemoveAll(steps[0]); err != nil {
			return err
		}
		steps = steps[1:]
	}
	return nil
}

// saveTo writes a whole checkpoint; the run state goes last, so a
// directory without it is an incomplete checkpoint that resume skips.
func (t *Trainer) saveTo(dir string) error {
	os.Remove(filepath.Join(dir, runStateFile))
	if err := t.backend.Save(dir); err != nil {
		return err
	}
	for _, name := range []string{"tokenizer.json"} {
		if err := t.tok.Save(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	st := runState{Version: runStateVersion, Step: t.step, Best: t.best, Extra: t.extra}
	return safefile.Write(filepath.Join(dir, runStateFile), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(st)
	})
}

// checkpoints lists the complete step checkpoints, oldest first.
func (t *Trainer) checkpoints() []string {
	entries, _ := os.ReadDir(t.checkpointDir())
	var out []string
	for _, e := range entries {
		dir := filepath.Join(t.checkpointDir(), e.Name())
		if _, err := os.Stat(filepath.Join(dir, runStateFile)); err == nil && strings.HasPrefix(e.Name(), "step-") {
			out = append(out, dir)
		}
	}
	sort.Strings(out)
	return out
}

// resume loads the newest complete checkpoint and drops the metrics logged
// after it, so the curves continue where the checkpoint left off.
func (t *Trainer) resume() error {
	steps := t.checkpoints()
	if len(steps) == 0 {
		return fmt.Errorf("resume: no complete checkpoint in %s", t.checkpointDir())
	}
	if err := t.load(steps[len(steps)-1]); err != nil {
		return err
	}
	fmt.Fprintf(t.Log, "resumed from %s (step %d)\n", steps[len(steps)-1], t.step)
	return t.truncateMetrics()
}

func (t *Trainer) load(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, runStateFile))
	if err != nil {
		return fmt.Errorf("load checkpoint: %w", err)
	}
	var st runState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("load checkpoint: %s: %w", runStateFile, err)
	}
	if st.Version != runStateVersion {
		return fmt.Errorf("load checkpoint: %s: run state version %d; this build reads %d", dir, st.Version, runStateVersion)
	}
	if err := t.backend.Load(dir); err != nil {
		return err
	}
	t.step, t.best, t.extra = st.Step, st.Best, st.Extra
	return nil
}

// truncateMetrics keeps the metric lines of steps up to the current one.
// A torn last line, from a kill mid-write, is dropped; any other line that
// is not a metrics record is an error naming it.
func (t *Trainer) truncateMetrics() error {
	path := filepath.Join(t.Config.Train.Out, "metrics.jsonl")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var kept bytes.Buffer
	t.history = nil
	_, err = jsonl.ReadComplete(f, path, func(n int, line []byte) error {
		var m Metrics
		if err := json.Unmarshal(line, &m); err != nil {
			return fmt.Errorf("%s:%d: not a metrics record: %w", path, n, err)
		}
		if m.Step > t.step {
			return nil // a step after the checkpoint
		}
		t.history = append(t.history, m)
		kept.Write(line)
		kept.WriteByte('\n')
		return nil
	})
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return safefile.Write(path, func(w io.Writer) error { _, err := w.Write(kept.Bytes()); return err })
}

// writeConfig writes the resolved configuration beside the outputs.
func (t *Trainer) writeConfig() error {
	data, err := t.Config.YAML()
	if err != nil {
		return err
	}
	return safefile.Write(filepath.Join(t.Config.Train.Out, "config.yaml"), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
