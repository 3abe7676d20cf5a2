// Command loadtest starts our search server on loopback over an index and
// drives it with concurrent clients mixing good and bad requests, plus
// --heavy clients sending the largest batch the server takes, for a given
// duration; then it prints the load held, p50/p99 latency, peak RSS (server
// and load generator share the process), requests shed with 503, 5xx and
// dropped connections. It exits non-zero if any request got a 5xx other
// than a shed 503, a wrong status or no answer.
//
//	go run ./search/loadtest --index DIR --duration 60s
//	go run ./search/loadtest --corpus ../../shared/data/corpus/wiki18_sample_1000.jsonl --heavy 200
//
// The second is issue 19.5's flood: 200 clients of 1,024 queries × top_n
// 100 took RSS to 2.48 GB before the server bounded requests and passages
// in flight.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"research/search/bm25"
	"research/search/server"
	"research/search/server/loadtest"
)

func main() {
	indexDir := flag.String("index", "", "index directory (or use --corpus)")
	corpus := flag.String("corpus", "", "FlashRAG corpus JSONL to index into a temporary directory")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	heavy := flag.Int("heavy", 0, "extra clients sending maximal batches (--max-batch queries × --max-top-n)")
	var cfg server.Config
	flag.IntVar(&cfg.MaxInFlight, "max-in-flight", 64, "the server's bound on requests in flight")
	flag.IntVar(&cfg.MaxPassagesInFlight, "max-passages-in-flight", 1<<18, "the server's bound on passages in flight")
	flag.IntVar(&cfg.MaxBatch, "max-batch", 1024, "the server's most queries per request")
	flag.IntVar(&cfg.MaxTopN, "max-top-n", 100, "the server's largest top_n")
	flag.Parse()
	if err := run(*indexDir, *corpus, *clients, *heavy, *duration, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(indexDir, corpus string, clients, heavy int, duration time.Duration, cfg server.Config) error {
	if (indexDir == "") == (corpus == "") {
		return fmt.Errorf("give exactly one of --index and --corpus")
	}
	var queries []string
	if corpus != "" {
		tmp, err := os.MkdirTemp("", "loadtest")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		indexDir = filepath.Join(tmp, "index")
		f, err := os.Open(corpus)
		if err != nil {
			return err
		}
		_, err = bm25.Build(context.Background(), f, corpus, indexDir, bm25.BuildOptions{Params: bm25.DefaultParams})
		f.Close()
		if err != nil {
			return err
		}
	}
	ix, err := bm25.Open(indexDir, bm25.OpenOptions{})
	if err != nil {
		return err
	}
	defer ix.Close()
	// Queries: the first words of the titles of up to 1000 passages.
	for d := uint32(0); d < uint32(min(ix.NumDocs(), 1000)); d++ {
		p, err := ix.Passage(d)
		if err != nil {
			return err
		}
		words := strings.Fields(p.Title + " " + p.Text)
		queries = append(queries, strings.Join(words[:min(len(words), 6)], " "))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	const maxBody = 1 << 20
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg.Retriever, cfg.MaxBodyBytes = ix, maxBody
	// The heavy requests must fit the body cap: about 60 bytes a query.
	cfg.MaxBodyBytes = max(cfg.MaxBodyBytes, int64(cfg.MaxBatch)*64)
	go func() {
		done <- server.Serve(ctx, ln, server.New(cfg))
	}()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		BaseURL: "http://" + ln.Addr().String(), Clients: clients, Duration: duration,
		Queries: queries, MaxBodyBytes: cfg.MaxBodyBytes,
		HeavyClients: heavy, MaxBatch: cfg.MaxBatch, MaxTopN: cfg.MaxTopN,
	})
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d passages, %d clients + %d heavy, at most %d requests and %d passages in flight: %s\n",
		ix.NumDocs(), clients, heavy, cfg.MaxInFlight, cfg.MaxPassagesInFlight, rep)
	if rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
		return fmt.Errorf("failures; first: %s", rep.FirstIssue)
	}
	return nil
}
