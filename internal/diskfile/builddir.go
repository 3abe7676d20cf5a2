package diskfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// buildMarker is the file that marks a temporary build directory as ours:
// it names the index format and the process that builds it, so that a
// later build can tell a directory left by a killed build from a running
// one, or from a stranger's.
const buildMarker = ".research-build.json"

type marker struct {
	Format string `json:"format"`
	PID    int    `json:"pid"`
	Host   string `json:"host"`
}

// NewBuildDir prepares a build of an index of format (the "format" field
// of its meta.json) into out and returns the temporary directory, next to
// out, to write it in; ReplaceDir moves it into place. out must be absent
// or, with overwrite, an index of format or an empty folder: anything else (a folder of
// notes, a file) is refused, never deleted. Temporary directories that
// earlier builds of out left when they were killed are removed first.
func NewBuildDir(out, format string, overwrite bool) (string, error) {
	if err := checkReplaceable(out, format, overwrite); err != nil {
		return "", err
	}
	removeStale(out, format)
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), filepath.Base(filepath.Clean(out))+".tmp-")
	if err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	host, _ := os.Hostname()
	raw, _ := json.Marshal(marker{Format: format, PID: os.Getpid(), Host: host})
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("create build directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, buildMarker), raw, 0o644); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("create build directory: %w", err)
	}
	return tmp, nil
}

// checkReplaceable refuses an out that a build must not replace.
func checkReplaceable(out, format string, overwrite bool) error {
	st, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("check %s: %w", out, err)
	case !overwrite:
		return fmt.Errorf("%s already exists (use --force to replace it)", out)
	case !st.IsDir():
		return fmt.Errorf("%s is a file, not a %s index: refusing to replace it (remove it yourself or pick another --out)", out, format)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) == 0 {
		return nil // an empty folder holds nothing to lose
	}
	if got := metaFormat(out); got != format {
		what := "has no readable meta.json"
		if got != "" {
			what = fmt.Sprintf("holds a %q index", got)
		}
		return fmt.Errorf("%s %s, so it is not a %s index: refusing to replace it (remove it yourself or pick another --out)", out, what, format)
	}
	return nil
}

// metaFormat is the "format" field of dir/meta.json, or "" when there is
// none. Any version counts: an index of an older version is still ours.
func metaFormat(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return ""
	}
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(raw, &head) != nil {
		return ""
	}
	return head.Format
}

// removeStale removes what killed builds of out left next to it: build
// directories whose marker names format and a process of this host that is
// gone, and the old index ReplaceDir moves aside (tmp + ".old") when it
// holds an index of format. Directories of another name, another format,
// without a marker, or of a live or foreign process are left alone.
// Failures are ignored: a stale directory wastes space, nothing more.
func removeStale(out, format string) {
	out = filepath.Clean(out)
	parent := filepath.Dir(out)
	pattern := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(out)) + `\.tmp-[0-9]+(\.old)?$`)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	host, _ := os.Hostname()
	for _, e := range entries {
		m := pattern.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if m[1] != "" {
			if metaFormat(dir) == format {
				os.RemoveAll(dir)
			}
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, buildMarker))
		if err != nil {
			continue
		}
		var mk marker
		if json.Unmarshal(raw, &mk) != nil || mk.Format != format || mk.Host != host || mk.PID <= 0 || processAlive(mk.PID) {
			continue
		}
		os.RemoveAll(dir)
	}
}
