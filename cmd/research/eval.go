package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"research/dataset"
	"research/eval"
	"research/eval/judge"
	"research/internal/progress"
)

func init() {
	rootCmd.AddCommand(newEvalCmd())
	rootCmd.AddCommand(newEvalReportCmd())
}

// judgeFlags configure the optional LLM judge.
type judgeFlags struct {
	url, model, apiKey string
	workers, attempts  int
	timeoutSec         int
}

func (j *judgeFlags) register(f *pflag.FlagSet) {
	f.StringVar(&j.url, "judge-url", "", "LLM judge: base URL of an OpenAI-compatible API (…/v1); no judging when empty")
	f.StringVar(&j.model, "judge-model", "gpt-4o-mini", "LLM judge: model name")
	f.StringVar(&j.apiKey, "judge-api-key", "", "LLM judge: bearer token (default: $OPENAI_API_KEY)")
	f.IntVar(&j.workers, "judge-workers", 10, "LLM judge: requests in flight")
	f.IntVar(&j.attempts, "judge-attempts", 5, "LLM judge: attempts per verdict before it counts as a failure")
	f.IntVar(&j.timeoutSec, "judge-timeout", 120, "LLM judge: seconds per request")
}

// open returns the judge, or nil when none was asked for.
func (j *judgeFlags) open(dir string) (*judge.Judge, error) {
	if j.url == "" {
		return nil, nil
	}
	key := j.apiKey
	if key == "" {
		key = os.Getenv("OPENAI_API_KEY")
	}
	cfg := judge.Defaults(j.url, key, j.model)
	cfg.Attempts, cfg.CachePath = j.attempts, filepath.Join(dir, eval.JudgeCacheFile)
	cfg.Timeout = time.Duration(j.timeoutSec) * time.Second
	if j.workers <= 0 || j.timeoutSec <= 0 {
		return nil, fmt.Errorf("--judge-workers %d and --judge-timeout %d: want > 0", j.workers, j.timeoutSec)
	}
	jd, err := judge.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("--judge-*: %w", err)
	}
	return jd, nil
}

func newEvalCmd() *cobra.Command {
	var (
		flags     agentFlags
		jf        judgeFlags
		method    string
		data      []string
		names     []string
		out       string
		workers   int
		maxTokens int
		maxPrompt int
		topK      int
		limit     int
	)
	cmd := &cobra.Command{
		Use:   "eval --method METHOD --data FILE[,FILE…] --out DIR (--model DIR | --llm-url URL) (--index DIR | --search-url URL)",
		Short: "Evaluate a policy on QA datasets with ReSearch or a FlashRAG baseline; EM / F1 / acc / LLM judge; Table 2 report",
		Long: `Eval runs every question of each dataset through one method, greedily:

  research     the ReSearch loop (think, <search>, read results, <answer>\boxed{})
  naive-gen    FlashRAG zero-shot generation
  naive-rag    FlashRAG standard RAG: top-k passages in its default prompt
  iter-retgen  FlashRAG Iter-RetGen, 3 iterations
  ircot        FlashRAG IRCoT, up to 5 iterations

Any dataset format the readers know works (FlashRAG, R1-Searcher, HotpotQA,
MuSiQue, veRL parquet). Results go to DIR/<method>/<dataset>.jsonl, one line
per question with the prediction, EM/F1/acc, and the full trace (prompts,
retrievals, outputs; the whole trajectory for ReSearch). A rerun skips the
questions already there, so an interrupted run resumes; a rerun with another
policy, retriever, prompt or decoding into the same DIR is refused.

With --judge-url each result also gets the paper's LLM-as-a-judge verdict
(temperature 0, JSON mode, retried, cached in DIR/judge-cache.jsonl); judge
failures are counted and reported and stay in the denominator.

At the end DIR/report.md and DIR/report.json hold the paper's Table 2 for
every method and dataset in DIR (EM / LJ, then F1 / acc), with the run
manifests: data file hashes, index identity, retriever and top-k, prompt
hash, decoding, policy identity, tool version.`,
		Example: `  research eval --method research --data bamboogle.jsonl,hotpotqa_500.jsonl --out results \
      --model ckpt --index wiki/bm25 --judge-url https://api.openai.com/v1
  research eval --method ircot --data test.jsonl --out results \
      --llm-url http://127.0.0.1:8000/v1 --llm-model Qwen2.5-7B-Instruct --tokenizer Qwen2.5-7B-Instruct \
      --search-url http://127.0.0.1:8001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := eval.ParseMethod(method)
			if err != nil {
				return fmt.Errorf("--method: %w", err)
			}
			sets, err := readDatasets(data, names, limit)
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			jd, err := jf.open(out)
			if err != nil {
				return err
			}
			if jd != nil {
				defer jd.Close()
			}
			a, err := flags.build()
			if err != nil {
				return err
			}
			defer a.Close()
			cfg := eval.Defaults(m, a.Template, a.EOSIDs, a.EOSText)
			cfg.Workers, cfg.MaxTokens, cfg.MaxPromptTokens, cfg.TopK = workers, maxTokens, maxPrompt, topK
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("--workers, --max-tokens, --max-prompt-tokens, --top-k: %w", err)
			}
			man, err := evalManifest(&flags, a, cfg, sets)
			if err != nil {
				return err
			}
			if err := recordManifest(out, man); err != nil {
				return err
			}
			ctx, stop := signalContext(context.Background())
			defer stop()
			r := &eval.Runner{Policy: a.Policy, Retriever: a.Retriever, Tokenizer: a.Tokenizer, Config: cfg}
			for _, s := range sets {
				if err := evalDataset(ctx, cmd.ErrOrStderr(), r, out, s); err != nil {
					return interrupted(ctx, err)
				}
			}
			if jd != nil {
				if err := judgeDir(ctx, jd, out, []eval.Method{m}, jf.workers); err != nil {
					return interrupted(ctx, err)
				}
			}
			return writeReport(cmd.OutOrStdout(), out)
		},
	}
	f := cmd.Flags()
	flags.register(f)
	jf.register(f)
	f.StringVar(&method, "method", "research", "research, naive-gen, naive-rag, iter-retgen or ircot")
	f.StringSliceVar(&data, "data", nil, "dataset files, comma-separated")
	f.StringSliceVar(&names, "name", nil, "dataset names for the report, one per --data file (default: each file's base name)")
	f.StringVar(&out, "out", "", "results directory")
	f.IntVar(&workers, "workers", 8, "questions in flight")
	f.IntVar(&maxTokens, "max-tokens", 8192, "token budget: per generation for the baselines, per response (results included) for research")
	f.IntVar(&maxPrompt, "max-prompt-tokens", 8192, "baselines: a longer prompt keeps its first and last halves (FlashRAG's generator_max_input_len)")
	f.IntVar(&topK, "top-k", 5, "passages per retrieval")
	f.IntVar(&limit, "limit", 0, "evaluate only the first N questions of each file (0: all)")
	return cmd
}

func newEvalReportCmd() *cobra.Command {
	var jf judgeFlags
	cmd := &cobra.Command{
		Use:   "eval-report DIR",
		Short: "Judge pending results (with --judge-url) and rewrite the Table 2 report of a results directory",
		Long: `Eval-report reads every DIR/<method>/<dataset>.jsonl that research eval
wrote, asks the LLM judge about the results that have no verdict yet (or whose
judge failed) when --judge-url is given, and writes DIR/report.md and
DIR/report.json, printing the Markdown.`,
		Example: `  research eval-report results --judge-url http://127.0.0.1:8000/v1 --judge-model Qwen2.5-72B-Instruct`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return fmt.Errorf("%s is not a results directory of research eval", dir)
			}
			jd, err := jf.open(dir)
			if err != nil {
				return err
			}
			if jd != nil {
				defer jd.Close()
				ctx, stop := signalContext(context.Background())
				defer stop()
				if err := judgeDir(ctx, jd, dir, eval.Methods, jf.workers); err != nil {
					return interrupted(ctx, err)
				}
			}
			return writeReport(cmd.OutOrStdout(), dir)
		},
	}
	jf.register(cmd.Flags())
	return cmd
}

// namedSet is one dataset file read and named.
type namedSet struct {
	file     eval.DataFile
	examples []dataset.Example
}

func readDatasets(files, names []string, limit int) ([]namedSet, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("--data FILE[,FILE…] is required")
	}
	if len(names) > 0 && len(names) != len(files) {
		return nil, fmt.Errorf("--name gives %d names for %d --data files", len(names), len(files))
	}
	if limit < 0 {
		return nil, fmt.Errorf("--limit %d: want >= 0", limit)
	}
	var sets []namedSet
	seen := map[string]bool{}
	for i, path := range files {
		name := eval.DatasetName(path)
		if len(names) > 0 {
			name = names[i]
		}
		if err := eval.CheckDatasetName(name); err != nil {
			return nil, fmt.Errorf("--data %s: %w (set it with --name)", path, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("two datasets are named %q: tell them apart with --name", name)
		}
		seen[name] = true
		examples, err := dataset.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		if err := uniqueIDs(path, examples); err != nil {
			return nil, err
		}
		if limit > 0 && len(examples) > limit {
			examples = examples[:limit]
		}
		sum, err := eval.FileSHA256(path)
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", path, err)
		}
		sets = append(sets, namedSet{eval.DataFile{Name: name, Path: abs, SHA256: sum, Examples: len(examples)}, examples})
	}
	return sets, nil
}

// uniqueIDs refuses a dataset whose ids repeat: resuming skips by id.
func uniqueIDs(path string, examples []dataset.Example) error {
	seen := make(map[string]int, len(examples))
	for i, ex := range examples {
		if j, ok := seen[ex.ID]; ok {
			return fmt.Errorf("--data %s: questions %d and %d share the id %q", path, j+1, i+1, ex.ID)
		}
		seen[ex.ID] = i
	}
	return nil
}

// evalDataset runs the questions of one dataset that the results file does
// not hold yet, appending each result as it comes.
func evalDataset(ctx context.Context, log io.Writer, r *eval.Runner, dir string, s namedSet) error {
	path := eval.ResultsPath(dir, r.Config.Method, s.file.Name)
	o, err := eval.OpenOutput(path)
	if err != nil {
		return err
	}
	defer o.Close()
	retry, err := o.DropIncomplete()
	if err != nil {
		return err
	}
	if retry > 0 {
		fmt.Fprintf(log, "%s: running again %d questions whose results were incomplete\n", s.file.Name, retry)
	}
	var pending []dataset.Example
	for _, ex := range s.examples {
		if !o.Done(ex.ID) {
			pending = append(pending, ex)
		}
	}
	if done := len(s.examples) - len(pending); done > 0 {
		fmt.Fprintf(log, "%s: %d of %d questions already in %s\n", s.file.Name, done, len(s.examples), path)
	}
	if len(pending) == 0 {
		return nil
	}
	bar := progress.New(int64(len(pending)), fmt.Sprintf("%s %s", r.Config.Method, s.file.Name), "questions")
	defer bar.Finish()
	err = r.Run(ctx, s.file.Name, pending, func(rec *eval.Record) error {
		bar.Add(1)
		return o.Append(rec)
	})
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %d of %d results of %s kept in %s; rerun the same command to resume", len(o.Records()), len(s.examples), s.file.Name, path)
	}
	return err
}

// judgeDir judges the pending results of the given methods in dir.
func judgeDir(ctx context.Context, jd *judge.Judge, dir string, methods []eval.Method, workers int) error {
	for _, m := range methods {
		files, err := filepath.Glob(filepath.Join(dir, string(m), "*.jsonl"))
		if err != nil {
			return err
		}
		for _, path := range files {
			o, err := eval.OpenOutput(path)
			if err != nil {
				return err
			}
			records := o.Records()
			if n := eval.NeedJudging(records, true); n > 0 {
				bar := progress.New(int64(n), "judge "+string(m)+" "+strings.TrimSuffix(filepath.Base(path), ".jsonl"), "verdicts")
				records = eval.JudgeRecords(ctx, jd, records, workers, true, func() { bar.Add(1) })
				bar.Finish()
				err = o.Rewrite(records)
			}
			o.Close()
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return nil
}

// writeReport writes DIR/report.{json,md} and prints the Markdown.
func writeReport(w io.Writer, dir string) error {
	rep, err := eval.BuildReport(dir)
	if err != nil {
		return err
	}
	if err := rep.Write(filepath.Join(dir, eval.ReportJSON), filepath.Join(dir, eval.ReportMarkdown)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err = io.WriteString(w, rep.Markdown()); err != nil {
		return err
	}
	return incomplete(rep)
}

// incomplete fails a report whose results are incomplete (questions that
// could not be run, failed searches, judge failures), so that the exit
// status does not call such a run finished; the report is written first.
func incomplete(rep *eval.Report) error {
	var problems []string
	for _, c := range rep.Cells {
		if what := c.Incomplete(); what != "" {
			problems = append(problems, fmt.Sprintf("%s on %s: %s", c.Method, c.Dataset, what))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("results incomplete (see report.md): %s", strings.Join(problems, "; "))
}

// recordManifest checks a new run against the manifest of earlier runs of
// the method in dir and writes the merged manifest.
func recordManifest(dir string, m *eval.Manifest) error {
	mdir := filepath.Join(dir, string(m.Method))
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	path := filepath.Join(mdir, eval.ManifestFile)
	old, err := eval.ReadManifest(path)
	if err != nil {
		return err
	}
	if old != nil {
		if err := m.SameSetup(old); err != nil {
			return fmt.Errorf("%s holds results of another setup (%v): use another --out", mdir, err)
		}
		for _, d := range m.Data {
			for _, od := range old.Data {
				if od.Name == d.Name && od.SHA256 != d.SHA256 {
					return fmt.Errorf("%s holds results for another file named %q (sha256 %.16s, now %.16s): use --name or another --out", mdir, d.Name, od.SHA256, d.SHA256)
				}
			}
		}
		for _, d := range m.Data {
			old.AddData(d)
		}
		m.Data = old.Data
	}
	return eval.WriteManifest(path, m)
}
