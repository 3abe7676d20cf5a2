package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"research/search"
	"research/search/bm25"
	"research/search/dense"
	"research/search/dense/hybrid"
	"research/search/server"
)

func init() { rootCmd.AddCommand(newServeSearchCmd()) }

func newServeSearchCmd() *cobra.Command {
	var (
		indexDir, addr, apiKey string
		k1, b                  float64
		cfg                    server.Config
		noVerify               bool
		method, denseDir       string
		enc                    encoderFlags
		ef, rrfK               int
	)
	cmd := &cobra.Command{
		Use:   "serve-search --index DIR [--method bm25|dense|hybrid] [--addr 127.0.0.1:8000]",
		Short: "Serve a BM25, dense or hybrid index over HTTP (ReSearch/FlashRAG and Search-R1 APIs)",
		Long: `serve-search memory-maps a BM25 index built by "research index" and answers
  POST /search         {"query", "top_n"=10, "return_score"=false}   (ReSearch/FlashRAG)
  POST /batch_search   {"query": [...], "top_n", "return_score"}
  POST /retrieve       {"queries": [...], "topk"=3, "return_scores"} (Search-R1, veRL)
  GET  /health, GET /metrics (Prometheus)
It binds 127.0.0.1 unless --addr names another interface, checks a bearer
token when --api-key is set (or RESEARCH_SEARCH_API_KEY), caps body size,
batch size and top_n, answers 503 with Retry-After beyond --max-in-flight
requests or --max-passages-in-flight passages at once (memory: about
max-in-flight × max-body-bytes + max-passages-in-flight × 1.6 KB, 0.5 GB
at the defaults), and shuts down gracefully on SIGINT or SIGTERM.

--method dense serves a dense index (--dense-index, built by "research index
--dense"), embedding queries with --encoder DIR or --embed-url URL and the
query prefix recorded in the index; exact search unless --ef > 0, which
searches the index's HNSW graph. --method hybrid fuses BM25 (--index) and
dense rankings by reciprocal-rank fusion.`,
		Example: `  research serve-search --index wiki18.bm25 --addr 127.0.0.1:8000
  research serve-search --method dense --dense-index wiki18.e5 --encoder e5-base-v2
  research serve-search --method hybrid --index wiki18.bm25 --dense-index wiki18.e5 --encoder e5-base-v2
  curl -s localhost:8000/search -d '{"query": "who wrote hamlet", "top_n": 3}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if apiKey == "" {
				apiKey = os.Getenv("RESEARCH_SEARCH_API_KEY")
			}
			if method != "bm25" {
				return serveDense(cmd, method, indexDir, denseDir, &enc, ef, rrfK, noVerify, addr, apiKey, cfg)
			}
			if indexDir == "" {
				return fmt.Errorf("serve-search: --index is required")
			}
			start := time.Now()
			opt := bm25.OpenOptions{SkipVerify: noVerify}
			if cmd.Flags().Changed("k1") || cmd.Flags().Changed("b") {
				meta, err := bm25.ReadMeta(indexDir)
				if err != nil {
					return fmt.Errorf("serve-search: %w", err)
				}
				p := meta.Params
				if cmd.Flags().Changed("k1") {
					p.K1 = k1
				}
				if cmd.Flags().Changed("b") {
					p.B = b
				}
				opt.Params = &p
			}
			ix, err := bm25.Open(indexDir, opt)
			if err != nil {
				return fmt.Errorf("serve-search: %w", err)
			}
			defer ix.Close()
			p := ix.Params()
			desc := fmt.Sprintf("%d passages, k1=%g b=%g", ix.NumDocs(), p.K1, p.B)
			return serveRetriever(cmd, ix, desc, start, addr, apiKey, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&indexDir, "index", "", "index directory built by research index")
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on")
	f.StringVar(&apiKey, "api-key", "", "require this bearer token (default $RESEARCH_SEARCH_API_KEY)")
	f.Float64Var(&k1, "k1", bm25.DefaultParams.K1, "override BM25 k1 (exact but unpruned search)")
	f.Float64Var(&b, "b", bm25.DefaultParams.B, "override BM25 b (exact but unpruned search)")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted")
	f.IntVar(&cfg.MaxBatch, "max-batch", 1024, "most queries in one request")
	f.IntVar(&cfg.MaxTopN, "max-top-n", 100, "largest top_n / topk accepted")
	f.IntVar(&cfg.DefaultTopK, "default-topk", 3, "/retrieve topk when the request has none")
	f.DurationVar(&cfg.SearchTimeout, "timeout", 30*time.Second, "time limit for the search of one request")
	f.IntVar(&cfg.MaxInFlight, "max-in-flight", 64, "most requests handled at once; more get 503 with Retry-After")
	f.IntVar(&cfg.MaxPassagesInFlight, "max-passages-in-flight", 1<<18, "most passages (queries × top_n) searched and answered at once, ~1.6 KB each; more get 503 with Retry-After")
	f.BoolVar(&noVerify, "no-verify", false, "skip the checksum pass over the index at start-up")
	f.StringVar(&method, "method", "bm25", "retrieval: bm25, dense or hybrid (BM25 + dense by reciprocal-rank fusion)")
	f.StringVar(&denseDir, "dense-index", "", "dense index directory built by research index --dense")
	f.IntVar(&ef, "ef", 0, "dense: HNSW candidate list size (0: exact search)")
	f.IntVar(&rrfK, "rrf-k", hybrid.DefaultK, "hybrid: reciprocal-rank fusion constant")
	enc.register(f)
	return cmd
}

// serveDense is serve-search --method dense|hybrid.
func serveDense(cmd *cobra.Command, method, bm25Dir, denseDir string, ef *encoderFlags, efSearch, rrfK int,
	noVerify bool, addr, apiKey string, cfg server.Config) error {
	switch {
	case method != "dense" && method != "hybrid":
		return fmt.Errorf("serve-search: --method %q, want bm25, dense or hybrid", method)
	case denseDir == "":
		return fmt.Errorf("serve-search: --method %s needs --dense-index", method)
	case method == "hybrid" && bm25Dir == "":
		return fmt.Errorf("serve-search: --method hybrid needs --index (BM25) too")
	case efSearch < 0 || rrfK <= 0:
		return fmt.Errorf("serve-search: --ef = %d, --rrf-k = %d, want >= 0 and > 0", efSearch, rrfK)
	}
	start := time.Now()
	ix, err := dense.Open(denseDir, dense.OpenOptions{SkipVerify: noVerify})
	if err != nil {
		return fmt.Errorf("serve-search: %w", err)
	}
	defer ix.Close()
	enc, _, closeEnc, err := ef.open()
	if err != nil {
		return fmt.Errorf("serve-search: %w", err)
	}
	defer closeEnc()
	dr, err := dense.NewRetriever(ix, enc, efSearch)
	if err != nil {
		return fmt.Errorf("serve-search: %w", err)
	}
	if cmd.Flags().Changed("query-prefix") {
		dr.QueryPrefix = ef.prefixes.Query
	}
	var r search.Retriever = dr
	desc := fmt.Sprintf("%d passages, %d dims %s", ix.Len(), ix.Meta.Dim, ix.Meta.DType)
	if method == "hybrid" {
		bx, err := bm25.Open(bm25Dir, bm25.OpenOptions{SkipVerify: noVerify})
		if err != nil {
			return fmt.Errorf("serve-search: %w", err)
		}
		defer bx.Close()
		r = &hybrid.Retriever{Retrievers: []search.Retriever{bx, dr}, K: rrfK}
		desc += fmt.Sprintf(" + BM25 %d passages (RRF k=%d)", bx.NumDocs(), rrfK)
	}
	return serveRetriever(cmd, r, method+": "+desc, start, addr, apiKey, cfg)
}

// serveRetriever serves r on addr until interrupted; desc and the time
// since start go to the log line that says it is listening.
func serveRetriever(cmd *cobra.Command, r search.Retriever, desc string, start time.Time, addr, apiKey string, cfg server.Config) error {
	cfg.Retriever = r
	cfg.APIKey = apiKey
	return listenAndServe(cmd, "serve-search", addr,
		func(a net.Addr) string {
			return fmt.Sprintf("%s, loaded in %s, listening on http://%s", desc, time.Since(start).Round(time.Millisecond), a)
		},
		func(ctx context.Context, ln net.Listener) error { return server.Serve(ctx, ln, server.New(cfg)) })
}
