package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"research/agent"
	"research/internal/progress"
	"research/search/bm25"
	"research/search/dense"
	"research/search/dense/hnsw"
)

func init() { rootCmd.AddCommand(newIndexCmd()) }

func newIndexCmd() *cobra.Command {
	var (
		corpus, out string
		k1, b       float64
		memMB       int64
		workers     int
		force       bool
		isDense     bool
		df          denseFlags
	)
	cmd := &cobra.Command{
		Use:   "index [--dense (--encoder DIR | --embed-url URL)] --corpus FILE --out DIR",
		Short: "Build a BM25 or dense index from a FlashRAG corpus JSONL",
		Long: `index builds a BM25 index from a FlashRAG corpus: one JSON object per line,
{"id","contents"} with contents "\"Title\"\ntext", or {"id","title","text"}.
Text is analyzed like Pyserini's default (Lucene English analyzer with Porter
stemming). The build streams the corpus, spills sorted segments to disk when
--mem-mb is reached and merges them, so memory stays bounded for any corpus
size. The index is written next to --out and renamed into place when done.

With --dense it builds a dense index instead: every passage ("passage: "
prefixed, as E5 expects) is embedded by a BERT encoder run in-process
(--encoder DIR holding config.json, model.safetensors, tokenizer.json) or by
an OpenAI-compatible /v1/embeddings server (--embed-url), streamed to disk
as f32, f16 or int8 (per-vector scale). --hnsw adds an HNSW graph for
approximate search; exact search needs none.`,
		Example: `  research index --corpus wiki18.jsonl --out wiki18.bm25
  research index --corpus - --out idx --k1 1.2 --b 0.75 < corpus.jsonl
  research index --dense --encoder e5-base-v2 --corpus wiki18.jsonl --out wiki18.e5 --dtype f16
  research index --dense --embed-url http://127.0.0.1:8080/v1 --embed-model intfloat/e5-base-v2 \
      --corpus wiki18.jsonl --out wiki18.e5 --hnsw`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if corpus == "" || out == "" {
				return fmt.Errorf("index: --corpus and --out are required")
			}
			if isDense {
				return buildDense(cmd, corpus, out, force, &df)
			}
			if memMB <= 0 {
				return fmt.Errorf("index: --mem-mb = %d, want > 0", memMB)
			}
			in, name, err := openInput([]string{corpus})
			if err != nil {
				return fmt.Errorf("index: %w", err)
			}
			defer in.Close()
			// On Ctrl-C or SIGTERM the build stops and removes its temporary
			// directory; an existing index at --out is left as it was.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bar := progress.New(-1, "indexing", "passages")
			start := time.Now()
			meta, err := bm25.Build(ctx, in, name, out, bm25.BuildOptions{
				Params:    bm25.Params{K1: k1, B: b},
				MemBytes:  memMB << 20,
				Workers:   workers,
				Overwrite: force,
				Progress:  bar.Add,
				Log: func(format string, args ...any) {
					fmt.Fprintf(os.Stderr, "index: "+format+"\n", args...)
				},
			})
			bar.Finish()
			if err != nil {
				return fmt.Errorf("index: %w", err)
			}
			fmt.Fprintf(os.Stderr, "index: %d passages, %d terms, avg length %.1f, k1=%g b=%g, in %s -> %s\n",
				meta.Docs, meta.Terms, meta.AvgDocLen, meta.Params.K1, meta.Params.B,
				time.Since(start).Round(time.Millisecond), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&corpus, "corpus", "", "FlashRAG corpus JSONL (- for stdin)")
	f.StringVar(&out, "out", "", "index directory to create")
	f.Float64Var(&k1, "k1", bm25.DefaultParams.K1, "BM25 k1")
	f.Float64Var(&b, "b", bm25.DefaultParams.B, "BM25 b")
	f.Int64Var(&memMB, "mem-mb", 1024, "memory budget for in-memory postings before spilling a segment (MiB)")
	f.IntVar(&workers, "workers", 0, "analysis workers (0: one per core)")
	f.BoolVar(&force, "force", false, "replace an existing index at --out")
	f.BoolVar(&isDense, "dense", false, "build a dense (embedding) index instead of BM25")
	df.enc.register(f)
	f.StringVar(&df.dtype, "dtype", "f32", "dense: vector storage, f32, f16 or int8 (per-vector scale)")
	f.IntVar(&df.batch, "batch", 64, "dense: passages per encoder call")
	f.BoolVar(&df.hnsw, "hnsw", false, "dense: also build an HNSW graph for approximate search")
	f.IntVar(&df.hnswParams.M, "hnsw-m", 16, "dense: HNSW links per node (2x on layer 0)")
	f.IntVar(&df.hnswParams.EfConstruction, "ef-construction", 200, "dense: HNSW candidate list size while building")
	return cmd
}

// denseFlags are the flags of "index --dense".
type denseFlags struct {
	enc        encoderFlags
	dtype      string
	batch      int
	hnsw       bool
	hnswParams hnsw.Params
}

// buildDense is "index --dense".
func buildDense(cmd *cobra.Command, corpus, out string, force bool, df *denseFlags) error {
	dt, err := dense.ParseDType(df.dtype)
	if err != nil {
		return fmt.Errorf("index: --dtype: %w", err)
	}
	if df.batch <= 0 {
		return fmt.Errorf("index: --batch = %d, want > 0", df.batch)
	}
	if _, err := os.Stat(out); err == nil && !force {
		return fmt.Errorf("index: %s already exists (use --force to replace it)", out)
	}
	hp := df.hnswParams
	if df.hnsw && (hp.M < 2 || hp.EfConstruction <= 0) {
		return fmt.Errorf("index: --hnsw-m = %d and --ef-construction = %d, want >= 2 and > 0", hp.M, hp.EfConstruction)
	}
	enc, name, closeEnc, err := df.enc.open()
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer closeEnc()
	in, inName, err := openInput([]string{corpus})
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer in.Close()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := dense.BuildOptions{
		DType: dt, Prefixes: df.enc.prefixes, EncoderName: name, BatchSize: df.batch, Overwrite: force,
	}
	bar := progress.New(-1, "encoding", "passages")
	opt.Progress = bar.Add
	var graphBar *progress.Bar
	if df.hnsw {
		opt.HNSW = &hp
		opt.HNSWProgress = func(n int) {
			if graphBar == nil {
				bar.Finish()
				graphBar = progress.New(-1, "linking HNSW", "nodes")
			}
			graphBar.Add(n)
		}
	}
	start := time.Now()
	meta, err := dense.Build(ctx, in, inName, out, enc, opt)
	if graphBar != nil {
		graphBar.Finish()
	} else {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	graph := ""
	if meta.HNSW != nil {
		graph = fmt.Sprintf(", HNSW M=%d", meta.HNSW.M)
	}
	fmt.Fprintf(os.Stderr, "index: %d passages, %d dims %s%s, in %s -> %s\n",
		meta.Count, meta.Dim, meta.DType, graph, time.Since(start).Round(time.Millisecond), out)
	return nil
}

// encoderFlags choose and configure the dense encoder; index and
// serve-search share them.
type encoderFlags struct {
	dir, url, model, apiKey string
	retries                 int
	pooling                 string
	noNormalize             bool
	maxLen                  int
	prefixes                dense.Prefixes
}

func (e *encoderFlags) register(f *pflag.FlagSet) {
	f.StringVar(&e.dir, "encoder", "", "dense: BERT encoder directory (config.json, model.safetensors, tokenizer.json)")
	f.StringVar(&e.url, "embed-url", "", "dense: OpenAI-compatible embeddings base URL, e.g. http://127.0.0.1:8080/v1")
	f.StringVar(&e.model, "embed-model", "", "dense: model name sent to --embed-url")
	f.StringVar(&e.apiKey, "embed-api-key", "", "dense: bearer token for --embed-url (default $RESEARCH_EMBED_API_KEY)")
	f.IntVar(&e.retries, "embed-retries", 3, "dense: retries per --embed-url request (with backoff)")
	f.StringVar(&e.pooling, "pooling", "mean", "dense: --encoder pooling, mean (E5) or cls (BGE, DPR)")
	f.BoolVar(&e.noNormalize, "no-normalize", false, "dense: do not L2-normalise embeddings")
	f.IntVar(&e.maxLen, "max-len", 512, "dense: --encoder tokens per text, [CLS] and [SEP] included")
	f.StringVar(&e.prefixes.Query, "query-prefix", dense.E5Prefixes.Query, "dense: prepended to queries")
	f.StringVar(&e.prefixes.Passage, "passage-prefix", dense.E5Prefixes.Passage, "dense: prepended to passages")
}

// open returns the encoder the flags name, a description for meta.json,
// and a function that releases it.
func (e *encoderFlags) open() (dense.Encoder, string, func(), error) {
	if (e.dir == "") == (e.url == "") {
		return nil, "", nil, fmt.Errorf("give exactly one of --encoder DIR and --embed-url URL")
	}
	enc, desc, release, err := agent.OpenEncoder(agent.EncoderConfig{Dir: e.dir, URL: e.url, Model: e.model, APIKey: e.apiKey,
		Retries: e.retries, Pooling: e.pooling, NoNormalize: e.noNormalize, MaxLen: e.maxLen})
	if fe := (*agent.FieldError)(nil); errors.As(err, &fe) {
		err = fe.Err // open's callers name the command
	}
	return enc, desc, release, err
}
