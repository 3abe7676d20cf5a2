// Command loadtest starts our search server on loopback over an index and
// drives it with 64 concurrent clients mixing good and bad requests for a
// given duration, then prints p50/p99 latency, 5xx and dropped connections.
// It exits non-zero if any request got a 5xx, a wrong status or no answer.
//
//	go run ./bench/search/loadtest --index DIR --duration 60s
//	go run ./bench/search/loadtest --corpus ../shared/data/corpus/wiki18_sample_1000.jsonl
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
	flag.Parse()
	if err := run(*indexDir, *corpus, *clients, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(indexDir, corpus string, clients int, duration time.Duration) error {
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
	go func() {
		done <- server.Serve(ctx, ln, server.New(server.Config{Retriever: ix, MaxBodyBytes: maxBody}))
	}()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		BaseURL: "http://" + ln.Addr().String(), Clients: clients, Duration: duration,
		Queries: queries, MaxBodyBytes: maxBody,
	})
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d passages, %d clients: %s\n", ix.NumDocs(), clients, rep)
	if rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
		return fmt.Errorf("failures; first: %s", rep.FirstIssue)
	}
	return nil
}
