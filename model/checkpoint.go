package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"research/safetensors"
)

// Checkpoint is a model's weights: either dir/model.safetensors or the shards
// listed by dir/model.safetensors.index.json.
type Checkpoint struct {
	Dir   string
	files []*safetensors.File
	where map[string]*safetensors.File // tensor name → file holding it
}

// OpenCheckpoint opens the safetensors weights in dir, preferring a single
// model.safetensors over a sharded index.
func OpenCheckpoint(dir string) (*Checkpoint, error) {
	c := &Checkpoint{Dir: dir, where: map[string]*safetensors.File{}}
	single := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(single); err == nil {
		if err := c.add(single, nil); err != nil {
			return nil, err
		}
		return c, nil
	}
	index := filepath.Join(dir, "model.safetensors.index.json")
	data, err := os.ReadFile(index)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no model.safetensors or model.safetensors.index.json", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint index: %w", err)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", index, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: empty weight_map", index)
	}
	shards := map[string][]string{}
	for name, file := range idx.WeightMap {
		if file == "" || strings.ContainsAny(file, `/\`) || file == "." || file == ".." {
			return nil, fmt.Errorf("%s: tensor %q: shard name %q must be a plain file name in the same directory", index, name, file)
		}
		shards[file] = append(shards[file], name)
	}
	files := make([]string, 0, len(shards))
	for f := range shards {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		if err := c.add(filepath.Join(dir, f), shards[f]); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", index, err)
		}
	}
	return c, nil
}

// add opens one file; want, if given, lists the tensors the index promised it holds.
func (c *Checkpoint) add(path string, want []string) error {
	s, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	c.files = append(c.files, s)
	if want == nil {
		want = s.Names()
	}
	for _, name := range want {
		if _, ok := s.Tensors[name]; !ok {
			return fmt.Errorf("%s does not hold tensor %q listed in the index", path, name)
		}
		c.where[name] = s
	}
	return nil
}

// Has reports whether the checkpoint holds the named tensor.
func (c *Checkpoint) Has(name string) bool { _, ok := c.where[name]; return ok }

// Tensor returns the named tensor as float32, checking that its shape is want.
func (c *Checkpoint) Tensor(name string, want ...int) ([]float32, error) {
	s, ok := c.where[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing tensor %q", c.Dir, name)
	}
	data, shape, err := s.Float32(name)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(shape, want) {
		return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", s.Path, name, shape, want)
	}
	return data, nil
}

// TensorBF16 returns the named tensor as bfloat16 bits, checking that its
// shape is want: a BF16 tensor in place, F32 and F16 rounded (see
// safetensors.File.BF16).
func (c *Checkpoint) TensorBF16(name string, want ...int) ([]uint16, error) {
	s, ok := c.where[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing tensor %q", c.Dir, name)
	}
	data, shape, err := s.BF16(name)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(shape, want) {
		return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", s.Path, name, shape, want)
	}
	return data, nil
}

// Close unmaps every file of the checkpoint.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files = nil
	return errors.Join(errs...)
}
