// Command rollout measures rollout throughput on the in-process engine:
// continuous batching against the reference's synchronous rounds, on the
// same model, questions, retriever and seeds, in one run.
//
// A random-weight model never writes "</search>" on its own, so the
// tokenizer here makes </search> one special token among ~260: the model
// then closes a search every hundred-odd tokens by chance, and stops about
// as often, which gives turns of varied lengths — what makes the round
// barrier costly.
//
//	sh bench/rollout/run.sh
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"research/dataset"
	"research/generate"
	"research/model"
	"research/policy"
	"research/protocol"
	"research/rollout"
	"research/search/bm25"
	"research/tokenizer"
)

func main() {
	modelDir := flag.String("model", "", "random Qwen2 model directory (vocab 260)")
	corpus := flag.String("corpus", "../shared/data/corpus/wiki18_sample_1000.jsonl", "FlashRAG corpus to search")
	data := flag.String("data", "../shared/data/benchmarks/hotpotqa_500.jsonl", "questions")
	questions := flag.Int("questions", 2, "questions to roll out")
	n := flag.Int("n", 4, "rollouts per question")
	budget := flag.Int("budget", 1024, "response tokens per rollout")
	rounds := flag.Int("repeat", 2, "runs of each mode, alternating")
	flag.Parse()
	if err := run(*modelDir, *corpus, *data, *questions, *n, *budget, *rounds); err != nil {
		log.Fatal(err)
	}
}

func run(modelDir, corpus, data string, questions, n, budget, rounds int) error {
	m, err := model.Load(modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{VocabSize: 260,
		Special: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>", protocol.SearchClose}})
	if err != nil {
		return err
	}
	tr.Add("x")
	tok, err := tr.Train()
	if err != nil {
		return err
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return fmt.Errorf("tokenizer has %d ids, model %d", tok.VocabSize(), m.Config.VocabSize)
	}
	tmp, err := os.MkdirTemp("", "bench-rollout")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	f, err := os.Open(corpus)
	if err != nil {
		return err
	}
	if _, err := bm25.Build(context.Background(), f, corpus, filepath.Join(tmp, "ix"), bm25.BuildOptions{}); err != nil {
		return err
	}
	f.Close()
	ix, err := bm25.Open(filepath.Join(tmp, "ix"), bm25.OpenOptions{})
	if err != nil {
		return err
	}
	defer ix.Close()
	examples, err := dataset.ReadFile(data)
	if err != nil {
		return err
	}
	examples = examples[:min(questions, len(examples))]

	fmt.Printf("model: %d layers, hidden %d, vocab %d; %d questions × %d rollouts, budget %d\n",
		m.Config.NumLayers, m.Config.HiddenSize, m.Config.VocabSize, len(examples), n, budget)
	rate := map[bool][]float64{}
	for r := 0; r < rounds; r++ {
		for _, sync := range []bool{true, false} {
			tokens, searches, secs, err := once(m, tok, ix, examples, n, budget, sync)
			if err != nil {
				return err
			}
			rate[sync] = append(rate[sync], float64(tokens)/secs)
			fmt.Printf("%-12s %6d tokens (generated + inserted), %.2f searches/rollout, %6.1f s, %7.1f tokens/s\n",
				mode(sync), tokens, float64(searches)/float64(len(examples)*n), secs, float64(tokens)/secs)
		}
	}
	best := func(xs []float64) float64 {
		b := 0.0
		for _, x := range xs {
			b = max(b, x)
		}
		return b
	}
	fmt.Printf("continuous / synchronous throughput (best of %d each): %.2f×\n", rounds, best(rate[false])/best(rate[true]))
	return nil
}

func mode(sync bool) string {
	if sync {
		return "synchronous"
	}
	return "continuous"
}

func once(m *model.Model, tok *tokenizer.Tokenizer, ix *bm25.Index, examples []dataset.Example, n, budget int, sync bool) (tokens, searches int, secs float64, err error) {
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(m, generate.Options{Sampling: generate.Sampling{Temperature: 1, Seed: 1}, Decoder: dec})
	if err != nil {
		return 0, 0, 0, err
	}
	defer e.Close()
	// Only <|im_start|> ends a rollout: the random model writes it about as
	// often as </search>, so rollouts search a few times before they stop.
	cfg := rollout.Defaults(protocol.Base, []int{257}, "<|im_start|>")
	cfg.N, cfg.MaxResponseTokens, cfg.Synchronous = n, budget, sync
	r := &rollout.Runner{Policy: policy.Local{Engine: e}, Retriever: ix, Tokenizer: tok, Config: cfg}
	start := time.Now()
	trajs, err := r.Run(context.Background(), examples)
	if err != nil {
		return 0, 0, 0, err
	}
	secs = time.Since(start).Seconds()
	for _, t := range trajs {
		tokens += len(t.Response)
		searches += len(t.Searches)
	}
	return tokens, searches, secs, nil
}
