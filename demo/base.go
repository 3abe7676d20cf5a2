package demo

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"research/internal/safefile"
	"research/pretrain"
	"research/world"
)

// shipped is the base policy the demo starts from, pretrained on World
// in pretrain.DefaultStages (base/README.md has the commands).
//
//go:embed base/config.json base/model.safetensors base/tokenizer.json base/pretrain.json
var shipped embed.FS

// basePolicy returns the directory of the base policy of the run: the one
// in cfg.Base, a new one pretrained in out/base, or the shipped one written
// out to out/base. A base policy made for another world is refused: its
// held-out worlds could overlap this world's train world.
func basePolicy(g *world.Generation, cfg Config, log io.Writer) (string, error) {
	dir := filepath.Join(cfg.Out, "base")
	switch {
	case cfg.Pretrain:
		return dir, pretrainStages(g, dir, cfg.Stages, log)
	case cfg.Base != "":
		dir = cfg.Base
	default:
		if err := WriteBase(dir); err != nil {
			return "", err
		}
	}
	return dir, checkWorld(dir, cfg.World)
}

// pretrainStages builds the base policy in dir in stages, each after the
// first continuing the one before, in a directory of its own beside dir.
func pretrainStages(g *world.Generation, dir string, stages []pretrain.Shape, log io.Writer) error {
	from := ""
	for i, s := range stages {
		out := dir
		if i < len(stages)-1 {
			out = fmt.Sprintf("%s-stage%d", dir, i+1)
		}
		fmt.Fprintf(log, "demo: pretraining the base policy, stage %d of %d\n", i+1, len(stages))
		s.From = from
		if err := pretrain.Build(g, out, s, log); err != nil {
			return fmt.Errorf("stage %d: %w", i+1, err)
		}
		from = out
	}
	return nil
}

// WriteBase writes the shipped base policy into dir, for a user or a
// test to load as a model directory.
func WriteBase(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fs.WalkDir(shipped, "base", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := shipped.ReadFile(path)
		if err != nil {
			return err
		}
		return safefile.Write(filepath.Join(dir, d.Name()), func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
	})
}

// checkWorld refuses a base policy whose pretrain.json names another world.
func checkWorld(dir string, want world.Config) error {
	data, err := os.ReadFile(filepath.Join(dir, "pretrain.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("base policy %s: no pretrain.json, so its world is unknown; make it with research pretrain", dir)
	}
	if err != nil {
		return err
	}
	var summary struct {
		World world.Config `json:"world"`
	}
	if err := json.Unmarshal(data, &summary); err != nil {
		return fmt.Errorf("base policy %s: pretrain.json: %w", dir, err)
	}
	if !reflect.DeepEqual(summary.World, want) {
		return fmt.Errorf("base policy %s was pretrained on world %+v, not this run's %+v: pretrain one for this world (--pretrain)",
			dir, summary.World, want)
	}
	return nil
}
