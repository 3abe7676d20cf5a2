package main

import (
	"context"
	"os"
	"time"

	"research/search/bm25"
)

func benchOurs(corpus, dir string, queries []string) (result, error) {
	f, err := os.Open(corpus)
	if err != nil {
		return result{}, err
	}
	defer f.Close()
	start := time.Now()
	if _, err := bm25.Build(context.Background(), f, corpus, dir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		return result{}, err
	}
	r := result{Engine: "ours", BuildS: time.Since(start).Seconds(), SizeMB: dirSizeMB(dir)}
	start = time.Now()
	ix, err := bm25.Open(dir, bm25.OpenOptions{})
	if err != nil {
		return result{}, err
	}
	defer ix.Close()
	if _, err := ix.Search(context.Background(), queries[:1], 5); err != nil {
		return result{}, err
	}
	r.StartupS = time.Since(start).Seconds()
	search := func(q []string) error {
		_, err := ix.Search(context.Background(), q, 5)
		return err
	}
	if r.SingleQPS, err = timeQueries(queries, search, 1); err != nil {
		return result{}, err
	}
	if r.BatchQPS, err = timeQueries(queries, search, 256); err != nil {
		return result{}, err
	}
	r.Note = "k1=0.9 b=0.4, start-up includes the CRC pass"
	return r, nil
}
