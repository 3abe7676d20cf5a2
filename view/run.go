package view

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"research/eval"
	"research/rl/trainer"
)

// Run is an output directory and what was found in it. Opening one reads
// only the directory listings and the small files (config, report); the
// metrics and the dumps are read when a page asks for them.
type Run struct {
	Dir string
	// TrainDir holds config.yaml, metrics.jsonl and rollouts/ of a
	// research train run: Dir itself, or Dir/train for a demo. Empty when
	// the run did not train.
	TrainDir string
	// EvalDir holds <method>/<dataset>.jsonl results of research eval.
	EvalDir string
	// Kind is "train", "demo" or "eval", for the page title.
	Kind string

	ConfigText string          // config.yaml as written
	Config     *trainer.Config // nil when absent or unreadable
	ConfigErr  string

	Report    *Doc // report.md of a demo or eval run
	ReportErr string

	// IndexDir is the BM25 index the run names, when it exists here.
	IndexDir string

	metrics *metricsLog
	dumps   *dumpCache
	types   *typeIndex
	evals   *evalCache
	search  *searcher
	tok     tokenizerOnce
}

// Open inspects dir. It fails only when dir is not a directory or holds
// nothing a run writes.
func Open(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("view: %s is not a directory", dir)
	}
	r := &Run{Dir: dir}
	switch {
	case isTrainDir(dir):
		r.TrainDir, r.Kind = dir, "train"
	case isTrainDir(filepath.Join(dir, "train")):
		r.TrainDir, r.Kind = filepath.Join(dir, "train"), "demo"
	}
	if hasEvalResults(dir) {
		r.EvalDir = dir
		if r.Kind == "" {
			r.Kind = "eval"
		}
	}
	if r.Kind == "" {
		return nil, fmt.Errorf("view: %s holds no run (want metrics.jsonl or config.yaml, train/ of a demo, or <method>/<dataset>.jsonl of an eval)", dir)
	}
	if r.TrainDir != "" {
		r.readConfig()
	}
	r.readReport()
	metricsPath := ""
	if r.TrainDir != "" {
		metricsPath = filepath.Join(r.TrainDir, "metrics.jsonl")
	}
	r.metrics = newMetricsLog(metricsPath)
	r.dumps = newDumpCache(16)
	r.evals = newEvalCache(r.EvalDir)
	r.types = newTypeIndex(r.dataFiles())
	r.IndexDir = r.findIndex()
	r.search = newSearcher(r.IndexDir)
	return r, nil
}

// Close releases the search index, if one was opened.
func (r *Run) Close() error { return r.search.close() }

func isTrainDir(dir string) bool {
	for _, name := range []string{"metrics.jsonl", "config.yaml", "rollouts"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

func hasEvalResults(dir string) bool {
	for _, m := range eval.Methods {
		if files, _ := filepath.Glob(filepath.Join(dir, string(m), "*.jsonl")); len(files) > 0 {
			return true
		}
	}
	return false
}

// readConfig reads config.yaml leniently: a key this build does not know
// should not hide the rest of the run.
func (r *Run) readConfig() {
	data, err := os.ReadFile(filepath.Join(r.TrainDir, "config.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		r.ConfigErr = err.Error()
		return
	}
	r.ConfigText = string(data)
	cfg := trainer.Defaults()
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		r.ConfigErr = fmt.Sprintf("%s: %v", filepath.Join(r.TrainDir, "config.yaml"), err)
		return
	}
	r.Config = &cfg
}

func (r *Run) readReport() {
	path := filepath.Join(r.Dir, "report.md")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		r.ReportErr = err.Error()
		return
	}
	r.Report = ParseMarkdown(string(data))
}

// dataFiles lists the question files the run read, for their question
// types: the train config's data, and each eval manifest's.
func (r *Run) dataFiles() []string {
	var paths []string
	if c := r.Config; c != nil {
		paths = append(paths, c.Data.Train...)
		paths = append(paths, c.Data.Val...)
	}
	for _, m := range r.evals.manifests() {
		for _, d := range m.Data {
			paths = append(paths, d.Path)
		}
	}
	var out []string
	for _, p := range paths {
		if f := r.resolve(p); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// findIndex returns the BM25 index the run names: the train config's
// retriever, a demo's index/, or an eval manifest's bm25 retriever.
func (r *Run) findIndex() string {
	var cands []string
	if c := r.Config; c != nil && c.Retriever.Index != "" {
		cands = append(cands, c.Retriever.Index)
	}
	cands = append(cands, filepath.Join(r.Dir, "index"))
	for _, m := range r.evals.manifests() {
		if m.Retriever.Kind == "bm25" {
			cands = append(cands, m.Retriever.Location)
		}
	}
	for _, c := range cands {
		if p := r.resolve(c); p != "" {
			if _, err := os.Stat(filepath.Join(p, "meta.json")); err == nil {
				return p
			}
		}
	}
	return ""
}

// resolve finds a path a run recorded: as written (absolute, or relative
// to the working directory), else relative to the run, dropping leading
// components, since a run records paths relative to where it was started
// ("runs/demo/world/dev.jsonl" is dev.jsonl under Dir/world). It returns ""
// when nothing exists.
func (r *Run) resolve(p string) string {
	if p == "" {
		return ""
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if filepath.IsAbs(p) {
		p = strings.TrimPrefix(p, string(filepath.Separator))
	}
	roots := []string{r.Dir}
	if r.TrainDir != "" && r.TrainDir != r.Dir {
		roots = append(roots, r.TrainDir)
	}
	comps := strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
	for i := range comps {
		rest := filepath.Join(comps[i:]...)
		for _, root := range roots {
			c := filepath.Join(root, rest)
			// A recorded path must not climb out of the run.
			if !strings.HasPrefix(c, filepath.Clean(root)+string(filepath.Separator)) {
				continue
			}
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
	}
	return ""
}
