package tinker

import (
	"fmt"
	"strings"
)

// Checkpoint kinds, the middle part of a tinker:// path.
const (
	KindWeights        = "weights"         // training state: adapters and optimizer (save_weights)
	KindSamplerWeights = "sampler_weights" // adapters for sampling (save_weights_for_sampler)
)

// Path is a parsed tinker://<model_id>/<kind>/<name> checkpoint path.
type Path struct {
	ModelID, Kind, Name string
}

// String writes the tinker:// form.
func (p Path) String() string { return "tinker://" + p.ModelID + "/" + p.Kind + "/" + p.Name }

// ParsePath reads a tinker://<model_id>/<kind>/<name> path.
func ParsePath(s string) (Path, error) {
	rest, ok := strings.CutPrefix(s, "tinker://")
	if !ok {
		return Path{}, fmt.Errorf("%q: want tinker://<model_id>/%s/<name> or tinker://<model_id>/%s/<name>", s, KindWeights, KindSamplerWeights)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" {
		return Path{}, fmt.Errorf("%q: want tinker://<model_id>/<kind>/<name>", s)
	}
	p := Path{ModelID: parts[0], Kind: parts[1], Name: parts[2]}
	if p.Kind != KindWeights && p.Kind != KindSamplerWeights {
		return Path{}, fmt.Errorf("%q: kind %q: want %s or %s", s, p.Kind, KindWeights, KindSamplerWeights)
	}
	if err := CheckName(p.Name); err != nil {
		return Path{}, fmt.Errorf("%q: %w", s, err)
	}
	if err := CheckName(strings.ReplaceAll(p.ModelID, ":", "_")); err != nil {
		return Path{}, fmt.Errorf("%q: model id: %w", s, err)
	}
	return p, nil
}

// CheckName accepts a checkpoint name that is safe as one file name:
// letters, digits, '_', '-' and '.', at most 128 bytes, not "." or "..".
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 128 {
		return fmt.Errorf("checkpoint name %q: want 1 to 128 of A-Z a-z 0-9 _ - .", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("checkpoint name %q: character %q: want only A-Z a-z 0-9 _ - .", name, r)
		}
	}
	return nil
}
