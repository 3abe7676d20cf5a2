package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"research/internal/progress"
	"research/search/bm25"
)

func init() {
	var (
		corpus, out string
		k1, b       float64
		memMB       int64
		workers     int
		force       bool
	)
	cmd := &cobra.Command{
		Use:   "index --corpus FILE --out DIR",
		Short: "Build a BM25 index from a FlashRAG corpus JSONL",
		Long: `index builds a BM25 index from a FlashRAG corpus: one JSON object per line,
{"id","contents"} with contents "\"Title\"\ntext", or {"id","title","text"}.
Text is analyzed like Pyserini's default (Lucene English analyzer with Porter
stemming). The build streams the corpus, spills sorted segments to disk when
--mem-mb is reached and merges them, so memory stays bounded for any corpus
size. The index is written next to --out and renamed into place when done.`,
		Example: `  research index --corpus wiki18.jsonl --out wiki18.bm25
  research index --corpus - --out idx --k1 1.2 --b 0.75 < corpus.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if corpus == "" || out == "" {
				return fmt.Errorf("index: --corpus and --out are required")
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
	rootCmd.AddCommand(cmd)
}
