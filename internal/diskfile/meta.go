package diskfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ReadMeta reads dir/meta.json into v, an index's description, after
// checking that it names format at version (its "format" and "version"
// fields). It returns the file's path for the caller's further errors;
// kind names the index ("BM25 index") in the errors of a missing or
// unreadable file.
func ReadMeta(dir, kind, format string, version int, v any) (string, error) {
	path := filepath.Join(dir, "meta.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return path, fmt.Errorf("%s: no meta.json: not a %s directory, or an unfinished build", dir, kind)
		}
		return path, fmt.Errorf("read %s meta: %w", kind, err)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return path, fmt.Errorf("%s: %w", path, err)
	}
	if head.Format != format {
		return path, fmt.Errorf("%s: format %q, want %q", path, head.Format, format)
	}
	if head.Version != version {
		return path, fmt.Errorf("%s: format version %d, this build reads version %d (rebuild the index)", path, head.Version, version)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return path, fmt.Errorf("%s: %w", path, err)
	}
	return path, nil
}
